#include <gtest/gtest.h>

#include "run_cli.h"

namespace {

// Each bad input must exit non-zero with a message that names the file and line and says
// what to do, and must not leave a half-written eval.json behind.
struct BadInputCase {
  std::string file;
  std::string flags;
  std::vector<std::string> expected;  // substrings of the message
};

class BadInputCli : public ::testing::TestWithParam<BadInputCase> {};

TEST_P(BadInputCli, ExitsNonZeroNamingFileAndLine) {
  const BadInputCase& c = GetParam();
  TempDir out;
  CliResult r = run_cli("eval --quiet --data " + fixture("cli/" + c.file) + " " + c.flags +
                        " --out " + out.str());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("error:"), std::string::npos) << r.output;
  for (const auto& s : c.expected) EXPECT_NE(r.output.find(s), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(out.path() / "eval.json"));
}

INSTANTIATE_TEST_SUITE_P(
    Files, BadInputCli,
    ::testing::Values(
        BadInputCase{"ragged.csv", "--label category", {"ragged.csv:3", "skip-invalid"}},
        BadInputCase{"bad_utf8.csv", "--label category", {"bad_utf8.csv:3", "UTF-8"}},
        BadInputCase{"missing_column.csv", "--label category", {"missing_column.csv", "text"}},
        BadInputCase{"malformed.jsonl", "", {"malformed.jsonl:2"}},
        BadInputCase{"does_not_exist.csv", "", {"does_not_exist.csv"}}));

TEST(ConfigCli, MissingConfigFileIsAClearError) {
  CliResult r = run_cli("eval --config /nonexistent/tunecase.toml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("/nonexistent/tunecase.toml"), std::string::npos) << r.output;
}

TEST(ConfigCli, InvalidTomlNamesTheLine) {
  TempDir dir;
  std::ofstream(dir.path() / "bad.toml") << "[data]\npath = \"x.csv\"\ntext = \n";
  CliResult r = run_cli("eval --config " + (dir.path() / "bad.toml").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("bad.toml:3"), std::string::npos) << r.output;
}

TEST(ConfigCli, UnknownApproachKindIsNamed) {
  TempDir dir;
  std::ofstream(dir.path() / "p.toml") << "[data]\npath = \"" << fixture("cli/tickets.csv")
                                       << "\"\nlabel = \"category\"\n[[approach]]\nname = "
                                          "\"x\"\nkind = \"bert\"\n";
  CliResult r = run_cli("eval --quiet --config " + (dir.path() / "p.toml").string() + " --out " +
                        (dir.path() / "out").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("bert"), std::string::npos) << r.output;
}

}  // namespace

namespace {

TEST(OutputCli, UncreatableOutputFolderIsAClearError) {
  CliResult r = run_cli("eval --quiet --data " + fixture("cli/tickets.csv") +
                        " --label category --out /proc/tunecase-cannot-write-here");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("cannot create the output folder"), std::string::npos) << r.output;
}

// A folder that exists but takes no files is refused before the work, not after it.
TEST(OutputCli, AnExistingFolderThatTakesNoFilesIsRefusedFirst) {
  CliResult r =
      run_cli("inspect --data " + fixture("cli/tickets.csv") + " --label category --out /proc");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("/proc: cannot write in the output folder"), std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("label noise"), std::string::npos) << r.output;
}

// A mistyped flag names the command's nearest one.
TEST(FlagCli, AMistypedFlagNamesTheNearestOne) {
  CliResult r = run_cli("eval --confg x.toml");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("`--confg` is not a flag of `tunecase eval`; did you mean `--config`?"),
            std::string::npos)
      << r.output;
  CliResult far = run_cli("eval --zzzzzzzz 1");
  EXPECT_EQ(far.output.find("did you mean"), std::string::npos) << far.output;
}

}  // namespace

namespace {

struct BadFlagCase {
  std::string args;
  std::string expected;  // a substring of the message
};

class BadFlagCli : public ::testing::TestWithParam<BadFlagCase> {};

// A value no command can use is refused while the flags are read, as bad input (exit 2), before
// anything runs or is written.
TEST_P(BadFlagCli, IsRefusedWithExitTwoNamingTheFlag) {
  TempDir out;
  CliResult r = run_cli(GetParam().args + " --out " + (out.path() / "x").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(GetParam().expected), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(out.path() / "x"));
}

INSTANTIATE_TEST_SUITE_P(
    Flags, BadFlagCli,
    ::testing::Values(
        BadFlagCase{"generate --tickets -5", "--tickets: Value -5 not in range"},
        BadFlagCase{"generate --tickets 18446744073709551615", "--tickets"},
        BadFlagCase{"generate --seed -1", "--seed: Value -1 not in range"},
        BadFlagCase{"eval --seed -1 --data " + fixture("cli/tickets.csv") + " --label category",
                    "--seed: Value -1 not in range"},
        BadFlagCase{"eval --queries-per-day -100 --data " + fixture("cli/tickets.csv") +
                        " --label category",
                    "--queries-per-day: must be >= 0, not -100"},
        BadFlagCase{
            "eval --queries-per-day nan --data " + fixture("cli/tickets.csv") + " --label category",
            "--queries-per-day: must be a finite number, not nan"},
        BadFlagCase{"eval --max-cost -1 --data " + fixture("cli/tickets.csv") + " --label category",
                    "--max-cost: must be >= 0, not -1"},
        BadFlagCase{"eval --only lineer --data " + fixture("cli/tickets.csv") + " --label category",
                    "--only lineer: no approach has that name (did you mean 'linear'?); without "
                    "[[approach]] tables eval runs its local ones: 'linear', 'fasttext', "
                    "'retrieval'"}));

TEST(EvalCli, RecordsTheSplitSeed) {
  TempDir out;
  CliResult r = run_cli("eval --quiet --no-inspect --only linear --seed 11 --data " +
                        fixture("cli/tickets.csv") + " --label category --out " + out.str());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_json(out.path() / "eval.json")["dataset"]["seed"], 11);
}

// --time naming the text column is refused as [data] time is: it had read every text as a time
// ("time '' ... is not a time") and, with --skip-invalid, said no row had a label.
TEST(EvalCli, ATimeFlagNamingTheTextColumnIsRefused) {
  TempDir out;
  CliResult r = run_cli("eval --quiet --no-inspect --data " + fixture("cli/tickets.csv") +
                        " --label category --time text --out " + out.str());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("the time column 'text' is the text column"), std::string::npos)
      << r.output;
}

}  // namespace
