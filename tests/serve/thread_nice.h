#pragma once

// The nice values (field 19) and scheduling policies (field 41: 0 SCHED_OTHER, 5 SCHED_IDLE) of
// a process's threads, from /proc/PID/task/*/stat.

#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace tunecase::testing {

// Field `number` (as proc(5) numbers them, from 3 on) of every thread of `pid`.
inline std::vector<int> thread_stat_field(int number, pid_t pid = getpid()) {
  std::vector<int> values;
  std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = stat.rfind(')');              // the name may hold spaces; the fields follow it
    if (close == std::string::npos) continue;  // the thread ended meanwhile
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= number && fields >> field; ++i) {
      if (i == number) values.push_back(std::stoi(field));
    }
  }
  return values;
}

inline std::vector<int> thread_nice_values(pid_t pid = getpid()) {
  return thread_stat_field(19, pid);
}

inline std::vector<int> thread_policies(pid_t pid = getpid()) {
  return thread_stat_field(41, pid);
}

}  // namespace tunecase::testing
