#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/llm/http_client.h"
#include "tunecase/monitor/alert_rules.h"
#include "tunecase/store/store.h"

// Where alerts go, and how an alert is not repeated: the store keeps at most one open alert per
// (kind, approach) (Store::fire_alert), so a condition that persists over many monitor runs is
// announced once, when it opens, and once more when it resolves. Every announcement is appended
// to a JSONL file first (nothing is lost when the webhook is down), then POSTed to the webhook;
// payloads the webhook did not take are kept in the store (meta "monitor.webhook_pending") and
// sent again, first, on the next run.
namespace tunecase::monitor {

// POSTs one JSON payload. true when the receiver took it (2xx); else `error` says why.
class WebhookPoster {
 public:
  virtual ~WebhookPoster() = default;
  virtual bool post(const std::string& json_body, std::string& error) = 0;
};

// A poster over the project's HTTP client: up to `attempts` tries, waiting 1 s, 2 s, 4 s ...
// between them (through `sleep`, replaceable in tests); 10 s time-out per try.
std::unique_ptr<WebhookPoster> make_http_webhook(
    std::string url, int attempts, std::function<void(std::chrono::milliseconds)> sleep = nullptr);

struct AlertOutputs {
  std::filesystem::path jsonl;       // "" = no file
  WebhookPoster* webhook = nullptr;  // nullptr = no webhook
};

// What one run did with its findings.
struct AlertOutcome {
  std::vector<Alert> fired;     // opened by this run (announced)
  std::vector<Alert> resolved;  // closed by this run (announced)
  std::vector<Alert> open;      // open after this run, announced now or earlier
  int webhook_sent = 0;
  int webhook_pending = 0;            // kept for the next run
  std::vector<std::string> problems;  // delivery problems, for stderr
};

// The announcement of one alert event ("fired" or "resolved"), as the JSONL line and the
// webhook body carry it.
nlohmann::json alert_event(const Alert& alert, const std::string& event);

// What to do when an alert of this kind fires, appended to its message ("" for the silence
// alerts, whose messages say it already).
std::string alert_next_step(const std::string& kind);

// Opens, keeps or resolves an alert per finding (firing / clear; unknown changes nothing) and
// announces what changed. Throws UserError when the JSONL file cannot be written (the store is
// then already updated, and the events are in the error message).
AlertOutcome apply_findings(Store& store, const std::vector<Finding>& findings, int64_t now_ms,
                            const AlertOutputs& outputs);

}  // namespace tunecase::monitor
