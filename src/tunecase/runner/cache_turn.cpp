#include "tunecase/runner/cache_turn.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <string>

#include <fmt/format.h>

#include "tunecase/core/error.h"

namespace tunecase {
namespace {

// The turns this process holds: lock file -> (descriptor, runs holding it). flock is per open
// file description, so a second descriptor of this process would wait for the first forever.
struct Held {
  int fd = -1;
  int runs = 0;
};
std::mutex held_mutex;
std::map<std::string, Held>& held() {
  static std::map<std::string, Held> turns;
  return turns;
}

// "pid 123 (tunecase eval)": what the lock file says of the process holding it.
std::string holder_of(int fd) {
  char text[256];
  ssize_t n = pread(fd, text, sizeof text - 1, 0);
  if (n <= 0) return "";
  std::string holder(text, static_cast<std::size_t>(n));
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
  return holder;
}

// This process as the lock file names it: "pid 123 (tunecase eval)".
std::string this_process() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string argv0, command;
  std::getline(in, argv0, '\0');
  std::getline(in, command, '\0');
  return fmt::format("pid {} (tunecase{}{})", getpid(), command.empty() ? "" : " ", command);
}

}  // namespace

CacheTurn::CacheTurn(const std::filesystem::path& cache_file, std::ostream& log) {
  if (cache_file.empty()) return;
  lock_file_ = cache_file;
  lock_file_ += ".lock";
  std::lock_guard<std::mutex> lock(held_mutex);
  Held& turn = held()[lock_file_.string()];
  if (turn.runs++ > 0) return;
  std::error_code ignored;
  if (lock_file_.has_parent_path())
    std::filesystem::create_directories(lock_file_.parent_path(), ignored);
  turn.fd = open(lock_file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (turn.fd < 0) {
    const int error = errno;
    held().erase(lock_file_.string());
    throw UserError(fmt::format(
        "{}: cannot create the response cache's lock file ({}); check that the cache's folder "
        "is writable, or give --cache another file (or --no-cache)",
        lock_file_.string(), std::strerror(error)));
  }
  if (flock(turn.fd, LOCK_EX | LOCK_NB) != 0) {
    const std::string holder = holder_of(turn.fd);
    log << fmt::format(
               "waiting for the response cache {}: {} is sending requests through it, and two "
               "runs at once would each pay for the answers both need; this run goes on when "
               "that one ends and takes its answers from the cache (a --cache of its own runs "
               "it alongside instead)",
               cache_file.string(), holder.empty() ? "another tunecase command" : holder)
        << std::endl;
    while (flock(turn.fd, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  const std::string me = this_process() + "\n";
  if (ftruncate(turn.fd, 0) == 0) (void)!pwrite(turn.fd, me.data(), me.size(), 0);
}

CacheTurn::~CacheTurn() {
  if (lock_file_.empty()) return;
  std::lock_guard<std::mutex> lock(held_mutex);
  auto it = held().find(lock_file_.string());
  if (it == held().end() || --it->second.runs > 0) return;
  // The file stays: removing it could let a waiting process lock a file another has replaced.
  close(it->second.fd);  // releases the lock
  held().erase(it);
}

}  // namespace tunecase
