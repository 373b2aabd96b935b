#include "tunecase/runner/cache_turn.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "../data/data_test_support.h"

namespace tunecase {
namespace {

// Two processes on one cache: the second waits for the first's turn, says for whom, and goes on
// when it ends (two evals at once had each paid for every answer).
TEST(CacheTurn, ASecondProcessWaitsForTheFirstAndSaysForWhom) {
  testing::TempDir dir;
  const std::filesystem::path cache = dir.path() / "cache.sqlite";
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  if (child == 0) {
    {
      std::ostringstream quiet;
      CacheTurn turn(cache, quiet);
      (void)!write(ready[1], "x", 1);
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
    }
    _exit(0);
  }
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  std::ostringstream log;
  const auto started = std::chrono::steady_clock::now();
  {
    CacheTurn turn(cache, log);
    EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(200));
    // Runs of one process share the turn: a second one does not wait for the first.
    std::ostringstream again;
    CacheTurn second(cache, again);
    EXPECT_TRUE(again.str().empty()) << again.str();
  }
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_NE(log.str().find("waiting for the response cache " + cache.string() + ": pid " +
                           std::to_string(child) + " (tunecase"),
            std::string::npos)
      << log.str();
  // Released: the next turn is taken at once.
  std::ostringstream after;
  CacheTurn next(cache, after);
  EXPECT_TRUE(after.str().empty()) << after.str();
  close(ready[0]);
  close(ready[1]);
}

// A thread waiting for another process's turn on one cache holds up no turn of this process on
// another cache: the process-wide lock had been held across the wait.
TEST(CacheTurn, AWaitForOneCacheHoldsUpNoTurnOnAnother) {
  testing::TempDir dir;
  const std::filesystem::path busy = dir.path() / "busy.sqlite", free = dir.path() / "free.sqlite";
  int ready[2], done[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(done), 0);
  pid_t child = fork();
  if (child == 0) {
    {
      std::ostringstream quiet;
      CacheTurn turn(busy, quiet);
      (void)!write(ready[1], "x", 1);
      char byte = 0;
      (void)!read(done[0], &byte, 1);  // held until the parent says
    }
    _exit(0);
  }
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  std::thread waiter([&] {
    std::ostringstream log;
    CacheTurn turn(busy, log);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the waiter is in its wait
  // In a thread of its own, so that a turn held up fails the test rather than hanging it.
  std::promise<void> taken;
  std::thread other([&] {
    std::ostringstream log;
    CacheTurn turn(free, log);
    taken.set_value();
  });
  const bool in_time =
      taken.get_future().wait_for(std::chrono::seconds(2)) == std::future_status::ready;
  (void)!write(done[1], "x", 1);
  other.join();
  waiter.join();
  EXPECT_TRUE(in_time) << "the turn on another cache waited for the busy one";
  int status = 0;
  waitpid(child, &status, 0);
  for (int fd : {ready[0], ready[1], done[0], done[1]}) close(fd);
}

TEST(CacheTurn, NoCacheTakesNoTurn) {
  std::ostringstream log;
  CacheTurn turn("", log);
  EXPECT_TRUE(log.str().empty());
}

}  // namespace
}  // namespace tunecase
