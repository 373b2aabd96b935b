// `tunecase monitor` and `tunecase plan` as cron and a user run them: exit status, files, dedupe,
// a webhook that is down, bad input.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <sqlite3.h>

#include "run_cli.h"
#include "tunecase/store/store.h"

namespace {

// 2026-03-02 00:00 UTC.
constexpr int64_t kT0 = 1772409600000;
constexpr int64_t kDay = 86'400'000;

// Ten good days (87%), then three bad ones (71%), 100 labels a day.
void fill_store(const std::string& location) {
  auto store = tunecase::open_store(location);
  for (int day = 0; day < 13; ++day) {
    std::vector<tunecase::PredictionRecord> batch;
    std::vector<tunecase::Feedback> feedback;
    int correct = day < 10 ? 87 : 71;
    for (int i = 0; i < 120; ++i) {
      tunecase::PredictionRecord p;
      p.prediction_id = tunecase::make_prediction_id();
      p.request_id = fmt::format("R{}-{}", day, i);
      p.approach = "local-linear";
      p.label = "billing";
      p.latency_ms = 5;
      p.text_hash = p.request_id;
      p.created_at_ms = kT0 + day * kDay + i * 1000;
      batch.push_back(p);
      if (i < 100)
        feedback.push_back({tunecase::Feedback::By::request_id, p.request_id,
                            i < correct ? "billing" : "bug", p.created_at_ms + 1000});
    }
    store->log_predictions(batch);
    store->record_feedback_batch(feedback);
  }
}

class MonitorCli : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.str() + "/tunecase.toml";
    write_config("");
  }
  void write_config(const std::string& monitor_extra) {
    std::ofstream(config_)
        << "[data]\npath = \"tickets.csv\"\n\n[[approach]]\nname = "
           "\"local-linear\"\nkind = \"linear\"\n\n[monitor]\nmin_labelled = 50\n"
        << monitor_extra;
  }
  std::string monitor(const std::string& store, int day) {
    return fmt::format("monitor --config {} --store {} --out {}/monitor --now-ms {} --no-drift",
                       config_, store, dir_.str(), kT0 + day * kDay + 3'600'000);
  }
  TempDir dir_;
  std::string config_;
};

TEST_F(MonitorCli, AnAlertExitsOneOnceThenZeroWhileItStaysOpen) {
  std::string store = dir_.str() + "/pilot.db";
  fill_store(store);
  CliResult first = run_cli(monitor(store, 13));
  EXPECT_EQ(first.exit_code, 1) << first.output;
  EXPECT_NE(first.output.find("accuracy 71.0%"), std::string::npos) << first.output;
  for (const char* f : {"monitor.json", "monitor.md", "monitor.html", "alerts.jsonl"})
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / "monitor" / f)) << f;
  CliResult second = run_cli(monitor(store, 13));
  EXPECT_EQ(second.exit_code, 0) << second.output;
  std::string jsonl = read_file(dir_.path() / "monitor" / "alerts.jsonl");
  EXPECT_EQ(std::count(jsonl.begin(), jsonl.end(), '\n'), 1) << jsonl;
}

// A store a replay wrote is judged as of the replay's last time, without --now-ms: the wall
// clock had judged the months after it and fired on the silence.
TEST_F(MonitorCli, AReplayStoreIsJudgedAsOfTheReplaysLastTime) {
  std::string store = dir_.str() + "/pilot.db";
  fill_store(store);
  tunecase::open_store(store)->set_meta("pilot.replay_clock_ms",
                                        std::to_string(kT0 + 13 * kDay + 3'600'000));
  CliResult r = run_cli(fmt::format("monitor --config {} --store {} --out {}/monitor --no-drift",
                                    config_, store, dir_.str()));
  EXPECT_EQ(r.exit_code, 1) << r.output;  // the three bad days, as of the replay's end
  EXPECT_NE(r.output.find("as of the replay's last time, 2026-03-15 01:00:00 UTC"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("accuracy 71.0%"), std::string::npos) << r.output;
}

TEST_F(MonitorCli, AWebhookThatIsDownWarnsAndLosesNothing) {
  std::string store = dir_.str() + "/pilot.db";
  fill_store(store);
  write_config("webhook = \"http://127.0.0.1:1/hook\"\nwebhook_attempts = 1\n");
  CliResult r = run_cli(monitor(store, 13));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("warning: webhook"), std::string::npos) << r.output;
  EXPECT_NE(read_file(dir_.path() / "monitor" / "alerts.jsonl").find("accuracy_below_floor"),
            std::string::npos);
  auto s = tunecase::open_store(store);
  EXPECT_NE(s->meta("monitor.webhook_pending").value_or("").find("accuracy_below_floor"),
            std::string::npos);
}

TEST_F(MonitorCli, AMissingStoreIsAClearError) {
  CliResult r = run_cli(monitor(dir_.str() + "/nowhere.db", 13));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("no such store"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "nowhere.db"));
}

// A clock of 0 or below had been taken as "now" without a word: a replay script with a bad clock
// got a report of the wrong period.
TEST_F(MonitorCli, AClockAtOrBefore1970IsRefused) {
  for (const char* clock : {"0", "-1000", "soon"}) {
    for (const std::string& command :
         {"monitor --config " + config_ + " --store " + dir_.str() + "/pilot.db --now-ms=" + clock,
          "models --store " + dir_.str() + "/pilot.db --now-ms=" + clock,
          "retrain --config " + config_ + " --store " + dir_.str() +
              "/pilot.db --now-ms=" + clock}) {
      CliResult r = run_cli(command);
      EXPECT_EQ(r.exit_code, 2) << command << "\n" << r.output;
      EXPECT_NE(r.output.find(std::string(clock) + " is not a clock"), std::string::npos)
          << r.output;
    }
  }
}

TEST_F(MonitorCli, AStoreFromANewerTunecaseIsRefusedAndLeftAlone) {
  std::string store = dir_.str() + "/pilot.db";
  fill_store(store);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(store.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE schema_version SET version = 99", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  CliResult r = run_cli(monitor(store, 13));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("newer tunecase"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "monitor" / "alerts.jsonl"));
}

TEST_F(MonitorCli, ABadMonitorKeyIsAClearError) {
  write_config("accuracy_floor = 1.5\n");
  CliResult r = run_cli(monitor(dir_.str() + "/pilot.db", 13));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("accuracy_floor"), std::string::npos) << r.output;
}

TEST_F(MonitorCli, SimulateRulePrintsTheFalseAlarmRate) {
  CliResult r = run_cli("monitor --config " + config_ + " --simulate-rule");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("false alarms a year"), std::string::npos) << r.output;
  // The config's min_labelled (50), not a volume of its own (it raised it to 100).
  EXPECT_NE(r.output.find("50 labels a day = min_labelled"), std::string::npos) << r.output;
}

TEST_F(MonitorCli, PlanShowsAnUnassignedOwnerLoudly) {
  CliResult r = run_cli("plan --config " + config_ + " --out " + dir_.str() + "/plan");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("UNASSIGNED"), std::string::npos) << r.output;
  for (const char* f : {"plan.md", "plan.html", "plan.json"})
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / "plan" / f)) << f;
}

TEST_F(MonitorCli, PlanRefusesANegativeRetrainPeriod) {
  std::ofstream(config_, std::ios::app)
      << "\n[retrain]\npolicy = \"scheduled\"\nevery_weeks = -4\n";
  CliResult r = run_cli("plan --config " + config_ + " --out " + dir_.str() + "/plan");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("every_weeks"), std::string::npos) << r.output;
}

TEST(ReplayCli, ReplaysATimeStampedFileUnderEveryPolicy) {
  TempDir dir;
  CliResult gen = run_cli("generate --tickets 3000 --out " + dir.str() + "/t.csv");
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  std::ofstream(dir.path() / "r.toml")
      << "[data]\npath = \"t.csv\"\nlabel = \"category\"\ntime = \"created_at\"\n\n"
         "[[approach]]\nname = \"local-linear\"\nkind = \"linear\"\n\n"
         "[monitor]\nmin_labelled = 5\n";
  CliResult r = run_cli("replay --config " + dir.str() + "/r.toml --initial-days 90 --out " +
                        dir.str() + "/replay");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto doc = read_json(dir.path() / "replay" / "replay.json");
  ASSERT_EQ(doc["policies"].size(), 3u);
  EXPECT_EQ(doc["policies"][0]["policy"], "none");
  EXPECT_EQ(doc["policies"][0]["retrains"], 0);
  EXPECT_GT(doc["policies"][1]["retrains"].get<int>(), 0);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "replay" / "replay.html"));
}

// Rows replay cannot use are left out and said, and [data] normalize_labels maps label spellings
// as eval does (a replay had dropped such rows in silence and replayed "BILLING" beside
// "billing" as two labels, which moved its errors, alerts and retrains).
TEST(ReplayCli, RowsLeftOutAndLabelsNormalisedAreSaid) {
  TempDir dir;
  std::ofstream csv(dir.path() / "t.csv");
  csv << "text,label,at\n";
  for (int i = 0; i < 200; ++i) {
    const bool billing = i % 2 == 1;
    std::string label = billing ? "billing" : "shipping";
    if (i % 20 == 1) label = "BILLING";
    if (i == 5 || i == 7) label = "";
    std::string text = i == 9 ? "" : fmt::format("{} ticket {}", billing ? "refund" : "parcel", i);
    csv << text << "," << label << ",2025-01-" << fmt::format("{:02}", 1 + (i / 2) % 28) << "\n";
  }
  csv.close();
  std::ofstream(dir.path() / "r.toml")
      << "[data]\npath = \"t.csv\"\ntime = \"at\"\nnormalize_labels = true\n\n"
         "[[approach]]\nname = \"local-linear\"\nkind = \"linear\"\n\n"
         "[monitor]\nmin_labelled = 2\n";
  CliResult r = run_cli("replay --config " + dir.str() + "/r.toml --initial-days 10 --out " +
                        dir.str() + "/replay");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("3 of the 200 rows read are not replayed: 2 without a label, 1 with an "
                          "empty text"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("normalize_labels mapped 10 rows"), std::string::npos) << r.output;
  auto doc = read_json(dir.path() / "replay" / "replay.json");
  EXPECT_EQ(doc["initial_rows"].get<int>() + doc["policies"][0]["items"].get<int>(), 197)
      << doc.dump(1).substr(0, 800);
  EXPECT_NE(read_file(dir.path() / "replay" / "replay.md").find("**Data:** 3 of the 200"),
            std::string::npos);
}

// Labels three days late against the default 48-hour silence threshold fire no_feedback at the
// launch of a gateway replay: said before anything is sent.
TEST(ReplayCli, AGatewayReplaySaysWhenItsLabelDelayFiresNoFeedbackAtLaunch) {
  TempDir dir;
  std::ofstream(dir.path() / "t.csv") << "text,label,at\nwhere is my parcel,shipping,2025-01-01\n";
  std::ofstream(dir.path() / "r.toml")
      << "[data]\npath = \"t.csv\"\ntime = \"at\"\n\n[[approach]]\nname = \"l\"\nkind = "
         "\"linear\"\n";
  const std::string cmd = "replay --config " + dir.str() + "/r.toml --gateway http://127.0.0.1:9 " +
                          "--store " + dir.str() + "/s.db";
  CliResult r = run_cli(cmd);
  EXPECT_NE(r.output.find("labels come 3 days after each replayed day, past [monitor] "
                          "feedback_silence_hours (48)"),
            std::string::npos)
      << r.output;
  CliResult soon = run_cli(cmd + " --delay-days 2");  // 48 hours: the first label in time
  EXPECT_EQ(soon.output.find("feedback_silence_hours"), std::string::npos) << soon.output;
}

TEST(ReplayCli, AFileWithoutTimesIsAClearError) {
  TempDir dir;
  std::ofstream(dir.path() / "r.toml")
      << "[data]\npath = \"t.csv\"\n\n[[approach]]\nname = \"l\"\nkind = \"linear\"\n";
  CliResult r = run_cli("replay --config " + dir.str() + "/r.toml");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("[data] time"), std::string::npos) << r.output;
}

// Through a gateway a retraining policy needs the texts the gateway keeps: said before anything
// is sent (the first due retrain had stopped the replay weeks in).
TEST(ReplayCli, AGatewayReplayThatWouldRetrainNeedsKeepTextsFirst) {
  TempDir dir;
  std::ofstream(dir.path() / "r.toml")
      << "[data]\npath = \"t.csv\"\ntime = \"at\"\n\n[[approach]]\nname = \"l\"\nkind = "
         "\"linear\"\n\n[retrain]\npolicy = \"triggered\"\n";
  CliResult r = run_cli("replay --config " + dir.str() + "/r.toml --gateway http://127.0.0.1:9 " +
                        "--store " + dir.str() + "/s.db");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("keep_texts is off: set keep_texts = true"), std::string::npos)
      << r.output;
}

}  // namespace
