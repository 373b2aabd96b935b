#pragma once

#include <filesystem>
#include <ostream>

namespace tunecase {

// A run's turn at a response cache, among processes. Two runs that send through one cache at the
// same time would each find the other's answers missing and pay for both (the cache is read
// before a request is sent, and written when its answer comes). So a batch run (eval, optimize,
// curve) takes the cache's turn before it reads the cache, and holds it until it ends: a second
// process waits, saying for whom, and then finds the first one's answers in the cache.
// The turn is an advisory lock (flock) on FILE.lock beside the cache, released by the kernel if
// the process dies; runs of one process share it. The gateway takes no turn: it answers live
// traffic, and a pilot must not wait for an eval.
class CacheTurn {
 public:
  // Waits for the turn of `cache_file` (nothing when it is empty), telling `log` whom it waits
  // for. UserError when the lock file cannot be made.
  CacheTurn(const std::filesystem::path& cache_file, std::ostream& log);
  ~CacheTurn();
  CacheTurn(const CacheTurn&) = delete;
  CacheTurn& operator=(const CacheTurn&) = delete;

 private:
  std::filesystem::path lock_file_;
};

}  // namespace tunecase
