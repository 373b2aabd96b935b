#include "tunecase/monitor/replay_gateway.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tunecase/core/error.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/monitor/alert_rules.h"
#include "tunecase/monitor/daily.h"
#include "tunecase/monitor/monitor.h"

namespace tunecase::monitor {
namespace {

// The gateway's routes as the replay uses them: a day's requests with a few in flight, every
// failure a UserError that says what to do.
class GatewayCalls {
 public:
  GatewayCalls(const GatewayReplaySettings& s, HttpClient& http) : s_(s), http_(http) {
    base_ = s.url;
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
  }

  // POSTs every body to `path`; the answers in the order of the bodies.
  std::vector<nlohmann::json> post_all(const std::string& path,
                                       const std::vector<nlohmann::json>& bodies) {
    std::vector<nlohmann::json> out(bodies.size());
    const std::size_t step = static_cast<std::size_t>(std::max(1, s_.concurrency));
    for (std::size_t from = 0; from < bodies.size(); from += step) {
      std::size_t to = std::min(bodies.size(), from + step);
      std::vector<HttpResponse> responses(to - from);
      std::mutex mutex;
      std::condition_variable done;
      std::size_t left = to - from;
      for (std::size_t i = from; i < to; ++i) {
        http_.submit(request("POST", path, bodies[i].dump()), [&, i](HttpResponse r) {
          std::lock_guard lock(mutex);
          responses[i - from] = std::move(r);
          if (--left == 0) done.notify_one();
        });
      }
      std::unique_lock lock(mutex);
      done.wait(lock, [&] { return left == 0; });
      lock.unlock();
      for (std::size_t i = from; i < to; ++i) {
        HttpResponse& r = responses[i - from];
        for (int attempt = 1; r.status == 503 && attempt <= 20; ++attempt) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
          r = http_send_sync(http_, request("POST", path, bodies[i].dump()));
        }
        out[i] = answer(path, r);
      }
    }
    return out;
  }

  nlohmann::json get(const std::string& path) {
    return answer(path, http_send_sync(http_, request("GET", path, "")));
  }

  // Waits until the gateway has stored every request it answered (GET /v1/pilot commits its
  // queue first, for up to a second, and says what is still queued): a day's monitor run on
  // what was stored so far judged part of the day.
  void wait_until_stored(std::chrono::milliseconds at_most) {
    const auto until = std::chrono::steady_clock::now() + at_most;
    while (true) {
      nlohmann::json report = get("/v1/pilot");
      const nlohmann::json log = report.value("log", nlohmann::json::object());
      const int64_t queued = log.value("queued", int64_t{0});
      if (queued == 0) return;
      if (std::chrono::steady_clock::now() > until)
        throw UserError(fmt::format(
            "the gateway at {} still holds {} answered requests it has not stored after {} s{}; "
            "the day cannot be judged on part of its traffic. Check the gateway's store "
            "(/healthz) and run the replay again",
            base_, queued, at_most.count() / 1000,
            log.contains("store_failing")
                ? " (its store fails: " + log["store_failing"].value("error", std::string()) + ")"
                : ""));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

 private:
  HttpRequest request(const char* method, const std::string& path, std::string body) const {
    HttpRequest r;
    r.method = method;
    r.url = base_ + path;
    r.body = std::move(body);
    r.timeout = std::chrono::milliseconds(30000);
    if (!r.body.empty()) r.headers.push_back({"Content-Type", "application/json"});
    if (!s_.token.empty()) r.headers.push_back({"Authorization", "Bearer " + s_.token});
    return r;
  }

  nlohmann::json answer(const std::string& path, const HttpResponse& r) const {
    if (r.status == 0) {
      throw UserError(fmt::format(
          "cannot reach the gateway at {} ({}): start `tunecase serve --replay-clock DATE` with "
          "the same --store and pass its address to --gateway",
          base_, r.transport_error));
    }
    nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
    if (r.status != 200) {
      std::string why = r.body;
      if (body.is_object() && body.contains("error") && body["error"].is_object())
        why = body["error"].value("message", r.body);
      // The approach failed on this item (an upstream error): live traffic would see the same,
      // so it counts as a wrong answer and the replay goes on.
      if (r.status == 502 && path == "/v1/classify") return {{"failed", why}};
      throw UserError(
          fmt::format("the gateway at {} answered {} {}: {}", base_, r.status, path, why));
    }
    if (body.is_discarded())
      throw UserError(fmt::format("the gateway at {} answered {} with no JSON", base_, path));
    return body;
  }

  const GatewayReplaySettings& s_;
  HttpClient& http_;
  std::string base_;
};

// A string field of an answer; "" when it is absent, null or not a string.
std::string text_of(const nlohmann::json& answer, const char* key) {
  auto it = answer.find(key);
  return it != answer.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Waits until an approach of the gateway serves `version` (its model watch reads the registry
// every --model-poll-ms).
void wait_for_model(GatewayCalls& calls, const std::string& version,
                    std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    nlohmann::json models = calls.get("/v1/models");
    for (const auto& a : models["approaches"])
      if (text_of(a, "registry_version") == version) return;
    if (std::chrono::steady_clock::now() > until) {
      throw UserError(fmt::format(
          "the gateway did not load the promoted version {} within {} s: run it on the same "
          "--store as the replay, with a short --model-poll-ms (100 for a replay)",
          version.substr(0, 12), limit.count() / 1000));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

std::string gateway_champion(const GatewayReplaySettings& settings, HttpClient& http) {
  GatewayCalls calls(settings, http);
  nlohmann::json models = calls.get("/v1/models");
  if (models.value("clock", std::string()) != "replay") {
    throw UserError(fmt::format(
        "the gateway at {} keeps its own clock, so replayed days would all land on today: "
        "restart it with `tunecase serve --replay-clock DATE` (the first replayed day: the "
        "file's first day plus --initial-days) for the replay",
        settings.url));
  }
  for (const auto& a : models["approaches"])
    if (a.value("role", std::string()) == "champion") return a.value("approach", std::string());
  throw UserError(fmt::format("the gateway at {} names no champion", settings.url));
}

DayOperation DailyOperation::run(int64_t now_ms, bool drift) const {
  DayOperation op;
  MonitorRequest m;
  m.now_ms = now_ms;
  m.approaches = {approach};
  m.drift = drift;
  if (drift)
    for (const Example& e : retrain.original) m.training_texts.push_back(e.text);
  m.policy = config->retrain.policy;
  m.local_approaches = {approach};
  m.retrain = config->retrain;
  MonitorRun monitored = run_monitor(*store, config->monitor, m, AlertOutputs{});
  const std::string day = iso_date(now_ms / kDayMs - 1);
  for (const Alert& a : monitored.alerts.fired) {
    op.alert = op.alert || (a.kind == kAccuracyBelowFloor && a.approach == approach);
    op.lines.push_back(fmt::format("after {}: alert {} ({})", day, a.kind, a.message));
  }
  Due due = retrain_due(config->retrain, *store, approach, now_ms);
  if (!due.due) return op;
  RetrainRequest request = retrain;
  request.now_ms = now_ms;
  request.approaches = {approach};
  RetrainRun run = run_retrain(*config, *store, request);
  op.retrained = true;
  // Named by the day the model is made, as the monitor and `retrain --if-due` date it.
  op.retrain_folder = (retrain.out_dir / iso_date(now_ms / kDayMs)).string();
  for (const ApproachRetrain& r : run.approaches) {
    if (r.promoted) op.promoted_version = r.challenger_version;
    // A refusal names its first reason here; all of them are in the day's retrain.md.
    std::string why = r.promoted || r.comparison.reasons.empty()
                          ? std::string()
                          : ": " + r.comparison.reasons.front();
    op.lines.push_back(fmt::format(
        "after {}: retrain ({}): challenger {} {} on {} held-out items{} ({}/retrain.md)", day,
        due.why, r.challenger_version.substr(0, 12), r.promoted ? "promoted" : "not promoted",
        r.comparison.holdout, why, op.retrain_folder));
  }
  op.retrain = std::move(run);
  return op;
}

PolicyRun replay_through_gateway(const std::vector<ReplayItem>& items,
                                 const GatewayReplaySettings& s, HttpClient& http,
                                 std::ostream& log) {
  check_replay_span(items, s.initial_days);
  check_label_costs(s.cost_per_error_by_label, items);
  const int64_t first = items.front().day, last = items.back().day;
  const int64_t start = first + s.initial_days;
  GatewayCalls calls(s, http);
  // A gateway whose clock is past the first replayed day holds another replay already (its
  // clock resumed where that one stopped): this one's days would all land on that last day,
  // beside the other's days and alerts, and its report would read theirs.
  const nlohmann::json models = calls.get("/v1/models");
  const int64_t clock = models.value("now_ms", int64_t{0});
  if (clock >= (start + 1) * kDayMs)
    throw UserError(fmt::format(
        "the gateway at {} is at {} on its replay clock, after this replay's first day ({}): its "
        "store holds an earlier replay, whose days and alerts this one's report would mix with "
        "its own. Replay into a new store: start `tunecase serve --replay-clock {} --store "
        "NEW.db` and pass the same --store to replay",
        s.url, iso_date(clock / kDayMs), iso_date(start), iso_date(start)));
  // A clock before that day (started on the file's first day, when --initial-days are kept back
  // for training) counts the days between as days of the pilot: days_elapsed had read 120 for
  // 90 days of traffic, and usd_per_day and the planned-days gate with it.
  if (clock > 0 && clock < start * kDayMs)
    throw UserError(fmt::format(
        "the gateway at {} is at {} on its replay clock, before this replay's first day ({}; "
        "the file's first {} day{} train the model and are not sent): its pilot would count the "
        "days between as days run. Start it on a new store with `tunecase serve --replay-clock "
        "{} --store NEW.db` and pass the same --store to replay",
        s.url, iso_date(clock / kDayMs), iso_date(start), s.initial_days,
        s.initial_days == 1 ? "" : "s", iso_date(start)));
  const std::string run_id =
      s.run_id.empty() ? "replay-" + make_random_id().substr(0, 8) : s.run_id;
  PolicyRun run;
  run.policy = s.policy;
  run.promoted = 0;                           // a retrain's challenger may be refused here
  std::map<std::string, std::string> served;  // approach -> the model version it last answered
  std::vector<std::vector<std::pair<std::string, std::string>>> sent;  // per day: (id, label)
  std::size_t next = 0;
  bool store_checked = false;
  while (next < items.size() && items[next].day < start) ++next;
  for (int64_t d = start; d <= last; ++d) {
    ReplayDay day;
    day.day = d;
    std::vector<nlohmann::json> bodies;
    std::vector<const ReplayItem*> today;
    sent.emplace_back();
    for (; next < items.size() && items[next].day == d; ++next) {
      std::string id = fmt::format("{}-{}", run_id, next);
      int64_t at =
          d * kDayMs + std::min<int64_t>(kDayMs - 2000, 1000 * static_cast<int64_t>(today.size()));
      bodies.push_back({{"text", items[next].text}, {"id", id}, {"at", at}});
      today.push_back(&items[next]);
      sent.back().push_back({id, items[next].label});
    }
    std::vector<nlohmann::json> answers = calls.post_all("/v1/classify", bodies);
    if (s.end_of_day) calls.wait_until_stored(s.store_wait);
    if (s.store_holds && !store_checked) {
      for (const auto& a : answers) {
        const std::string id = text_of(a, "prediction_id");
        if (id.empty()) continue;
        if (!s.store_holds(id))
          throw UserError(fmt::format(
              "--store does not hold the predictions the gateway at {} has just stored (e.g. "
              "prediction {}): it is another store, and the day's monitor and retraining would "
              "judge that one's traffic. Point --store at the gateway's own --store",
              s.url, id));
        store_checked = true;
        break;
      }
    }
    for (std::size_t i = 0; i < answers.size(); ++i) {
      ++day.n;
      // An abstention ("needs a human": label null) or a failed item is not a right answer.
      if (text_of(answers[i], "label") == today[i]->label) {
        ++day.correct;
      } else {
        run.error_usd +=
            error_cost_of_label(s.cost_per_error_by_label, s.cost_per_error_usd, today[i]->label);
      }
      std::string approach = text_of(answers[i], "approach");
      std::string version = text_of(answers[i], "model_version");
      auto [it, fresh] = served.emplace(approach, version);
      if (!fresh && it->second != version) {
        day.retrained = true;
        it->second = version;
      }
    }
    run.days.push_back(day);

    // End of day d: the labels of day d - delay arrive, then the day's operation.
    const int64_t judged = d - s.feedback_delay_days;
    if (judged >= start) {
      std::vector<nlohmann::json> labels;
      for (const auto& [id, label] : sent[static_cast<std::size_t>(judged - start)])
        labels.push_back({{"id", id}, {"label", label}, {"at", (d + 1) * kDayMs - 1000}});
      calls.post_all("/v1/feedback", labels);
      // What the monitor's accuracy rule can judge: the day's labels, against min_labelled
      // (these had stayed 0, and the report said no day was ever judged beside its alerts).
      const auto labelled = static_cast<int64_t>(labels.size());
      run.judged_days += labelled >= s.min_labelled ? 1 : 0;
      run.most_labelled = std::max(run.most_labelled, labelled);
    }
    if (s.end_of_day) {
      DayOperation op = s.end_of_day((d + 1) * kDayMs, (d - start) % 7 == 6);
      for (const std::string& line : op.lines) log << "   " << line << "\n";
      if (op.alert) {
        run.days.back().alert = true;
        ++run.alerts;
        if (!run.first_alert_day) run.first_alert_day = d;
      }
      if (op.retrained) ++run.retrains;
      if (!op.promoted_version.empty()) run.promoted = run.promoted.value_or(0) + 1;
      if (!op.promoted_version.empty()) wait_for_model(calls, op.promoted_version, s.model_wait);
    }
    if ((d - start) % 28 == 27) {
      int64_t n = 0, correct = 0;
      for (std::size_t i = run.days.size() - 28; i < run.days.size(); ++i) {
        n += run.days[i].n;
        correct += run.days[i].correct;
      }
      log << fmt::format(
          "   to {}: {} requests over 4 weeks, accuracy {}\n", iso_date(d), n,
          n > 0 ? pct(static_cast<double>(correct) / static_cast<double>(n)) : std::string("-"));
    }
  }
  for (const auto& day : run.days) {
    run.items += day.n;
    run.errors += day.n - day.correct;
  }
  run.retrain_usd = run.retrains * s.usd_per_retrain;
  return run;
}

}  // namespace tunecase::monitor
