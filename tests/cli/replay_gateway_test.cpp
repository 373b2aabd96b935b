// `tunecase replay --gateway`: a year of synthetic tickets through a real gateway on a replay
// clock, labels posted a few days late, and after every day the monitor and `retrain --if-due`
// on the gateway's store: the launch's accuracy drop fires the alert, a retrain is promoted, the
// running gateway loads it and accuracy recovers. Plus the "at" field and the replay clock.
#include <fstream>
#include <thread>

#include "../serve/gateway_fixture.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/data/csv_writer.h"
#include "tunecase/data/reader.h"
#include "tunecase/data/synthetic.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/monitor/daily.h"
#include "tunecase/monitor/replay_gateway.h"
#include "tunecase/serve/request_body.h"

namespace tunecase::serve::testing {
namespace {

using monitor::kDayMs;

class ReplayGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = temp_folder("replay"); }
  void TearDown() override {
    gateway_.reset();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  // A gateway on the base config (+ `extra`) with its models trained, on store.db and a replay
  // clock from day 20000; the settings of a replay through it, 10 initial days.
  monitor::GatewayReplaySettings start_replay_gateway(const std::string& extra = "") {
    ProjectConfig config = write_config(dir_, base_config() + extra);
    train_models(config, dir_ / "eval");
    GatewayOptions g;
    g.eval_dir = dir_ / "eval";
    g.store = store_path();
    g.server.port = 0;
    g.replay_clock_start = 20000 * kDayMs;
    gateway_ = std::make_unique<Gateway>(config, g);
    monitor::GatewayReplaySettings s;
    s.url = "http://127.0.0.1:" + std::to_string(gateway_->start());
    s.initial_days = 10;
    return s;
  }
  std::string store_path() const { return (dir_ / "store.db").string(); }

  std::filesystem::path dir_;
  std::unique_ptr<Gateway> gateway_;
};

TEST_F(ReplayGatewayTest, TheLaunchFiresTheAlertAndAPromotedRetrainReachesTheRunningGateway) {
  SyntheticOptions o;
  o.tickets = 4000;
  std::ofstream csv(dir_ / "tickets.csv");
  csv << "id,text,category,created_at\n";
  for (const auto& t : generate_tickets(o))
    csv << t.id << "," << csv_field(t.text) << "," << t.category << "," << t.created_at << "\n";
  csv.close();
  // The label list names the launch's category, as a team adds it when the feature ships, so
  // its feedback is accepted before any model knows it.
  std::string label_table = "[labels]\n";
  for (const auto& [label, description] : synthetic_label_descriptions())
    label_table += label + " = " + nlohmann::json(description).dump() + "\n";
  label_table += "\n";
  ProjectConfig config = write_config(
      dir_, "[data]\npath = \"" + (dir_ / "tickets.csv").string() +
                "\"\nlabel = \"category\"\ntime = \"created_at\"\nid = \"id\"\n\n"
                "[[approach]]\nname = \"local-linear\"\nkind = \"linear\"\n\n" +
                label_table +
                "[monitor]\nmin_labelled = 8\naccuracy_rule = \"consecutive\"\n"
                "consecutive_days = 3\nkeep_texts = true\n\n"
                "[retrain]\npolicy = \"triggered\"\nwithin_days = 7\nholdout_days = 7\n"
                "usd_per_retrain = 500\n\n[business]\ncost_per_error_usd = 2.5\n");

  ReadOptions read;
  read.text_column = "text";
  read.label_column = "category";
  read.time_column = "created_at";
  read.id_column = "id";
  auto items = monitor::replay_items(read_examples(dir_ / "tickets.csv", read).labelled);
  const int initial_days = 90;
  const int64_t start = items.front().day + initial_days;
  Examples original;
  std::set<std::string> seen;
  for (const auto& it : items) {
    if (it.day >= start) break;
    original.push_back({"", it.text, it.label, "", 0});
    seen.insert(it.label);
  }
  std::vector<std::string> labels(seen.begin(), seen.end());
  const ApproachConfig& approach = config.approaches.front();
  auto model = make_classifier(approach);
  model->train(original, {}, labels);
  save_model(dir_ / "eval" / "models" / "local-linear", approach, *model, labels, original.size());

  GatewayOptions g;
  g.eval_dir = dir_ / "eval";
  g.store = (dir_ / "store.db").string();
  g.server.port = 0;
  g.log.window = std::chrono::milliseconds(5);
  g.model_poll = std::chrono::milliseconds(20);
  g.replay_clock_start = start * kDayMs;
  gateway_ = std::make_unique<Gateway>(config, g);
  const int port = gateway_->start();

  auto store = open_store(g.store);
  monitor::DailyOperation op;
  op.config = &config;
  op.store = store.get();
  op.approach = "local-linear";
  op.retrain.eval_dir = dir_ / "eval";
  op.retrain.out_dir = dir_ / "retrain";
  op.retrain.original = original;
  op.retrain.labels = labels;
  op.retrain.rule.min_holdout = 40;
  op.retrain.holdout_days = 7;
  monitor::GatewayReplaySettings s;
  s.url = "http://127.0.0.1:" + std::to_string(port);
  s.initial_days = initial_days;
  s.feedback_delay_days = 3;
  s.model_wait = std::chrono::milliseconds(10000);
  s.policy = "triggered (through the gateway)";
  s.cost_per_error_usd = 2.5;
  s.usd_per_retrain = 500;
  // The drift detectors are the monitor's own tests' business; the day's rules are what acts.
  s.end_of_day = [&op](int64_t now_ms, bool) { return op.run(now_ms, false); };
  auto http = make_http_client(16);
  EXPECT_EQ(monitor::gateway_champion(s, *http), "local-linear");
  std::ostringstream log;
  monitor::PolicyRun run = monitor::replay_through_gateway(items, s, *http, log);
  std::cout << log.str();

  int64_t replayed = 0;
  for (const auto& it : items) replayed += it.day >= start;
  EXPECT_EQ(run.items, replayed);
  ASSERT_TRUE(run.first_alert_day) << "the launch's drop fires the accuracy alert";
  // The days the alert was judged on are counted (they had stayed 0 through the gateway, and
  // the report then said no day was ever judged beside its own alert).
  EXPECT_GT(run.judged_days, 0);
  EXPECT_GE(run.most_labelled, s.min_labelled);
  EXPECT_GE(monitor::iso_date(*run.first_alert_day), "2025-08-01");
  EXPECT_GE(run.retrains, 1);
  EXPECT_LE(run.retrains, run.alerts) << "one retrain per accuracy alert, not one per day";
  EXPECT_EQ(run.retrain_usd, 500.0 * run.retrains);
  // Each training is paid; the report counts apart those promoted, one per day a new version
  // first answered (7 retrains had read as 7 model changes beside 1 such day).
  ASSERT_TRUE(run.promoted.has_value());
  EXPECT_GE(*run.promoted, 1);
  EXPECT_LE(*run.promoted, run.retrains);
  int64_t new_version_days = 0;
  for (const auto& d : run.days) new_version_days += d.retrained;
  EXPECT_EQ(new_version_days, *run.promoted);
  // The first day served by a promoted model comes after the first alert, and accuracy after it
  // is clearly above the weeks between the launch and the retrain.
  int64_t switched = 0;
  for (const auto& d : run.days)
    if (d.retrained && switched == 0) switched = d.day;
  ASSERT_GT(switched, *run.first_alert_day);
  int64_t n_before = 0, c_before = 0, n_after = 0, c_after = 0;
  for (const auto& d : run.days) {
    if (monitor::iso_date(d.day) >= "2025-08-01" && d.day < switched) {
      n_before += d.n;
      c_before += d.correct;
    } else if (d.day >= switched + 14) {
      n_after += d.n;
      c_after += d.correct;
    }
  }
  ASSERT_GT(n_before, 0);
  ASSERT_GT(n_after, 0);
  double before = static_cast<double>(c_before) / n_before;
  double after = static_cast<double>(c_after) / n_after;
  std::cout << "after the launch " << before << ", after the promotion " << after << "\n";
  EXPECT_GT(after, before + 0.05);

  // The store holds the file's days, not today's, and the registry the promotion.
  auto texts = store->labelled_texts(0, INT64_MAX);
  ASSERT_FALSE(texts.empty());
  EXPECT_GE(texts.front().created_at_ms, start * kDayMs);
  EXPECT_LT(texts.back().created_at_ms, (items.back().day + 1) * kDayMs);
  std::vector<ModelVersion> versions = store->models("local-linear");
  const ModelVersion* champion = champion_of(versions);
  ASSERT_NE(champion, nullptr);
  EXPECT_EQ(champion->promoted_by, "tunecase retrain");
  gateway_->stop();
}

TEST_F(ReplayGatewayTest, AGatewayOnItsOwnClockRefusesReplayedTimes) {
  ProjectConfig config = write_config(dir_, base_config());
  train_models(config, dir_ / "eval");
  GatewayOptions g;
  g.eval_dir = dir_ / "eval";
  g.store = (dir_ / "store.db").string();
  g.server.port = 0;
  gateway_ = std::make_unique<Gateway>(config, g);
  const int port = gateway_->start();
  TestClient client(port);
  Reply r = client.send("POST", "/v1/classify", R"({"text":"refund please","at":"2025-01-02"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("--replay-clock"), std::string::npos) << r.body;
  EXPECT_EQ(client.send("POST", "/v1/classify", R"({"text":"refund please","id":"A"})").status,
            200);
  r = client.send("POST", "/v1/feedback", R"({"id":"A","label":"refund","at":1})");
  EXPECT_EQ(r.status, 400);
  monitor::GatewayReplaySettings s;
  s.url = "http://127.0.0.1:" + std::to_string(port);
  auto http = make_http_client(2);
  try {
    monitor::gateway_champion(s, *http);
    FAIL() << "a gateway on its own clock was taken for a replay";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--replay-clock"), std::string::npos) << e.what();
  }
  Reply models = client.send("GET", "/v1/models");
  ASSERT_EQ(models.status, 200);
  auto doc = body_of(models);
  EXPECT_EQ(doc["approaches"][0]["role"], "champion");
  EXPECT_EQ(doc["approaches"][0]["registry_version"],
            model_fingerprint(dir_ / "eval" / "models" / "local-linear"));
}

// An abstention answers with label null: it counts as wrong and the replay goes on.
TEST_F(ReplayGatewayTest, AnAbstentionCountsAsWrongAndTheReplayGoesOn) {
  monitor::GatewayReplaySettings s = start_replay_gateway("[pilot]\nabstain_below = 1.0\n");
  std::vector<monitor::ReplayItem> items;
  for (int64_t day = 19990; day < 20005; ++day)
    items.push_back({day, "the courier is late since monday", "shipping"});
  auto http = make_http_client(4);
  std::ostringstream log;
  monitor::PolicyRun run = monitor::replay_through_gateway(items, s, *http, log);
  EXPECT_EQ(run.items, 5);
  EXPECT_EQ(run.errors, 5);
  auto texts = open_store(store_path())->labelled_texts(0, INT64_MAX);
  EXPECT_TRUE(texts.empty()) << "[monitor] keep_texts is off: no text is kept";
}

// A gateway clock started before the first replayed day (on the file's first day, while
// --initial-days are kept back for training) is refused before anything is sent: the pilot had
// counted the days between as days run (120 for 90 days of traffic).
TEST_F(ReplayGatewayTest, AClockBeforeTheFirstReplayedDayIsRefused) {
  monitor::GatewayReplaySettings s = start_replay_gateway();  // clock at day 20000
  std::vector<monitor::ReplayItem> items;
  for (int64_t day = 20000; day < 20015; ++day)  // 10 initial days: the first sent is 20010
    items.push_back({day, "the courier is late since monday", "shipping"});
  auto http = make_http_client(4);
  std::ostringstream log;
  try {
    monitor::replay_through_gateway(items, s, *http, log);
    FAIL() << "a replay through a clock 10 days early was run";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("before this replay's first day"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("--replay-clock " + monitor::iso_date(20010)),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(open_store(store_path())->pilot_counts({}).arms.empty());
}

// A replay again through a gateway whose store holds one already (its clock past this replay's
// first day) is refused before anything is sent: its days would land on the last day of the
// other, and its report read the other's alerts.
TEST_F(ReplayGatewayTest, ASecondReplayIntoTheSameStoreIsRefused) {
  monitor::GatewayReplaySettings s = start_replay_gateway();
  std::vector<monitor::ReplayItem> items;
  for (int64_t day = 19990; day < 20005; ++day)
    items.push_back({day, "the courier is late since monday", "shipping"});
  auto http = make_http_client(4);
  std::ostringstream log;
  monitor::replay_through_gateway(items, s, *http, log);
  // Every request answered is stored within the log's window; wait for the last of them, so
  // that a count read before the gateway's last commit does not pass for one the second replay
  // changed.
  // The first `initial_days` days are the history the replay starts from, not sent.
  const int64_t sent = static_cast<int64_t>(items.size()) - s.initial_days;
  int64_t stored = 0;
  for (int i = 0; i < 500 && stored < sent; ++i) {
    stored = 0;
    for (const auto& arm : open_store(store_path())->pilot_counts({}).arms) stored += arm.requests;
    if (stored < sent) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(stored, sent);
  try {
    monitor::replay_through_gateway(items, s, *http, log);
    FAIL() << "a second replay into the same store was run";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("its store holds an earlier replay"), std::string::npos)
        << e.what();
  }
  int64_t after = 0;
  for (const auto& arm : open_store(store_path())->pilot_counts({}).arms) after += arm.requests;
  EXPECT_EQ(after, stored);
}

// The day's monitor ran as soon as the day's requests were answered, before the gateway had
// stored them all, and judged part of the day; and a --store other than the gateway's was read
// without a word (its alerts and retraining were another store's).
TEST_F(ReplayGatewayTest, EachDayIsJudgedOnItsWholeTrafficAndAnotherStoreIsRefused) {
  monitor::GatewayReplaySettings s = start_replay_gateway();
  std::vector<monitor::ReplayItem> items;
  for (int64_t day = 19990; day < 20004; ++day)
    for (int i = 0; i < 40; ++i)
      items.push_back(
          {day, i % 2 ? "the courier is late since monday" : "refund my order", "shipping"});
  auto store = open_store(store_path());
  s.concurrency = 8;
  std::vector<int64_t> stored;
  s.end_of_day = [&](int64_t now_ms, bool) {
    PilotQuery q;
    q.from_ms = now_ms - kDayMs;
    q.to_ms = now_ms;
    int64_t n = 0;
    for (const auto& arm : store->pilot_counts(q).arms) n += arm.requests;
    stored.push_back(n);
    return monitor::DayOperation{};
  };
  s.store_holds = [&](const std::string& id) { return store->find_prediction(id).has_value(); };
  auto http = make_http_client(8);
  std::ostringstream log;
  monitor::replay_through_gateway(items, s, *http, log);
  ASSERT_EQ(stored.size(), 4u);
  for (int64_t n : stored) EXPECT_EQ(n, 40) << "a day judged before all of it was stored";

  auto other = open_store((dir_ / "other.db").string());
  s.store_holds = [&](const std::string& id) { return other->find_prediction(id).has_value(); };
  s.run_id = "second";
  // Its first replayed day is the gateway's clock's day (2024-10-07): neither before that clock,
  // which never goes back, nor after it, which would count the days between as pilot days.
  for (auto& item : items) item.day += 3;
  try {
    monitor::replay_through_gateway(items, s, *http, log);
    FAIL() << "a replay read another store than the gateway's";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--store does not hold the predictions"),
              std::string::npos)
        << e.what();
  }
}

TEST(ReplayTime, TheAtFieldTakesMillisecondsOrAnIsoTimeAndNothingElse) {
  EXPECT_EQ(parse_utc_time("1970-01-02"), 86'400'000);
  EXPECT_EQ(parse_utc_time("2025-08-14T09:30:05Z"),
            days_from_civil(2025, 8, 14) * 86'400'000 + (9 * 3600 + 30 * 60 + 5) * 1000);
  // A fraction of a second keeps its milliseconds.
  EXPECT_EQ(parse_utc_time("2025-08-14 09:30:05.250").value_or(0),
            parse_utc_time("2025-08-14T09:30:05").value_or(-1) + 250);
  // Seconds may be left out; an offset from UTC is taken away.
  EXPECT_EQ(parse_utc_time("2025-08-14T09:30"), parse_utc_time("2025-08-14T09:30:00Z"));
  EXPECT_EQ(parse_utc_time("2025-08-14T11:30:05+02:00"), parse_utc_time("2025-08-14T09:30:05Z"));
  EXPECT_TRUE(parse_utc_time("2024-02-29"));  // a leap year's
  for (const char* bad : {"", "2025", "2025-13-01", "2025-02-29", "2025-02-30", "2025-04-31",
                          "1900-02-29", "2025-08-14T25:00:00", "2025-08-14X", "1969-12-31",
                          "2025-08-14T09", "2025-08-14T09:30:05+2"})
    EXPECT_FALSE(parse_utc_time(bad)) << bad;
  auto ok = parse_classify(R"({"text":"x","at":1723627805000})");
  ASSERT_TRUE(std::holds_alternative<ClassifyBody>(ok));
  EXPECT_EQ(std::get<ClassifyBody>(ok).at_ms, 1723627805000);
  EXPECT_FALSE(std::get<ClassifyBody>(parse_classify(R"({"text":"x"})")).at_ms);
  for (const char* bad : {R"({"text":"x","at":-5})", R"({"text":"x","at":1.5})",
                          R"({"text":"x","at":"yesterday"})", R"({"text":"x","at":[1]})"}) {
    auto r = parse_classify(bad);
    ASSERT_TRUE(std::holds_alternative<BodyError>(r)) << bad;
    EXPECT_EQ(std::get<BodyError>(r).status, 400);
  }
  auto f = parse_feedback(R"({"id":"A","label":"b","at":"2025-01-01"})", {"b"});
  ASSERT_TRUE(std::holds_alternative<FeedbackBody>(f));
  EXPECT_EQ(std::get<FeedbackBody>(f).at_ms, days_from_civil(2025, 1, 1) * 86'400'000);
}

}  // namespace
}  // namespace tunecase::serve::testing
