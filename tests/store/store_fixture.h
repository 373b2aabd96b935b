#pragma once

// The typed fixture of the conformance suite: every TYPED_TEST runs once on SQLite and once on
// a real PostgreSQL, each time on a fresh, empty store.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store_backends.h"
#include "tunecase/store/store.h"

namespace tunecase::testing {

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 24 * kHour;
// 2026-03-02 00:00 UTC: a day boundary, so tests can reason in whole hours and days.
constexpr int64_t kT0 = 1772409600000;

// A prediction with every field set to something checkable.
inline PredictionRecord prediction(const std::string& request_id, const std::string& approach,
                                   Arm arm, const std::string& label, int64_t at_ms) {
  PredictionRecord p;
  p.prediction_id = make_prediction_id();
  p.request_id = request_id;
  p.approach = approach;
  p.arm = arm;
  p.segment = "smb";
  p.label = label;
  p.latency_ms = 10;
  p.upstream_ms = 8;
  p.tokens_in = 100;
  p.tokens_out = 5;
  p.cost_usd = 0.001;
  p.text_hash = "hash-" + request_id;
  p.created_at_ms = at_ms;
  p.model_version = "v1";
  return p;
}

inline Feedback feedback(const std::string& id, const std::string& label,
                         Feedback::By by = Feedback::By::request_id) {
  return Feedback{by, id, label, kT0 + 10 * kDay};
}

template <typename Backend>
class StoreConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    location_ = Backend::new_location();
    if (location_.empty()) GTEST_SKIP() << PostgresServer::why_not();
    store_ = open_store(location_);
  }
  static void TearDownTestSuite() { Backend::cleanup(); }

  const ArmFigures* arm(const PilotCounts& c, const std::string& approach, Arm a) {
    for (const ArmFigures& f : c.arms) {
      if (f.approach == approach && f.arm == a) return &f;
    }
    return nullptr;
  }

  std::string location_;
  std::unique_ptr<Store> store_;
};

using Backends = ::testing::Types<SqliteBackend, PostgresBackend>;
TYPED_TEST_SUITE(StoreConformance, Backends, BackendNames);

}  // namespace tunecase::testing
