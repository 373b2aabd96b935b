#pragma once

// `tunecase sim-llm` as a child process, for CLI tests of LLM approaches.

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "run_cli.h"

inline constexpr const char* kKey = "sk-test-7f3a9c1e5b2d4f60a8c9e1b3d5f7a9c1";

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
