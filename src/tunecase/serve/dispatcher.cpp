#include "tunecase/serve/dispatcher.h"

#include <atomic>

#include "tunecase/core/hash.h"
#include "tunecase/core/json_write.h"
#include "tunecase/data/utf8_check.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/serve/routing.h"

namespace tunecase::serve {
namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

std::optional<ServeMode> parse_serve_mode(const std::string& name) {
  if (name == "split") return ServeMode::split;
  if (name == "shadow") return ServeMode::shadow;
  if (name == "fallback") return ServeMode::fallback;
  if (name == "production") return ServeMode::production;
  return std::nullopt;
}

std::string serve_mode_name(ServeMode mode) {
  switch (mode) {
    case ServeMode::production:
      return "production";
    case ServeMode::split:
      return "split";
    case ServeMode::shadow:
      return "shadow";
    case ServeMode::fallback:
      return "fallback";
  }
  return "production";
}

nlohmann::json to_json(const ClassifyAnswer& a) {
  nlohmann::json j = {{"label", a.label ? nlohmann::json(*a.label) : nlohmann::json(nullptr)},
                      {"approach", a.approach},
                      {"arm", arm_name(a.arm)},
                      {"prediction_id", a.prediction_id},
                      {"latency_ms", a.latency_ms},
                      {"model_version", a.model_version},
                      {"simulated", a.simulated}};
  if (a.confidence) j["confidence"] = *a.confidence;
  if (a.needs_human) j["needs_human"] = true;
  if (a.fallback) j["fallback"] = true;
  return j;
}

std::string answer_body(const ClassifyAnswer& a) {
  const std::string* strings[] = {&a.approach, &a.prediction_id, &a.model_version,
                                  a.label ? &*a.label : &a.approach};
  for (const std::string* s : strings)
    if (invalid_utf8_offset(*s)) return to_json(a).dump();  // dump() reports it, as it did
  // dump()'s order: the keys sorted. Numbers through dump() too, for its digits.
  std::string out;
  out.reserve(192 + a.approach.size() + a.prediction_id.size() + a.model_version.size() +
              (a.label ? a.label->size() : 0));
  out += "{\"approach\":";
  append_json_string(out, a.approach);
  out += ",\"arm\":";
  append_json_string(out, arm_name(a.arm));
  if (a.confidence) out += ",\"confidence\":" + nlohmann::json(*a.confidence).dump();
  if (a.fallback) out += ",\"fallback\":true";
  out += ",\"label\":";
  if (a.label) {
    append_json_string(out, *a.label);
  } else {
    out += "null";
  }
  out += ",\"latency_ms\":" + nlohmann::json(a.latency_ms).dump();
  out += ",\"model_version\":";
  append_json_string(out, a.model_version);
  if (a.needs_human) out += ",\"needs_human\":true";
  out += ",\"prediction_id\":";
  append_json_string(out, a.prediction_id);
  out += a.simulated ? ",\"simulated\":true}" : ",\"simulated\":false}";
  return out;
}

struct Dispatcher::Job {
  ClassifyBody body;
  std::string request_id;
  std::string text_hash;
  int64_t created_at_ms = 0;
  std::chrono::steady_clock::time_point start;
  std::function<void(ClassifyAnswer)> done;
  // False: the log was full while the store failed; answered, its predictions not stored.
  bool stored = true;
};

Dispatcher::Dispatcher(ServedApproach& champion, ServedApproach* challenger,
                       DispatchSettings settings, PredictionLog& log, Metrics& metrics,
                       BlockingPool& background)
    : champion_(champion),
      challenger_(challenger),
      settings_(std::move(settings)),
      log_(log),
      metrics_(metrics),
      background_(background) {
  if (!challenger_) settings_.mode = ServeMode::production;
}

bool Dispatcher::classify(ClassifyBody body, std::function<void(ClassifyAnswer)> done) {
  std::size_t records = settings_.mode == ServeMode::shadow ? 2 : 1;
  bool stored = log_.reserve(records);
  // A full log refuses (503) under overload; while the store fails, the feature keeps its
  // answers and the predictions are counted as not stored.
  if (!stored && !log_.store_failing()) return false;
  auto job = std::make_shared<Job>();
  job->stored = stored;
  job->start = std::chrono::steady_clock::now();
  job->created_at_ms = settings_.clock();
  job->text_hash = text_hash(body.text);
  // Without a client id the prediction id is the item's id, so a shadow pair stays one item.
  job->request_id = body.id.empty() ? make_prediction_id() : body.id;
  job->body = std::move(body);
  job->done = std::move(done);
  if (settings_.mode == ServeMode::production || settings_.mode == ServeMode::shadow) {
    answer_from(champion_, Arm::champion, job);
    if (settings_.mode == ServeMode::shadow) shadow(job);
    return true;
  }
  const double weights[] = {1.0 - settings_.share, settings_.share};
  bool to_challenger = arm_for(job->body.id, settings_.salt, weights) == 1;
  if (!to_challenger)
    answer_from(champion_, Arm::champion, job);
  else if (settings_.mode == ServeMode::fallback)
    challenger_with_fallback(job);
  else
    answer_from(*challenger_, Arm::challenger, job);
  return true;
}

void Dispatcher::shutdown() {
  stopping_ = true;
  timers_.reset();
}

// A call that failed once the gateway was stopping was cut off by the stop (the LLM client shut
// down past the grace): it is no measure of the arm, so it is not logged, and its client (if
// still connected) is told to retry.
bool Dispatcher::cut_by_stop(const Job& job, const ServedAnswer& served) {
  if (!stopping_ || !served.prediction.error) return false;
  ++answers_cut_;
  if (job.stored) log_.release();
  ClassifyAnswer answer;
  answer.status = 503;
  answer.error = "the gateway stopped before the answer came; retry the request";
  job.done(std::move(answer));
  return true;
}

// A call that never left this machine (the gateway out of open files or memory) is no measure of
// the approach either: not logged as its error, and its client is told to retry (503).
bool Dispatcher::local_fault(const Job& job, const ServedAnswer& served) {
  if (!served.prediction.error || !served.prediction.local_fault) return false;
  if (job.stored) log_.release();
  refuse_for_local_fault(job, *served.prediction.error);
  return true;
}

void Dispatcher::refuse_for_local_fault(const Job& job, const std::string& error) {
  ++local_faults_;
  metrics_.refused();
  ClassifyAnswer answer;
  answer.status = 503;
  answer.error = "the gateway is out of open files or memory (" + error + "); retry shortly";
  job.done(std::move(answer));
}

void Dispatcher::answer_from(ServedApproach& approach, Arm arm, std::shared_ptr<Job> job) {
  approach.classify(job->body.text, [this, &approach, arm, job](ServedAnswer served) {
    if (cut_by_stop(*job, served) || local_fault(*job, served)) return;
    PredictionRecord record = record_of(*job, approach, arm, served);
    ClassifyAnswer answer = answer_of(*job, record, served);
    log(*job, std::move(record));
    job->done(std::move(answer));
  });
}

// The challenger races its time-out; whichever settles first decides, the other is ignored (a
// late challenger answer is dropped: the client already has the champion's).
void Dispatcher::challenger_with_fallback(std::shared_ptr<Job> job) {
  auto settled = std::make_shared<std::atomic<bool>>(false);
  timers_->after(settings_.challenger_timeout, [this, job, settled](bool) {
    if (settled->exchange(true)) return;
    ServedAnswer cut;
    cut.prediction.error =
        "time-out after " + std::to_string(settings_.challenger_timeout.count()) + " ms";
    cut.prediction.timed_out = true;
    // An LLM call cut off here goes on, and its answer, dropped, is billed: at a cost unknown.
    if (!challenger_->in_process()) cut.prediction.unpriced_attempts = 1;
    // The call ran at least this long: its upstream time is that, not 0.
    cut.prediction.latency_ms = static_cast<double>(settings_.challenger_timeout.count());
    fall_back(job, std::move(cut));
  });
  challenger_->classify(job->body.text, [this, job, settled](ServedAnswer served) {
    if (settled->exchange(true)) return;
    if (local_fault(*job, served)) return;
    if (served.prediction.error) {
      // The failed call's own figures (its time, any tokens it was billed) stay on its record.
      fall_back(job, std::move(served));
      return;
    }
    PredictionRecord record = record_of(*job, *challenger_, Arm::challenger, served);
    ClassifyAnswer answer = answer_of(*job, record, served);
    log(*job, std::move(record));
    job->done(std::move(answer));
  });
}

// The challenger's failure is logged on its arm (it counts against it); the champion answers,
// within what is left of the request's call deadline. The failure's record is written once the
// champion has answered, so that it holds what the arm's client met: its latency runs to the
// fallback answer (the challenger's own call stays in upstream_ms), and the fallback call's
// tokens and cost are added to it, since answering that request cost them.
void Dispatcher::fall_back(std::shared_ptr<Job> job, ServedAnswer failed) {
  // Stopping: the failure is the stop's (a call cut off, or a time-out fired early by
  // shutdown()), not the challenger's.
  if (cut_by_stop(*job, failed)) return;
  auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - job->start);
  auto left = std::max(std::chrono::milliseconds(1000), settings_.call_deadline - spent);
  champion_.classify_within(
      job->body.text, left, [this, job, failed = std::move(failed)](ServedAnswer served) {
        PredictionRecord failure = record_of(*job, *challenger_, Arm::challenger, failed);
        failure.fallback = true;
        const Prediction& fb = served.prediction;
        if (!fb.cached) {  // an answer from the cache sent nothing
          failure.tokens_in += fb.tokens_in;
          failure.tokens_out += fb.tokens_out;
        }
        if (fb.cost_usd) failure.cost_usd = failure.cost_usd.value_or(0) + *fb.cost_usd;
        failure.unpriced_attempts += fb.unpriced_attempts;
        // What the client got came from the champion: an answer of sim-llm's makes the record
        // simulated, as its tokens, cost and latency are (they had been stored as measured).
        failure.simulated = failure.simulated || served.simulated;
        log(*job, failure);
        if (fb.error && fb.local_fault) return refuse_for_local_fault(*job, *fb.error);
        PredictionRecord as_champion = record_of(*job, champion_, Arm::champion, served);
        ClassifyAnswer answer = answer_of(*job, as_champion, served);
        answer.arm = Arm::challenger;
        answer.prediction_id = failure.prediction_id;
        answer.fallback = true;
        job->done(std::move(answer));
      });
}

void Dispatcher::shadow(std::shared_ptr<Job> job) {
  auto run = [this, job] {
    auto start = std::chrono::steady_clock::now();
    challenger_->classify(job->body.text, [this, job, start](ServedAnswer served) {
      if ((stopping_ || served.prediction.local_fault) && served.prediction.error) {
        // Cut off by the stop (the client or the caller shut down), or never sent (the gateway
        // out of open files): no measure of the challenger.
        ++(stopping_ ? shadow_cut_ : local_faults_);
        if (job->stored) log_.release();
      } else {
        PredictionRecord record = record_of(*job, *challenger_, Arm::shadow, served);
        record.latency_ms = ms_since(start);
        log(*job, std::move(record));
      }
      --shadow_in_flight_;
    });
  };
  if (!challenger_->in_process()) {
    ++shadow_in_flight_;
    run();  // an LLM call returns at once
    return;
  }
  // Busy: this item has no shadow answer.
  if (!background_.submit(run) && job->stored) log_.release();
}

PredictionRecord Dispatcher::record_of(const Job& job, const ServedApproach& approach, Arm arm,
                                       const ServedAnswer& served) const {
  const Prediction& p = served.prediction;
  PredictionRecord r;
  r.prediction_id = make_prediction_id();
  r.request_id = job.request_id;
  r.approach = approach.name();
  r.arm = arm;
  r.segment = job.body.segment;
  r.label = p.label;  // one of the label set (checked as UTF-8 when read), or ""
  r.confidence = p.confidence;
  r.abstained = !p.error && settings_.abstain_below && p.confidence &&
                *p.confidence < *settings_.abstain_below;
  r.latency_ms = ms_since(job.start);
  r.upstream_ms = approach.in_process() ? 0.0 : p.latency_ms;
  // Tokens sent and billed: an answer from the response cache sent none (its tokens had been
  // added up as if it had, ten times the cost's worth for one text asked ten times).
  r.tokens_in = p.cached ? 0 : p.tokens_in;
  r.tokens_out = p.cached ? 0 : p.tokens_out;
  r.cost_usd = p.cost_usd;
  r.unpriced_attempts = p.unpriced_attempts;
  r.error = p.error;
  r.timed_out = p.error && p.timed_out;
  r.cached = p.cached;
  if (!p.error && p.invalid) r.error = "the answer maps to no label: " + p.raw.substr(0, 200);
  // An error quotes what an upstream sent, cut at a byte count: stored as well-formed UTF-8, since
  // PostgreSQL refuses anything else and the reports are JSON.
  if (r.error) r.error = valid_utf8(*r.error);
  r.simulated = served.simulated;
  r.text_hash = job.text_hash;
  if (settings_.keep_texts)
    r.text = settings_.kept_text_redactor ? settings_.kept_text_redactor->redact(job.body.text)
                                          : job.body.text;
  r.created_at_ms = job.created_at_ms;
  r.model_version = served.model_version.empty() ? approach.model_version() : served.model_version;
  return r;
}

ClassifyAnswer Dispatcher::answer_of(const Job& job, const PredictionRecord& record,
                                     const ServedAnswer& served) const {
  ClassifyAnswer a;
  a.approach = record.approach;
  a.arm = record.arm;
  a.prediction_id = record.prediction_id;
  a.model_version = record.model_version;
  a.latency_ms = record.latency_ms;
  a.simulated = served.simulated;
  a.confidence = record.confidence;
  if (served.prediction.error) {
    a.status = 502;
    a.error = "approach '" + record.approach + "' failed: " + *served.prediction.error;
    return a;
  }
  // An LLM answer that maps to no label is logged as an error and handed to a human.
  if (record.abstained || record.error)
    a.needs_human = true;
  else
    a.label = record.label;
  (void)job;
  return a;
}

namespace {

constexpr auto kFailureLineEvery = std::chrono::minutes(1);

void print_failures(const std::string& approach, const std::string& arm, int64_t failed,
                    const std::string& since, const std::string& last_error, bool fallback) {
  // An account out of credit is not an endpoint or key to check: said as what it is.
  const char* what_to_do =
      says_out_of_credit(last_error)
          ? "the provider says the account is out of credit or over its spending quota: add "
            "credit or raise the limit at the provider"
      : last_error.starts_with("the answer maps to no label")
          ? "the endpoint answered, but not with a label: check the model and its prompt "
            "against the labels (docs/llm-approaches.md, \"Reading the answer\")"
          : "check its endpoint and key";
  fmt::print(stderr,
             "approach '{}' ({}): {} prediction{} failed{} (the last: {}){}; {} "
             "(tunecase_errors_total counts them)\n",
             approach, arm, failed, failed == 1 ? "" : "s", since, last_error,
             fallback ? "; the champion answered in its place (fallback)" : "", what_to_do);
}

}  // namespace

void Dispatcher::say_failure(const PredictionRecord& record) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(failures_mutex_);
  FailureWindow& w = failures_[record.approach];
  ++w.unsaid;
  w.last_error = record.error.value_or("unknown");
  w.arm = std::string(arm_name(record.arm));
  w.fallback = record.fallback;
  if (!w.said || now - w.said_at >= kFailureLineEvery) {
    const std::string since =
        w.said
            ? fmt::format(" in the last {} s",
                          std::chrono::duration_cast<std::chrono::seconds>(now - w.said_at).count())
            : std::string();
    print_failures(record.approach, w.arm, w.unsaid, since, w.last_error, w.fallback);
    w.unsaid = 0;
    w.said = true;
    w.said_at = now;
    return;
  }
  if (w.held) return;
  w.held = true;
  const std::string approach = record.approach;
  timers_->at(w.said_at + kFailureLineEvery,
              [this, approach](bool cancelled) { say_failures_held(approach, cancelled); });
}

void Dispatcher::say_failures_held(const std::string& approach, bool at_stop) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(failures_mutex_);
  FailureWindow& w = failures_[approach];
  w.held = false;
  if (w.unsaid == 0) return;
  print_failures(
      approach, w.arm, w.unsaid,
      at_stop
          ? " since the last line, before the stop"
          : fmt::format(" in the last {} s",
                        std::chrono::duration_cast<std::chrono::seconds>(now - w.said_at).count()),
      w.last_error, w.fallback);
  w.unsaid = 0;
  w.said_at = now;
}

void Dispatcher::log(const Job& job, PredictionRecord record) {
  metrics_.observe(record);
  if (record.error) say_failure(record);
  if (job.stored)
    log_.append(std::move(record));
  else
    log_.not_stored();
}

}  // namespace tunecase::serve
