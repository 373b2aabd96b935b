#include "tunecase/runner/cache_turn.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
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

TEST(CacheTurn, NoCacheTakesNoTurn) {
  std::ostringstream log;
  CacheTurn turn("", log);
  EXPECT_TRUE(log.str().empty());
}

}  // namespace
}  // namespace tunecase
