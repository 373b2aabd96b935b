// Budget-capped and unpriced LLM runs through the built binary, against `tunecase sim-llm`.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "run_cli.h"
#include "sim_llm_process.h"

namespace {

// tickets.csv with an LLM approach on sim-llm (model `model`) first and a local one second.
void write_config(const std::filesystem::path& file, int port, const std::string& model) {
  std::ofstream(file) << "[data]\npath = \"" << fixture("cli/tickets.csv")
                      << "\"\nlabel = \"category\"\n\n"
                         "[[approach]]\nname = \"api\"\nkind = \"openai\"\n"
                         "base_url = \"http://127.0.0.1:"
                      << port << "/v1\"\napi_key_env = \"TUNECASE_TEST_KEY\"\nmodel = \"" << model
                      << "\"\nprompt = \"zero_shot\"\n\n"
                         "[[approach]]\nname = \"local-linear\"\nkind = \"linear\"\n\n"
                         "[business]\nqueries_per_day = 1000\ncost_per_error_usd = 2\n"
                         "engineer_usd_per_week = 4000\n";
}

std::string env() {
  return std::string("TUNECASE_TEST_KEY=") + kKey + " ";
}

class PartialRunCli : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = std::make_unique<SimLlmProcess>(dir_.path());
    ASSERT_GT(sim_->port(), 0);
  }
  std::string config(const std::string& model) {
    std::filesystem::path file = dir_.path() / "p.toml";
    write_config(file, sim_->port(), model);
    return file.string();
  }
  std::string out() const { return (dir_.path() / "out").string(); }

  TempDir dir_;
  std::unique_ptr<SimLlmProcess> sim_;
};

TEST_F(PartialRunCli, ABudgetStoppedRunIsMarkedEverywhereAndDecideRefusesIt) {
  std::string cfg = config("gpt-4o-mini");
  CliResult eval = run_cli_with_env(
      env(), "eval --yes --quiet --max-cost 0.0002 --config " + cfg + " --out " + out());
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  nlohmann::json doc = read_json(dir_.path() / "out" / "eval.json");
  const auto& api = doc["approaches"][0];
  std::size_t scored = api["scored"], not_run = api["not_run"];
  ASSERT_GT(scored, 0u);
  ASSERT_GT(not_run, 0u) << "the cap did not stop the run; lower --max-cost";
  EXPECT_EQ(api["partial"], true);
  EXPECT_EQ(api["n"], scored);
  EXPECT_EQ(scored + not_run, doc["dataset"]["test"].get<std::size_t>());
  std::string marker = std::to_string(scored) + "/" + std::to_string(scored + not_run) +
                       " scored, stopped by budget";
  EXPECT_NE(eval.output.find("api (simulated) (partial)"), std::string::npos) << eval.output;
  EXPECT_NE(eval.output.find(marker), std::string::npos) << eval.output;
  std::string report = read_file(dir_.path() / "out" / "report.md");
  EXPECT_EQ(report.find("Every approach was scored on the same"), std::string::npos);
  EXPECT_NE(report.find(marker), std::string::npos);
  EXPECT_EQ(doc["pairwise"][0]["compared_on"], "common_scored_items");
  EXPECT_EQ(doc["pairwise"][0]["n"], scored);

  // The scored items are a random sample, not the first ones of the test split.
  std::ifstream lines(dir_.path() / "out" / "predictions.jsonl");
  std::string line;
  std::size_t position = 0, last_scored = 0;
  std::size_t unscored_lines = 0;
  for (; std::getline(lines, line) && position < scored + not_run; ++position) {
    auto p = nlohmann::json::parse(line);
    if (!p.contains("error") || p["error"].get<std::string>().rfind("not run", 0) != 0) {
      last_scored = position;
      EXPECT_TRUE(p["correct"].is_boolean()) << line;
    } else {
      // Never sent: not scored, as eval.json counts it (it had read "correct": false, and the
      // file's mean was far under the accuracy reported).
      EXPECT_TRUE(p["correct"].is_null()) << line;
      ++unscored_lines;
    }
  }
  EXPECT_EQ(unscored_lines, not_run);
  EXPECT_GE(last_scored, scored) << "only the first items of the test split were scored";

  std::string decide = "decide --config " + cfg + " --eval " + out() + " --out " +
                       (dir_.path() / "decision").string();
  CliResult refused = run_cli(decide);
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("--accept-partial"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find(marker), std::string::npos) << refused.output;

  CliResult accepted = run_cli(decide + " --accept-partial");
  ASSERT_EQ(accepted.exit_code, 0) << accepted.output;
  nlohmann::json decision = read_json(dir_.path() / "decision" / "decision.json");
  const auto& risks = decision["recommendation"]["risks"];
  EXPECT_NE(risks.dump().find("PARTIAL measurement of api: " + marker), std::string::npos) << risks;
  std::string memo = read_file(dir_.path() / "decision" / "memo.md");
  EXPECT_NE(memo.find("PARTIAL measurement of api: " + marker), std::string::npos);
}

TEST_F(PartialRunCli, AnUnpricedModelIsNotSentWithoutYesOrATerminal) {
  std::string cfg = config("house-model-without-a-price");
  std::filesystem::path no_terminal = dir_.path() / "empty-stdin";
  std::ofstream(no_terminal).flush();
  CliResult refused = run_cli_with_env(
      env(), "eval --quiet --only api --config " + cfg + " --out " + out(), no_terminal.string());
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("--yes"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("no price"), std::string::npos) << refused.output;
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "out" / "eval.json"));

  CliResult confirmed =
      run_cli_with_env(env(), "eval --yes --quiet --only api --config " + cfg + " --out " + out(),
                       no_terminal.string());
  EXPECT_EQ(confirmed.exit_code, 0) << confirmed.output;
}

// A run interrupted with Ctrl-C writes what it sent to audit.json and says how to resume (it
// died without a word, and its audit was never written); while it runs, a second command on
// the same output folder is refused (two runs there paid for every answer twice).
TEST(InterruptedRunCli, SigintWritesTheAuditAndASecondRunOnTheFolderIsRefused) {
  TempDir dir;
  ServerProcess slow(dir.path(), "slow", {"sim-llm", "--latency-ms", "200"});
  ASSERT_GT(slow.port(), 0);
  const std::string cfg = (dir.path() / "p.toml").string();
  write_config(cfg, slow.port(), "gpt-4o-mini");
  const std::filesystem::path out = dir.path() / "out", log = dir.path() / "eval.log";
  const std::string cache = (dir.path() / "c.sqlite").string();
  // An earlier run's results: set aside while this one runs, back in place when it is stopped
  // before it has answers of its own (they had stayed in out/.earlier-run/ without a word).
  std::filesystem::create_directories(out);
  std::ofstream(out / "eval.json") << "{\"from\": \"an earlier run\"}\n";
  pid_t pid = fork();
  if (pid == 0) {
    setenv("TUNECASE_TEST_KEY", kKey, 1);
    FILE* f = std::fopen(log.c_str(), "w");
    dup2(fileno(f), 1);
    dup2(fileno(f), 2);
    execl(TUNECASE_BIN, TUNECASE_BIN, "eval", "--yes", "--no-inspect", "--only", "api",
          "--concurrency", "1", "--max-cost", "100", "--cache", cache.c_str(), "--config",
          cfg.c_str(), "--out", out.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // The audit is written every two seconds while requests leave.
  int64_t sent = 0;
  for (int i = 0; i < 100 && sent == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::string text = read_file(out / "audit.json");
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (!doc.is_discarded() && doc.is_object()) sent = doc["totals"].value("requests", int64_t{0});
  }
  ASSERT_GT(sent, 0) << read_file(log);
  CliResult second = run_cli_with_env(
      env(), "eval --yes --no-inspect --only api --config " + cfg + " --out " + out.string());
  EXPECT_EQ(second.exit_code, 2) << second.output;
  EXPECT_NE(second.output.find("another tunecase command is running on this output folder (pid " +
                               std::to_string(pid) + " (tunecase eval))"),
            std::string::npos)
      << second.output;
  // decide on the folder meanwhile: the running command, not "killed" (it had said the eval was
  // stopped and told the user to run it again).
  CliResult decide = run_cli_with_env(env(), "decide --config " + cfg + " --eval " + out.string() +
                                                 " --out " + (dir.path() / "memo").string());
  EXPECT_EQ(decide.exit_code, 2) << decide.output;
  EXPECT_NE(decide.output.find("a tunecase command is running on this folder (pid " +
                               std::to_string(pid) +
                               " (tunecase eval)): its results and models "
                               "are not final"),
            std::string::npos)
      << decide.output;
  EXPECT_NE(decide.output.find("run decide when it ends"), std::string::npos) << decide.output;
  EXPECT_EQ(decide.output.find("killed"), std::string::npos) << decide.output;

  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130) << read_file(log);
  EXPECT_NE(read_file(log).find("the same command again sends only the rest"), std::string::npos)
      << read_file(log);
  EXPECT_NE(read_file(log).find("The earlier run's results, set aside, are back in place"),
            std::string::npos)
      << read_file(log);
  EXPECT_EQ(read_file(out / "eval.json"), "{\"from\": \"an earlier run\"}\n");
  EXPECT_FALSE(std::filesystem::exists(out / ".earlier-run"));
  // What this run was charged, and under a cap that the run again counts its own new spend.
  EXPECT_NE(read_file(log).find("; this run was charged $"), std::string::npos) << read_file(log);
  EXPECT_NE(read_file(log).find("so that run may spend up to its cap on the rest"),
            std::string::npos)
      << read_file(log);
  EXPECT_NE(read_file(log).find("request(s) in flight, whose answers are paid for"),
            std::string::npos)
      << read_file(log);
  nlohmann::json audit = read_json(out / "audit.json");
  EXPECT_EQ(audit["state"], "interrupted (SIGINT)");
  EXPECT_GE(audit["totals"]["requests"].get<int64_t>(), sent);

  // The folder is free again, and the rerun resumes from the cache.
  CliResult again = run_cli_with_env(env(), "eval --yes --no-inspect --only api --cache " + cache +
                                                " --config " + cfg + " --out " + out.string());
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(read_json(out / "audit.json")["state"], "finished");
  // The interrupted run's audit is kept beside it, not deleted, and `tunecase audit` counts it.
  EXPECT_EQ(read_json(out / "audit.run-1.json")["state"], "interrupted (SIGINT)");
  CliResult shown = run_cli_with_env(env(), "audit --json --dir " + out.string());
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  nlohmann::json all = nlohmann::json::parse(shown.output);
  ASSERT_EQ(all["earlier_runs"].size(), 1u) << shown.output;
  EXPECT_EQ(all["earlier_runs"][0]["file"], "audit.run-1.json");
  EXPECT_EQ(all["all_runs"]["requests"].get<int64_t>(),
            all["totals"]["requests"].get<int64_t>() +
                all["earlier_runs"][0]["totals"]["requests"].get<int64_t>());
  // Nothing paid twice: the answer in flight at Ctrl-C was awaited and cached, so the two runs
  // sent one request per test item between them (it had been lost, and sent again).
  EXPECT_EQ(all["all_runs"]["requests"].get<int64_t>(),
            read_json(out / "eval.json")["dataset"]["test"].get<int64_t>())
      << read_file(log);
  // A third run keeps the second's audit too: every run that sent something keeps its record
  // (one slot had lost the first run's uploads after two re-runs).
  CliResult third = run_cli_with_env(env(), "eval --yes --no-inspect --only api --cache " + cache +
                                                " --config " + cfg + " --out " + out.string());
  EXPECT_EQ(third.exit_code, 0) << third.output;
  EXPECT_EQ(read_json(out / "audit.run-1.json")["state"], "interrupted (SIGINT)");
  const bool second_sent = all["totals"]["requests"].get<int64_t>() > 0;
  EXPECT_EQ(std::filesystem::exists(out / "audit.run-2.json"), second_sent);
}

}  // namespace
