#include "tunecase/serve/pilot_report.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tunecase/core/utc_time.h"
#include "tunecase/stats/mcnemar.h"
#include "tunecase/stats/proportion.h"
#include "tunecase/stats/two_proportion.h"

namespace tunecase::serve {
namespace {

using nlohmann::json;

struct ArmKey {
  std::string approach;
  Arm arm;
  bool matches(const std::string& a, Arm r) const { return a == approach && r == arm; }
};

// The arms a plan compares: the champion, and the challenger on its own arm (shadow in shadow
// mode).
std::vector<std::pair<std::string, ArmKey>> planned_arms(const PilotPlan& plan) {
  std::vector<std::pair<std::string, ArmKey>> arms = {{"champion", {plan.champion, Arm::champion}}};
  if (!plan.challenger.empty())
    arms.push_back(
        {"challenger",
         {plan.challenger, plan.mode == ServeMode::shadow ? Arm::shadow : Arm::challenger}});
  return arms;
}

json interval(Interval i) {
  return json::array({i.lo, i.hi});
}

// Null figures until a request was timed, as accuracy is null until a label came in: 0 ms had
// read as a measurement for an arm that had served nothing.
json latency(const LatencySummary& l) {
  auto figure = [&](double v) { return l.n > 0 ? json(v) : json(nullptr); };
  return {{"n", l.n},
          {"mean", figure(l.mean)},
          {"p50", figure(l.p50)},
          {"p95", figure(l.p95)},
          {"p99", figure(l.p99)}};
}

// Macro-F1 over the labels seen as gold or answer, from the arm's confusion pairs. A failed
// request (stored with no label) is a miss of its gold label, not a class of its own.
std::optional<double> macro_f1(const std::vector<ConfusionPair>& confusion, const ArmKey& key) {
  std::map<std::string, std::array<int64_t, 3>> by_label;  // tp, fp, fn
  for (const auto& c : confusion) {
    if (!key.matches(c.approach, c.arm)) continue;
    if (c.gold == c.predicted) {
      by_label[c.gold][0] += c.count;
    } else {
      if (!c.predicted.empty()) by_label[c.predicted][1] += c.count;
      by_label[c.gold][2] += c.count;
    }
  }
  if (by_label.empty()) return std::nullopt;
  double sum = 0;
  for (const auto& [label, t] : by_label) {
    double denominator = 2.0 * t[0] + t[1] + t[2];
    sum += denominator > 0 ? 2.0 * t[0] / denominator : 0.0;
  }
  return sum / double(by_label.size());
}

// Always answering the most frequent label among the arm's labelled items, and the share of
// them it gets right: on imbalanced traffic (99:1) an accuracy near it says little, and a clear
// win on accuracy can hide a rare class the challenger misses. null before any label.
json majority_floor(const std::vector<ConfusionPair>& confusion, const ArmKey& key,
                    int64_t labelled) {
  std::map<std::string, int64_t> gold;
  for (const auto& c : confusion)
    if (key.matches(c.approach, c.arm)) gold[c.gold] += c.count;
  if (gold.empty() || labelled <= 0) return nullptr;
  auto top = gold.begin();
  for (auto it = gold.begin(); it != gold.end(); ++it)
    if (it->second > top->second) top = it;
  return {{"label", top->first}, {"accuracy", double(top->second) / double(labelled)}};
}

json arm_json(const std::string& role, const ArmKey& key, const ArmFigures& a,
              const PilotCounts& counts, const ReportContext& context, bool priced) {
  double days =
      std::max(1.0 / 24, double(context.now_ms - context.started_at_ms) / double(kMsPerDay));
  int64_t answered_labelled = a.labelled - a.abstained_labelled;
  int64_t answered_correct = a.correct - a.abstained_correct;
  json j = {
      {"role", role},
      {"approach", key.approach},
      {"arm", arm_name(key.arm)},
      {"basis", a.simulated > 0 ? "simulated" : "measured"},
      {"requests", a.requests},
      {"labelled", a.labelled},
      {"correct", a.correct},
      {"accuracy", a.labelled ? json(double(a.correct) / a.labelled) : json(nullptr)},
      // No labels: no interval (Wilson's [0, 1] of n = 0 reads as a measured figure).
      {"accuracy_ci95",
       a.labelled ? interval(wilson_interval(a.correct, a.labelled)) : json(nullptr)},
      {"accuracy_answered",
       answered_labelled > 0 ? json(double(answered_correct) / answered_labelled) : json(nullptr)},
      {"latency_ms", latency(a.latency)},
      {"upstream_ms", latency(a.upstream)},
      {"errors", a.errors},
      {"timeouts", a.timeouts},
      {"cached", a.cached},
      {"fallbacks", a.fallbacks},
      {"abstentions", a.abstained},
      {"abstentions_labelled", a.abstained_labelled},
      {"abstentions_correct", a.abstained_correct},
      {"tokens_in", a.tokens_in},
      {"tokens_out", a.tokens_out},
      {"cost_usd", a.costed ? json(a.cost_usd) : json(nullptr)},
      {"usd_per_1k", a.costed ? json(1000.0 * a.cost_usd / a.costed) : json(nullptr)}};
  // Answers whose API reported no token usage, and requests the provider may have billed with
  // no answer to price (time-outs, 2xx answers cut off or unreadable, resent copies), cost
  // something unknown, never $0: the day's spend counts each at the mean of the known ones, and
  // says so (it had summed the known alone, and priced a timed-out call at $0).
  const int64_t unknown =
      cost_unknown(a.requests, a.errors, a.costed, a.costed_errors, a.unpriced_attempts, priced);
  const int64_t paid = a.costed - a.cached;
  const std::optional<double> spend = estimated_cost_usd(a.cost_usd, paid, unknown);
  j["cost_unknown"] = unknown;
  j["unpriced_attempts"] = a.unpriced_attempts;
  j["usd_per_day"] = a.costed && spend ? json(*spend / days) : json(nullptr);
  // sim-llm's tokens are estimates of its own. A store from before schema 11 did not count the
  // requests billed unseen: more time-outs than such requests are time-outs of then, which make
  // the figure a floor, whatever else it estimates (the clause had gone once any cost was
  // estimated).
  const int64_t old_timeouts = std::max<int64_t>(0, a.timeouts - a.unpriced_attempts);
  const std::string floor =
      old_timeouts > 0
          ? fmt::format(
                ", a floor: {} request{} timed out, whose cost is not known though the "
                "provider may bill each attempt made for {} (retries included; the "
                "store counted no such attempts before schema 11)",
                old_timeouts, old_timeouts == 1 ? "" : "s", old_timeouts == 1 ? "it" : "them")
          : "";
  const std::string known_basis = std::string(a.simulated > 0 ? "simulated" : "measured") + floor;
  const int64_t without_usage = unknown - (a.costed > 0 || priced ? a.unpriced_attempts : 0);
  std::vector<std::string> parts;
  if (without_usage > 0 && !spend)
    parts.push_back(
        fmt::format("none of the {} answered requests that called the API reported "
                    "token usage",
                    without_usage));
  else if (without_usage > 0)
    parts.push_back(fmt::format("{} of {} answered requests reported no token usage", without_usage,
                                without_usage + a.costed));
  if (unknown > without_usage)
    parts.push_back(fmt::format(
        "{} request{} reached the provider, which may have billed {}, with no answer to price "
        "(timed out, cut off, unreadable or resent)",
        unknown - without_usage, unknown - without_usage == 1 ? "" : "s",
        unknown - without_usage == 1 ? "it" : "them"));
  const std::string why = fmt::format("{}", fmt::join(parts, "; "));
  // Tokens measured and no cost carried: the model has no price (its answers did report usage).
  const bool no_price = a.costed == 0 && a.tokens_in + a.tokens_out > 0;
  // No request carried a cost (a local model, whose cost is its hosting): "measured" had stood
  // beside a null cost.
  const bool none_carried = a.costed == 0 && unknown == 0;
  j["cost_basis"] =
      none_carried && a.requests > 0 && a.errors == a.requests
          ? json(std::string("not measured: every request of this arm failed, and none carried "
                             "a cost"))
      : none_carried
          ? json(std::string(
                "not measured: no request of this arm carried a cost (a local model costs its "
                "hosting, not a price per request; the memo's figure for it is assumed)"))
      : unknown > 0 && no_price
          ? json(fmt::format("unknown: the model has no price in the catalogue, so the {} "
                             "input and {} output tokens measured have no cost (never $0); set "
                             "price = {{ input = ..., output = ... }} in the approach's table",
                             a.tokens_in, a.tokens_out))
      : unknown == 0 ? json(known_basis)
      : !spend       ? json(fmt::format("unknown: {}, so their cost is unknown (never $0)", why))
                     : json(fmt::format("estimated: {}; usd_per_day takes each at the mean of the "
                                              "{} paid ones whose cost is known{}",
                                        why, paid, floor));
  auto f1 = macro_f1(counts.confusion, key);
  j["macro_f1"] = f1 ? json(*f1) : json(nullptr);
  j["majority_floor"] = majority_floor(counts.confusion, key, a.labelled);
  std::optional<double> cold =
      context.cold_start_ms ? context.cold_start_ms(key.approach) : std::nullopt;
  j["cold_start_ms"] = cold ? json(*cold) : json(nullptr);
  return j;
}

ArmFigures find_arm(const PilotCounts& counts, const ArmKey& key) {
  for (const auto& a : counts.arms)
    if (key.matches(a.approach, a.arm)) return a;
  ArmFigures empty;
  empty.approach = key.approach;
  empty.arm = key.arm;
  return empty;
}

econ::PilotArm pilot_arm(const ArmFigures& a) {
  econ::PilotArm p;
  p.labelled = static_cast<std::size_t>(a.labelled);
  p.correct = static_cast<std::size_t>(a.correct);
  p.assigned = static_cast<std::size_t>(a.requests);
  if (a.latency.n > 0) p.latency_p50_ms = a.latency.p50;
  // Requests the provider billed with no answer to price (time-outs, cut-off answers, resent
  // copies) are paid for on top of the answers: each taken at the mean of the known costs, so a
  // challenger that times out often is not judged at the price of its answers alone.
  // Over the arm's requests (a fallback arm's costs are its failures' champion calls, fewer
  // than its requests).
  if (a.costed > 0) {
    const int64_t paid = a.costed - a.cached;
    const double unpriced_usd =
        paid > 0 ? double(a.unpriced_attempts) * a.cost_usd / double(paid) : 0.0;
    p.usd_per_query = (a.cost_usd + unpriced_usd) / double(std::max<int64_t>(a.costed, a.requests));
  }
  return p;
}

json accuracy_cell(int64_t labelled, int64_t correct) {
  return {{"labelled", labelled},
          {"accuracy", labelled ? json(double(correct) / labelled) : json(nullptr)}};
}

// Labelled items each arm needs in a segment before the report calls the challenger worse there.
constexpr int64_t kMinSegmentLabelled = 30;

// Per-label and per-segment accuracy of both arms, and the confusions only the challenger makes.
// In shadow mode a segment's difference is judged on its pairs (both answers of each labelled
// item), as the pilot's is: taken as two independent samples it had missed a segment the pairs
// showed worse.
json error_patterns(const PilotCounts& counts, const ArmKey& champion, const ArmKey& challenger,
                    bool shadow) {
  std::map<std::string, const SegmentPairs*> pairs_of;
  if (shadow && counts.paired)
    for (const SegmentPairs& p : counts.paired->segments) pairs_of[p.segment] = &p;
  std::map<std::string, std::array<int64_t, 4>> labels, segments;  // labelled/correct per arm
  for (const auto& l : counts.labels) {
    if (champion.matches(l.approach, l.arm))
      labels[l.label][0] = l.labelled, labels[l.label][1] = l.correct;
    if (challenger.matches(l.approach, l.arm))
      labels[l.label][2] = l.labelled, labels[l.label][3] = l.correct;
  }
  for (const auto& s : counts.segments) {
    if (champion.matches(s.approach, s.arm))
      segments[s.segment][0] = s.labelled, segments[s.segment][1] = s.correct;
    if (challenger.matches(s.approach, s.arm))
      segments[s.segment][2] = s.labelled, segments[s.segment][3] = s.correct;
  }
  json per_label = json::array(), per_segment = json::array(), only = json::array();
  // A label's difference on fewer items than a segment's call needs is noise as much as a
  // segment's: said, so that a page ranking the differences can put these last.
  for (const auto& [label, c] : labels)
    per_label.push_back({{"label", label},
                         {"champion", accuracy_cell(c[0], c[1])},
                         {"challenger", accuracy_cell(c[2], c[3])},
                         {"enough_labelled", std::min(c[0], c[2]) >= kMinSegmentLabelled}});
  for (const auto& [segment, c] : segments) {
    TwoProportionResult t = two_proportion_test(c[3], c[2], c[1], c[0]);
    double diff = t.diff;
    Interval ci = t.diff_ci95;
    bool both = c[0] > 0 && c[2] > 0;
    // A segment is called worse only once both arms have as many labelled items there as the
    // verdict asks of the whole pilot before its first call: a handful of items gives a wide
    // interval that a few segments cross by chance at every daily look.
    bool enough = std::min(c[0], c[2]) >= kMinSegmentLabelled;
    json entry = {{"segment", segment},
                  {"champion", accuracy_cell(c[0], c[1])},
                  {"challenger", accuracy_cell(c[2], c[3])}};
    if (auto it = pairs_of.find(segment); it != pairs_of.end()) {
      const SegmentPairs& p = *it->second;  // first: the champion, second: the challenger
      const int64_t n = p.both_right + p.only_first + p.only_second + p.both_wrong;
      diff = double(p.only_second - p.only_first) / double(n);
      ci = paired_difference_interval(std::size_t(p.both_right), std::size_t(p.only_second),
                                      std::size_t(p.only_first), std::size_t(p.both_wrong));
      both = true;
      enough = n >= kMinSegmentLabelled;
      entry["pairs"] = n;
    }
    entry["difference"] = both ? json(diff) : json(nullptr);
    entry["difference_ci95"] = both ? interval(ci) : json(nullptr);
    entry["interval"] = pairs_of.count(segment) ? "paired (Newcombe)" : "Newcombe";
    entry["enough_labelled"] = enough;
    entry["challenger_significantly_worse"] = enough && ci.hi < 0;
    per_segment.push_back(std::move(entry));
  }
  std::set<std::pair<std::string, std::string>> champion_confusions;
  for (const auto& c : counts.confusion)
    if (champion.matches(c.approach, c.arm) && c.gold != c.predicted && c.count > 0)
      champion_confusions.insert({c.gold, c.predicted});
  for (const auto& c : counts.confusion)
    if (challenger.matches(c.approach, c.arm) && c.gold != c.predicted && c.count > 0 &&
        !champion_confusions.count({c.gold, c.predicted}))
      only.push_back({{"gold", c.gold}, {"predicted", c.predicted}, {"count", c.count}});
  return {
      {"per_label", per_label}, {"challenger_only_confusions", only}, {"per_segment", per_segment}};
}

std::string outcome_name(econ::PilotOutcome outcome) {
  return outcome == econ::PilotOutcome::pending ? "collecting" : econ::to_string(outcome);
}

// Answers from the LLM response cache cost $0 and take microseconds: an arm's live latency and
// cost are then partly the cache's (a replay of texts eval already scored, or repeated texts).
std::optional<std::string> cache_note(const ArmFigures& a) {
  if (a.cached == 0) return std::nullopt;
  return fmt::format(
      "{}: {} of {} answers ({:.0f}%) came from the LLM response cache (no call, $0), so its "
      "latency and cost here are partly the cache's; `serve --no-cache` measures every call",
      a.approach, a.cached, a.requests, 100.0 * double(a.cached) / double(a.requests));
}

// An arm that answered "needs a human" is judged on the labels it would have given, which its
// clients never got: a verdict that moves traffic to it must say how often. A shadow
// challenger's answers reach no client at all: its abstentions are what it would have answered.
std::optional<std::string> abstention_reason(const char* role, const ArmFigures& a, bool shadow) {
  if (a.abstained == 0 || a.requests == 0) return std::nullopt;
  return fmt::format(
      "the {} ({}) {} \"needs a human\" to {} of {} requests ({:.0f}%, abstain_below): "
      "its accuracy scores the labels it would have given, {}; {} of the {} labelled were right",
      role, a.approach, shadow ? "would have answered" : "answered", a.abstained, a.requests,
      100.0 * double(a.abstained) / double(a.requests),
      shadow ? "had it served them (in shadow mode no client gets its answers)"
             : "which its clients did not get",
      a.abstained_correct, a.abstained_labelled);
}

std::vector<std::string> reasons(const econ::PilotVerdict& v, const PilotPlan& plan,
                                 const json& patterns, const ArmFigures& champion,
                                 const ArmFigures& challenger) {
  std::vector<std::string> out = {v.reason};
  for (auto note : {abstention_reason("challenger", challenger, plan.mode == ServeMode::shadow),
                    abstention_reason("champion", champion, false)})
    if (note) out.push_back(*note);
  // Segments are the seed's error-pattern diff: where the challenger does worse than it does
  // overall. One segment is the whole pilot, which the verdict above judges already (by the
  // always-valid interval and the money); its fixed-sample interval beside the verdict had read
  // "significantly worse" next to a clear win that the challenger's savings pay for.
  if (patterns["per_segment"].size() > 1)
    for (const auto& s : patterns["per_segment"])
      if (s["challenger_significantly_worse"].get<bool>())
        out.push_back(fmt::format(
            "segment '{}': the challenger is significantly worse there (fixed-sample 95% "
            "interval of the difference {:.3f} to {:.3f}: a pattern to examine, not a verdict)",
            s["segment"].get<std::string>(), s["difference_ci95"][0].get<double>(),
            s["difference_ci95"][1].get<double>()));
  // Failures count as wrong once labelled: a verdict resting on them says so.
  if (challenger.errors > 0)
    out.push_back(fmt::format(
        "the challenger ({}) failed {} of its {} requests ({} timed out){}; each failure counts "
        "as wrong once labelled",
        challenger.approach, challenger.errors, challenger.requests, challenger.timeouts,
        challenger.fallbacks > 0
            ? fmt::format(", {} answered by the champion instead", challenger.fallbacks)
            : ""));
  // The champion's failures count as wrong too, and widen the gain: an outage of its endpoint
  // had read as the challenger's clear win without a word.
  if (champion.errors > 0)
    out.push_back(fmt::format(
        "the champion ({}) failed {} of its {} requests ({:.0f}%, {} timed out); each failure "
        "counts as wrong once labelled, so part of the gain above is the champion's failures, "
        "not the challenger's answers",
        champion.approach, champion.errors, champion.requests,
        100.0 * double(champion.errors) / double(std::max<int64_t>(1, champion.requests)),
        champion.timeouts));
  if (v.unrepresentative)
    out.push_back(challenger.errors >= challenger.requests
                      ? "the challenger's live accuracy is below its offline interval: every "
                        "request it had failed (above)"
                  : challenger.errors > 0
                      ? "the challenger's live accuracy is below its offline interval: its "
                        "failures (above) count as wrong; beyond them, the test set may not "
                        "represent live traffic"
                      : "the challenger's live accuracy is below its offline interval: the test "
                        "set may not represent live traffic");
  out.push_back("rule from " + plan.rule_source);
  if (plan.rule_source.rfind("[pilot]", 0) == 0)  // no business case: see rule_from_settings
    out.push_back(
        fmt::format("without --plan there is no business case: a clear win needs the "
                    "low end of the gain at or above min_gain ({:+.1f} points)",
                    100 * plan.rule.extra_cost_usd));
  return out;
}

json comparison(const PilotPlan& plan, const PilotCounts& counts, const ArmFigures& champion,
                const ArmFigures& challenger, const ArmKey& champion_key,
                const ArmKey& challenger_key, const ReportContext& context,
                bool challenger_priced) {
  std::optional<econ::PilotPairs> pairs;
  json test;
  // Pairs are items both approaches answered, whatever their roles then. A store whose
  // approaches served other roles (champion and challenger swapped at a restart) holds pairs
  // but no request of this pilot's arms: they are not this pilot's, and its verdict waits for
  // requests of its own arms.
  const bool arms_served = champion.requests > 0 && challenger.requests > 0;
  int64_t paired = 0;  // labelled items both approaches answered, in any roles
  if (counts.paired) {
    const PairedOutcomes& o = *counts.paired;
    paired = o.both_right + o.only_first + o.only_second + o.both_wrong;
  }
  if (plan.mode == ServeMode::shadow) {
    econ::PilotPairs p;
    if (counts.paired && arms_served) {
      const PairedOutcomes& o = *counts.paired;
      p.labelled = std::size_t(paired);
      p.baseline_only_correct = std::size_t(o.only_first);
      p.challenger_only_correct = std::size_t(o.only_second);
      p.both_correct = std::size_t(o.both_right);
    }
    pairs = p;
    test = {{"name", "McNemar exact (shadow pairs)"},
            {"pairs", p.labelled},
            {"p_value", mcnemar_exact_p(p.challenger_only_correct, p.baseline_only_correct)}};
  } else {
    TwoProportionResult t = two_proportion_test(challenger.correct, challenger.labelled,
                                                champion.correct, champion.labelled);
    test = {{"name", "two-proportion z-test"}, {"p_value", t.p_value}};
  }
  double days = double(context.now_ms - context.started_at_ms) / double(kMsPerDay);
  econ::PilotVerdict v = judge_pilot(plan.rule, pilot_arm(challenger), pilot_arm(champion), pairs,
                                     econ::PilotDays{days, double(plan.days)});
  // A clear win is worth money at the challenger's live price; with no answer of it carrying a
  // cost (an endpoint that reports no token usage), that price is unknown and the rule had
  // quietly used the memo's: a money-losing challenger read as a paying clear win.
  const int64_t unpriced =
      cost_unknown(challenger.requests, challenger.errors, challenger.costed,
                   challenger.costed_errors, challenger.unpriced_attempts, challenger_priced);
  if (v.outcome == econ::PilotOutcome::clear_win && plan.rule.business_case && unpriced > 0 &&
      challenger.costed - challenger.costed_errors - challenger.cached <= 0) {
    v.outcome = econ::PilotOutcome::blocked;
    v.reason = fmt::format(
        "blocked: the live accuracy would make a clear win, but the challenger's live cost is "
        "unknown: none of its {} answered requests reported token usage, so the business case "
        "cannot be judged at its price (the memo's estimate is not a measurement); make its "
        "endpoint report usage, or give its table a price per query, and look again",
        unpriced);
  }
  json patterns = error_patterns(counts, champion_key, challenger_key,
                                 plan.mode == ServeMode::shadow && arms_served);
  std::vector<std::string> why = reasons(v, plan, patterns, champion, challenger);
  // Read alone, a reason must say that its figures are the offline stand-in's.
  if (champion.simulated > 0 || challenger.simulated > 0)
    why.front() = "(simulated: answers from sim-llm) " + why.front();
  if (plan.mode == ServeMode::shadow && !arms_served && paired > 0)
    why.insert(why.begin() + 1,
               fmt::format("{} labelled items were answered by both approaches in other roles (a "
                           "pilot with champion and challenger the other way round?); they are "
                           "not this pilot's and are not counted until its own arms have requests",
                           paired));
  json srm = nullptr;
  if (v.sample_ratio)
    srm = {{"chi_square", v.sample_ratio->chi_square},
           {"p_value", v.sample_ratio->p_value},
           {"test", v.sample_ratio->exact ? "exact binomial" : "chi-square"},
           {"mismatch", v.sample_ratio->mismatch},
           {"planned_share", plan.share}};
  // Nothing to compare yet (no labelled pair, or an arm without labels): no gain, not 0.
  const bool compared =
      pairs ? pairs->labelled > 0 : champion.labelled > 0 && challenger.labelled > 0;
  if (!compared) test["p_value"] = nullptr;  // no test run, not "no difference" (p = 1)
  return {
      {"difference",
       {{"accuracy_gain", compared ? json(v.gain) : json(nullptr)},
        {"always_valid_interval",
         compared ? json::array({v.gain_low, v.gain_high}) : json(nullptr)},
        {"fixed_sample_ci95", compared ? json::array({v.fixed_low, v.fixed_high}) : json(nullptr)},
        {"alpha", plan.rule.alpha},
        {"test", test}}},
      {"sample_ratio", srm},
      {"error_patterns", patterns},
      {"verdict",
       {{"outcome", outcome_name(v.outcome)},
        {"reasons", why},
        {"unrepresentative", v.unrepresentative}}},
      {"plan",
       {{"days_planned", plan.days},
        {"days_elapsed", days},
        {"labelled_planned_per_arm", v.planned_per_arm},
        {"labelled_champion", v.baseline_labelled},
        {"labelled_challenger", v.challenger_labelled}}}};
}

}  // namespace

json pilot_report(Store& store, const PilotPlan& plan, const ReportContext& context) {
  auto arms = planned_arms(plan);
  PilotQuery query;
  query.from_ms = context.started_at_ms;
  query.to_ms = context.now_ms + 1;
  for (const auto& [role, key] : arms) query.approaches.push_back(key.approach);
  if (plan.mode == ServeMode::shadow) query.paired = {{plan.champion, plan.challenger}};
  PilotCounts counts = store.pilot_counts(query);
  json report = {{"mode", serve_mode_name(plan.mode)},
                 {"champion", plan.champion},
                 {"challenger", plan.challenger.empty() ? json(nullptr) : json(plan.challenger)},
                 {"started_at_ms", context.started_at_ms},
                 {"now_ms", context.now_ms},
                 {"arms", json::array()}};
  bool simulated = false;
  std::vector<ArmFigures> figures;
  const std::set<std::string> priced = priced_approaches(store);
  for (const auto& [role, key] : arms) {
    figures.push_back(find_arm(counts, key));
    simulated = simulated || figures.back().simulated > 0;
    report["arms"].push_back(
        arm_json(role, key, figures.back(), counts, context, priced.count(key.approach) > 0));
  }
  report["basis"] = simulated ? "simulated" : "measured";
  if (arms.size() < 2) {
    report["verdict"] = {{"outcome", "no pilot"},
                         {"reasons", {"production mode: the champion serves alone"}}};
  } else {
    report.update(comparison(plan, counts, figures[0], figures[1], arms[0].second, arms[1].second,
                             context, priced.count(arms[1].second.approach) > 0));
  }
  for (const ArmFigures& a : figures)
    if (std::optional<std::string> note = cache_note(a))
      report["verdict"]["reasons"].push_back(*note);
  return report;
}

}  // namespace tunecase::serve
