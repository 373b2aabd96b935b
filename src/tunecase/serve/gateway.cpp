#include "tunecase/serve/gateway.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "tunecase/config/privacy_policy.h"
#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/core/suggest.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/llm/prices.h"
#include "tunecase/serve/blocking_pool.h"
#include "tunecase/serve/dispatcher.h"
#include "tunecase/serve/metrics.h"
#include "tunecase/serve/model_watch.h"
#include "tunecase/serve/served_approach.h"

namespace tunecase::serve {
namespace {

// The replay clock's time in the store: the latest of this replica's and what is there (replicas
// on replay clocks stop one after another, and the store keeps the latest of their times).
// One at a time: a commit's hook and a feedback each read the stored time and write theirs, and
// an older time written last would take the clock back.
void keep_latest_replay_time(Store& store, int64_t mine) {
  static std::mutex one_at_a_time;
  std::lock_guard lock(one_at_a_time);
  if (mine > stored_replay_clock(store).value_or(0))
    store.set_meta(kReplayClockKey, std::to_string(mine));
}

// The answers the server gives by itself (413, 503, ...) in the gateway's error shape.
http::Response error_page(int status, const std::string& message) {
  http::Response r = http::default_error_page(status, message);
  if (status == 503) r.headers.set("Retry-After", "1");
  return r;
}

// Appends to `labels` those `approach` answers that it lacks; returns them.
std::vector<std::string> add_labels_of(const ServedApproach& approach,
                                       std::vector<std::string>& labels) {
  std::vector<std::string> added;
  for (auto& label : approach.labels()) {
    if (std::find(labels.begin(), labels.end(), label) != labels.end()) continue;
    labels.push_back(label);
    added.push_back(std::move(label));
  }
  return added;
}

}  // namespace

void Gateway::keep_replay_time(int64_t t) {
  // Written before the feedback's 200, whatever a commit's hook is doing: the hook may have
  // taken this time already and not yet written it.
  if (!replay_now_) return;
  keep_latest_replay_time(*store_, t);
}

Gateway::Gateway(const ProjectConfig& config, GatewayOptions options)
    : options_(std::move(options)) {
  if (options_.replay_clock_start) {
    replay_now_ = std::make_shared<std::atomic<int64_t>>(*options_.replay_clock_start);
    options_.clock = [now = replay_now_] { return now->load(); };
  }
  plan_ = make_pilot_plan(config, options_.plan_file);
  load_decision();
  if (config.monitor.present) dashboard_.accuracy_floor = config.monitor.accuracy_floor;
  // Before the approaches: their upstream calls run on the server's threads. Nothing reaches
  // the handler before start(). Bound before the store is written: a port in use must not
  // leave a pilot started, a plan recorded or models registered by a run that never served.
  options_.server.error_page = error_page;
  // The health check answers under any load (a liveness probe that restarts an overloaded
  // gateway throws away the predictions it holds), and so do the metrics, which run on the
  // bounded background pool.
  options_.server.always_answered = {"/healthz", "/metrics"};
  // The limit counts bytes (a CJK character is three, six as a JSON escape), not characters.
  options_.server.body_limit_hint =
      "Send a shorter text: a classification needs the start of a long one (an LLM approach "
      "reads at most its max_text_chars), so cut it before sending.";
  server_ = std::make_unique<http::Server>(
      options_.server, [this](http::Request q, http::Responder r) { handle(std::move(q), r); });
  server_->listen();
  store_ = open_store(options_.store);
  // The first replica's values win and are kept: a restart, or another replica, agrees.
  salt_ = store_->put_meta_if_absent(
      "pilot.salt", config.pilot.salt.empty() ? make_random_id() : config.pilot.salt);
  if (!config.pilot.salt.empty() && salt_ != config.pilot.salt) {
    salt_ = config.pilot.salt;  // an explicit salt in [pilot] is the user's choice, said aloud
    const bool routes = plan_.mode == ServeMode::split || plan_.mode == ServeMode::fallback;
    if (routes)
      plan_notes_.push_back(fmt::format(
          "[pilot] salt differs from the salt this store's pilot started with (meta 'pilot.salt'): "
          "about {:.0f}% of the ids go to another arm than before, and than on any replica "
          "started with the store's salt, so those customers' requests change models. Give every "
          "replica the same salt (or none, to use the store's), or start a new pilot on a new "
          "store (--store)",
          200 * plan_.share * (1 - plan_.share)));
  }
  resume_replay_clock();
  refuse_replay_before_live_start();
  started_at_ms_ = std::stoll(
      store_->put_meta_if_absent("pilot.started_at_ms", std::to_string(options_.clock())));
  record_plan();
  load_approaches(config);
  record_priced_approaches(config);
  watch_ = std::make_unique<ModelWatch>(
      *store_, std::vector<ServedApproach*>{champion_.get(), challenger_.get()}, options_.clock,
      options_.notify);
  model_notes_ = watch_->sync_at_start();
  labels_ = label_set(config);
  store_->set_meta(kServedLabelsKey, nlohmann::json(labels_).dump());
  metrics_ = std::make_unique<Metrics>();
  options_.log.instance = options_.log.instance.empty() ? "default" : options_.log.instance;
  // On a replay clock the store keeps the clock's time after each commit, not only at a clean
  // stop: a replay killed part-way is resumed where its stored traffic ends (a restart had
  // judged it as of today, or from the replay's first date with 400 predictions shown as 1).
  // A feedback's time moves the clock too, and is kept after the feedback is recorded
  // (keep_replay_time).
  if (replay_now_) {
    options_.log.after_commit = [now = replay_now_,
                                 kept = std::make_shared<std::atomic<int64_t>>(0),
                                 then = options_.log.after_commit](Store& store) {
      if (then) then(store);
      const int64_t t = now->load();
      if (t <= kept->load()) return;
      kept->store(t);
      keep_latest_replay_time(store, t);
    };
  }
  log_ = std::make_unique<PredictionLog>(*store_, options_.log);
  background_ = std::make_unique<BlockingPool>(options_.store_threads, 4096);
  metrics_read_->reading = true;
  read_metrics_figures(http::Responder(), nullptr);
  DispatchSettings settings;
  settings.mode = plan_.mode;
  settings.share = plan_.share;
  settings.salt = salt_;
  settings.abstain_below = config.pilot.abstain_below;
  settings.keep_texts = config.monitor.keep_texts;
  if (settings.keep_texts && !config.privacy.rules.empty())
    settings.kept_text_redactor = std::make_shared<const Redactor>(config.privacy.rules);
  settings.challenger_timeout = std::chrono::milliseconds(config.pilot.challenger_timeout_ms);
  settings.call_deadline = std::max(std::chrono::milliseconds(1000),
                                    options_.server.response_timeout - std::chrono::seconds(5));
  settings.clock = options_.clock;
  dispatcher_ = std::make_unique<Dispatcher>(*champion_, challenger_.get(), settings, *log_,
                                             *metrics_, *background_);
}

Gateway::~Gateway() {
  stop(std::chrono::milliseconds(0));
}

// The served approaches priced per request, for the reports read from the store (pilot, monitor,
// dashboard): an answer of theirs without a cost is unknown, never $0. Kept with those another
// replica recorded.
void Gateway::record_priced_approaches(const ProjectConfig& config) {
  // Every LLM arm is billed per request: one without a price has each cost unknown, never $0
  // (it had been left out, and its days read $0.00 and "measured"), and is said at start.
  std::set<std::string> priced = priced_approaches(*store_);
  const std::size_t before = priced.size();
  for (const auto* name : {&plan_.champion, &plan_.challenger}) {
    const ApproachConfig* a = name->empty() ? nullptr : config.find_approach(*name);
    if (a == nullptr || !a->is_llm()) continue;
    priced.insert(*name);
    bool has_price = false;
    try {
      has_price = price_for(*a, PriceCatalogue::for_approach(*a)).has_value();
    } catch (const std::exception&) {  // an unreadable catalogue: unpriced, said at load
    }
    if (!has_price)
      plan_notes_.push_back(fmt::format(
          "approach '{}': the model {} has no price in the catalogue, so its cost is reported as "
          "unknown (never $0); set price = {{ input = ..., output = ... }} (USD per million "
          "tokens) in its table, or prices = \"FILE\"",
          *name, a->llm.model));
  }
  if (priced.size() != before)
    store_->set_meta(kPricedApproachesKey, nlohmann::json(priced).dump());
}

void Gateway::load_approaches(const ProjectConfig& config) {
  bool any_llm = false;
  for (const auto* name : {&plan_.champion, &plan_.challenger})
    if (!name->empty()) any_llm = any_llm || config.find_approach(*name)->is_llm();
  if (any_llm) {
    HttpClientOptions client;
    client.max_connections = 1024;
    client.loops = server_->io_contexts();
    http_ = make_http_client(std::move(client));
  }
  LoadOptions load;
  load.eval_dir = options_.eval_dir;
  load.cache_file = options_.cache_file;
  // A local model's copies: one per thread that can run at once (no more than the hardware
  // threads, however many event loops there are), and a spare.
  int running = std::min(options_.server.threads,
                         std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
  load.copies = std::max(1, running + 1);
  load.http = http_.get();
  // An LLM call and its retries end 5 s before the HTTP answer deadline: the client gets the
  // call's own failure (502) with the time it took, not a 504 while retries still run on.
  std::chrono::milliseconds call_time = std::max(
      std::chrono::milliseconds(1000), options_.server.response_timeout - std::chrono::seconds(5));
  LoadOptions champion_load = load;
  LoadOptions challenger_load = load;
  champion_load.llm_deadline = call_time;
  challenger_load.llm_deadline = call_time;
  if (plan_.mode == ServeMode::fallback) {
    // A challenger call past its time-out is answered by the champion, so its retries would be
    // paid for nothing. (The champion's fallback call, which starts that late, is bounded per
    // call: DispatchSettings::fallback_deadline.)
    auto timeout = std::chrono::milliseconds(config.pilot.challenger_timeout_ms);
    challenger_load.llm_deadline = std::min(call_time, timeout);
  }
  // Refused before anything loads, with what serve can do instead: the arms come from the pilot
  // (the advice had been to remove approaches from the config, which a pilot still names).
  std::vector<ApproachConfig> arms = {*config.find_approach(plan_.champion)};
  if (!plan_.challenger.empty()) arms.push_back(*config.find_approach(plan_.challenger));
  enforce_local_only(config.privacy, arms,
                     plan_.challenger.empty()
                         ? "Serve a local approach instead: name it in [pilot] champion, or put "
                           "it first among the [[approach]] tables (served when no champion is "
                           "named)"
                         : "Pilot local approaches instead ([pilot] champion and challenger, or "
                           "the --plan memo's arms)");
  champion_ = load_served_approach(*config.find_approach(plan_.champion), config, champion_load);
  if (!plan_.challenger.empty())
    challenger_ =
        load_served_approach(*config.find_approach(plan_.challenger), config, challenger_load);
}

// The plan `tunecase pilot` judges by when it is given none. The latest start's plan is the one
// running; a change of arms or mode is said at start, since the store's figures then mix runs.
void Gateway::record_plan() {
  std::optional<std::string> before = store_->meta(kRecordedPlanKey);
  store_->set_meta(kRecordedPlanKey, to_json(plan_).dump());
  if (!before) return;
  nlohmann::json old = nlohmann::json::parse(*before, nullptr, false);
  std::string was;
  try {
    was = plan_summary(pilot_plan_from_json(old));
  } catch (const UserError&) {
    return;  // written by another version: nothing to compare
  }
  // A new share on the same store: the ids whose hash falls between the two shares change arm,
  // and the sample-ratio check over the store's counts compares a mix of two splits with the
  // new one (it blocked the verdict, with no word of why, at the next report).
  const double old_share = old.value("share", plan_.share);
  const auto routes = [](const std::string& mode) { return mode == "split" || mode == "fallback"; };
  if (routes(old.value("mode", std::string())) && routes(serve_mode_name(plan_.mode)) &&
      std::fabs(old_share - plan_.share) > 1e-9)
    plan_notes_.push_back(fmt::format(
        "[pilot] share is {:.3g} where this store's pilot ran at {:.3g}: about {:.0f}% of the ids "
        "now go to the other arm (every id keeps its hash; the cut between the arms moved), and "
        "the report's sample-ratio check counts the requests of both shares against the new one, "
        "which blocks the verdict. Start a new pilot on a new store (--store) to change the "
        "share, or keep {:.3g}",
        plan_.share, old_share, 100 * std::fabs(old_share - plan_.share), old_share));
  if (was == plan_summary(plan_)) return;
  plan_notes_.push_back(fmt::format(
      "this store's previous pilot ran as '{}'; this start serves '{}'. Its report counts the "
      "predictions of the arms served now since the store's first start; start a new pilot on "
      "a new store (--store) to keep the runs apart",
      was, plan_summary(plan_)));
}

// The memo's figures for the dashboard's "decision context", and the memo itself (decide writes
// memo.html beside decision.json). make_pilot_plan has already checked the file.
void Gateway::load_decision() {
  if (!options_.operation_plan.empty()) {
    refuse_folder_as_file(options_.operation_plan, "an operation plan (--operation-plan)");
    std::ifstream plan(options_.operation_plan, std::ios::binary);
    if (!plan)
      throw UserError(
          fmt::format("--operation-plan {}: cannot read it; write it with `tunecase "
                      "plan` or drop the flag",
                      options_.operation_plan.string()));
    std::ostringstream text;
    text << plan.rdbuf();
    plan_html_ = text.str();
    dashboard_.plan_available = true;
  }
  if (options_.plan_file.empty()) return;
  std::ifstream in(options_.plan_file);
  dashboard_.decision = nlohmann::json::parse(in, nullptr, false);
  if (dashboard_.decision.is_discarded()) dashboard_.decision = nullptr;
  std::ifstream memo(options_.plan_file.parent_path() / "memo.html", std::ios::binary);
  if (!memo) return;
  std::ostringstream text;
  text << memo.rdbuf();
  memo_html_ = text.str();
  dashboard_.memo_available = !memo_html_.empty();
}

// Feedback labels come from [labels] when given, else from what the approaches know. A served
// model may answer a label beyond [labels] (retrained on feedback recorded with --new-labels):
// feedback confirming its answers is taken too, and the start says so.
std::vector<std::string> Gateway::label_set(const ProjectConfig& config) {
  std::vector<std::string> labels = config.data.allowed_labels;
  const bool given = !labels.empty();
  if (!given)
    for (const auto& [label, description] : config.label_descriptions) labels.push_back(label);
  for (const ServedApproach* approach : {champion_.get(), challenger_.get()}) {
    if (approach == nullptr) continue;
    std::vector<std::string> beyond = add_labels_of(*approach, labels);
    if (!given || beyond.empty()) continue;
    const char* them = beyond.size() == 1 ? "it" : "them";
    model_notes_.push_back(fmt::format(
        "approach '{}' answers {} label{} outside [labels]: {}. Feedback with {} is taken; add {} "
        "to [labels] so that LLM prompts and reports know {} too",
        approach->name(), beyond.size(), beyond.size() == 1 ? "" : "s", quoted_list(beyond, 10),
        them, them, them));
  }
  if (!given) std::sort(labels.begin(), labels.end());
  return labels;
}

// The labels feedback may carry now: the set at start and what the served models answer, which
// a model promoted since the start may have widened.
std::vector<std::string> Gateway::feedback_labels() const {
  std::vector<std::string> labels = labels_;
  for (const ServedApproach* approach : {champion_.get(), challenger_.get()})
    if (approach != nullptr) add_labels_of(*approach, labels);
  return labels;
}

int Gateway::start() {
  int port = server_->start();
  watch_->set_load_retry(options_.model_load_retry);
  watch_->start(options_.model_poll);
  file_watch_ = std::thread([this] {
    std::unique_lock lock(file_watch_mutex_);
    while (!file_watch_wake_.wait_for(lock, std::chrono::seconds(1),
                                      [this] { return file_watch_stopping_; })) {
      lock.unlock();
      try {
        store_->check_files();
      } catch (const std::exception&) {
        // The next commit meets the same fault and reports it as a store failure.
      }
      lock.lock();
    }
  });
  return port;
}

int64_t Gateway::uncached_answers() const {
  std::shared_lock lock(approaches_mutex_);
  int64_t n = uncached_at_stop_;  // the approaches are gone after stop()
  for (const ServedApproach* a : {champion_.get(), challenger_.get()})
    if (a != nullptr) n += a->uncached_answers();
  return n;
}

void Gateway::stop(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  // Order matters: every callback still in flight must find what it calls alive.
  if (watch_) watch_->stop();  // no model swap while the gateway winds down
  if (file_watch_.joinable()) {
    {
      std::lock_guard lock(file_watch_mutex_);
      file_watch_stopping_ = true;
    }
    file_watch_wake_.notify_all();
    file_watch_.join();
  }
  // Shadow calls are off the response path: the loops run until they answer too (up to a
  // grace of their own), since the LLM client runs on them.
  if (server_)
    server_->stop_accepting(grace,
                            [this] { return dispatcher_ && dispatcher_->shadow_in_flight() > 0; });
  if (dispatcher_) dispatcher_->shutdown();  // fires pending challenger time-outs
  background_.reset();                       // runs queued feedback and in-process shadow work
  for (auto* approach : {champion_.get(), challenger_.get()})
    if (approach) approach->shutdown();  // no retry may reach the client destroyed next
  // The calls still in flight are cut while the loops run, so their clients are told to retry
  // (503, Dispatcher::cut_by_stop) on connections that are still open: with the loops stopped
  // first, they had met a closed connection.
  http_.reset();  // completes the LLM calls in flight
  {
    std::unique_lock lock(approaches_mutex_);
    for (auto* approach : {champion_.get(), challenger_.get()})
      if (approach) uncached_at_stop_ += approach->uncached_answers();
    challenger_.reset();  // completes LLM retries waiting for their back-off
    champion_.reset();
  }
  if (server_) server_->stop(std::chrono::milliseconds(500));  // those 503s written, then closed
  if (dispatcher_) {
    shadow_cut_at_stop_ = dispatcher_->shadow_cut_at_stop();
    answers_cut_at_stop_ = dispatcher_->answers_cut_at_stop();
  }
  dispatcher_.reset();
  if (log_) log_->stop();  // commits every logged prediction
  if ((replay_now_ || options_.simulated_clock) && store_) {
    try {
      // Replicas on replay clocks stop one after another: the store keeps the latest of their
      // times, not the last to stop's (its report then counted up to an earlier time).
      keep_latest_replay_time(*store_, replay_now_ ? replay_now_->load() : options_.clock());
    } catch (const std::exception& e) {
      fmt::print(stderr, "cannot record the replay clock's last time: {}\n", e.what());
    }
  }
}

// A store a replay filled keeps its clock's last time (stop()). A later start resumes that clock
// rather than going back: --replay-clock with an earlier date had judged the pilot before its
// first request (an empty report), and a start on the wall clock had cleared the time and
// judged the replayed pilot as of today (a 52-day pilot read 329 days, its traffic and cost per
// day divided to match).
void Gateway::resume_replay_clock() {
  if (options_.simulated_clock) return;
  const std::optional<int64_t> kept = stored_replay_clock(*store_);
  if (!kept) return;
  const int64_t at = *kept;
  if (replay_now_) {
    if (at <= replay_now_->load()) return;
    plan_notes_.push_back(
        fmt::format("the store's replay clock stood at {} UTC when its last replay stopped, after "
                    "--replay-clock: the clock resumes there, since it never goes back",
                    utc_text(at)));
    replay_now_->store(at);
    return;
  }
  replay_now_ = std::make_shared<std::atomic<int64_t>>(at);
  options_.clock = [now = replay_now_] { return now->load(); };
  plan_notes_.push_back(fmt::format(
      "this store was filled by a replay whose clock stood at {} UTC: the gateway resumes that "
      "clock, so the pilot's days, traffic and cost per day stay as of the replay (a request "
      "without \"at\" is dated there too). For live traffic start on a new store (--store)",
      utc_text(at)));
}

// A store that served live traffic holds its pilot's start on the wall clock: a replay clock
// before it had judged that pilot before its start (-646 days elapsed, every request and label
// left out of the report) without a word, and one after it had made the live store a replay
// store for good (a later live start resumed the replay's frozen clock). The clock a store's
// pilot started on is kept (meta "pilot.clock": wall, replay or simulated).
void Gateway::refuse_replay_before_live_start() {
  const std::string kind = options_.simulated_clock ? "simulated" : replay_now_ ? "replay" : "wall";
  const std::optional<std::string> started = store_->meta("pilot.started_at_ms");
  // A store from before the key: one with a pilot start and no replay clock served live.
  const std::string kept = store_->put_meta_if_absent("pilot.clock", !started ? kind
                                                                     : stored_replay_clock(*store_)
                                                                         ? std::string("replay")
                                                                         : std::string("wall"));
  if (!replay_now_) return;
  if (kept == "wall")
    throw UserError(fmt::format(
        "--replay-clock {} UTC on a store whose pilot runs on the wall clock (it started at {} "
        "UTC with live traffic): a replay would date its requests on another clock and freeze "
        "the live gateway's clock at the replay's last time. Replay into a store of its own "
        "(--store NEW.db)",
        utc_text(replay_now_->load()), started ? utc_text(std::stoll(*started)) : "?"));
  if (!started) return;
  int64_t at = 0;
  try {
    at = std::stoll(*started);
  } catch (const std::exception&) {
    return;
  }
  if (at <= replay_now_->load()) return;
  throw UserError(fmt::format(
      "--replay-clock {} UTC is before this store's pilot started ({} UTC, on the wall clock: it "
      "served live traffic): its report would leave out every request and label before then. "
      "Replay into a store of its own (--store NEW.db)",
      utc_text(replay_now_->load()), utc_text(at)));
}

const PreviousRun& Gateway::previous_run() const {
  return log_->previous_run();
}

std::vector<std::string> Gateway::startup_notes() const {
  std::vector<std::string> notes = plan_.notes;
  notes.insert(notes.end(), plan_notes_.begin(), plan_notes_.end());
  notes.insert(notes.end(), model_notes_.begin(), model_notes_.end());
  for (const ServedApproach* approach : {champion_.get(), challenger_.get()})
    if (approach && !approach->model_note().empty())
      notes.push_back(fmt::format("approach '{}': {}", approach->name(), approach->model_note()));
  bool serves_llm = false;
  for (const ServedApproach* approach : {champion_.get(), challenger_.get()})
    serves_llm = serves_llm || (approach && !approach->in_process());
  if (serves_llm && !options_.cache_file.empty())
    notes.push_back(fmt::format(
        "LLM answers already in the response cache ({}) are served from it, free and in well "
        "under a millisecond: replaying texts that eval scored measures the cache, not the "
        "endpoint; --no-cache measures every call",
        options_.cache_file.string()));
  // Said once: when another instance's start has said this one's losses, its own start does
  // not say them again (summing the notes counted the loss twice).
  if (!previous_run().reported)
    if (auto note = unflushed_run_note(previous_run(), options_.log.instance, options_.log.window))
      notes.push_back(std::move(*note));
  // A gateway killed and started again on another port is another instance (HOST:PORT): its
  // killed run is reported by whichever instance on this host starts next, once.
  for (const OtherUnflushedRun& other : log_->other_unflushed_runs()) {
    PreviousRun run = other.run;
    run.clean = false;
    if (auto note = unflushed_run_note(run, other.instance, options_.log.window))
      notes.push_back(fmt::format(
          "{} (pid {} on this host, no longer running; said once, at this start of instance "
          "'{}': a gateway started again under another --port or --instance is another "
          "instance)",
          *note, other.pid, options_.log.instance));
  }
  return notes;
}

PredictionLog::Stats Gateway::log_stats() const {
  return log_->stats();
}

bool Gateway::store_failing() const {
  return log_->store_failing();
}
http::ServerStats Gateway::server_stats() const {
  return server_->stats();
}

}  // namespace tunecase::serve
