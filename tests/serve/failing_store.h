#pragma once

// A real store (SQLite) whose commits of predictions can be made to fail on demand, as a
// PostgreSQL restart or an unreachable server makes them fail (UserError): for the prediction
// log's tests of an outage, which the gateway test also runs against a real PostgreSQL stopped
// and started again (store_outage_test.cpp). Everything else goes to the real store.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tunecase/core/error.h"
#include "tunecase/store/store.h"

namespace tunecase::serve::testing {

class FailingStore final : public Store {
 public:
  explicit FailingStore(std::unique_ptr<Store> real) : real_(std::move(real)) {}

  std::atomic<bool> down{false};  // log_predictions and set_meta throw while set
  std::atomic<int> failed{0};     // commits refused so far
  std::atomic<bool> hang{false};  // log_predictions waits while set (a lock held elsewhere)

  void log_predictions(const std::vector<PredictionRecord>& batch,
                       const CommitExtras& extras) override {
    while (hang) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (down) {
      ++failed;
      throw UserError("lost the connection to the store (down for the test)");
    }
    real_->log_predictions(batch, extras);
  }
  FeedbackResult record_feedback(const Feedback& f) override { return real_->record_feedback(f); }
  std::vector<FeedbackResult> record_feedback_batch(const std::vector<Feedback>& b) override {
    return real_->record_feedback_batch(b);
  }
  std::optional<PredictionRecord> find_prediction(const std::string& id) override {
    return real_->find_prediction(id);
  }
  std::optional<std::string> gold_label(const std::string& id) override {
    return real_->gold_label(id);
  }
  int64_t feedback_received(int64_t from, int64_t to) override {
    return real_->feedback_received(from, to);
  }
  std::optional<int64_t> last_feedback_at_ms() override { return real_->last_feedback_at_ms(); }
  int64_t predictions_of_other_versions(const std::string& approach, const std::string& version,
                                        int64_t from, int64_t to) override {
    return real_->predictions_of_other_versions(approach, version, from, to);
  }
  PilotCounts pilot_counts(const PilotQuery& q) override { return real_->pilot_counts(q); }
  std::vector<PredictedLabelCount> predicted_labels(int64_t from, int64_t to) override {
    return real_->predicted_labels(from, to);
  }
  std::vector<TextSample> texts(int64_t from, int64_t to, int64_t limit) override {
    return real_->texts(from, to, limit);
  }
  std::vector<LabelledText> labelled_texts(int64_t from, int64_t to) override {
    return real_->labelled_texts(from, to);
  }
  void register_model(const ModelVersion& m) override { real_->register_model(m); }
  bool set_model_metrics(const std::string& approach, const std::string& version,
                         const std::string& metrics_json) override {
    return real_->set_model_metrics(approach, version, metrics_json);
  }
  bool set_model_status(const std::string& approach, const std::string& version, ModelStatus status,
                        int64_t at_ms, const std::string& by) override {
    return real_->set_model_status(approach, version, status, at_ms, by);
  }
  std::vector<ModelVersion> models(const std::string& a) override { return real_->models(a); }
  std::vector<ModelEvent> model_events(const std::string& a) override {
    return real_->model_events(a);
  }
  FiredAlert fire_alert(const Alert& a) override { return real_->fire_alert(a); }
  bool resolve_alert(const std::string& kind, const std::string& approach, int64_t at_ms) override {
    return real_->resolve_alert(kind, approach, at_ms);
  }
  std::vector<Alert> alerts(bool open_only) override { return real_->alerts(open_only); }
  void append_audit(const std::vector<AuditRecord>& b) override { real_->append_audit(b); }
  std::vector<AuditRecord> audit_records(int64_t from, int64_t to) override {
    return real_->audit_records(from, to);
  }
  std::optional<std::string> meta(const std::string& key) override { return real_->meta(key); }
  std::vector<std::pair<std::string, std::string>> meta_with_prefix(
      const std::string& prefix) override {
    return real_->meta_with_prefix(prefix);
  }
  void set_meta(const std::string& key, const std::string& value) override {
    if (down) throw UserError("lost the connection to the store (down for the test)");
    real_->set_meta(key, value);
  }
  std::string put_meta_if_absent(const std::string& key, const std::string& value) override {
    return real_->put_meta_if_absent(key, value);
  }
  int schema_version() override { return real_->schema_version(); }

 private:
  std::unique_ptr<Store> real_;
};

}  // namespace tunecase::serve::testing
