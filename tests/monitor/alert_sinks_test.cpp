#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>

#include <fmt/format.h>

#include "monitor_fixture.h"
#include "tunecase/core/error.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/http/server.h"
#include "tunecase/monitor/alert_sinks.h"
#include "tunecase/monitor/drift.h"

namespace tunecase::monitor::testing {
namespace {

class FakeWebhook : public WebhookPoster {
 public:
  bool post(const std::string& body, std::string& error) override {
    bodies.push_back(body);
    if (down) error = "connection refused";
    return !down;
  }
  bool down = false;
  std::vector<std::string> bodies;
};

Finding firing(const std::string& kind, const std::string& approach) {
  return {kind, approach, RuleState::firing, 0, kind + " on " + approach, {{"x", 1}}};
}
Finding clear(const std::string& kind, const std::string& approach) {
  return {kind, approach, RuleState::clear, 0, kind + " clear on " + approach, {{"x", 0}}};
}
Finding unknown(const std::string& kind, const std::string& approach) {
  return {kind, approach, RuleState::unknown, 0, "", {}};
}

std::vector<nlohmann::json> lines(const std::filesystem::path& file) {
  std::vector<nlohmann::json> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

using AlertSinks = StoreTest;

// A JSONL file that cannot be appended to (a full disk; here a folder in its place) keeps the
// alert from nobody: the webhook has it, the error says so, and the next run appends it first
// (the alert had reached neither the webhook nor any later run).
TEST_F(AlertSinks, AnAlertTheFileCannotTakeStillReachesTheWebhookAndTheNextRun) {
  const std::filesystem::path file = dir_ / "alerts.jsonl";
  std::filesystem::create_directories(file);
  FakeWebhook hook;
  AlertOutputs out{file, &hook};
  try {
    apply_findings(*store_, {firing("accuracy_below_floor", "a")}, 1'000, out);
    FAIL() << "appended to a folder";
  } catch (const tunecase::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("the store keeps the lines for the next run"),
              std::string::npos)
        << e.what();
  }
  ASSERT_EQ(hook.bodies.size(), 1u);
  EXPECT_NE(hook.bodies[0].find("\"fired\""), std::string::npos) << hook.bodies[0];
  std::filesystem::remove(file);
  apply_findings(*store_, {}, 2'000, out);
  auto appended = lines(file);
  ASSERT_EQ(appended.size(), 1u);
  EXPECT_EQ(appended[0]["event"], "fired");
  EXPECT_EQ(appended[0]["kind"], "accuracy_below_floor");
  apply_findings(*store_, {}, 3'000, out);
  EXPECT_EQ(lines(file).size(), 1u) << "appended once";
}

// A drift alert cleared by a run whose reference window reaches into the window it fired on:
// the rolling reference may have taken the shift in, and the resolution says so; one cleared
// with the old reference (the traffic back) says nothing more.
TEST_F(AlertSinks, ADriftAlertClearedByAReferenceHoldingItsDaysSaysSo) {
  constexpr int64_t kDay = 86'400'000;
  AlertOutputs out{dir_ / "alerts.jsonl", nullptr};
  auto windows = [&](int64_t current_from, int64_t current_to) {
    return nlohmann::json{{"reference_from", current_from - 28 * kDay},
                          {"current_from", current_from},
                          {"current_to", current_to}};
  };
  const int64_t fired_from = 20'000 * kDay, fired_to = 20'007 * kDay;
  Finding fired = firing(kDriftDomain, "");
  fired.details["windows_ms"] = windows(fired_from, fired_to);
  apply_findings(*store_, {fired}, fired_to + 1, out);
  Finding back = clear(kDriftDomain, "");
  back.details["windows_ms"] = windows(fired_from - kDay, fired_to - kDay);  // not reached in
  auto first = apply_findings(*store_, {back}, fired_to + 2, out);
  ASSERT_EQ(first.resolved.size(), 1u);
  EXPECT_EQ(first.resolved[0].message.find("new normal"), std::string::npos);
  apply_findings(*store_, {fired}, fired_to + 3, out);
  // A reference that starts after the window it fired on holds none of it: no note (it had been
  // said to hold all of it).
  Finding clean = clear(kDriftDomain, "");
  clean.details["windows_ms"] = windows(fired_to + 28 * kDay, fired_to + 35 * kDay);
  auto after = apply_findings(*store_, {clean}, fired_to + 35 * kDay, out);
  ASSERT_EQ(after.resolved.size(), 1u);
  EXPECT_EQ(after.resolved[0].message.find("reference window now holds"), std::string::npos)
      << after.resolved[0].message;
  apply_findings(*store_, {fired}, fired_to + 35 * kDay + 1, out);
  Finding later = clear(kDriftDomain, "");
  later.details["windows_ms"] = windows(fired_to + kDay, fired_to + 8 * kDay);  // holds it whole
  auto second = apply_findings(*store_, {later}, fired_to + 35 * kDay + 2, out);
  ASSERT_EQ(second.resolved.size(), 1u);
  EXPECT_NE(
      second.resolved[0].message.find(fmt::format(
          "the reference window now holds days of the window it fired on, {} to {}",
          utc_text(fired_from, false).substr(0, 10), utc_text(fired_to - 1, false).substr(0, 10))),
      std::string::npos)
      << second.resolved[0].message;
  EXPECT_NE(second.resolved[0].message.find("new normal"), std::string::npos);
  // A reference reaching one day into a week it fired on has not taken the shift in: not called
  // the new normal, but the part it holds is said (3 of 7 days had been said as an all-clear).
  apply_findings(*store_, {fired}, fired_to + 36 * kDay, out);
  Finding next_day = clear(kDriftDomain, "");
  next_day.details["windows_ms"] = windows(fired_from + kDay, fired_to + kDay);
  auto third = apply_findings(*store_, {next_day}, fired_to + 37 * kDay, out);
  ASSERT_EQ(third.resolved.size(), 1u);
  EXPECT_EQ(third.resolved[0].message.find("new normal"), std::string::npos)
      << third.resolved[0].message;
  EXPECT_NE(
      third.resolved[0].message.find(fmt::format(
          "the reference window now holds 1 of the 7 days of the window it fired on, {}: part of "
          "the shift may be in the reference now",
          utc_text(fired_from, false).substr(0, 10))),
      std::string::npos)
      << third.resolved[0].message;
}

TEST_F(AlertSinks, AnAlertIsAnnouncedOnceWhileItStaysOpenThenOnceWhenItResolves) {
  FakeWebhook hook;
  AlertOutputs out{dir_ / "alerts.jsonl", &hook};
  auto first = apply_findings(*store_, {firing(kAccuracyBelowFloor, "linear")}, 1000, out);
  EXPECT_EQ(first.fired.size(), 1u);
  auto again = apply_findings(*store_, {firing(kAccuracyBelowFloor, "linear")}, 2000, out);
  EXPECT_TRUE(again.fired.empty());
  EXPECT_EQ(again.open.size(), 1u);
  auto quiet = apply_findings(*store_, {unknown(kAccuracyBelowFloor, "linear")}, 2500, out);
  EXPECT_TRUE(quiet.resolved.empty());  // too few labels: nothing is concluded
  auto resolved = apply_findings(*store_, {clear(kAccuracyBelowFloor, "linear")}, 3000, out);
  EXPECT_EQ(resolved.resolved.size(), 1u);
  EXPECT_TRUE(resolved.open.empty());
  auto events = lines(dir_ / "alerts.jsonl");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["event"], "fired");
  EXPECT_EQ(events[0]["kind"], kAccuracyBelowFloor);
  EXPECT_EQ(events[0]["details"]["x"], 1);
  EXPECT_EQ(events[1]["event"], "resolved");
  EXPECT_EQ(events[1]["resolved_at_ms"], 3000);
  // The resolution gives the figures that cleared it, and keeps those it fired with.
  EXPECT_EQ(events[1]["message"], std::string(kAccuracyBelowFloor) + " clear on linear");
  EXPECT_EQ(events[1]["details"]["x"], 0);
  EXPECT_EQ(events[1]["details"]["fired_message"], events[0]["message"]);
  // The fired event says what to do: a pager shows it alone.
  EXPECT_EQ(events[0]["message"], std::string(kAccuracyBelowFloor) +
                                      " on linear; next: " + alert_next_step(kAccuracyBelowFloor));
  EXPECT_NE(alert_next_step(kAccuracyBelowFloor).find("tunecase retrain"), std::string::npos);
  for (const char* kind : {kErrorRate, kLatencyP95, kCostPerDay, kDriftPredictionMix, kDriftDomain,
                           kDriftOov, kDriftEmerging})
    EXPECT_FALSE(alert_next_step(kind).empty()) << kind;
  EXPECT_EQ(hook.bodies.size(), 2u);
  // It fires again as a new alert after it resolved.
  auto refired = apply_findings(*store_, {firing(kAccuracyBelowFloor, "linear")}, 4000, out);
  EXPECT_EQ(refired.fired.size(), 1u);
}

// monitor --now-ms looking back before an alert fired cannot resolve it (it resolved the alert
// at a time before its firing, and the retrain it made due was dropped).
TEST_F(AlertSinks, ARunTimedBeforeAnAlertFiredLeavesItOpen) {
  AlertOutputs out{dir_ / "alerts.jsonl", nullptr};
  const int64_t fired_at = 1'740'808'800'000;  // 2025-03-01 06:00 UTC
  apply_findings(*store_, {firing(kAccuracyBelowFloor, "linear")}, fired_at, out);
  auto back = apply_findings(*store_, {clear(kAccuracyBelowFloor, "linear")},
                             fired_at - 40 * kMsPerDay, out);
  EXPECT_TRUE(back.resolved.empty());
  ASSERT_EQ(back.open.size(), 1u);
  ASSERT_EQ(back.problems.size(), 1u);
  EXPECT_NE(back.problems[0].find("stays open: it fired at 2025-03-01 06:00 UTC"),
            std::string::npos)
      << back.problems[0];
  auto later = apply_findings(*store_, {clear(kAccuracyBelowFloor, "linear")}, fired_at + 1, out);
  EXPECT_EQ(later.resolved.size(), 1u);
}

TEST_F(AlertSinks, AlertsOfDifferentApproachesAndKindsAreSeparate) {
  AlertOutputs out{dir_ / "alerts.jsonl", nullptr};
  auto r = apply_findings(*store_,
                          {firing(kAccuracyBelowFloor, "linear"),
                           firing(kAccuracyBelowFloor, "llm"), firing(kErrorRate, "llm")},
                          1000, out);
  EXPECT_EQ(r.fired.size(), 3u);
  EXPECT_EQ(lines(dir_ / "alerts.jsonl").size(), 3u);
}

TEST_F(AlertSinks, AWebhookThatIsDownLosesNothingAndIsServedOnTheNextRun) {
  FakeWebhook hook;
  hook.down = true;
  AlertOutputs out{dir_ / "alerts.jsonl", &hook};
  auto r =
      apply_findings(*store_, {firing(kErrorRate, "llm"), firing(kLatencyP95, "llm")}, 1000, out);
  EXPECT_EQ(r.fired.size(), 2u);
  EXPECT_EQ(r.webhook_pending, 2);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("sent again on the next run"), std::string::npos);
  EXPECT_EQ(hook.bodies.size(), 1u);  // the second is not tried against a receiver that is down
  EXPECT_EQ(lines(dir_ / "alerts.jsonl").size(), 2u);

  hook.down = false;
  hook.bodies.clear();
  auto next = apply_findings(*store_, {firing(kErrorRate, "llm")}, 2000, out);
  EXPECT_TRUE(next.fired.empty());
  EXPECT_EQ(next.webhook_sent, 2);
  EXPECT_EQ(next.webhook_pending, 0);
  ASSERT_EQ(hook.bodies.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(hook.bodies[0])["kind"], kErrorRate);
}

TEST(HttpWebhook, RetriesWithBackoffThenReportsTheFailure) {
  std::vector<std::chrono::milliseconds> waits;
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  auto hook = make_http_webhook("http://127.0.0.1:1/alerts", 3,
                                [&](std::chrono::milliseconds d) { waits.push_back(d); });
  std::string error;
  EXPECT_FALSE(hook->post("{}", error));
  EXPECT_NE(error.find("3 tries"), std::string::npos) << error;
  ASSERT_EQ(waits.size(), 2u);
  EXPECT_EQ(waits[0].count(), 1000);
  EXPECT_EQ(waits[1].count(), 2000);
}

TEST(HttpWebhook, PostsTheJsonBody) {
  std::mutex m;
  std::string received;
  std::atomic<int> calls{0};
  http::Server server({}, [&](http::Request request, http::Responder responder) {
    {
      std::lock_guard lock(m);
      received = request.body;
    }
    // The first call fails with 503: the poster retries.
    responder.respond(http::Response::json(calls++ == 0 ? 503 : 200, "{}"));
  });
  int port = server.start();
  auto hook = make_http_webhook(fmt::format("http://127.0.0.1:{}/hook", port), 3,
                                [](std::chrono::milliseconds) {});
  std::string error;
  EXPECT_TRUE(hook->post(R"({"kind":"error_rate"})", error)) << error;
  EXPECT_EQ(calls.load(), 2);
  std::lock_guard lock(m);
  EXPECT_EQ(received, R"({"kind":"error_rate"})");
}

}  // namespace
}  // namespace tunecase::monitor::testing
