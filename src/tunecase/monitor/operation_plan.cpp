#include "tunecase/monitor/operation_plan.h"
#include "tunecase/core/number_format.h"

#include <fmt/format.h>

#include <cmath>

#include "tunecase/monitor/alert_rules.h"
#include "tunecase/report/html.h"

namespace tunecase::monitor {
namespace {

constexpr double kWeeksPerMonth = 52.0 / 12.0;

std::string owner_or_unassigned(const std::string& owner) {
  return owner.empty() ? "UNASSIGNED" : owner;
}

std::string cadence(const RetrainSettings& r) {
  if (r.policy == "none")
    return "No retraining is planned. This is the highest-risk choice: accuracy will drift with "
           "the traffic and nobody is committed to act.";
  std::string out;
  if (r.policy == "scheduled" || r.policy == "both")
    out += fmt::format(
        "A scheduled retrain every {} weeks on the original labels plus the "
        "feedback labels, the most recent {} days held out to judge it. ",
        r.every_weeks, r.holdout_days);
  if (r.policy == "triggered" || r.policy == "both")
    out += fmt::format("A retrain within {} days of an accuracy alert. ", r.within_days);
  return out;
}

double retrains_per_month(const RetrainSettings& r) {
  return r.policy == "scheduled" || r.policy == "both" ? kWeeksPerMonth / r.every_weeks : 0;
}

// The accuracy rule's simulated behaviour with the day's label volume.
nlohmann::json rule_figures(const MonitorSettings& m, int64_t labelled_per_day) {
  auto r = simulate_configured_rule(m, labelled_per_day);
  nlohmann::json j = to_json(r);
  j["detection"] = detection_in_words(r, m.min_labelled);
  return j;
}

}  // namespace

nlohmann::json operation_plan(const ProjectConfig& config, const nlohmann::json& monitor_doc,
                              const PlannedChampion& planned) {
  const MonitorSettings& m = config.monitor;
  const RetrainSettings& r = config.retrain;
  nlohmann::json plan;
  plan["config"] = config.file.string();
  plan["owners"] = {{"watches_alerts", owner_or_unassigned(m.owner)},
                    {"decides_retraining", owner_or_unassigned(r.owner)}};
  plan["unassigned"] = m.owner.empty() || r.owner.empty();
  plan["retraining"] = {{"policy", r.policy},           {"every_weeks", r.every_weeks},
                        {"within_days", r.within_days}, {"holdout_days", r.holdout_days},
                        {"min_gain", r.min_gain},       {"cadence", cadence(r)}};
  plan["alerts"] = {
      {"accuracy_floor", m.accuracy_floor},
      {"min_labelled", m.min_labelled},
      {"accuracy_rule", m.accuracy_rule},
      {"consecutive_days", m.consecutive_days},
      {"max_error_rate", m.max_error_rate},
      {"max_latency_p95_ms",
       m.max_latency_p95_ms ? nlohmann::json(*m.max_latency_p95_ms) : nlohmann::json()},
      {"max_usd_per_day",
       m.max_usd_per_day ? nlohmann::json(*m.max_usd_per_day) : nlohmann::json()},
      {"feedback_silence_hours", m.feedback_silence_hours},
      {"traffic_silence_hours", m.traffic_silence_hours},
      {"psi_alert", m.psi_alert},
      {"domain_auc_alert", m.domain_auc_alert},
      {"webhook", !m.webhook.empty()}};

  // Labels per day: measured (the last report's mean over labelled days, rounded) when a
  // monitor.json is given, else the rule's minimum.
  int64_t labelled_per_day = m.min_labelled;
  std::string labelled_source = "assumed: min_labelled";
  if (monitor_doc.is_object() && monitor_doc.contains("approaches")) {
    int64_t sum = 0, days = 0;
    // The days of the version each approach now serves: a replaced model's days are never judged
    // by the rule the simulation is of (they had set its volume).
    for (const auto& a : monitor_doc["approaches"])
      for (const auto& d : a["days"])
        if (d["labelled"].get<int64_t>() > 0 && !d.value("replaced_model", false)) {
          sum += d["labelled"].get<int64_t>();
          ++days;
        }
    if (days > 0) {
      labelled_per_day = std::max<int64_t>(1, (sum + days / 2) / days);  // rounded, not cut
      labelled_source = "measured: monitor.json";
    }
    plan["measured"] = nlohmann::json::array();
    for (const auto& a : monitor_doc["approaches"]) {
      // An approach with no request in the window (one that only answered as the shadow arm,
      // which has a row of its own) measured nothing: a row of zeros read as a measurement.
      if (a.value("requests", int64_t{0}) == 0) continue;
      nlohmann::json row = {{"approach", a["name"]},
                            {"basis", a.value("basis", "measured")},
                            {"requests", a["requests"]},
                            {"labelled", a["labelled"]},
                            {"accuracy", a["accuracy"]}};
      // Another version served part of the window: the version now served, alone.
      if (a.contains("served_version") && a["served_version"].is_object())
        row["served_version"] = a["served_version"];
      plan["measured"].push_back(std::move(row));
    }
    plan["measured_window"] = monitor_doc["window"];
  }
  plan["rule_simulation"] = rule_figures(m, labelled_per_day);
  plan["rule_simulation"]["labelled_per_day_source"] = labelled_source;

  double monitoring = config.business.monitoring_usd_per_month;
  double per_retrain = r.usd_per_retrain.value_or(0);
  // A triggered policy retrains on every accuracy alert: at least the rule's false alarms on a
  // model at a healthy accuracy (simulated above), each real drop one more. Budgeted at $0, the
  // plan had understated the policy it names.
  const bool on_alerts = r.policy == "triggered" || r.policy == "both";
  const double triggered =
      on_alerts ? plan["rule_simulation"].value("false_alarms_per_year", 0.0) / 12.0 : 0.0;
  double retraining = (retrains_per_month(r) + triggered) * per_retrain;
  plan["budget_per_month"] = {
      {"monitoring_usd", monitoring},
      {"monitoring_source", "assumed: [business] monitoring_usd_per_month"},
      {"scheduled_retrains", retrains_per_month(r)},
      {"triggered_retrains", on_alerts ? nlohmann::json(triggered) : nlohmann::json()},
      {"usd_per_retrain", r.usd_per_retrain ? nlohmann::json(per_retrain) : nlohmann::json()},
      {"retraining_usd", retraining},
      {"total_usd", monitoring + retraining},
      {"emergency_retrain_usd", r.emergency_usd},
      {"retraining_source", r.usd_per_retrain ? "assumed: [retrain] usd_per_retrain"
                                              : "unknown: set [retrain] usd_per_retrain"}};
  // The decision memo prices retraining from each approach's own keys (retrain_usd every
  // retrain_every_months); this plan from [retrain]. Where they differ, both are said.
  nlohmann::json memo = nlohmann::json::array();
  for (const ApproachConfig& a : config.approaches) {
    const auto& c = a.costs;
    if (!c.retrain_usd || !c.retrain_every_months || *c.retrain_every_months <= 0) continue;
    double per_month = *c.retrain_usd / *c.retrain_every_months;
    if (std::fabs(per_month - retraining) < 0.5) continue;
    memo.push_back({{"approach", a.name}, {"retraining_usd", per_month}});
  }
  if (!memo.empty()) plan["budget_per_month"]["memo_retraining"] = memo;
  plan["automated"] = nlohmann::json::array(
      {"`tunecase monitor` from cron once a day: daily figures, alerts (JSONL, stdout, webhook, "
       "exit status 1) and drift detectors",
       "`tunecase serve` logs every prediction and feedback to the store, and loads the model "
       "registry's champion within --model-poll-ms of a promotion or rollback",
       r.policy == "none"
           ? std::string("nothing retrains: [retrain] policy = \"none\"")
           : std::string("`tunecase retrain --if-due` from cron once a day: a challenger when "
                         "the policy calls for one, promoted only when it beats the champion "
                         "on the held-out recent days (docs/operate.md)")});
  plan["manual"] = nlohmann::json::array(
      {"reading each retrain's report (retrain.md) and each refusal's reasons (by the "
       "retraining owner)",
       "rolling back a model (below), and promoting one the rule refused, if ever"});
  // The approach served after launch: the memo's pick when decide writes the plan beside it (the
  // plan had named the config's first approach, another than the memo's, and rolled back
  // another model), else [pilot] champion, else [business] baseline, else the first.
  std::string champion = planned.approach, champion_why = planned.why;
  if (champion.empty() && !config.pilot.champion.empty())
    champion = config.pilot.champion, champion_why = "[pilot] champion";
  if (champion.empty() && !config.business.baseline.empty())
    champion = config.business.baseline, champion_why = "[business] baseline";
  if (champion.empty() && !config.approaches.empty())
    champion = config.approaches.front().name, champion_why = "the config's first approach";
  plan["champion"] = {{"approach", champion}, {"from", champion_why}};
  // What the registry holds versions of: trained local models, and the example pools of LLM
  // approaches whose prompts show examples. A zero-shot LLM has nothing to roll back there.
  auto registered = [](const ApproachConfig& a) {
    return a.is_local() || a.llm.prompt == "few_shot" || a.llm.prompt == "retrieval_few_shot";
  };
  const ApproachConfig* served = config.find_approach(champion);
  std::string target = champion;
  std::string llm_note;
  if (served && !registered(*served)) {
    target.clear();
    for (const auto& a : config.approaches)
      if (a.is_local() && target.empty()) target = a.name;
    llm_note = fmt::format(
        "The champion ({}) is an LLM approach without examples: the registry holds nothing of "
        "it, and rolling it back is a change of its table (model, prompt) and a restart of "
        "`tunecase serve`.",
        champion);
  }
  nlohmann::json rollback = nlohmann::json::array();
  if (!llm_note.empty()) rollback.push_back(llm_note);
  if (!target.empty()) {
    rollback.push_back(fmt::format(
        "Every model version of {} stays in the registry with its folder; never delete a folder "
        "the registry names (`tunecase models` lists them).",
        target));
    rollback.push_back(fmt::format(
        "To roll back: `tunecase models rollback --store STORE --approach {}` makes the previous "
        "champion the champion again; every gateway on the store loads it within its "
        "--model-poll-ms, without a restart. An LLM approach with examples rolls back its "
        "example pool the same way; a change of model or prompt is a change of its table and a "
        "restart of `tunecase serve`.",
        target));
  } else if (llm_note.empty()) {
    rollback.push_back(
        "No approach is configured: `tunecase models rollback --store STORE --approach NAME` "
        "rolls back a trained model or an example pool.");
  }
  rollback.push_back(
      "Run `tunecase monitor` the next day and check that accuracy is back above the floor; "
      "resolved alerts are announced.");
  plan["rollback"] = rollback;
  return plan;
}

std::string operation_plan_markdown(const nlohmann::json& p) {
  std::string out = "# Operation plan\n\n";
  if (p["unassigned"].get<bool>())
    out +=
        "> **UNASSIGNED OWNER**: a role below has no name. Name one in `[monitor] owner` / "
        "`[retrain] owner` before deploying.\n\n";
  out += fmt::format("## Who\n\n- Watches the alerts: **{}**\n- Decides on retraining: **{}**\n\n",
                     p["owners"]["watches_alerts"].get<std::string>(),
                     p["owners"]["decides_retraining"].get<std::string>());
  out += "## How often we retrain, and what triggers it\n\n" +
         p["retraining"]["cadence"].get<std::string>() + "\n\n";
  const auto& a = p["alerts"];
  out += "## Alert thresholds\n\n| alert | threshold |\n|---|---|\n";
  out += fmt::format(
      "| accuracy below floor | {:.0f}% ({} rule, {} consecutive days, days with >= {} "
      "labels) |\n",
      100 * a["accuracy_floor"].get<double>(), a["accuracy_rule"].get<std::string>(),
      a["consecutive_days"].get<int>(), a["min_labelled"].get<int64_t>());
  out += fmt::format("| error rate | {:.1f}% |\n", 100 * a["max_error_rate"].get<double>());
  out += fmt::format("| latency p95 | {} |\n",
                     a["max_latency_p95_ms"].is_number()
                         ? fmt::format("{:.0f} ms", a["max_latency_p95_ms"].get<double>())
                         : "not set");
  out += fmt::format("| $ per day | {} |\n",
                     a["max_usd_per_day"].is_number()
                         ? fmt::format("${:.2f}", a["max_usd_per_day"].get<double>())
                         : "not set");
  out += fmt::format("| no feedback | {:.0f} hours without a label |\n",
                     a["feedback_silence_hours"].get<double>());
  out += fmt::format("| drift | PSI >= {}, domain AUC >= {} |\n\n", a["psi_alert"].get<double>(),
                     a["domain_auc_alert"].get<double>());
  const auto& s = p["rule_simulation"];
  out += fmt::format(
      "Simulated (labels per day {}, {}): at a true accuracy of {:.0f}% the accuracy alert fires "
      "falsely {:.2f} times a year; a drop to {:.0f}% {}.\n\n",
      s["labelled_per_day"].get<int64_t>(), s["labelled_per_day_source"].get<std::string>(),
      100 * s["accuracy_before"].get<double>(), s["false_alarms_per_year"].get<double>(),
      100 * s["accuracy_after"].get<double>(), s["detection"].get<std::string>());
  if (p.contains("measured")) {
    out +=
        "## Measured so far\n\n| approach | requests | labelled | accuracy |\n|---|---|---|---|\n";
    auto accuracy = [](const nlohmann::json& a) {
      return a.is_number() ? fmt::format("{:.1f}%", 100 * a.get<double>()) : std::string("n/a");
    };
    for (const auto& m : p["measured"]) {
      const std::string simulated =
          m.value("basis", "measured") == "simulated" ? " (simulated)" : "";
      out += fmt::format("| {}{}{} | {} | {} | {} |\n", m["approach"].get<std::string>(), simulated,
                         m.contains("served_version") ? ", every version" : "",
                         m["requests"].get<int64_t>(), m["labelled"].get<int64_t>(),
                         accuracy(m["accuracy"]));
      // Another version served part of the window: the one now served, alone.
      if (m.contains("served_version") && m["served_version"].is_object()) {
        const auto& v = m["served_version"];
        out += fmt::format("| {}{}, version {} now served | {} | {} | {} |\n",
                           m["approach"].get<std::string>(), simulated,
                           v.value("model_version", "").substr(0, 12), v["requests"].get<int64_t>(),
                           v["labelled"].get<int64_t>(), accuracy(v["accuracy"]));
      }
    }
    out += "\n";
  }
  out += "## What is automated\n\n";
  for (const auto& x : p["automated"]) out += "- " + x.get<std::string>() + "\n";
  out += "\nManual:\n\n";
  for (const auto& x : p["manual"]) out += "- " + x.get<std::string>() + "\n";
  const auto& b = p["budget_per_month"];
  const auto& sim = p["rule_simulation"];
  const std::string triggered =
      b.contains("triggered_retrains") && b["triggered_retrains"].is_number()
          ? fmt::format(
                ", {:.2f} triggered by the accuracy alert's false alarms at a true accuracy of "
                "{:.0f}% (simulated), each real drop one more",
                b["triggered_retrains"].get<double>(), 100 * sim.value("accuracy_before", 0.0))
          : std::string();
  out += fmt::format(
      "\n## Budget per month\n\n- Monitoring: {} ({})\n- Retraining: {} ({:.2f} scheduled "
      "retrains a month{}; {})\n- Total planned: {}\n- For comparison, an unplanned emergency "
      "retrain: {} (assumed)\n",
      whole_dollars(b["monitoring_usd"].get<double>()), b["monitoring_source"].get<std::string>(),
      b["usd_per_retrain"].is_number() ? whole_dollars(b["retraining_usd"].get<double>())
                                       : "unknown",
      b["scheduled_retrains"].get<double>(), triggered, b["retraining_source"].get<std::string>(),
      whole_dollars(b["total_usd"].get<double>()),
      whole_dollars(b["emergency_retrain_usd"].get<double>()));
  for (const auto& m : b.value("memo_retraining", nlohmann::json::array()))
    out += fmt::format(
        "- The decision memo prices {}'s retraining at {} a month (its retrain_usd and "
        "retrain_every_months), not the {} above from [retrain]: make the two agree before "
        "forwarding both\n",
        m["approach"].get<std::string>(), whole_dollars(m["retraining_usd"].get<double>()),
        b["usd_per_retrain"].is_number()
            ? whole_dollars(b["retraining_usd"].get<double>())
            : std::string("unknown retraining ([retrain] usd_per_retrain not set)"));
  out += "\n## Rollback\n\n";
  if (p.contains("champion") && !p["champion"]["approach"].get<std::string>().empty())
    out += fmt::format("The model served after launch: **{}** ({}).\n\n",
                       p["champion"]["approach"].get<std::string>(),
                       p["champion"]["from"].get<std::string>());
  int i = 1;
  for (const auto& x : p["rollback"]) out += fmt::format("{}. {}\n", i++, x.get<std::string>());
  return out;
}

std::string operation_plan_html(const nlohmann::json& p) {
  // The Markdown is short and plain: show it as preformatted text inside the offline page, with
  // the loud warning as a heading of its own.
  std::string body;
  if (p["unassigned"].get<bool>())
    body += "<h2 style=\"color:#c0392b\">UNASSIGNED OWNER: name one before deploying</h2>";
  body +=
      "<pre style=\"white-space:pre-wrap\">" + html::escape(operation_plan_markdown(p)) + "</pre>";
  return html::page("Operation plan", body);
}

}  // namespace tunecase::monitor
