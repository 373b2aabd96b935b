#include "tunecase/monitor/alert_sinks.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "tunecase/core/error.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/monitor/canary.h"
#include "tunecase/monitor/drift.h"

namespace tunecase::monitor {
namespace {

constexpr const char* kPendingKey = "monitor.webhook_pending";
// Events a run could not append to its JSONL file (a full disk): appended first by the next run.
constexpr const char* kJsonlPendingKey = "monitor.jsonl_pending";

class HttpWebhook final : public WebhookPoster {
 public:
  HttpWebhook(std::string url, int attempts, std::function<void(std::chrono::milliseconds)> sleep)
      : url_(std::move(url)),
        attempts_(std::max(1, attempts)),
        sleep_(sleep ? std::move(sleep)
                     : [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }),
        client_(make_http_client(4)) {}

  bool post(const std::string& body, std::string& error) override {
    std::chrono::milliseconds wait{1000};
    for (int attempt = 1; attempt <= attempts_; ++attempt) {
      HttpRequest request;
      request.url = url_;
      request.headers = {{"Content-Type", "application/json"}};
      request.body = body;
      request.timeout = std::chrono::milliseconds(10000);
      HttpResponse response = http_send_sync(*client_, request);
      if (response.status >= 200 && response.status < 300) return true;
      error = response.status == 0 ? fmt::format("{} ({} tries)", response.transport_error, attempt)
                                   : fmt::format("HTTP {} ({} tries)", response.status, attempt);
      // A 4xx other than 408/429 is the receiver refusing this payload: retrying cannot help.
      bool retryable = response.status == 0 || response.status == 408 || response.status == 429 ||
                       response.status >= 500;
      if (!retryable) return false;
      if (attempt < attempts_) {
        sleep_(wait);
        wait *= 2;
      }
    }
    return false;
  }

 private:
  std::string url_;
  int attempts_;
  std::function<void(std::chrono::milliseconds)> sleep_;
  std::unique_ptr<HttpClient> client_;
};

nlohmann::json read_pending(Store& store) {
  std::optional<std::string> text = store.meta(kPendingKey);
  if (!text) return nlohmann::json::array();
  nlohmann::json pending = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  return pending.is_array() ? pending : nlohmann::json::array();
}

// Appends `events`, after those an earlier run could not append, to `file`; what cannot be
// appended is kept in the store for the next run and said. The webhook has them either way: it
// is called first (a full disk had kept the alerts from the webhook, and from every later run).
void append_jsonl(Store& store, const std::filesystem::path& file,
                  const std::vector<nlohmann::json>& events) {
  if (file.empty()) return;
  nlohmann::json lines = nlohmann::json::array();
  if (std::optional<std::string> text = store.meta(kJsonlPendingKey)) {
    nlohmann::json earlier = nlohmann::json::parse(*text, nullptr, false);
    if (earlier.is_array()) lines = std::move(earlier);
  }
  for (const auto& e : events) lines.push_back(e);
  if (lines.empty()) return;
  std::error_code ignored;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ignored);
  std::string text;
  for (const auto& e : lines) text += e.dump() + "\n";
  errno = 0;
  std::ofstream out(file, std::ios::app | std::ios::binary);
  out << text;
  out.flush();
  out.close();
  if (!out) {
    const int error = errno;
    store.set_meta(kJsonlPendingKey, lines.dump());
    throw UserError(fmt::format(
        "{}: cannot append the alerts ({}); the store keeps the lines for the next run, which "
        "appends them first (a [monitor] webhook, where one is set, is sent them apart from "
        "this file): free space on its disk (or fix the folder), then run monitor again. They "
        "were:\n{}",
        file.string(), error != 0 ? std::strerror(error) : "the write failed", text));
  }
  if (store.meta(kJsonlPendingKey)) store.set_meta(kJsonlPendingKey, "[]");
}

void deliver(Store& store, std::vector<nlohmann::json> events, WebhookPoster* webhook,
             AlertOutcome& outcome) {
  if (webhook == nullptr) return;
  nlohmann::json queue = read_pending(store);
  for (auto& e : events) queue.push_back(std::move(e));
  if (queue.empty()) return;
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& payload : queue) {
    // After one payload failed every try, the receiver is down: keep the rest without trying.
    std::string error;
    if (kept.empty() && webhook->post(payload.dump(), error)) {
      ++outcome.webhook_sent;
      continue;
    }
    if (kept.empty())
      outcome.problems.push_back(
          fmt::format("webhook: {}; the alert is kept and sent again on "
                      "the next run",
                      error));
    kept.push_back(payload);
  }
  outcome.webhook_pending = static_cast<int>(kept.size());
  store.set_meta(kPendingKey, kept.dump());
}

// A drift detector compares the current window with the reference window before it, and both
// roll with the days: a shift that persists fills the reference window too, and the detector
// then reads stable though the traffic never went back. Said when the reference window of the
// run that clears the alert holds at least half of the current window of the run that fired it:
// one day of overlap had blamed the window for what was a noisy statistic falling back.
std::string taken_in_note(const Alert& open, const Finding& clear) {
  if (open.kind.rfind("drift_", 0) != 0 || !clear.details.is_object() ||
      !clear.details.contains("windows_ms"))
    return "";
  nlohmann::json fired = nlohmann::json::parse(open.details_json, nullptr, false);
  if (!fired.is_object() || !fired.contains("windows_ms")) return "";
  const int64_t fired_from = fired["windows_ms"].value("current_from", int64_t{0});
  const int64_t fired_to = fired["windows_ms"].value("current_to", int64_t{0});
  const int64_t reference_from = clear.details["windows_ms"].value("reference_from", int64_t{0});
  const int64_t reference_to = clear.details["windows_ms"].value("current_from", int64_t{0});
  // The days of the fired window the reference holds: their overlap (a reference that starts
  // after the fired window ends holds none of it; it had been said to hold all of it).
  const int64_t held_from = std::max(fired_from, reference_from);
  const int64_t held_to = std::min(fired_to, reference_to);
  if (fired_to <= fired_from || held_to <= held_from) return "";
  // Less than half of it: part of the shift may be in the reference, said as such (3 of 7 days
  // had been said as an all-clear); half or more: it may be the new normal.
  constexpr int64_t kDay = 86'400'000;
  const int64_t held = (held_to - held_from + kDay - 1) / kDay;
  const int64_t days = (fired_to - fired_from + kDay - 1) / kDay;
  const std::string first = utc_text(held_from, false).substr(0, 10);
  const std::string last = utc_text(held_to - 1, false).substr(0, 10);
  const std::string held_days = first == last ? first : first + " to " + last;  // not "X to X"
  const std::string fired_first = utc_text(fired_from, false).substr(0, 10);
  if (2 * (held_to - held_from) < fired_to - fired_from)
    return fmt::format(
        " (the reference window now holds {} of the {} days of the window it fired on, {}: "
        "part of the shift may be in the reference now; compare with the days before {})",
        held, days, held_days, fired_first);
  return fmt::format(
      " (the reference window now holds days of the window it fired on, {}: a shift that "
      "persists becomes the reference, so this may be the new normal rather than the old traffic "
      "back; compare with the days before {})",
      held_days, fired_first);
}

}  // namespace

std::string alert_next_step(const std::string& kind) {
  const std::string label_sample =
      "label a sample of recent traffic (POST /v1/feedback or `tunecase feedback`) so the "
      "accuracy rule can judge the model on it";
  if (kind == kAccuracyBelowFloor)
    return "see which labels it gets wrong (monitor.md's \"By label\": recall of the last days "
           "and the most frequent mistakes) and whether a drift alert "
           "fired with it; retrain on recent feedback (`tunecase retrain --if-due`, or "
           "`tunecase retrain`), or roll back (`tunecase models rollback`) if a promotion "
           "brought it";
  if (kind == kErrorRate)
    return "see what fails in the gateway's log: for an API approach, /metrics "
           "(tunecase_upstream_requests_total by status) tells an outage, rate limits (429) and "
           "refused requests (4xx) apart; a failing challenger falls back to the champion";
  if (kind == kLatencyP95)
    return "for an API approach, compare the upstream's own latency (/metrics) with the "
           "gateway's (a slow provider, longer prompts or texts, retries); for a local model, "
           "longer texts or a gateway short of cores";
  if (kind == kCostPerDay)
    return "see in /metrics whether tokens per request or requests grew (longer prompts or "
           "texts, retries, more traffic); [pilot] share limits what the challenger spends";
  if (kind == kDriftPredictionMix)
    return "a label gaining share is a change in what clients ask or a model failing on new "
           "texts: " +
           label_sample;
  if (kind == kDriftDomain || kind == kDriftOov || kind == kDriftEmerging)
    return "read the emerging terms and texts in monitor.md, ask the label owners whether a new "
           "product, category or kind of client is behind it, " +
           label_sample + ", and add a label to [labels] if a new category has appeared";
  if (kind == kProviderDrift)
    return "see which answers flipped in canary.md; pin a dated model snapshot in the approach "
           "(model = \"...-YYYY-MM-DD\") and re-run `tunecase eval` to measure the model now "
           "behind the name";
  return "";
}

std::unique_ptr<WebhookPoster> make_http_webhook(
    std::string url, int attempts, std::function<void(std::chrono::milliseconds)> sleep) {
  return std::make_unique<HttpWebhook>(std::move(url), attempts, std::move(sleep));
}

nlohmann::json alert_event(const Alert& a, const std::string& event) {
  nlohmann::json j = {{"event", event},
                      {"id", a.id},
                      {"kind", a.kind},
                      {"approach", a.approach},
                      {"fired_at_ms", a.fired_at_ms},
                      {"message", a.message},
                      {"source", "tunecase monitor"}};
  if (a.resolved_at_ms) j["resolved_at_ms"] = *a.resolved_at_ms;
  j["details"] = nlohmann::json::parse(a.details_json, nullptr, false);
  if (j["details"].is_discarded()) j["details"] = nlohmann::json::object();
  return j;
}

AlertOutcome apply_findings(Store& store, const std::vector<Finding>& findings, int64_t now_ms,
                            const AlertOutputs& outputs) {
  AlertOutcome outcome;
  std::vector<Alert> open_before = store.alerts(/*open_only=*/true);
  auto find_open = [&](const std::string& kind, const std::string& approach) -> const Alert* {
    for (const Alert& a : open_before)
      if (a.kind == kind && a.approach == approach) return &a;
    return nullptr;
  };
  std::vector<nlohmann::json> events;
  for (const Finding& f : findings) {
    // An accuracy alert open since before the model now judged took over (its finding says when
    // that model took over): it was about the model replaced. The new model's own
    // days firing the rule are an alert of their own, which a triggered retrain answers: kept
    // open, the old alert had left a retrained model below the floor in service for weeks
    // ("opened before the newest model was made").
    if (f.state == RuleState::firing && f.details.is_object() &&
        f.details.contains("served_since_ms") && f.details["served_since_ms"].is_number_integer())
      if (const Alert* open = find_open(f.kind, f.approach);
          open != nullptr && open->fired_at_ms <= now_ms &&
          open->fired_at_ms < f.details["served_since_ms"].get<int64_t>() &&
          store.resolve_alert(f.kind, f.approach, now_ms)) {
        Alert a = *open;
        a.resolved_at_ms = now_ms;
        a.message = fmt::format(
            "the model this alert was about no longer serves: version {} took over at {} UTC, "
            "and its own days fire the rule, an alert of their own",
            f.details.value("model_version", std::string("?")).substr(0, 12),
            utc_text(f.details["served_since_ms"].get<int64_t>(), false));
        nlohmann::json details = nlohmann::json::object();
        details["fired_message"] = open->message;
        details["replaced_by"] = f.details.value("model_version", std::string());
        a.details_json = details.dump();
        outcome.resolved.push_back(a);
        events.push_back(alert_event(a, "resolved"));
        open_before.erase(open_before.begin() + (open - open_before.data()));
      }
    if (f.state == RuleState::firing) {
      Alert a;
      a.kind = f.kind;
      a.approach = f.approach;
      a.fired_at_ms = now_ms;
      a.message = f.message;
      // A pager or webhook shows the event alone: it says what to do, as the silence alerts do.
      if (std::string next = alert_next_step(f.kind); !next.empty()) a.message += "; next: " + next;
      a.details_json = f.details.dump();
      Store::FiredAlert fired = store.fire_alert(a);
      a.id = fired.id;
      if (fired.fired) {
        outcome.fired.push_back(a);
        events.push_back(alert_event(a, "fired"));
      }
    } else if (f.state == RuleState::clear) {
      const Alert* open = find_open(f.kind, f.approach);
      if (open == nullptr) continue;
      // A run on a clock before the alert fired (monitor --now-ms looking back) cannot say it
      // is over: it stays open, and its retrain stays due.
      if (now_ms < open->fired_at_ms) {
        outcome.problems.push_back(fmt::format(
            "{} alert{} stays open: it fired at {} UTC, after this run's time ({} UTC); "
            "a run at or after its firing can resolve it",
            open->kind, open->approach.empty() ? "" : fmt::format(" of '{}'", open->approach),
            utc_text(open->fired_at_ms, false), utc_text(now_ms, false)));
        continue;
      }
      if (store.resolve_alert(f.kind, f.approach, now_ms)) {
        // The event gives today's figures (those that cleared it) and keeps the firing ones.
        Alert a = *open;
        a.resolved_at_ms = now_ms;
        if (!f.message.empty()) a.message = f.message + taken_in_note(*open, f);
        nlohmann::json details = f.details.is_object() ? f.details : nlohmann::json::object();
        details["fired_message"] = open->message;
        a.details_json = details.dump();
        outcome.resolved.push_back(a);
        events.push_back(alert_event(a, "resolved"));
      }
    }
  }
  outcome.open = store.alerts(/*open_only=*/true);
  deliver(store, events, outputs.webhook, outcome);
  append_jsonl(store, outputs.jsonl, events);
  return outcome;
}

}  // namespace tunecase::monitor
