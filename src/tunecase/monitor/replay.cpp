#include "tunecase/monitor/replay.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>

#include "tunecase/approaches/registry.h"
#include "tunecase/core/error.h"
#include "tunecase/core/number_format.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/monitor/alert_rules.h"
#include "tunecase/monitor/daily.h"
#include "tunecase/monitor/drift.h"
#include "tunecase/report/html.h"
#include "tunecase/report/svg_chart.h"

namespace tunecase::monitor {
namespace {

class Model {
 public:
  Model(const ApproachConfig& approach, const std::vector<std::string>& labels)
      : approach_(approach), labels_(labels) {}
  void train(const Examples& examples) {
    classifier_ = make_classifier(approach_);
    classifier_->train(examples, {}, labels_);
  }
  std::string classify(const std::string& text) { return classifier_->classify(text).label; }

 private:
  ApproachConfig approach_;
  std::vector<std::string> labels_;
  std::unique_ptr<Classifier> classifier_;
};

Examples known_by(const std::vector<ReplayItem>& items, int64_t last_day) {
  Examples out;
  for (const auto& it : items) {
    if (it.day > last_day) break;
    Example e;
    e.text = it.text;
    e.label = it.label;
    out.push_back(std::move(e));
  }
  return out;
}

// The texts of days [from, to] (inclusive), from items sorted by day.
std::vector<std::string> texts_between(const std::vector<ReplayItem>& items, int64_t from,
                                       int64_t to) {
  std::vector<std::string> out;
  auto first = std::lower_bound(items.begin(), items.end(), from,
                                [](const ReplayItem& it, int64_t day) { return it.day < day; });
  for (auto it = first; it != items.end() && it->day <= to; ++it) out.push_back(it->text);
  return out;
}

std::vector<PredictedLabelCount> label_counts(const std::map<std::string, int64_t>& counts) {
  std::vector<PredictedLabelCount> out;
  for (const auto& [label, n] : counts) out.push_back({"replayed", label, n});
  return out;
}

nlohmann::json never_judged(const PolicyRun& r) {
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& kind : r.drift_run)
    if (!r.drift_judged.contains(kind)) out.push_back(kind);
  return out;
}

// The weekly drift check of day `d`: the monitor's detectors on the replayed texts and on the
// predicted labels of the model this policy served.
void check_drift(PolicyRun& run, const std::vector<ReplayItem>& items,
                 const std::vector<std::string>& training_texts,
                 const std::vector<std::map<std::string, int64_t>>& predicted, int64_t start,
                 int64_t d, const MonitorSettings& m) {
  const int64_t current_from = d - m.current_days + 1,
                reference_from = current_from - m.reference_days;
  if (reference_from < start) return;  // not enough replayed history yet
  if (!run.drift_first_check) run.drift_first_check = d;
  DriftInputs in;
  in.windows = fmt::format("reference {}..{}, current {}..{}", iso_date(reference_from),
                           iso_date(current_from - 1), iso_date(current_from), iso_date(d));
  in.training_texts = training_texts;
  in.reference_texts = texts_between(items, reference_from, current_from - 1);
  in.current_texts = texts_between(items, current_from, d);
  std::map<std::string, int64_t> reference, current;
  for (int64_t day = reference_from; day <= d; ++day)
    for (const auto& [label, n] : predicted[static_cast<std::size_t>(day - start)])
      (day < current_from ? reference : current)[label] += n;
  in.reference_labels = label_counts(reference);
  in.current_labels = label_counts(current);
  DriftReport report = detect_drift(in, m);
  for (const Finding& f : report.findings) {
    run.drift_run.insert(f.kind);
    if (f.state != RuleState::unknown) run.drift_judged.insert(f.kind);
    // The text detectors' reason (texts under min_drift_items); the prediction mix's own
    // unknown message quotes figures, not a reason.
    if (f.state == RuleState::unknown && run.drift_not_judged.empty() &&
        f.kind != kDriftPredictionMix)
      run.drift_not_judged = f.message;
    if (f.state != RuleState::firing) continue;
    bool seen = false;
    for (const DriftFirst& x : run.drift) seen = seen || x.kind == f.kind;
    if (seen) continue;
    DriftFirst first{f.kind, d, f.message, {}};
    if (f.kind == kDriftEmerging)
      for (const auto& t : report.document["emerging_terms"])
        if (first.terms.size() < 5) first.terms.push_back(t["term"].get<std::string>());
    run.drift.push_back(std::move(first));
  }
}

PolicyRun run_policy(const std::string& policy, const std::vector<ReplayItem>& items,
                     const std::vector<ReplayItem>& drift_items,
                     const std::vector<std::string>& labels, const ReplaySettings& s, bool drift) {
  PolicyRun run;
  run.policy = policy;
  const int64_t first = items.front().day, last = items.back().day;
  const int64_t start = first + s.initial_days;
  const int64_t delay = s.feedback_delay_days;
  Model model(s.approach, labels);
  Examples initial = known_by(items, start - 1);
  run.initial_rows = initial.size();
  model.train(initial);
  run.drift_checked = drift;
  std::vector<std::string> training_texts;
  if (drift)
    for (const Example& e : known_by(drift_items, start - 1)) training_texts.push_back(e.text);
  std::vector<std::map<std::string, int64_t>> predicted;  // per replayed day: label -> answers
  int64_t last_train = start;
  // The day a triggered retrain is due (kNever: none due). A plain sentinel, not std::optional:
  // GCC 12 reports a false maybe-uninitialized for an optional here.
  constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
  int64_t retrain_on = kNever;
  bool open = false;
  std::vector<DayPoint> observed;  // days whose labels have arrived, as the monitor sees them
  std::size_t next = 0;
  while (next < items.size() && items[next].day < start) ++next;
  for (int64_t d = start; d <= last; ++d) {
    ReplayDay day;
    day.day = d;
    bool scheduled =
        (policy == "scheduled" || policy == "both") && d - last_train >= 7 * s.retrain.every_weeks;
    bool triggered = d >= retrain_on;
    if (scheduled || triggered) {
      // The rows of the initial window were labelled before the replay starts; a later row's
      // label is known `delay` days after its day. (A delay longer than the days replayed so
      // far leaves the initial rows, never fewer.)
      model.train(known_by(items, std::max(start - 1, d - 1 - delay)));
      last_train = d;
      retrain_on = kNever;
      day.retrained = true;
      ++run.retrains;
      // The monitor judges the model being served: the days the replaced model answered are
      // shown, never counted again (their late labels had reopened the alert and paid for
      // another retrain, about a model no longer served).
      for (DayPoint& p : observed) {
        p.counted = false;
        p.replaced_model = true;
      }
    }
    predicted.emplace_back();
    for (; next < items.size() && items[next].day == d; ++next) {
      ++day.n;
      std::string answer = model.classify(items[next].text);
      if (answer == items[next].label) {
        ++day.correct;
      } else {
        run.error_usd += error_cost_of_label(s.cost_per_error_by_label,
                                             s.cost_per_error_usd.value_or(0), items[next].label);
      }
      ++predicted.back()[answer];
    }
    run.days.push_back(day);
    if (drift && (d - start) % 7 == 6)
      check_drift(run, drift_items, training_texts, predicted, start, d, s.monitor);
    // End of day d: the labels of day d - delay arrive and the monitor judges that day.
    int64_t judged = d - delay;
    if (judged >= start) {
      const ReplayDay& j = run.days[static_cast<std::size_t>(judged - start)];
      DayPoint p;
      p.day = judged;
      p.labelled = j.n;
      p.correct = j.correct;
      if (j.n > 0) {
        p.accuracy = static_cast<double>(j.correct) / static_cast<double>(j.n);
        p.accuracy_ci95 =
            wilson_interval(static_cast<std::size_t>(j.correct), static_cast<std::size_t>(j.n));
      }
      p.replaced_model = judged < last_train;  // answered by a model retrained since
      p.counted = j.n >= s.monitor.min_labelled && !p.replaced_model;
      run.judged_days += p.counted ? 1 : 0;
      run.most_labelled = std::max<int64_t>(run.most_labelled, j.n);
      observed.push_back(p);
      RuleState state = accuracy_rule(observed, s.monitor);
      bool fires = state == RuleState::firing;
      if (fires && !open) {
        run.days.back().alert = true;
        ++run.alerts;
        if (!run.first_alert_day) run.first_alert_day = d;
        bool acts = policy == "triggered" || policy == "both";
        if (acts && retrain_on == kNever) retrain_on = d + s.retrain.within_days;
      }
      if (state == RuleState::firing || state == RuleState::clear) open = fires;
    }
  }
  for (const auto& day : run.days) {
    run.items += day.n;
    run.errors += day.n - day.correct;
  }
  run.retrain_usd = run.retrains * s.retrain.usd_per_retrain.value_or(0);
  return run;
}

}  // namespace

std::vector<ReplayItem> replay_items(const Examples& examples) {
  std::vector<ReplayItem> out;
  for (const auto& e : examples) {
    std::optional<int64_t> ms = parse_data_time(e.time);
    if (!ms)
      throw UserError(
          fmt::format("{}: time '{}' is not a time tunecase reads; replay needs [data] "
                      "time on every row, in {}",
                      e.id, e.time, kDataTimeFormats));
    out.push_back({*ms / kMsPerDay, e.text, e.label});  // its UTC day
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ReplayItem& a, const ReplayItem& b) { return a.day < b.day; });
  return out;
}

void check_label_costs(const std::map<std::string, double>& costs,
                       const std::vector<ReplayItem>& items) {
  if (costs.empty()) return;
  std::set<std::string> labels;
  for (const auto& it : items) labels.insert(it.label);
  if (auto refused = unknown_cost_label(costs, {labels.begin(), labels.end()}, "no replayed row",
                                        "the file's labels"))
    throw UserError(*refused);
}

void check_replay_span(const std::vector<ReplayItem>& items, int initial_days) {
  if (items.empty()) throw UserError("replay: the file has no labelled rows");
  // A replay walks every day from the first row's to the last's: a gap of more than a year (a
  // mistyped year on a few rows) would walk decades of empty days and retrain on none of them.
  constexpr int64_t kLongestGapDays = 366;
  for (std::size_t i = 1; i < items.size(); ++i) {
    const int64_t gap = items[i].day - items[i - 1].day;
    if (gap <= kLongestGapDays) continue;
    throw UserError(fmt::format(
        "replay: no row between {} and {} ({} days), and a replay walks every day between; {} of "
        "the {} rows are dated {} or later. Check the time column for a mistyped year, and fix "
        "or remove those rows",
        iso_date(items[i - 1].day), iso_date(items[i].day), gap, items.size() - i, items.size(),
        iso_date(items[i].day)));
  }
  // The initial days, then at least one day to replay.
  const int64_t days = items.back().day - items.front().day + 1;
  if (days <= initial_days)
    throw UserError(fmt::format(
        "replay: the rows cover {} day{} ({} to {}), and a replay needs the {} initial training "
        "day{} and at least one day after them; {}",
        days, days == 1 ? "" : "s", iso_date(items.front().day), iso_date(items.back().day),
        initial_days, initial_days == 1 ? "" : "s",
        days > 1 ? fmt::format("lower --initial-days (to at most {})", days - 1)
                 : std::string("give rows of at least two days")));
}

namespace {

// The first model trains on the initial days: a few early rows (a mistyped year that a gap
// under a year leaves in) had trained it on one row and priced every policy on that, silently.
void check_initial_rows(const std::vector<ReplayItem>& items, int initial_days) {
  constexpr std::size_t kMinInitialRows = 20;
  const int64_t initial_end = items.front().day + initial_days;
  std::size_t initial_rows = 0;
  std::set<std::string> initial_labels;
  for (const auto& it : items) {
    if (it.day >= initial_end) break;
    ++initial_rows;
    initial_labels.insert(it.label);
  }
  if (initial_rows >= kMinInitialRows && initial_labels.size() >= 2) return;
  const auto after = std::find_if(items.begin(), items.end(),
                                  [&](const ReplayItem& it) { return it.day >= initial_end; });
  throw UserError(fmt::format(
      "replay: the first {} days ({} to {}) hold {} row{} of {} label{}, too few to train the "
      "first model on (at least {} rows of 2 labels); the {} rows after them start {}. Check the "
      "time column for a mistyped year on the earliest rows, or raise --initial-days",
      initial_days, iso_date(items.front().day), iso_date(initial_end - 1), initial_rows,
      initial_rows == 1 ? "" : "s", initial_labels.size(), initial_labels.size() == 1 ? "" : "s",
      kMinInitialRows, items.end() - after, iso_date(after->day)));
}

}  // namespace

std::vector<PolicyRun> replay(const std::vector<ReplayItem>& items, const ReplaySettings& s) {
  check_replay_span(items, s.initial_days);
  check_label_costs(s.cost_per_error_by_label, items);
  check_initial_rows(items, s.initial_days);
  std::set<std::string> label_set;
  for (const auto& it : items) label_set.insert(it.label);
  std::vector<std::string> labels(label_set.begin(), label_set.end());
  std::vector<ReplayItem> redacted;
  if (s.drift && !s.drift_redaction.empty()) {
    const Redactor redactor(s.drift_redaction);
    redacted = items;
    for (ReplayItem& it : redacted) it.text = redactor.redact(it.text);
  }
  const std::vector<ReplayItem>& drift_items = redacted.empty() ? items : redacted;
  std::vector<PolicyRun> runs;
  for (const auto& policy : s.policies)
    runs.push_back(run_policy(policy, items, drift_items, labels, s, s.drift && runs.empty()));
  return runs;
}

std::string replay_gap_warning(const std::vector<ReplayItem>& items, int initial_days) {
  // A month or more without a row after the initial days: every policy walks it day by day, and
  // a scheduled retrain falls due in it with nothing new to train on (25 rows of a mistyped
  // year had left nine such months, priced as retrains, unsaid).
  constexpr int64_t kLongGapDays = 30;
  if (items.empty()) return "";
  const int64_t start = items.front().day + initial_days;
  std::vector<std::string> gaps;
  for (std::size_t i = 1; i < items.size(); ++i) {
    const int64_t from = std::max(items[i - 1].day, start - 1), gap = items[i].day - from - 1;
    if (items[i].day < start || gap < kLongGapDays) continue;
    if (gaps.size() < 3)
      gaps.push_back(
          fmt::format("{} to {} ({} days)", iso_date(from + 1), iso_date(items[i].day - 1), gap));
  }
  if (gaps.empty()) return "";
  return fmt::format(
      "no row on {}: the policies walk those days with no traffic, and a scheduled retrain due "
      "in them trains on nothing new and is still priced. Check the time column for a mistyped "
      "date if the traffic did not stop then",
      fmt::join(gaps, ", "));
}

nlohmann::json replay_json(const std::vector<PolicyRun>& runs, const ReplaySettings& s) {
  nlohmann::json doc = {
      {"approach", s.approach.name},
      {"initial_days", s.initial_days},
      {"initial_rows", runs.empty() ? 0 : runs.front().initial_rows},
      {"feedback_delay_days", s.feedback_delay_days},
      {"accuracy_floor", s.monitor.accuracy_floor},
      {"accuracy_rule", s.monitor.accuracy_rule},
      {"min_labelled", s.monitor.min_labelled},
      {"every_weeks", s.retrain.every_weeks},
      {"within_days", s.retrain.within_days},
      {"cost_per_error_usd",
       s.cost_per_error_usd ? nlohmann::json(*s.cost_per_error_usd) : nlohmann::json()},
      {"cost_per_error_by_label", s.cost_per_error_by_label},
      {"usd_per_retrain",
       s.retrain.usd_per_retrain ? nlohmann::json(*s.retrain.usd_per_retrain) : nlohmann::json()},
      {"emergency_usd", s.retrain.emergency_usd},
      {"provenance",
       fmt::format("measured: accuracy of the replayed approach on the file; assumed: cost per "
                   "error{}, cost per retrain, emergency retrain",
                   s.cost_per_error_by_label.empty()
                       ? ""
                       : " (an error on a row of a label [business] cost_per_error_by_label "
                         "names at that label's cost, the others at cost_per_error_usd)")},
      {"simplifications",
       "a day's labels arrive together after the delay; a retrain trains on every arrived label "
       "and is promoted without a champion/challenger gate"}};
  nlohmann::json policies = nlohmann::json::array();
  for (const auto& r : runs) {
    nlohmann::json days = nlohmann::json::array();
    for (const auto& d : r.days)
      days.push_back({{"date", iso_date(d.day)},
                      {"n", d.n},
                      {"correct", d.correct},
                      {"accuracy", d.n > 0 ? nlohmann::json(static_cast<double>(d.correct) /
                                                            static_cast<double>(d.n))
                                           : nlohmann::json()},
                      {"retrained", d.retrained},
                      {"alert", d.alert}});
    policies.push_back(
        {{"policy", r.policy},
         {"items", r.items},
         {"errors", r.errors},
         {"accuracy",
          r.items > 0 ? 1 - static_cast<double>(r.errors) / static_cast<double>(r.items) : 0.0},
         {"retrains", r.retrains},
         {"retrains_promoted", r.promoted ? nlohmann::json(*r.promoted) : nlohmann::json()},
         {"alerts", r.alerts},
         {"judged_days", r.judged_days},
         {"most_labelled_in_a_day", r.most_labelled},
         {"first_alert",
          r.first_alert_day ? nlohmann::json(iso_date(*r.first_alert_day)) : nlohmann::json()},
         // A price not set is unknown, never $0 ("none" had read as the cheapest policy).
         {"error_usd", s.cost_per_error_usd ? nlohmann::json(r.error_usd) : nlohmann::json()},
         {"retrain_usd", s.retrain.usd_per_retrain || r.retrains == 0
                             ? nlohmann::json(r.retrain_usd)
                             : nlohmann::json()},
         {"total_usd", s.cost_per_error_usd && (s.retrain.usd_per_retrain || r.retrains == 0)
                           ? nlohmann::json(r.error_usd + r.retrain_usd)
                           : nlohmann::json()},
         {"days", days}});
    if (r.drift_checked) {
      nlohmann::json drift = nlohmann::json::array();
      for (const DriftFirst& f : r.drift)
        drift.push_back({{"detector", f.kind},
                         {"first_fired", iso_date(f.day)},
                         {"summary", f.summary},
                         {"terms", f.terms}});
      doc["drift"] = {
          {"policy", r.policy},
          {"every_days", 7},
          {"current_days", s.monitor.current_days},
          {"reference_days", s.monitor.reference_days},
          {"first_check",
           r.drift_first_check ? nlohmann::json(iso_date(*r.drift_first_check)) : nlohmann::json()},
          {"first_firing", drift},
          {"never_judged", never_judged(r)},
          {"judged", r.drift_judged.size()},
          {"not_judged_because", r.drift_not_judged}};
    }
  }
  doc["policies"] = policies;
  return doc;
}

namespace {

// "7", or "7 (1 promoted)" where a retrain's challenger may be refused (through the gateway):
// each training is paid, promoted or not.
std::string retrains_cell(const nlohmann::json& policy) {
  const int retrains = policy["retrains"].get<int>();
  const nlohmann::json& promoted = policy.value("retrains_promoted", nlohmann::json());
  if (!promoted.is_number_integer()) return std::to_string(retrains);
  return fmt::format("{} ({} promoted)", retrains, promoted.get<int>());
}

}  // namespace

std::string replay_markdown(const nlohmann::json& doc) {
  // Through a gateway the first model is the one it serves (eval trained it), not one this
  // replay trained: its rows are eval.json's, when known.
  std::string first_model =
      doc.contains("gateway")
          ? fmt::format("First model: the one the gateway serves{}; the first {} days not sent",
                        doc.contains("served_model_train_rows")
                            ? fmt::format(" (trained by eval on {} rows)",
                                          doc["served_model_train_rows"].get<std::size_t>())
                            : std::string(),
                        doc["initial_days"].get<int>())
          : fmt::format("First model trained on the first {} days{}",
                        doc["initial_days"].get<int>(),
                        doc.contains("initial_rows")
                            ? fmt::format(" ({} rows)", doc["initial_rows"].get<std::size_t>())
                            : std::string());
  std::string out = fmt::format(
      "# Replay: {} under each retraining policy\n\n{}; "
      "labels arrive {} days late; accuracy alert below {:.0f}% ({} rule). {}.\n\n"
      "| policy | items | accuracy | errors | retrains | alerts | first alert | $ errors | $ "
      "retrains | $ total |\n|---|---|---|---|---|---|---|---|---|---|\n",
      doc["approach"].get<std::string>(), first_model, doc["feedback_delay_days"].get<int>(),
      100 * doc["accuracy_floor"].get<double>(), doc["accuracy_rule"].get<std::string>(),
      doc["simplifications"].get<std::string>());
  if (doc.contains("warning"))  // under the title, before anything it puts in doubt
    out.insert(out.find("\n\n") + 2,
               fmt::format("> **Warning:** {}\n\n", doc["warning"].get<std::string>()));
  if (doc.contains("data_note"))
    out.insert(out.find("\n\n") + 2,
               fmt::format("> **Data:** {}.\n\n", doc["data_note"].get<std::string>()));
  auto usd = [](const nlohmann::json& v) {
    return v.is_number() ? whole_dollars(v.get<double>()) : std::string("unknown");
  };
  for (const auto& p : doc["policies"])
    out += fmt::format("| {} | {} | {:.1f}% | {} | {} | {} | {} | {} | {} | {} |\n",
                       p["policy"].get<std::string>(), p["items"].get<int64_t>(),
                       100 * p["accuracy"].get<double>(), p["errors"].get<int64_t>(),
                       retrains_cell(p), p["alerts"].get<int>(),
                       p["first_alert"].is_string() ? p["first_alert"].get<std::string>() : "none",
                       usd(p["error_usd"]), usd(p["retrain_usd"]), usd(p["total_usd"]));
  std::vector<std::string> unset;
  if (!doc["cost_per_error_usd"].is_number()) unset.push_back("[business] cost_per_error_usd");
  if (!doc["usd_per_retrain"].is_number()) unset.push_back("[retrain] usd_per_retrain");
  if (!unset.empty())
    out += fmt::format(
        "\nThe money columns are unknown where a price is not set ({}): set {} to compare the "
        "policies' cost; they are compared on accuracy and errors alone meanwhile.\n",
        fmt::join(unset, ", "), unset.size() == 1 ? "it" : "them");
  for (const auto& p : doc["policies"]) {
    if (p.value("judged_days", 1) > 0) continue;
    out += fmt::format(
        "\n**The accuracy rule never judged a day** under {}: no day had {} labels or more "
        "([monitor] min_labelled; the most in a day was {}), so its 0 alerts say nothing, and a "
        "triggered policy never acts. Lower min_labelled to what a day of your labels holds.\n",
        p["policy"].get<std::string>(), doc.value("min_labelled", 0),
        p.value("most_labelled_in_a_day", int64_t{0}));
    break;
  }
  out += fmt::format(
      "\nAn unplanned emergency retrain is assumed to cost {} (the seed's figure). {}.\n",
      whole_dollars(doc["emergency_usd"].get<double>()), doc["provenance"].get<std::string>());
  if (doc.contains("drift")) {
    const auto& drift = doc["drift"];
    std::string first_alert = "The accuracy alert never fired.";
    for (const auto& p : doc["policies"])
      if (p["policy"] == drift["policy"] && p["first_alert"].is_string())
        first_alert =
            "The accuracy alert first fired on " + p["first_alert"].get<std::string>() + ".";
    out += fmt::format(
        "\n## Drift before labels (policy {})\n\nThe monitor's detectors, once a week on the last "
        "{} days against the {} before them, on the replayed texts and the answers of the model "
        "this policy served. {}\n\n",
        drift["policy"].get<std::string>(), drift["current_days"].get<int>(),
        drift["reference_days"].get<int>(), first_alert);
    // A check needs its windows of replayed days: before the first, nothing was checked, and "no
    // detector fired" would read as "nothing changed".
    const nlohmann::json& checked = drift.value("first_check", nlohmann::json());
    if (checked.is_string())
      out += fmt::format(
          "The first check ran on {} (the first day with {} + {} replayed days behind it): a "
          "change "
          "in the replayed days before {} was not checked.\n\n",
          checked.get<std::string>(), drift["reference_days"].get<int>(),
          drift["current_days"].get<int>(), checked.get<std::string>());
    else
      out += fmt::format(
          "No check ran: the replay has fewer than the {} + {} days after its initial window a "
          "check needs (a smaller [monitor] reference_days, or fewer --initial-days, lets one "
          "run).\n\n",
          drift["reference_days"].get<int>(), drift["current_days"].get<int>());
    // A detector that never had enough texts or labels to judge did not "not fire": the report
    // names it, as monitor says too_few.
    std::vector<std::string> unjudged;
    for (const auto& k : drift.value("never_judged", nlohmann::json::array()))
      unjudged.push_back(k.get<std::string>());
    const std::string why = drift.value("not_judged_because", "");
    if (checked.is_string() && !unjudged.empty())
      out += fmt::format(
          "Never judged on any check: {} ({}); a smaller [monitor] min_drift_items, or longer "
          "windows (current_days, reference_days), lets them judge this traffic.\n\n",
          fmt::join(unjudged, ", "), why.empty() ? "too few items" : why);
    const std::size_t judged = drift.value("judged", unjudged.empty() ? 1 : 0);
    if (drift["first_firing"].empty() && checked.is_string() && judged > 0)
      out += unjudged.empty() ? "No drift detector fired.\n"
                              : "None of the detectors that judged fired.\n";
    for (const auto& f : drift["first_firing"]) {
      std::string terms;
      for (const auto& t : f["terms"]) terms += (terms.empty() ? "" : ", ") + t.get<std::string>();
      out += fmt::format("- {}: first on {}: {}{}\n", f["detector"].get<std::string>(),
                         f["first_fired"].get<std::string>(), f["summary"].get<std::string>(),
                         terms.empty() ? "" : " (terms: " + terms + ")");
    }
  }
  return out;
}

std::string replay_html(const nlohmann::json& doc) {
  svg::ChartOptions o;
  o.title = "Accuracy per week under each policy";
  o.x.title = "week of the replay";
  o.y.title = "accuracy";
  o.y.min = 0;
  o.y.max = 1;
  std::vector<svg::Series> series;
  std::size_t weeks = 0;
  for (const auto& p : doc["policies"]) {
    svg::Series s;
    s.name = p["policy"].get<std::string>();
    s.markers = false;
    const auto& days = p["days"];
    for (std::size_t w = 0; w * 7 < days.size(); ++w) {
      int64_t n = 0, c = 0;
      for (std::size_t i = w * 7; i < std::min(days.size(), w * 7 + 7); ++i) {
        n += days[i]["n"].get<int64_t>();
        c += days[i]["correct"].get<int64_t>();
      }
      svg::Point pt;
      pt.x = static_cast<double>(w);
      pt.y = n > 0 ? static_cast<double>(c) / static_cast<double>(n) : NAN;
      s.points.push_back(pt);
    }
    weeks = std::max(weeks, s.points.size());
    series.push_back(std::move(s));
  }
  svg::Series floor;
  floor.name = "floor";
  floor.dashed = true;
  floor.markers = false;
  floor.color = "#c0392b";
  for (std::size_t w = 0; w < weeks; ++w) {
    svg::Point pt;
    pt.x = static_cast<double>(w);
    pt.y = doc["accuracy_floor"].get<double>();
    floor.points.push_back(pt);
  }
  series.push_back(floor);
  std::string body = svg::line_chart(o, series);
  body += "<pre style=\"white-space:pre-wrap\">" + html::escape(replay_markdown(doc)) + "</pre>";
  return html::page("Replay", body);
}

}  // namespace tunecase::monitor
