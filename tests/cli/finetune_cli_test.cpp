// `tunecase finetune` end to end against an in-process sim-llm: a run killed with SIGKILL while
// its job is in progress is re-run and follows the same job, so the provider sees one job.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "run_cli.h"
#include "tunecase/llm/sim_llm_server.h"

namespace {

constexpr const char* kFtKey = "sk-ft-cli-2b7d9e1f3a5c";

std::filesystem::path scratch_dir(const std::string& name) {
  auto dir = std::filesystem::path(TUNECASE_BIN).parent_path() / "test-scratch" / "cli" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void write_config(const std::filesystem::path& file, int port) {
  std::ofstream(file) << "[data]\npath = \"" << fixture("cli/tickets.csv")
                      << "\"\nlabel = \"category\"\n\n[[approach]]\nname = \"ft\"\n"
                         "kind = \"openai\"\nbase_url = \"http://127.0.0.1:"
                      << port
                      << "/v1\"\napi_key_env = \"FT_CLI_KEY\"\nmodel = \"gpt-4.1-mini\"\n"
                         "finetune = { base_model = \"gpt-4.1-mini-2025-04-14\", epochs = 2 }\n";
}

TEST(FinetuneCli, AKilledRunReRunFollowsTheSameJobAndPaysForNoSecond) {
  tunecase::SimLlmOptions o;
  o.require_key = kFtKey;
  o.finetune.queue_s = 1.0;
  o.finetune.run_s = 0.5;
  tunecase::SimLlmServer server(o);
  int port = server.start();
  auto dir = scratch_dir("finetune_kill");
  write_config(dir / "tunecase.toml", port);
  std::string config = (dir / "tunecase.toml").string(), out = (dir / "out").string();
  setenv("FT_CLI_KEY", kFtKey, 1);

  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execl(TUNECASE_BIN, TUNECASE_BIN, "finetune", "--config", config.c_str(), "--approach", "ft",
          "--out", out.c_str(), "--yes", "--poll", "1", static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string job_id;
  for (int i = 0; i < 400 && job_id.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto record = nlohmann::json::parse(read_file(dir / "out" / "finetune.json"), nullptr, false);
    if (record.is_object() && record.contains("job") && record["job"].contains("id"))
      job_id = record["job"]["id"];
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_FALSE(job_id.empty()) << "the first run never recorded its job";
  ASSERT_TRUE(WIFSIGNALED(status)) << "the first run ended before it was killed";
  EXPECT_EQ(server.stats().finetune_jobs, 1u);

  // No --yes: resuming spends nothing new, so nothing is asked.
  auto again = run_cli("finetune --config " + config + " --approach ft --out " + out + " --poll 1");
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("nothing paid again"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("fine-tuned model: ft:gpt-4.1-mini-2025-04-14"), std::string::npos)
      << again.output;
  EXPECT_EQ(server.stats().finetune_jobs, 1u);
  auto record = read_json(dir / "out" / "finetune.json");
  EXPECT_EQ(record["job"]["id"], job_id);
  EXPECT_EQ(record["job"]["status"], "succeeded");
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      EXPECT_EQ(read_file(entry.path()).find(kFtKey), std::string::npos) << entry.path();
    }
  }
  EXPECT_EQ(again.output.find(kFtKey), std::string::npos);
}

TEST(FinetuneCli, WithoutYesOrATerminalNothingIsSpent) {
  tunecase::SimLlmServer server(tunecase::SimLlmOptions{});
  int port = server.start();
  auto dir = scratch_dir("finetune_refused");
  write_config(dir / "tunecase.toml", port);
  auto r = run_cli_with_env("FT_CLI_KEY=x ",
                            "finetune --config " + (dir / "tunecase.toml").string() +
                                " --approach ft --out " + (dir / "out").string(),
                            "/dev/null");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--yes"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(estimated"), std::string::npos) << r.output;
  EXPECT_EQ(server.stats().finetune_jobs, 0u);
}

}  // namespace
