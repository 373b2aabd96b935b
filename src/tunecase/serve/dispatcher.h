#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tunecase/privacy/redactor.h"
#include "tunecase/runner/scheduler.h"
#include "tunecase/serve/blocking_pool.h"
#include "tunecase/serve/clock.h"
#include "tunecase/serve/metrics.h"
#include "tunecase/serve/prediction_log.h"
#include "tunecase/serve/request_body.h"
#include "tunecase/serve/served_approach.h"

namespace tunecase::serve {

// How requests meet the arms (docs/serve.md "Modes").
enum class ServeMode {
  production,  // the champion alone
  split,       // sticky by id: the challenger answers `share` of the ids
  shadow,      // the champion answers; the challenger runs on the same item, logged, never returned
  fallback     // split, but a failed or slow challenger is answered by the champion
};
std::optional<ServeMode> parse_serve_mode(const std::string& name);
std::string serve_mode_name(ServeMode mode);

struct DispatchSettings {
  ServeMode mode = ServeMode::production;
  double share = 0.05;
  std::string salt;
  std::optional<double> abstain_below;
  std::chrono::milliseconds challenger_timeout{2000};
  // All of a request's LLM calls end within this from its arrival (the gateway's answer deadline
  // less a margin): a fallback's champion call gets what is left of it.
  std::chrono::milliseconds call_deadline{55000};
  Clock clock = system_now_ms;  // stamps each logged prediction
  bool keep_texts = false;      // log the request text too ([monitor] keep_texts)
  // With [privacy] redact set, the kept text is the redacted one: the store (a PostgreSQL
  // server may be another machine) holds no value the rules find.
  std::shared_ptr<const Redactor> kept_text_redactor;
};

// What the client gets back from POST /v1/classify.
struct ClassifyAnswer {
  int status = 200;                  // 502 when the answering approach failed
  std::string error;                 // its message, when status != 200
  std::optional<std::string> label;  // none when it abstained
  bool needs_human = false;
  std::optional<double> confidence;
  std::string approach;  // the approach whose answer this is
  Arm arm = Arm::champion;
  std::string prediction_id;
  std::string model_version;  // the model that answered (a local model's fingerprint, the LLM)
  double latency_ms = 0;
  bool simulated = false;
  bool fallback = false;
};
nlohmann::json to_json(const ClassifyAnswer& answer);
// to_json(answer).dump(), written directly: the body of every classify answer.
std::string answer_body(const ClassifyAnswer& answer);

// Routes each classify request to its arm, applies abstain_below, logs every prediction (the
// answered one, a shadow's, a failed challenger's) and calls `done` once with the answer.
// Never blocks: local models answer inline, LLM calls and shadow work finish on other threads.
class Dispatcher {
 public:
  // `challenger` may be null (production mode). Everything must outlive the dispatcher.
  Dispatcher(ServedApproach& champion, ServedApproach* challenger, DispatchSettings settings,
             PredictionLog& log, Metrics& metrics, BlockingPool& background);

  // False, without calling `done`, when the prediction log is full and the store commits
  // (overload): answer 503. With the store failing, a full log answers anyway (not stored).
  bool classify(ClassifyBody body, std::function<void(ClassifyAnswer)> done);

  const DispatchSettings& settings() const { return settings_; }

  // For a gateway that is stopping: fires the pending challenger time-outs now, and from then on
  // a failed challenger is answered 503 instead of calling the champion (which may be gone).
  void shutdown();

  // The challenger's shadow LLM calls in flight. A stop lets them finish: they are off the
  // response path, so the server's wait for the requests in flight does not cover them. Those a
  // stop cuts off are not logged: a call the gateway ended is no measure of the challenger, and
  // logged as an error it would count against it.
  int64_t shadow_in_flight() const { return shadow_in_flight_.load(); }
  // Shadow calls cut off by the stop, not logged.
  int64_t shadow_cut_at_stop() const { return shadow_cut_.load(); }
  // Answering calls (champion or challenger) the stop cut off: not logged, their clients told
  // to retry (503).
  int64_t answers_cut_at_stop() const { return answers_cut_.load(); }
  // Calls that never left this machine (out of open files or memory): answered 503, not logged.
  int64_t local_faults() const { return local_faults_.load(); }

 private:
  struct Job;
  void answer_from(ServedApproach& approach, Arm arm, std::shared_ptr<Job> job);
  void challenger_with_fallback(std::shared_ptr<Job> job);
  // `failed` is the challenger's failed answer (an error, or the time-out cut short).
  void fall_back(std::shared_ptr<Job> job, ServedAnswer failed);
  bool local_fault(const Job& job, const ServedAnswer& served);
  void refuse_for_local_fault(const Job& job, const std::string& error);  // 503, counted
  bool cut_by_stop(const Job& job, const ServedAnswer& served);
  void shadow(std::shared_ptr<Job> job);
  PredictionRecord record_of(const Job& job, const ServedApproach& approach, Arm arm,
                             const ServedAnswer& answer) const;
  ClassifyAnswer answer_of(const Job& job, const PredictionRecord& record,
                           const ServedAnswer& served) const;
  void log(const Job& job, PredictionRecord record);
  // A failed prediction said on stderr: the first at once, then at most one line a minute per
  // approach with how many failed meanwhile, the last of them said when their minute is up or
  // at the stop (a dead challenger had left no line anywhere, only a counter, while its
  // fallbacks were counted wrong).
  void say_failure(const PredictionRecord& record);
  void say_failures_held(const std::string& approach, bool at_stop);

  ServedApproach& champion_;
  ServedApproach* challenger_;
  DispatchSettings settings_;
  PredictionLog& log_;
  Metrics& metrics_;
  BlockingPool& background_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> shadow_in_flight_{0};
  std::atomic<int64_t> shadow_cut_{0};
  std::atomic<int64_t> answers_cut_{0};
  std::atomic<int64_t> local_faults_{0};
  struct FailureWindow {
    int64_t unsaid = 0;  // failures since the last line
    std::string last_error, arm;
    bool fallback = false;
    std::chrono::steady_clock::time_point said_at{};
    bool said = false, held = false;  // held: a line is due when the minute is up
  };
  std::mutex failures_mutex_;
  std::map<std::string, FailureWindow> failures_;  // by approach
  // Last: destroyed first, it runs what is due at once (the failures held), with the rest alive.
  std::unique_ptr<Scheduler> timers_ = std::make_unique<Scheduler>();
};

}  // namespace tunecase::serve
