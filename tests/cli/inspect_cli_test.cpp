// `tunecase inspect` and the data-quality part of `tunecase eval`, driven through the binary on
// files with known problems.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "run_cli.h"

namespace {

using ::testing::HasSubstr;

// A semicolon export with three spellings of one label, a near-copy of a train text in the rest,
// and enough rows per label to split.
std::string write_semicolon_tickets(const TempDir& dir) {
  std::string csv = "text;category\n";
  const char* topics[] = {"refund the double charge on invoice", "parcel stuck in the depot near",
                          "cannot log in after password reset on", "add a new seat to team plan"};
  const char* labels[] = {"billing", "shipping", "login", "accounts"};
  for (int i = 0; i < 160; ++i) {
    int t = i % 4;
    std::string label = labels[t];
    if (t == 0 && i % 16 == 0) label = "BILLING";
    if (t == 0 && i % 16 == 4) label = "Billing ";
    csv += std::string(topics[t]) + " " + std::to_string(i * 37) + " ref " +
           std::to_string(i * 101 % 997) + ";" + label + "\n";
  }
  std::string file = (dir.path() / "export.csv").string();
  std::ofstream(file) << csv;
  return file;
}

TEST(InspectCli, ReadsASemicolonExportAndReportsLabelVariants) {
  TempDir dir;
  std::string data = write_semicolon_tickets(dir);
  std::string out = (dir.path() / "out").string();
  CliResult r = run_cli("inspect --data " + data + " --label category --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("label variants: 1 group (kept apart"));
  EXPECT_THAT(r.output, HasSubstr("10 rows' labels had surrounding whitespace or invisible "
                                  "characters, trimmed (1 label)"));
  EXPECT_THAT(r.output, HasSubstr("label noise (estimated)"));
  std::ifstream json_in(out + "/data.json");
  nlohmann::json j = nlohmann::json::parse(json_in);
  EXPECT_EQ(j["format"]["delimiter"], ";");
  EXPECT_EQ(j["label_variants"]["groups"].size(), 1u);
  EXPECT_EQ(j["label_variants"]["labels_trimmed"], 10);
  EXPECT_EQ(j["label_variants"]["trimmed_labels"][0]["label"], "Billing");
  EXPECT_TRUE(std::filesystem::exists(out + "/data.md"));
  EXPECT_TRUE(std::filesystem::exists(out + "/suspect_labels.csv"));

  CliResult merged = run_cli("inspect --no-noise --normalize-labels --data " + data +
                             " --label category --out " + out);
  ASSERT_EQ(merged.exit_code, 0) << merged.output;
  EXPECT_THAT(merged.output, HasSubstr("4 labels"));
  EXPECT_THAT(merged.output, HasSubstr("(normalized)"));
}

TEST(InspectCli, Windows1252FileFailsWithTheFix) {
  TempDir dir;
  std::string file = (dir.path() / "latin1.csv").string();
  std::ofstream(file, std::ios::binary) << "text,category\nr\xE9servation annul\xE9"
                                           "e,booking\n";
  CliResult r = run_cli("inspect --data " + file + " --label category --out " + dir.str());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("latin1.csv:2"));
  EXPECT_THAT(r.output, HasSubstr("Windows-1252"));
  EXPECT_THAT(r.output, HasSubstr("iconv -f WINDOWS-1252 -t UTF-8"));
}

TEST(InspectCli, EvalReportsDataQualityAndAccuracyWithoutNearLeakedRows) {
  TempDir dir;
  std::string data = write_semicolon_tickets(dir);
  std::string out = (dir.path() / "eval").string();
  CliResult r =
      run_cli("eval --quiet --only linear --data " + data + " --label category --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("data: "));
  EXPECT_THAT(r.output, HasSubstr("(details: data.md)"));
  std::ifstream in(out + "/eval.json");
  nlohmann::json eval = nlohmann::json::parse(in);
  ASSERT_TRUE(eval["dataset"].contains("quality"));
  EXPECT_TRUE(eval["dataset"]["quality"]["label_noise"].is_object());
  EXPECT_TRUE(eval["approaches"][0].contains("without_near_leaked_test"));
  EXPECT_TRUE(std::filesystem::exists(out + "/data.md"));
}

}  // namespace
