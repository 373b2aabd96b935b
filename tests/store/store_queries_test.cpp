// Conformance, read side: the pilot report's figures, on SQLite and on PostgreSQL.

#include <algorithm>
#include <map>
#include <random>
#include <type_traits>

#include "store_fixture.h"

namespace tunecase::testing {
namespace {

TYPED_TEST(StoreConformance, CountsEveryFigureOfEachArm) {
  std::vector<PredictionRecord> batch;
  for (int i = 0; i < 10; ++i) {
    PredictionRecord p =
        prediction("C" + std::to_string(i), "linear", Arm::champion, "a", kT0 + i * 60'000);
    p.latency_ms = 1 + i;  // 1..10 ms
    batch.push_back(p);
  }
  PredictionRecord failed = prediction("X", "llm", Arm::challenger, "", kT0 + 100);
  failed.error = "HTTP 500";
  failed.fallback = true;
  failed.cost_usd.reset();
  PredictionRecord unsure = prediction("Y", "llm", Arm::challenger, "b", kT0 + 200);
  unsure.abstained = true;
  unsure.simulated = true;
  batch.push_back(failed);
  batch.push_back(unsure);
  this->store_->log_predictions(batch);
  this->store_->record_feedback(feedback("Y", "b"));
  this->store_->record_feedback(feedback("C0", "b"));

  auto counts = this->store_->pilot_counts({});
  const ArmFigures* champion = this->arm(counts, "linear", Arm::champion);
  const ArmFigures* challenger = this->arm(counts, "llm", Arm::challenger);
  ASSERT_TRUE(champion && challenger);
  EXPECT_EQ(champion->requests, 10);
  EXPECT_EQ(champion->labelled, 1);
  EXPECT_EQ(champion->correct, 0);
  EXPECT_EQ(champion->tokens_in, 1000);
  EXPECT_EQ(champion->tokens_out, 50);
  EXPECT_NEAR(champion->cost_usd, 0.01, 1e-12);
  EXPECT_EQ(champion->costed, 10);
  EXPECT_DOUBLE_EQ(champion->latency.mean, 5.5);
  EXPECT_NEAR(champion->latency.p50, 5, 5 * 0.005);
  EXPECT_NEAR(champion->latency.p99, 10, 10 * 0.005);
  EXPECT_NEAR(champion->upstream.p95, 8, 8 * 0.005);
  EXPECT_EQ(champion->first_at_ms, kT0);
  EXPECT_EQ(champion->last_at_ms, kT0 + 9 * 60'000);
  EXPECT_EQ(challenger->requests, 2);
  EXPECT_EQ(challenger->errors, 1);
  EXPECT_EQ(challenger->fallbacks, 1);
  EXPECT_EQ(challenger->abstained, 1);
  EXPECT_EQ(challenger->abstained_labelled, 1);
  EXPECT_EQ(challenger->abstained_correct, 1);
  EXPECT_EQ(challenger->simulated, 1);
  EXPECT_EQ(challenger->costed, 1);

  PilotQuery only;
  only.approaches = {"llm"};
  EXPECT_EQ(this->store_->pilot_counts(only).arms.size(), 1u);
}

TYPED_TEST(StoreConformance, ErrorPatternsPerLabelSegmentAndConfusion) {
  auto p1 = prediction("1", "llm", Arm::challenger, "billing", kT0);
  auto p2 = prediction("2", "llm", Arm::challenger, "billing", kT0);
  auto p3 = prediction("3", "llm", Arm::challenger, "refund", kT0);
  p3.segment = "enterprise";
  this->store_->log_predictions({p1, p2, p3});
  this->store_->record_feedback(feedback("1", "billing"));
  this->store_->record_feedback(feedback("2", "refund"));
  this->store_->record_feedback(feedback("3", "refund"));
  auto c = this->store_->pilot_counts({});

  ASSERT_EQ(c.labels.size(), 2u);  // by gold label
  EXPECT_EQ(c.labels[0].label, "billing");
  EXPECT_EQ(c.labels[0].labelled, 1);
  EXPECT_EQ(c.labels[0].correct, 1);
  EXPECT_EQ(c.labels[1].label, "refund");
  EXPECT_EQ(c.labels[1].labelled, 2);
  EXPECT_EQ(c.labels[1].correct, 1);
  ASSERT_EQ(c.segments.size(), 2u);
  EXPECT_EQ(c.segments[0].segment, "enterprise");
  EXPECT_EQ(c.segments[0].correct, 1);
  EXPECT_EQ(c.segments[1].segment, "smb");
  EXPECT_EQ(c.segments[1].labelled, 2);
  EXPECT_EQ(c.segments[1].correct, 1);
  ASSERT_EQ(c.confusion.size(), 3u);
  EXPECT_EQ(c.confusion[1].gold, "refund");
  EXPECT_EQ(c.confusion[1].predicted, "billing");
  EXPECT_EQ(c.confusion[1].count, 1);
}

TYPED_TEST(StoreConformance, ShadowPairsGiveMcNemarsTable) {
  // (champion right?, shadow right?) for items 0..5; item 6 is labelled for the champion only.
  const bool right[6][2] = {{true, true},  {true, true},  {true, false},
                            {false, true}, {false, true}, {false, false}};
  std::vector<PredictionRecord> batch;
  for (int i = 0; i < 6; ++i) {
    std::string id = "S" + std::to_string(i);
    batch.push_back(prediction(id, "linear", Arm::champion, right[i][0] ? "a" : "b", kT0));
    batch.push_back(prediction(id, "llm", Arm::shadow, right[i][1] ? "a" : "b", kT0 + 5));
  }
  batch.push_back(prediction("S6", "linear", Arm::champion, "a", kT0));
  this->store_->log_predictions(batch);
  for (int i = 0; i <= 6; ++i)
    this->store_->record_feedback(feedback("S" + std::to_string(i), "a"));

  PilotQuery q;
  q.paired = {{"linear", "llm"}};
  auto c = this->store_->pilot_counts(q);
  ASSERT_TRUE(c.paired);
  EXPECT_EQ(c.paired->both_right, 2);
  EXPECT_EQ(c.paired->only_first, 1);
  EXPECT_EQ(c.paired->only_second, 2);
  EXPECT_EQ(c.paired->both_wrong, 1);
  EXPECT_EQ(this->arm(c, "llm", Arm::shadow)->labelled, 6);
}

// The champion answered and its label arrived before the shadow's answer was logged: on SQLite
// the shadow prediction gets the item's label when it is logged, and the pair counts (on
// PostgreSQL it waits for the item's next feedback: sql_store.cpp says why).
TYPED_TEST(StoreConformance, AShadowLoggedAfterItsFeedbackGetsTheLabel) {
  this->store_->log_predictions({prediction("L1", "linear", Arm::champion, "a", kT0),
                                 prediction("L2", "linear", Arm::champion, "b", kT0)});
  this->store_->record_feedback(feedback("L1", "a"));
  this->store_->record_feedback(feedback("L2", "b"));
  this->store_->record_feedback(feedback("L2", "a"));  // replaced: the latest label counts
  auto late1 = prediction("L1", "llm", Arm::shadow, "b", kT0 + 5);
  auto late2 = prediction("L2", "llm", Arm::shadow, "a", kT0 + 5);
  auto other_text = prediction("L1", "llm", Arm::shadow, "a", kT0 + 6);
  other_text.text_hash = "another text under the same id";
  this->store_->log_predictions({late1, late2, other_text});

  PilotQuery q;
  q.paired = {{"linear", "llm"}};
  auto c = this->store_->pilot_counts(q);
  EXPECT_EQ(this->arm(c, "llm", Arm::shadow)->labelled, 2);
  EXPECT_EQ(this->arm(c, "llm", Arm::shadow)->correct, 1);
  EXPECT_EQ(this->arm(c, "linear", Arm::champion)->labelled, 2);  // not counted twice
  EXPECT_EQ(this->arm(c, "linear", Arm::champion)->correct, 1);
  ASSERT_TRUE(c.paired);
  EXPECT_EQ(c.paired->only_first, 1);   // L1: champion a (right), shadow b (wrong)
  EXPECT_EQ(c.paired->only_second, 1);  // L2: champion b (wrong), shadow a (right)
  EXPECT_EQ(c.paired->both_right + c.paired->both_wrong, 0);
  EXPECT_EQ(this->store_->gold_label(late2.prediction_id), "a");
  EXPECT_FALSE(this->store_->gold_label(other_text.prediction_id));
  // The same feedback once more changes nothing.
  EXPECT_EQ(this->store_->record_feedback(feedback("L2", "a")).outcome, FeedbackOutcome::unchanged);
}

TYPED_TEST(StoreConformance, AnswersFromTheResponseCacheAreCounted) {
  auto paid = prediction("1", "llm", Arm::champion, "a", kT0);
  auto cached = prediction("2", "llm", Arm::champion, "a", kT0 + 1);
  cached.cached = true;
  cached.cost_usd = 0.0;
  auto later = prediction("3", "llm", Arm::champion, "a", kT0 + 2 * kHour + 5);
  later.cached = true;
  this->store_->log_predictions({paid, cached, later});
  auto all = this->store_->pilot_counts({});
  ASSERT_NE(this->arm(all, "llm", Arm::champion), nullptr);
  EXPECT_EQ(this->arm(all, "llm", Arm::champion)->cached, 2);
  PilotQuery q;  // the last one only, from the logged rows of a partial hour
  q.from_ms = kT0 + 2 * kHour + 1;
  q.to_ms = kT0 + 2 * kHour + 10;
  EXPECT_EQ(this->arm(this->store_->pilot_counts(q), "llm", Arm::champion)->cached, 1);
  EXPECT_TRUE(this->store_->find_prediction(cached.prediction_id)->cached);
  EXPECT_FALSE(this->store_->find_prediction(paid.prediction_id)->cached);
}

TYPED_TEST(StoreConformance, TimeOutsAreCountedApartFromOtherErrors) {
  auto refused = prediction("1", "llm", Arm::challenger, "a", kT0);
  refused.error = "connection refused";
  auto held = prediction("2", "llm", Arm::challenger, "a", kT0 + 1);
  held.error = "time-out after 300 ms";
  held.timed_out = true;
  auto late = prediction("3", "llm", Arm::challenger, "a", kT0 + 2 * kHour + 5);
  late.error = "timed out";
  late.timed_out = true;
  this->store_->log_predictions({refused, held, late});
  auto all = this->store_->pilot_counts({});
  ASSERT_NE(this->arm(all, "llm", Arm::challenger), nullptr);
  EXPECT_EQ(this->arm(all, "llm", Arm::challenger)->errors, 3);
  EXPECT_EQ(this->arm(all, "llm", Arm::challenger)->timeouts, 2);
  PilotQuery q;  // the last one only, from the logged rows of a partial hour
  q.from_ms = kT0 + 2 * kHour + 1;
  q.to_ms = kT0 + 2 * kHour + 10;
  auto part = this->store_->pilot_counts(q);
  ASSERT_NE(this->arm(part, "llm", Arm::challenger), nullptr);
  EXPECT_EQ(this->arm(part, "llm", Arm::challenger)->timeouts, 1);
  EXPECT_TRUE(this->store_->find_prediction(held.prediction_id)->timed_out);
  EXPECT_FALSE(this->store_->find_prediction(refused.prediction_id)->timed_out);
}

TYPED_TEST(StoreConformance, DailyFiguresFollowUtcDays) {
  this->store_->log_predictions({prediction("1", "linear", Arm::champion, "a", kT0 + kHour),
                                 prediction("2", "linear", Arm::champion, "a", kT0 + kDay - 1),
                                 prediction("3", "linear", Arm::champion, "a", kT0 + kDay)});
  this->store_->record_feedback(feedback("3", "a"));
  auto days = this->store_->pilot_counts({}).days;
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].day, kT0 / kDay);
  EXPECT_EQ(days[0].requests, 2);
  EXPECT_EQ(days[1].requests, 1);
  EXPECT_EQ(days[1].correct, 1);
  EXPECT_NEAR(days[1].latency.p50, 10, 0.05);
}

// The roll-ups (whole hours) and the logged rows (partial hours) must add up to exactly what a
// brute-force count of the same window gives, whatever the window's ends.
TYPED_TEST(StoreConformance, AnyWindowCountsExactlyTheRowsInsideIt) {
  std::mt19937 rng(7);
  std::vector<PredictionRecord> all;
  std::vector<bool> labelled, correct;
  constexpr int64_t kSpan = 3 * kDay + 5 * kHour;
  for (int i = 0; i < 400; ++i) {
    int64_t at = kT0 + static_cast<int64_t>(rng() % kSpan);
    Arm arm = rng() % 4 == 0 ? Arm::challenger : Arm::champion;
    auto p = prediction("W" + std::to_string(i), arm == Arm::champion ? "base" : "new", arm,
                        rng() % 2 ? "a" : "b", at);
    if (rng() % 10 == 0) p.error = "boom";
    all.push_back(p);
  }
  // Shadow answers for a third of the champion's items, some in the next hour or day.
  std::size_t logged = all.size();
  for (std::size_t i = 0; i < logged; i += 3) {
    if (all[i].arm != Arm::champion) continue;
    int64_t late = rng() % 2 ? 5 : kHour * static_cast<int64_t>(1 + rng() % 30);
    all.push_back(prediction(all[i].request_id, "shadow", Arm::shadow, rng() % 3 ? "a" : "b",
                             all[i].created_at_ms + late));
  }
  this->store_->log_predictions(all);
  std::map<std::string, bool> item_labelled;
  for (std::size_t i = 0; i < logged; ++i) {
    bool has = rng() % 3 == 0;
    item_labelled[all[i].request_id] = has;
    if (has) this->store_->record_feedback(feedback(all[i].request_id, "a"));
  }
  for (const auto& p : all) {
    labelled.push_back(item_labelled[p.request_id]);
    correct.push_back(item_labelled[p.request_id] && p.label == "a");
  }
  for (int trial = 0; trial < 16; ++trial) {
    int64_t a = kT0 - kHour + static_cast<int64_t>(rng() % (kSpan + 2 * kHour));
    int64_t b = a + static_cast<int64_t>(rng() % (trial % 2 ? 2 * kDay : 4 * kHour));
    if (trial == 0) a = kT0, b = kT0 + 3 * kHour;            // whole hours only
    if (trial == 1) a = kT0 - kT0 % kDay, b = a + 2 * kDay;  // whole days only
    PilotQuery q;
    q.from_ms = a;
    q.to_ms = b;
    q.paired = {{"shadow", "base"}};
    auto c = this->store_->pilot_counts(q);
    // McNemar's cells by brute force: an item counts where its earlier answer falls.
    PairedOutcomes pairs;
    for (std::size_t i = 0; i < logged; ++i) {
      if (all[i].arm != Arm::champion || !labelled[i]) continue;
      for (std::size_t j = logged; j < all.size(); ++j) {
        if (all[j].request_id != all[i].request_id) continue;
        if (all[i].created_at_ms < a || all[i].created_at_ms >= b) continue;
        bool s = correct[j], base = correct[i];
        pairs.both_right += s && base;
        pairs.only_first += s && !base;
        pairs.only_second += !s && base;
        pairs.both_wrong += !s && !base;
      }
    }
    ASSERT_TRUE(c.paired);
    SCOPED_TRACE(::testing::Message() << "pairs in window [" << a - kT0 << ", " << b - kT0 << ")");
    EXPECT_EQ(c.paired->both_right, pairs.both_right);
    EXPECT_EQ(c.paired->only_first, pairs.only_first);
    EXPECT_EQ(c.paired->only_second, pairs.only_second);
    EXPECT_EQ(c.paired->both_wrong, pairs.both_wrong);
    for (Arm arm : {Arm::champion, Arm::challenger, Arm::shadow}) {
      int64_t n = 0, l = 0, k = 0, e = 0;
      for (std::size_t i = 0; i < all.size(); ++i) {
        if (all[i].arm != arm || all[i].created_at_ms < a || all[i].created_at_ms >= b) continue;
        n += 1, l += labelled[i], k += correct[i], e += all[i].error.has_value();
      }
      const char* name = arm == Arm::champion ? "base" : arm == Arm::shadow ? "shadow" : "new";
      const ArmFigures* f = this->arm(c, name, arm);
      SCOPED_TRACE(::testing::Message() << "window [" << a - kT0 << ", " << b - kT0 << ")");
      EXPECT_EQ(f ? f->requests : 0, n);
      EXPECT_EQ(f ? f->labelled : 0, l);
      EXPECT_EQ(f ? f->correct : 0, k);
      EXPECT_EQ(f ? f->errors : 0, e);
    }
    // Without the breakdowns: the same sums per arm and per day, and nothing else.
    q.breakdowns = false;
    q.paired.reset();
    auto lean = this->store_->pilot_counts(q);
    EXPECT_TRUE(lean.labels.empty() && lean.segments.empty() && lean.confusion.empty());
    ASSERT_EQ(lean.arms.size(), c.arms.size());
    for (std::size_t i = 0; i < c.arms.size(); ++i) {
      EXPECT_EQ(lean.arms[i].requests, c.arms[i].requests);
      EXPECT_EQ(lean.arms[i].correct, c.arms[i].correct);
    }
    ASSERT_EQ(lean.days.size(), c.days.size());
    for (std::size_t i = 0; i < c.days.size(); ++i)
      EXPECT_EQ(lean.days[i].labelled, c.days[i].labelled);
  }
}

}  // namespace
}  // namespace tunecase::testing
