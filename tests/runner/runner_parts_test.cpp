#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "tunecase/core/error.h"
#include "tunecase/core/hash.h"
#include "tunecase/runner/answer.h"
#include "tunecase/runner/budget.h"
#include "tunecase/runner/rate_limiter.h"
#include "tunecase/runner/response_cache.h"
#include "tunecase/runner/retry_policy.h"

namespace tunecase {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A request asking for prompt caching may be billed for writing every input token to the cache,
// above the input rate: its worst case, what a spend cap reserves, says so (it had been priced
// as plain input, so a cap could be passed).
TEST(WorstCase, ARequestAskingForPromptCachingReservesTheCacheWriteRate) {
  Price price{3.0, 0.30, 15.0, "", ""};
  price.cache_write_per_mtok = 3.75;
  price.cache_write_1h_per_mtok = 6.0;
  const std::string plain(4000, 'x');
  const std::string cached = plain + R"("cache_control":{"type":"ephemeral"})";
  const double plain_worst = worst_case_usd(price, plain, 10);
  const double cached_worst = worst_case_usd(price, cached, 10);
  const double input_tokens = static_cast<double>(worst_case_input_tokens(cached.size()));
  EXPECT_DOUBLE_EQ(cached_worst, (input_tokens * 6.0 + 10 * 15.0) / 1e6);
  EXPECT_GT(cached_worst, plain_worst);
}

TEST(UsageKnown, AnOutputCountUnknownOrZeroForAWrittenAnswerIsNotTakenAtItsWord) {
  // The provider reads a left-out or null "completion_tokens" as -1; a count of 0 for an
  // answer that wrote something cannot be true either. Both cost the worst case, not the input.
  EXPECT_FALSE(usage_known(Usage{271, -1}, 0, 0, true));
  EXPECT_FALSE(usage_known(Usage{271, 0}, 0, 0, true));
  EXPECT_TRUE(usage_known(Usage{271, 0}, 0, 0, false));
  EXPECT_TRUE(usage_known(Usage{271, 3}, 0, 0, true));
}

TEST(TokenBucket, StartsFullThenRefillsAtItsRate) {
  auto t0 = SteadyClock::time_point{} + seconds(100);
  TokenBucket bucket(10, 10, t0);  // 10 per second
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(bucket.ready_at(1, t0), t0);
    bucket.take(1, t0);
  }
  EXPECT_EQ(bucket.ready_at(1, t0), t0 + milliseconds(100));
  EXPECT_EQ(bucket.ready_at(1, t0 + milliseconds(100)), t0 + milliseconds(100));
}

TEST(TokenBucket, OversizedTakeWaitsForAFullBucketThenRunsIntoDebt) {
  auto t0 = SteadyClock::time_point{} + seconds(100);
  TokenBucket bucket(100, 100, t0);
  EXPECT_EQ(bucket.ready_at(500, t0), t0);  // larger than the bucket: allowed when full
  bucket.take(500, t0);                     // level -400
  EXPECT_EQ(bucket.ready_at(10, t0), t0 + milliseconds(4100));
}

TEST(TokenBucket, GivingBackNeverOverfills) {
  auto t0 = SteadyClock::time_point{} + seconds(100);
  TokenBucket bucket(1, 5, t0);
  bucket.give_back(100);
  bucket.take(5, t0);
  EXPECT_GT(bucket.ready_at(1, t0), t0);
}

TEST(RateLimiter, WithoutLimitsEverythingIsReadyNow) {
  auto t0 = SteadyClock::now();
  RateLimiter limiter(std::nullopt, std::nullopt, t0);
  for (int i = 0; i < 1000; ++i) limiter.take(1e6, t0);
  EXPECT_EQ(limiter.ready_at(1e6, t0), t0);
}

TEST(RateLimiter, TokensPerMinuteHoldsBackLargeRequests) {
  auto t0 = SteadyClock::time_point{} + seconds(100);
  RateLimiter limiter(std::nullopt, 6000.0, t0);  // 100 tokens per second, bucket of 100
  limiter.take(100, t0);
  EXPECT_EQ(limiter.ready_at(50, t0), t0 + milliseconds(500));
  limiter.settle(100, 40);  // the answer used fewer tokens than estimated
  EXPECT_EQ(limiter.ready_at(50, t0), t0 + milliseconds(0));
}

TEST(RetryPolicy, ClassifiesAttempts) {
  auto with = [](long status) {
    HttpResponse r;
    r.status = status;
    return classify_attempt(r);
  };
  EXPECT_EQ(with(200), AttemptOutcome::kAnswered);
  EXPECT_EQ(with(429), AttemptOutcome::kRetryable);
  EXPECT_EQ(with(500), AttemptOutcome::kRetryable);
  EXPECT_EQ(with(503), AttemptOutcome::kRetryable);
  EXPECT_EQ(with(408), AttemptOutcome::kRetryable);
  EXPECT_EQ(with(400), AttemptOutcome::kFatal);
  EXPECT_EQ(with(401), AttemptOutcome::kFatal);
  EXPECT_EQ(with(404), AttemptOutcome::kFatal);
  HttpResponse dropped;
  dropped.transport_error = "connection reset by peer";
  EXPECT_EQ(classify_attempt(dropped), AttemptOutcome::kRetryable);
  HttpResponse huge;  // the same oversized answer would come again
  huge.transport_error = too_large_message("127.0.0.1:9", 100);
  huge.too_large = true;
  EXPECT_EQ(classify_attempt(huge), AttemptOutcome::kFatal);
}

TEST(RetryPolicy, ReadsRetryAfterInEveryForm) {
  HttpResponse r;
  EXPECT_FALSE(retry_after(r));
  r.headers["retry-after"] = "2";
  EXPECT_EQ(retry_after(r), milliseconds(2000));
  r.headers["retry-after"] = "0.25";
  EXPECT_EQ(retry_after(r), milliseconds(250));
  r.headers["retry-after-ms"] = "40";
  EXPECT_EQ(retry_after(r), milliseconds(40));
  r.headers.erase("retry-after-ms");
  r.headers["retry-after"] = "Wed, 21 Oct 2015 07:28:00 GMT";  // in the past: no wait
  EXPECT_EQ(retry_after(r), milliseconds(0));
  r.headers["retry-after"] = "soon";
  EXPECT_FALSE(retry_after(r));
  r.headers["retry-after"] = "86400";
  EXPECT_EQ(retry_after(r), milliseconds(600000));  // capped
}

TEST(RetryPolicy, FullJitterStaysUnderTheExponentialCeiling) {
  RetryPolicy policy(5, milliseconds(100), milliseconds(1000), 42);
  HttpResponse failed;
  failed.status = 500;
  bool some_below_half = false;
  for (int attempt = 1; attempt <= 6; ++attempt) {
    for (int i = 0; i < 50; ++i) {
      auto d = policy.delay(attempt, failed);
      EXPECT_GE(d.count(), 0);
      EXPECT_LE(d.count(), std::min<int64_t>(1000, 100LL << (attempt - 1)));
      some_below_half = some_below_half || d.count() < (50LL << (attempt - 1));
    }
  }
  EXPECT_TRUE(some_below_half);  // jitter, not a fixed back-off
}

TEST(RetryPolicy, NeverWaitsLessThanRetryAfter) {
  RetryPolicy policy(5, milliseconds(1), milliseconds(2), 1);
  HttpResponse r;
  r.status = 429;
  r.headers["retry-after"] = "3";
  EXPECT_EQ(policy.delay(1, r), milliseconds(3000));
}

TEST(RetryPolicy, CountsAttempts) {
  RetryPolicy policy(3);
  EXPECT_TRUE(policy.may_retry(1));
  EXPECT_TRUE(policy.may_retry(2));
  EXPECT_FALSE(policy.may_retry(3));
}

class CacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = std::filesystem::temp_directory_path() /
            ("tunecase_cache_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + "/c.sqlite");
    std::filesystem::remove_all(file_.parent_path());
  }
  void TearDown() override { std::filesystem::remove_all(file_.parent_path()); }
  std::filesystem::path file_;
};

TEST_F(CacheTest, StoresAndReturnsAnswersAcrossOpens) {
  std::string key = cache_key("http://x/v1", "m", R"({"a":1})");
  {
    ResponseCache cache(file_);
    EXPECT_FALSE(cache.get(key));
    cache.put(key, {200, "body", 12.5, true});
  }
  ResponseCache cache(file_);
  auto hit = cache.get(key);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->body, "body");
  EXPECT_EQ(hit->latency_ms, 12.5);
  EXPECT_TRUE(hit->simulated);
  EXPECT_FALSE(cache.get(cache_key("http://x/v1", "m", R"({"a":2})")));
  EXPECT_FALSE(cache.get(cache_key("http://y/v1", "m", R"({"a":1})")));
}

// A store given as --cache (or any other application's SQLite file) is refused untouched: the
// cache's table was written into it.
TEST_F(CacheTest, AFileOfAnotherPurposeIsRefusedUntouched) {
  std::filesystem::create_directories(file_.parent_path());
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file_.string().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(db, "CREATE TABLE schema_version(version INTEGER)", nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(db);
  }
  const auto before = std::filesystem::file_size(file_);
  try {
    ResponseCache cache(file_);
    FAIL() << "a store was opened as a response cache";
  } catch (const UserError& e) {
    EXPECT_NE(
        std::string(e.what()).find("is not a response cache (it holds the tables schema_version"),
        std::string::npos)
        << e.what();
  }
  EXPECT_EQ(std::filesystem::file_size(file_), before);
  EXPECT_FALSE(std::filesystem::exists(file_.string() + "-wal"));
}

TEST_F(CacheTest, AHashCollisionNeverReturnsAnotherAnswer) {
  std::string key = cache_key("http://x/v1", "m", "request A");
  { ResponseCache cache(file_); }
  // Plant a row whose hash equals key's but whose key text differs, as a collision would.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file_.string().c_str(), &db), SQLITE_OK);
  std::string sql =
      "INSERT INTO responses(hash, key, status, body, latency_ms, simulated) VALUES (" +
      std::to_string(static_cast<int64_t>(fnv1a64(key))) +
      ", 'another request', 200, 'wrong answer', 1, 0)";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  ResponseCache cache(file_);
  EXPECT_FALSE(cache.get(key));
  cache.put(key, {200, "right answer", 1, false});
  ASSERT_TRUE(cache.get(key));
  EXPECT_EQ(cache.get(key)->body, "right answer");
  EXPECT_EQ(cache.size(), 2u);
}

TEST_F(CacheTest, UsesWriteAheadLogging) {
  { ResponseCache cache(file_); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file_.string().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

// A damaged cache file is said to be damaged, with what to do and what it costs: the message
// had pointed at the folder's permissions.
TEST_F(CacheTest, ADamagedFileIsSaidToBeDamaged) {
  std::filesystem::create_directories(file_.parent_path());
  std::ofstream(file_, std::ios::binary) << "garbage" << std::string(8192, 'x');
  try {
    ResponseCache cache(file_);
    FAIL() << "a damaged file was opened";
  } catch (const UserError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("damaged or not a response cache"), std::string::npos) << message;
    EXPECT_NE(message.find("paid for, again"), std::string::npos) << message;
    EXPECT_EQ(message.find("writable"), std::string::npos) << message;
  }
}

TEST_F(CacheTest, UnwritablePlaceIsAUserError) {
  EXPECT_THROW(ResponseCache("/proc/tunecase/cache.sqlite"), UserError);
}

TEST(Budget, EstimatesAboutFourCharactersPerToken) {
  EXPECT_EQ(estimate_tokens(""), 0);
  EXPECT_EQ(estimate_tokens("abcd"), 1);
  EXPECT_EQ(estimate_tokens("abcde"), 2);
  EXPECT_EQ(estimate_tokens(std::string(400, 'x')), 100);
}

TEST(Budget, AllowsOnlyWhatFitsWithTheReservationsInFlight) {
  SpendBudget budget(1.0);
  EXPECT_TRUE(budget.allows(0.6));
  budget.reserve(0.6);
  EXPECT_FALSE(budget.allows(0.5));
  budget.settle(0.6, 0.1);  // the answer cost less than its worst case
  EXPECT_TRUE(budget.allows(0.5));
  EXPECT_DOUBLE_EQ(budget.spent(), 0.1);
  SpendBudget unlimited(std::nullopt);
  EXPECT_TRUE(unlimited.allows(1e9));
}

TEST(Budget, DescribesTheEstimateAsEstimated) {
  RunEstimate e{10, 4, 6, 600, 384, 0.0123};
  std::string text = describe_estimate(e, "gpt");
  EXPECT_NE(text.find("6 to send"), std::string::npos);
  EXPECT_NE(text.find("estimated cost $0.0123"), std::string::npos);
  e.usd.reset();
  EXPECT_NE(describe_estimate(e, "gpt").find("unknown"), std::string::npos);
}

}  // namespace
}  // namespace tunecase
