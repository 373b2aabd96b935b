#pragma once

// Servers of the `tunecase` binary (`sim-llm`, `serve`) as child processes on a free loopback
// port, for CLI tests: each writes its port to a file (--port-file) once it listens.

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "run_cli.h"

inline constexpr const char* kKey = "sk-test-7f3a9c1e5b2d4f60a8c9e1b3d5f7a9c1";

// `tunecase ARGS --port 0 --port-file DIR/NAME.port` with ENV added; stopped with SIGTERM.
class ServerProcess {
 public:
  ServerProcess(const std::filesystem::path& dir, const std::string& name,
                std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
    const std::filesystem::path port_file = dir / (name + ".port");
    args.insert(args.end(), {"--port", "0", "--port-file", port_file.string()});
    pid_ = fork();
    if (pid_ == 0) {
      for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> argv = {const_cast<char*>(TUNECASE_BIN)};
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(TUNECASE_BIN, argv.data());
      _exit(127);
    }
    for (int i = 0; i < 400 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      std::string text = read_file(port_file);
      if (!text.empty() && text.back() == '\n') port_ = std::atoi(text.c_str());
    }
  }
  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  int port() const { return port_; }  // 0 when it never listened

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// `tunecase sim-llm` that insists on kKey and answers 5% of requests 429.
class SimLlmProcess : public ServerProcess {
 public:
  explicit SimLlmProcess(const std::filesystem::path& dir)
      : ServerProcess(dir, "sim",
                      {"sim-llm", "--require-key-env", "SIM_REQUIRED_KEY", "--rate-429", "0.05",
                       "--retry-after", "0.01"},
                      {{"SIM_REQUIRED_KEY", kKey}}) {}
};
