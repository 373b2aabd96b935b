#include "tunecase/runner/cache_turn.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
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
// While one thread of this process waits for a turn, held_mutex is free: a thread releasing or
// taking a turn on another cache must not wait behind it (held across the wait, it could deadlock
// with another process waiting for a turn this process could not release).
struct Held {
  int fd = -1;
  int runs = 0;
  bool taking = false;  // a thread of this process is opening or waiting for the lock
};
std::mutex held_mutex;
std::condition_variable held_changed;
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
  const std::string key = lock_file_.string();
  std::unique_lock<std::mutex> lock(held_mutex);
  for (;;) {
    Held& turn = held()[key];
    if (turn.taking) {  // another thread of this process is getting it: share it once it has
      held_changed.wait(lock);
      continue;
    }
    if (turn.runs++ > 0) return;
    turn.taking = true;
    break;
  }
  lock.unlock();
  std::error_code ignored;
  if (lock_file_.has_parent_path())
    std::filesystem::create_directories(lock_file_.parent_path(), ignored);
  const int fd = open(lock_file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int error = errno;
    lock.lock();
    held().erase(key);
    held_changed.notify_all();
    throw UserError(fmt::format(
        "{}: cannot create the response cache's lock file ({}); check that the cache's folder "
        "is writable, or give --cache another file (or --no-cache)",
        lock_file_.string(), std::strerror(error)));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const std::string holder = holder_of(fd);
    log << fmt::format(
               "waiting for the response cache {}: {} is sending requests through it, and two "
               "runs at once would each pay for the answers both need; this run goes on when "
               "that one ends and takes its answers from the cache (a --cache of its own runs "
               "it alongside instead)",
               cache_file.string(), holder.empty() ? "another tunecase command" : holder)
        << std::endl;
    while (flock(fd, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  const std::string me = this_process() + "\n";
  if (ftruncate(fd, 0) == 0) (void)!pwrite(fd, me.data(), me.size(), 0);
  lock.lock();
  Held& turn = held()[key];
  turn.fd = fd;
  turn.taking = false;
  held_changed.notify_all();
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
