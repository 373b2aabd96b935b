// The hand-over from the event loops to the log's writer: nothing lost, nothing twice, each
// producer's order kept, and exactly one push per take says the inbox was empty (the one that
// wakes the writer).

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tunecase/core/mpsc_inbox.h"

namespace tunecase {
namespace {

TEST(MpscInbox, TakesOldestFirstAndSaysWhichPushFoundItEmpty) {
  MpscInbox<std::string> inbox;
  EXPECT_TRUE(inbox.empty());
  EXPECT_TRUE(inbox.push("a"));
  EXPECT_FALSE(inbox.push("b"));
  EXPECT_FALSE(inbox.push("c"));
  EXPECT_FALSE(inbox.empty());
  std::vector<std::string> out = {"kept"};
  EXPECT_EQ(inbox.take_into(out), 3u);
  EXPECT_EQ(out, (std::vector<std::string>{"kept", "a", "b", "c"}));
  EXPECT_TRUE(inbox.empty());
  EXPECT_EQ(inbox.take_into(out), 0u);
  EXPECT_TRUE(inbox.push("d"));
}

TEST(MpscInbox, ManyProducersOneTakerLoseNothing) {
  constexpr int kProducers = 4, kEach = 20000;
  MpscInbox<std::pair<int, int>> inbox;
  std::atomic<int> firsts{0}, done{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kEach; ++i)
        if (inbox.push({p, i})) ++firsts;
      ++done;
    });
  }
  std::vector<int> next(kProducers, 0);
  int takes = 0, received = 0;
  std::vector<std::pair<int, int>> got;
  while (received < kProducers * kEach) {
    const bool all_pushed = done == kProducers;
    got.clear();
    if (inbox.take_into(got) > 0) ++takes;
    for (auto [p, i] : got) {
      ASSERT_EQ(i, next[p]) << "producer " << p << " out of order or twice";
      ++next[p];
    }
    received += static_cast<int>(got.size());
    if (all_pushed && got.empty()) break;  // everything pushed was taken
  }
  for (auto& t : producers) t.join();
  EXPECT_EQ(received, kProducers * kEach);
  EXPECT_TRUE(inbox.empty());
  EXPECT_EQ(firsts.load(), takes);
}

}  // namespace
}  // namespace tunecase
