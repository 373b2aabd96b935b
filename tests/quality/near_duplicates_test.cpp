#include <gtest/gtest.h>

#include "tunecase/quality/near_duplicates.h"

namespace tunecase {
namespace {

std::vector<std::string> distinct_texts(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back("ticket " + std::to_string(i * 7919) + " about order " +
                  std::to_string(i * 104729 % 99991) + " and invoice " + std::to_string(i * 31));
  }
  return out;
}

std::vector<std::string_view> views(const std::vector<std::string>& texts) {
  return {texts.begin(), texts.end()};
}

TEST(NearDuplicates, JaccardIgnoresCaseAndWhitespace) {
  EXPECT_DOUBLE_EQ(shingle_jaccard("Refund my ORDER   please", "refund my order please"), 1.0);
  EXPECT_LT(shingle_jaccard("refund my order please", "where is my parcel today"), 0.2);
  double sim = shingle_jaccard("my card was charged twice for the same order, please refund",
                               "my card was charged twice for the same order - please refund!");
  EXPECT_GT(sim, 0.8);
  EXPECT_LT(sim, 1.0);
}

// Shingles are 5 characters in any script: two Chinese texts differing in 3 of 20 characters
// share 6 of 26 character 5-grams (0.23), where their bytes' 5-grams had read 0.53.
TEST(NearDuplicates, ShinglesAreCharactersNotBytes) {
  EXPECT_NEAR(shingle_jaccard("我的订单还没有发货请尽快处理谢谢您的帮助",
                              "我的订单还没有发货请立刻处理谢谢你的帮助"),
              6.0 / 26.0, 1e-9);
}

TEST(NearDuplicates, FindsPlantedPairsWithinASplit) {
  std::vector<std::string> texts = distinct_texts(500);
  const std::string base =
      "I was billed twice for my subscription this month and would like the extra charge back";
  texts[10] = base;
  texts[200] = base + " thanks";
  texts[350] = "Re: " + base;
  WithinDuplicates d = near_duplicates_within(views(texts), {0.8, 2});
  EXPECT_EQ(d.clusters, 1u);
  EXPECT_EQ(d.redundant_rows, 2u);
  EXPECT_FALSE(d.redundant[10]) << "the first of a cluster is kept";
  EXPECT_TRUE(d.redundant[200]);
  EXPECT_TRUE(d.redundant[350]);
  ASSERT_FALSE(d.examples.empty());
  EXPECT_GE(d.examples.front().similarity, 0.8);
}

TEST(NearDuplicates, FindsPlantedLeakageAcrossSplits) {
  std::vector<std::string> train = distinct_texts(400);
  std::vector<std::string> test;
  for (std::size_t i = 0; i < 100; ++i)
    test.push_back("question number " + std::to_string(i * 7) + " on a different topic " +
                   std::to_string(i * 13 + 5));
  // A reply quoting the ticket: a near-copy that exact matching misses.
  test[3] = train[42] + " (quoted)";
  test[70] = "FW: " + train[300];
  auto hits = near_duplicates_across(views(train), views(test), {0.7, 2});
  std::size_t found = 0;
  for (const auto& h : hits) found += h.has_value();
  EXPECT_EQ(found, 2u);
  ASSERT_TRUE(hits[3].has_value());
  EXPECT_EQ(hits[3]->a, 42u);
  ASSERT_TRUE(hits[70].has_value());
  EXPECT_EQ(hits[70]->a, 300u);
}

TEST(NearDuplicates, ThresholdDecides) {
  std::vector<std::string> texts = {"the quick brown fox jumps over the lazy dog",
                                    "the quick brown fox jumps over the lazy cat"};
  double sim = shingle_jaccard(texts[0], texts[1]);
  EXPECT_EQ(near_duplicates_within(views(texts), {sim - 0.01, 1}).pairs, 1u);
  EXPECT_EQ(near_duplicates_within(views(texts), {sim + 0.01, 1}).pairs, 0u);
}

}  // namespace
}  // namespace tunecase
