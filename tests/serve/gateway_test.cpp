// The gateway end to end: a real server on loopback, a SQLite store, a linear model trained here.

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "gateway_fixture.h"
#include "tunecase/llm/sim_llm_server.h"
#include "tunecase/serve/pilot_report.h"

namespace tunecase::serve::testing {
namespace {

const char* kSplit =
    "[pilot]\nchampion = \"local-linear\"\nchallenger = \"local-logreg\"\n"
    "mode = \"split\"\nshare = 0.5\n";

// A new [pilot] share on a store that ran at another: the start says how many ids change arm
// and that the sample-ratio check will block the verdict (it said nothing, and the report then
// blocked the verdict without naming the share).
TEST_F(GatewayTest, AShareChangedOnTheSameStoreIsSaidAtStart) {
  start(kSplit);
  gateway_->stop();
  std::string skewed = kSplit;
  skewed.replace(skewed.find("share = 0.5"), 11, "share = 0.2");
  start(skewed);
  std::string notes;
  for (const auto& note : gateway_->startup_notes()) notes += note + "\n";
  EXPECT_NE(notes.find("[pilot] share is 0.2 where this store's pilot ran at 0.5: about 30% of "
                       "the ids now go to the other arm"),
            std::string::npos)
      << notes;
  gateway_->stop();
  start(skewed);  // said once: the store's plan is now the new share
  notes.clear();
  for (const auto& note : gateway_->startup_notes()) notes += note + "\n";
  EXPECT_EQ(notes.find("[pilot] share is"), std::string::npos) << notes;
}

TEST_F(GatewayTest, ClassifyAnswersALabelWithConfidenceAndAPredictionId) {
  start();
  nlohmann::json a = classify({{"text", "the courier is late"}, {"id", "T-1"}});
  ASSERT_TRUE(a["label"].is_string());
  EXPECT_NE(std::find(labels_.begin(), labels_.end(), a["label"].get<std::string>()),
            labels_.end());
  EXPECT_EQ(a["approach"], "local-linear");
  EXPECT_EQ(a["arm"], "champion");
  EXPECT_EQ(a["prediction_id"].get<std::string>().size(), 32u);
  EXPECT_FALSE(a["simulated"].get<bool>());
  ASSERT_TRUE(a.contains("confidence"));
  EXPECT_GT(a["confidence"].get<double>(), 0.0);
  EXPECT_LE(a["confidence"].get<double>(), 1.0);
  EXPECT_GE(a["latency_ms"].get<double>(), 0.0);
}

// A start that cannot bind its port writes nothing: no pilot started, no plan recorded, no
// store file, so a second try's day count starts when it serves.
TEST_F(GatewayTest, APortInUseStopsTheStartBeforeTheStoreIsWritten) {
  start();
  GatewayOptions second = options((dir_ / "second.db").string());
  second.server.port = port_;
  try {
    Gateway g(config_, second);
    ADD_FAILURE() << "a second gateway started on a port in use";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find(fmt::format("cannot listen on 127.0.0.1:{}", port_)),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "second.db"));
  EXPECT_EQ(classify({{"text", "the courier is late"}})["arm"], "champion");  // the first serves on
}

// On a replay clock a mistyped "at" far ahead is refused: the clock never goes back, so taking
// it would date every later request of the replay in that future.
TEST_F(GatewayTest, AReplayClockRefusesATimeMoreThanAYearAhead) {
  constexpr int64_t kDay = 86'400'000;
  GatewayOptions o = options();
  o.replay_clock_start = 20000 * kDay;
  start("", o);
  Reply leap = post("/v1/classify",
                    nlohmann::json({{"text", "the courier is late"}, {"at", 20500 * kDay}}).dump());
  EXPECT_EQ(leap.status, 400) << leap.body;
  EXPECT_NE(leap.body.find("500 days after the replay clock"), std::string::npos) << leap.body;
  Reply far = post("/v1/classify", R"({"text":"late","at":99999999999999999})");
  EXPECT_EQ(far.status, 400) << far.body;
  // A day on is taken, and the clock did not move for the refused ones.
  classify({{"text", "the courier is late"}, {"at", 20001 * kDay}});
  nlohmann::json models = body_of(get("/v1/models"));
  EXPECT_EQ(models["now_ms"], 20001 * kDay) << models.dump();
  EXPECT_EQ(models["clock"], "replay");
  // Kept after each commit too, not only at a clean stop: a replay killed part-way resumes where
  // its stored traffic ends.
  get("/v1/pilot");  // commits the log
  bool kept = false;
  for (int i = 0; i < 100 && !kept; ++i) {
    kept = open_store((dir_ / "store.db").string())->meta(kReplayClockKey) ==
           std::to_string(20001 * kDay);
    if (!kept) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(kept);
  // A feedback's time is kept once it is recorded (200): `tunecase pilot --store` had judged the
  // pilot as of the last commit while /v1/pilot judged it as of the last feedback.
  nlohmann::json answer = classify({{"text", "the courier is late"}, {"id", "F-1"}});
  Reply fed =
      post("/v1/feedback",
           nlohmann::json({{"id", "F-1"}, {"label", "shipping"}, {"at", 20003 * kDay}}).dump());
  ASSERT_EQ(fed.status, 200) << fed.body;
  EXPECT_EQ(open_store((dir_ / "store.db").string())->meta(kReplayClockKey),
            std::to_string(20003 * kDay));
  // The replay's last time is kept for `tunecase pilot`, and a later start resumes the clock
  // there: on the wall clock (viewing the replayed pilot; it had cleared the time and judged
  // the pilot as of today), and with an earlier --replay-clock (it had judged the pilot before
  // its first request). Each says so.
  gateway_->stop();
  EXPECT_EQ(open_store((dir_ / "store.db").string())->meta(kReplayClockKey),
            std::to_string(20003 * kDay));
  start();  // no replay clock
  nlohmann::json resumed = body_of(get("/v1/models"));
  EXPECT_EQ(resumed["clock"], "replay");
  EXPECT_EQ(resumed["now_ms"], 20003 * kDay);
  auto said = [&](const std::string& words) {
    for (const std::string& note : gateway_->startup_notes())
      if (note.find(words) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(said("this store was filled by a replay whose clock stood at"));
  gateway_->stop();
  EXPECT_EQ(open_store((dir_ / "store.db").string())->meta(kReplayClockKey),
            std::to_string(20003 * kDay));
  o.replay_clock_start = 19000 * kDay;
  start("", o);
  EXPECT_EQ(body_of(get("/v1/models"))["now_ms"], 20003 * kDay);
  EXPECT_TRUE(said("the clock resumes there, since it never goes back"));
}

// A store that served live traffic is not replayed into: from before its pilot's start the
// report had shown -646 days elapsed and none of the stored requests; from after it, the store
// became a replay store for good (a later live start resumed the replay's frozen clock).
TEST_F(GatewayTest, AReplayClockOnALiveStoreIsRefused) {
  constexpr int64_t kDay = 86'400'000;
  start();  // the wall clock
  classify({{"text", "the courier is late"}});
  gateway_->stop();
  gateway_.reset();
  for (int64_t day : {20000, 30000}) {  // 2024-10-04, and 2052: before and after the start
    GatewayOptions o = options();
    o.replay_clock_start = day * kDay;
    try {
      Gateway g(config_, o);
      ADD_FAILURE() << "a replay clock on a live store was taken: day " << day;
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find("on a store whose pilot runs on the wall clock"),
                std::string::npos)
          << e.what();
    }
  }
  start();  // live again: its own clock, not a replay's
  EXPECT_EQ(body_of(get("/v1/models"))["clock"], "wall");
}

// The demo's pilot runs on a simulated clock of its own: its last time is kept at stop as a
// replay's is, so `tunecase pilot` on the demo's store reports as of it, not of the wall clock.
TEST_F(GatewayTest, ASimulatedClockIsKeptAtStopLikeAReplayClock) {
  constexpr int64_t kDay = 86'400'000;
  std::atomic<int64_t> now{20000 * kDay};
  GatewayOptions o = options();
  o.clock = [&now] { return now.load(); };
  o.simulated_clock = true;
  start("", o);
  classify({{"text", "the courier is late"}});
  now = 20040 * kDay;
  gateway_->stop();
  EXPECT_EQ(open_store((dir_ / "store.db").string())->meta(kReplayClockKey),
            std::to_string(20040 * kDay));
  // Another replica on the same store stopping later with an earlier clock keeps the latest.
  now = 20030 * kDay;
  start("", o);
  gateway_->stop();
  EXPECT_EQ(open_store((dir_ / "store.db").string())->meta(kReplayClockKey),
            std::to_string(20040 * kDay));
}

TEST_F(GatewayTest, FeedbackIsRecordedUnchangedReplacedAndRefusesUnknownIdsAndLabels) {
  start();
  nlohmann::json a = classify({{"text", "wrong address on the shipment"}, {"id", "T-7"}});
  Reply first = post("/v1/feedback", R"({"id":"T-7","label":"shipping"})");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(body_of(first)["status"], "recorded");
  EXPECT_EQ(body_of(post("/v1/feedback", R"({"id":"T-7","label":"shipping"})"))["status"],
            "unchanged");
  nlohmann::json replaced = body_of(
      post("/v1/feedback",
           nlohmann::json{{"prediction_id", a["prediction_id"]}, {"label", "login"}}.dump()));
  EXPECT_EQ(replaced["status"], "replaced");
  EXPECT_EQ(replaced["previous"], "shipping");
  Reply unknown = post("/v1/feedback", R"({"id":"never-seen","label":"login"})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("never-seen"), std::string::npos);
  Reply bad_label = post("/v1/feedback", R"({"id":"T-7","label":"astrology"})");
  EXPECT_EQ(bad_label.status, 422);
  EXPECT_NE(bad_label.body.find("astrology"), std::string::npos);
  // A slip gets the nearest label named; every label is quoted (one may hold a comma).
  Reply slip = post("/v1/feedback", R"({"id":"T-7","label":"Shiping"})");
  EXPECT_EQ(slip.status, 422);
  EXPECT_NE(slip.body.find("did you mean 'shipping'?"), std::string::npos) << slip.body;
  EXPECT_NE(slip.body.find("'login'"), std::string::npos) << slip.body;
}

// A model retrained on feedback recorded with --new-labels answers a label beyond [labels]: the
// feedback that confirms its answers is taken (it was refused with a 422), and the start says so.
TEST_F(GatewayTest, FeedbackTakesTheLabelsTheServedModelAnswersBeyondTheLabelsTable) {
  start();  // trains the models on every label of the data
  ASSERT_GE(labels_.size(), 3u);
  const std::string beyond = labels_.back();
  std::string table = "[labels]\n";
  for (std::size_t i = 0; i + 1 < labels_.size(); ++i)
    table += "\"" + labels_[i] + "\" = \"a category\"\n";
  gateway_.reset();
  config_ = write_config(dir_, base_config() + table);
  gateway_ = std::make_unique<Gateway>(config_, options());
  port_ = gateway_->start();
  std::string notes;
  for (const auto& note : gateway_->startup_notes()) notes += note + "\n";
  EXPECT_NE(notes.find("answers 1 label outside [labels]: '" + beyond + "'"), std::string::npos)
      << notes;
  classify({{"text", "wrong address on the shipment"}, {"id", "N-1"}});
  Reply taken = post("/v1/feedback", nlohmann::json{{"id", "N-1"}, {"label", beyond}}.dump());
  EXPECT_EQ(taken.status, 200) << taken.body;
  Reply unknown = post("/v1/feedback", R"({"id":"N-1","label":"astrology"})");
  EXPECT_EQ(unknown.status, 422);
  EXPECT_NE(unknown.body.find("--new-labels"), std::string::npos) << unknown.body;
}

// A feedback for a prediction answered after the last progress record of a killed run: the 404
// says it was most likely lost with that run's last commit window (it only said to send the id
// /v1/classify gave, which the client had done).
TEST_F(GatewayTest, FeedbackForAPredictionLostInAKillSaysSo) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  // The progress record a run of instance 'test' killed at `at_ms` leaves: `committed` of its
  // predictions committed (all it had acknowledged then), its last commit `batch` long.
  auto record_killed_run = [this](int64_t committed, int64_t batch, int64_t at_ms) {
    open_store((dir_ / "store.db").string())
        ->set_meta("serve.log.test", nlohmann::json{{"clean", false},
                                                    {"acknowledged", committed},
                                                    {"committed", committed},
                                                    {"batch", batch},
                                                    {"at_ms", at_ms}}
                                         .dump());
  };
  project("");
  record_killed_run(10, 4, now - 3000);
  start();
  // A feedback for a prediction answered at `ms`: a prediction id holds its time in its first
  // 12 hex digits.
  auto feedback_at = [this](int64_t ms) {
    return post("/v1/feedback",
                nlohmann::json{{"prediction_id", fmt::format("{:012x}{:020x}", ms, 12345)},
                               {"label", "login"}}
                    .dump());
  };
  Reply lost = feedback_at(now - 1500);
  EXPECT_EQ(lost.status, 404);
  EXPECT_NE(lost.body.find("most likely lost with that run's last commit window"),
            std::string::npos)
      << lost.body;
  Reply older = feedback_at(now - 60'000);
  EXPECT_EQ(older.status, 404);
  EXPECT_EQ(older.body.find("last commit window"), std::string::npos) << older.body;
  EXPECT_NE(older.body.find("send the prediction_id a /v1/classify answer gave"), std::string::npos)
      << older.body;
  // Answered before that record, which counted nothing unsaved: committed by then, not lost.
  Reply before = feedback_at(now - 3500);
  EXPECT_EQ(before.status, 404);
  EXPECT_EQ(before.body.find("last commit window"), std::string::npos) << before.body;
  // By id: when it was classified is not known, so the 404 names the run that lost predictions.
  Reply by_id = post("/v1/feedback", R"({"id":"never-seen","label":"login"})");
  EXPECT_EQ(by_id.status, 404);
  EXPECT_NE(by_id.body.find("the store records 1 such run(s), latest instance 'test' at"),
            std::string::npos)
      << by_id.body;
  // Started again after a clean stop: the killed run is still known (the 404 had said so only
  // at the first start after the kill, and only on the instance that was killed).
  gateway_->stop();
  start();
  Reply again = feedback_at(now - 1500);
  EXPECT_EQ(again.status, 404);
  EXPECT_NE(again.body.find("of instance 'test' that stopped without flushing its log"),
            std::string::npos)
      << again.body;
  // Answered a minute after that run's last record (while it wrote nothing: another replica
  // answered it, most likely): not put down to this instance's last commit window.
  gateway_->stop();
  record_killed_run(10, 4, now - 90'000);
  start();
  Reply later = feedback_at(now - 30'000);
  EXPECT_EQ(later.status, 404);
  EXPECT_EQ(later.body.find("last commit window"), std::string::npos) << later.body;
  // A run killed before its first commit: how many it lost is not known, and the 404 says so
  // (it said "about 0 lost" of a run that had lost everything it answered).
  gateway_->stop();
  record_killed_run(0, 0, now - 500);
  start();
  Reply unknown_count = post("/v1/feedback", R"({"id":"never-seen","label":"login"})");
  EXPECT_NE(unknown_count.body.find("how many were lost is not known"), std::string::npos)
      << unknown_count.body;
  // Another replica killed after this one started, its loss recorded by its restart: this
  // replica, which stayed up, names that run for a prediction it lost (it had taken a
  // prediction made after its own start for one of its own, and said nothing).
  const int64_t killed_at = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  open_store((dir_ / "store.db").string())
      ->set_meta(fmt::format("serve.lost.other.{}", killed_at),
                 nlohmann::json{{"instance", "other"},
                                {"at_ms", killed_at},
                                {"estimate", 5},
                                {"unsaved_at_record", 0},
                                {"found_at_ms", killed_at + 5000}}
                     .dump());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the list is read again
  Reply other = feedback_at(killed_at + 500);
  EXPECT_EQ(other.status, 404);
  EXPECT_NE(other.body.find("a run of instance 'other' that stopped without flushing its log"),
            std::string::npos)
      << other.body;
}

TEST_F(GatewayTest, BadRequestsGetA4xxWithAMessage) {
  GatewayOptions o = options();
  o.server.max_body_bytes = 2048;
  start("", o);
  struct Case {
    std::string body;
    int status;
  };
  std::vector<Case> cases = {{"", 400},
                             {"{not json", 400},
                             {"[1,2]", 400},
                             {"{}", 400},
                             {R"({"text": 42})", 400},
                             {R"({"text": "   "})", 422},
                             {R"({"text": "ok", "id": [1]})", 400},
                             {R"({"text": "ok", "metadata": 3})", 400},
                             {"{\"text\": \"caf\xc3\x28\"}", 400},
                             {R"({"text": ")" + std::string(4096, 'a') + R"("})", 413}};
  for (const auto& c : cases) {
    Reply r = post("/v1/classify", c.body);
    EXPECT_EQ(r.status, c.status) << c.body.substr(0, 40) << " -> " << r.body;
    EXPECT_TRUE(body_of(r).contains("error")) << r.body;
  }
  // Every one counted, the 413 the server answers before a route sees the request too.
  std::string metrics = get("/metrics").body;
  EXPECT_NE(metrics.find(fmt::format("\ntunecase_client_errors_total {}\n", cases.size())),
            std::string::npos)
      << metrics;
  EXPECT_EQ(get("/v1/classify").status, 405);
  EXPECT_EQ(get("/nowhere").status, 404);
  EXPECT_EQ(post("/v1/feedback", R"({"label":"login"})").status, 400);
  // A GET route takes HEAD too, and its 405 says so (Allow had read "GET").
  Reply put = TestClient(port_).send("PUT", "/healthz", "{}");
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(put.headers["allow"], "GET, HEAD");
  EXPECT_NE(put.body.find("takes GET (or HEAD) only"), std::string::npos) << put.body;
  // A null where a string is asked for is named as such, not as a field left out.
  Reply null_text = post("/v1/classify", R"({"text":null})");
  EXPECT_EQ(null_text.status, 400);
  EXPECT_NE(null_text.body.find("must be a string, not null"), std::string::npos) << null_text.body;
  Reply null_label = post("/v1/feedback", R"({"id":"T-1","label":null})");
  EXPECT_EQ(null_label.status, 400);
  EXPECT_NE(null_label.body.find("must be a string, not null: send the correct label"),
            std::string::npos)
      << null_label.body;
}

// A compressed body is refused by name (415), not read as JSON and called malformed; an
// identity coding is no coding. Nothing is logged for the refused one.
TEST_F(GatewayTest, ACompressedBodyIsRefusedByItsCoding) {
  start();
  const std::string gzip_magic("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8);
  Reply zipped = post("/v1/classify", gzip_magic, {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(zipped.status, 415) << zipped.body;
  EXPECT_NE(zipped.body.find("Content-Encoding: gzip"), std::string::npos) << zipped.body;
  Reply feedback =
      post("/v1/feedback", R"({"id":"T-1","label":"login"})", {{"Content-Encoding", " br "}});
  EXPECT_EQ(feedback.status, 415) << feedback.body;
  // Every Content-Encoding field counts, and every coding in one.
  TestClient two(port_);
  ASSERT_TRUE(
      two.write_raw("POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Encoding: identity\r\n"
                    "Content-Encoding: gzip\r\nContent-Length: 8\r\n\r\n" +
                    gzip_magic));
  EXPECT_EQ(two.read_reply().status, 415);
  EXPECT_EQ(
      post("/v1/classify", R"({"text":"late"})", {{"Content-Encoding", "identity, br"}}).status,
      415);
  Reply identity =
      post("/v1/classify", R"({"text":"the courier is late"})", {{"Content-Encoding", "Identity"}});
  EXPECT_EQ(identity.status, 200) << identity.body;
  std::string metrics = get("/metrics").body;
  EXPECT_NE(metrics.find("\ntunecase_client_errors_total 4\n"), std::string::npos) << metrics;
}

TEST_F(GatewayTest, SplitAssignmentIsStickyAndSurvivesARestart) {
  start(kSplit);
  std::map<std::string, std::string> first;
  for (int i = 0; i < 40; ++i) {
    std::string id = "customer-" + std::to_string(i);
    first[id] = classify({{"text", "help with reset link"}, {"id", id}})["arm"];
    EXPECT_EQ(classify({{"text", "another ticket"}, {"id", id}})["arm"], first[id]);
  }
  std::set<std::string> arms;
  for (const auto& [id, arm] : first) arms.insert(arm);
  EXPECT_EQ(arms.size(), 2u) << "a 50% split of 40 ids should use both arms";
  std::string salt = gateway_->salt();
  gateway_->stop();
  start(kSplit);
  EXPECT_EQ(gateway_->salt(), salt);
  for (const auto& [id, arm] : first)
    EXPECT_EQ(classify({{"text", "after the restart"}, {"id", id}})["arm"], arm) << id;
  for (const auto& note : gateway_->startup_notes())
    EXPECT_EQ(note.find("salt differs"), std::string::npos) << note;
  // A [pilot] salt unlike the store's is taken, and said at start: ids change arms.
  gateway_->stop();
  start(std::string(kSplit) + "salt = \"another-salt\"\n");
  EXPECT_EQ(gateway_->salt(), "another-salt");
  std::string notes;
  for (const auto& note : gateway_->startup_notes()) notes += note + "\n";
  EXPECT_NE(notes.find("[pilot] salt differs from the salt this store's pilot started with"),
            std::string::npos)
      << notes;
  EXPECT_NE(notes.find("about 50% of the ids go to another arm"), std::string::npos) << notes;
}

TEST_F(GatewayTest, PilotReportAndMetricsCountRequestsAndLabels) {
  start(kSplit);
  for (int i = 0; i < 30; ++i) {
    std::string id = "t" + std::to_string(i);
    classify({{"text", "the courier is late again"}, {"id", id}, {"segment", "enterprise"}});
    post("/v1/feedback", nlohmann::json{{"id", id}, {"label", "shipping"}}.dump());
  }
  nlohmann::json report = pilot();
  ASSERT_EQ(report["arms"].size(), 2u) << report.dump(2);
  int64_t requests = 0, labelled = 0;
  for (const auto& arm : report["arms"]) {
    requests += arm["requests"].get<int64_t>();
    labelled += arm["labelled"].get<int64_t>();
    EXPECT_EQ(arm["basis"], "measured");
  }
  EXPECT_EQ(requests, 30);
  EXPECT_EQ(labelled, 30);
  EXPECT_EQ(report["verdict"]["outcome"], "collecting") << report["verdict"].dump();
  EXPECT_TRUE(report["difference"].contains("always_valid_interval"));
  EXPECT_TRUE(report["sample_ratio"].is_object());
  const auto& segment = report["error_patterns"]["per_segment"][0];
  EXPECT_EQ(segment["segment"], "enterprise");
  // 30 labelled items split over two arms: fewer than 30 on each, so no segment call yet.
  EXPECT_EQ(segment["enough_labelled"], false) << segment.dump();
  EXPECT_EQ(segment["challenger_significantly_worse"], false);
  Reply metrics = get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("tunecase_requests_total{approach=\"local-linear\""),
            std::string::npos);
  EXPECT_NE(metrics.body.find("tunecase_latency_seconds_bucket"), std::string::npos);
  EXPECT_NE(metrics.body.find("tunecase_labelled_total"), std::string::npos);
  Reply index = get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("/v1/pilot"), std::string::npos);
}

TEST_F(GatewayTest, AbstainBelowAnswersNeedsAHuman) {
  start("[pilot]\nabstain_below = 1.0\n");
  nlohmann::json a = classify({{"text", "the courier is late"}, {"id", "A-1"}});
  EXPECT_TRUE(a["label"].is_null());
  EXPECT_TRUE(a["needs_human"].get<bool>());
  gateway_->stop();
  start("[pilot]\nabstain_below = 1.0\n");
  nlohmann::json report = pilot();
  EXPECT_EQ(report["arms"][0]["abstentions"], 1);
  // The terminal's table says so too, and how abstained items are scored.
  EXPECT_NE(pilot_report_text(report).find("champion abstained on 1 requests"), std::string::npos)
      << pilot_report_text(report);
}

// A verdict judges an abstaining arm by the labels it would have given: its reasons say how
// often the clients got "needs a human" instead (a challenger that abstained on everything was
// called a clear win without a word of it).
TEST_F(GatewayTest, AVerdictSaysHowOftenAnArmAbstained) {
  start(
      "[pilot]\nchampion = \"local-linear\"\nchallenger = \"local-logreg\"\nshare = 0.5\n"
      "abstain_below = 1.0\n");
  for (int i = 0; i < 12; ++i)
    classify({{"text", "the courier is late"}, {"id", "ab" + std::to_string(i)}});
  nlohmann::json report = pilot();
  std::string reasons = report["verdict"]["reasons"].dump();
  int64_t challenger = report["arms"][1]["requests"].get<int64_t>();
  ASSERT_GT(challenger, 0);
  EXPECT_NE(reasons.find(fmt::format("the challenger (local-logreg) answered \\\"needs a "
                                     "human\\\" to {} of {} requests (100%",
                                     challenger, challenger)),
            std::string::npos)
      << reasons;
  // No labelled item yet: no test was run, so no p-value (it read 1, "no difference").
  EXPECT_TRUE(report["difference"]["test"]["p_value"].is_null()) << report["difference"].dump();
}

// A shadow challenger's answers reach no client: its abstentions are what it would have
// answered (the reason had said its clients did not get the labels).
TEST_F(GatewayTest, AShadowChallengersAbstentionsAreWhatItWouldHaveAnswered) {
  const std::string config =
      "[pilot]\nchampion = \"local-linear\"\nchallenger = \"local-logreg\"\nmode = "
      "\"shadow\"\nabstain_below = 1.0\n";
  start(config);
  for (int i = 0; i < 6; ++i)
    classify({{"text", "the courier is late"}, {"id", "sh" + std::to_string(i)}});
  gateway_->stop();  // commits the shadow answers too
  start(config);
  std::string reasons = pilot()["verdict"]["reasons"].dump();
  EXPECT_NE(reasons.find("the challenger (local-logreg) would have answered \\\"needs a "
                         "human\\\" to 6 of 6 requests"),
            std::string::npos)
      << reasons;
  EXPECT_NE(reasons.find("in shadow mode no client gets its answers"), std::string::npos)
      << reasons;
  EXPECT_NE(reasons.find("the champion (local-linear) answered \\\"needs a human\\\" to 6"),
            std::string::npos)
      << reasons;
}

TEST_F(GatewayTest, ShadowLogsBothArmsAndNeverReturnsTheChallenger) {
  start("[pilot]\nchampion = \"local-linear\"\nchallenger = \"local-logreg\"\nmode = \"shadow\"\n");
  for (int i = 0; i < 20; ++i) {
    std::string id = "s" + std::to_string(i);
    nlohmann::json a = classify({{"text", "two-factor code does not arrive"}, {"id", id}});
    EXPECT_EQ(a["approach"], "local-linear");
    EXPECT_EQ(a["arm"], "champion");
  }
  gateway_->stop();  // commits the shadow answers too
  start("[pilot]\nchampion = \"local-linear\"\nchallenger = \"local-logreg\"\nmode = \"shadow\"\n");
  for (int i = 0; i < 20; ++i)
    post("/v1/feedback",
         nlohmann::json{{"id", "s" + std::to_string(i)}, {"label", "login"}}.dump());
  nlohmann::json report = pilot();
  EXPECT_EQ(report["arms"][0]["requests"], 20);
  EXPECT_EQ(report["arms"][1]["arm"], "shadow");
  EXPECT_EQ(report["arms"][1]["requests"], 20);
  EXPECT_EQ(report["arms"][1]["labelled"], 20);
  EXPECT_EQ(report["difference"]["test"]["pairs"], 20);
}

// Champion and challenger swapped at a restart: the store holds pairs of the two approaches,
// answered in the other roles, and no request of this pilot's arms. They are not this pilot's:
// its verdict waits for its own (it called a clear win on arms of 0 requests), and no gain is
// claimed before both arms have labels (it said +0.0 points).
TEST_F(GatewayTest, PairsFromSwappedRolesAreNotThisPilots) {
  const std::string before =
      "[pilot]\nchampion = \"local-linear\"\nchallenger = \"local-logreg\"\nmode = \"shadow\"\n";
  start(before);
  EXPECT_TRUE(pilot()["difference"]["accuracy_gain"].is_null()) << "nothing labelled yet";
  for (int i = 0; i < 12; ++i)
    classify({{"text", "two-factor code does not arrive"}, {"id", "p" + std::to_string(i)}});
  gateway_->stop();
  start(before);
  for (int i = 0; i < 12; ++i)
    post("/v1/feedback",
         nlohmann::json{{"id", "p" + std::to_string(i)}, {"label", "login"}}.dump());
  ASSERT_EQ(pilot()["difference"]["test"]["pairs"], 12);
  gateway_->stop();
  start("[pilot]\nchampion = \"local-logreg\"\nchallenger = \"local-linear\"\nmode = \"shadow\"\n");
  nlohmann::json report = pilot();
  EXPECT_EQ(report["arms"][0]["requests"], 0);
  EXPECT_EQ(report["difference"]["test"]["pairs"], 0);
  EXPECT_TRUE(report["difference"]["accuracy_gain"].is_null()) << report["difference"].dump();
  EXPECT_EQ(report["verdict"]["outcome"], "collecting");
  EXPECT_NE(report["verdict"]["reasons"].dump().find("12 labelled items were answered by both "
                                                     "approaches in other roles"),
            std::string::npos)
      << report["verdict"].dump();
}

// A local challenger shadowing a slow LLM champion: its prediction is stored first, and a
// feedback sent as soon as the champion's answer is back finds it alone while the champion's
// waits in the queue. The feedback labels both, so every item counts as a pair.
TEST_F(GatewayTest, AShadowFeedbackLabelsTheChampionStillQueued) {
  SimLlmOptions slow;
  slow.latency_base_ms = 300;
  SimLlmServer sim(slow);
  int sim_port = sim.start();
  GatewayOptions o = options();
  o.log.window = std::chrono::milliseconds(200);  // the champion's prediction waits a while
  start(llm_approach("slow-llm", sim_port) +
            "\n[pilot]\nchampion = \"slow-llm\"\nchallenger = \"local-linear\"\n"
            "mode = \"shadow\"\n",
        o);
  for (int i = 0; i < 6; ++i) {
    std::string id = "q" + std::to_string(i);
    classify({{"text", "my invoice is wrong"}, {"id", id}});
    Reply r = post("/v1/feedback", nlohmann::json{{"id", id}, {"label", "billing"}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body_of(r)["predictions"], 2) << id << ": " << r.body;
  }
  nlohmann::json report = pilot();
  EXPECT_EQ(report["arms"][0]["labelled"], 6) << report["arms"][0].dump();
  EXPECT_EQ(report["difference"]["test"]["pairs"], 6) << report["difference"].dump();
  gateway_->stop();
  sim.stop();
}

// A client that classified one id three times and labels it at once: the third prediction is
// still in the queue (a long commit window) while the first two are stored. The feedback waits
// for the queue and labels all three; it labelled two, and the third stayed unlabelled.
TEST_F(GatewayTest, AFeedbackByIdLabelsARepeatStillQueued) {
  GatewayOptions o = options();
  o.log.window = std::chrono::milliseconds(400);
  start("", o);
  classify({{"text", "my invoice is wrong"}, {"id", "R-1"}});
  classify({{"text", "my invoice is wrong"}, {"id", "R-1"}});
  // The first two are committed (a feedback for another id that waits for the queue).
  classify({{"text", "cannot log in"}, {"id", "R-0"}});
  ASSERT_EQ(post("/v1/feedback", R"({"id":"R-0","label":"login"})").status, 200);
  classify({{"text", "my invoice is wrong"}, {"id", "R-1"}});
  Reply r = post("/v1/feedback", R"({"id":"R-1","label":"billing"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["predictions"], 3) << r.body;
  EXPECT_EQ(pilot()["arms"][0]["labelled"], 4);
}

// A stop lets the shadow challenger's LLM calls in flight finish and logs their answers: they
// are off the response path, so the server's grace alone did not wait for them, and cut off
// they were logged as errors that counted against the challenger.
TEST_F(GatewayTest, AStopLetsTheShadowCallsInFlightFinish) {
  SimLlmOptions slow;
  slow.latency_base_ms = 400;
  SimLlmServer sim(slow);
  int sim_port = sim.start();
  const std::string config = llm_approach("slow-llm", sim_port) +
                             "\n[pilot]\nchampion = \"local-linear\"\nchallenger = \"slow-llm\"\n"
                             "mode = \"shadow\"\n";
  start(config);
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(classify({{"text", "my invoice is wrong"}, {"id", "w" + std::to_string(i)}})["arm"],
              "champion");
  gateway_->stop();  // at once: every shadow call still has most of its 400 ms to go
  EXPECT_EQ(gateway_->shadow_cut_at_stop(), 0);
  start(config);
  nlohmann::json report = pilot();
  ASSERT_EQ(report["arms"][1]["arm"], "shadow");
  EXPECT_EQ(report["arms"][1]["requests"], 8);
  EXPECT_EQ(report["arms"][1]["errors"], 0) << report["arms"][1].dump();
  // The verdict's text, read alone, says its figures are the offline stand-in's.
  EXPECT_EQ(
      report["verdict"]["reasons"][0].get<std::string>().find("(simulated: answers from sim-llm) "),
      0u)
      << report["verdict"].dump();
  // A grace shorter than the calls: they are cut off, counted, and not logged as errors.
  for (int i = 0; i < 8; ++i)
    classify({{"text", "my invoice is wrong"}, {"id", "x" + std::to_string(i)}});
  gateway_->stop(std::chrono::milliseconds(50));
  EXPECT_EQ(gateway_->shadow_cut_at_stop(), 8);
  start(config);
  report = pilot();
  EXPECT_EQ(report["arms"][0]["requests"], 16);
  EXPECT_EQ(report["arms"][1]["requests"], 8);
  EXPECT_EQ(report["arms"][1]["errors"], 0) << report["arms"][1].dump();
  gateway_->stop();
  sim.stop();
}

// Answering calls still running when the stop's grace ends are cut off: not logged as the
// arm's errors (every deploy had added wrong answers to an LLM arm), counted, and told to retry.
TEST_F(GatewayTest, AStopCutsAnsweringCallsWithoutCountingThemAgainstTheArm) {
  SimLlmOptions slow;
  slow.latency_base_ms = 1500;
  SimLlmServer sim(slow);
  int sim_port = sim.start();
  const std::string config =
      llm_approach("slow-llm", sim_port) + "\n[pilot]\nchampion = \"slow-llm\"\n";
  start(config);
  std::vector<std::thread> clients;
  std::atomic<int> answered{0}, told_to_retry{0};
  for (int i = 0; i < 4; ++i)
    clients.emplace_back([&, i] {
      TestClient client(port_);
      Reply r = client.send(
          "POST", "/v1/classify",
          nlohmann::json({{"text", "my invoice is wrong"}, {"id", "cut" + std::to_string(i)}})
              .dump());
      if (r.status == 200) ++answered;
      if (r.status == 503 && r.headers["retry-after"] == "1") ++told_to_retry;
    });
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
       sim.stats().requests < 4 && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(sim.stats().requests, 4u);
  gateway_->stop(std::chrono::milliseconds(50));
  for (auto& c : clients) c.join();
  EXPECT_EQ(answered, 0);
  // Each client is told to retry: a 503 on its open connection (the loops had stopped first,
  // and every one of them met a closed connection).
  EXPECT_EQ(told_to_retry, 4);
  EXPECT_EQ(gateway_->answers_cut_at_stop(), 4);
  start(config);
  nlohmann::json report = pilot();
  ASSERT_FALSE(report["arms"].empty());
  EXPECT_EQ(report["arms"][0]["requests"], 0) << report["arms"][0].dump();
  EXPECT_EQ(report["arms"][0]["errors"], 0) << report["arms"][0].dump();
  gateway_->stop();
  sim.stop();
}

// Without --plan there is no offline accuracy to hold the live one against: a challenger right
// half the time is not "below its offline interval".
TEST_F(GatewayTest, WithoutAPlanNoOfflineIntervalIsClaimed) {
  const std::string pilot_table =
      "[pilot]\nchampion = \"local-linear\"\nchallenger = \"local-logreg\"\nmode = \"shadow\"\n";
  start(pilot_table);
  for (int i = 0; i < 20; ++i)
    classify({{"text", "two-factor code does not arrive"}, {"id", "u" + std::to_string(i)}});
  gateway_->stop();
  start(pilot_table);
  for (int i = 0; i < 20; ++i)
    post("/v1/feedback",
         nlohmann::json{{"id", "u" + std::to_string(i)}, {"label", i % 2 ? "login" : "billing"}}
             .dump());
  nlohmann::json report = pilot();
  ASSERT_EQ(report["arms"][1]["labelled"], 20);
  EXPECT_LT(report["arms"][1]["accuracy"].get<double>(), 0.9);
  EXPECT_FALSE(report["verdict"]["unrepresentative"].get<bool>());
  for (const auto& reason : report["verdict"]["reasons"])
    EXPECT_EQ(reason.get<std::string>().find("offline interval"), std::string::npos) << reason;
}

TEST_F(GatewayTest, FallbackAnswersEveryRequestWhenTheChallengerIsDown) {
  start(
      "[[approach]]\nname = \"dead-llm\"\nkind = \"openai\"\nmodel = \"gpt-4o-mini\"\n"
      "base_url = \"http://127.0.0.1:1/v1\"\n\n"
      "[pilot]\nchampion = \"local-linear\"\nchallenger = \"dead-llm\"\nmode = \"fallback\"\n"
      "share = 0.9\nchallenger_timeout_ms = 300\n");
  int to_challenger = 0;
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 10; ++i) {
    nlohmann::json a = classify({{"text", "my invoice is wrong"}, {"id", "f" + std::to_string(i)}});
    EXPECT_TRUE(a["label"].is_string()) << a.dump();
    EXPECT_EQ(a["approach"], "local-linear");
    if (a["arm"] != "challenger") continue;
    ++to_challenger;
    EXPECT_TRUE(a["fallback"].get<bool>()) << a.dump();
  }
  const std::string said = ::testing::internal::GetCapturedStderr();
  ASSERT_GT(to_challenger, 0) << "a 90% share should route some of 10 ids to the challenger";
  // The dead challenger is said on stderr, once in the minute (it had left no line anywhere).
  const std::string line = "approach 'dead-llm' (challenger): 1 prediction failed (the last: ";
  ASSERT_NE(said.find(line), std::string::npos) << said;
  EXPECT_EQ(said.find(line, said.find(line) + 1), std::string::npos) << said;
  EXPECT_NE(said.find("the champion answered in its place (fallback)"), std::string::npos) << said;
  nlohmann::json report = pilot();
  EXPECT_EQ(report["arms"][1]["requests"], to_challenger);
  EXPECT_EQ(report["arms"][1]["errors"], to_challenger);
  EXPECT_EQ(report["arms"][1]["fallbacks"], to_challenger);
  // Refused at once, but retried with back-off: the 300 ms time-out may answer first.
  EXPECT_LE(report["arms"][1]["timeouts"].get<int>(), to_challenger);
  // The failures held for the next minute's line are said at the stop, not lost.
  ::testing::internal::CaptureStderr();
  gateway_.reset();
  const std::string at_stop = ::testing::internal::GetCapturedStderr();
  if (to_challenger > 1) {
    EXPECT_NE(at_stop.find(fmt::format("approach 'dead-llm' (challenger): {} prediction{} failed "
                                       "since the last line, before the stop",
                                       to_challenger - 1, to_challenger == 2 ? "" : "s")),
              std::string::npos)
        << at_stop;
  }
}

// An upstream that never answers: the challenger's time-out answers from the champion and is
// counted as a time-out, apart from other errors.
TEST_F(GatewayTest, AChallengerTimeOutIsCountedApartFromOtherErrors) {
  SimLlmOptions held;
  held.rate_timeout = 1.0;  // every request held until the client gives up
  SimLlmServer sim(held);
  int sim_port = sim.start();
  start(llm_approach("held-llm", sim_port) +
        "\n"
        "[pilot]\nchampion = \"local-linear\"\nchallenger = \"held-llm\"\nmode = \"fallback\"\n"
        "share = 0.9\nchallenger_timeout_ms = 150\n");
  int to_challenger = 0;
  for (int i = 0; i < 6; ++i) {
    nlohmann::json a = classify({{"text", "my invoice is wrong"}, {"id", "h" + std::to_string(i)}});
    EXPECT_EQ(a["approach"], "local-linear");
    to_challenger += a["arm"] == "challenger";
  }
  ASSERT_GT(to_challenger, 0);
  nlohmann::json report = pilot();
  EXPECT_EQ(report["arms"][1]["errors"], to_challenger);
  EXPECT_EQ(report["arms"][1]["timeouts"], to_challenger);
  EXPECT_EQ(report["arms"][1]["fallbacks"], to_challenger);
  // A call cut off at the time-out took about that long upstream, not 0 ms: the time-out's
  // own figure, or the call's, which ends at the same time-out (it started a moment later).
  EXPECT_GT(report["arms"][1]["upstream_ms"]["mean"].get<double>(), 140.0)
      << report["arms"][1].dump();
  // (A timer fires a little after its time on a loaded machine: 150.4 ms under the sanitizers.)
  EXPECT_LE(report["arms"][1]["upstream_ms"]["mean"].get<double>(), 165.0);
  EXPECT_GT(report["arms"][1]["upstream_ms"]["p50"].get<double>(), 140.0);
  gateway_->stop();
  sim.stop();
}

// In fallback mode the champion has answered once the challenger's time is up, so the
// challenger's call ends there: its retries (each a paid request) used to run on for up to 55 s.
TEST_F(GatewayTest, AFallbackChallengerMakesNoRetryPastItsTimeOut) {
  SimLlmOptions failing;
  failing.rate_500 = 1.0;  // every attempt fails at once and would be retried
  SimLlmServer sim(failing);
  int sim_port = sim.start();
  start(llm_approach("failing-llm", sim_port) +
        "\n"
        "[pilot]\nchampion = \"local-linear\"\nchallenger = \"failing-llm\"\nmode = \"fallback\"\n"
        "share = 0.9\nchallenger_timeout_ms = 50\n");
  uint64_t to_challenger = 0;
  for (int i = 0; i < 12; ++i) {
    nlohmann::json a = classify({{"text", "my invoice is wrong"}, {"id", "r" + std::to_string(i)}});
    EXPECT_EQ(a["approach"], "local-linear") << a.dump();
    to_challenger += a["arm"] == "challenger";
  }
  ASSERT_GT(to_challenger, 0u);
  // Three attempts a call, at most 200 and 400 ms of back-off apart: time for every retry.
  std::this_thread::sleep_for(std::chrono::milliseconds(900));
  // Each call's first attempt goes; a retry only when its drawn back-off (0-200 ms) is under
  // the 50 ms left. Running on, each call would make all three.
  EXPECT_GE(sim.stats().requests, to_challenger);
  EXPECT_LT(sim.stats().requests, 2 * to_challenger);
  // /metrics counts every attempt sent, retries among them (each a request a provider may bill).
  Reply metrics = get("/metrics");
  EXPECT_NE(metrics.body.find(fmt::format("tunecase_upstream_requests_total{{approach=\"failing-"
                                          "llm\"}} {}",
                                          sim.stats().requests)),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find(fmt::format("tunecase_upstream_retries_total{{approach=\"failing-"
                                          "llm\"}} {}",
                                          sim.stats().requests - to_challenger)),
            std::string::npos)
      << metrics.body;
  gateway_->stop();
  sim.stop();
}

// A gateway out of open files cannot reach its upstream: that is no fault of the LLM approach,
// so it is not logged as the arm's error (it had counted against the challenger), and the client
// is told to retry (503 with Retry-After).
TEST_F(GatewayTest, OutOfOpenFilesIsTheGatewaysFaultNotTheArms) {
  SimLlmServer sim(SimLlmOptions{});
  int sim_port = sim.start();
  start(llm_approach("sim-api", sim_port) + "\n[pilot]\nchampion = \"sim-api\"\n");
  http::testing::TestClient client(port_);  // connected (and accepted) before the files run out
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
  int highest = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    highest = std::max(highest, std::atoi(entry.path().filename().c_str()));
  rlimit low = before;
  low.rlim_cur = static_cast<rlim_t>(highest + 8);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> fillers;
  for (int fd; (fd = open("/dev/null", O_RDONLY)) >= 0;) fillers.push_back(fd);
  Reply r = client.send("POST", "/v1/classify", R"({"text": "my invoice is wrong", "id": "x1"})");
  for (int fd : fillers) close(fd);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &before), 0);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("out of open files"), std::string::npos) << r.body;
  EXPECT_EQ(r.headers["retry-after"], "1");
  // Nothing was logged against the approach, and it answers once files are free again.
  nlohmann::json after = classify({{"text", "my invoice is wrong"}, {"id", "x2"}});
  EXPECT_TRUE(after["label"].is_string()) << after.dump();
  nlohmann::json report = pilot();
  EXPECT_EQ(report["arms"][0]["requests"], 1) << report["arms"][0].dump();
  EXPECT_EQ(report["arms"][0]["errors"], 0);
  gateway_->stop();
  sim.stop();
}

// A fallback's record holds what its client met: the time to the champion's answer (it stopped at
// the time-out, so an always-failing challenger looked faster than the champion) and the
// champion's fallback call's tokens and cost (paid for, and counted in no arm).
TEST_F(GatewayTest, AFallbackRecordCarriesTheChampionsCallAndTheClientsWait) {
  SimLlmOptions slow;
  slow.latency_base_ms = 60;
  SimLlmServer champion_sim(slow);
  int champion_port = champion_sim.start();
  SimLlmOptions held;
  held.rate_timeout = 1.0;
  SimLlmServer challenger_sim(held);
  int challenger_port = challenger_sim.start();
  start(llm_approach("api-a", champion_port) + "\n" + llm_approach("api-b", challenger_port) +
        "\n[pilot]\nchampion = \"api-a\"\nchallenger = \"api-b\"\nmode = "
        "\"fallback\"\nshare = 0.5\nchallenger_timeout_ms = 100\n");
  int to_challenger = 0;
  for (int i = 0; i < 10; ++i) {
    nlohmann::json a =
        classify({{"text", "my invoice is wrong"}, {"id", "fb" + std::to_string(i)}});
    EXPECT_EQ(a["approach"], "api-a") << a.dump();
    to_challenger += a["arm"] == "challenger";
  }
  ASSERT_GT(to_challenger, 0);
  nlohmann::json report = pilot();
  const nlohmann::json& champion = report["arms"][0];
  const nlohmann::json& challenger = report["arms"][1];
  EXPECT_EQ(challenger["fallbacks"], to_challenger);
  // Every completion the champion's endpoint made is in an arm: its own, or the fallbacks'.
  EXPECT_EQ(champion_sim.stats().completions,
            champion["requests"].get<uint64_t>() + challenger["fallbacks"].get<uint64_t>());
  EXPECT_GT(challenger["tokens_in"].get<int64_t>(), 0) << challenger.dump();
  ASSERT_TRUE(challenger["cost_usd"].is_number()) << challenger.dump();
  EXPECT_GT(challenger["cost_usd"].get<double>(), 0.0);
  // Those tokens, that cost and that wait are sim-llm's (the champion answered): simulated.
  EXPECT_EQ(challenger["basis"], "simulated") << challenger.dump();
  // Its own calls were cut off at the time-out and went on: what the provider billed for them
  // is not known, so each counts as a request of unknown cost, estimated and said (the arm's
  // cost had been a floor that priced them at $0).
  EXPECT_EQ(challenger["unpriced_attempts"], to_challenger) << challenger.dump();
  EXPECT_EQ(challenger["cost_unknown"], to_challenger) << challenger.dump();
  EXPECT_TRUE(challenger["cost_basis"].get<std::string>().starts_with(fmt::format(
      "estimated: {} requests reached the provider, which may have billed them", to_challenger)))
      << challenger.dump();
  EXPECT_TRUE(challenger["usd_per_day"].is_number()) << challenger.dump();
  EXPECT_EQ(champion["cost_basis"], "simulated") << champion.dump();
  // The wait: the time-out, then the champion's 60 ms; the challenger's own call is upstream_ms.
  EXPECT_GE(challenger["latency_ms"]["p50"].get<double>(), 155.0) << challenger.dump();
  EXPECT_LT(challenger["upstream_ms"]["p50"].get<double>(),
            challenger["latency_ms"]["p50"].get<double>());
  gateway_->stop();
  champion_sim.stop();
  challenger_sim.stop();
}

// A fallback answered from the response cache sent nothing: it adds no tokens to the challenger's
// arm (each had added the cached answer's tokens).
TEST_F(GatewayTest, ACachedFallbackAddsNoTokens) {
  SimLlmServer champion_sim(SimLlmOptions{});
  int champion_port = champion_sim.start();
  SimLlmOptions held;
  held.rate_timeout = 1.0;
  SimLlmServer challenger_sim(held);
  int challenger_port = challenger_sim.start();
  GatewayOptions o = options();
  o.cache_file = dir_ / "cache.sqlite";
  start(llm_approach("api-a", champion_port) + "\n" + llm_approach("api-b", challenger_port) +
            "\n[pilot]\nchampion = \"api-a\"\nchallenger = \"api-b\"\nmode = "
            "\"fallback\"\nshare = 0.5\nchallenger_timeout_ms = 50\n",
        o);
  // The tokens over both arms, once the records are committed (a fallback's record is written
  // when its answer goes out, and committed in the log's next window).
  // Requests and tokens over both arms, once `requests` are committed (a fallback's record is
  // written when its answer goes out and committed in the log's next window; under load a
  // report may come before that commit).
  auto totals = [&](int64_t requests) {
    std::pair<int64_t, int64_t> sum{0, 0};
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
         std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(std::chrono::milliseconds(50))) {
      sum = {0, 0};
      nlohmann::json report = pilot();  // held: a range over pilot()["arms"] would dangle
      for (const auto& arm : report["arms"]) {
        sum.first += arm["requests"].get<int64_t>();
        sum.second += arm["tokens_in"].get<int64_t>();
      }
      if (sum.first >= requests && sum.second > 0) break;
    }
    return sum;
  };
  classify({{"text", "my invoice is wrong"}, {"id", "k0"}});
  const int64_t one_call = totals(1).second;
  ASSERT_GT(one_call, 0);
  for (int i = 1; i < 8; ++i)
    classify({{"text", "my invoice is wrong"}, {"id", "k" + std::to_string(i)}});
  EXPECT_EQ(champion_sim.stats().completions, 1u);
  auto [requests, tokens] = totals(8);
  EXPECT_EQ(requests, 8);
  EXPECT_EQ(tokens, one_call);
  gateway_->stop();
  champion_sim.stop();
  challenger_sim.stop();
}

// An endpoint that refuses the key: the 502 quotes the provider's message and says where the
// key comes from (it said "HTTP 401" and nothing more).
TEST_F(GatewayTest, ARefusedKeyIsSaidWithTheProvidersMessage) {
  SimLlmOptions keyed;
  keyed.require_key = "sk-right";
  SimLlmServer sim(keyed);
  int sim_port = sim.start();
  start(llm_approach("keyed-llm", sim_port) + "\n[pilot]\nchampion = \"keyed-llm\"\n");
  Reply r = post("/v1/classify", R"({"text": "my invoice is wrong"})");
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_NE(r.body.find("401"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("set api_key_env"), std::string::npos) << r.body;
  gateway_->stop();
  sim.stop();
}

// An OpenAI-style approach asked for log-probabilities answers with the probability of its
// answer as its confidence (sim-llm's learner here); without them it has none.
TEST_F(GatewayTest, AnLlmAskedForLogprobsAnswersWithAConfidence) {
  SimLlmServer sim(SimLlmOptions{});
  int sim_port = sim.start();
  std::string approaches;
  for (const char* name : {"sim-lp", "sim-plain"}) {
    approaches += std::string("[[approach]]\nname = \"") + name +
                  "\"\nkind = \"openai\"\nmodel = \"sim-llm\"\nbase_url = \"http://127.0.0.1:" +
                  std::to_string(sim_port) + "/v1\"\n" +
                  (std::string(name) == "sim-lp" ? "extra = { logprobs = true }\n" : "") + "\n";
  }
  start(approaches +
        "[pilot]\nchampion = \"sim-lp\"\nchallenger = \"sim-plain\"\n"
        "mode = \"shadow\"\n");
  nlohmann::json a = classify({{"text", "I was charged twice on my invoice"}, {"id", "LP-1"}});
  EXPECT_EQ(a["approach"], "sim-lp");
  ASSERT_TRUE(a["confidence"].is_number()) << a.dump();
  EXPECT_GT(a["confidence"].get<double>(), 0.0);
  EXPECT_LE(a["confidence"].get<double>(), 1.0);
  EXPECT_TRUE(a["simulated"].get<bool>());
  gateway_->stop();
  auto logged = gateway_->store().find_prediction(a["prediction_id"].get<std::string>());
  ASSERT_TRUE(logged.has_value());
  EXPECT_NEAR(logged->confidence.value_or(-1), a["confidence"].get<double>(), 1e-9);
  sim.stop();
}

// The same ticket twice through an LLM arm with the response cache on: the second answer costs
// nothing and calls nobody, and the pilot report counts it and says what it does to the figures.
TEST_F(GatewayTest, AnswersFromTheResponseCacheAreCountedAndSaid) {
  SimLlmServer sim(SimLlmOptions{});
  int sim_port = sim.start();
  GatewayOptions o = options();
  o.cache_file = dir_ / "cache.sqlite";
  start(llm_approach("sim", sim_port) + "\n[pilot]\nchampion = \"sim\"\n", o);
  std::vector<std::string> ids;
  for (const char* id : {"C-1", "C-2"})
    ids.push_back(classify({{"text", "my parcel never arrived"}, {"id", id}})["prediction_id"]);
  gateway_->stop();
  auto counts = gateway_->store().pilot_counts({});
  ASSERT_EQ(counts.arms.size(), 1u);
  EXPECT_EQ(counts.arms[0].requests, 2);
  EXPECT_EQ(counts.arms[0].cached, 1);
  EXPECT_EQ(counts.arms[0].costed, 2);  // priced: the cached answer at $0
  EXPECT_EQ(sim.stats().completions, 1);
  // The cached answer sent no tokens and adds none (the arm had counted them as if sent: ten
  // times the cost's worth for one text asked ten times).
  auto sent = gateway_->store().find_prediction(ids[0]);
  auto cached = gateway_->store().find_prediction(ids[1]);
  ASSERT_TRUE(sent && cached);
  EXPECT_GT(sent->tokens_in, 0);
  EXPECT_EQ(cached->tokens_in, 0);
  EXPECT_EQ(cached->tokens_out, 0);
  EXPECT_EQ(counts.arms[0].tokens_in, sent->tokens_in);
  ReportContext context;
  context.now_ms = counts.arms[0].last_at_ms + 1;
  context.started_at_ms = counts.arms[0].first_at_ms;
  nlohmann::json report = pilot_report(gateway_->store(), gateway_->plan(), context);
  EXPECT_EQ(report["arms"][0]["cached"], 1);
  std::string reasons = report["verdict"]["reasons"].dump();
  EXPECT_NE(reasons.find("sim: 1 of 2 answers (50%) came from the LLM response cache"),
            std::string::npos)
      << reasons;
  sim.stop();
}

TEST_F(GatewayTest, ATokenProtectsFeedbackAndTheFigures) {
  GatewayOptions o = options();
  o.token = "s3cret";
  start("", o);
  classify({{"text", "the courier is late"}, {"id", "K-1"}});
  EXPECT_EQ(post("/v1/feedback", R"({"id":"K-1","label":"shipping"})").status, 401);
  EXPECT_EQ(post("/v1/feedback", R"({"id":"K-1","label":"shipping"})",
                 {{"Authorization", "Bearer wrong"}})
                .status,
            401);
  EXPECT_EQ(post("/v1/feedback", R"({"id":"K-1","label":"shipping"})",
                 {{"Authorization", "Bearer s3cret"}})
                .status,
            200);
  // The scheme in any case (RFC 9110); a longer or shorter token is still wrong.
  TestClient client(port_);
  EXPECT_EQ(client.send("GET", "/v1/pilot", "", {{"Authorization", "bearer s3cret"}}).status, 200);
  EXPECT_EQ(client.send("GET", "/v1/pilot", "", {{"Authorization", "BEARER s3cret"}}).status, 200);
  EXPECT_EQ(client.send("GET", "/v1/pilot", "", {{"Authorization", "Bearer s3cret2"}}).status, 401);
  EXPECT_EQ(client.send("GET", "/v1/pilot", "", {{"Authorization", "Bearer s3cre"}}).status, 401);
  EXPECT_EQ(client.send("GET", "/v1/pilot", "", {{"Authorization", "Basic s3cret"}}).status, 401);
  // Every route with the pilot's figures, the business case or the models asks for it; the
  // production path and the health check do not.
  for (const char* guarded : {"/v1/pilot", "/v1/models", "/metrics", "/memo", "/plan"}) {
    Reply r = get(guarded);
    EXPECT_EQ(r.status, 401) << guarded;
    EXPECT_NE(r.body.find("needs the gateway's token"), std::string::npos) << r.body;
  }
  EXPECT_EQ(get("/healthz").status, 200);
  EXPECT_EQ(post("/v1/classify", R"({"text":"where is my parcel"})").status, 200);
}

// Without a token, a web page open in the operator's browser must not reach the routes with the
// pilot's figures: a cross-site form post of feedback (Origin of another site) and a page that
// reaches the loopback gateway through a name of its own (DNS rebinding: Host of that name) are
// refused; curl, the gateway's own page and a proxy named by --allowed-host are not.
TEST_F(GatewayTest, WithoutATokenWebPagesOfOtherSitesAreRefused) {
  GatewayOptions o = options();
  o.allowed_hosts = {"dash.corp.internal"};
  start("", o);
  classify({{"text", "the courier is late"}, {"id", "W-1"}});
  const std::string body = R"({"id":"W-1","label":"shipping"})";
  Reply forged = post("/v1/feedback", body,
                      {{"Origin", "http://attacker.example"}, {"Content-Type", "text/plain"}});
  EXPECT_EQ(forged.status, 403);
  EXPECT_NE(forged.body.find("--token-env"), std::string::npos) << forged.body;
  TestClient rebound(port_);
  Reply read = rebound.send("GET", "/v1/pilot", "", {{"Host", "attacker.example:8080"}});
  EXPECT_EQ(read.status, 403);
  EXPECT_NE(read.body.find("--allowed-host attacker.example"), std::string::npos) << read.body;
  // The routes without the pilot's figures stay open to any page, as documented.
  TestClient open(port_);
  EXPECT_EQ(open.send("POST", "/v1/classify", R"({"text":"hello"})",
                      {{"Origin", "http://attacker.example"}})
                .status,
            200);
  // curl (no Origin), the page's own origin, loopback names and an allowed proxy Host pass.
  // The forged feedback left nothing: the first accepted one is recorded, not "unchanged".
  Reply first = post("/v1/feedback", body);
  EXPECT_EQ(first.status, 200);
  EXPECT_NE(first.body.find("\"recorded\""), std::string::npos) << first.body;
  EXPECT_EQ(post("/v1/feedback", body, {{"Origin", "http://127.0.0.1"}}).status, 200);
  for (const char* host : {"localhost:1234", "[::1]:9", "127.0.0.2", "dash.corp.internal"}) {
    TestClient client(port_);
    EXPECT_EQ(client.send("GET", "/v1/pilot", "", {{"Host", host}}).status, 200) << host;
  }
}

// With a token the browser checks are the token's: a refused token is said as refused.
TEST_F(GatewayTest, AWrongTokenIsSaidAsWrongNotMissing) {
  GatewayOptions o = options();
  o.token = "0123456789abcdef";
  start("", o);
  TestClient client(port_);
  Reply wrong = client.send("GET", "/v1/pilot", "", {{"Authorization", "Bearer nope"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_NE(wrong.body.find("does not carry the gateway's token"), std::string::npos) << wrong.body;
  TestClient proxied(port_);
  EXPECT_EQ(proxied
                .send("GET", "/v1/pilot", "",
                      {{"Authorization", "Bearer 0123456789abcdef"}, {"Host", "public.example"}})
                .status,
            200);
}

TEST_F(GatewayTest, ALocalApproachWithoutATrainedModelIsAnErrorNamingTheCommand) {
  project("");
  GatewayOptions o = options();
  o.eval_dir = dir_ / "no-eval-here";
  try {
    Gateway gateway(config_, o);
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("local-linear"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tunecase eval --config"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tunecase::serve::testing
