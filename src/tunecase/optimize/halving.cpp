#include "tunecase/optimize/halving.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "tunecase/stats/proportion.h"

namespace tunecase {
namespace {

double accuracy_of(const SampleScore& s) {
  return s.n == 0 ? 0 : static_cast<double>(s.correct) / static_cast<double>(s.n);
}

double price_of(const SampleScore& s) {
  return s.usd_per_1k ? *s.usd_per_1k : std::numeric_limits<double>::infinity();
}

std::string described(const SampleScore& s) {
  Interval ci = wilson_interval(s.correct, s.n);
  return fmt::format("{:.3f} [{:.3f}, {:.3f}] on {} dev items", accuracy_of(s), ci.lo, ci.hi, s.n);
}

// Better first: higher accuracy, then cheaper, then the earlier candidate (stable).
void rank(std::vector<std::size_t>& alive, const std::vector<CandidateOutcome>& out) {
  std::stable_sort(alive.begin(), alive.end(), [&](std::size_t a, std::size_t b) {
    const SampleScore& x = *out[a].last();
    const SampleScore& y = *out[b].last();
    double ax = accuracy_of(x), ay = accuracy_of(y);
    if (std::abs(ax - ay) > 1e-12) return ax > ay;
    return price_of(x) < price_of(y);
  });
}

// Why `loser` is below `leader`: the data (disjoint Wilson intervals) or the rule on overlap.
std::string drop_reason(const SampleScore& loser, const SampleScore& leader,
                        const std::string& rule,
                        const std::string& overlap = "budget forced a choice") {
  Interval l = wilson_interval(loser.correct, loser.n);
  Interval w = wilson_interval(leader.correct, leader.n);
  if (l.hi < w.lo)
    return fmt::format("worse: dev accuracy {} lies below the leader's {}", described(loser),
                       described(leader));
  return fmt::format("{}: {} (dev accuracy {}; intervals overlap the leader's {})", overlap, rule,
                     described(loser), described(leader));
}

std::optional<std::string> ineligible(const SampleScore& s, const HalvingRules& rules) {
  if (rules.max_usd_per_1k && s.usd_per_1k && *s.usd_per_1k > *rules.max_usd_per_1k)
    return fmt::format("ineligible: ${:.4f} per 1k calls is above max_usd_per_1k = {:g}",
                       *s.usd_per_1k, *rules.max_usd_per_1k);
  if (rules.max_usd_per_1k && !s.usd_per_1k)
    return std::string("ineligible: its price is unknown, so max_usd_per_1k cannot be checked");
  if (rules.max_p95_ms && s.p95_ms > *rules.max_p95_ms)
    return fmt::format("ineligible: p95 latency {:.0f} ms is above max_p95_ms = {:g}", s.p95_ms,
                       *rules.max_p95_ms);
  return std::nullopt;
}

struct Spend {
  double usd = 0;
  std::size_t calls = 0;
};

// The largest next sample (> prev_n, <= wanted) whose estimated cost fits what is left; prev_n
// when not even a quarter more items fit.
std::size_t affordable(std::size_t prev_n, std::size_t wanted,
                       const std::vector<std::size_t>& alive,
                       const std::vector<CandidateOutcome>& out, const HalvingRules& rules,
                       const Spend& spent) {
  double per_item_usd = 0, dearest = 0;
  for (std::size_t c : alive) {
    const SampleScore* s = out[c].last();
    if (s && s->usd_per_1k) per_item_usd += *s->usd_per_1k / 1000;
    if (s && s->usd_per_1k) dearest = std::max(dearest, *s->usd_per_1k / 1000);
  }
  std::size_t fit = wanted - prev_n;
  std::optional<double> left;
  if (rules.budget_usd) left = *rules.budget_usd - spent.usd;
  if (rules.total_cap_usd) {
    double reserve = dearest * static_cast<double>(rules.final_items);
    left =
        std::min(left.value_or(*rules.total_cap_usd), *rules.total_cap_usd - spent.usd - reserve);
  }
  if (left && per_item_usd > 0)
    fit = std::min(fit, static_cast<std::size_t>(std::max(0.0, *left) / per_item_usd));
  if (rules.max_calls) {
    std::size_t left = *rules.max_calls > spent.calls ? *rules.max_calls - spent.calls : 0;
    fit = std::min(fit, left / std::max<std::size_t>(1, alive.size()));
  }
  std::size_t minimum = prev_n == 0 ? 1 : std::max<std::size_t>(1, prev_n / 4);
  return fit < minimum ? prev_n : prev_n + fit;
}

}  // namespace

HalvingResult successive_halving(CandidateEvaluator& evaluator, std::size_t candidates,
                                 const HalvingRules& rules) {
  HalvingResult result;
  result.candidates.resize(candidates);
  result.winner_rule =
      rules.max_usd_per_1k || rules.max_p95_ms
          ? "best dev accuracy among candidates within max_usd_per_1k / max_p95_ms (ties: cheaper)"
          : "best dev accuracy on the largest sample (ties: cheaper $/1k)";
  std::vector<std::size_t> alive(candidates);
  for (std::size_t i = 0; i < candidates; ++i) alive[i] = i;
  const std::size_t dev = evaluator.dev_size();
  Spend spent;
  std::size_t prev_n = 0, wanted = std::min(std::max<std::size_t>(1, rules.start_sample), dev);
  for (std::size_t round = 0; !alive.empty() && dev > 0; ++round) {
    std::size_t n = affordable(prev_n, wanted, alive, result.candidates, rules, spent);
    if (n == prev_n) {
      result.budget_forced = true;
      break;
    }
    if (n < wanted) result.budget_forced = true;
    result.sample_sizes.push_back(n);
    bool stopped = false;
    for (std::size_t c : alive) {
      std::optional<double> left;
      if (rules.budget_usd) left = std::max(0.0, *rules.budget_usd - spent.usd);
      if (rules.total_cap_usd)
        left = std::min(left.value_or(*rules.total_cap_usd),
                        std::max(0.0, *rules.total_cap_usd - spent.usd));
      SampleScore s = evaluator.evaluate(c, n, left);
      spent.usd += s.spent_usd;
      spent.calls += s.requests;
      stopped = stopped || s.budget_stopped;
      result.candidates[c].rounds.push_back({round, s});
    }
    std::vector<std::size_t> eligible;
    for (std::size_t c : alive) {
      auto why = ineligible(*result.candidates[c].last(), rules);
      if (!why) {
        eligible.push_back(c);
        continue;
      }
      result.candidates[c].status = "ineligible";
      result.candidates[c].dropped_in_round = round;
      result.candidates[c].reason = *why;
    }
    alive = std::move(eligible);
    rank(alive, result.candidates);
    if (stopped) result.budget_forced = true;
    if (alive.size() <= 1 || n >= dev || result.budget_forced) break;
    std::size_t keep = (alive.size() + 1) / 2;
    const SampleScore& leader = *result.candidates[alive[0]].last();
    for (std::size_t i = keep; i < alive.size(); ++i) {
      auto& o = result.candidates[alive[i]];
      o.status = "dropped";
      o.dropped_in_round = round;
      o.reason = drop_reason(*o.last(), leader,
                             fmt::format("halving kept the better {} of {}", keep, alive.size()));
    }
    alive.resize(keep);
    if (alive.size() == 1) break;  // decided: more dev items would only re-measure the winner
    prev_n = n;
    wanted = std::min(dev, 2 * n);
  }
  result.spent_usd = spent.usd;
  result.requests = spent.calls;
  if (alive.empty()) {
    result.notes.push_back("no candidate met the limits: no winner");
    return result;
  }
  result.winner = alive[0];
  const SampleScore& best = *result.candidates[alive[0]].last();
  result.candidates[alive[0]].status = "winner";
  result.candidates[alive[0]].reason = fmt::format("{}: {}", result.winner_rule, described(best));
  for (std::size_t i = 1; i < alive.size(); ++i) {
    auto& o = result.candidates[alive[i]];
    o.status = "finalist";
    o.reason = result.budget_forced
                   ? drop_reason(*o.last(), best,
                                 "the budget ended the search; the best-ranked finalist won")
                   : drop_reason(*o.last(), best, "the best-ranked finalist won",
                                 "dev split used up, not separated");
  }
  if (result.budget_forced)
    result.notes.push_back("the budget or call cap ended the search before the dev split did");
  return result;
}

std::vector<std::size_t> pareto_set(const HalvingResult& result) {
  std::vector<std::size_t> out;
  const auto& cs = result.candidates;
  for (std::size_t i = 0; i < cs.size(); ++i) {
    const SampleScore* a = cs[i].last();
    if (!a || !a->usd_per_1k) continue;
    bool dominated = false;
    for (std::size_t j = 0; j < cs.size() && !dominated; ++j) {
      const SampleScore* b = cs[j].last();
      if (j == i || !b || !b->usd_per_1k) continue;
      bool no_worse = accuracy_of(*b) >= accuracy_of(*a) && *b->usd_per_1k <= *a->usd_per_1k;
      bool better = accuracy_of(*b) > accuracy_of(*a) || *b->usd_per_1k < *a->usd_per_1k;
      dominated = no_worse && better;
    }
    if (!dominated) out.push_back(i);
  }
  return out;
}

}  // namespace tunecase
