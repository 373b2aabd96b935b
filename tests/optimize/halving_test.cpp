// Successive halving on synthetic candidates whose accuracies are known.

#include <algorithm>
#include <cmath>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tunecase/optimize/halving.h"
#include "tunecase/optimize/llm_evaluator.h"

namespace tunecase {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Candidate i answers correctly on item j when hash(i, j) < accuracy[i]: deterministic, nested
// (the first n items of a larger sample are the same items), and noisy like a real sample.
class KnownEvaluator : public CandidateEvaluator {
 public:
  KnownEvaluator(std::vector<double> accuracy, std::vector<double> usd_per_1k, std::size_t dev)
      : accuracy_(std::move(accuracy)),
        price_(std::move(usd_per_1k)),
        dev_(dev),
        answered_(accuracy_.size(), 0) {}
  std::size_t dev_size() const override { return dev_; }
  SampleScore evaluate(std::size_t c, std::size_t n, std::optional<double>,
                       std::optional<std::size_t> calls_left) override {
    calls_left_seen.emplace_back(calls_left, calls_);
    EXPECT_LE(n, dev_);
    SampleScore s;
    s.n = n;
    for (std::size_t j = 0; j < n; ++j) s.correct += draw(c, j) < accuracy_[c];
    s.usd_per_1k = price_[c];
    // The cache holds the rest (without one, every item is sent again).
    std::size_t fresh = !cached_ ? n : n > answered_[c] ? n - answered_[c] : 0;
    answered_[c] = std::max(answered_[c], n);
    s.requests = fresh;
    s.spent_usd = static_cast<double>(fresh) * price_[c] / 1000;
    calls_ += fresh;
    spent_ += s.spent_usd;
    sizes_.insert(n);
    return s;
  }
  std::size_t calls_ = 0;
  // Per evaluation: the calls it was told it may send, and the calls sent before it.
  std::vector<std::pair<std::optional<std::size_t>, std::size_t>> calls_left_seen;
  double spent_ = 0;
  std::set<std::size_t> sizes_;
  bool cached_ = true;

 private:
  static double draw(std::size_t c, std::size_t j) {
    uint64_t x = (c + 1) * 0x9E3779B97F4A7C15ull ^ (j + 1) * 0xC2B2AE3D27D4EB4Full;
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 29;
    return static_cast<double>(x >> 11) * 0x1.0p-53;
  }
  std::vector<double> accuracy_, price_;
  std::size_t dev_;
  std::vector<std::size_t> answered_;
};

std::vector<double> spread(std::size_t k, double lo, double hi) {
  std::vector<double> v;
  for (std::size_t i = 0; i < k; ++i)
    v.push_back(lo + (hi - lo) * static_cast<double>((i * 7) % k) / (k - 1));
  return v;
}

// A candidate some of whose answers reported no token usage is priced over the answers that
// did, as eval prices an approach, and says how many did not: the whole candidate had read
// "price unknown", and a tie between it and a dearer one went to the dearer.
TEST(ScoreRun, PricesOverTheAnswersWithUsageAndCountsTheOthers) {
  Examples items;
  LlmRunResult run;
  run.price_known = true;
  for (int i = 0; i < 4; ++i) {
    items.push_back({"", "text " + std::to_string(i), "x"});
    Prediction p;
    p.label = "x";
    if (i < 3) p.cost_usd = 0.001;
    run.predictions.push_back(p);
  }
  run.charged_worst_case = 1;
  SampleScore s = score_run(run, items);
  EXPECT_EQ(s.charged_worst_case, 1u);
  ASSERT_TRUE(s.usd_per_1k.has_value());
  EXPECT_NEAR(*s.usd_per_1k, 1.0, 1e-12);
  EXPECT_EQ(s.without_usage, 1u);
  run.price_known = false;  // no price: unknown, whatever the answers say
  for (auto& p : run.predictions) p.cost_usd.reset();
  EXPECT_FALSE(score_run(run, items).usd_per_1k.has_value());
}

TEST(Halving, KeepsTheBestOfTwentyFourAndCostsAFractionOfTheGrid) {
  auto accuracy = spread(24, 0.40, 0.90);
  std::size_t best = std::max_element(accuracy.begin(), accuracy.end()) - accuracy.begin();
  KnownEvaluator e(accuracy, std::vector<double>(24, 1.0), 800);
  HalvingRules rules;
  rules.start_sample = 50;
  HalvingResult r = successive_halving(e, 24, rules);
  ASSERT_TRUE(r.winner);
  EXPECT_EQ(*r.winner, best);
  EXPECT_EQ(r.candidates[best].status, "winner");
  EXPECT_LT(e.calls_, 24u * 800u * 35 / 100);
  EXPECT_EQ(r.sample_sizes.front(), 50u);
  for (std::size_t i = 1; i < r.sample_sizes.size(); ++i)
    EXPECT_GT(r.sample_sizes[i], r.sample_sizes[i - 1]);  // nested, growing
}

TEST(Halving, EveryDroppedCandidateHasARoundAndAReason) {
  KnownEvaluator e(spread(10, 0.2, 0.9), std::vector<double>(10, 1.0), 400);
  HalvingResult r = successive_halving(e, 10, {});
  for (const auto& c : r.candidates) {
    if (c.status == "winner") continue;
    EXPECT_FALSE(c.reason.empty());
    if (c.status == "dropped") {
      ASSERT_TRUE(c.dropped_in_round);
      EXPECT_TRUE(c.reason.starts_with("worse:") || c.reason.starts_with("halving rule:"))
          << c.reason;
    } else {
      EXPECT_EQ(c.status, "finalist");
    }
  }
}

TEST(Halving, FarWorseCandidatesAreCalledWorseCloseOnesNotSeparated) {
  // 1.0 vs 0.10 separates at 50 items; 1.0 vs 0.96 cannot.
  KnownEvaluator e({1.0, 0.10, 0.96, 0.12}, {1, 1, 1, 1}, 50);
  HalvingRules rules;
  rules.start_sample = 50;
  HalvingResult r = successive_halving(e, 4, rules);
  ASSERT_TRUE(r.winner);
  EXPECT_EQ(*r.winner, 0u);
  EXPECT_THAT(r.candidates[1].reason, HasSubstr("worse"));
  // All four met the whole (small) dev split: the close one was not separated, not dropped for
  // the budget.
  EXPECT_EQ(r.candidates[2].status, "finalist");
  EXPECT_THAT(r.candidates[2].reason, HasSubstr("dev split used up, not separated"));
  EXPECT_FALSE(r.budget_forced);
}

TEST(Halving, TheLastTwoMeetOnTheWholeDevSplitBeforeOneIsChosen) {
  // Close enough that no sample separates them: the winner must not be picked on the first 50.
  KnownEvaluator e({0.80, 0.78}, {1.0, 1.0}, 996);
  HalvingRules rules;
  rules.start_sample = 50;
  rules.budget_usd = 5.0;  // plenty: the whole split costs about $2 for both
  HalvingResult r = successive_halving(e, 2, rules);
  ASSERT_TRUE(r.winner);
  EXPECT_EQ(r.sample_sizes.back(), 996u);
  EXPECT_FALSE(r.budget_forced);
  std::size_t other = 1 - *r.winner;
  EXPECT_EQ(r.candidates[other].status, "finalist");
  EXPECT_THAT(r.candidates[other].reason, HasSubstr("dev split used up, not separated"));
  EXPECT_THAT(r.candidates[other].reason, Not(HasSubstr("budget")));
  EXPECT_THAT(r.decided_by, ::testing::StartsWith("dev split used up"));
}

TEST(Halving, TheLastTwoStopMeetingOnceTheDataSeparatesThem) {
  KnownEvaluator e({0.95, 0.30}, {1.0, 1.0}, 1000);
  HalvingRules rules;
  rules.start_sample = 50;
  HalvingResult r = successive_halving(e, 2, rules);
  ASSERT_TRUE(r.winner);
  EXPECT_EQ(*r.winner, 0u);
  EXPECT_LT(r.sample_sizes.back(), 1000u);  // no need to pay for the rest of dev
  EXPECT_THAT(r.candidates[1].reason, ::testing::StartsWith("worse:"));
  EXPECT_THAT(r.decided_by, ::testing::StartsWith("data:"));
}

TEST(Halving, ACandidateTheHalvingRuleDropsIsNotSaidToBeDroppedByTheBudget) {
  KnownEvaluator e(spread(8, 0.70, 0.74), std::vector<double>(8, 1.0), 800);
  HalvingRules rules;
  rules.start_sample = 50;
  HalvingResult r = successive_halving(e, 8, rules);
  EXPECT_FALSE(r.budget_forced);
  std::size_t by_rule = 0;
  for (const auto& c : r.candidates) {
    EXPECT_THAT(c.reason, Not(HasSubstr("budget"))) << c.reason;
    by_rule += c.reason.starts_with("halving rule:");
  }
  EXPECT_GT(by_rule, 0u);
}

TEST(Halving, ASearchTheBudgetEndsSaysSo) {
  KnownEvaluator e({0.80, 0.78}, {10.0, 10.0}, 1000);  // $0.01 a call
  HalvingRules rules;
  rules.start_sample = 50;
  rules.budget_usd = 3.0;  // both on 150 items at most
  HalvingResult r = successive_halving(e, 2, rules);
  ASSERT_TRUE(r.winner);
  EXPECT_TRUE(r.budget_forced);
  EXPECT_THAT(r.candidates[1 - *r.winner].reason, ::testing::StartsWith("budget forced a choice"));
  EXPECT_THAT(r.decided_by, ::testing::StartsWith("budget:"));
}

TEST(Halving, TiesGoToTheCheaperCandidate) {
  KnownEvaluator e({0.8, 0.8}, {2.0, 0.5}, 100);
  HalvingResult r = successive_halving(e, 2, {});
  ASSERT_TRUE(r.winner);
  EXPECT_EQ(*r.winner, 1u);
}

TEST(Halving, NeverSpendsPastTheBudget) {
  KnownEvaluator e(spread(16, 0.3, 0.9), std::vector<double>(16, 10.0), 1000);  // $0.01 a call
  HalvingRules rules;
  rules.start_sample = 20;
  rules.budget_usd = 5.0;
  HalvingResult r = successive_halving(e, 16, rules);
  EXPECT_LE(e.spent_, 5.0 + 1e-9);
  EXPECT_TRUE(r.budget_forced);
  EXPECT_TRUE(r.winner);
}

// The test run under --max-cost is checked at each request's worst case, not at the measured
// price: the rounds reserve the dearest survivor's worst case, so the test run still fits after
// the search (a search had spent half the cap, then found the test run refused).
TEST(Halving, ReservesTheFinalStepAtItsWorstCase) {
  KnownEvaluator e(spread(16, 0.3, 0.9), std::vector<double>(16, 10.0), 1000);  // $0.01 a call
  HalvingRules rules;
  rules.start_sample = 20;
  rules.total_cap_usd = 10.0;
  rules.final_items = 300;
  rules.estimated_item_usd_all = 16 * 0.01;  // the first round: $3.20
  rules.estimated_item_usd_dearest = 0.01;
  rules.worst_item_usd = std::vector<double>(16, 0.02);  // the worst case: $6 for the test run
  HalvingResult r = successive_halving(e, 16, rules);
  EXPECT_LE(e.spent_ + 6.0, 10.0 + 1e-9);
  EXPECT_TRUE(r.winner);
  // At the measured price alone ($3) the search would have gone on past the $4 it leaves.
  rules.worst_item_usd.clear();
  KnownEvaluator measured(spread(16, 0.3, 0.9), std::vector<double>(16, 10.0), 1000);
  successive_halving(measured, 16, rules);
  EXPECT_GT(measured.spent_, 4.0);
}

TEST(Halving, LeavesRoomForTheFinalStepUnderTheTotalCap) {
  KnownEvaluator e(spread(16, 0.3, 0.9), std::vector<double>(16, 10.0), 1000);  // $0.01 a call
  HalvingRules rules;
  rules.start_sample = 20;
  rules.total_cap_usd = 8.0;
  rules.final_items = 300;  // the winner's test run will cost up to $3
  HalvingResult r = successive_halving(e, 16, rules);
  EXPECT_LE(e.spent_ + 3.0, 8.0 + 1e-9);
  EXPECT_TRUE(r.winner);
}

TEST(Halving, RespectsTheCallCap) {
  KnownEvaluator e(spread(8, 0.3, 0.9), std::vector<double>(8, 1.0), 1000);
  HalvingRules rules;
  rules.start_sample = 50;
  rules.max_calls = 700;
  HalvingResult r = successive_halving(e, 8, rules);
  EXPECT_LE(e.calls_, 700u);
  EXPECT_TRUE(r.budget_forced);
  // Each evaluation is told what the cap leaves, so that a runner whose retries add requests
  // stops there (the rounds are planned at one request an item: 154 had been sent under 150).
  ASSERT_FALSE(e.calls_left_seen.empty());
  for (const auto& [left, before] : e.calls_left_seen) {
    ASSERT_TRUE(left.has_value());
    EXPECT_EQ(*left, 700u - before);
  }
}

// Without the cache each round sends its whole sample again: the cap still holds (900 calls had
// been sent under max_calls = 700, the rounds counted by their new items only).
TEST(Halving, RespectsTheCallCapWhenEveryRoundIsSentWhole) {
  for (std::size_t cap : {650u, 700u, 1000u}) {
    KnownEvaluator e(spread(6, 0.3, 0.9), std::vector<double>(6, 1.0), 1000);
    e.cached_ = false;
    HalvingRules rules;
    rules.start_sample = 50;
    rules.max_calls = cap;
    rules.resends_sample = true;
    HalvingResult r = successive_halving(e, 6, rules);
    EXPECT_LE(e.calls_, cap);
    EXPECT_EQ(r.requests, e.calls_);
    EXPECT_TRUE(r.winner) << cap;
  }
}

// Like a real runner, this one stops a candidate's run where the budget left would be passed:
// item j costs `usd_per_item` while j < cheap_items and `dear_factor` times that after (later
// dev items with longer texts, which the search's estimate from the earlier ones misses).
class BudgetedEvaluator : public CandidateEvaluator {
 public:
  BudgetedEvaluator(std::vector<double> accuracy, std::size_t dev, double usd_per_item,
                    std::size_t cheap_items = SIZE_MAX, double dear_factor = 1)
      : accuracy_(std::move(accuracy)),
        dev_(dev),
        usd_(usd_per_item),
        cheap_(cheap_items),
        dear_(dear_factor),
        answered_(accuracy_.size(), 0) {}
  std::size_t dev_size() const override { return dev_; }
  SampleScore evaluate(std::size_t c, std::size_t n, std::optional<double> left,
                       std::optional<std::size_t>) override {
    SampleScore s;
    double budget = left.value_or(1e18);
    while (answered_[c] < n) {
      double cost = usd_ * (answered_[c] < cheap_ ? 1.0 : dear_);
      if (cost > budget + 1e-12) {
        s.budget_stopped = true;
        break;
      }
      budget -= cost;
      s.spent_usd += cost;
      ++s.requests;
      ++answered_[c];
    }
    s.n = std::min(n, answered_[c]);
    // Candidate c is right on item j when j % 100 < 100 * accuracy: the same items for all.
    for (std::size_t j = 0; j < s.n; ++j) s.correct += (j % 100) < 100 * accuracy_[c];
    if (s.n > 0) s.usd_per_1k = usd_ * 1000;
    return s;
  }

 private:
  std::vector<double> accuracy_;
  std::size_t dev_;
  double usd_;
  std::size_t cheap_;
  double dear_;
  std::vector<std::size_t> answered_;
};

// An endpoint that fails every first attempt: each item takes two requests, and a runner stops
// where the calls left run out, as the LLM runner does.
class RetryingEvaluator : public CandidateEvaluator {
 public:
  std::size_t dev_size() const override { return 200; }
  SampleScore evaluate(std::size_t, std::size_t n, std::optional<double>,
                       std::optional<std::size_t> calls_left) override {
    SampleScore s;
    const std::size_t room = calls_left.value_or(SIZE_MAX);
    s.n = std::min(n, room / 2);
    s.correct = s.n / 2;
    s.requests = 2 * s.n;
    s.budget_stopped = s.n < n;
    return s;
  }
};

// A call cap that covers the first round at one request an item, used up by retries: it says
// so, with a cap that would do at the rate seen ("raise max_calls above 100" had named less
// than the 120 that were not enough).
TEST(Halving, ACallCapUsedUpByRetriesSaysSoWithACapThatWouldDo) {
  RetryingEvaluator e;
  HalvingRules rules;
  rules.start_sample = 50;
  rules.max_calls = 120;
  HalvingResult r = successive_halving(e, 2, rules);
  EXPECT_FALSE(r.winner);
  ASSERT_FALSE(r.notes.empty());
  EXPECT_THAT(r.notes.back(),
              HasSubstr("no winner: the call cap (max_calls) was used up by retries of failed "
                        "requests before the end of the first round"))
      << r.notes.back();
  // 50 + 10 items reached with 120 requests: the round's 100 items take 200.
  EXPECT_THAT(r.notes.back(), HasSubstr("raise max_calls to at least 200 (at the rate seen here: "
                                        "60 of its 120 requests went to retries"))
      << r.notes.back();
}

// A call cap below one dev item per candidate: no round can run, and nothing unmeasured wins.
TEST(Halving, ACallCapBelowTheFirstRoundHasNoWinnerAndSaysWhy) {
  BudgetedEvaluator e({0.9, 0.8, 0.7}, 100, 0.001);
  HalvingRules rules;
  rules.max_calls = 1;
  HalvingResult r = successive_halving(e, 3, rules);
  EXPECT_FALSE(r.winner);
  ASSERT_FALSE(r.notes.empty());
  EXPECT_THAT(r.notes.back(), HasSubstr("no winner: the call cap (max_calls) does not cover the "
                                        "first round (3 candidates x 50 dev items: 150 requests)"));
  // With an estimate of the items' price, what the first round needs is said too.
  rules.estimated_item_usd_all = 0.02;
  HalvingResult priced = successive_halving(e, 3, rules);
  EXPECT_THAT(priced.notes.back(), HasSubstr("150 requests, about $1.00 estimated)"));
  for (const auto& c : r.candidates) {
    EXPECT_EQ(c.status, "unmeasured");
    EXPECT_THAT(c.reason, HasSubstr("before it answered the round's 50 dev items"));
  }
}

// A call cap that pays for a few items of every candidate but not the first round: no round of
// a handful is run to choose a winner on (it chose one on 3 items and opened the test split).
TEST(Halving, ACallCapThatCoversPartOfTheFirstRoundRunsNoRound) {
  BudgetedEvaluator e({0.9, 0.8, 0.7}, 100, 0.001);
  HalvingRules rules;
  rules.max_calls = 100;  // 33 items each, of the 50 the first round asks
  HalvingResult r = successive_halving(e, 3, rules);
  EXPECT_FALSE(r.winner);
  ASSERT_FALSE(r.notes.empty());
  EXPECT_THAT(r.notes.back(), HasSubstr("does not cover the first round"));
}

// The budget stops the first round part-way: the first candidate answered all 50 items, the
// second 20 (with a better score on them), the third none. The first round runs whole or there
// is no winner (docs/optimize.md): the first in grid order, the worst of the three here, won,
// only because the money reached it first.
TEST(Halving, ABudgetThatStopsTheFirstRoundPartWayGivesNoWinner) {
  BudgetedEvaluator e({0.6, 0.95, 0.99}, 200, 0.001);
  HalvingRules rules;
  rules.budget_usd = 0.07;
  HalvingResult r = successive_halving(e, 3, rules);
  EXPECT_FALSE(r.winner);
  for (std::size_t c = 0; c < 3; ++c) EXPECT_EQ(r.candidates[c].status, "unmeasured") << c;
  EXPECT_EQ(r.candidates[0].last()->n, 50u);
  EXPECT_EQ(r.candidates[1].last()->n, 20u);
  EXPECT_TRUE(r.budget_forced);
  ASSERT_FALSE(r.notes.empty());
  EXPECT_THAT(r.notes.back(), HasSubstr("does not cover the first round"));
}

// A first round the estimate shows no cap pays for: the note names the cap that binds and what
// it needs, rounded up (it had named budget_usd, max_calls and --max-cost alike, with one total
// that included the test run only --max-cost reserves).
TEST(Halving, TheFirstRoundsRefusalNamesTheCapThatBinds) {
  BudgetedEvaluator e({0.6, 0.95, 0.99}, 200, 0.001);
  HalvingRules rules;
  rules.budget_usd = 0.07;
  rules.total_cap_usd = 20;                  // covers the round and the test run
  rules.estimated_item_usd_all = 0.0030001;  // 50 items of three candidates: $0.150005
  HalvingResult r = successive_halving(e, 3, rules);
  EXPECT_FALSE(r.winner);
  ASSERT_FALSE(r.notes.empty());
  EXPECT_THAT(r.notes.back(), HasSubstr("raise budget_usd to $0.16, or lower"));
  EXPECT_THAT(r.notes.back(), ::testing::Not(HasSubstr("--max-cost to")));
}

// The estimate of a round's cost comes from the items before it; later items cost three times
// as much, so the budget stops the second round part-way: the first finalist answers its 100
// items (45 right), the second 83 (40 right: 0.48, which would rank first). They are compared
// on the first round's 50 items, which both answered (45 and 40 right), not on those samples.
TEST(Halving, ABudgetThatStopsALaterRoundComparesOnTheCommonSample) {
  BudgetedEvaluator e({0.45, 0.40, 0.2, 0.1}, 400, 0.001, 50, 3.0);
  HalvingRules rules;
  rules.budget_usd = 0.45;
  HalvingResult r = successive_halving(e, 4, rules);
  ASSERT_TRUE(r.winner);
  EXPECT_EQ(*r.winner, 0u);
  ASSERT_EQ(r.sample_sizes.size(), 2u);
  EXPECT_EQ(r.candidates[1].status, "finalist");
  EXPECT_EQ(r.candidates[0].last()->n, 100u);
  EXPECT_EQ(r.candidates[1].last()->n, 83u) << "cut short in round 2";
  ASSERT_TRUE(r.candidates[0].judged && r.candidates[1].judged);
  EXPECT_EQ(r.candidates[0].judged->n, 50u);
  EXPECT_EQ(r.candidates[1].judged->n, 50u);
  EXPECT_EQ(r.candidates[1].shown()->n, 50u);
  EXPECT_THAT(r.notes.back(), HasSubstr("the budget stopped a round part-way: the finalists are "
                                        "compared on the 50 dev items"));
}

TEST(Halving, CandidatesOverThePriceLimitCannotWin) {
  KnownEvaluator e({0.95, 0.70}, {5.0, 0.5}, 200);
  HalvingRules rules;
  rules.max_usd_per_1k = 1.0;
  HalvingResult r = successive_halving(e, 2, rules);
  ASSERT_TRUE(r.winner);
  EXPECT_EQ(*r.winner, 1u);
  EXPECT_EQ(r.candidates[0].status, "ineligible");
  EXPECT_THAT(r.candidates[0].reason, HasSubstr("max_usd_per_1k"));
}

TEST(Halving, ParetoSetHoldsOnlyUndominatedCandidates) {
  KnownEvaluator e({1.0, 0.6, 0.0}, {3.0, 1.0, 2.0}, 40);
  HalvingRules rules;
  rules.start_sample = 40;
  HalvingResult r = successive_halving(e, 3, rules);
  auto front = pareto_set(r);
  EXPECT_EQ(front, (std::vector<std::size_t>{0, 1}));  // 2 is dearer and worse than 1
}

// The plan's worst case, which optimize asks about before its first request: the halving rule
// alone drops, the last two meet the whole dev split.
TEST(Halving, WorstCaseSamplesFollowThePlan) {
  EXPECT_EQ(worst_case_samples(8, 50, 1000),
            (std::vector<std::size_t>{1000, 1000, 100, 100, 50, 50, 50, 50}));
  // Without the cache each round sends its whole sample again: 50+100+200+400+800+1000 = 2550.
  EXPECT_EQ(worst_case_samples(8, 50, 1000, /*cached=*/false),
            (std::vector<std::size_t>{2550, 2550, 150, 150, 50, 50, 50, 50}));
  EXPECT_EQ(worst_case_samples(1, 50, 1000), (std::vector<std::size_t>{50}));
  EXPECT_EQ(worst_case_samples(3, 10, 15), (std::vector<std::size_t>{15, 15, 10}));
  EXPECT_EQ(worst_case_samples(4, 500, 120), (std::vector<std::size_t>{120, 120, 120, 120}));
  EXPECT_TRUE(worst_case_samples(0, 50, 100).empty());
}

// Candidates the data cannot separate (all alike) take the worst case: what the search spends
// then is what worst_case_samples says, candidate by candidate.
TEST(Halving, WorstCaseSamplesBoundWhatATiedSearchAsks) {
  for (std::size_t k : {2u, 5u, 9u}) {
    KnownEvaluator e(std::vector<double>(k, 0.7), std::vector<double>(k, 1.0), 700);
    HalvingRules rules;
    rules.start_sample = 40;
    HalvingResult r = successive_halving(e, k, rules);
    std::vector<std::size_t> largest;
    for (const auto& c : r.candidates) largest.push_back(c.last()->n);
    std::sort(largest.rbegin(), largest.rend());
    EXPECT_EQ(largest, worst_case_samples(k, 40, 700)) << k << " candidates";
    std::size_t sum = 0;
    for (std::size_t n : worst_case_samples(k, 40, 700)) sum += n;
    EXPECT_EQ(e.calls_, sum) << k << " candidates";
  }
}

}  // namespace
}  // namespace tunecase
