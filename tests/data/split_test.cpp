#include "tunecase/data/split.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data_test_support.h"
#include "tunecase/core/error.h"
#include "tunecase/core/utc_time.h"

namespace tunecase {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::make_example;

// `counts[label]` examples per label, texts unique.
Examples labelled(const std::map<std::string, int>& counts) {
  Examples ex;
  for (const auto& [label, n] : counts) {
    for (int i = 0; i < n; ++i) ex.push_back(make_example(label + " " + std::to_string(i), label));
  }
  return ex;
}

std::set<std::string> labels_in(const Examples& ex) {
  std::set<std::string> s;
  for (const auto& e : ex) s.insert(e.label);
  return s;
}

std::vector<std::string> ids(const Examples& ex) {
  std::vector<std::string> out;
  for (const auto& e : ex) out.push_back(e.id);
  return out;
}

TEST(Split, KeepsEveryLabelWithTwoExamplesInTrainAndTest) {
  Examples ex = labelled({{"a", 2}, {"b", 3}, {"c", 50}, {"d", 7}});
  Splits s = split_examples(ex, {});
  std::set<std::string> all = {"a", "b", "c", "d"};
  EXPECT_EQ(labels_in(s.train), all);
  EXPECT_EQ(labels_in(s.test), all);
  EXPECT_EQ(s.train.size() + s.dev.size() + s.test.size(), ex.size());
  EXPECT_TRUE(s.rare_labels.empty());
}

TEST(Split, FollowsTheFractionsOnALargeLabel) {
  Splits s = split_examples(labelled({{"a", 100}}), {"stratified", 0.2, 0.1, 7});
  EXPECT_EQ(s.test.size(), 20u);
  EXPECT_EQ(s.dev.size(), 10u);
  EXPECT_EQ(s.train.size(), 70u);
}

TEST(Split, ListsRareLabelsAndKeepsThemInTrain) {
  Splits s = split_examples(labelled({{"a", 10}, {"lonely", 1}, {"solo", 1}}), {});
  EXPECT_THAT(s.rare_labels, ElementsAre("lonely", "solo"));
  EXPECT_TRUE(labels_in(s.train).contains("lonely"));
  EXPECT_FALSE(labels_in(s.test).contains("lonely"));
  EXPECT_FALSE(labels_in(s.dev).contains("solo"));
}

TEST(Split, IsReproducibleWithTheSameSeed) {
  Examples ex = labelled({{"a", 30}, {"b", 20}});
  Splits first = split_examples(ex, {"stratified", 0.2, 0.1, 42});
  Splits second = split_examples(ex, {"stratified", 0.2, 0.1, 42});
  EXPECT_EQ(ids(first.test), ids(second.test));
  EXPECT_EQ(ids(first.dev), ids(second.dev));
}

TEST(Split, ChangesWithTheSeed) {
  Examples ex = labelled({{"a", 30}, {"b", 20}});
  Splits first = split_examples(ex, {"stratified", 0.2, 0.1, 1});
  Splits second = split_examples(ex, {"stratified", 0.2, 0.1, 2});
  EXPECT_NE(ids(first.test), ids(second.test));
}

TEST(Split, IsTheSameOnEveryPlatform) {
  // Pinned output, cross-checked with an independent Python FNV-1a 64 and splitmix64 finaliser
  // ordering the rows by mix64(fnv1a64(text) ^ mix64(seed)). A change here means users' splits
  // would silently move.
  Splits s = split_examples(labelled({{"a", 10}}), {"stratified", 0.2, 0.1, 7});
  EXPECT_THAT(ids(s.test), ElementsAre("a 1", "a 7"));
  EXPECT_THAT(ids(s.dev), ElementsAre("a 8"));
}

TEST(Split, RowsAppendedToTheFileMoveFewEarlierTestRows) {
  // A team adds a month of tickets and runs eval again: the earlier test rows should stay test
  // rows (their LLM answers come from the cache and the figures stay comparable). A shuffle
  // seeded by the row count had kept about a fifth of them.
  Examples before = labelled({{"a", 400}, {"b", 300}, {"c", 100}});
  Examples after = before;
  Examples more = labelled({{"a", 500}, {"b", 350}, {"c", 150}, {"d", 40}});
  for (auto& e : more) {
    if (std::stoi(e.text.substr(e.text.rfind(' ') + 1)) >= (e.label == "a"   ? 400
                                                            : e.label == "b" ? 300
                                                            : e.label == "c" ? 100
                                                                             : 0))
      after.push_back(e);
  }
  Splits first = split_examples(before, {});
  Splits second = split_examples(after, {});
  std::set<std::string> test_after;
  for (const auto& e : second.test) test_after.insert(e.id);
  std::size_t kept = 0;
  for (const auto& e : first.test) kept += test_after.contains(e.id);
  EXPECT_GE(kept, first.test.size() * 9 / 10) << kept << " of " << first.test.size();
  EXPECT_EQ(second.test.size(), 100u + 70u + 30u + 8u);
}

TEST(Split, TheSameTextLandsInTheSameSplitWhateverItsId) {
  // The order follows the text, not the row's id or place: a re-export with other ids or
  // another row order splits the same way.
  Examples ex = labelled({{"a", 50}});
  Examples renamed = ex;
  std::reverse(renamed.begin(), renamed.end());
  for (auto& e : renamed) e.id = "re-" + e.id;
  std::set<std::string> first, second;
  for (const auto& e : split_examples(ex, {}).test) first.insert(e.text);
  for (const auto& e : split_examples(renamed, {}).test) second.insert(e.text);
  EXPECT_EQ(first, second);
}

TEST(Split, KeepsInputOrderWithinASplit) {
  Splits s = split_examples(labelled({{"a", 40}}), {});
  for (std::size_t i = 1; i < s.train.size(); ++i) {
    EXPECT_LT(std::stoi(s.train[i - 1].text.substr(2)), std::stoi(s.train[i].text.substr(2)));
  }
}

TEST(Split, TimeSplitTrainsOnTheOldestAndTestsOnTheNewest) {
  Examples ex;
  for (int day = 10; day >= 1; --day) {  // file order is newest first
    ex.push_back(make_example("t" + std::to_string(day), day % 2 ? "a" : "b",
                              fmt::format("2024-03-{:02d}T09:00:00Z", day)));
  }
  Splits s = split_examples(ex, {"time", 0.2, 0.1, 7});
  EXPECT_THAT(ids(s.train), ElementsAre("t1", "t2", "t3", "t4", "t5", "t6", "t7"));
  EXPECT_THAT(ids(s.dev), ElementsAre("t8"));
  EXPECT_THAT(ids(s.test), ElementsAre("t9", "t10"));
}

TEST(Split, TimeSplitOrdersByTheInstantNotTheText) {
  // As text, "1700000000" < "2023-..." < "2024-01-01T01:00:00+02:00" < "2024-01-01T00:30:00Z";
  // as instants the order is t1 (2023-11-14, Unix seconds) ... t5.
  Examples ex = {make_example("t4", "a", "2024-01-01T01:00:00+02:00"),  // 2023-12-31 23:00 UTC
                 make_example("t5", "b", "2024-01-01T00:30:00Z"),
                 make_example("t1", "a", "1700000000"), make_example("t3", "b", "2023-12-31 10:00"),
                 make_example("t2", "a", "2023-12-01")};
  for (int i = 6; i <= 10; ++i)  // Unix milliseconds, later than all of the above
    ex.push_back(make_example(fmt::format("t{}", i), i % 2 ? "a" : "b",
                              std::to_string(1704100000000LL + i * 1000)));
  Splits s = split_examples(ex, {"time", 0.2, 0.1, 7});
  EXPECT_THAT(ids(s.train), ElementsAre("t1", "t2", "t3", "t4", "t5", "t6", "t7"));
  EXPECT_THAT(ids(s.test), ElementsAre("t9", "t10"));
}

TEST(Split, TimeSplitNamesARowWhoseTimeItCannotRead) {
  Examples ex = {make_example("t1", "a", "2024-03-01"), make_example("t2", "b", "03/01/2024")};
  try {
    split_examples(ex, {"time", 0.2, 0.1, 7});
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("time '03/01/2024' is not a time tunecase reads"));
    EXPECT_THAT(e.what(), HasSubstr("Unix seconds"));
  }
}

TEST(ParseDataTime, ReadsIsoWithOffsetsAndUnixTimes) {
  EXPECT_EQ(parse_data_time("1970-01-01"), 0);
  EXPECT_EQ(parse_data_time("1970-01-01T01:00:00Z"), 3'600'000);
  EXPECT_EQ(parse_data_time("1970-01-01 01:00"), 3'600'000);
  EXPECT_EQ(parse_data_time("1970-01-01T03:00:00+02:00"), 3'600'000);
  EXPECT_EQ(parse_data_time("1970-01-01T00:00:00-0130"), 5'400'000);
  EXPECT_EQ(parse_data_time("1970-01-01T03:00+02"), 3'600'000);
  // A fraction keeps its milliseconds, as a numeric time does (it had been dropped).
  EXPECT_EQ(parse_data_time("1970-01-01T01:00:00.250Z"), 3'600'250);
  EXPECT_EQ(parse_data_time("1970-01-01T01:00:00.5+00:00"), 3'600'500);
  EXPECT_EQ(parse_data_time("1970-01-01T01:00:00.999999Z"), 3'600'999);
  EXPECT_EQ(parse_data_time("1970-01-01t01:00:00z"), 3'600'000);  // RFC 3339 allows lower case
  EXPECT_FALSE(parse_data_time("1970-01-01T01:00:00.Z"));
  EXPECT_EQ(parse_data_time(" 1709251200 "), 1'709'251'200'000);
  EXPECT_EQ(parse_data_time("1709251200123"), 1'709'251'200'123);
  EXPECT_FALSE(parse_data_time("03/01/2024"));
  EXPECT_FALSE(parse_data_time("20240301"));  // a compact date, not Unix seconds in 1970
  EXPECT_FALSE(parse_data_time(""));
  EXPECT_FALSE(parse_data_time("2024-13-01"));
  EXPECT_FALSE(parse_data_time("1970-01-01T00:30:00+01:00"));  // before 1970 in UTC
  EXPECT_FALSE(parse_data_time("2024-03-01T10:00:00 UTC"));
}

// A well-formed date before 1970 is told apart from a format tunecase does not read.
TEST(ParseDataTime, SaysWhyATimeIsRefused) {
  EXPECT_EQ(data_time_problem("1900-01-01T00:00:00Z"),
            "is before 1970, the earliest time tunecase reads");
  EXPECT_THAT(data_time_problem("03/01/2024"), HasSubstr("is not a time tunecase reads; use ISO"));
}

TEST(Split, RejectsFractionsThatLeaveNoTrainingData) {
  try {
    split_examples(labelled({{"a", 10}}), {"stratified", 0.6, 0.5, 7});
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("test_fraction + dev_fraction < 1"));
  }
}

TEST(Split, RejectsUnknownMethod) {
  EXPECT_THROW(split_examples(labelled({{"a", 10}}), {"random", 0.2, 0.1, 7}), UserError);
}

TEST(RemoveLeakage, RemovesTestTextsSeenInTrainOrDev) {
  Splits s;
  s.train = {make_example("Cannot log in", "login"), make_example("refund", "refund")};
  s.dev = {make_example("cannot  LOG in", "login"), make_example("card declined", "billing")};
  s.test = {make_example("CARD declined", "billing"), make_example("REFUND", "refund"),
            make_example("new text", "login")};
  EXPECT_EQ(remove_leakage(s), 2u);
  EXPECT_EQ(s.leaked_into_train, 2u);
  EXPECT_EQ(s.dev_leaked_into_train, 1u);
  EXPECT_THAT(ids(s.test), ElementsAre("new text"));
  EXPECT_THAT(ids(s.dev), ElementsAre("card declined"));
}

// Copies that carry another label than the text kept are counted: the files disagree on the
// label, which data.md says (they had been merged silently, "conflicting labels: 0").
TEST(RemoveLeakage, CountsCopiesWithAnotherLabel) {
  Splits s;
  s.train = {make_example("Cannot log in", "login"), make_example("refund", "refund")};
  s.dev = {make_example("cannot log in", "account")};  // another label than train's
  s.test = {make_example("REFUND", "billing"), make_example("refund", "refund")};
  remove_leakage(s);
  EXPECT_EQ(s.leaked_with_other_label, 2u);
  EXPECT_EQ(s.leaked_into_train + s.dev_leaked_into_train, 3u);
  // Each is named, with the copy kept, so the user can check which label is right ("check which
  // is right" had named no row).
  ASSERT_EQ(s.leak_conflict_samples.size(), 2u);
  const LeakConflict& dev = s.leak_conflict_samples[0];
  EXPECT_EQ(dev.text, "cannot log in");
  EXPECT_EQ(dev.removed_split, "dev");
  EXPECT_EQ(dev.removed_label, "account");
  EXPECT_EQ(dev.kept_split, "train");
  EXPECT_EQ(dev.kept_label, "login");
  EXPECT_EQ(dev.kept_id, "Cannot log in");
  const LeakConflict& test = s.leak_conflict_samples[1];
  EXPECT_EQ(test.removed_split, "test");
  EXPECT_EQ(test.removed_label, "billing");
  EXPECT_EQ(test.kept_label, "refund");
}

TEST(RemoveLeakage, AddsToAnEarlierCount) {
  Splits s;
  s.leaked_into_train = 3;
  s.train = {make_example("a", "x")};
  s.test = {make_example("A", "x")};
  EXPECT_EQ(remove_leakage(s), 1u);
  EXPECT_EQ(s.leaked_into_train, 4u);
}

}  // namespace
}  // namespace tunecase
