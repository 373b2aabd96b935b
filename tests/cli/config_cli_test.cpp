#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "run_cli.h"

namespace {

void write(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file) << text;
}

std::string data_table() {
  return "[data]\npath = \"" + fixture("cli/tickets.csv") + "\"\nlabel = \"category\"\n";
}

TEST(ConfigCli, TypoInDataStopsWithLineAndSuggestion) {
  TempDir dir;
  write(dir.path() / "p.toml", data_table() + "test_fration = 0.5\n");
  CliResult r = run_cli("eval --quiet --config " + (dir.path() / "p.toml").string() + " --out " +
                        (dir.path() / "out").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("p.toml:4: `test_fration`: unknown key in [data]; did you mean "
                          "`test_fraction`?"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "out"));  // nothing ran
}

TEST(ConfigCli, TypoInAnApproachStopsDecideToo) {
  TempDir dir;
  write(dir.path() / "p.toml",
        "[business]\nqueries_per_day = 100\ncost_per_error_usd = 1\nengineer_usd_per_week = 1\n"
        "[[approach]]\nname = \"svm\"\nkind = \"linear\"\naccuracy = 0.8\n"
        "hostng = { usd_per_hour = 5 }\n");
  CliResult r = run_cli("decide --config " + (dir.path() / "p.toml").string() + " --out " +
                        (dir.path() / "memo").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("p.toml:9: `hostng`"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("did you mean `hosting`?"), std::string::npos) << r.output;
}

TEST(ConfigCli, WrongTypeIsAUserErrorNotAnInternalOne) {
  TempDir dir;
  for (const char* value : {"\"0.1\"", "true", "nan", "inf"}) {
    write(dir.path() / "p.toml", data_table() +
                                     "[[approach]]\nname = \"svm\"\nkind = "
                                     "\"linear\"\nhosting = { usd_per_hour = " +
                                     std::string(value) + " }\n");
    CliResult r = run_cli("check --config " + (dir.path() / "p.toml").string());
    EXPECT_EQ(r.exit_code, 2) << value << r.output;
    EXPECT_NE(r.output.find("hosting.usd_per_hour"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("internal error"), std::string::npos) << r.output;
  }
}

TEST(ConfigCli, CheckPrintsTheSettingsWithDefaultsMarked) {
  TempDir dir;
  write(dir.path() / "p.toml", data_table() + "[[approach]]\nname = \"svm\"\nkind = \"linear\"\n");
  CliResult r = run_cli("check --config " + (dir.path() / "p.toml").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("label = \"category\"\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("C = 1   # default"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("data (read as eval reads it)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" rows, "), std::string::npos) << r.output;
}

// check's counts add up as eval's do: rows in no split, label variants kept apart and
// malformed rows skipped are said (they had been left out of check's lines).
TEST(ConfigCli, CheckSaysTheRowsInNoSplitVariantsAndSkippedRows) {
  TempDir dir;
  std::string csv = "text,category\n";
  for (int i = 0; i < 30; ++i)
    csv += "ticket " + std::to_string(i) + (i % 2 ? ",billing\n" : ",shipping\n");
  csv += "no label here,\nshouted,BILLING\nragged,row,three\n";
  write(dir.path() / "d.csv", csv);
  write(dir.path() / "p.toml",
        "[data]\npath = \"d.csv\"\nlabel = \"category\"\n"
        "skip_invalid = true\n[[approach]]\nname = \"svm\"\nkind = "
        "\"linear\"\n");
  CliResult r = run_cli("check --config " + (dir.path() / "p.toml").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("note: 1 of the 33 rows read are in no split: 1 without a label"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("1 group of labels equal but for case, width or spacing (e.g. "
                          "'billing', 'BILLING')"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("warning: 1 malformed row skipped (skip_invalid)"), std::string::npos)
      << r.output;
}

// What check echoes is TOML that can be pasted back: a backslash in a custom pattern is escaped.
TEST(ConfigCli, CheckEchoesStringsAsTomlStrings) {
  TempDir dir;
  write(dir.path() / "p.toml", data_table() +
                                   "[[approach]]\nname = \"svm\"\nkind = \"linear\"\n\n"
                                   "[privacy]\nredact = [\"custom\"]\n"
                                   "custom = { case_ref = \"CASE\\\\##+\" }\n");
  CliResult r = run_cli("check --config " + (dir.path() / "p.toml").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("custom = { case_ref = \"CASE\\\\##+\" }"), std::string::npos)
      << r.output;
}

// The files an approach names are read as eval reads them: a config was called valid whose
// prompt template or price catalogue eval then could not read. Files a later command writes (a
// model folder, a fine-tuning record) are noted, not refused.
TEST(ConfigCli, CheckReadsTheFilesAnApproachNames) {
  TempDir dir;
  const std::string api =
      "[[approach]]\nname = \"api\"\nkind = \"openai\"\nmodel = \"gpt-4o-mini\"\n";
  write(dir.path() / "p.toml", data_table() + api + "template_file = \"missing.txt\"\n");
  CliResult r = run_cli("check --config " + (dir.path() / "p.toml").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("[[approach]] 'api'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("template_file cannot be read"), std::string::npos) << r.output;
  write(dir.path() / "p.toml", data_table() + api + "prices = \"nope.toml\"\n");
  r = run_cli("check --config " + (dir.path() / "p.toml").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("prices cannot be read"), std::string::npos) << r.output;
  write(dir.path() / "p.toml", data_table() + api + "finetune_record = \"ft/finetune.json\"\n");
  r = run_cli("check --config " + (dir.path() / "p.toml").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("finetune_record " + (dir.path() / "ft/finetune.json").string() +
                          " does not exist yet"),
            std::string::npos)
      << r.output;
}

// The catalogue eval would price from is read too: TUNECASE_PRICES naming no file stops check as
// it stops eval, and a model it has no price for is said.
TEST(ConfigCli, CheckReadsThePriceCatalogueEvalUses) {
  TempDir dir;
  const std::string config = (dir.path() / "p.toml").string();
  write(config, data_table() +
                    "[[approach]]\nname = \"api\"\nkind = \"openai\"\nmodel = \"gpt-4o-mini\"\n");
  CliResult r =
      run_cli_with_env("TUNECASE_PRICES=" + dir.str() + "/none.toml ", "check --config " + config);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("price catalogue cannot be read"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("none.toml"), std::string::npos) << r.output;
  r = run_cli_with_env("env -u TUNECASE_PRICES ", "check --config " + config);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("prices not known"), std::string::npos) << r.output;
  write(config, data_table() +
                    "[[approach]]\nname = \"api\"\nkind = \"openai\"\nmodel = \"house-model-7\"\n");
  r = run_cli_with_env("env -u TUNECASE_PRICES ", "check --config " + config);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("prices not known\n  'api': model 'house-model-7' has no price"),
            std::string::npos)
      << r.output;
  // A price in the table needs no catalogue.
  write(config, data_table() +
                    "[[approach]]\nname = \"api\"\nkind = \"openai\"\nmodel = \"house-model-7\"\n"
                    "price = { input = 1.0, output = 2.0 }\n");
  r = run_cli_with_env("TUNECASE_PRICES=" + dir.str() + "/none.toml ", "check --config " + config);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("prices not known"), std::string::npos) << r.output;
  // An LLM approach without a model stops eval after the data is read, but decide prices it
  // from its typed figures (the shipped seed-fintech example has one): said, not refused (check
  // had refused the example that `tunecase decide` runs).
  write(config, data_table() + "[[approach]]\nname = \"api\"\nkind = \"openai\"\n");
  r = run_cli("check --config " + config);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("approaches only decide can use\n  'api' (" + config + ":4)"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("eval, optimize, curve and serve refuse it until its table has model = "
                          "\"<model id>\""),
            std::string::npos)
      << r.output;
  r = run_cli("check --config " + std::string(TUNECASE_FIXTURES) +
              "/../../examples/seed-fintech.toml");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

// A folder where a file goes, or a file where a model folder goes, is refused for what it is
// (a folder given as the prompt template had been said to lack {text}; as a finetune_record it
// had stopped decide with an internal error); a model folder with no model yet is said.
TEST(ConfigCli, CheckRefusesAFolderWhereAFileGoesAndAFileWhereAFolderGoes) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "adir");
  const std::string config = (dir.path() / "p.toml").string();
  const std::string api =
      "[[approach]]\nname = \"api\"\nkind = \"openai\"\nmodel = \"gpt-4o-mini\"\n";
  for (const char* key : {"template_file", "prices", "finetune_record"}) {
    write(config, data_table() + api + key + " = \"adir\"\n");
    CliResult r = run_cli("check --config " + config);
    EXPECT_EQ(r.exit_code, 2) << key << ": " << r.output;
    EXPECT_NE(r.output.find("is a folder, not"), std::string::npos) << key << ": " << r.output;
  }
  const std::string local = "[[approach]]\nname = \"lin\"\nkind = \"linear\"\n";
  write(config, data_table() + local + "model_dir = \"p.toml\"\n");
  CliResult file = run_cli("check --config " + config);
  EXPECT_EQ(file.exit_code, 2) << file.output;
  EXPECT_NE(file.output.find("p.toml: is a file, not a model folder"), std::string::npos)
      << file.output;
  // A record that is not JSON stops decide: check says so first.
  std::ofstream(dir.path() / "bad.json") << "{not json";
  write(config, data_table() + api + "finetune_record = \"bad.json\"\n");
  CliResult bad = run_cli("check --config " + config);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("bad.json: not a finetune.json"), std::string::npos) << bad.output;
  std::ofstream(dir.path() / "bad.json") << "{}";  // JSON, but no record finetune wrote
  CliResult empty_record = run_cli("check --config " + config);
  EXPECT_EQ(empty_record.exit_code, 2) << empty_record.output;
  EXPECT_NE(empty_record.output.find("bad.json: not a finetune.json"), std::string::npos)
      << empty_record.output;
  // local_only: the approaches the sending commands would refuse are listed.
  write(config, data_table() + api + "\n[privacy]\nlocal_only = true\n");
  CliResult local_only = run_cli("check --config " + config);
  EXPECT_EQ(local_only.exit_code, 0) << local_only.output;
  EXPECT_NE(local_only.output.find("local_only\n  local_only is on"), std::string::npos)
      << local_only.output;
  write(config, data_table() + local + "model_dir = \"adir\"\n");
  CliResult empty = run_cli("check --config " + config);
  EXPECT_EQ(empty.exit_code, 0) << empty.output;
  EXPECT_NE(empty.output.find("holds no trained model yet (no approach.json)"), std::string::npos)
      << empty.output;
  // serve says model_dir is read instead of --eval's folder, and what is wrong with it.
  CliResult serve = run_cli("serve --port 0 --config " + config + " --store " + dir.str() +
                            "/s.db --eval " + dir.str() + "/none");
  EXPECT_EQ(serve.exit_code, 2) << serve.output;
  EXPECT_NE(serve.output.find("model_dir " + (dir.path() / "adir").string() +
                              " holds no trained model (no approach.json; its model_dir is read "
                              "instead of --eval's folder)"),
            std::string::npos)
      << serve.output;
  // decide refuses a folder as the fine-tuning record for what it is (the shipped example, its
  // fine-tuned approach given a model and the folder as its record).
  std::string example =
      read_file(std::string(TUNECASE_FIXTURES) + "/../../examples/seed-fintech.toml");
  const std::string trained = "trained = true\n";
  ASSERT_NE(example.find(trained), std::string::npos);
  example.replace(example.find(trained), trained.size(),
                  trained + "model = \"gpt-4o\"\nfinetune_record = \"adir\"\n");
  write(config, example);
  CliResult decide = run_cli("decide --config " + config + " --out " + dir.str() + "/d");
  EXPECT_EQ(decide.exit_code, 2) << decide.output;
  EXPECT_NE(decide.output.find("adir: is a folder, not a finetune.json"), std::string::npos)
      << decide.output;
}

// What every command would refuse at once is said by check too: an API key variable not set or
// holding a line break (never quoted), a config with no approach; --reference reads no config.
TEST(ConfigCli, CheckSaysWhatTheCommandsWouldRefuseAtOnce) {
  TempDir dir;
  const std::string config = (dir.path() / "p.toml").string();
  write(config, data_table() +
                    "[[approach]]\nname = \"api\"\nkind = \"openai\"\nmodel = \"gpt-4o-mini\"\n"
                    "api_key_env = \"TUNECASE_CHECK_KEY\"\n");
  CliResult unset = run_cli_with_env("env -u TUNECASE_CHECK_KEY ", "check --config " + config);
  EXPECT_EQ(unset.exit_code, 0) << unset.output;
  EXPECT_NE(unset.output.find("API keys this shell could not send\n"), std::string::npos)
      << unset.output;
  EXPECT_NE(unset.output.find("TUNECASE_CHECK_KEY, which is not set"), std::string::npos)
      << unset.output;
  CliResult broken = run_cli_with_env("TUNECASE_CHECK_KEY=$(printf 'sk-SECRET9\\nX: y') ",
                                      "check --config " + config);
  EXPECT_NE(broken.output.find("holds a line break"), std::string::npos) << broken.output;
  EXPECT_EQ(broken.output.find("SECRET9"), std::string::npos) << broken.output;
  CliResult set = run_cli_with_env("TUNECASE_CHECK_KEY=sk-test ", "check --config " + config);
  EXPECT_EQ(set.output.find("API keys"), std::string::npos) << set.output;

  write(config, "");
  CliResult empty = run_cli("check --config " + config);
  EXPECT_EQ(empty.exit_code, 0) << empty.output;
  EXPECT_NE(empty.output.find("nothing to run\n  no [[approach]] table"), std::string::npos)
      << empty.output;
  CliResult both = run_cli("check --reference --config " + config);
  EXPECT_EQ(both.exit_code, 2) << both.output;
  EXPECT_NE(both.output.find("not both"), std::string::npos) << both.output;
}

// A spend cap given on the command line below 1 is refused before anything is read: -5 had been
// taken for "not given", and the config's cap applied without a word. So are a NaN, a tiny or an
// overflowing poll interval (finetune had polled the provider thousands of times a second), a
// NaN threshold (it could never alert) and requests in flight out of range.
TEST(ConfigCli, NumericFlagsOutOfRangeAreRefusedBeforeAnythingIsRead) {
  for (const char* value : {"-5", "0", "2.5"}) {
    CliResult r = run_cli(std::string("optimize --config none.toml --max-calls ") + value);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(std::string("--max-calls: must be a whole number >= 1, not ") + value),
              std::string::npos)
        << r.output;
  }
  for (const auto& [args, message] : std::vector<std::pair<std::string, std::string>>{
           {"finetune --config none.toml --approach a --poll nan",
            "--poll: must be a number of seconds from 1 to 3600, not nan"},
           {"finetune --config none.toml --approach a --poll 0.0001",
            "--poll: must be a number of seconds from 1 to 3600, not 0.0001"},
           {"curve --config none.toml --finetune-poll 1e300",
            "--finetune-poll: must be a number of seconds from 1 to 3600, not 1e300"},
           {"monitor --store none.db --canary-flip-alert nan",
            "--canary-flip-alert: must be a share from 0 to 1, not nan"},
           {"optimize --config none.toml --concurrency 0",
            "--concurrency: must be a whole number from 1 to 1000, not 0"}}) {
    CliResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_NE(r.output.find(message), std::string::npos) << args << ": " << r.output;
  }
}

TEST(ConfigCli, CheckRefusesAFolderForTheConfig) {
  TempDir dir;
  CliResult r = run_cli("check --config " + dir.str());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(dir.str() + ": is a folder, not a config file"), std::string::npos)
      << r.output;
}

// check reads the data as eval would: a missing file or a misspelt column is found there, not
// after the config was called valid.
TEST(ConfigCli, CheckReadsTheDataFiles) {
  TempDir dir;
  write(dir.path() / "missing.toml", "[data]\npath = \"nope.csv\"\n");
  CliResult missing = run_cli("check --config " + (dir.path() / "missing.toml").string());
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("the settings are valid, but [data] cannot be read"),
            std::string::npos)
      << missing.output;
  EXPECT_NE(missing.output.find("nope.csv"), std::string::npos) << missing.output;
  EXPECT_EQ(missing.output.find(": valid"), std::string::npos) << missing.output;
  write(dir.path() / "typo.toml",
        "[data]\npath = \"" + fixture("cli/tickets.csv") + "\"\nlabel = \"categroy\"\n");
  CliResult typo = run_cli("check --config " + (dir.path() / "typo.toml").string());
  EXPECT_EQ(typo.exit_code, 2) << typo.output;
  EXPECT_NE(typo.output.find("no column \"categroy\""), std::string::npos) << typo.output;
  write(dir.path() / "same.toml", "[data]\npath = \"x.csv\"\ntext = \"label\"\n");
  CliResult same = run_cli("check --config " + (dir.path() / "same.toml").string());
  EXPECT_EQ(same.exit_code, 2) << same.output;
  EXPECT_NE(same.output.find("names the same column as text"), std::string::npos) << same.output;
}

// [optimize] and [curve] name approaches: check reads them as optimize and curve do, so a name
// that is not there, or an approach of the wrong kind, is found before those commands run.
TEST(ConfigCli, CheckReadsTheTablesThatNameApproaches) {
  TempDir dir;
  const std::string approaches = data_table() + "[[approach]]\nname = \"svm\"\nkind = \"linear\"\n";
  write(dir.path() / "opt.toml", approaches + "[optimize]\nmodels = [\"nope\"]\n");
  CliResult opt = run_cli("check --config " + (dir.path() / "opt.toml").string());
  EXPECT_EQ(opt.exit_code, 2) << opt.output;
  EXPECT_NE(opt.output.find("[optimize] models: no [[approach]] named \"nope\""), std::string::npos)
      << opt.output;
  write(dir.path() / "kind.toml", approaches + "[optimize]\nmodels = [\"svm\"]\n");
  CliResult kind = run_cli("check --config " + (dir.path() / "kind.toml").string());
  EXPECT_EQ(kind.exit_code, 2) << kind.output;
  EXPECT_NE(kind.output.find("needs an openai or anthropic approach"), std::string::npos)
      << kind.output;
  write(dir.path() / "curve.toml", approaches + "[curve]\napproaches = [\"nothere\"]\n");
  CliResult curve = run_cli("check --config " + (dir.path() / "curve.toml").string());
  EXPECT_EQ(curve.exit_code, 2) << curve.output;
  EXPECT_NE(curve.output.find("[curve] approaches: no [[approach]] named \"nothere\""),
            std::string::npos)
      << curve.output;
  write(dir.path() / "fine.toml", approaches + "[curve]\napproaches = [\"svm\"]\n");
  EXPECT_EQ(run_cli("check --config " + (dir.path() / "fine.toml").string()).exit_code, 0);
}

// A plan written beside a memo is about the memo's pick, whatever the config's first approach
// or [business] baseline; the next decide without [monitor] or [retrain] removes it.
TEST(ConfigCli, ThePlanBesideTheMemoRollsBackTheMemosPick) {
  TempDir dir;
  const std::string scenario =
      "[business]\nqueries_per_month = 200000\ncost_per_error_usd = 1.0\n"
      "engineer_usd_per_week = 5000\nbaseline = \"today\"\n"
      "[[approach]]\nname = \"nano\"\nkind = \"openai\"\nmodel = \"gpt-4.1-nano\"\n"
      "accuracy = 0.70\nusd_per_query = 0.00004\n"
      "[[approach]]\nname = \"today\"\nkind = \"openai\"\nmodel = \"gpt-4o\"\n"
      "accuracy = 0.82\nusd_per_query = 0.002\n"
      "[[approach]]\nname = \"local\"\nkind = \"linear\"\naccuracy = 0.90\n"
      "hosting = { usd_per_month = 100 }\nengineering_weeks = 2\n";
  write(dir.path() / "with.toml", "[monitor]\naccuracy_floor = 0.85\nowner = \"ops\"\n" + scenario);
  write(dir.path() / "without.toml", scenario);
  const std::string out = dir.str() + "/memo";
  CliResult first =
      run_cli("decide --config " + (dir.path() / "with.toml").string() + " --out " + out);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  std::ifstream in(dir.path() / "memo" / "plan.md");
  std::stringstream plan;
  plan << in.rdbuf();
  EXPECT_NE(plan.str().find("The model served after launch: **local** (the decision memo's pick"),
            std::string::npos)
      << plan.str();
  EXPECT_EQ(plan.str().find("nano"), std::string::npos) << plan.str();
  CliResult second =
      run_cli("decide --config " + (dir.path() / "without.toml").string() + " --out " + out);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("removed plan.md, plan.html and plan.json"), std::string::npos)
      << second.output;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "memo" / "plan.md"));
}

TEST(ConfigCli, MonthlyHostingBillReachesEvalAndDecide) {
  TempDir dir;
  write(dir.path() / "p.toml",
        data_table() +
            "[business]\nqueries_per_day = 1000\ncost_per_error_usd = 1\n"
            "engineer_usd_per_week = 1000\n"
            "[[approach]]\nname = \"svm\"\nkind = \"linear\"\nhosting = { usd_per_month = 500 }\n"
            "[[approach]]\nname = \"knn\"\nkind = \"retrieval\"\n"
            "[[approach]]\nname = \"pq\"\nkind = \"linear\"\n"
            "hosting = { usd_per_hour = 1.0, billing = \"per_query\", throughput_per_s = 10 }\n");
  std::string config = (dir.path() / "p.toml").string();
  CliResult eval = run_cli("eval --quiet --config " + config + " --out " + dir.str() + "/out");
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  nlohmann::json e = read_json(dir.path() / "out" / "eval.json");
  EXPECT_EQ(e["approaches"][0]["usd_per_month"], 500.0);
  EXPECT_EQ(e["approaches"][0]["cost_kind"], "hosting_fixed");
  EXPECT_NEAR(e["approaches"][0]["usd_per_1k"].get<double>(), 1000 * 500.0 / 30000, 1e-9);
  EXPECT_EQ(e["approaches"][1]["cost_kind"], "hosting_fixed");  // assumed $0.10/hour, said so
  // A typed throughput prices per-query hosting in eval as in decide ($1/hour over 10 queries/s
  // at 50% utilisation); eval had priced it over the measured tens of thousands a second.
  EXPECT_NEAR(e["approaches"][2]["usd_per_1k"].get<double>(), 1000 * 1.0 / (10 * 0.5 * 3600), 1e-9);
  CliResult decide = run_cli("decide --config " + config + " --eval " + dir.str() + "/out --out " +
                             dir.str() + "/memo");
  ASSERT_EQ(decide.exit_code, 0) << decide.output;
  nlohmann::json d = read_json(dir.path() / "memo" / "decision.json");
  EXPECT_EQ(d["approaches"][0]["inputs"]["hosting_usd_per_month"]["value"], 500.0);
  // A plan an earlier run left in the folder, which this config (no [monitor]) does not write,
  // is named, each file left.
  write(dir.path() / "memo" / "plan.html", "an earlier plan");
  CliResult again = run_cli("decide --config " + config + " --eval " + dir.str() + "/out --out " +
                            dir.str() + "/memo");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("also holds plan.html from an earlier run"), std::string::npos)
      << again.output;
  // The fixed bill's effective price per query, as the memo shows it, is in decision.json.
  EXPECT_NEAR(d["approaches"][0]["inputs"]["effective_usd_per_query"]["value"].get<double>(),
              500.0 / 30000, 1e-9);
  // A field of another type (a hand edit) names the file, as the input's fault: it had been an
  // internal error quoting the JSON library.
  e["approaches"][0]["simulated"] = "yes";
  write(dir.path() / "out" / "eval.json", e.dump());
  CliResult edited = run_cli("decide --config " + config + " --eval " + dir.str() + "/out --out " +
                             dir.str() + "/memo2");
  EXPECT_EQ(edited.exit_code, 2) << edited.output;
  EXPECT_NE(edited.output.find("eval.json holds a value of another type than tunecase writes"),
            std::string::npos)
      << edited.output;
  EXPECT_EQ(edited.output.find("json.exception"), std::string::npos) << edited.output;
  EXPECT_EQ(edited.output.find("internal error"), std::string::npos) << edited.output;
}

TEST(ConfigCli, UnwritableOutputIsAUserErrorForEveryCommand) {
  TempDir dir;
  write(dir.path() / "file", "x");
  std::string blocked = (dir.path() / "file" / "out").string();  // a file stands in the way
  write(dir.path() / "p.toml", data_table() +
                                   "[curve]\nsizes = [20]\nseeds = 1\n"
                                   "[[approach]]\nname = \"svm\"\nkind = \"linear\"\n");
  std::string config = (dir.path() / "p.toml").string();
  for (const std::string& cmd : std::vector<std::string>{
           "curve --config " + config, "demo --tickets 300", "eval --quiet --config " + config}) {
    CliResult r = run_cli(cmd + " --out " + blocked);
    EXPECT_EQ(r.exit_code, 2) << cmd << "\n" << r.output;
    EXPECT_NE(r.output.find(blocked), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("internal error"), std::string::npos) << r.output;
  }
}

TEST(Cli, MisspeltCommandSuggestsTheNearest) {
  CliResult r = run_cli("evl");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("did you mean `eval`?"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("the commands are: demo, eval"), std::string::npos) << r.output;
}

}  // namespace
