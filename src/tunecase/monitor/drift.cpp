#include "tunecase/monitor/drift.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "tunecase/monitor/daily.h"
#include "tunecase/monitor/text_drift.h"
#include "tunecase/stats/drift.h"

namespace tunecase::monitor {
namespace {

constexpr int64_t kMaxTextsPerWindow = 20000;

using Counts = std::map<std::string, int64_t>;

int64_t sum(const Counts& c) {
  int64_t n = 0;
  for (const auto& [k, v] : c) n += v;
  return n;
}

nlohmann::json detector(const std::string& name, const std::string& approach,
                        const std::string& verdict, const std::string& summary) {
  nlohmann::json j = {{"detector", name}, {"verdict", verdict}, {"summary", summary}};
  if (!approach.empty()) j["approach"] = approach;
  return j;
}

Finding finding(const char* kind, const std::string& approach, const std::string& verdict,
                const std::string& summary, bool alerts) {
  RuleState state = verdict == "too_few" || verdict == "unavailable" ? RuleState::unknown
                    : alerts                                         ? RuleState::firing
                                                                     : RuleState::clear;
  return {kind, approach, state, 0, summary, {{"verdict", verdict}}};
}

// The labels whose share moved most, largest move first.
nlohmann::json movers(const Counts& ref, const Counts& cur) {
  double nr = static_cast<double>(std::max<int64_t>(1, sum(ref)));
  double nc = static_cast<double>(std::max<int64_t>(1, sum(cur)));
  std::vector<std::tuple<double, std::string, double, double>> moves;
  std::map<std::string, int> all;
  for (const auto& [k, v] : ref) all[k];
  for (const auto& [k, v] : cur) all[k];
  for (const auto& [k, unused] : all) {
    double p = ref.count(k) ? static_cast<double>(ref.at(k)) / nr : 0;
    double q = cur.count(k) ? static_cast<double>(cur.at(k)) / nc : 0;
    moves.push_back({std::abs(q - p), k, p, q});
  }
  std::sort(moves.begin(), moves.end(), [](const auto& a, const auto& b) {
    return std::get<0>(a) != std::get<0>(b) ? std::get<0>(a) > std::get<0>(b)
                                            : std::get<1>(a) < std::get<1>(b);
  });
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < moves.size() && i < 3; ++i)
    out.push_back({{"label", std::get<1>(moves[i])},
                   {"reference_share", std::get<2>(moves[i])},
                   {"current_share", std::get<3>(moves[i])}});
  return out;
}

// One comparison of two predicted-label mixes: its band, and whether it fires (a shift the
// chi-square test says is not the noise of a small sample).
struct MixComparison {
  int64_t nr = 0, nc = 0;
  double psi = 0;
  ChiSquareResult chi;
  std::string verdict;
  bool fires = false;
  std::string label_move;  // set when one label's move raised the verdict over PSI's band
};

MixComparison compare_mix(const Counts& ref, const Counts& cur, const MonitorSettings& s) {
  MixComparison m;
  m.nr = sum(ref);
  m.nc = sum(cur);
  m.psi = population_stability_index(ref, cur);
  m.chi = chi_square_homogeneity(ref, cur);
  m.verdict = m.nr < s.min_drift_items || m.nc < s.min_drift_items ? "too_few"
              : m.psi < s.psi_warn                                 ? "stable"
              : m.psi < s.psi_alert                                ? "moderate"
                                                                   : "shift";
  // One label's share doubling (or halving) by 10 points or more is a shift whatever the PSI
  // (a category going from 9.5% to 21% of the answers had read "stable" beside p = 2e-20: PSI
  // sums over every label, and one label's move stays near 0.1); 1.5 times by 5 points, a
  // moderate one. Only where the chi-square test says it is no noise (p < 0.001).
  if ((m.verdict == "stable" || m.verdict == "moderate") && m.chi.p_value < 0.001) {
    const double nr = static_cast<double>(std::max<int64_t>(1, m.nr));
    const double nc = static_cast<double>(std::max<int64_t>(1, m.nc));
    std::map<std::string, std::pair<double, double>> shares;
    for (const auto& [k, v] : ref) shares[k].first = static_cast<double>(v) / nr;
    for (const auto& [k, v] : cur) shares[k].second = static_cast<double>(v) / nc;
    std::string best;
    double best_move = 0, best_ratio = 1, before = 0, after = 0;
    for (const auto& [k, pq] : shares) {
      const auto [p, q] = pq;
      const double move = std::abs(q - p);
      const double ratio = std::min(p, q) > 0 ? std::max(p, q) / std::min(p, q) : 1e9;
      if (move > best_move) best = k, best_move = move, best_ratio = ratio, before = p, after = q;
    }
    const bool shift = best_move >= 0.10 && best_ratio >= 2;
    const bool moderate = best_move >= 0.05 && best_ratio >= 1.5;
    if (shift || (moderate && m.verdict == "stable")) {
      m.verdict = shift ? "shift" : "moderate";
      m.label_move =
          fmt::format("'{}' went from {:.1f}% to {:.1f}% of the answers ({}): {} whatever the PSI",
                      best, 100 * before, 100 * after,
                      before > 0 ? fmt::format("{:.1f}x", after / before) : std::string("new"),
                      shift ? "a shift" : "a moderate shift");
    }
  }
  m.fires = m.verdict == "shift" && m.chi.p_value < 0.001;
  return m;
}

int severity(const std::string& verdict) {
  return verdict == "shift" ? 3 : verdict == "moderate" ? 2 : verdict == "stable" ? 1 : 0;
}

void prediction_mix(const DriftInputs& in, const MonitorSettings& s, DriftReport& report) {
  std::map<std::string, std::pair<Counts, Counts>> by_approach;
  for (const auto& c : in.reference_labels) by_approach[c.approach].first[c.label] += c.count;
  for (const auto& c : in.current_labels) by_approach[c.approach].second[c.label] += c.count;
  std::map<std::string, Counts> launch;
  for (const auto& c : in.launch_labels) launch[c.approach][c.label] += c.count;
  for (const auto& [approach, why] : in.mix_not_judged) {
    by_approach.erase(approach);
    nlohmann::json d = detector("prediction_mix", approach, "unavailable", why);
    report.document["detectors"].push_back(d);
    report.findings.push_back(
        finding(kDriftPredictionMix, approach, "unavailable", approach + ": " + why, false));
  }
  for (const auto& [approach, counts] : by_approach) {
    const auto& [ref, cur] = counts;
    const MixComparison rolling = compare_mix(ref, cur, s);
    const int64_t nr = rolling.nr, nc = rolling.nc;
    const double psi = rolling.psi;
    const ChiSquareResult& chi = rolling.chi;
    std::string verdict = rolling.verdict;
    // Too few answers: not judged, and no figure said as if it were (a PSI of 0.000 over no
    // reference answer had read as "no drift").
    std::string summary =
        verdict == "too_few"
            ? fmt::format(
                  "predicted-label mix not judged: {} reference vs {} current answers, "
                  "at least min_drift_items = {} in each",
                  nr, nc, s.min_drift_items)
            : fmt::format(
                  "predicted-label mix, {} reference vs {} current answers: PSI {:.3f} "
                  "(bands {} / {}), chi-square {:.1f} on {} df, p = {:.2g}",
                  nr, nc, psi, s.psi_warn, s.psi_alert, chi.statistic, chi.df, chi.p_value);
    if (!rolling.label_move.empty() && verdict != "too_few") summary += "; " + rolling.label_move;
    if (auto from = in.mix_reference_from.find(approach); from != in.mix_reference_from.end())
      summary += fmt::format(" ({})", from->second);
    // Against the launch mix too: the verdict is the worse of the two, and either may fire.
    bool fires = rolling.fires;
    nlohmann::json against_launch = nullptr;
    if (auto it = launch.find(approach); it != launch.end() && verdict != "too_few") {
      const MixComparison l = compare_mix(it->second, cur, s);
      summary += fmt::format(
          "; against the launch mix ({}, {} answers): PSI {:.3f}, chi-square p = {:.2g}{}",
          in.launch_windows.at(approach), l.nr, l.psi, l.chi.p_value,
          l.fires && !rolling.fires ? " (a slow shift the rolling reference has been taking in)"
                                    : "");
      if (verdict != "too_few" && severity(l.verdict) > severity(verdict)) verdict = l.verdict;
      fires = fires || (rolling.verdict != "too_few" && l.fires);
      against_launch = {{"window", in.launch_windows.at(approach)},
                        {"reference_n", l.nr},
                        {"psi", l.psi},
                        {"p_value", l.chi.p_value},
                        {"verdict", l.verdict},
                        {"movers", movers(it->second, cur)}};
    }
    nlohmann::json d = detector("prediction_mix", approach, verdict, summary);
    d.update({{"reference_n", nr},
              {"current_n", nc},
              {"psi", psi},
              {"chi_square", chi.statistic},
              {"df", chi.df},
              {"p_value", chi.p_value},
              {"movers", movers(ref, cur)}});
    if (verdict == "too_few")
      d.update({{"psi", nullptr},
                {"chi_square", nullptr},
                {"df", nullptr},
                {"p_value", nullptr},
                {"movers", nlohmann::json::array()}});
    if (!against_launch.is_null()) d["against_launch"] = against_launch;
    report.document["detectors"].push_back(d);
    // PSI says how large the shift is; the test says it is not noise of a small sample.
    report.findings.push_back(
        finding(kDriftPredictionMix, approach, verdict, approach + ": " + summary, fires));
  }
}

std::string band(bool shift, bool moderate) {
  return shift ? "shift" : moderate ? "moderate" : "stable";
}

void text_detectors(const DriftInputs& in, const MonitorSettings& s, DriftReport& report) {
  auto nr = static_cast<int64_t>(in.reference_texts.size());
  auto nc = static_cast<int64_t>(in.current_texts.size());
  if (nr == 0 && nc == 0) {
    std::string why =
        s.keep_texts
            ? fmt::format(
                  "no request texts in the drift windows ({}): the gateway keeps them "
                  "from the start after keep_texts was set; the detectors run once both "
                  "windows hold some",
                  in.windows)
            : "no request texts in the store: set [monitor] keep_texts = true for `tunecase "
              "serve` to keep them";
    for (const char* name : {"domain_classifier", "oov_share", "text_length", "emerging_terms"})
      report.document["detectors"].push_back(detector(name, "", "unavailable", why));
    return;
  }
  bool enough = nr >= s.min_drift_items && nc >= s.min_drift_items;
  auto too_few = fmt::format("{} reference and {} current texts; min_drift_items = {}", nr, nc,
                             s.min_drift_items);

  DomainResult dom =
      enough ? domain_classifier(in.reference_texts, in.current_texts) : DomainResult{};
  std::string dom_verdict = !enough ? "too_few"
                                    : band(dom.auc >= s.domain_auc_alert && dom.z >= 4,
                                           dom.auc >= (0.5 + s.domain_auc_alert) / 2 && dom.z >= 3);
  std::string dom_summary =
      enough ? fmt::format(
                   "a classifier telling {} current from {} reference texts apart: AUC "
                   "{:.3f} by {}-fold cross-validation ({:.1f} standard errors above 0.5)",
                   dom.current_n, dom.reference_n, dom.auc, dom.folds, dom.z)
             : too_few;
  nlohmann::json d = detector("domain_classifier", "", dom_verdict, dom_summary);
  // Not judged: no figure (an AUC of 0 had stood for a comparison never made).
  d.update({{"auc", enough ? nlohmann::json(dom.auc) : nlohmann::json()},
            {"z", enough ? nlohmann::json(dom.z) : nlohmann::json()},
            {"reference_n", enough ? dom.reference_n : nr},
            {"current_n", enough ? dom.current_n : nc}});
  report.document["detectors"].push_back(d);
  report.findings.push_back(
      finding(kDriftDomain, "", dom_verdict, dom_summary, dom_verdict == "shift"));

  OovResult oov = oov_shift(in.training_texts, in.reference_texts, in.current_texts);
  std::string oov_verdict = !enough ? "too_few"
                                    : band(oov.rise >= s.oov_rise_alert && oov.z >= 4,
                                           oov.rise >= s.oov_rise_alert / 2 && oov.z >= 3);
  std::string oov_summary = fmt::format(
      "out-of-vocabulary tokens (vocabulary: {}, {} texts): {:.1f}% of {} current tokens vs "
      "{:.1f}% of {} baseline tokens (z = {:.1f})",
      oov.vocabulary_source, oov.vocabulary_texts, 100 * oov.current_share, oov.current_tokens,
      100 * oov.baseline_share, oov.baseline_tokens, oov.z);
  d = detector("oov_share", "", oov_verdict, enough ? oov_summary : too_few);
  if (enough)
    d.update({{"current_share", oov.current_share},
              {"baseline_share", oov.baseline_share},
              {"rise", oov.rise},
              {"z", oov.z}});
  else
    d.update({{"current_share", nullptr},
              {"baseline_share", nullptr},
              {"rise", nullptr},
              {"z", nullptr}});
  report.document["detectors"].push_back(d);
  report.findings.push_back(
      finding(kDriftOov, "", oov_verdict, enough ? oov_summary : too_few, oov_verdict == "shift"));

  LengthResult len = length_shift(in.reference_texts, in.current_texts);
  std::string len_verdict =
      !enough ? "too_few"
              : band(std::abs(len.relative_change) >= 0.25 && std::abs(len.z) >= 4,
                     std::abs(len.relative_change) >= 0.1 && std::abs(len.z) >= 3);
  d = detector("text_length", "", len_verdict,
               enough ? fmt::format("mean length {:.1f} words in {} current texts vs {:.1f} in {} "
                                    "reference texts ({:+.0f}%, z = {:.1f})",
                                    len.current_mean, len.current_n, len.reference_mean,
                                    len.reference_n, 100 * len.relative_change, len.z)
                      : too_few);
  if (enough)
    d.update({{"relative_change", len.relative_change}, {"z", len.z}});
  else
    d.update({{"relative_change", nullptr}, {"z", nullptr}});
  report.document["detectors"].push_back(d);

  std::vector<EmergingTerm> terms =
      enough ? emerging_terms(in.reference_texts, in.current_texts, s.emerging_terms)
             : std::vector<EmergingTerm>{};
  nlohmann::json terms_json = nlohmann::json::array();
  for (const auto& t : terms)
    terms_json.push_back({{"term", t.term},
                          {"current", t.current},
                          {"reference", t.reference},
                          {"rise", t.rise},
                          {"z", t.z},
                          {"examples", t.examples}});
  report.document["emerging_terms"] = terms_json;
  bool emerging = !terms.empty() && terms.front().rise >= 3;
  std::string em_verdict = !enough ? "too_few" : band(emerging, !terms.empty());
  std::string em_summary =
      !enough ? too_few
      : terms.empty()
          ? fmt::format("no term rose significantly in {} current vs {} reference texts", nc, nr)
          : fmt::format(
                "{} {} rose (z >= 5) in {} current vs {} reference texts; top: \"{}\" in "
                "{} texts vs {} ({})",
                terms.size(), terms.size() == 1 ? "term" : "terms", nc, nr, terms.front().term,
                terms.front().current, terms.front().reference,
                terms.front().reference == 0 ? std::string("none before")
                                             : fmt::format("{:.1f}x", terms.front().rise));
  report.document["detectors"].push_back(detector("emerging_terms", "", em_verdict, em_summary));
  report.findings.push_back(finding(kDriftEmerging, "", em_verdict, em_summary, emerging));
}

// A drift finding's figures in its details, as its detector reported them (PSI, p, AUC, shares,
// z, the top emerging terms), tagged measured: a webhook's reader had got only the verdict,
// the figures inside the message's words.
void attach_figures(Finding& f, const nlohmann::json& document) {
  std::string name = f.kind.substr(std::string_view("drift_").size());
  if (name == "oov") name = "oov_share";
  for (const auto& d : document.value("detectors", nlohmann::json::array())) {
    if (d.value("detector", "") != name || d.value("approach", "") != f.approach) continue;
    nlohmann::json figures = d;
    for (const char* key : {"detector", "verdict", "summary", "approach"}) figures.erase(key);
    if (name == "emerging_terms") {
      nlohmann::json terms = nlohmann::json::array();
      for (const auto& t : document.value("emerging_terms", nlohmann::json::array())) {
        if (terms.size() == 5) break;
        nlohmann::json term = t;
        term.erase("examples");
        terms.push_back(term);
      }
      figures["terms"] = terms;
    }
    f.details["figures"] = figures;
    f.details["basis"] = "measured";
    return;
  }
}

std::vector<std::string> texts_of(Store& store, int64_t from_ms, int64_t to_ms) {
  std::vector<std::string> out;
  for (auto& t : store.texts(from_ms, to_ms, kMaxTextsPerWindow)) out.push_back(std::move(t.text));
  return out;
}

}  // namespace

DriftReport detect_drift(const DriftInputs& in, const MonitorSettings& s) {
  DriftReport report;
  report.document = {{"windows", in.windows}, {"detectors", nlohmann::json::array()}};
  prediction_mix(in, s, report);
  text_detectors(in, s, report);
  for (Finding& f : report.findings)
    if (f.details.is_object()) attach_figures(f, report.document);
  return report;
}

DriftReport detect_drift(Store& store, const MonitorSettings& s, int64_t now_ms,
                         const std::vector<std::string>& training_texts,
                         const std::map<std::string, VersionChange>& changes) {
  int64_t end_day = day_of_ms(now_ms);
  int64_t cur_first = end_day - s.current_days;
  int64_t ref_first = cur_first - s.reference_days;
  DriftInputs in;
  in.windows = fmt::format("reference {} to {} ({} days), current {} to {} ({} days), UTC",
                           iso_date(ref_first), iso_date(cur_first - 1), s.reference_days,
                           iso_date(cur_first), iso_date(end_day - 1), s.current_days);
  in.training_texts = training_texts;
  in.reference_labels = store.predicted_labels(ref_first * kDayMs, cur_first * kDayMs);
  in.current_labels = store.predicted_labels(cur_first * kDayMs, end_day * kDayMs);
  in.reference_texts = texts_of(store, ref_first * kDayMs, cur_first * kDayMs);
  in.current_texts = texts_of(store, cur_first * kDayMs, end_day * kDayMs);
  // Per approach whose version changed: the days of the two windows another version answered
  // (the registry gives them to it, and the store holds its answers), and the first day after
  // the last of them that the version now served answered.
  struct Days {
    std::set<int64_t> others;
    std::optional<int64_t> first_served;
  };
  std::map<std::string, Days> days_of;
  for (const auto& [approach, change] : changes) {
    Days d;
    for (int64_t day = ref_first; day < end_day; ++day) {
      bool given = false;
      for (const auto& [from, to] : change.others)
        given = given || (from < (day + 1) * kDayMs && to > day * kDayMs);
      if (given && store.predictions_of_other_versions(approach, change.version, day * kDayMs,
                                                       (day + 1) * kDayMs) > 0)
        d.others.insert(day);
    }
    if (d.others.empty()) continue;  // the version now served answered both windows alone
    for (int64_t day = *d.others.rbegin() + 1; day < end_day && !d.first_served; ++day)
      for (const auto& c : store.predicted_labels(day * kDayMs, (day + 1) * kDayMs))
        if (c.approach == approach && c.count > 0) d.first_served = day;
    days_of[approach] = std::move(d);
  }
  // The launch mix: the first reference_days days of the version now served (from its first day
  // when another version served before, else from when it was made champion), when they end
  // before the rolling reference starts.
  std::set<std::string> approaches;
  for (const auto& c : in.current_labels) approaches.insert(c.approach);
  for (const std::string& approach : approaches) {
    std::optional<int64_t> launch_day;
    if (auto it = days_of.find(approach); it != days_of.end()) {
      launch_day = it->second.first_served;
    } else {
      for (const ModelVersion& m : store.models(approach))
        if (m.status == ModelStatus::champion)
          launch_day = day_of_ms(m.promoted_at_ms.value_or(m.created_at_ms));
    }
    if (!launch_day || *launch_day + s.reference_days > ref_first) continue;
    const int64_t launch_to = *launch_day + s.reference_days;
    for (auto& c : store.predicted_labels(*launch_day * kDayMs, launch_to * kDayMs))
      if (c.approach == approach) in.launch_labels.push_back(std::move(c));
    in.launch_windows[approach] =
        fmt::format("{} to {}", iso_date(*launch_day), iso_date(launch_to - 1));
  }
  for (const auto& [approach, d] : days_of) {
    auto of_approach = [&](const PredictedLabelCount& c) { return c.approach == approach; };
    std::erase_if(in.reference_labels, of_approach);
    const int64_t last_other = *d.others.rbegin();
    if (last_other >= cur_first) {
      std::erase_if(in.current_labels, of_approach);
      // Judged again by the first run whose current window holds none of another version's days
      // and whose reference holds a day the version now served answered alone (the first after
      // the others'): the run of the day after that day's current window ends.
      const std::string when =
          d.first_served ? fmt::format("judged again from the run of {}",
                                       iso_date(*d.first_served + 1 + s.current_days))
                         : fmt::format(
                               "the version now served has answered no request since; judged "
                               "again from the run {} days after its first answer",
                               s.current_days + 1);
      // Only its days inside the current window are named as such (the whole span had been).
      std::set<int64_t> inside;
      for (int64_t day : d.others)
        if (day >= cur_first) inside.insert(day);
      in.mix_not_judged[approach] = fmt::format(
          "predicted-label mix not judged: another model version answered on {} in the current "
          "window, so the windows would compare two models' answers ({})",
          day_spans(inside), when);
      continue;
    }
    // The reference: its days the version now served answered alone.
    std::set<int64_t> served;
    for (int64_t day = ref_first; day < cur_first; ++day) {
      if (d.others.contains(day)) continue;
      served.insert(day);
      for (auto& c : store.predicted_labels(day * kDayMs, (day + 1) * kDayMs))
        if (c.approach == approach) in.reference_labels.push_back(std::move(c));
    }
    std::set<int64_t> left_out;
    for (int64_t day : d.others)
      if (day < cur_first) left_out.insert(day);
    in.mix_reference_from[approach] = fmt::format(
        "reference: the days of the version now served alone, {} left out as another version "
        "answered on them",
        day_spans(left_out));
  }
  DriftReport report = detect_drift(in, s);
  // The windows each finding judged, so that a resolution can tell a shift that went away from
  // one the rolling reference window has taken in (alert_sinks).
  for (Finding& f : report.findings)
    if (f.details.is_object()) {
      f.details["windows_ms"] = {{"reference_from", ref_first * kDayMs},
                                 {"current_from", cur_first * kDayMs},
                                 {"current_to", end_day * kDayMs}};
    }
  return report;
}

}  // namespace tunecase::monitor
