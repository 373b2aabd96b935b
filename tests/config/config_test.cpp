#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tunecase/config/approach_kinds.h"
#include "tunecase/config/config.h"
#include "tunecase/core/error.h"

namespace tunecase {
namespace {

using ::testing::HasSubstr;

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string error_of(const std::string& text, const std::string& origin = "p.toml") {
  try {
    parse_config(text, origin);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

// Every file in tests/fixtures/config/bad/ starts with "# expect: <part of the message>".
TEST(ConfigFixtures, EveryBadConfigEndsWithItsMessage) {
  std::filesystem::path folder = std::filesystem::path(TUNECASE_FIXTURES) / "config" / "bad";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    std::string text = read_text(entry.path());
    std::string first = text.substr(0, text.find('\n'));
    ASSERT_EQ(first.rfind("# expect: ", 0), 0u) << entry.path();
    std::string expected = first.substr(10);
    std::string message;
    try {
      load_config(entry.path());
    } catch (const UserError& e) {
      message = e.what();
    }
    EXPECT_THAT(message, HasSubstr(expected)) << entry.path();
    // Where: the file, and a line number when the key was written in it.
    EXPECT_EQ(message.rfind(entry.path().string(), 0), 0u) << message;
    ++files;
  }
  EXPECT_GE(files, 25);
}

// The URLs a team writes for its own servers pass, IPv6 literals with and without a port.
TEST(Config, EveryUsualBaseUrlPasses) {
  for (const char* url :
       {"http://127.0.0.1:8000/v1", "https://api.example.com/v1", "http://[::1]/v1",
        "http://[::1]:8000/v1", "http://[fe80::1%25eth0]:11434", "http://localhost"})
    EXPECT_EQ(error_of(fmt::format("[[approach]]\nname = \"a\"\nkind = \"openai\"\nmodel = "
                                   "\"m\"\nbase_url = \"{}\"\n",
                                   url)),
              "")
        << url;
  for (const char* url :
       {"http://[::1/v1", "http://::1]/v1", "http://[::1]x/v1", "http://my host/v1",
        "http://[]:8000/v1", "http://[gg::1]:8000/v1", "http://[localhost]/v1"})
    EXPECT_THAT(error_of(fmt::format("[[approach]]\nname = \"a\"\nkind = \"openai\"\nmodel = "
                                     "\"m\"\nbase_url = \"{}\"\n",
                                     url)),
                HasSubstr("base_url"))
        << url;
}

TEST(Config, TypoInDataSuggestsTheKeyAndNamesTheLine) {
  EXPECT_EQ(error_of("[data]\npath = \"t.csv\"\ntest_fration = 0.5\n"),
            "p.toml:3: `test_fration`: unknown key in [data]; did you mean `test_fraction`?");
}

TEST(Config, UnknownKeyWithoutNearNameListsTheKnownOnes) {
  EXPECT_THAT(error_of("[task]\nzzzzzzzz = 1\n"), HasSubstr("the known keys are description"));
}

TEST(Config, DefaultsAreMarkedInTheSettingsReport) {
  ProjectConfig c = parse_config("[data]\npath = \"t.csv\"\ntest_fraction = 0.3\n", "p.toml");
  std::string report = describe_settings(c);
  EXPECT_THAT(report, HasSubstr("test_fraction = 0.3\n"));
  EXPECT_THAT(report, HasSubstr("dev_fraction = 0.1   # default"));
}

// A [labels] key typed with a combining accent is the label the data spells precomposed (the
// reader reads labels in NFC); the two spellings as two keys are one label typed twice.
TEST(Config, LabelsAreReadInComposedUnicode) {
  ProjectConfig c = parse_config("[labels]\n\"Ku\u0308ndigung\" = \"cancel\"\n", "p.toml");
  ASSERT_EQ(c.data.allowed_labels.size(), 1u);
  EXPECT_EQ(c.data.allowed_labels[0], "K\u00fcndigung");
  EXPECT_EQ(c.label_descriptions.count("K\u00fcndigung"), 1u);
  EXPECT_THAT(error_of("[labels]\n\"K\u00fcndigung\" = \"a\"\n\"Ku\u0308ndigung\" = \"b\"\n"),
              HasSubstr("the same label as another key"));
}

// Anthropic's API takes a temperature of 0 to 1: above it is refused when the config is read,
// not by every request after the local approaches had trained.
TEST(Config, AnAnthropicTemperatureAboveOneIsRefused) {
  EXPECT_THAT(error_of("[[approach]]\nname = \"c\"\nkind = \"anthropic\"\nmodel = \"m\"\n"
                       "temperature = 1.5\n"),
              HasSubstr("1.5 is above 1, the most Anthropic's API takes"));
  EXPECT_EQ(error_of("[[approach]]\nname = \"o\"\nkind = \"openai\"\nmodel = \"m\"\n"
                     "temperature = 1.5\n"),
            "");
}

// The same limit holds for the prompt search's temperatures when it lists an anthropic model,
// named or inline; an openai model may be searched above 1.
TEST(Config, SearchTemperaturesAboveOneAreRefusedForAnthropicModels) {
  const std::string claude = "[[approach]]\nname = \"c\"\nkind = \"anthropic\"\nmodel = \"m\"\n";
  EXPECT_THAT(error_of(claude + "[optimize]\nmodels = [\"c\"]\ntemperatures = [0, 1.2]\n"),
              HasSubstr("[optimize] temperatures: 1.2 is above 1"));
  EXPECT_THAT(error_of("[optimize]\nmodels = [{ name = \"i\", kind = \"anthropic\", model = "
                       "\"m\" }]\ntemperatures = [1.5]\n"),
              HasSubstr("the anthropic approach 'i'"));
  EXPECT_EQ(error_of(claude + "[optimize]\nmodels = [\"c\"]\ntemperatures = [0, 1]\n"), "");
  EXPECT_EQ(error_of("[[approach]]\nname = \"o\"\nkind = \"openai\"\nmodel = \"m\"\n"
                     "[optimize]\nmodels = [\"o\"]\ntemperatures = [1.5]\n"),
            "");
}

TEST(Config, HostingIsTypedOnce) {
  ProjectConfig c = parse_config(
      "[[approach]]\nname = \"svm\"\nkind = \"linear\"\nhosting = { usd_per_month = 500 }\n",
      "p.toml");
  ASSERT_EQ(c.approaches.size(), 1u);
  ASSERT_TRUE(c.approaches[0].costs.hosting);
  EXPECT_EQ(c.approaches[0].costs.hosting->usd_per_month, 500);
  EXPECT_FALSE(c.approaches[0].costs.hosting->usd_per_hour);
}

TEST(Config, EveryKindIsRegisteredOnceWithItsFamily) {
  std::set<std::string> names;
  for (const auto& k : approach_kinds()) EXPECT_TRUE(names.insert(k.name).second) << k.name;
  EXPECT_TRUE(is_local_kind("linear"));
  EXPECT_TRUE(is_llm_kind("anthropic"));
  EXPECT_FALSE(is_local_kind("finetune"));
  EXPECT_EQ(default_local_approaches().size(), 3u);
}

TEST(Config, ReferenceDocumentIsTheGeneratedOne) {
  // docs/config.md is `tunecase check --reference`; regenerate it when a key changes.
  std::filesystem::path doc =
      std::filesystem::path(TUNECASE_FIXTURES) / ".." / ".." / "docs" / "config.md";
  EXPECT_EQ(read_text(doc), configuration_reference())
      << "docs/config.md is stale: run `build/tunecase check --reference > docs/config.md`";
}

TEST(Config, ReferenceListsEveryKeyTheReadersAccept) {
  std::string ref = configuration_reference();
  for (const char* key :
       {"test_fraction", "queries_per_day", "start_sample", "target_accuracy", "autotune_seconds",
        "char_ngram_max_df", "api_key_env", "hosting.usd_per_month", "retrain_every_months"})
    EXPECT_THAT(ref, HasSubstr(fmt::format("`{}`", key)));
}

// A valid config with a key in every table; the fuzz test below mutates each value in turn.
constexpr const char* kFull = R"([data]
path = "t.csv"
text = "text"
label = "category"
test_fraction = 0.2
dev_fraction = 0.1
seed = 7
skip_invalid = false
[task]
description = "route tickets"
[labels]
billing = "charges"
[business]
queries_per_day = 10000
cost_per_error_usd = 2.5
engineer_usd_per_week = 5000
horizon_months = 12
utilisation = 0.5
pilot_traffic_share = 0.05
task_stable_months = 6
[optimize]
models = ["api"]
shots = [4, 8]
temperatures = [0.0, 0.7]
budget_usd = 2
start_sample = 50
[curve]
sizes = [50, 100]
seeds = 3
target_accuracy = 0.9
[[approach]]
name = "svm"
kind = "linear"
C = 1.0
min_df = 1
word_ngrams = [1, 2]
hosting = { usd_per_hour = 0.1, instances = 1 }
training_usd = 100
[[approach]]
name = "ft"
kind = "fasttext"
epoch = 25
lr = 0.5
dim = 50
[[approach]]
name = "knn"
kind = "retrieval"
k = 5
b = 0.75
char_ngrams = [3, 4]
[[approach]]
name = "api"
kind = "openai"
model = "gpt-4o-mini"
temperature = 0.0
max_tokens = 64
rpm = 500
price = { input = 0.15, output = 0.6 }
usd_per_query = 0.001
)";

bool within_documented_range(const SettingRecord& r) {
  if (!r.range || r.is_default || r.value.empty()) return true;
  double v = std::strtod(r.value.c_str(), nullptr);
  return std::isfinite(v) && r.range->contains(v);
}

TEST(ConfigFuzz, MutatedValuesEndInAUserErrorOrInRange) {
  ASSERT_EQ(error_of(kFull), "");
  const std::vector<std::string> mutations = {
      "\"x\"",     "-1", "3.5",   "nan",  "inf", "-inf",    "true", "[1, 2]",
      "{ a = 1 }", "0",  "1e308", "\"\"", "[]",  "-0.0001", "2",    "99999999999"};
  std::vector<std::string> lines;
  std::stringstream in(kFull);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  int parsed = 0, refused = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto eq = lines[i].find(" = ");
    if (eq == std::string::npos) continue;
    for (const auto& m : mutations) {
      std::string text;
      for (std::size_t j = 0; j < lines.size(); ++j)
        text += (j == i ? lines[j].substr(0, eq) + " = " + m : lines[j]) + "\n";
      try {
        ProjectConfig c = parse_config(text, "fuzz.toml");
        ++parsed;
        for (const auto& r : c.settings)
          EXPECT_TRUE(within_documented_range(r))
              << r.table << " " << r.key << " = " << r.value << "\n"
              << lines[i] << " -> " << m;
      } catch (const UserError& e) {
        ++refused;
        EXPECT_THAT(std::string(e.what()), HasSubstr("fuzz.toml")) << lines[i] << " -> " << m;
      } catch (const std::exception& e) {
        ADD_FAILURE() << "internal error for " << lines[i] << " -> " << m << ": " << e.what();
      }
    }
  }
  EXPECT_GT(refused, 300);
  EXPECT_GT(parsed, 20);
}

}  // namespace
}  // namespace tunecase
