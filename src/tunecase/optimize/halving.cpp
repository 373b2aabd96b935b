#include "tunecase/optimize/halving.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "tunecase/core/number_format.h"
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

// True when `x` ranks above `y`: higher accuracy, then cheaper (the earlier candidate when both
// tie: the sorts are stable).
bool ranks_above(const SampleScore& x, const SampleScore& y) {
  double ax = accuracy_of(x), ay = accuracy_of(y);
  if (std::abs(ax - ay) > 1e-12) return ax > ay;
  return price_of(x) < price_of(y);
}

// Better first, each on its last round.
void rank(std::vector<std::size_t>& alive, const std::vector<CandidateOutcome>& out) {
  std::stable_sort(alive.begin(), alive.end(), [&](std::size_t a, std::size_t b) {
    return ranks_above(*out[a].last(), *out[b].last());
  });
}

bool separated(const SampleScore& loser, const SampleScore& leader) {
  return wilson_interval(loser.correct, loser.n).hi < wilson_interval(leader.correct, leader.n).lo;
}

// Why `loser` is below `leader`: the data (disjoint Wilson intervals), else `decided_by` (the
// halving rule, the end of the dev split or the budget) on overlapping intervals.
std::string drop_reason(const SampleScore& loser, const SampleScore& leader,
                        const std::string& decided_by) {
  // Failed requests count wrong: a drop they decided may be the endpoint's, not the prompt's.
  const std::string failed =
      loser.errors > leader.errors
          ? fmt::format(
                "; {} of its {} items failed at the endpoint and count as wrong, against the "
                "leader's {}: the endpoint may have decided this, not the prompt (failures are "
                "not cached: the search run again asks them again)",
                loser.errors, loser.n, leader.errors)
          : "";
  if (separated(loser, leader))
    return fmt::format("worse: dev accuracy {} lies below the leader's {}{}", described(loser),
                       described(leader), failed);
  return fmt::format("{} (dev accuracy {}; intervals overlap the leader's {}{})", decided_by,
                     described(loser), described(leader), failed);
}

std::optional<std::string> ineligible(const SampleScore& s, const HalvingRules& rules) {
  if (rules.max_usd_per_1k && s.usd_per_1k && *s.usd_per_1k > *rules.max_usd_per_1k)
    return fmt::format("ineligible: ${:.4f} per 1k calls is above max_usd_per_1k = {:g}",
                       *s.usd_per_1k, *rules.max_usd_per_1k);
  if (rules.max_usd_per_1k && !s.usd_per_1k)
    return s.without_usage > 0
               ? std::string(
                     "ineligible: no answer of it reported token usage, so its cost per "
                     "call, and max_usd_per_1k, cannot be checked (a price table would "
                     "not help: the endpoint must return usage)")
               : std::string(
                     "ineligible: its price is unknown, so max_usd_per_1k cannot be "
                     "checked");
  if (rules.max_p95_ms && s.p95_ms > *rules.max_p95_ms)
    return fmt::format("ineligible: p95 latency {:.0f} ms is above max_p95_ms = {:g}", s.p95_ms,
                       *rules.max_p95_ms);
  return std::nullopt;
}

void drop(CandidateOutcome& o, const SampleScore& leader, std::size_t round,
          const std::string& rule) {
  o.status = "dropped";
  o.dropped_in_round = round;
  o.reason = drop_reason(*o.last(), leader, rule);
}

struct Spend {
  double usd = 0;         // new spend
  std::size_t calls = 0;  // requests sent
  // Cached answers the search had not counted before (prior runs' spend): budget_usd, max_calls
  // and the search's share of --max-cost count them, so a search run again stops where it did.
  double prior_usd = 0;
  std::size_t prior_calls = 0;
};

// The largest next sample (> prev_n, <= wanted) whose estimated cost fits what is left; prev_n
// when not even a quarter more items fit.
std::size_t affordable(std::size_t prev_n, std::size_t wanted,
                       const std::vector<std::size_t>& alive,
                       const std::vector<CandidateOutcome>& out, const HalvingRules& rules,
                       const Spend& spent) {
  double per_item_usd = 0, dearest = 0, worst = 0;
  for (std::size_t c : alive) {
    const SampleScore* s = out[c].last();
    if (s && s->usd_per_1k) per_item_usd += *s->usd_per_1k / 1000;
    if (s && s->usd_per_1k) dearest = std::max(dearest, *s->usd_per_1k / 1000);
    if (c < rules.worst_item_usd.size()) worst = std::max(worst, rules.worst_item_usd[c]);
  }
  if (prev_n == 0 && per_item_usd == 0 && rules.estimated_item_usd_all) {
    per_item_usd = *rules.estimated_item_usd_all;
    dearest = rules.estimated_item_usd_dearest.value_or(0);
  }
  // The items of this round's sample that are paid for: the new ones, or with no cache all.
  const std::size_t paid_from = rules.resends_sample ? 0 : prev_n;
  std::size_t fit = wanted - paid_from;
  std::optional<double> left;
  if (rules.budget_usd) left = *rules.budget_usd - spent.usd - spent.prior_usd;
  if (rules.total_cap_usd) {
    double reserve = std::max(dearest, worst) * static_cast<double>(rules.final_items);
    // Cached answers the search had not counted count here too: a search run again on its cache
    // stops where it stopped, not where the cap on new spend alone would let it go on.
    left = std::min(left.value_or(*rules.total_cap_usd),
                    *rules.total_cap_usd - spent.usd - spent.prior_usd - reserve);
  }
  if (left && per_item_usd > 0)
    fit = std::min(fit, static_cast<std::size_t>(std::max(0.0, *left) / per_item_usd));
  if (rules.max_calls) {
    const std::size_t calls = spent.calls + spent.prior_calls;
    std::size_t left = *rules.max_calls > calls ? *rules.max_calls - calls : 0;
    fit = std::min(fit, left / std::max<std::size_t>(1, alive.size()));
  }
  // The first round whole (a cap that cannot pay for start_sample items of every candidate
  // would choose a winner on a handful: there is no winner then); later, at least a quarter more
  // items, or the rest of the dev split when less is left.
  std::size_t minimum =
      prev_n == 0 ? wanted : std::max<std::size_t>(1, std::min(prev_n / 4, wanted - prev_n));
  const std::size_t n = paid_from + fit;  // the sample this round can pay for
  return n < prev_n + minimum ? prev_n : n;
}

}  // namespace

namespace {

// One search in progress: who is alive, what was spent, the result being filled.
class Search {
 public:
  Search(CandidateEvaluator& evaluator, std::size_t candidates, const HalvingRules& rules)
      : evaluator_(evaluator), rules_(rules), dev_(evaluator.dev_size()) {
    result_.candidates.resize(candidates);
    result_.winner_rule =
        rules.max_usd_per_1k || rules.max_p95_ms
            ? "best dev accuracy among candidates within max_usd_per_1k / max_p95_ms (ties: "
              "cheaper)"
            : "best dev accuracy on the largest sample (ties: cheaper $/1k)";
    for (std::size_t i = 0; i < candidates; ++i) alive_.push_back(i);
  }

  HalvingResult run() {
    std::size_t prev_n = 0, wanted = first_sample();
    for (std::size_t round = 0; !alive_.empty() && dev_ > 0; ++round) {
      std::size_t n = affordable(prev_n, wanted, alive_, result_.candidates, rules_, spent_);
      if (n == prev_n) {
        result_.budget_forced = true;
        break;
      }
      if (n < wanted) result_.budget_forced = true;
      result_.sample_sizes.push_back(n);
      evaluate_alive(round, n);
      if (!narrow(round, n)) break;
      prev_n = n;
      wanted = std::min(dev_, 2 * n);
    }
    return choose();
  }

 private:
  // The caps that can end a search, as the finalists' reason names them: a search capped by
  // max_calls alone had read "the budget ended the search".
  std::string caps_named() const {
    const bool money = rules_.budget_usd || rules_.total_cap_usd;
    if (money && rules_.max_calls) return "the budget or the call cap (max_calls)";
    return rules_.max_calls ? "the call cap (max_calls)" : "the budget";
  }

  std::size_t first_sample() const {
    return std::min(std::max<std::size_t>(1, rules_.start_sample), dev_);
  }

  void evaluate_alive(std::size_t round, std::size_t n) {
    bool stopped = false;
    for (std::size_t c : alive_) {
      std::optional<double> left;
      if (rules_.budget_usd)
        left = std::max(0.0, *rules_.budget_usd - spent_.usd - spent_.prior_usd);
      if (rules_.total_cap_usd)
        left = std::min(left.value_or(*rules_.total_cap_usd),
                        std::max(0.0, *rules_.total_cap_usd - spent_.usd - spent_.prior_usd));
      // max_calls holds with retries too: the rounds are planned at one request an item, and
      // each evaluation may send what the cap leaves, no more.
      std::optional<std::size_t> calls_left;
      if (rules_.max_calls) {
        const std::size_t calls = spent_.calls + spent_.prior_calls;
        calls_left = *rules_.max_calls > calls ? *rules_.max_calls - calls : 0;
      }
      SampleScore s = evaluator_.evaluate(c, n, left, calls_left);
      spent_.usd += s.spent_usd;
      spent_.calls += s.requests;
      spent_.prior_usd += s.prior_usd;
      spent_.prior_calls += s.prior_answers;
      stopped = stopped || s.budget_stopped;
      if (round == 0 && s.budget_stopped && s.n < n) first_round_cut_ = true;
      result_.candidates[c].rounds.push_back({round, s});
    }
    if (stopped) result_.budget_forced = true;
    std::vector<std::size_t> eligible;
    for (std::size_t c : alive_) {
      // One the budget stopped before its first answer has no price or latency to judge.
      const SampleScore& s = *result_.candidates[c].last();
      auto why = s.n == 0 ? std::nullopt : ineligible(s, rules_);
      if (!why) {
        eligible.push_back(c);
        continue;
      }
      result_.candidates[c].status = "ineligible";
      result_.candidates[c].dropped_in_round = round;
      result_.candidates[c].reason = *why;
    }
    alive_ = std::move(eligible);
    rank(alive_, result_.candidates);
  }

  // Drops candidates after a round; false when the search is over. The last two are not halved:
  // they meet on doubling samples until the data separates them, the dev split is used up or
  // the budget ends the search.
  bool narrow(std::size_t round, std::size_t n) {
    if (alive_.size() <= 1 || n >= dev_ || result_.budget_forced) return false;
    const SampleScore& leader = *result_.candidates[alive_[0]].last();
    if (alive_.size() == 2) {
      if (!separated(*result_.candidates[alive_[1]].last(), leader)) return true;
      drop(result_.candidates[alive_[1]], leader, round, "");
      alive_.resize(1);
      separated_by_data_ = true;
      return false;
    }
    std::size_t keep = (alive_.size() + 1) / 2;
    std::string rule = fmt::format("halving rule: kept the better {} of {}", keep, alive_.size());
    for (std::size_t i = keep; i < alive_.size(); ++i)
      drop(result_.candidates[alive_[i]], leader, round, rule);
    alive_.resize(keep);
    return true;
  }

  // The round whose whole sample `c` answered last; none when the budget stopped even its
  // first round before it had all of that round's items.
  std::optional<std::size_t> last_complete_round(std::size_t c) const {
    const auto& rounds = result_.candidates[c].rounds;
    for (auto r = rounds.rbegin(); r != rounds.rend(); ++r)
      if (r->score.n > 0 && r->score.n >= result_.sample_sizes[r->round]) return r->round;
    return std::nullopt;
  }

  const SampleScore& score_in(std::size_t c, std::size_t round) const {
    for (const auto& r : result_.candidates[c].rounds)
      if (r.round == round) return r.score;
    return *result_.candidates[c].last();  // not reached: every survivor ran every round
  }

  HalvingResult choose() {
    result_.spent_usd = spent_.usd;
    result_.requests = spent_.calls;
    result_.prior_usd = spent_.prior_usd;
    result_.prior_answers = spent_.prior_calls;
    if (alive_.empty()) {
      result_.notes.push_back("no candidate met the limits: no winner");
      return result_;
    }
    // A budget that stops a round part-way leaves the survivors on samples of different sizes
    // (or none). They are compared on the largest sample every one of them answered whole: the
    // same dev items, so that a candidate the budget cut short is not ranked on fewer of them.
    // One that never answered a whole sample is not measured and cannot win.
    std::vector<std::size_t> measured;
    std::optional<std::size_t> common;
    for (std::size_t c : alive_) {
      auto round = last_complete_round(c);
      if (!round) {
        auto& o = result_.candidates[c];
        o.status = "unmeasured";
        o.reason = fmt::format(
            "not measured: {} ended the search before it answered the round's {} dev items",
            caps_named(),
            o.rounds.empty() ? first_sample() : result_.sample_sizes[o.rounds.back().round]);
        continue;
      }
      measured.push_back(c);
      common = common ? std::min(*common, *round) : *round;
    }
    // The first round whole or no winner (docs/optimize.md): a cap that stopped it part-way
    // leaves the candidates that came first in the grid measured and the rest not, and the
    // winner would be the best of whoever the money reached.
    if (first_round_cut_) {
      for (std::size_t c : measured) {
        auto& o = result_.candidates[c];
        o.status = "unmeasured";
        o.reason = fmt::format(
            "not compared: {} stopped the first round before every candidate had answered it",
            caps_named());
      }
      measured.clear();
    }
    if (measured.empty()) {
      result_.decided_by = fmt::format(
          "budget: {} ended the search before every candidate had answered the first {} dev "
          "items",
          caps_named(), first_sample());
      const std::size_t calls = result_.candidates.size() * first_sample();
      // Under --max-cost the winner's test run is reserved too: what the cap must cover is the
      // first round and that reserve (naming the first round alone had sent users to a cap that
      // was refused again).
      const double reserve = rules_.total_cap_usd ? rules_.test_run_reserve() : 0.0;
      std::string needs;
      // Each cap that binds, with the amount it needs (rounded up, so that the amount named
      // works): budget_usd pays for the search alone, --max-cost for the search and the test
      // run it reserves (naming one total for all three had sent users to the wrong cap).
      std::vector<std::string> raise;
      if (rules_.max_calls && *rules_.max_calls < calls)
        raise.push_back(fmt::format("max_calls to {}", calls));
      // A cap that covered the round at one request an item, used up by retries of failed
      // requests: raising it "to that" named the value it already had.
      // The items the first round got answers for (or gave up on), one request each; the rest
      // of what was sent went to retries.
      const std::size_t sent = spent_.calls + spent_.prior_calls;
      std::size_t items = 0;
      for (const auto& o : result_.candidates)
        if (!o.rounds.empty()) items += o.rounds.front().score.n;
      // What the round takes at the retry rate seen: its requests per item reached, rounded up
      // ("above 100" had named less than the 120 that had not been enough).
      const bool retries_used_it =
          rules_.max_calls && *rules_.max_calls >= calls && sent >= *rules_.max_calls;
      if (retries_used_it)
        raise.push_back(fmt::format(
            "max_calls to at least {} (at the rate seen here: {} of its {} requests went to "
            "retries of failed requests, and {} dev items of the round's {} were reached)",
            (calls * sent + std::max<std::size_t>(items, 1) - 1) / std::max<std::size_t>(items, 1),
            sent - std::min(sent, items), *rules_.max_calls, items, calls));
      if (rules_.estimated_item_usd_all) {
        const double first = *rules_.estimated_item_usd_all * static_cast<double>(first_sample());
        needs = reserve > 0
                    ? fmt::format(
                          ", about {} estimated, and {} for the winner's test run that "
                          "--max-cost reserves: {} in all",
                          usd_amount(first), usd_amount(reserve), usd_amount(first + reserve))
                    : fmt::format(", about {} estimated", usd_amount(first));
        if (rules_.budget_usd && *rules_.budget_usd < first)
          raise.push_back("budget_usd to " + usd_cap_amount(first));
        if (rules_.total_cap_usd && *rules_.total_cap_usd < first + reserve)
          raise.push_back("--max-cost to " + usd_cap_amount(first + reserve));
      }
      result_.notes.push_back(fmt::format(
          "no winner: {} {} the first round ({} candidates x {} dev items: {} requests{}); {}, "
          "or lower start_sample or the candidates",
          caps_named(),
          retries_used_it ? "was used up by retries of failed requests before the end of"
                          : "does not cover",
          result_.candidates.size(), first_sample(), calls, needs,
          raise.empty() ? std::string("raise budget_usd, max_calls or --max-cost to that")
                        : "raise " + fmt::format("{}", fmt::join(raise, " and "))));
      return result_;
    }
    std::stable_sort(measured.begin(), measured.end(), [&](std::size_t a, std::size_t b) {
      return ranks_above(score_in(a, *common), score_in(b, *common));
    });
    for (std::size_t c : measured) result_.candidates[c].judged = score_in(c, *common);
    result_.winner = measured[0];
    const SampleScore& best = score_in(measured[0], *common);
    result_.candidates[measured[0]].status = "winner";
    result_.candidates[measured[0]].reason =
        fmt::format("{}: {}", result_.winner_rule, described(best));
    std::string finalist_reason =
        result_.budget_forced
            ? fmt::format(
                  "budget forced a choice: {} ended the search after {} of {} dev items; the "
                  "best-ranked finalist won",
                  caps_named(), best.n, dev_)
            : "dev split used up, not separated: the best-ranked finalist won";
    for (std::size_t i = 1; i < measured.size(); ++i) {
      auto& o = result_.candidates[measured[i]];
      o.status = "finalist";
      o.reason = drop_reason(score_in(measured[i], *common), best, finalist_reason);
    }
    alive_ = measured;
    result_.decided_by = decided_by(best.n);
    if (result_.budget_forced)
      result_.notes.push_back(
          fmt::format("{} ended the search before the dev split did", caps_named()));
    if (*common + 1 < result_.sample_sizes.size())
      result_.notes.push_back(fmt::format(
          "{} stopped a round part-way: the finalists are compared on the {} dev items each of "
          "them answered, not on the later round's partial samples",
          caps_named(), best.n));
    return result_;
  }

  // What chose the winner among the candidates alive at the end, in one line.
  std::string decided_by(std::size_t n) const {
    if (result_.budget_forced)
      return fmt::format(
          "budget: {} ended the search after {} of {} dev items, with {} candidate(s) left",
          caps_named(), n, dev_, alive_.size());
    if (separated_by_data_)
      return fmt::format(
          "data: the winner's interval lies above the last rival's on {} of {} dev items", n, dev_);
    if (alive_.size() > 1)
      return fmt::format(
          "dev split used up: {} finalists met all {} dev items without being separated; the "
          "best-ranked won",
          alive_.size(), dev_);
    return "the only candidate left (the others were dropped or ineligible)";
  }

  CandidateEvaluator& evaluator_;
  const HalvingRules& rules_;
  const std::size_t dev_;
  HalvingResult result_;
  std::vector<std::size_t> alive_;
  Spend spent_;
  bool separated_by_data_ = false;
  bool first_round_cut_ = false;  // the budget stopped a candidate part-way through round 0
};

}  // namespace

std::vector<std::size_t> worst_case_samples(std::size_t candidates, std::size_t start_sample,
                                            std::size_t dev_size, bool cached) {
  std::vector<std::size_t> out;
  if (candidates == 0 || dev_size == 0) return out;
  std::size_t alive = candidates;
  std::size_t n = std::min(std::max<std::size_t>(1, start_sample), dev_size);
  std::size_t sent = 0;  // what a survivor has been sent so far, its rounds' samples
  // As Search::run and narrow(): a round of the survivors on n items, then the halving rule
  // (the last two are not halved), until one is left or the dev split is used up.
  for (;;) {
    sent += n;
    const std::size_t paid = cached ? n : sent;
    if (alive <= 1 || n >= dev_size) {
      out.insert(out.end(), alive, paid);
      break;
    }
    if (alive > 2) {
      std::size_t keep = (alive + 1) / 2;
      out.insert(out.end(), alive - keep, paid);
      alive = keep;
    }
    n = std::min(dev_size, 2 * n);
  }
  std::sort(out.rbegin(), out.rend());
  return out;
}

HalvingResult successive_halving(CandidateEvaluator& evaluator, std::size_t candidates,
                                 const HalvingRules& rules) {
  return Search(evaluator, candidates, rules).run();
}

std::vector<std::size_t> pareto_set(const HalvingResult& result) {
  std::vector<std::size_t> out;
  const auto& cs = result.candidates;
  for (std::size_t i = 0; i < cs.size(); ++i) {
    const SampleScore* a = cs[i].shown();
    if (!a || cs[i].status == "unmeasured" || !a->usd_per_1k) continue;
    bool dominated = false;
    for (std::size_t j = 0; j < cs.size() && !dominated; ++j) {
      const SampleScore* b = cs[j].shown();
      if (j == i || !b || cs[j].status == "unmeasured" || !b->usd_per_1k) continue;
      bool no_worse = accuracy_of(*b) >= accuracy_of(*a) && *b->usd_per_1k <= *a->usd_per_1k;
      bool better = accuracy_of(*b) > accuracy_of(*a) || *b->usd_per_1k < *a->usd_per_1k;
      dominated = no_worse && better;
    }
    if (!dominated) out.push_back(i);
  }
  return out;
}

}  // namespace tunecase
