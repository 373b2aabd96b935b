#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tunecase {

// Which side of a pilot answered. `shadow` ran on the same item as the champion off the response
// path; its answer was stored, never returned.
enum class Arm { champion, challenger, shadow };
std::string_view arm_name(Arm arm);
std::optional<Arm> parse_arm(std::string_view name);

// One answered (or failed) classification, as the gateway logs it. Times are UTC epoch
// milliseconds; money is USD.
struct PredictionRecord {
  std::string prediction_id;  // unique across the store (make_prediction_id())
  std::string request_id;     // the client's `id`; may repeat across requests
  std::string approach;
  Arm arm = Arm::champion;
  std::string segment;  // "" when the client sent none
  std::string label;    // the approach's answer; kept even when it abstained
  std::optional<double> confidence;
  bool abstained = false;  // answered "needs a human" instead of `label`
  double latency_ms = 0;   // end to end, as the client saw it
  double upstream_ms = 0;  // the approach's own call (0 for in-process approaches)
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  std::optional<double> cost_usd;  // none when the approach has no price
  // Requests that reached the provider with no usage to price them (Prediction's): a time-out,
  // a 2xx cut off or unreadable, a resent copy. Each costs something unknown (schema 11).
  int64_t unpriced_attempts = 0;
  std::optional<std::string> error;
  bool timed_out = false;  // the error was a time-out (of the arm or of its upstream call)
  bool cached = false;     // answered from the LLM response cache: no upstream call, $0
  bool fallback = false;   // the champion answered because this arm failed
  bool simulated = false;
  std::string text_hash;
  // The request text, kept (schema 3, table request_texts) only when the gateway was told to
  // ([monitor] keep_texts): the monitor's input-drift detectors read it.
  std::optional<std::string> text;
  int64_t created_at_ms = 0;
  std::string model_version;
};

// 32 lowercase hex digits: the creation time in milliseconds, then 80 random bits (ids made
// later sort later, which keeps the store's inserts at the end of its index).
std::string make_prediction_id();
// 32 lowercase hex digits from a random 128-bit number (salts, run ids: nothing to sort).
std::string make_random_id();

// Delayed ground truth. By `request_id` it labels every prediction logged under that id (every
// arm, every repeat). By `prediction_id` it labels that prediction and the other arms' answers to
// the same item (same request id and text hash), so a shadow pair is labelled together.
struct Feedback {
  enum class By { request_id, prediction_id };
  By by = By::request_id;
  std::string id;
  std::string label;
  int64_t received_at_ms = 0;
};

enum class FeedbackOutcome {
  recorded,   // at least one prediction got its first label
  unchanged,  // every prediction already had this label: counted once, nothing changed
  replaced,   // a different label was replaced; `previous_label` says which
  unknown_id  // no prediction carries this id (the HTTP layer answers 404)
};
std::string_view feedback_outcome_name(FeedbackOutcome outcome);

struct FeedbackResult {
  FeedbackOutcome outcome = FeedbackOutcome::unknown_id;
  int64_t predictions = 0;  // predictions the feedback applies to
  std::optional<std::string> previous_label;
};

// The model registry: every version of every approach's model with its data fingerprint.
// A champion is what `serve` answers with; a challenger is trained but not promoted (or refused);
// retired was champion once and was replaced by a promotion; rolled_back was champion and was
// replaced by a rollback (`tunecase models rollback`).
enum class ModelStatus { champion, challenger, retired, rolled_back };
std::string_view model_status_name(ModelStatus status);
std::optional<ModelStatus> parse_model_status(std::string_view name);

// One step in a version's life, kept for good (schema 6): registered with a status, promoted to
// champion, retired or rolled back when another took its place, or set to another status. The
// registry's rows hold each version's current status and last promotion; these hold the history.
struct ModelEvent {
  std::string approach;
  std::string version;
  std::string event;  // "registered", or the status it moved to: champion, retired, ...
  int64_t at_ms = 0;
  std::string by;  // who or what did it ("" when the store does not know)
};

struct ModelVersion {
  std::string name;
  std::string approach;
  std::string version;  // unique per approach
  std::string data_fingerprint;
  int64_t created_at_ms = 0;
  std::string metrics_json = "{}";
  ModelStatus status = ModelStatus::challenger;
  std::optional<int64_t> promoted_at_ms;  // when it last became champion
  std::string promoted_by;                // who or what made it champion last (schema 5)
  std::string path;  // the model folder `serve` loads it from ("" = not loadable; schema 5)
  // Who or what registered it (`serve`, `tunecase retrain`), kept in its "registered" event of
  // the history (model_events); not read back into this record.
  std::string registered_by;
};

// An alert fired by the monitor. At most one open alert per (kind, approach).
struct Alert {
  int64_t id = 0;  // assigned by the store
  std::string kind;
  std::string approach;
  int64_t fired_at_ms = 0;
  std::optional<int64_t> resolved_at_ms;
  std::string message;
  std::string details_json = "{}";
};

// One outbound request of a gateway replica (docs/privacy.md, the audit): where it went, when,
// its size, the SHA-256 of its body and the placeholders it carried per kind. Never the body.
struct AuditRecord {
  std::string instance;  // the replica that sent it (serve --instance)
  std::string endpoint;  // scheme://host[:port]/path, no query string
  bool local = false;    // loopback or in [privacy] allowed_hosts
  int64_t at_ms = 0;
  std::string sha256;
  int64_t bytes = 0;
  std::string redacted_json = "{}";  // {"email": 2, ...}
};

}  // namespace tunecase
