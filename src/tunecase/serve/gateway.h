#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "tunecase/config/config.h"
#include "tunecase/http/server.h"
#include "tunecase/serve/clock.h"
#include "tunecase/serve/dashboard.h"
#include "tunecase/serve/pilot_plan.h"
#include "tunecase/serve/prediction_log.h"
#include "tunecase/serve/request_body.h"
#include "tunecase/store/store.h"

namespace tunecase {
class HttpClient;
}

namespace tunecase::serve {

class BlockingPool;
class Dispatcher;
class Metrics;
class ModelWatch;
class ServedApproach;

struct GatewayOptions {
  std::filesystem::path eval_dir;        // `--eval DIR`: local models under DIR/models/<name>
  std::filesystem::path plan_file;       // `--plan decision.json` ("" = the rule from [pilot])
  std::filesystem::path operation_plan;  // `--operation-plan plan.html`, served at GET /plan
  std::filesystem::path cache_file;      // LLM response cache ("" = none)
  std::string store = "tunecase.db";     // a SQLite path or a postgresql:// URL
  http::ServerOptions server;            // host 127.0.0.1 unless told otherwise
  // Bearer token that POST /v1/feedback must carry ("" = open). Read from the environment by
  // the CLI; never logged, never stored.
  std::string token;
  // Without a token on a loopback address, the Host names (name or name:port) besides loopback
  // ones that the token's routes answer for (`--allowed-host`: what a reverse proxy passes).
  std::vector<std::string> allowed_hosts;
  PredictionLogOptions log;       // log.instance names this replica's progress record
  std::size_t store_threads = 2;  // threads for blocking store calls (feedback, reports)
  // The time of predictions, feedback and the report; the system clock but for a replay.
  Clock clock = system_now_ms;
  // `clock` is a simulated one (the demo's replay): its last time is recorded at stop, as with
  // --replay-clock, so that `tunecase pilot` on the store reports as of it.
  bool simulated_clock = false;
  // `--replay-clock START` (docs/operate.md, "Replay through the gateway"): the gateway's clock
  // starts at START and each request's "at" moves it forward (never back), so replayed traffic
  // is stored on its own days. Without it a request carrying "at" is refused (400).
  std::optional<int64_t> replay_clock_start;
  // How often the model registry is read for a new champion of a local approach (0 = never:
  // the models loaded at start serve until a restart). See ModelWatch.
  std::chrono::milliseconds model_poll{5000};
  // How often a champion that failed to load is tried again (a folder restored meanwhile).
  std::chrono::milliseconds model_load_retry{30000};
  // Lines about model changes while serving (a promotion picked up, a folder that fails to load).
  std::function<void(const std::string&)> notify = [](const std::string&) {};
};

// `tunecase serve`: the pilot gateway (docs/serve.md). Routes:
//   POST /v1/classify  GET /v1/pilot  POST /v1/feedback  GET /v1/models  GET /metrics
//   GET /healthz
//   GET / (the live dashboard, docs/dashboard.md)  GET /assets/*  GET /v1/dashboard  GET /memo  GET
//   /plan
// Everything it knows lives in the store (predictions, feedback, the pilot's salt and start), so
// a restarted gateway, or another replica on the same store, routes the same ids to the same
// arms and reports the same figures. Construction loads every approach of the plan and opens
// the store; UserError for anything the user must fix (a missing trained model, a bad plan, an
// unreachable store).
class Gateway {
 public:
  Gateway(const ProjectConfig& config, GatewayOptions options);
  ~Gateway();  // stop()
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  int start();  // binds and serves; returns the port
  // Stops taking requests, answers those in flight (up to `grace`), waits for LLM calls in
  // flight (a shadow challenger's up to `grace` more), then commits every logged prediction.
  // Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));
  // Shadow calls the stop cut off after its grace: not logged (no measure of the challenger).
  int64_t shadow_cut_at_stop() const { return shadow_cut_at_stop_; }
  int64_t answers_cut_at_stop() const { return answers_cut_at_stop_; }
  // LLM answers the response cache could not store, over both arms (said at the stop).
  int64_t uncached_answers() const;

  const PilotPlan& plan() const { return plan_; }
  const std::string& salt() const { return salt_; }
  // What the previous run of this instance left uncommitted (read at construction).
  const PreviousRun& previous_run() const;
  // One line per thing the operator should know at start (a previous unclean stop, ...).
  std::vector<std::string> startup_notes() const;
  PredictionLog::Stats log_stats() const;
  bool store_failing() const;  // the prediction log's last commit failed (lock-free)
  http::ServerStats server_stats() const;
  Store& store() { return *store_; }

 private:
  void handle(http::Request request, http::Responder responder);
  void classify(const http::Request& request, http::Responder responder);
  void feedback(const http::Request& request, http::Responder responder);
  void resume_replay_clock();
  void refuse_replay_before_live_start();
  void record_priced_approaches(const ProjectConfig& config);
  struct ParkedFeedback {
    Feedback feedback;
    FeedbackBody body;  // as sent, for the 404's words
    http::Responder responder;
    std::chrono::steady_clock::time_point until;
    // Tried again at about 100, 300 and 700 ms after it was parked, and at `until`: a flood of
    // ids no replica has makes each round of tries shorter for the feedback that will be found.
    std::chrono::steady_clock::time_point next_try{};
    std::chrono::milliseconds gap{100};
  };
  void park_feedback(ParkedFeedback parked);
  void retry_parked_feedback();
  void pilot(http::Responder responder);
  void metrics(http::Responder responder);
  // Reads the store's figures for /metrics in the background and keeps them; answers through
  // `render` when given (none: the read at start, so an outage before the first scrape still
  // has figures to show). `reading` is set by the caller.
  void read_metrics_figures(
      http::Responder responder,
      std::function<http::Response(const std::vector<ArmFigures>&, bool)> render);
  void models(http::Responder responder);
  // Per served approach, the registry's champion this gateway could not load (none: empty).
  std::map<std::string, std::string> unloaded_champions() const;
  // A request's "at": moves the replay clock forward. Why the request is refused instead: this
  // gateway keeps its own time, or the time leaps further than a replay goes at once.
  std::optional<std::string> take_time(const std::optional<int64_t>& at_ms);
  // On a replay clock: its time `t` kept in the store when later than the stored time.
  void keep_replay_time(int64_t t);
  void dashboard(http::Responder responder);
  void page(const std::string& html, const char* missing, http::Responder responder);
  ReportContext report_context() const;
  void load_decision();
  void record_plan();
  bool authorised(const http::Request& request) const;
  // Without a token: a 403 for a request a web page in the operator's browser made (a foreign
  // Origin, or a Host that is not this loopback gateway's: DNS rebinding); nullopt otherwise.
  std::optional<http::Response> browser_refusal(const http::Request& request) const;
  void load_approaches(const ProjectConfig& config);
  std::vector<std::string> label_set(const ProjectConfig& config);
  std::vector<std::string> feedback_labels() const;
  std::string unknown_prediction(const FeedbackBody& f) const;

  GatewayOptions options_;
  PilotPlan plan_;
  std::unique_ptr<Store> store_;
  std::string salt_;
  int64_t started_at_ms_ = 0;  // the pilot's first start (the store's), on the gateway's clock
  // This process's start on the system clock (prediction ids carry that clock's time).
  int64_t process_started_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
  std::vector<std::string> labels_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<ServedApproach> champion_, challenger_;
  // Held shared by a /metrics scrape reading the approaches' call counts on a loop, exclusive by
  // stop() when it destroys them while the loops still run.
  mutable std::shared_mutex approaches_mutex_;
  std::unique_ptr<ModelWatch> watch_;
  // Every second, Store::check_files(): an idle gateway's acknowledged feedback had sat in a
  // deleted -wal file until the next commit, and a kill -9 meanwhile lost it.
  std::thread file_watch_;
  std::mutex file_watch_mutex_;
  std::condition_variable file_watch_wake_;
  bool file_watch_stopping_ = false;
  std::vector<std::string> model_notes_;  // what the registry sync did at start
  std::vector<std::string> plan_notes_;   // a plan unlike the one the store recorded before
  std::unique_ptr<Metrics> metrics_;
  // The store's part of /metrics: the last figures read, and whether a read is still waiting on
  // the store (a hung server). A scrape meanwhile answers with the last figures, marked stale,
  // instead of waiting with it.
  struct MetricsRead {
    std::mutex mutex;
    std::vector<ArmFigures> arms;
    bool reading = false;
    std::optional<std::chrono::steady_clock::time_point> failed_at;  // the last read's failure
  };
  std::shared_ptr<MetricsRead> metrics_read_ = std::make_shared<MetricsRead>();
  std::unique_ptr<PredictionLog> log_;
  std::unique_ptr<BlockingPool> background_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<http::Server> server_;
  DashboardContext dashboard_;
  std::string memo_html_;  // the memo beside decision.json, served at /memo ("" = none)
  std::string plan_html_;  // --operation-plan, served at /plan ("" = none)
  bool stopped_ = false;
  int64_t shadow_cut_at_stop_ = 0;
  int64_t answers_cut_at_stop_ = 0;
  int64_t uncached_at_stop_ = 0;                      // under approaches_mutex_
  std::shared_ptr<std::atomic<int64_t>> replay_now_;  // the replay clock (null: the system's)
  // Feedback for an id no replica had stored yet, while another replica runs: each waits up to
  // a second for the others' queues, tried again together by one pool thread (the retrier; each
  // at about 100, 300 and 700 ms and at the second), so that many can wait at once without
  // holding the pool. At most
  // kMostParkedFeedback wait; past that a feedback gets 503 with Retry-After.
  std::mutex parked_mutex_;
  std::vector<ParkedFeedback> parked_;
  bool parked_retrier_ = false;
};

}  // namespace tunecase::serve
