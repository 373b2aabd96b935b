#include <map>
#include <set>

#include <gtest/gtest.h>

#include "tunecase/data/subsample.h"

namespace tunecase {
namespace {

// 60% a, 30% b, 10% c.
Examples skewed(std::size_t n) {
  Examples out;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t r = i % 10;
    out.push_back({std::to_string(i), "text " + std::to_string(i),
                   r < 6   ? "a"
                   : r < 9 ? "b"
                           : "c",
                   "", 0});
  }
  return out;
}

std::map<std::string, std::size_t> counts(const Examples& e) {
  std::map<std::string, std::size_t> c;
  for (const auto& x : e) ++c[x.label];
  return c;
}

TEST(Subsample, IsStratifiedAtEverySize) {
  Examples train = skewed(1000);
  auto order = stratified_order(train, 3);
  for (std::size_t n : {50u, 100u, 250u, 500u}) {
    auto c = counts(subsample(train, order, n));
    EXPECT_NEAR(static_cast<double>(c["a"]), 0.6 * n, 2.0) << n;
    EXPECT_NEAR(static_cast<double>(c["b"]), 0.3 * n, 2.0) << n;
    EXPECT_NEAR(static_cast<double>(c["c"]), 0.1 * n, 2.0) << n;
  }
}

TEST(Subsample, EveryLabelAppearsAsSoonAsThereIsRoom) {
  Examples train = skewed(1000);
  EXPECT_EQ(counts(subsample(train, stratified_order(train, 1), 3)).size(), 3u);
}

TEST(Subsample, SizesOfOneSeedAreNested) {
  Examples train = skewed(500);
  auto order = stratified_order(train, 9);
  auto small = subsample(train, order, 50), large = subsample(train, order, 200);
  for (std::size_t i = 0; i < small.size(); ++i) EXPECT_EQ(small[i].id, large[i].id);
}

TEST(Subsample, ReproducibleBySeedAndDifferentAcrossSeeds) {
  Examples train = skewed(500);
  EXPECT_EQ(stratified_order(train, 5), stratified_order(train, 5));
  EXPECT_NE(stratified_order(train, 5), stratified_order(train, 6));
  auto order = stratified_order(train, 5);
  EXPECT_EQ(std::set<std::size_t>(order.begin(), order.end()).size(), train.size());
}

}  // namespace
}  // namespace tunecase
