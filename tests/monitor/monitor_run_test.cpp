// run_monitor end to end on a SQLite store with a simulated clock.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>

#include "monitor_fixture.h"
#include "tunecase/monitor/alert_rules.h"
#include "tunecase/monitor/monitor.h"
#include "tunecase/monitor/monitor_report.h"

namespace tunecase::monitor::testing {
namespace {

class RunMonitor : public StoreTest {
 protected:
  // Ten days at 87% on 100 labels a day, then three at 71%: the rule's three-day drop.
  void log_the_drop() {
    for (int d = 0; d < 10; ++d) log_day("linear", d, 150, 100, 87);
    for (int d = 10; d < 13; ++d) log_day("linear", d, 150, 100, 71);
  }
};

MonitorRequest at_day(int day) {
  MonitorRequest r;
  r.now_ms = kT0 + day * kDayMs + 6 * 3'600'000;  // 06:00 on that day: the day before is complete
  r.approaches = {"linear"};
  return r;
}

// 200 answers of "linear" on `day`, its labels in turn from `labels`; the logged records.
std::vector<PredictionRecord> log_mixed_answers(Store& store, int day,
                                                const std::vector<std::string>& labels) {
  std::vector<PredictionRecord> batch;
  for (std::size_t i = 0; i < 200; ++i) {
    PredictionRecord p;
    p.prediction_id = make_prediction_id();
    p.request_id = fmt::format("mix-{}-{}", day, i);
    p.approach = "linear";
    p.label = labels[i % labels.size()];
    p.latency_ms = 1;
    p.created_at_ms = kT0 + day * kDayMs + static_cast<int64_t>(i) * 1000;
    batch.push_back(p);
  }
  store.log_predictions(batch);
  return batch;
}

// Version aaaa… of "linear" champion from the start, bbbb… promoted by a retrain on day 10.
void promote_on_day_ten(Store& store, ModelVersion& old_model, ModelVersion& new_model) {
  old_model.approach = new_model.approach = "linear";
  old_model.version = "aaaaaaaaaaaaaaaa";
  new_model.version = "bbbbbbbbbbbbbbbb";
  old_model.created_at_ms = kT0;
  new_model.created_at_ms = kT0 + 10 * kDayMs;
  store.register_model(old_model);
  store.register_model(new_model);
  ASSERT_TRUE(store.set_model_status("linear", old_model.version, ModelStatus::champion, kT0));
  ASSERT_TRUE(store.set_model_status("linear", new_model.version, ModelStatus::champion,
                                     kT0 + 10 * kDayMs + 3'600'000, "tunecase retrain"));
}

TEST_F(RunMonitor, AnAccuracyDropFiresOnceAndTheReportsShowIt) {
  log_the_drop();
  MonitorSettings s;
  s.days = 14;
  AlertOutputs out{dir_ / "alerts.jsonl", nullptr};
  auto run = run_monitor(*store_, s, at_day(13), out);
  ASSERT_EQ(run.alerts.fired.size(), 1u);
  EXPECT_EQ(run.alerts.fired[0].kind, kAccuracyBelowFloor);
  EXPECT_EQ(run.alerts.fired[0].approach, "linear");
  const auto& doc = run.document;
  EXPECT_EQ(doc["window"]["days"], 14);
  EXPECT_EQ(doc["window"]["last_date"], iso_date(kDay0 + 12));
  ASSERT_EQ(doc["approaches"].size(), 1u);
  EXPECT_DOUBLE_EQ(doc["approaches"][0]["days"][12]["accuracy"].get<double>(), 0.71);
  EXPECT_DOUBLE_EQ(doc["approaches"][0]["days"][13]["accuracy"].get<double>(), 0.71);
  EXPECT_EQ(doc["approaches"][0]["days"][0]["requests"], 0);
  // A day without requests has no latency and no error rate (0 ms and 0% read as measured).
  for (const char* key : {"latency_p50_ms", "latency_p95_ms", "error_rate"}) {
    EXPECT_TRUE(doc["approaches"][0]["days"][0][key].is_null()) << key;
    EXPECT_TRUE(doc["approaches"][0]["days"][12][key].is_number()) << key;
  }

  auto again = run_monitor(*store_, s, at_day(13), out);
  EXPECT_TRUE(again.alerts.fired.empty());
  EXPECT_EQ(again.alerts.open.size(), 1u);

  std::string md = monitor_markdown(run.document);
  EXPECT_NE(md.find("accuracy_below_floor"), std::string::npos);
  EXPECT_NE(md.find("71.0%"), std::string::npos);
  EXPECT_NE(md.find(fmt::format("| {} | 0 | 0 | n/a | n/a | n/a | 0 (n/a) |",
                                doc["approaches"][0]["days"][0]["date"].get<std::string>())),
            std::string::npos)
      << md;
  // A day that spent a fraction of a cent keeps two significant digits ("$0.00" read as free).
  nlohmann::json cheap = run.document;
  for (auto& day : cheap["approaches"][0]["days"])
    if (day["requests"].get<int64_t>() > 0) day["cost_usd"] = 0.0013;
  EXPECT_NE(monitor_markdown(cheap).find("$0.0013"), std::string::npos);
  std::string html = monitor_html(run.document);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("floor 80%"), std::string::npos);
  EXPECT_NE(monitor_text(run.document).find("fired"), std::string::npos);
  // The alert's next step names "By label": recall by gold label and the last days' mistakes
  // (every answer here is "a", and the wrong ones' gold label is "b").
  EXPECT_NE(run.alerts.fired[0].message.find("By label"), std::string::npos)
      << run.alerts.fired[0].message;
  const auto& labels = doc["approaches"][0]["labels"];
  ASSERT_EQ(labels.size(), 2u) << labels.dump();
  EXPECT_EQ(labels[1]["label"], "b");
  EXPECT_DOUBLE_EQ(labels[1]["recent"]["recall"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(labels[0]["recent"]["recall"].get<double>(), 1.0);
  ASSERT_FALSE(doc["approaches"][0]["confusions_recent"].empty());
  EXPECT_EQ(doc["approaches"][0]["confusions_recent"][0]["gold"], "b");
  EXPECT_NE(md.find("### By label"), std::string::npos) << md;
  EXPECT_NE(md.find("b answered as a:"), std::string::npos) << md;
  EXPECT_NE(html.find("By label"), std::string::npos);
}

// One day back at the floor inside a drop does not resolve the alert (it had flapped: resolved,
// fired again three days later); the open alert shows what this run found beside the figure it
// fired with; three days at the floor end it.
TEST_F(RunMonitor, AnAccuracyAlertStaysOpenUntilTheDataShowsItOver) {
  log_the_drop();
  MonitorSettings s;
  s.days = 14;
  AlertOutputs out{dir_ / "alerts.jsonl", nullptr};
  ASSERT_EQ(run_monitor(*store_, s, at_day(13), out).alerts.fired.size(), 1u);
  log_day("linear", 13, 150, 100, 81);
  auto holding = run_monitor(*store_, s, at_day(14), out);
  EXPECT_TRUE(holding.alerts.resolved.empty());
  ASSERT_EQ(holding.alerts.open.size(), 1u);
  const auto& open = holding.document["alerts"]["open"][0];
  EXPECT_NE(open["now"].get<std::string>().find("81.0%"), std::string::npos) << open;
  EXPECT_NE(open["now"].get<std::string>().find("not yet back"), std::string::npos) << open;
  EXPECT_NE(monitor_text(holding.document).find("now: linear: accuracy 81.0%"), std::string::npos)
      << monitor_text(holding.document);
  log_day("linear", 14, 150, 100, 75);
  log_day("linear", 15, 150, 100, 82);
  EXPECT_TRUE(run_monitor(*store_, s, at_day(16), out).alerts.resolved.empty());
  log_day("linear", 16, 150, 100, 83);
  log_day("linear", 17, 150, 100, 84);
  auto back = run_monitor(*store_, s, at_day(18), out);
  ASSERT_EQ(back.alerts.resolved.size(), 1u);
  EXPECT_NE(back.alerts.resolved[0].message.find("84.0%"), std::string::npos)
      << back.alerts.resolved[0].message;
}

// With a triggered policy, the alert this run opened makes a retrain due, and the dashboard's
// meta says so.
TEST_F(RunMonitor, AnOpenAccuracyAlertMakesATriggeredRetrainDue) {
  log_the_drop();
  MonitorSettings s;
  s.days = 14;
  MonitorRequest request = at_day(13);
  request.local_approaches = {"linear"};
  request.retrain.policy = "triggered";
  auto run = run_monitor(*store_, s, request, {dir_ / "alerts.jsonl", nullptr});
  ASSERT_EQ(run.document["retrain"].size(), 1u);
  EXPECT_TRUE(run.document["retrain"][0]["due"].get<bool>());
  auto latest = nlohmann::json::parse(store_->meta("monitor.latest").value_or("null"));
  EXPECT_TRUE(latest["retrain"][0]["due"].get<bool>());
  EXPECT_NE(monitor_text(run.document).find("retrain linear: due"), std::string::npos);
  // Past the policy's days it says the retrain is overdue, not only "retrain within 7 days".
  request = at_day(13 + 10);
  request.local_approaches = {"linear"};
  request.retrain.policy = "triggered";
  auto late = run_monitor(*store_, s, request, {dir_ / "alerts.jsonl", nullptr});
  EXPECT_NE(monitor_text(late.document).find("overdue by 3 days"), std::string::npos)
      << monitor_text(late.document);
}

// A retrain replaced the model on day 10: the drop of days 8 to 10 was the old model's, and their
// labels (arriving late) must not fire an alert, nor make a retrain due, about the new one.
TEST_F(RunMonitor, TheAccuracyRuleJudgesOnlyTheDaysOfTheModelBeingServed) {
  for (const char* approach : {"linear", "unregistered"}) {
    for (int d = 0; d < 8; ++d) log_day(approach, d, 150, 100, 87);
    for (int d = 8; d < 11; ++d) log_day(approach, d, 150, 100, 71);
    for (int d = 11; d < 13; ++d) log_day(approach, d, 150, 10, 9);  // labels still to come
  }
  MonitorSettings s;
  s.days = 14;
  // Without a registry (or with the first model only) every day is judged: the drop fires.
  MonitorRequest control = at_day(13);
  control.approaches = {"unregistered"};
  EXPECT_EQ(run_monitor(*store_, s, control, AlertOutputs{}).alerts.fired.size(), 1u);

  ModelVersion old_model, new_model;
  ASSERT_NO_FATAL_FAILURE(promote_on_day_ten(*store_, old_model, new_model));
  MonitorRequest request = at_day(13);
  request.local_approaches = {"linear"};
  request.retrain.policy = "triggered";
  auto run = run_monitor(*store_, s, request, AlertOutputs{});
  EXPECT_TRUE(run.alerts.fired.empty()) << run.document["findings"].dump(2);
  EXPECT_FALSE(run.document["retrain"][0]["due"].get<bool>());
  bool named = false;
  for (const auto& f : run.document["findings"])
    if (f["kind"] == kAccuracyBelowFloor)
      named = f["message"].get<std::string>().find("served by version bbbbbbbbbbbb only") !=
              std::string::npos;
  EXPECT_TRUE(named) << run.document["findings"].dump(2);
  // The report shows the replaced model's days as such, never as counted.
  const auto& linear = run.document["approaches"][0];
  EXPECT_EQ(linear["model_version"], new_model.version);
  EXPECT_EQ(linear["judged_from"], iso_date(kDay0 + 11));
  for (const auto& day : linear["days"]) {
    // A day without requests was answered by no model: nothing to set aside.
    bool replaced = day["date"].get<std::string>() <= iso_date(kDay0 + 10) &&
                    day["requests"].get<int64_t>() > 0;
    EXPECT_EQ(day["replaced_model"].get<bool>(), replaced) << day.dump();
    if (replaced) {
      EXPECT_FALSE(day["counted"].get<bool>()) << day.dump();
    }
  }
  EXPECT_NE(monitor_markdown(run.document).find("(replaced model, not judged)"), std::string::npos);
}

// A retrain promoted after an accuracy alert, whose own days fall below the floor too: the alert
// about the replaced model is resolved as such and one about the new model opens, which makes a
// triggered retrain due. Kept open, the old alert ("opened before the newest model was made") had
// left a model below the floor in service for weeks with no retrain.
TEST_F(RunMonitor, ANewModelBelowTheFloorGetsAnAlertOfItsOwn) {
  for (int d = 0; d < 8; ++d) log_day("linear", d, 150, 100, 87, 100, 0, "", false, "aaaa");
  for (int d = 8; d < 11; ++d) log_day("linear", d, 150, 100, 71, 100, 0, "", false, "aaaa");
  ModelVersion old_model, new_model;
  old_model.approach = new_model.approach = "linear";
  old_model.version = "aaaa";
  new_model.version = "bbbb";
  old_model.created_at_ms = kT0;
  store_->register_model(old_model);
  ASSERT_TRUE(store_->set_model_status("linear", "aaaa", ModelStatus::champion, kT0));
  MonitorSettings s;
  s.days = 14;
  MonitorRequest first = at_day(11);
  first.local_approaches = {"linear"};
  first.retrain.policy = "triggered";
  ASSERT_EQ(run_monitor(*store_, s, first, AlertOutputs{}).alerts.fired.size(), 1u);
  // The retrain, that day; its model as bad on the three days after.
  new_model.created_at_ms = kT0 + 11 * kDayMs + 7 * 3'600'000;
  store_->register_model(new_model);
  ASSERT_TRUE(store_->set_model_status("linear", "bbbb", ModelStatus::champion,
                                       new_model.created_at_ms, "tunecase retrain"));
  for (int d = 12; d < 15; ++d) log_day("linear", d, 150, 100, 71, 100, 0, "", false, "bbbb");
  MonitorRequest later = at_day(15);
  later.local_approaches = {"linear"};
  later.retrain.policy = "triggered";
  auto run = run_monitor(*store_, s, later, AlertOutputs{});
  ASSERT_EQ(run.alerts.resolved.size(), 1u) << run.document["findings"].dump(2);
  EXPECT_NE(run.alerts.resolved[0].message.find("the model this alert was about no longer serves: "
                                                "version bbbb took over"),
            std::string::npos)
      << run.alerts.resolved[0].message;
  ASSERT_EQ(run.alerts.fired.size(), 1u);
  EXPECT_EQ(run.alerts.fired[0].fired_at_ms, later.now_ms);
  EXPECT_TRUE(run.document["retrain"][0]["due"].get<bool>()) << run.document["retrain"].dump(2);
  // The next run keeps the new alert: it is about the model serving.
  auto again = run_monitor(*store_, s, later, AlertOutputs{});
  EXPECT_TRUE(again.alerts.resolved.empty());
  EXPECT_TRUE(again.alerts.fired.empty());
}

// A promotion changes what the approach answers: its predicted-label mix is compared over the
// new version's days only (the mix of the replaced model's answers against the new one's had
// fired drift_prediction_mix about the promotion itself), and not at all while the current window
// still holds the replaced version's answers.
TEST_F(RunMonitor, ThePredictionMixComparesTheServedVersionsAnswersOnly) {
  auto log_answers = [&](int day, const std::vector<std::string>& labels) {
    log_mixed_answers(*store_, day, labels);
  };
  for (int d = 0; d <= 10; ++d) log_answers(d, {"a"});            // the replaced model
  for (int d = 11; d < 21; ++d) log_answers(d, {"a", "b", "c"});  // the one promoted on day 10
  ModelVersion old_model, new_model;
  ASSERT_NO_FATAL_FAILURE(promote_on_day_ten(*store_, old_model, new_model));
  MonitorSettings s;
  auto verdict_at = [&](int day) {
    auto run = run_monitor(*store_, s, at_day(day), AlertOutputs{});
    for (const auto& d : run.document["drift"]["detectors"])
      if (d["detector"] == "prediction_mix") return d;
    return nlohmann::json();
  };
  const nlohmann::json later = verdict_at(21);  // current window days 14-20, reference from 11
  EXPECT_EQ(later["verdict"], "stable") << later.dump(2);
  EXPECT_NE(later["summary"].get<std::string>().find(
                "reference: the days of the version now served alone, " + iso_date(kDay0) + " to " +
                iso_date(kDay0 + 10) + " left out as another version answered on them"),
            std::string::npos)
      << later.dump(2);
  const nlohmann::json soon = verdict_at(15);  // current window days 8-14 holds both versions
  EXPECT_EQ(soon["verdict"], "unavailable") << soon.dump(2);
  // It names the first run that judges again, and that run does (the day before, the
  // reference window holds no answer of the new version yet: too few).
  EXPECT_NE(soon["summary"].get<std::string>().find("judged again from the run of " +
                                                    iso_date(kDay0 + 19)),
            std::string::npos)
      << soon.dump(2);
  EXPECT_EQ(verdict_at(18)["verdict"], "too_few");
  EXPECT_EQ(verdict_at(18)["reference_n"], 0);
  EXPECT_NE(verdict_at(19)["verdict"], "unavailable");
  EXPECT_NE(verdict_at(19)["verdict"], "too_few");
  // A run dated before the promotion judges the registry as it was then: one version, whose
  // answers are all "a", no mix to set aside.
  EXPECT_EQ(verdict_at(9)["verdict"], "stable") << verdict_at(9).dump(2);
}

// After a promotion followed by silent days, the version now served starts on the first day it
// answered, not the day after the replaced one's last answer (a gap of silent days had been
// named its first day, and a run that could not judge was promised). A comparison with too few
// answers prints and stores no figure; the served version's own totals stand beside the
// series' totals of every version.
TEST_F(RunMonitor, AfterSilentDaysTheServedVersionStartsOnItsFirstAnswer) {
  auto log_answers = [&](int day, const std::vector<std::string>& labels, bool correct) {
    std::vector<PredictionRecord> batch = log_mixed_answers(*store_, day, labels);
    for (std::size_t i = 0; i < 40; ++i)
      store_->record_feedback({Feedback::By::prediction_id, batch[i].prediction_id,
                               correct ? batch[i].label : "other",
                               batch[i].created_at_ms + 3'600'000});
  };
  for (int d = 0; d <= 9; ++d) log_answers(d, {"a"}, false);            // the replaced model
  for (int d = 13; d < 30; ++d) log_answers(d, {"a", "b", "c"}, true);  // after 3 silent days
  ModelVersion old_model, new_model;
  ASSERT_NO_FATAL_FAILURE(promote_on_day_ten(*store_, old_model, new_model));
  MonitorSettings s;
  s.days = 28;
  s.min_drift_items = 500;
  auto run_at = [&](int day) { return run_monitor(*store_, s, at_day(day), AlertOutputs{}); };
  auto mix = [](const MonitorRun& run) {
    for (const auto& d : run.document["drift"]["detectors"])
      if (d["detector"] == "prediction_mix") return d;
    return nlohmann::json();
  };
  // Day 14: the current window (7-13) holds the replaced version's days 7-9: not judged, and the
  // first run that can is named from the new version's first answer, day 13.
  const nlohmann::json early = mix(run_at(14));
  EXPECT_EQ(early["verdict"], "unavailable") << early.dump(2);
  EXPECT_NE(early["summary"].get<std::string>().find(
                "another model version answered on " + iso_date(kDay0 + 7) + " to " +
                iso_date(kDay0 + 9) + " in the current window"),
            std::string::npos)
      << early.dump(2);
  EXPECT_NE(early["summary"].get<std::string>().find("judged again from the run of " +
                                                     iso_date(kDay0 + 21)),
            std::string::npos)
      << early.dump(2);
  // Days 18 and 20: the reference holds none of the new version's answers: too few.
  EXPECT_EQ(mix(run_at(18))["verdict"], "too_few");
  EXPECT_EQ(mix(run_at(20))["reference_n"], 0);
  // Day 21: the reference holds day 13 alone, 200 answers: too few, and no figure.
  const nlohmann::json few = mix(run_at(21));
  EXPECT_EQ(few["verdict"], "too_few") << few.dump(2);
  EXPECT_NE(few["summary"].get<std::string>().find(iso_date(kDay0) + " to " + iso_date(kDay0 + 9) +
                                                   " left out"),
            std::string::npos)
      << few.dump(2);
  EXPECT_NE(few["summary"].get<std::string>().find("not judged: 200 reference vs 1400 current"),
            std::string::npos)
      << few.dump(2);
  EXPECT_EQ(few["summary"].get<std::string>().find("PSI"), std::string::npos) << few.dump(2);
  EXPECT_TRUE(few["psi"].is_null());
  EXPECT_TRUE(few["p_value"].is_null());
  EXPECT_TRUE(few["movers"].empty());
  // Totals: every version's, and the served version's alone beside them.
  MonitorRun run = run_at(21);
  const auto& linear = run.document["approaches"][0];
  EXPECT_EQ(linear["requests"], 200 * 18);
  ASSERT_TRUE(linear.contains("served_version")) << linear.dump(2);
  EXPECT_EQ(linear["served_version"]["model_version"], new_model.version);
  EXPECT_EQ(linear["served_version"]["requests"], 200 * 8);
  EXPECT_EQ(linear["served_version"]["labelled"], 40 * 8);
  EXPECT_DOUBLE_EQ(linear["served_version"]["accuracy"].get<double>(), 1.0);
  EXPECT_LT(linear["accuracy"].get<double>(), 0.5);
}

// One label's share grows slowly, 5% to 40% over two months: each week differs little from the
// four before it, so the rolling windows read stable while the mix moved far from the launch's.
// Against the launch mix (the first reference_days of the version served) it fires.
TEST_F(RunMonitor, ASlowShiftFiresAgainstTheLaunchMixThatTheRollingWindowsMiss) {
  // "linear" drifts; "steady" answers the launch's mix every day.
  for (const char* approach : {"linear", "steady"}) {
    ModelVersion m;
    m.approach = approach;
    m.version = "cccccccccccccccc";
    m.created_at_ms = kT0;
    store_->register_model(m);
    ASSERT_TRUE(store_->set_model_status(approach, m.version, ModelStatus::champion, kT0));
  }
  for (int day = 0; day < 90; ++day) {
    const double share = day < 30 ? 0.05 : 0.05 + 0.35 * (day - 30) / 60.0;
    std::vector<PredictionRecord> batch;
    for (const std::string approach : {"linear", "steady"}) {
      for (int i = 0; i < 200; ++i) {
        PredictionRecord p;
        p.prediction_id = make_prediction_id();
        p.request_id = fmt::format("{}-{}-{}", approach, day, i);
        p.approach = approach;
        p.label = i < (approach == "linear" ? share : 0.05) * 200 ? "b" : "a";
        p.latency_ms = 1;
        p.created_at_ms = kT0 + day * kDayMs + static_cast<int64_t>(i) * 1000;
        batch.push_back(p);
      }
    }
    store_->log_predictions(batch);
  }
  MonitorSettings s;
  MonitorRequest request = at_day(90);
  request.approaches = {"linear", "steady"};
  auto run = run_monitor(*store_, s, request, AlertOutputs{dir_ / "alerts.jsonl", nullptr});
  std::map<std::string, nlohmann::json> mix;
  for (const auto& d : run.document["drift"]["detectors"])
    if (d["detector"] == "prediction_mix") mix[d["approach"].get<std::string>()] = d;
  ASSERT_EQ(mix.size(), 2u) << run.document["drift"].dump(1);
  const nlohmann::json& linear = mix["linear"];
  EXPECT_LT(linear["psi"].get<double>(), s.psi_alert) << linear.dump(1);  // the rolling windows
  ASSERT_TRUE(linear.contains("against_launch")) << linear.dump(1);
  EXPECT_EQ(linear["against_launch"]["window"],
            iso_date(kDay0) + " to " + iso_date(kDay0 + s.reference_days - 1));
  EXPECT_EQ(linear["verdict"], "shift") << linear.dump(1);
  EXPECT_NE(linear["summary"].get<std::string>().find("a slow shift the rolling reference has "
                                                      "been taking in"),
            std::string::npos)
      << linear["summary"];
  EXPECT_EQ(mix["steady"]["verdict"], "stable") << mix["steady"].dump(1);
  EXPECT_EQ(mix["steady"]["against_launch"]["verdict"], "stable") << mix["steady"].dump(1);
  std::vector<std::string> fired;
  for (const Alert& a : run.alerts.fired)
    if (a.kind == kDriftPredictionMix) fired.push_back(a.approach);
  EXPECT_EQ(fired, std::vector<std::string>{"linear"});
}

// A rollback on day 12 hands the approach back to the model that served days 0 to 10: only the
// days the rolled-back version answered (10 to 12) are another model's. Every day up to the
// rollback had been marked "replaced model" and said to be answered by the model it replaced.
// Rolls "linear" back to `old_model` at 01:00 on day 12 and runs the monitor on day 13.
nlohmann::json rolled_back_on_day_twelve(Store& store, const ModelVersion& old_model) {
  EXPECT_TRUE(store.set_model_status("linear", old_model.version, ModelStatus::champion,
                                     kT0 + 12 * kDayMs + 3'600'000, "rollback by qa"));
  MonitorSettings s;
  s.days = 14;
  return run_monitor(store, s, at_day(13), AlertOutputs{}).document["approaches"][0];
}

TEST_F(RunMonitor, AfterARollbackOnlyTheRolledBackVersionsDaysAreAnothers) {
  for (int d = 0; d < 13; ++d) log_day("linear", d, 150, 100, 87);
  ModelVersion old_model, new_model;
  ASSERT_NO_FATAL_FAILURE(promote_on_day_ten(*store_, old_model, new_model));
  const nlohmann::json linear = rolled_back_on_day_twelve(*store_, old_model);
  EXPECT_EQ(linear["model_version"], old_model.version);
  EXPECT_EQ(linear["judged_from"], iso_date(kDay0 + 13));
  for (const auto& day : linear["days"]) {
    const std::string date = day["date"].get<std::string>();
    bool replaced = date >= iso_date(kDay0 + 10) && date <= iso_date(kDay0 + 12);
    EXPECT_EQ(day["replaced_model"].get<bool>(), replaced) << day.dump();
    EXPECT_EQ(day["counted"].get<bool>(), !replaced && day["labelled"].get<int>() > 0)
        << day.dump();
  }
}

// After a rollback the reinstated version's own earlier days are its reference again: only the
// rolled-back version's days are left out of the predicted-label mix (its reference had started
// at the rollback, and shrunk to a few answers), as the accuracy rule judges those days too.
TEST_F(RunMonitor, AfterARollbackThePredictionMixKeepsTheReinstatedVersionsEarlierDays) {
  ModelVersion old_model, new_model;
  ASSERT_NO_FATAL_FAILURE(promote_on_day_ten(*store_, old_model, new_model));
  for (int d = 0; d < 20; ++d)
    log_day("linear", d, 100, 0, 0, 100, 0, "", false,
            d == 10 || d == 11 ? new_model.version : old_model.version);
  ASSERT_TRUE(store_->set_model_status("linear", old_model.version, ModelStatus::champion,
                                       kT0 + 12 * kDayMs + 3'600'000, "rollback by qa"));
  MonitorSettings s;
  s.current_days = 5;
  s.reference_days = 14;
  nlohmann::json mix;
  const MonitorRun run = run_monitor(*store_, s, at_day(20), AlertOutputs{});
  for (const auto& d : run.document["drift"]["detectors"])
    if (d["detector"] == "prediction_mix") mix = d;
  // Current 15-19; reference 1-14 without days 10 and 11: 12 days of 100 answers.
  EXPECT_EQ(mix["reference_n"], 1200) << run.document["drift"].dump(2);
  EXPECT_NE(mix["summary"].get<std::string>().find(iso_date(kDay0 + 10) + " to " +
                                                   iso_date(kDay0 + 11) + " left out"),
            std::string::npos)
      << mix.dump(2);
}

// The registry dates a version's days; the store says which version answered. The rollback's
// day, answered wholly by the reinstated version, is judged (a rollback at 01:00 had set the
// whole day aside, and said another version had answered it).
TEST_F(RunMonitor, ADayTheReinstatedVersionAnsweredWhollyIsJudged) {
  ModelVersion old_model, new_model;
  ASSERT_NO_FATAL_FAILURE(promote_on_day_ten(*store_, old_model, new_model));
  for (int d = 0; d < 13; ++d)
    log_day("linear", d, 150, 100, 87, 100, 0, "", false,
            d == 10 || d == 11 ? new_model.version : old_model.version);
  const nlohmann::json linear = rolled_back_on_day_twelve(*store_, old_model);
  EXPECT_EQ(linear["judged_from"], iso_date(kDay0 + 12));
  for (const auto& day : linear["days"]) {
    const std::string date = day["date"].get<std::string>();
    bool replaced = date == iso_date(kDay0 + 10) || date == iso_date(kDay0 + 11);
    EXPECT_EQ(day["replaced_model"].get<bool>(), replaced) << day.dump();
  }
}

// Labels arrive days late: yesterday has none yet, and the drop is judged on the newest day that
// has enough labels.
TEST_F(RunMonitor, ADropWhoseLabelsAreStillArrivingIsJudgedOnTheNewestLabelledDay) {
  for (int d = 0; d < 10; ++d) log_day("linear", d, 150, 100, 87);
  log_day("linear", 10, 150, 100, 65);
  log_day("linear", 11, 150, 10, 6);  // most of its labels are still to come
  log_day("linear", 12, 150, 0, 0);
  auto run = run_monitor(*store_, MonitorSettings{}, at_day(13), AlertOutputs{});
  const Alert* accuracy = nullptr;
  for (const Alert& a : run.alerts.fired)
    if (a.kind == kAccuracyBelowFloor) accuracy = &a;
  ASSERT_NE(accuracy, nullptr) << run.document["findings"].dump(2);
  EXPECT_NE(accuracy->message.find(iso_date(kDay0 + 10)), std::string::npos) << accuracy->message;
}

// A store filled today (a first try, or the morning's traffic) shows today so far, marked as not
// judged: no rule fires on a partial day.
TEST_F(RunMonitor, TodaySoFarIsShownAndNotJudged) {
  log_day("linear", 13, 40, 20, 5);  // 25% right: a full day like it would fire
  auto run = run_monitor(*store_, MonitorSettings{}, at_day(13), AlertOutputs{});
  EXPECT_TRUE(run.alerts.fired.empty()) << run.document["findings"].dump(2);
  const auto& today = run.document["today"];
  EXPECT_EQ(today["date"], iso_date(kDay0 + 13));
  EXPECT_FALSE(today["judged"].get<bool>());
  EXPECT_NEAR(today["hours_elapsed"].get<double>(), 6.0, 1e-9);
  ASSERT_EQ(today["approaches"].size(), 1u);
  EXPECT_EQ(today["approaches"][0]["requests"], 40);
  EXPECT_EQ(today["approaches"][0]["labelled"], 20);
  EXPECT_DOUBLE_EQ(today["approaches"][0]["accuracy"].get<double>(), 0.25);
  std::string text = monitor_text(run.document);
  EXPECT_NE(text.find(iso_date(kDay0 + 13) + " so far (6.0 h, not judged): 40 requests"),
            std::string::npos)
      << text;
  // At a clock 20 s into the day (a replay's), today so far holds the 21 requests up to it (the
  // one logged at the clock itself included, as the pilot report counts it), not the day's 40.
  MonitorRequest early = at_day(13);
  early.now_ms = kT0 + 13 * kDayMs + 20'000;
  auto before = run_monitor(*store_, MonitorSettings{}, early, AlertOutputs{});
  EXPECT_EQ(before.document["today"]["approaches"][0]["requests"], 21);
}

// A production gateway serves one approach of the config: the others are named once, not
// listed with zero rows, and a local model's sub-millisecond p95 is not written "0 ms".
TEST_F(RunMonitor, ApproachesWithoutRequestsAreNamedOnceAndSmallLatenciesKeepTheirDigits) {
  for (int d = 0; d < 10; ++d) log_day("linear", d, 150, 100, 88, 0.08);
  MonitorRequest request = at_day(10);
  request.approaches = {"linear", "llm"};
  request.local_approaches = {"linear", "fasttext"};
  auto run = run_monitor(*store_, MonitorSettings{}, request, AlertOutputs{});
  ASSERT_EQ(run.document["approaches"].size(), 2u);  // the JSON keeps every series
  std::string text = monitor_text(run.document);
  EXPECT_NE(text.find("p95 0.08 ms"), std::string::npos) << text;
  EXPECT_NE(text.find("No requests in the window (" +
                      run.document["window"]["first_date"].get<std::string>() + " to " +
                      run.document["window"]["last_date"].get<std::string>() +
                      ", whole UTC days) for 1 of the config's approaches: llm."),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("  llm "), std::string::npos) << text;
  EXPECT_NE(text.find("retrain linear: not due"), std::string::npos) << text;
  EXPECT_EQ(text.find("retrain fasttext"), std::string::npos) << text;
  // An approach with an empty entry for one arm and requests on another (a pilot's challenger)
  // was served: it is not named as without requests.
  nlohmann::json doc = run.document;
  for (auto& a : doc["approaches"]) {
    if (a["name"] != "llm") continue;
    nlohmann::json served;
    for (const auto& b : doc["approaches"])
      if (b["name"] == "linear") served = b;
    served["name"] = "llm (challenger)";  // the display name; the approach is the key
    served["approach"] = "llm";
    served["arm"] = "challenger";
    doc["approaches"].push_back(served);
    break;
  }
  EXPECT_EQ(monitor_text(doc).find("No requests in the window"), std::string::npos)
      << monitor_text(doc);
  std::string md = monitor_markdown(run.document);
  EXPECT_EQ(md.find("## llm"), std::string::npos);
  EXPECT_NE(md.find("## linear"), std::string::npos);
}

// A store written under another config: its traffic of approaches this config does not name is
// said, not silently left out (the report read "figures measured" over another config's store).
TEST_F(RunMonitor, TrafficOfApproachesTheConfigDoesNotNameIsSaid) {
  for (int d = 0; d < 10; ++d) log_day("sim-zero-shot", d, 50, 20, 10, 0.08);
  MonitorRequest request = at_day(10);
  request.approaches = {"linear"};
  auto run = run_monitor(*store_, MonitorSettings{}, request, AlertOutputs{});
  EXPECT_EQ(run.document["other_approaches"], nlohmann::json::array({"sim-zero-shot"}));
  std::string text = monitor_text(run.document);
  EXPECT_NE(text.find("The store holds traffic of approaches this config does not name "
                      "(sim-zero-shot)"),
            std::string::npos)
      << text;
}

// An approach answered by sim-llm is marked simulated in monitor.json and in every report; the
// others stay measured.
TEST_F(RunMonitor, ApproachesAnsweredBySimLlmAreMarkedSimulated) {
  for (int d = 0; d < 3; ++d) {
    log_day("linear", d, 100, 50, 44);
    log_day("sim-zero-shot", d, 100, 50, 30, 100, 0, "", true);
  }
  MonitorRequest request = at_day(3);
  request.approaches = {"linear", "sim-zero-shot"};
  auto run = run_monitor(*store_, MonitorSettings{}, request, AlertOutputs{});
  std::map<std::string, std::string> basis;
  for (const auto& a : run.document["approaches"])
    basis[a["name"].get<std::string>()] = a["basis"].get<std::string>();
  EXPECT_EQ(basis["linear"], "measured");
  EXPECT_EQ(basis["sim-zero-shot"], "simulated");
  EXPECT_NE(run.document["provenance"].get<std::string>().find("simulated"), std::string::npos);
  std::string text = monitor_text(run.document);
  EXPECT_NE(text.find("SIMULATED for sim-zero-shot"), std::string::npos) << text;
  EXPECT_NE(text.find("sim-zero-shot (simulated)"), std::string::npos) << text;
  EXPECT_EQ(text.find("linear (simulated)"), std::string::npos) << text;
}

// A pilot's first day: an approach sim-llm answered has traffic only today, which the window
// leaves out. Today's figures are marked simulated too (they had read "measured").
TEST_F(RunMonitor, TodaysFiguresOfAnApproachAnsweredBySimLlmAreMarkedSimulated) {
  for (int d = 0; d < 3; ++d) log_day("linear", d, 100, 50, 44);
  log_day("sim-zero-shot", 3, 100, 50, 30, 100, 0, "", true);
  MonitorRequest request = at_day(3);
  request.approaches = {"linear", "sim-zero-shot"};
  auto run = run_monitor(*store_, MonitorSettings{}, request, AlertOutputs{});
  bool marked = false;
  for (const auto& a : run.document["today"]["approaches"])
    if (a["name"] == "sim-zero-shot") marked = a["basis"] == "simulated";
  EXPECT_TRUE(marked) << run.document["today"].dump();
  EXPECT_NE(run.document["provenance"].get<std::string>().find("simulated"), std::string::npos);
  const std::string text = monitor_text(run.document);
  EXPECT_NE(text.find("SIMULATED for sim-zero-shot"), std::string::npos) << text;
  EXPECT_NE(text.find("sim-zero-shot (simulated) "), std::string::npos) << text;
}

TEST_F(RunMonitor, AHealthyStoreFiresNothing) {
  for (int d = 0; d < 10; ++d) log_day("linear", d, 150, 100, 88);
  MonitorSettings s;
  auto run = run_monitor(*store_, s, at_day(10), AlertOutputs{dir_ / "alerts.jsonl", nullptr});
  EXPECT_TRUE(run.alerts.fired.empty()) << run.document["findings"].dump(2);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "alerts.jsonl"));
}

TEST_F(RunMonitor, LabelsThatStopArrivingRaiseNoFeedback) {
  for (int d = 0; d < 5; ++d) log_day("linear", d, 150, 100, 88);
  for (int d = 5; d < 9; ++d) log_day("linear", d, 150, 0, 0);
  MonitorSettings s;
  auto run = run_monitor(*store_, s, at_day(9), AlertOutputs{});
  ASSERT_EQ(run.alerts.fired.size(), 1u);
  EXPECT_EQ(run.alerts.fired[0].kind, kNoFeedback);
  EXPECT_EQ(run.document["feedback"]["hours_since"].get<double>() > 48, true);
}

// Traffic that stops for longer than traffic_silence_hours raises no_traffic (every other rule
// had nothing to judge and the report said "no alert is open"); it resolves when traffic returns.
TEST_F(RunMonitor, TrafficThatStopsRaisesNoTraffic) {
  for (int d = 0; d < 5; ++d) log_day("linear", d, 150, 100, 88);
  MonitorSettings s;
  auto quiet = run_monitor(*store_, s, at_day(9), AlertOutputs{});
  std::vector<std::string> kinds;
  for (const auto& a : quiet.alerts.fired) kinds.push_back(a.kind);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), kNoTraffic), kinds.end());
  log_day("linear", 9, 150, 100, 88);
  auto back = run_monitor(*store_, s, at_day(10), AlertOutputs{});
  std::vector<std::string> resolved;
  for (const auto& a : back.alerts.resolved) resolved.push_back(a.kind);
  EXPECT_NE(std::find(resolved.begin(), resolved.end(), kNoTraffic), resolved.end());
}

TEST_F(RunMonitor, AnEmptyStoreReportsEmptyDaysWithoutAlerts) {
  MonitorSettings s;
  auto run = run_monitor(*store_, s, at_day(3), AlertOutputs{});
  EXPECT_TRUE(run.alerts.fired.empty());
  ASSERT_EQ(run.document["approaches"].size(), 1u);  // the approach asked for, with no traffic
  EXPECT_EQ(run.document["approaches"][0]["requests"], 0);
  EXPECT_NO_THROW(monitor_html(run.document));
  EXPECT_NO_THROW(monitor_markdown(run.document));
}

TEST_F(RunMonitor, KeptTextsFeedTheDriftDetectors) {
  MonitorSettings s;
  s.reference_days = 5;
  s.current_days = 2;
  s.min_drift_items = 100;
  for (int d = 0; d < 5; ++d) log_day("linear", d, 150, 100, 88, 100, 0, "my invoice is wrong");
  for (int d = 5; d < 7; ++d)
    log_day("linear", d, 150, 100, 88, 100, 0, "autopilot booked the wrong room");
  auto run = run_monitor(*store_, s, at_day(7), AlertOutputs{});
  std::map<std::string, std::string> v;
  for (const auto& d : run.document["drift"]["detectors"]) v[d["detector"]] = d["verdict"];
  EXPECT_EQ(v["domain_classifier"], "shift") << run.document["drift"].dump(2);
  EXPECT_EQ(v["prediction_mix"], "stable");
  bool emerging = false;
  for (const auto& a : run.alerts.fired) emerging |= a.kind == "drift_emerging_terms";
  EXPECT_TRUE(emerging);
  // The dashboard's copy: the same detectors, the run's time, the policy in words.
  auto latest = nlohmann::json::parse(store_->meta("monitor.latest").value_or("null"));
  ASSERT_TRUE(latest.is_object());
  EXPECT_EQ(latest["drift"]["detectors"], run.document["drift"]["detectors"]);
  EXPECT_EQ(latest["ran_at_ms"], at_day(7).now_ms);
}

}  // namespace
}  // namespace tunecase::monitor::testing
