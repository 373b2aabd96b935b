// The runner against `tunecase sim-llm` over real HTTP on loopback.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tunecase/config/approach_settings.h"
#include "tunecase/core/error.h"
#include "tunecase/llm/sim_llm_server.h"
#include "tunecase/runner/llm_runner.h"

namespace tunecase {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kKeyVariable = "TUNECASE_RUNNER_TEST_KEY";
constexpr const char* kKey = "sk-runner-test-7d1e0b95";
constexpr std::size_t kKillItems = 200;
constexpr int kKillConcurrency = 4;

const std::vector<std::string> kLabels = {"billing", "shipping", "technical"};

Examples tickets(std::size_t n, std::size_t offset) {
  const std::vector<std::vector<std::string>> words = {
      {"invoice", "refund", "charged", "payment", "receipt"},
      {"parcel", "delivery", "courier", "tracking", "package"},
      {"crash", "error", "login", "bug", "freeze"}};
  Examples out;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t k = (i + offset) % 3;
    std::string text = "ticket " + std::to_string(i + offset) + ": my " + words[k][i % 5] +
                       " and " + words[k][(i / 5 + 1) % 5] + " problem";
    out.push_back(Example{"", text, kLabels[k], "", 0});
  }
  return out;
}

ApproachConfig sim_approach(int port, const std::string& prompt) {
  nlohmann::json p = {{"name", "sim-" + prompt},
                      {"kind", "openai"},
                      {"base_url", "http://127.0.0.1:" + std::to_string(port) + "/v1"},
                      {"api_key_env", kKeyVariable},
                      {"model", "sim-model"},
                      {"prompt", prompt},
                      {"price", {{"input", 1.0}, {"output", 2.0}}}};
  if (prompt != "zero_shot") p["shots"] = 3;
  return approach_from_json(p, "test.toml");
}

class SimRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv(kKeyVariable, kKey, 1);
    dir_ = std::filesystem::temp_directory_path() /
           ("tunecase_simrun_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    options_.progress = false;
    options_.assume_yes = true;
    options_.concurrency = 8;
    options_.retry_base_delay = std::chrono::milliseconds(5);
    options_.retry_max_delay = std::chrono::milliseconds(20);
  }
  void TearDown() override {
    if (server_) server_->stop();
    std::filesystem::remove_all(dir_);
  }
  int start(SimLlmOptions o) {
    o.require_key = kKey;
    server_ = std::make_unique<SimLlmServer>(o);
    return server_->start();
  }
  LlmRunResult run(const ApproachConfig& a, const Examples& items) {
    auto client = make_http_client(64);
    return run_llm_approach(a, project_, tickets(30, 1000), items, kLabels, options_, *client,
                            log_);
  }

  std::filesystem::path dir_;
  ProjectConfig project_;
  LlmRunOptions options_;
  std::ostringstream log_;
  std::unique_ptr<SimLlmServer> server_;
};

TEST_F(SimRunnerTest, EveryStrategyGetsAnswersMarkedSimulated) {
  int port = start({});
  for (const char* prompt : {"zero_shot", "few_shot", "retrieval_few_shot", "chain_of_thought"}) {
    LlmRunResult r = run(sim_approach(port, prompt), tickets(12, 0));
    EXPECT_EQ(r.evaluated, 12u) << prompt;
    EXPECT_EQ(r.errors, 0u) << prompt;
    EXPECT_TRUE(r.simulated) << prompt;
    EXPECT_GT(r.predictions[0].tokens_in, 0) << prompt;
    EXPECT_LT(r.invalid, 12u) << prompt;
  }
}

TEST_F(SimRunnerTest, StructuredOutputIsAlwaysALabel) {
  int port = start({});
  ApproachConfig a = sim_approach(port, "few_shot");
  a.llm.structured_output = true;
  LlmRunResult r = run(a, tickets(15, 0));
  EXPECT_EQ(r.invalid, 0u);
  EXPECT_EQ(r.evaluated, 15u);
}

TEST_F(SimRunnerTest, InjectedFaultsLoseNothingAndEachItemIsAnsweredOnce) {
  SimLlmOptions o;
  o.rate_429 = 0.2;
  o.rate_500 = 0.1;
  o.rate_timeout = 0.05;
  o.retry_after_s = 0.01;
  o.seed = 3;
  int port = start(o);
  // A third of the attempts fail by design. With 8 attempts an item failed all of them in about
  // one run of 70 (0.35^8 x 60 items), more often under the sanitizers, where a slow answer
  // can also pass a short time-out: 12 attempts and 800 ms make that about one in 5,000.
  options_.timeout = std::chrono::milliseconds(800);
  options_.max_attempts = 12;
  LlmRunResult r = run(sim_approach(port, "few_shot"), tickets(60, 0));
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.evaluated, 60u);
  EXPECT_GT(r.retries, 0u);
  SimLlmStats s = server_->stats();
  EXPECT_EQ(s.completions, 60u);  // billed once per item
  EXPECT_EQ(r.requests_sent, s.requests);
}

TEST_F(SimRunnerTest, SecondRunSendsNothingAndTheKeyIsWrittenNowhere) {
  int port = start({});
  options_.cache_file = dir_ / "cache.sqlite";
  options_.out_dir = dir_ / "out";
  options_.progress = true;
  LlmRunResult a = run(sim_approach(port, "retrieval_few_shot"), tickets(20, 0));
  uint64_t after_first = server_->stats().requests;
  LlmRunResult b = run(sim_approach(port, "retrieval_few_shot"), tickets(20, 0));
  EXPECT_EQ(server_->stats().requests, after_first);
  EXPECT_EQ(b.cache_hits, 20u);
  EXPECT_TRUE(b.simulated);
  for (std::size_t i = 0; i < 20; ++i) EXPECT_EQ(a.predictions[i].label, b.predictions[i].label);
  EXPECT_EQ(log_.str().find(kKey), std::string::npos);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(kKey), std::string::npos) << entry.path();
  }
}

TEST_F(SimRunnerTest, WrongKeyIsAUserError) {
  int port = start({});
  setenv(kKeyVariable, "sk-wrong", 1);
  EXPECT_THROW(run(sim_approach(port, "zero_shot"), tickets(5, 0)), UserError);
}

TEST_F(SimRunnerTest, UnreachableEndpointIsAUserError) {
  int port = start({});
  server_->stop();
  options_.max_attempts = 2;
  try {
    run(sim_approach(port, "zero_shot"), tickets(5, 0));
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot reach"));
  }
}

// A server that never answers in time is not called unreachable: the message gives the time-out
// and the key that sets it (a large self-hosted model is slow, not down).
TEST_F(SimRunnerTest, ASlowEndpointIsToldApartFromAnUnreachableOne) {
  SimLlmOptions held;
  held.rate_timeout = 1.0;  // every request held until the client gives up
  int port = start(held);
  options_.max_attempts = 2;
  ApproachConfig a = sim_approach(port, "zero_shot");
  a.llm.timeout_ms = 150;  // the approach's own time-out, over the runner's 60 s
  try {
    run(a, tickets(3, 0));
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("did not answer within 150 ms, 2 attempts"));
    EXPECT_THAT(e.what(), HasSubstr("timeout_ms"));
    EXPECT_THAT(e.what(), Not(HasSubstr("cannot reach")));
  }
}

// The child half of the SIGKILL test: runs when the parent starts this binary with the
// variables below, and is skipped otherwise.
TEST_F(SimRunnerTest, KilledChildRun) {
  const char* port = std::getenv("TUNECASE_KILL_PORT");
  const char* cache = std::getenv("TUNECASE_KILL_CACHE");
  if (port == nullptr || cache == nullptr) GTEST_SKIP() << "only as the child of the SIGKILL test";
  options_.cache_file = cache;
  options_.concurrency = kKillConcurrency;
  run(sim_approach(std::atoi(port), "few_shot"), tickets(kKillItems, 0));
}

TEST_F(SimRunnerTest, ResumeAfterSigkillRepaysAtMostTheRequestsInFlight) {
  SimLlmOptions o;
  o.latency_base_ms = 10;
  int port = start(o);
  std::filesystem::path cache = dir_ / "cache.sqlite";
  // The child's environment is built before fork: only async-signal-safe calls after it.
  std::vector<std::string> env = {"TUNECASE_KILL_PORT=" + std::to_string(port),
                                  "TUNECASE_KILL_CACHE=" + cache.string()};
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int quiet = open("/dev/null", O_WRONLY);
    dup2(quiet, STDOUT_FILENO);
    execle("/proc/self/exe", "child", "--gtest_filter=SimRunnerTest.KilledChildRun", nullptr,
           envp.data());
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (server_->stats().completions < kKillItems / 3 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // requests the server was serving
  uint64_t answered_before_kill = server_->stats().completions;
  ASSERT_LT(answered_before_kill, kKillItems);

  options_.cache_file = cache;
  options_.concurrency = kKillConcurrency;
  LlmRunResult r = run(sim_approach(port, "few_shot"), tickets(kKillItems, 0));
  EXPECT_EQ(r.evaluated, kKillItems);
  EXPECT_EQ(r.cache_hits + r.requests_sent, kKillItems);
  uint64_t repaid = answered_before_kill - r.cache_hits;
  EXPECT_LE(repaid, static_cast<uint64_t>(kKillConcurrency));
  EXPECT_EQ(server_->stats().completions, answered_before_kill + r.requests_sent);
}

}  // namespace
}  // namespace tunecase
