#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

// Runs the built `tunecase` binary through the shell and captures what it printed.
struct CliResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// `env_prefix` goes before the binary, e.g. "NAME=value " or "env -u NAME ".
inline CliResult run_cli_with_env(const std::string& env_prefix, const std::string& args,
                                  const std::string& stdin_file = "") {
  std::string command = env_prefix + std::string(TUNECASE_BIN) + " " + args + " 2>&1";
  if (!stdin_file.empty()) command += " < " + stdin_file;
  CliResult r;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buffer;
  std::size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) r.output.append(buffer.data(), n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline CliResult run_cli(const std::string& args, const std::string& stdin_file = "") {
  return run_cli_with_env("", args, stdin_file);
}

inline std::string fixture(const std::string& name) {
  return std::string(TUNECASE_FIXTURES) + "/" + name;
}

// A fresh folder under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("tunecase-test-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline nlohmann::json read_json(const std::filesystem::path& p) {
  return nlohmann::json::parse(read_file(p));
}
