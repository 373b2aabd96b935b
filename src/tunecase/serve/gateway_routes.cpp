// The gateway's routes (Gateway's request handling; construction and lifecycle are in
// gateway.cpp).
#include <cctype>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "tunecase/core/ascii_case.h"
#include "tunecase/core/error.h"
#include "tunecase/core/suggest.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/privacy/endpoint_locality.h"
#include "tunecase/serve/blocking_pool.h"
#include "tunecase/serve/dashboard_assets.h"
#include "tunecase/serve/dispatcher.h"
#include "tunecase/serve/gateway.h"
#include "tunecase/serve/metrics.h"
#include "tunecase/serve/pilot_report.h"
#include "tunecase/serve/served_approach.h"

namespace tunecase::serve {
namespace {

using http::Response;

Response error(int status, const std::string& message) {
  return http::default_error_page(status, message);
}

constexpr const char* kNoReplayClock =
    "\"at\" dates a request of a replay, and this gateway keeps its own clock (the time a "
    "request arrives is its time): start `tunecase serve --replay-clock DATE` for a replay "
    "(never for live traffic), or leave \"at\" out";

// When a prediction id was made (its first 12 hex digits are milliseconds since 1970:
// make_prediction_id), or nullopt for an id not of that shape.
std::optional<int64_t> prediction_id_ms(const std::string& id) {
  if (id.size() != 32) return std::nullopt;
  int64_t ms = 0;
  for (std::size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return std::nullopt;
    if (i < 12) ms = ms * 16 + digit;
  }
  return ms;
}

Response busy(const std::string& what) {
  Response r = error(503, what + "; retry shortly");
  r.headers.set("Retry-After", "1");
  return r;
}

nlohmann::json feedback_json(const FeedbackResult& result) {
  nlohmann::json j = {{"status", feedback_outcome_name(result.outcome)},
                      {"predictions", result.predictions}};
  if (result.previous_label) j["previous"] = *result.previous_label;
  return j;
}

// How long a feedback for an id no replica has stored waits for the other replicas' queues, and
// how many may wait at once (each holds its request and answer, a few hundred bytes).
constexpr std::chrono::milliseconds kReplicaFeedbackWait{1000};
constexpr std::size_t kMostParkedFeedback = 4096;

// The log's state for the pilot and dashboard reports (the store's error only behind the token).
// How long /v1/pilot and the dashboard wait for this replica's queued predictions to commit.
constexpr std::chrono::milliseconds kReportFlushWait{1000};

nlohmann::json log_json(const PredictionLog::Stats& s) {
  nlohmann::json j = {{"queued", s.queued}, {"committed", s.committed}, {"not_stored", s.dropped}};
  if (s.failing_for_s > 0)
    j["store_failing"] = {{"for_s", s.failing_for_s}, {"error", s.store_error}};
  return j;
}

// 200 either way: the gateway still answers while its store fails, and a probe that restarted
// it would lose the predictions it holds for the store.
Response health(const PredictionLog::Health& h, const std::optional<std::string>& feedback,
                const std::map<std::string, std::string>& unloaded) {
  if (!h.store_failing && h.not_stored == 0 && !feedback && unloaded.empty())
    return Response::json(200, R"({"status":"ok"})");
  nlohmann::json j = {
      {"status", h.store_failing || feedback || !unloaded.empty() ? "degraded" : "ok"},
      {"queued", h.queued},
      {"not_stored", h.not_stored}};
  // The log's commits may go through while feedback fails (a damaged page only feedback
  // reaches): every label refused with a 503 had left the status "ok".
  if (feedback)
    j["feedback_failing"] = fmt::format(
        "the store refused the last feedback sent while the log's commits went through, and "
        "none was stored since: {}",
        *feedback);
  // A promotion or rollback this gateway could not follow (the folder missing, changed or
  // damaged here): it answers with another model than the registry's, which only /v1/models
  // and stderr had said while the status read "ok".
  if (!unloaded.empty()) {
    nlohmann::json champions = nlohmann::json::object();
    std::string named;
    for (const auto& [approach, version] : unloaded) {
      champions[approach] = version;
      named +=
          fmt::format("{}'{}' ({})", named.empty() ? "" : ", ", approach, version.substr(0, 12));
    }
    j["registry_champion_not_loaded"] = champions;
    j["model_reason"] = fmt::format(
        "the model registry's champion of {} could not be loaded here, so this gateway answers "
        "with the model it served before; see serve's log and GET /v1/models",
        named);
  }
  if (h.store_failing && h.stalled) {
    j["store_failing_for_s"] = h.failing_for_s;
    j["reason"] = fmt::format(
        "a commit to the store has not returned for {:.0f} s (a lock another session holds, a "
        "server that stopped answering): {} predictions wait in this gateway's queue, {} were "
        "answered and not stored; see serve's log",
        h.failing_for_s, h.queued, h.not_stored);
  } else if (h.store_failing) {
    j["store_failing_for_s"] = h.failing_for_s;
    j["reason"] = fmt::format(
        "the store has refused commits for {:.0f} s: {} predictions wait in this gateway's queue "
        "(kept until the store commits), {} were answered and not stored; see serve's log",
        h.failing_for_s, h.queued, h.not_stored);
  }
  return Response::json(200, j.dump());
}

// A body sent compressed (Content-Encoding: gzip, br, ...) is refused by name: read as JSON it
// would be "not valid JSON", which sends a client looking in the wrong place. RFC 9110 15.5.16:
// 415 for a content coding the server does not take.
std::optional<Response> encoding_refusal(const http::Request& request) {
  // Every Content-Encoding field, and every coding in each (a list, "identity, gzip"): one that
  // is not identity is the body's.
  for (const auto& [name, field] : request.headers.fields()) {
    if (!http::equals_ignoring_case(name, "Content-Encoding")) continue;
    for (std::string_view value : http::field_items(field)) {
      if (http::equals_ignoring_case(value, "identity")) continue;
      Response r = error(
          415, fmt::format("{} takes an uncompressed JSON body; this one says Content-Encoding: "
                           "{}. Send it without compression (no Content-Encoding header)",
                           request.path, value));
      r.headers.set("Accept-Encoding", "identity");
      return r;
    }
  }
  return std::nullopt;
}

bool needs_token(const std::string& path) {
  for (const char* guarded : {"/v1/feedback", "/v1/pilot", "/v1/models", "/v1/dashboard",
                              "/metrics", "/memo", "/plan", "/plan.html"})
    if (path == guarded) return true;
  return false;
}

}  // namespace

void Gateway::handle(http::Request request, http::Responder responder) {
  const std::string& path = request.path;
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";
  // A GET route takes HEAD too, and says so in Allow.
  auto wrong_method = [&](const char* allowed) {
    const bool takes_get = std::string_view(allowed) == "GET";
    Response r =
        error(405, fmt::format("{} takes {} only", path, takes_get ? "GET (or HEAD)" : allowed));
    r.headers.set("Allow", takes_get ? "GET, HEAD" : allowed);
    metrics_->client_error();
    responder.respond(std::move(r));
  };
  if (path == "/v1/classify") return post ? classify(request, responder) : wrong_method("POST");
  if (path == "/healthz")
    return get ? responder.respond(
                     health(log_->health(), metrics_->feedback_failing(), unloaded_champions()))
               : wrong_method("GET");
  // Without a token, those routes still refuse what a web page the operator's browser opened
  // can send: feedback that would move the pilot's verdict, reads of its figures.
  if (options_.token.empty() && needs_token(path))
    if (auto refused = browser_refusal(request)) {
      metrics_->client_error();
      return responder.respond(std::move(*refused));
    }
  // With a token, every route that carries the pilot's figures, the business case or the
  // models asks for it; classify, the health check and the dashboard's files (no data) do not.
  if (!authorised(request) && needs_token(path)) {
    // A client that sent a token is told it was refused, not asked for one.
    Response r =
        error(401, request.headers.get("Authorization").empty()
                       ? fmt::format("{} needs the gateway's token: send Authorization: Bearer "
                                     "TOKEN",
                                     path)
                       : fmt::format("{}: the Authorization header does not carry the gateway's "
                                     "token; send Authorization: Bearer TOKEN with the token "
                                     "of the variable serve's --token-env names",
                                     path));
    r.headers.set("WWW-Authenticate", "Bearer");
    metrics_->client_error();
    return responder.respond(std::move(r));
  }
  if (path == "/v1/feedback") return post ? feedback(request, responder) : wrong_method("POST");
  if (path == "/v1/pilot") return get ? pilot(responder) : wrong_method("GET");
  if (path == "/v1/models") return get ? models(responder) : wrong_method("GET");
  if (path == "/metrics") return get ? metrics(responder) : wrong_method("GET");
  if (path == "/v1/dashboard") return get ? dashboard(responder) : wrong_method("GET");
  if (path == "/memo")
    return get ? page(
                     memo_html_,
                     "no memo: start serve with --plan decision/decision.json, memo.html beside it",
                     responder)
               : wrong_method("GET");
  // The memo links its operation plan as "plan.html", beside it on disk: served at /memo, that
  // link reads /plan.html, which had been a 404.
  if (path == "/plan" || path == "/plan.html")
    return get ? page(plan_html_, "no operation plan: start serve with --operation-plan FILE",
                      responder)
               : wrong_method("GET");
  if (auto asset = dashboard_asset(path)) {
    if (!get) return wrong_method("GET");
    Response r = Response::text(200, std::string(asset->body));
    r.content_type = std::string(asset->content_type);
    // The page asks for its data; the files only change with the binary.
    r.headers.set("Cache-Control", path == "/" ? "no-cache" : "max-age=3600");
    r.headers.set("Content-Security-Policy",
                  "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:");
    r.headers.set("X-Content-Type-Options", "nosniff");
    return responder.respond(std::move(r));
  }
  metrics_->client_error();
  responder.respond(error(404, fmt::format("no route {}; see GET / for the routes", path)));
}

void Gateway::classify(const http::Request& request, http::Responder responder) {
  if (auto refusal = encoding_refusal(request)) {
    metrics_->client_error();
    return responder.respond(std::move(*refusal));
  }
  auto body = parse_classify(request.body);
  if (auto* e = std::get_if<BodyError>(&body)) {
    metrics_->client_error();
    return responder.respond(error(e->status, e->message));
  }
  if (auto refused = take_time(std::get<ClassifyBody>(body).at_ms)) {
    metrics_->client_error();
    return responder.respond(error(400, *refused));
  }
  bool taken = dispatcher_->classify(
      std::move(std::get<ClassifyBody>(body)), [responder](ClassifyAnswer answer) {
        if (answer.status == 503) {  // a retry will do: say when
          Response r = error(503, answer.error);
          r.headers.set("Retry-After", "1");
          return responder.respond(std::move(r));
        }
        if (answer.status != 200) return responder.respond(error(answer.status, answer.error));
        responder.respond(Response::json(200, answer_body(answer)));
      });
  if (!taken) {
    metrics_->refused();
    responder.respond(busy("the prediction log is full (the gateway is overloaded)"));
  }
}

namespace {

// "Host: name:port" or "[::1]:port" -> "name" / "::1", lower case.
std::string host_name(std::string_view authority) {
  std::string host = ascii_lower(authority);
  if (!host.empty() && host.front() == '[') {
    const std::size_t close = host.find(']');
    return close == std::string::npos ? host : host.substr(1, close - 1);
  }
  const std::size_t colon = host.rfind(':');
  return colon == std::string::npos ? host : host.substr(0, colon);
}

}  // namespace

std::optional<http::Response> Gateway::browser_refusal(const http::Request& request) const {
  const std::string host = request.headers.get("Host");
  // A browser sends Origin with every cross-site POST, and with a form or text/plain body no
  // preflight asks first: the feedback would land unless the origin is this gateway's own.
  const std::string origin = request.headers.get("Origin");
  if (!origin.empty()) {
    std::string_view authority = origin;
    if (const std::size_t scheme = authority.find("://"); scheme != std::string_view::npos)
      authority.remove_prefix(scheme + 3);
    if (ascii_lower(authority) != ascii_lower(host))
      return error(403, fmt::format("{} refused a request sent by a web page from {} (Host {}): "
                                    "the gateway has no token, so a page open in a browser on "
                                    "this machine could otherwise send feedback or read the "
                                    "pilot. Call it from outside a browser, or start serve with "
                                    "--token-env",
                                    request.path, origin, host.empty() ? "none" : host));
  }
  // DNS rebinding: a page from a name that resolves to 127.0.0.1 reaches a loopback gateway as
  // its own origin, with its own name in Host. A loopback gateway answers loopback names (and
  // --allowed-host) only.
  if (!is_loopback(ascii_lower(options_.server.host))) return std::nullopt;
  const std::string name = host_name(host);
  if (host.empty() || is_loopback(name)) return std::nullopt;
  for (const std::string& allowed : options_.allowed_hosts)
    if (ascii_lower(allowed) == ascii_lower(host) || ascii_lower(allowed) == name)
      return std::nullopt;
  return error(403, fmt::format("{} refused Host {}: this gateway listens on loopback without a "
                                "token and answers these routes for localhost, 127.0.0.1 or "
                                "[::1] only (a web page reaching it through a name of its own "
                                "would otherwise read the pilot). Behind a reverse proxy that "
                                "passes this Host, start serve with --allowed-host {}, or with "
                                "--token-env",
                                request.path, host, name));
}

// "Bearer TOKEN", the scheme in any case (RFC 9110 11.1); the token compared in constant time.
bool Gateway::authorised(const http::Request& request) const {
  if (options_.token.empty()) return true;
  const std::string value = request.headers.get("Authorization");
  constexpr std::string_view kScheme = "bearer";
  if (value.size() <= kScheme.size() || value[kScheme.size()] != ' ') return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return false;
  }
  std::string_view given = std::string_view(value).substr(kScheme.size() + 1);
  while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
  while (!given.empty() && given.back() == ' ') given.remove_suffix(1);
  const std::string& token = options_.token;
  unsigned char differ = given.size() == token.size() ? 0 : 1;
  for (std::size_t i = 0; i < token.size(); ++i)
    differ |= static_cast<unsigned char>(token[i] ^ (i < given.size() ? given[i] : 0));
  return differ == 0;
}

// Feedback is durable before its 200, so the store call (a disk flush, a PostgreSQL round trip)
// runs on the blocking pool. A prediction still in the log queue is committed first, so feedback
// right after its classify finds it.
void Gateway::feedback(const http::Request& request, http::Responder responder) {
  if (auto refusal = encoding_refusal(request)) {
    metrics_->client_error();
    return responder.respond(std::move(*refusal));
  }
  auto body = parse_feedback(request.body, feedback_labels());
  if (auto* e = std::get_if<BodyError>(&body)) {
    metrics_->client_error();
    return responder.respond(error(e->status, e->message));
  }
  FeedbackBody f = std::get<FeedbackBody>(body);
  if (auto refused = take_time(f.at_ms)) {
    metrics_->client_error();
    return responder.respond(error(400, *refused));
  }
  // The time is taken now, in the order the requests arrived, not when the pool runs it.
  const int64_t at = options_.clock();
  bool taken = background_->submit([this, f, at, responder] {
    try {
      Feedback fb{f.by, f.id, f.label, at};
      // A feedback by id labels every prediction of that id, so one of them still in the queue
      // (a repeated classify a moment ago, or a shadow pilot's slower arm) is committed first;
      // the log says without a lock whether one may be there. By prediction id, only a lookup
      // that finds nothing waits for the queue.
      bool all_stored = true;
      if (f.by == Feedback::By::request_id && log_->may_hold(f.id)) all_stored = log_->flush();
      FeedbackResult result = store_->record_feedback(fb);
      if (result.outcome == FeedbackOutcome::unknown_id && all_stored) {
        all_stored = log_->flush();  // returns at once when nothing is waiting
        result = store_->record_feedback(fb);
      }
      // Another replica behind the same load balancer may have answered it a moment ago, its
      // prediction still in that replica's queue (a commit window, or its pause after a store
      // outage): a label sent at once would be lost to a 404 a client does not retry. It waits
      // up to a second for the other queues, parked (park_feedback), not holding this thread.
      if (result.outcome == FeedbackOutcome::unknown_id && all_stored &&
          log_->other_instances_running())
        return park_feedback({fb, f, responder,
                              std::chrono::steady_clock::now() + kReplicaFeedbackWait,
                              std::chrono::steady_clock::now() + std::chrono::milliseconds(100)});
      if (result.outcome == FeedbackOutcome::unknown_id && !all_stored) {
        // Answered 503, to send again: counted as the store's other refusals are (the counter
        // had seen 2 of 94 refused labels).
        metrics_->feedback_failed("the store is refusing commits", true);
        return responder.respond(
            busy("the prediction may still wait in the gateway's queue: the store is refusing "
                 "commits (see /healthz)"));
      }
      if (result.outcome == FeedbackOutcome::unknown_id) {
        metrics_->client_error();
        return responder.respond(error(404, unknown_prediction(f)));
      }
      metrics_->feedback_stored();
      // Its time, which moved the replay clock, is kept as a commit's is: `tunecase pilot
      // --store` had judged the pilot as of the last prediction while /v1/pilot did so as of
      // the last feedback. A store that fails here has the label all the same; the time is
      // kept at the next commit, or at the stop.
      try {
        keep_replay_time(at);
      } catch (const std::exception&) {
      }
      responder.respond(Response::json(200, feedback_json(result).dump()));
    } catch (const std::exception& e) {
      metrics_->feedback_failed(e.what(), log_->store_failing());
      // A connection lost during the commit leaves it unknown whether it was recorded: either
      // way sending it again is right, since the same label counts once.
      responder.respond(busy(fmt::format(
          "the store did not confirm the feedback ({}); send it again: feedback is idempotent, "
          "the same label counts once",
          e.what())));
    }
  });
  if (!taken) responder.respond(busy("too many feedback requests in flight"));
}

void Gateway::park_feedback(ParkedFeedback parked) {
  bool room = false, retrier = false;
  {
    std::lock_guard lock(parked_mutex_);
    room = parked_.size() < kMostParkedFeedback;
    if (room) {
      parked_.push_back(parked);
      retrier = !parked_retrier_;
      parked_retrier_ = true;
    }
  }
  if (!room)
    return parked.responder.respond(
        busy("no replica has stored a prediction with this id yet, and too many feedbacks wait "
             "for the other replicas' queues already"));
  if (retrier) retry_parked_feedback();  // on this pool thread, until none waits
}

// The retrier: every 100 ms, the parked feedbacks due a try are tried again in one transaction;
// each that finds its prediction is answered, each past its second gets the 404.
void Gateway::retry_parked_feedback() {
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::vector<ParkedFeedback> batch, later;
    {
      std::lock_guard lock(parked_mutex_);
      if (parked_.empty()) {
        parked_retrier_ = false;
        return;
      }
      const auto now = std::chrono::steady_clock::now();
      for (ParkedFeedback& p : parked_) (p.next_try <= now ? batch : later).push_back(std::move(p));
      parked_.swap(later);
    }
    if (batch.empty()) continue;
    std::vector<Feedback> feedbacks;
    for (const ParkedFeedback& p : batch) feedbacks.push_back(p.feedback);
    std::vector<FeedbackResult> results;
    try {
      results = store_->record_feedback_batch(feedbacks);
    } catch (const std::exception& e) {
      for (ParkedFeedback& p : batch) {
        metrics_->feedback_failed(e.what(), log_->store_failing());
        p.responder.respond(busy(fmt::format(
            "the store did not confirm the feedback ({}); send it again: feedback is idempotent, "
            "the same label counts once",
            e.what())));
      }
      continue;
    }
    const auto now = std::chrono::steady_clock::now();
    std::vector<ParkedFeedback> again;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      ParkedFeedback& p = batch[i];
      if (results.at(i).outcome != FeedbackOutcome::unknown_id) {
        p.responder.respond(Response::json(200, feedback_json(results[i]).dump()));
      } else if (now >= p.until) {
        metrics_->client_error();
        p.responder.respond(error(404, unknown_prediction(p.body) +
                                           "; the other replicas' queues were waited for a "
                                           "second"));
      } else {
        p.next_try = std::min(now + p.gap, p.until);
        p.gap *= 2;
        again.push_back(std::move(p));
      }
    }
    std::lock_guard lock(parked_mutex_);
    for (ParkedFeedback& p : again) parked_.push_back(std::move(p));
  }
}

std::optional<std::string> Gateway::take_time(const std::optional<int64_t>& at_ms) {
  if (!at_ms) return std::nullopt;
  if (!replay_now_) return kNoReplayClock;
  int64_t now = replay_now_->load();
  // The clock never goes back, so one mistyped time would date every later request of the
  // replay: a leap of over a year at once is refused, not taken.
  if (double(*at_ms - now) > kLongestReplayLeapDays * double(kMsPerDay))
    return fmt::format(
        "\"at\" ({} ms since 1970) is {:.0f} days after the replay clock; a replay moves day "
        "by day and its clock never goes back, so a leap of over {} days is refused: check the "
        "time (or restart with --replay-clock nearer it)",
        *at_ms, double(*at_ms - now) / double(kMsPerDay), kLongestReplayLeapDays);
  while (*at_ms > now && !replay_now_->compare_exchange_weak(now, *at_ms)) {
  }
  return std::nullopt;
}

std::map<std::string, std::string> Gateway::unloaded_champions() const {
  std::map<std::string, std::string> unloaded;
  if (!watch_) return unloaded;
  std::shared_lock lock(approaches_mutex_);
  for (const ServedApproach* a : {champion_.get(), challenger_.get()})
    if (a != nullptr)
      if (std::string version = watch_->unloaded_champion(a->name()); !version.empty())
        unloaded[a->name()] = version;
  return unloaded;
}

// Which model each arm serves right now, as the registry knows it: an operator's check after a
// promotion, and what `tunecase replay --gateway` waits on.
void Gateway::models(http::Responder responder) {
  nlohmann::json approaches = nlohmann::json::array();
  for (const auto& [role, approach] :
       {std::pair{"champion", champion_.get()}, std::pair{"challenger", challenger_.get()}}) {
    if (approach == nullptr) continue;
    nlohmann::json entry = {{"role", role},
                            {"approach", approach->name()},
                            {"local", approach->in_process()},
                            {"model_version", approach->model_version()},
                            {"registry_version", approach->registry_version()}};
    // The registry names another champion, which this gateway could not load.
    if (std::string champion = watch_ ? watch_->unloaded_champion(approach->name()) : "";
        !champion.empty())
      entry["registry_champion_not_loaded"] = champion;
    approaches.push_back(std::move(entry));
  }
  nlohmann::json body = {{"approaches", approaches}, {"now_ms", options_.clock()}};
  body["clock"] = replay_now_ ? "replay" : "wall";
  responder.respond(Response::json(200, body.dump()));
}

ReportContext Gateway::report_context() const {
  ReportContext context;
  context.now_ms = options_.clock();
  context.started_at_ms = started_at_ms_;
  context.cold_start_ms = [this](const std::string& a) { return metrics_->cold_start_ms(a); };
  return context;
}

void Gateway::pilot(http::Responder responder) {
  bool taken = background_->submit([this, responder] {
    try {
      // The report includes what this replica has answered, unless a commit waits out another
      // process's lock on the store: then it counts what is stored, and log.queued the rest.
      log_->flush(kReportFlushWait);
      nlohmann::json report = pilot_report(*store_, plan_, report_context());
      report["log"] = log_json(log_->stats());
      responder.respond(Response::json(200, report.dump()));
    } catch (const std::exception& e) {
      responder.respond(busy(fmt::format("the store did not answer ({})", e.what())));
    }
  });
  if (!taken) responder.respond(busy("too many report requests in flight"));
}

// The dashboard's data carries the business figures, so a gateway with a token asks for it (the
// page asks the person for it); the page's files carry no data and are open.
void Gateway::dashboard(http::Responder responder) {
  bool taken = background_->submit([this, responder] {
    try {
      log_->flush(kReportFlushWait);
      nlohmann::json data = dashboard_data(*store_, plan_, report_context(), dashboard_);
      data["pilot"]["log"] = log_json(log_->stats());
      Response r = Response::json(200, data.dump());
      r.headers.set("Cache-Control", "no-store");
      responder.respond(std::move(r));
    } catch (const std::exception& e) {
      responder.respond(busy(fmt::format("the store did not answer ({})", e.what())));
    }
  });
  if (!taken) responder.respond(busy("too many dashboard requests in flight"));
}

// The memo and the operation plan, read once at start.
void Gateway::page(const std::string& html, const char* missing, http::Responder responder) {
  if (html.empty()) {
    metrics_->client_error();
    return responder.respond(error(404, missing));
  }
  Response r = Response::text(200, html);
  r.content_type = "text/html; charset=utf-8";
  responder.respond(std::move(r));
}

void Gateway::metrics(http::Responder responder) {
  auto render = [this](const std::vector<ArmFigures>& arms, bool stale) {
    http::ServerStats served = server_->stats();
    PredictionLog::Stats s = log_->stats();
    LogGauges log{s.queued, s.committed, s.dropped, s.failed_commits, s.failing_for_s > 0, stale};
    std::vector<UpstreamCounts> upstream;
    {
      std::shared_lock lock(approaches_mutex_);
      for (const ServedApproach* a : {champion_.get(), challenger_.get()})
        if (a != nullptr)
          if (auto counts = a->upstream_counts())
            upstream.push_back({a->name(), counts->first, counts->second});
    }
    Response r = Response::text(
        200, metrics_->render(
                 arms, {served.too_large + served.malformed + served.slow, served.overloaded}, log,
                 upstream));
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return r;
  };
  std::shared_ptr<MetricsRead> read = metrics_read_;
  std::vector<ArmFigures> last;
  bool answer_now = false;
  {
    // A read still waiting on the store (a hung server): answer with the last figures now
    // rather than queue another read behind it.
    std::lock_guard lock(read->mutex);
    if (read->reading) return responder.respond(render(read->arms, true));
    read->reading = true;
    // The last read failed a moment ago (a store that is down, or whose connections time out):
    // the last figures now, and the new read behind them (each scrape had waited out its own
    // failing read, 5 s on an unreachable PostgreSQL).
    answer_now = read->failed_at &&
                 std::chrono::steady_clock::now() - *read->failed_at < std::chrono::seconds(10);
    if (answer_now) last = read->arms;
  }
  if (!answer_now) return read_metrics_figures(responder, render);
  responder.respond(render(last, true));
  read_metrics_figures(http::Responder(), nullptr);  // keeps the figures; answers nothing
}

void Gateway::read_metrics_figures(
    http::Responder responder,
    std::function<http::Response(const std::vector<ArmFigures>&, bool)> render) {
  std::shared_ptr<MetricsRead> read = metrics_read_;
  bool taken = background_->submit([this, responder, read, render] {
    std::vector<ArmFigures> arms;
    bool fresh = false;
    try {
      PilotQuery query;
      query.from_ms = started_at_ms_;
      arms = store_->pilot_counts(query).arms;
      fresh = true;
    } catch (const std::exception&) {
      // The gateway's own counters are still worth serving without the store's.
    }
    {
      std::lock_guard lock(read->mutex);
      read->reading = false;
      // A store that cannot be read (down, or refusing): the last figures, flagged stale, rather
      // than series that vanish while the store fails.
      if (fresh) {
        read->arms = arms;
        read->failed_at.reset();
      } else {
        arms = read->arms;
        read->failed_at = std::chrono::steady_clock::now();
      }
    }
    if (render) responder.respond(render(arms, !fresh));
  });
  if (!taken) {
    std::lock_guard lock(read->mutex);
    read->reading = false;
    if (render) responder.respond(busy("too many metrics requests in flight"));
  }
}

// The 404 of a feedback whose prediction the store does not have, with what may explain it.
std::string Gateway::unknown_prediction(const FeedbackBody& f) const {
  const bool by_request = f.by == Feedback::By::request_id;
  std::string text = fmt::format(
      "no prediction has {} '{}'; send {}", by_request ? "id" : "prediction_id",
      visible(f.id),  // a no-break space in it shown, as `tunecase feedback` shows it
      by_request ? "the id given to /v1/classify" : "the prediction_id a /v1/classify answer gave");
  if (const int64_t lost = log_->health().not_stored; lost > 0)
    text += fmt::format(
        " ({} predictions were answered and not stored while the store failed; this may be one)",
        lost);
  // A prediction answered after the last progress record of a run killed since: lost with its
  // last commit window (docs/serve.md). Every such run the store records, whichever instance
  // ran it and however many starts ago.
  const std::vector<LostWindow> lost = log_->lost_windows();
  if (lost.empty()) return text;
  if (std::optional<int64_t> made = by_request ? std::nullopt : prediction_id_ms(f.id)) {
    // Lost: answered after the run's last progress record, or before it when that record
    // counted predictions not yet committed; and within moments of it (a run writes a record
    // each commit, every 50 ms by default, so it died soon after its last), never after the
    // start that found it dead. Later, another run or replica answered it.
    constexpr int64_t kLastMomentsMs = 2'000, kUnsavedBeforeMs = 1'000;
    for (const LostWindow& w : lost) {
      const int64_t from = w.at_ms - (w.unsaved_at_record > 0 ? kUnsavedBeforeMs : 0);
      int64_t until = w.at_ms + kLastMomentsMs;
      if (w.found_at_ms > 0) until = std::min(until, w.found_at_ms);
      if (*made < from || *made > until) continue;
      // This run's own, not lost by an earlier run of this instance (another instance's run
      // may well have died after this one started: a replica that stayed up).
      if (w.instance == options_.log.instance && *made >= process_started_ms_) break;
      return text + fmt::format(
                        " (it was answered at {} UTC, in the last moments of a run of instance "
                        "'{}' that stopped without flushing its log at {} UTC: most likely lost "
                        "with that run's last commit window)",
                        utc_text(*made), w.instance, utc_text(w.at_ms));
    }
    return text;
  }
  // By id: when it was classified is not known here, so the runs that lost predictions are
  // named (the three latest) for the client to compare with when it sent the id.
  std::vector<std::string> runs;
  for (std::size_t i = 0; i < lost.size() && i < 3; ++i)
    runs.push_back(fmt::format(
        "instance '{}' at {} UTC, {}", lost[i].instance, utc_text(lost[i].at_ms),
        lost[i].estimate ? fmt::format("about {} lost", *lost[i].estimate)
                         : std::string("how many were lost is not known (it had not committed "
                                       "yet)")));
  return text + fmt::format(
                    " (if this id was classified in the last moments before a gateway run "
                    "stopped without flushing its log, its prediction was lost with that run's "
                    "last commit window: the store records {} such run(s), latest {})",
                    lost.size(), fmt::join(runs, "; "));
  return text;
}

}  // namespace tunecase::serve
