#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "run_cli.h"

namespace {

constexpr const char* kKey = "sk-test-7f3a9c1e5b2d4f60a8c9e1b3d5f7a9c1";

// `tunecase sim-llm` as a child process on a free loopback port that insists on kKey.
class SimLlmProcess {
 public:
  explicit SimLlmProcess(const std::filesystem::path& dir) {
    std::filesystem::path port_file = dir / "sim.port";
    pid_ = fork();
    if (pid_ == 0) {
      setenv("SIM_REQUIRED_KEY", kKey, 1);
      std::string port_arg = port_file.string();
      execl(TUNECASE_BIN, TUNECASE_BIN, "sim-llm", "--port", "0", "--port-file", port_arg.c_str(),
            "--require-key-env", "SIM_REQUIRED_KEY", "--rate-429", "0.05", "--retry-after", "0.01",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 200 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      std::string text = read_file(port_file);
      if (!text.empty() && text.back() == '\n') port_ = std::atoi(text.c_str());
    }
  }
  ~SimLlmProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

void write_config(const std::filesystem::path& file, int port) {
  std::ofstream(file) << "[data]\npath = \"" << fixture("cli/tickets.csv")
                      << "\"\nlabel = \"category\"\n\n"
                         "[labels]\nbilling = \"invoices, charges, payments\"\n"
                         "login = \"passwords and signing in\"\n"
                         "shipping = \"parcels and deliveries\"\n"
                         "refund = \"money back\"\n\n"
                         "[[approach]]\nname = \"api-few-shot\"\nkind = \"openai\"\n"
                         "base_url = \"http://127.0.0.1:"
                      << port
                      << "/v1\"\napi_key_env = \"TUNECASE_TEST_KEY\"\nmodel = \"gpt-4o-mini\"\n"
                         "prompt = \"few_shot\"\nshots = 8\nstructured_output = true\n";
}

std::string everything_written(const std::filesystem::path& dir) {
  std::string all;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) all += read_file(entry.path());
  }
  return all;
}

TEST(LlmEvalCli, ScoresAnApiApproachAndNeverWritesTheKey) {
  TempDir dir;
  SimLlmProcess sim(dir.path());
  ASSERT_GT(sim.port(), 0);
  write_config(dir.path() / "p.toml", sim.port());
  std::string env = std::string("TUNECASE_TEST_KEY=") + kKey + " ";
  std::string args = "eval --yes --config " + (dir.path() / "p.toml").string() + " --out " +
                     (dir.path() / "out").string();
  CliResult first = run_cli_with_env(env, args);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  nlohmann::json eval = read_json(dir.path() / "out" / "eval.json");
  const auto& a = eval["approaches"][0];
  EXPECT_EQ(a["simulated"], true);
  EXPECT_EQ(a["n"], eval["dataset"]["test"]);
  EXPECT_EQ(a["error_rate"], 0.0);  // injected 429s were retried, none lost
  EXPECT_GT(a["tokens_in_mean"].get<double>(), 0);
  EXPECT_TRUE(a["usd_per_1k"].is_number());  // gpt-4o-mini is in the price catalogue
  EXPECT_NE(first.output.find("(simulated)"), std::string::npos);

  // A second run answers from the cache: nothing is sent, nothing is paid twice.
  CliResult second = run_cli_with_env(env, args);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  nlohmann::json again = read_json(dir.path() / "out" / "eval.json");
  EXPECT_EQ(again["approaches"][0]["runner"]["requests_sent"], 0);
  EXPECT_EQ(again["approaches"][0]["accuracy"], a["accuracy"]);

  // The key is in no file the runs wrote and in nothing they printed.
  EXPECT_EQ(everything_written(dir.path() / "out").find(kKey), std::string::npos);
  EXPECT_EQ(first.output.find(kKey), std::string::npos);
  EXPECT_EQ(second.output.find(kKey), std::string::npos);
}

TEST(LlmEvalCli, MissingKeyVariableStopsBeforeAnyRequest) {
  TempDir dir;
  write_config(dir.path() / "p.toml", 9);  // nothing listens there; nothing must be tried
  CliResult r = run_cli_with_env("env -u TUNECASE_TEST_KEY ",
                                 "eval --yes --config " + (dir.path() / "p.toml").string() +
                                     " --out " + (dir.path() / "out").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("TUNECASE_TEST_KEY"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("connection refused"), std::string::npos) << r.output;
}

TEST(LlmEvalCli, UnreachableEndpointIsAClearError) {
  TempDir dir;
  write_config(dir.path() / "p.toml", 9);
  CliResult r = run_cli_with_env("TUNECASE_TEST_KEY=x ",
                                 "eval --yes --config " + (dir.path() / "p.toml").string() +
                                     " --out " + (dir.path() / "out").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("127.0.0.1:9"), std::string::npos) << r.output;
}

}  // namespace
