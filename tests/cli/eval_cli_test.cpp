#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "run_cli.h"

namespace {

TEST(EvalCli, WritesEvalJsonWithTheContractFields) {
  TempDir out;
  CliResult r =
      run_cli("eval --data " + fixture("cli/tickets.csv") +
              " --text text --label category --quiet --queries-per-day 1000 --out " + out.str());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json eval = read_json(out.path() / "eval.json");
  const auto& d = eval["dataset"];
  EXPECT_EQ(d["rows"], 120);
  EXPECT_EQ(d["labels"], 4);
  EXPECT_EQ(d["train"].get<int>() + d["dev"].get<int>() + d["test"].get<int>() +
                d["leaked_into_train"].get<int>() + d["duplicates_removed"].get<int>(),
            120);
  for (const char* key : {"duplicates_removed", "leaked_into_train", "skipped_rows"}) {
    EXPECT_TRUE(d.contains(key)) << key;
  }
  ASSERT_EQ(eval["approaches"].size(), 3u);
  for (const auto& a : eval["approaches"]) {
    for (const char* key : {"name", "kind", "n", "accuracy", "accuracy_ci95", "macro_f1",
                            "invalid_rate", "latency_ms", "tokens_in_mean", "tokens_out_mean",
                            "usd_per_1k", "usd_per_month", "per_class", "confusion"}) {
      EXPECT_TRUE(a.contains(key)) << a["name"] << " lacks " << key;
    }
    EXPECT_EQ(a["n"], d["test"]);
    EXPECT_GT(a["accuracy"].get<double>(), 0.6) << a["name"];
    EXPECT_LE(a["accuracy_ci95"][0].get<double>(), a["accuracy"].get<double>());
    EXPECT_GE(a["accuracy_ci95"][1].get<double>(), a["accuracy"].get<double>());
    EXPECT_GT(a["usd_per_month"].get<double>(), 0);  // assumed hosting, always on
    EXPECT_EQ(a["confusion"]["labels"].size(), 4u);
  }
  ASSERT_EQ(eval["pairwise"].size(), 3u);
  EXPECT_TRUE(eval["pairwise"][0].contains("mcnemar_p"));

  std::string predictions = read_file(out.path() / "predictions.jsonl");
  std::size_t lines = std::count(predictions.begin(), predictions.end(), '\n');
  EXPECT_EQ(lines, 3 * d["test"].get<std::size_t>());
  std::string report = read_file(out.path() / "report.md");
  EXPECT_NE(report.find("Pairwise tests"), std::string::npos);
  EXPECT_NE(r.output.find("accuracy [95% CI]"), std::string::npos) << r.output;
}

// A run stopped half-way puts the earlier run back whole: its results, the models they describe
// (it had deleted the results once a model was trained), and its prompt files.
TEST(EvalCli, ARunStoppedHalfWayPutsTheEarlierRunBackWhole) {
  TempDir out;
  for (const char* name : {"eval.json", "report.md", "predictions.jsonl", "data.md", "data.json"})
    std::ofstream(out.path() / name) << "from an earlier run\n";
  std::filesystem::create_directories(out.path() / "models" / "old-approach");
  std::filesystem::create_directories(out.path() / "models" / "linear");
  std::ofstream(out.path() / "models" / "linear" / "approach.json") << "the earlier model\n";
  std::filesystem::create_directories(out.path() / "prompts");
  std::ofstream(out.path() / "prompts" / "api.txt") << "the earlier prompt\n";
  const std::string command = "eval --data " + fixture("cli/tickets.csv") +
                              " --text text --label category --quiet --no-inspect --out " +
                              out.str();
  // A file where a model folder goes is refused before anything is trained (or paid for), and
  // the earlier run's results are left as they were.
  std::ofstream(out.path() / "models" / "retrieval") << "a file where a model folder goes\n";
  CliResult early = run_cli(command);
  ASSERT_EQ(early.exit_code, 2) << early.output;
  EXPECT_NE(early.output.find("is a file, not a model folder"), std::string::npos) << early.output;
  EXPECT_TRUE(std::filesystem::exists(out.path() / "eval.json"));
  EXPECT_EQ(read_file(out.path() / "models" / "linear" / "approach.json"), "the earlier model\n");
  std::filesystem::remove(out.path() / "models" / "retrieval");
  // Stopped after training (its predictions cannot be written): the earlier run is back whole,
  // the model it trained over an earlier one included; a model with no earlier one stays.
  std::filesystem::create_directories(out.path() / "predictions.jsonl.tmp");
  CliResult r = run_cli(command);
  ASSERT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("cannot write predictions"), std::string::npos) << r.output;
  for (const char* name : {"eval.json", "report.md", "predictions.jsonl", "data.md", "data.json"})
    EXPECT_EQ(read_file(out.path() / name), "from an earlier run\n") << name;
  EXPECT_EQ(read_file(out.path() / "models" / "linear" / "approach.json"), "the earlier model\n");
  EXPECT_EQ(read_file(out.path() / "prompts" / "api.txt"), "the earlier prompt\n");
  EXPECT_TRUE(std::filesystem::exists(out.path() / "models" / "retrieval" / "approach.json"));
  EXPECT_TRUE(std::filesystem::exists(out.path() / "models" / "old-approach"));
  EXPECT_FALSE(std::filesystem::exists(out.path() / ".earlier-run"));
  EXPECT_NE(r.output.find("also holds old-approach from an earlier run"), std::string::npos)
      << r.output;
  // An earlier LLM approach's prompt, which no approach of this run writes, is named too.
  EXPECT_NE(r.output.find("prompts also holds api.txt from an earlier run"), std::string::npos)
      << r.output;
  // Finished, the run's own results and models replace the earlier ones.
  std::filesystem::remove(out.path() / "predictions.jsonl.tmp");
  CliResult done = run_cli(command);
  ASSERT_EQ(done.exit_code, 0) << done.output;
  EXPECT_NE(read_file(out.path() / "eval.json"), "from an earlier run\n");
  EXPECT_NE(read_file(out.path() / "models" / "linear" / "approach.json"), "the earlier model\n");
  EXPECT_FALSE(std::filesystem::exists(out.path() / ".earlier-run"));
}

// A run refused before it trains or sends anything (an API key not set, a spend not confirmed)
// leaves the earlier run's results as they were: it had deleted them first.
TEST(EvalCli, ARunRefusedBeforeItStartsLeavesTheEarlierResults) {
  TempDir dir;
  const auto out = dir.path() / "out";
  std::filesystem::create_directories(out);
  for (const char* name : {"eval.json", "report.md", "predictions.jsonl", "data.md"})
    std::ofstream(out / name) << "from an earlier run\n";
  // An LLM approach after a local one, at a model with no price: its cost is unknown, and with
  // no terminal to ask on it is not confirmed.
  std::ofstream(dir.path() / "c.toml")
      << "[data]\npath = \"" << fixture("cli/tickets.csv")
      << "\"\nlabel = \"category\"\n\n[[approach]]\nname = \"lin\"\nkind = \"linear\"\n\n"
         "[[approach]]\nname = \"api\"\nkind = \"openai\"\nmodel = \"mystery-model\"\n"
         "base_url = \"http://127.0.0.1:9/v1\"\napi_key_env = \"TUNECASE_TEST_KEY\"\n";
  const std::string command = "eval --config " + (dir.path() / "c.toml").string() +
                              " --quiet --no-cache --out " + out.string();
  CliResult no_key = run_cli_with_env("env -u TUNECASE_TEST_KEY ", command);
  ASSERT_EQ(no_key.exit_code, 2) << no_key.output;
  EXPECT_NE(no_key.output.find("TUNECASE_TEST_KEY, which is not set"), std::string::npos)
      << no_key.output;
  EXPECT_FALSE(std::filesystem::exists(out / "models" / "lin")) << "refused before training";
  CliResult refused =
      run_cli_with_env("TUNECASE_TEST_KEY=sk-test ", command + " --only api", "/dev/null");
  ASSERT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_NE(refused.output.find("not confirmed"), std::string::npos) << refused.output;
  for (const char* name : {"eval.json", "report.md", "predictions.jsonl", "data.md"})
    EXPECT_EQ(read_file(out / name), "from an earlier run\n") << name;
  EXPECT_FALSE(std::filesystem::exists(out / ".earlier-run"));
}

// Rows in no split are said on the terminal too, so the counts add up without report.md.
TEST(EvalCli, RowsLeftOutOfEverySplitAreSaid) {
  TempDir dir;
  std::string tickets = read_file(fixture("cli/tickets.csv"));
  std::ofstream(dir.path() / "t.csv") << tickets << "x1,where is my parcel,\nx2,,billing\n";
  CliResult r = run_cli("eval --data " + (dir.path() / "t.csv").string() +
                        " --text text --label category --only linear --quiet --no-inspect --out " +
                        (dir.path() / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("note: 2 of the 122 rows read are in no split: 1 without a label and 1 "
                          "with an empty text"),
            std::string::npos)
      << r.output;
}

// With [privacy] redact, the data-quality files and eval.json quote rows redacted: they held the
// personal data that never left for an endpoint.
TEST(EvalCli, TheDataQualityReportQuotesRowsRedacted) {
  TempDir dir;
  std::string tickets = read_file(fixture("cli/tickets.csv"));
  std::ofstream(dir.path() / "t.csv") << tickets
                                      << "c1,refund to zed@example.com please,billing\n"
                                         "c2,refund to zed@example.com please,shipping\n"
                                         "c3,refund to zed@example.com please,billing\n";
  for (bool redact : {false, true}) {
    std::string name = redact ? "on" : "off";
    std::ofstream(dir.path() / (name + ".toml"))
        << "[data]\npath = \"" << (dir.path() / "t.csv").string()
        << "\"\nlabel = \"category\"\n\n[[approach]]\nname = \"lin\"\nkind = \"linear\"\n"
        << (redact ? "\n[privacy]\nredact = [\"email\"]\n" : "");
    CliResult r = run_cli("eval --quiet --config " + (dir.path() / (name + ".toml")).string() +
                          " --out " + (dir.path() / name).string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::string all;
    for (const char* f : {"eval.json", "data.md", "data.html", "data.json", "suspect_labels.csv"})
      all += read_file(dir.path() / name / f);
    EXPECT_EQ(all.find("zed@example.com") != std::string::npos, !redact) << name;
  }
}

TEST(EvalCli, ReadsAConfigWithJsonlAndNamedApproaches) {
  TempDir dir;
  std::ofstream(dir.path() / "project.toml")
      << "[data]\npath = \"" << fixture("cli/tickets.jsonl")
      << "\"\ntext = \"message\"\nlabel = \"topic\"\nseed = 3\n\n"
         "[[approach]]\nname = \"svm\"\nkind = \"linear\"\n"
         "hosting = { usd_per_hour = 1.0, instances = 2 }\n\n"
         "[business]\nqueries_per_day = 500\n";
  CliResult r = run_cli("eval --quiet --config " + (dir.path() / "project.toml").string() +
                        " --out " + (dir.path() / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json eval = read_json(dir.path() / "out" / "eval.json");
  ASSERT_EQ(eval["approaches"].size(), 1u);
  EXPECT_EQ(eval["approaches"][0]["name"], "svm");
  // Two always-on instances at $1/hour for a 30-day month.
  EXPECT_DOUBLE_EQ(eval["approaches"][0]["usd_per_month"].get<double>(), 2 * 24 * 30.0);
  // ... and the table it was priced from, which decide prices again at its own month.
  EXPECT_EQ(eval["approaches"][0]["hosting"]["usd_per_hour"], 1.0);
  EXPECT_EQ(eval["approaches"][0]["hosting"]["instances"], 2);
  EXPECT_TRUE(eval["pairwise"].empty());
}

// Data flags given with --config replace its [data] keys (they were ignored without a word):
// the config names the JSONL file, --data the CSV with other column names.
TEST(EvalCli, DataFlagsGivenWithAConfigReplaceItsDataKeys) {
  TempDir dir;
  std::ofstream(dir.path() / "project.toml")
      << "[data]\npath = \"" << fixture("cli/tickets.jsonl")
      << "\"\ntext = \"message\"\nlabel = \"topic\"\nseed = 3\n\n"
         "[[approach]]\nname = \"svm\"\nkind = \"linear\"\n";
  CliResult r =
      run_cli("eval --quiet --no-inspect --config " + (dir.path() / "project.toml").string() +
              " --data " + fixture("cli/tickets.csv") + " --text text --label category --seed 11" +
              " --out " + (dir.path() / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("note: --data, --text, --label, --seed given with --config: replacing "
                          "the matching [data] keys"),
            std::string::npos)
      << r.output;
  nlohmann::json eval = read_json(dir.path() / "out" / "eval.json");
  EXPECT_EQ(eval["dataset"]["rows"], 120);  // read by the CSV's column names
  EXPECT_EQ(eval["dataset"]["seed"], 11);
  // --train without --test is refused with a config too.
  CliResult half =
      run_cli("eval --quiet --config " + (dir.path() / "project.toml").string() + " --train " +
              fixture("cli/tickets.csv") + " --out " + (dir.path() / "out2").string());
  EXPECT_EQ(half.exit_code, 2) << half.output;
  EXPECT_NE(half.output.find("--train needs --test"), std::string::npos) << half.output;
}

TEST(PredictCli, ClassifiesLinesWithASavedModel) {
  TempDir out;
  ASSERT_EQ(run_cli("eval --quiet --data " + fixture("cli/tickets.csv") +
                    " --label category --out " + out.str())
                .exit_code,
            0);
  // Line 2 is an ideographic space and a word joiner: blank, as the data reader counts it.
  std::ofstream(out.path() / "input.txt")
      << "where is my parcel\n\xE3\x80\x80\xE2\x81\xA0\nmy invoice is wrong\n";
  CliResult r = run_cli("predict --model " + (out.path() / "models" / "linear").string(),
                        (out.path() / "input.txt").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::istringstream lines(r.output);
  std::string line;
  std::vector<std::string> labels;
  while (std::getline(lines, line)) {
    nlohmann::json answer = nlohmann::json::parse(line);
    if (answer["line"] == 2) {  // the blank line: no label, and says so
      EXPECT_TRUE(answer["label"].is_null()) << line;
      EXPECT_EQ(answer["error"], "blank line: no text to classify");
      continue;
    }
    labels.push_back(answer["label"]);
    ASSERT_TRUE(answer.contains("confidence")) << line;  // what serve would answer with
    EXPECT_GT(answer["confidence"].get<double>(), 0.0) << line;
    EXPECT_LE(answer["confidence"].get<double>(), 1.0) << line;
  }
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0], "shipping");
  EXPECT_EQ(labels[1], "billing");

  // A line that is not UTF-8 gets an error line of its own; the lines after it are classified,
  // and the exit status says that one was not.
  std::ofstream(out.path() / "mixed.txt")
      << "where is my parcel\n\xff\xfe bad\nmy invoice is wrong\n";
  CliResult mixed = run_cli("predict --model " + (out.path() / "models" / "linear").string(),
                            (out.path() / "mixed.txt").string());
  EXPECT_EQ(mixed.exit_code, 1) << mixed.output;
  EXPECT_NE(mixed.output.find("\"error\":\"invalid UTF-8 at byte 0: no text to classify\""),
            std::string::npos)
      << mixed.output;
  EXPECT_NE(mixed.output.find("\"line\":3"), std::string::npos) << mixed.output;
  EXPECT_NE(mixed.output.find("1 line was not valid UTF-8 (line 2)"), std::string::npos)
      << mixed.output;
}

TEST(PredictCli, RefusesAFolderAsInputAndDropsAByteOrderMark) {
  TempDir out;
  ASSERT_EQ(run_cli("eval --quiet --no-inspect --only linear --data " + fixture("cli/tickets.csv") +
                    " --label category --out " + out.str())
                .exit_code,
            0);
  std::string model = (out.path() / "models" / "linear").string();
  CliResult folder = run_cli("predict --model " + model + " " + out.str());
  EXPECT_EQ(folder.exit_code, 2) << folder.output;
  EXPECT_NE(folder.output.find(out.str() + ": is a folder"), std::string::npos) << folder.output;

  std::ofstream(out.path() / "bom.txt") << "\xEF\xBB\xBFwhere is my parcel\n";
  CliResult bom = run_cli("predict --model " + model + " " + (out.path() / "bom.txt").string());
  ASSERT_EQ(bom.exit_code, 0) << bom.output;
  EXPECT_EQ(nlohmann::json::parse(bom.output)["text"], "where is my parcel") << bom.output;
}

TEST(PredictCli, RejectsAFolderThatIsNotAModel) {
  TempDir out;
  CliResult r = run_cli("predict --model " + out.str(), "/dev/null");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("approach.json"), std::string::npos) << r.output;
}

}  // namespace
