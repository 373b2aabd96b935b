// The seed's story on the synthetic tickets: a launch in month 8 brings a new category and its
// vocabulary; without retraining accuracy drops and stays down, the accuracy alert fires, and a
// retraining policy brings it back.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "monitor_fixture.h"
#include "tunecase/core/error.h"
#include "tunecase/data/synthetic.h"
#include "tunecase/monitor/daily.h"
#include "tunecase/monitor/drift.h"
#include "tunecase/monitor/replay.h"

namespace tunecase::monitor {
namespace {

Examples examples(std::size_t tickets) {
  return testing::synthetic_examples(tickets);
}

ReplaySettings settings() {
  ReplaySettings s;
  s.approach = default_approach("linear", "linear");
  s.approach.linear.char_ngrams = {0, 0};  // words only: the same story, faster
  s.initial_days = 90;
  s.feedback_delay_days = 3;
  s.monitor.min_labelled = 20;
  s.retrain.every_weeks = 4;
  s.retrain.within_days = 7;
  s.retrain.usd_per_retrain = 500;
  s.cost_per_error_usd = 2.5;
  return s;
}

double accuracy_from(const PolicyRun& r, const std::string& from_date) {
  int64_t n = 0, c = 0;
  for (const auto& d : r.days) {
    if (iso_date(d.day) < from_date) continue;
    n += d.n;
    c += d.correct;
  }
  return n > 0 ? static_cast<double>(c) / static_cast<double>(n) : 0;
}

TEST(Replay, WithoutRetrainingTheLaunchLeavesALastingDropThatAPolicyRepairs) {
  auto items = replay_items(examples(12000));
  auto runs = replay(items, settings());
  ASSERT_EQ(runs.size(), 3u);
  const PolicyRun &none = runs[0], &scheduled = runs[1], &triggered = runs[2];
  auto doc = replay_json(runs, settings());
  std::cout << replay_markdown(doc);
  for (const auto& r : runs)
    std::cout << r.policy << ": accuracy over the last two months "
              << accuracy_from(r, "2025-11-01") << "\n";

  EXPECT_EQ(none.retrains, 0);
  ASSERT_TRUE(none.first_alert_day);
  EXPECT_GE(iso_date(*none.first_alert_day), "2025-08-01");  // after the launch, not before
  EXPECT_GE(scheduled.retrains, 8);
  EXPECT_GE(triggered.retrains, 1);
  // The last two months: the policies are back above the floor, "none" is not.
  EXPECT_LT(accuracy_from(none, "2025-11-01"), 0.80);
  EXPECT_GT(accuracy_from(scheduled, "2025-11-01"), accuracy_from(none, "2025-11-01") + 0.05);
  EXPECT_GT(accuracy_from(triggered, "2025-11-01"), accuracy_from(none, "2025-11-01") + 0.05);
  EXPECT_LT(scheduled.error_usd, none.error_usd);
  EXPECT_NO_THROW(replay_html(doc));
  // The rule judges the model being served, as the monitor does: no alert fires on a day that a
  // model retrained since answered (its late labels had opened a second alert, and paid for a
  // second retrain, about a model no longer served).
  for (const PolicyRun* r : {&scheduled, &triggered}) {
    int64_t last_retrain = -1;
    for (const auto& d : r->days) {
      if (d.retrained) last_retrain = d.day;
      if (d.alert && last_retrain >= 0) {
        EXPECT_GE(d.day - settings().feedback_delay_days, last_retrain)
            << r->policy << ": an alert on " << iso_date(d.day) << " judged a replaced model's day";
      }
    }
  }

  // Before labels: the emerging-terms detector names the launch no later than the accuracy
  // alert, and no drift detector fired in the seven months before it (no false alarm).
  ASSERT_TRUE(none.drift_checked);
  EXPECT_FALSE(scheduled.drift_checked);
  const DriftFirst* emerging = nullptr;
  for (const auto& f : none.drift) {
    EXPECT_GE(iso_date(f.day), "2025-08-01") << f.kind << ": " << f.summary;
    if (f.kind == kDriftEmerging) emerging = &f;
  }
  ASSERT_NE(emerging, nullptr);
  EXPECT_LE(emerging->day, *none.first_alert_day);
  ASSERT_FALSE(emerging->terms.empty());
  EXPECT_EQ(emerging->terms.front(), "autopilot");
  EXPECT_NE(replay_markdown(doc).find("Drift before labels"), std::string::npos);
}

// The drift detectors read the texts redacted by [privacy], as the gateway keeps them: a card
// and a phone number pasted into a third of the texts from the launch on had been quoted, digit
// groups and all, as emerging terms in the report a team forwards.
TEST(Replay, TheDriftDetectorsReadTextsRedactedByThePrivacyRules) {
  auto items = replay_items(examples(6000));
  for (std::size_t i = 0; i < items.size(); i += 3)
    if (iso_date(items[i].day) >= "2025-06-01")
      items[i].text += " card 4539 1488 0343 6467, call 415-555-0199";
  ReplaySettings s = settings();
  s.policies = {"none"};
  s.monitor.min_drift_items = 20;
  auto quoted = [&](const ReplaySettings& with) {
    std::string said = replay_json(replay(items, with), with).dump();
    return said.find("6467") != std::string::npos || said.find("0199") != std::string::npos;
  };
  ASSERT_TRUE(quoted(s)) << "without redaction the planted digits are emerging terms";
  s.drift_redaction.kinds = {"card", "phone"};
  EXPECT_FALSE(quoted(s));
}

// Days too thin for the rule ([monitor] min_labelled above any day's labels): "0 alerts" would
// read as a healthy year, so the report says the rule never judged a day.
TEST(Replay, NoDayJudgedIsSaidNotReportedAsNoAlerts) {
  ReplaySettings s = settings();
  s.monitor.min_labelled = 1'000'000;
  s.policies = {"none"};
  s.drift = false;
  auto runs = replay(replay_items(examples(3000)), s);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].judged_days, 0);
  EXPECT_GT(runs[0].most_labelled, 0);
  std::string md = replay_markdown(replay_json(runs, s));
  EXPECT_NE(md.find("The accuracy rule never judged a day"), std::string::npos) << md;
  s.monitor.min_labelled = 1;
  auto judged = replay(replay_items(examples(3000)), s);
  EXPECT_GT(judged[0].judged_days, 0);
  EXPECT_EQ(replay_markdown(replay_json(judged, s)).find("never judged"), std::string::npos);
  // A warning about the run (replay --gateway's served model trained on the days replayed) is
  // in the report, under its title, not on stderr alone.
  nlohmann::json doc = replay_json(judged, s);
  doc["warning"] = "the model learnt from the days replayed";
  md = replay_markdown(doc);
  EXPECT_NE(md.find("> **Warning:** the model learnt from the days replayed"), std::string::npos)
      << md;
  EXPECT_LT(md.find("Warning"), md.find("| policy |")) << md;
  // Through a gateway the first model is the one it serves, with eval's rows when known: the
  // replay trained none (it had read "First model trained on the first 120 days (0 rows)").
  doc.erase("warning");
  doc.erase("initial_rows");
  doc["gateway"] = "http://127.0.0.1:8080";
  doc["served_model_train_rows"] = 1457;
  md = replay_markdown(doc);
  EXPECT_NE(md.find("First model: the one the gateway serves (trained by eval on 1457 rows)"),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find("rows)"), md.find("1457 rows)") + 5) << md;
}

// Windows too thin for the drift detectors (min_drift_items above any window's texts): "No drift
// detector fired" had read as "nothing changed"; the report names those that never judged.
TEST(Replay, DetectorsThatNeverJudgedAreNamed) {
  ReplaySettings s = settings();
  s.policies = {"none"};
  s.monitor.min_drift_items = 1'000'000;
  auto runs = replay(replay_items(examples(3000)), s);
  ASSERT_TRUE(runs[0].drift_checked);
  nlohmann::json doc = replay_json(runs, s);
  EXPECT_FALSE(doc["drift"]["never_judged"].empty()) << doc["drift"];
  std::string md = replay_markdown(doc);
  EXPECT_NE(md.find("Never judged on any check: "), std::string::npos) << md;
  EXPECT_NE(md.find("min_drift_items"), std::string::npos) << md;
  EXPECT_EQ(md.find("No drift detector fired."), std::string::npos) << md;
}

// Prices not set are unknown, never $0: "none" had read as the cheapest policy ($0 of errors).
TEST(Replay, UnsetPricesAreUnknownNotZero) {
  ReplaySettings s = settings();
  s.policies = {"none", "scheduled"};
  s.drift = false;
  s.cost_per_error_usd.reset();
  s.retrain.usd_per_retrain.reset();
  auto runs = replay(replay_items(examples(3000)), s);
  nlohmann::json doc = replay_json(runs, s);
  for (const auto& p : doc["policies"]) {
    EXPECT_TRUE(p["error_usd"].is_null()) << p.dump();
    EXPECT_TRUE(p["total_usd"].is_null()) << p.dump();
  }
  EXPECT_TRUE(doc["cost_per_error_usd"].is_null());
  std::string md = replay_markdown(doc);
  EXPECT_NE(md.find("| unknown |"), std::string::npos) << md;
  EXPECT_NE(md.find("set them to compare the policies' cost"), std::string::npos) << md;
  // No retrain costs $0 whatever its price; errors and the total are what is unknown.
  EXPECT_NE(md.find("| unknown | $0 | unknown |"), std::string::npos) << md;
}

// [business] cost_per_error_by_label: each error costs its item's true label's price.
TEST(Replay, AnErrorCostsWhatItsTrueLabelCosts) {
  ReplaySettings s = settings();
  s.policies = {"none"};
  s.drift = false;
  const auto items = replay_items(examples(3000));
  s.cost_per_error_usd = 0;
  for (const auto& item : items) s.cost_per_error_by_label[item.label] = 1;
  const PolicyRun every = replay(items, s)[0];
  ASSERT_GT(every.errors, 0);
  EXPECT_DOUBLE_EQ(every.error_usd, static_cast<double>(every.errors));
  s.cost_per_error_by_label = {{"billing", 1.0}};
  const PolicyRun billing = replay(items, s)[0];
  EXPECT_EQ(billing.errors, every.errors);
  EXPECT_GT(billing.error_usd, 0);
  EXPECT_LT(billing.error_usd, static_cast<double>(every.errors));
  EXPECT_EQ(replay_json({billing}, s)["cost_per_error_by_label"]["billing"], 1.0);
  EXPECT_NE(
      replay_json({billing}, s)["provenance"].get<std::string>().find("cost_per_error_by_label"),
      std::string::npos);
  // A label no row carries is refused with the nearest one (its errors had been priced flat).
  s.cost_per_error_by_label = {{"bilIing", 1.0}};
  try {
    replay(items, s);
    FAIL() << "a misspelt label was accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean `billing`?"), std::string::npos) << e.what();
  }
}

TEST(Replay, BadInputIsAClearError) {
  Examples e = examples(100);
  e[3].time = "yesterday";
  EXPECT_THROW(replay_items(e), UserError);
  EXPECT_THROW(replay({}, settings()), UserError);
  auto short_file = replay_items(examples(100));
  ReplaySettings s = settings();
  s.initial_days = 400;
  EXPECT_THROW(replay(short_file, s), UserError);
}

// Labels that arrive later than a retrain is due: the retrain keeps the initial window's rows
// (labelled before the replay starts) and adds the replayed days' only once they are known, so a
// retrain before any has arrived gives the launch model again (it threw "the train split is
// empty" when the delay reached back before the first row).
TEST(Replay, ARetrainBeforeAnyLabelArrivesKeepsTheInitialRows) {
  auto items = replay_items(examples(3000));
  ReplaySettings s = settings();
  s.feedback_delay_days = 150;
  s.policies = {"none", "scheduled"};
  s.drift = false;
  std::vector<PolicyRun> runs;
  ASSERT_NO_THROW(runs = replay(items, s));
  ASSERT_EQ(runs.size(), 2u);
  const PolicyRun &none = runs[0], &scheduled = runs[1];
  EXPECT_GE(scheduled.retrains, 1);
  ASSERT_EQ(none.days.size(), scheduled.days.size());
  const int64_t start = none.days.front().day;
  for (std::size_t i = 0; i < none.days.size(); ++i) {
    if (none.days[i].day > start + s.feedback_delay_days) break;
    EXPECT_EQ(none.days[i].correct, scheduled.days[i].correct) << iso_date(none.days[i].day);
  }
}

// One row with a mistyped year: a replay would walk decades of empty days. Refused, naming the
// gap and how many rows lie beyond it.
TEST(Replay, AGapOfMoreThanAYearIsRefused) {
  auto items = replay_items(examples(100));
  items.back().day += 365 * 70;
  try {
    replay(items, settings());
    ADD_FAILURE() << "a 70-year gap was walked";
  } catch (const UserError& e) {
    EXPECT_NE(
        std::string(e.what()).find("1 of the " + std::to_string(items.size()) + " rows are dated"),
        std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("mistyped year"), std::string::npos) << e.what();
  }
}

// One early row with a mistyped year under a year before the rest: the initial days would hold
// it alone and train the first model on one row. Refused, saying how many rows the days hold and
// where the rest start (it ran and priced every policy on that model).
TEST(Replay, InitialDaysHoldingAlmostNoRowsAreRefused) {
  auto items = replay_items(examples(600));
  const int64_t first = items.front().day;
  items.insert(items.begin(), ReplayItem{first - 200, "typed a year off", items.front().label});
  ReplaySettings s = settings();
  try {
    replay(items, s);
    ADD_FAILURE() << "the first model was trained on one row";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("hold 1 row of 1 label, too few to train"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("mistyped year"), std::string::npos) << e.what();
  }
  // The same rows without it replay, and the report says what the first model trained on.
  items.erase(items.begin());
  const auto runs = replay(items, s);
  ASSERT_FALSE(runs.empty());
  EXPECT_GT(runs.front().initial_rows, 20u);
  EXPECT_NE(
      replay_markdown(replay_json(runs, s))
          .find(fmt::format("first {} days ({} rows)", s.initial_days, runs.front().initial_rows)),
      std::string::npos);
}

// A month or more without rows after the initial days is said: the policies walk it, and a
// scheduled retrain due in it trains on nothing new yet is priced (nine such months of a
// mistyped year had gone unsaid).
TEST(Replay, LongStretchesWithoutRowsAreSaid) {
  std::vector<ReplayItem> items = {{0, "a", "x"}, {5, "b", "y"}, {100, "c", "x"}, {150, "d", "y"}};
  const std::string warning = replay_gap_warning(items, 10);
  EXPECT_NE(warning.find(iso_date(10) + " to " + iso_date(99) + " (90 days)"), std::string::npos)
      << warning;
  EXPECT_NE(warning.find("(49 days)"), std::string::npos) << warning;
  EXPECT_EQ(replay_gap_warning({{0, "a", "x"}, {20, "b", "y"}, {40, "c", "x"}}, 10), "");
}

// A file of one day cannot be replayed at any --initial-days: the advice says so rather than
// "lower --initial-days" (and the span is one day, not "0 days").
TEST(Replay, AOneDayFileSaysWhatWouldRun) {
  auto items = replay_items(examples(100));
  for (auto& it : items) it.day = items.front().day;
  ReplaySettings s = settings();
  s.initial_days = 1;
  try {
    replay(items, s);
    ADD_FAILURE() << "a one-day file replayed";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("cover 1 day"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("give rows of at least two days"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace tunecase::monitor
