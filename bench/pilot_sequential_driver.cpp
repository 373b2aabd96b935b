// Null pilots looked at every day: how often does each reading call a false clear win or worse?
// Prints, per scenario, the share of simulated pilots in which any daily look gave a call, for
// the verdict's always-valid confidence sequence (judge_pilot) and for a fixed-sample 95% test
// read the same way (Newcombe interval for a split, McNemar's exact test for a shadow pilot).
// The figures in docs/pilot-statistics.md come from this program:
//   build-stats/bench/pilot_sequential_driver [pilots per scenario, default 20000] [seed]
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "tunecase/economics/pilot_rule.h"
#include "tunecase/stats/mcnemar.h"
#include "tunecase/stats/proportion.h"

namespace {

using namespace tunecase;
using namespace tunecase::econ;

struct Scenario {
  std::string name;
  PilotMode mode = PilotMode::split;
  double challenger_accuracy = 0.85, baseline_accuracy = 0.85;
  int labelled_per_day = 2000;                          // split: both arms together; shadow: pairs
  double challenger_share = 0.05;                       // split only
  double challenger_only = 0.06, baseline_only = 0.06;  // shadow only: discordant shares
  double planned_per_arm = 1000;
  int days = 30;
};

struct Rates {
  int sequence = 0, fixed = 0;
  double day_sum = 0;  // days to the sequence's call, summed over pilots with a call
};

// Any gain pays (no extra cost), so under equal accuracy every clear win or worse is false.
PilotRule null_rule(const Scenario& s) {
  PilotRule r;
  r.challenger = "challenger";
  r.baseline = "baseline";
  r.min_labelled_per_arm = s.planned_per_arm;
  r.queries_per_month = 100'000;
  r.cost_per_error_usd = 1;
  r.live_months = 10;
  r.mode = s.mode;
  return r;
}

bool called(const PilotVerdict& v) {
  return v.outcome == PilotOutcome::clear_win || v.outcome == PilotOutcome::worse;
}

// One pilot: returns {day of the sequence's first call or 0, whether the fixed test ever called}.
std::pair<int, bool> run_split(const Scenario& s, const PilotRule& r, std::mt19937_64& rng) {
  const int to_challenger = static_cast<int>(s.labelled_per_day * s.challenger_share + 0.5);
  std::binomial_distribution<std::size_t> c_day(to_challenger, s.challenger_accuracy);
  std::binomial_distribution<std::size_t> b_day(s.labelled_per_day - to_challenger,
                                                s.baseline_accuracy);
  PilotArm c, b;
  int first = 0;
  bool fixed = false;
  for (int day = 1; day <= s.days; ++day) {
    c.labelled += to_challenger;
    c.correct += c_day(rng);
    b.labelled += s.labelled_per_day - to_challenger;
    b.correct += b_day(rng);
    PilotVerdict v = judge_pilot(r, c, b);
    if (!first && called(v)) first = day;
    fixed |= v.fixed_low >= 0 || v.fixed_high < 0;
  }
  return {first, fixed};
}

std::pair<int, bool> run_shadow(const Scenario& s, const PilotRule& r, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  PilotPairs p;
  int first = 0;
  bool fixed = false;
  for (int day = 1; day <= s.days; ++day) {
    for (int i = 0; i < s.labelled_per_day; ++i) {
      double x = u(rng);
      p.challenger_only_correct += x < s.challenger_only;
      p.baseline_only_correct += x >= s.challenger_only && x < s.challenger_only + s.baseline_only;
    }
    p.labelled += s.labelled_per_day;
    PilotVerdict v = judge_pilot(r, PilotArm{}, PilotArm{}, p);
    if (!first && called(v)) first = day;
    fixed |= mcnemar_exact_p(p.challenger_only_correct, p.baseline_only_correct) < 0.05;
  }
  return {first, fixed};
}

std::string rate(int hits, int pilots) {
  Interval ci = wilson_interval(hits, pilots);
  char text[64];
  std::snprintf(text, sizeof text, "%5.2f%% [%.2f, %.2f]", 100.0 * hits / pilots, 100 * ci.lo,
                100 * ci.hi);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  const int pilots = argc > 1 ? std::atoi(argv[1]) : 20'000;
  const unsigned long long seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20240611;
  std::vector<Scenario> scenarios{
      {"split 95/5, 2,000 labelled/day, 85% both", PilotMode::split, 0.85, 0.85, 2000, 0.05},
      {"split 50/50, 400 labelled/day, 85% both", PilotMode::split, 0.85, 0.85, 400, 0.5},
      {"split 95/5, 2,000 labelled/day, 60% both", PilotMode::split, 0.60, 0.60, 2000, 0.05},
      {"split 90/10, 500 labelled/day, 95% both", PilotMode::split, 0.95, 0.95, 500, 0.10, 0, 0,
       500},
      {"split 95/5, 120/day, plan 18/arm, 60 looks", PilotMode::split, 0.85, 0.85, 120, 0.05, 0, 0,
       18, 60},
      {"shadow, 300 pairs/day, 6% vs 6% discordant", PilotMode::shadow, 0, 0, 300, 0, 0.06, 0.06},
      {"POWER split 50/50, 400/day, 86% vs 83%", PilotMode::split, 0.86, 0.83, 400, 0.5},
      {"POWER shadow, 300 pairs/day, 7% vs 5% discordant", PilotMode::shadow, 0, 0, 300, 0, 0.07,
       0.05},
  };
  std::printf("%d pilots per scenario, 30 daily looks unless said, alpha 0.05, seed %llu\n", pilots,
              seed);
  std::printf("%-50s  %-24s  %-24s  %s\n", "scenario", "always-valid (verdict)",
              "fixed 95% read daily", "mean day of call");
  for (const Scenario& s : scenarios) {
    std::mt19937_64 rng(seed);
    PilotRule r = null_rule(s);
    Rates rates;
    for (int i = 0; i < pilots; ++i) {
      auto [first, fixed] =
          s.mode == PilotMode::split ? run_split(s, r, rng) : run_shadow(s, r, rng);
      rates.sequence += first > 0;
      rates.fixed += fixed;
      rates.day_sum += first;
    }
    double mean_day = rates.sequence ? rates.day_sum / rates.sequence : 0;
    std::printf("%-50s  %-24s  %-24s  %.1f\n", s.name.c_str(), rate(rates.sequence, pilots).c_str(),
                rate(rates.fixed, pilots).c_str(), mean_day);
  }
  return 0;
}
