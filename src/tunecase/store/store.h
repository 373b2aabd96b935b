#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "tunecase/store/queries.h"
#include "tunecase/store/records.h"

namespace tunecase {

// The store refused the rows themselves (a key already taken, text it cannot hold, a value too
// large): the same rows fail again however often they are tried, unlike an unreachable server,
// a locked or read-only file or a full disk (UserError), which a later try may get past.
class RecordsRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a gateway's group commit stores besides its predictions, in their transaction: the audit
// rows of the requests it sent meanwhile (as append_audit) and its log's progress record (as
// set_meta, when meta_key is set). One commit instead of three: each costs the writer WAL
// frames and a commit's work for a page or two of rows.
struct CommitExtras {
  std::vector<AuditRecord> audit;
  std::string meta_key;
  std::string meta_value;
  bool empty() const { return audit.empty() && meta_key.empty(); }
};

// The gateway's and the monitor's only state: logged predictions, feedback, the model registry,
// alerts, hourly roll-ups and a key-value `meta` table. Two backends behave identically (one
// conformance suite runs against both):
//  - SQLite (a file path): one process, any number of threads (calls are serialised).
//  - PostgreSQL (postgresql://...): any number of processes and threads; replicas pointed at one
//    database agree on every figure (counters are updated in the same transaction as the rows
//    they count, under row locks, so no update is lost).
// Every method is one transaction: it happens completely or not at all. Errors a user can fix
// (unreachable server, unwritable file, a store from a newer tunecase) are UserError.
class Store {
 public:
  virtual ~Store() = default;

  // Logs a batch in one transaction (the gateway's group commit). Durable against a killed
  // process once it returns; a power cut may lose the last batches, never half a batch.
  // A prediction_id already in the store is an error (std::runtime_error), and nothing is written.
  // `extras` are written in the same transaction, with the predictions' durability (a meta
  // value written this way survives a killed process, not a power cut).
  virtual void log_predictions(const std::vector<PredictionRecord>& batch,
                               const CommitExtras& extras) = 0;
  void log_predictions(const std::vector<PredictionRecord>& batch) { log_predictions(batch, {}); }

  // Applies ground truth (see Feedback for what an id labels). Flushed to disk (synchronous
  // commit) before it returns, so an acknowledged feedback survives a power cut. Idempotent:
  // the same label twice counts once; concurrent calls for one item from several replicas
  // serialise on the predictions' rows.
  virtual FeedbackResult record_feedback(const Feedback& feedback) = 0;
  // The same for a file of feedback (`tunecase feedback FILE`): one transaction, one flush;
  // results in input order.
  virtual std::vector<FeedbackResult> record_feedback_batch(const std::vector<Feedback>& batch) = 0;

  virtual std::optional<PredictionRecord> find_prediction(const std::string& prediction_id) = 0;
  // The distinct text hashes logged under a request id (the texts a feedback by that id labels).
  virtual std::vector<std::string> texts_of_request(const std::string& /*request_id*/) {
    return {};
  }
  // The gold label of a prediction, when it has one.
  virtual std::optional<std::string> gold_label(const std::string& prediction_id) = 0;
  // Predictions whose gold label was set or last changed in [from_ms, to_ms) (by the feedback's
  // received_at_ms), and the latest such time (the monitor's "labels stopped flowing").
  virtual int64_t feedback_received(int64_t from_ms, int64_t to_ms) = 0;
  virtual std::optional<int64_t> last_feedback_at_ms() = 0;
  // Predictions of `approach` created in [from_ms, to_ms) by a model version other than
  // `version`: whether a day the registry gave to another version was answered by one.
  virtual int64_t predictions_of_other_versions(const std::string& approach,
                                                const std::string& version, int64_t from_ms,
                                                int64_t to_ms) = 0;

  // Everything the pilot page needs in one call (see queries.h).
  virtual PilotCounts pilot_counts(const PilotQuery& query) = 0;

  // Answered predictions created in [from_ms, to_ms) per approach and label, sorted by both.
  virtual std::vector<PredictedLabelCount> predicted_labels(int64_t from_ms, int64_t to_ms) = 0;
  // Kept texts of predictions created in [from_ms, to_ms), oldest first, at most `limit`; one
  // row per item (request id and text), whichever approach answered it first.
  virtual std::vector<TextSample> texts(int64_t from_ms, int64_t to_ms, int64_t limit) = 0;
  // Items classified in [from_ms, to_ms) with a kept text and a gold label, oldest first, one row
  // per item (request id and text).
  virtual std::vector<LabelledText> labelled_texts(int64_t from_ms, int64_t to_ms) = 0;

  // Model registry. register_model fails (UserError) when (approach, version) exists.
  // Making a version champion retires the approach's previous champion in the same transaction
  // (status `retired`, or `rolled_back` when `by` starts with "rollback") and sets promoted_at_ms
  // and promoted_by; false when the version is unknown.
  virtual void register_model(const ModelVersion& model) = 0;
  // Replaces a version's holdout figures (metrics_json) with a later measurement's, as when a
  // retrain measures again a version it trained before; false when there is no such version.
  virtual bool set_model_metrics(const std::string& approach, const std::string& version,
                                 const std::string& metrics_json) = 0;
  virtual bool set_model_status(const std::string& approach, const std::string& version,
                                ModelStatus status, int64_t at_ms, const std::string& by = "") = 0;
  virtual std::vector<ModelVersion> models(const std::string& approach) = 0;  // "" = all
  // Every registration and status change of the approach's versions ("" = all), oldest first.
  // Each is written in the same transaction as the change it records; a store migrated from
  // schema 5 starts with each version's registration and last promotion.
  virtual std::vector<ModelEvent> model_events(const std::string& approach) = 0;

  // Alerts. fire_alert returns the id of the open alert of that (kind, approach): a new one when
  // none was open (fired = true), else the existing one, unchanged (fired = false).
  struct FiredAlert {
    int64_t id = 0;
    bool fired = false;
  };
  virtual FiredAlert fire_alert(const Alert& alert) = 0;
  // Resolves the open alert of (kind, approach); false when none was open.
  virtual bool resolve_alert(const std::string& kind, const std::string& approach,
                             int64_t at_ms) = 0;
  virtual std::vector<Alert> alerts(bool open_only) = 0;  // oldest first

  // The audit of what left the machine (schema version 3): appended by each replica, read by
  // `tunecase audit --store`. Records with at_ms in [from_ms, to_ms), oldest first.
  virtual void append_audit(const std::vector<AuditRecord>& batch) = 0;
  virtual std::vector<AuditRecord> audit_records(int64_t from_ms, int64_t to_ms) = 0;

  // Key-value settings (pilot salt, started_at). put_meta_if_absent returns the stored value:
  // the first writer wins, so replicas starting together agree on one salt.
  virtual std::optional<std::string> meta(const std::string& key) = 0;
  virtual void set_meta(const std::string& key, const std::string& value) = 0;
  virtual std::string put_meta_if_absent(const std::string& key, const std::string& value) = 0;
  // Every (key, value) whose key starts with `prefix`, by key (the replicas' progress records).
  virtual std::vector<std::pair<std::string, std::string>> meta_with_prefix(
      const std::string& prefix) = 0;

  // The schema version of the open store (after migrations).
  virtual int schema_version() = 0;

  // Checks the files under the store between commits, for a process that may sit idle with
  // acknowledged writes in them (the gateway calls it every second). SQLite: a -wal file deleted
  // under the open connection is copied into the store now, not at the next commit (a kill -9
  // in between had lost what it held). Throws UserError when it cannot. Nothing on PostgreSQL.
  virtual void check_files() {}
};

// The approaches a gateway prices per request (LLM approaches with a known price), written at
// its start (meta kPricedApproachesKey). An answer of theirs that carried no cost has an unknown
// cost, never $0, even when none of them carried one (an API that never reports usage).
inline constexpr const char* kPricedApproachesKey = "serve.priced_approaches";
std::set<std::string> priced_approaches(Store& store);

// UserError when `at_ms` is before the latest registry step of `approach` (its registration,
// promotion, retirement or rollback): a step dated earlier would put its history out of order.
// `clock` names where the time came from ("--now-ms", "the clock").
void require_registry_clock(Store& store, const std::string& approach, int64_t at_ms,
                            const std::string& clock);

// The champion among an approach's versions (Store::models), or nullptr.
const ModelVersion* champion_of(const std::vector<ModelVersion>& versions);

// Makes `model` (status and promoted_* are set here) the champion of its approach: promotes it
// when its version is registered already, else registers it. false when another writer (a
// replica starting at the same moment) registered that version between the two steps.
bool make_champion(Store& store, ModelVersion model, int64_t at_ms, const std::string& by);

// Opens (creating and migrating when needed) the store at `location`: a `postgresql://` or
// `postgres://` URL, else a SQLite file path (its folder is created). UserError, naming the
// location without any password, when it cannot be opened, with what to do.
std::unique_ptr<Store> open_store(const std::string& location);

// "host=db port=5432 dbname=tc": libpq's keyword form (a word led by one of its keywords and
// "="), which open_store refuses rather than create a SQLite file of that name.
bool looks_like_libpq_keywords(const std::string& location);

}  // namespace tunecase
