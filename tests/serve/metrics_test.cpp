#include "tunecase/serve/metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace tunecase::serve {
namespace {

PredictionRecord record(const std::string& approach, Arm arm, double latency_ms) {
  PredictionRecord r;
  r.approach = approach;
  r.arm = arm;
  r.latency_ms = latency_ms;
  return r;
}

// The line of `name{labels}` in the exposition, or "" when it is missing.
std::string line_of(const std::string& text, const std::string& series) {
  auto at = text.find(series + " ");
  if (at == std::string::npos) return "";
  return text.substr(at, text.find('\n', at) - at);
}

// The event loops count in shards of their own: the exposition must add every shard up.
TEST(Metrics, CountsFromManyThreadsAddUp) {
  Metrics metrics;
  constexpr int kThreads = 12, kEach = 500;  // more threads than shards: some share one
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < kEach; ++i) {
        PredictionRecord r = record("upstream", t % 2 ? Arm::challenger : Arm::champion, 0.2);
        if (i % 10 == 0) r.error = "failed";
        metrics.observe(r);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::string text = metrics.render({});
  const std::string champion = "{approach=\"upstream\",arm=\"champion\"}";
  const std::string challenger = "{approach=\"upstream\",arm=\"challenger\"}";
  EXPECT_EQ(line_of(text, "tunecase_requests_total" + champion),
            "tunecase_requests_total" + champion + " 3000");
  EXPECT_EQ(line_of(text, "tunecase_requests_total" + challenger),
            "tunecase_requests_total" + challenger + " 3000");
  EXPECT_EQ(line_of(text, "tunecase_errors_total" + champion),
            "tunecase_errors_total" + champion + " 300");
  // 0.2 ms falls in the first bucket (0.5 ms); the count is every observation.
  const std::string first_bucket =
      "tunecase_latency_seconds_bucket{approach=\"upstream\",arm=\"champion\",le=\"0.0005\"}";
  EXPECT_EQ(line_of(text, first_bucket), first_bucket + " 3000");
  EXPECT_EQ(line_of(text, "tunecase_latency_seconds_count" + champion),
            "tunecase_latency_seconds_count" + champion + " 3000");
  EXPECT_TRUE(metrics.cold_start_ms("upstream").has_value());
  EXPECT_FALSE(metrics.cold_start_ms("other").has_value());
}

// Feedback refused while the log's commits go through (a damaged page only feedback reaches):
// failing for feedback, so /healthz says degraded, until one is stored; during an outage the
// log says it already, and the flag stays down.
TEST(Metrics, FeedbackRefusedAloneIsFailingUntilOneIsStored) {
  Metrics metrics;
  EXPECT_FALSE(metrics.feedback_failing());
  metrics.feedback_failed("database disk image is malformed", /*log_failing=*/true);
  EXPECT_FALSE(metrics.feedback_failing());
  metrics.feedback_failed("database disk image is malformed", /*log_failing=*/false);
  ASSERT_TRUE(metrics.feedback_failing());
  EXPECT_EQ(*metrics.feedback_failing(), "database disk image is malformed");
  const std::string text = metrics.render({});
  EXPECT_NE(text.find("\ntunecase_feedback_failed_total 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\ntunecase_feedback_failing 1\n"), std::string::npos) << text;
  metrics.feedback_stored();
  EXPECT_FALSE(metrics.feedback_failing());
}

TEST(Metrics, ColdStartIsTheFirstAnswerNotTheFirstError) {
  Metrics metrics;
  PredictionRecord failed = record("local-linear", Arm::champion, 1);
  failed.error = "no model";
  metrics.observe(failed);
  EXPECT_FALSE(metrics.cold_start_ms("local-linear").has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  metrics.observe(record("local-linear", Arm::champion, 1));
  auto first = metrics.cold_start_ms("local-linear");
  ASSERT_TRUE(first.has_value());
  EXPECT_GE(*first, 20.0);
  std::thread([&metrics] {  // another thread's first answer does not move it
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    metrics.observe(record("local-linear", Arm::champion, 1));
  })
      .join();
  EXPECT_EQ(metrics.cold_start_ms("local-linear"), first);
}

}  // namespace
}  // namespace tunecase::serve
