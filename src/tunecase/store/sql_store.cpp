#include "tunecase/store/sql_store.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

#include "tunecase/core/error.h"
#include "tunecase/core/work_pacing.h"
#include "tunecase/store/request_runs.h"
#include "tunecase/store/rollup_sql.h"
#include "tunecase/store/schema.h"

namespace tunecase::store_detail {

namespace {

// The WHERE clause that finds an item's predictions: `item` over `params` (the request id
// first), through the request runs on SQLite, whose predictions have no request-id index (their
// rowids as one JSON array parameter, so that the statement's text, and the prepared statement
// the SQLite backend keeps, is the same for every lookup). nullopt when no run holds the id.
std::optional<std::string> item_where(SqlSession& s, const SqlDatabase& db, const std::string& item,
                                      std::vector<SqlValue>& params) {
  if (db.dialect() != Dialect::sqlite) return item;
  std::vector<int64_t> rowids = request_rowids(s, as_string(params[0]));
  if (rowids.empty()) return std::nullopt;
  params.push_back(fmt::format("[{}]", fmt::join(rowids, ",")));
  return fmt::format("rowid IN (SELECT value FROM json_each(${})) AND {}", params.size(), item);
}

// An item's predictions: the request id given, or the request id and text a prediction id was
// logged under. PostgreSQL finds them by its index on request_id, SQLite through its request
// runs (request_runs.h).
std::vector<LabelTarget> lock_targets(SqlSession& s, const Feedback& f, const SqlDatabase& db) {
  std::vector<SqlValue> params = {f.id};
  std::string item = "request_id = $1";
  if (f.by == Feedback::By::prediction_id) {
    SqlRows found =
        s.query("SELECT request_id, text_hash FROM predictions WHERE prediction_id = $1", {f.id});
    if (found.empty()) return {};
    params = {found[0][0], found[0][1]};
    item += " AND text_hash = $2";
  }
  std::optional<std::string> where = item_where(s, db, item, params);
  if (!where) return {};
  SqlRows rows = s.query(
      "SELECT prediction_id, request_id, text_hash, approach, arm, segment, label, abstained, "
      "created_at FROM predictions WHERE " +
          *where + " ORDER BY prediction_id" + db.lock_suffix(),
      params);
  std::vector<LabelTarget> out;
  for (const SqlRow& r : rows) {
    LabelTarget t{as_string(r[0]), as_string(r[1]), as_string(r[2]), as_string(r[3]),
                  as_string(r[4]), as_string(r[5]), as_string(r[6]), as_int(r[7]) != 0,
                  as_int(r[8]),    std::nullopt};
    SqlRows old = s.query("SELECT label FROM feedback WHERE prediction_id = $1", {t.prediction_id});
    if (!old.empty()) t.old_gold = as_string(old[0][0]);
    out.push_back(std::move(t));
  }
  return out;
}

void upsert_feedback(SqlSession& s, const LabelTarget& t, const Feedback& f) {
  s.exec(
      "INSERT INTO feedback(prediction_id, request_id, text_hash, approach, created_at, label, "
      "correct, received_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) "
      "ON CONFLICT (prediction_id) DO UPDATE SET label = excluded.label, "
      "correct = excluded.correct, updated_at = excluded.updated_at",
      {t.prediction_id, t.request_id, t.text_hash, t.approach, t.created_at, f.label,
       sql_flag(f.label == t.label), f.received_at_ms});
}

// A PostgreSQL array literal of texts ({"a","b\"c"}), for `= ANY($1::text[])`.
std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const std::string& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : item) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// PostgreSQL: a feedback and the log writer's labelling of late shadow predictions take their
// items' advisory locks before anything else, all at once and in ascending order (no deadlock);
// an item's lock key is request_key() of its request id, the same in every replica and build.
// Whichever comes second waits for the first to commit and then reads its rows: READ COMMITTED
// sees what committed before each statement. Without the lock a feedback under way could not
// see a shadow prediction being written, and would label the champion's answer after the
// shadow had copied the older label (the two-replica test caught that). SQLite runs one write
// transaction at a time, so it needs none.
void lock_items(SqlSession& s, Dialect dialect, const std::vector<std::string>& request_ids) {
  if (dialect != Dialect::postgres || request_ids.empty()) return;
  std::set<int64_t> keys;
  for (const std::string& id : request_ids) keys.insert(request_key(id));
  std::string list = "{";
  for (int64_t key : keys) list += (list.size() > 1 ? "," : "") + std::to_string(key);
  list += "}";
  s.query(
      "SELECT pg_advisory_xact_lock(k) FROM (SELECT unnest($1::bigint[]) AS k ORDER BY k) AS "
      "keys",
      {list});
}

// PostgreSQL: a commit of predictions and a feedback never overlap where a feedback could label
// nothing that the commit then logs unlabelled (label_late_repeats). A commit takes this lock
// alone, a feedback shared with other feedbacks, each before any item's lock (lock_items), so
// none waits in a circle. A replica of a build before this lock does not take it.
constexpr int64_t kLabellingLockKey = 0x74756e6563617365;  // "tunecase"
void lock_labelling(SqlSession& s, Dialect dialect, bool commit) {
  if (dialect != Dialect::postgres) return;
  s.query(commit ? "SELECT pg_advisory_xact_lock($1::bigint)"
                 : "SELECT pg_advisory_xact_lock_shared($1::bigint)",
          {kLabellingLockKey});
}

// lock_items() for the items a transaction's feedback labels: by request id as given, by
// prediction id the request id it was logged under (unknown ids lock nothing). Nothing, not even
// that lookup, on SQLite.
void lock_feedback_items(SqlSession& s, Dialect dialect, const std::vector<Feedback>& batch) {
  if (dialect != Dialect::postgres) return;
  lock_labelling(s, dialect, false);
  std::vector<std::string> items;
  for (const Feedback& f : batch) {
    if (f.by == Feedback::By::request_id) {
      items.push_back(f.id);
      continue;
    }
    SqlRows rows = s.query("SELECT request_id FROM predictions WHERE prediction_id = $1", {f.id});
    if (!rows.empty()) items.push_back(as_string(rows[0][0]));
  }
  lock_items(s, dialect, items);
}

// Applies one feedback to every prediction of its item; the roll-up changes go into `deltas`.
FeedbackResult apply_feedback(SqlSession& s, const Feedback& f, const SqlDatabase& db,
                              RollupDeltas& deltas) {
  FeedbackResult result;
  std::vector<LabelTarget> targets = lock_targets(s, f, db);
  if (targets.empty()) return result;
  result.predictions = static_cast<int64_t>(targets.size());
  bool recorded = false;
  for (const LabelTarget& t : targets) {
    if (t.old_gold == f.label) continue;
    if (t.old_gold) {
      result.previous_label = t.old_gold;
    } else {
      recorded = true;
    }
    upsert_feedback(s, t, f);
  }
  deltas.add_item(targets, f.label);
  result.outcome = result.previous_label ? FeedbackOutcome::replaced
                   : recorded            ? FeedbackOutcome::recorded
                                         : FeedbackOutcome::unchanged;
  return result;
}

ModelVersion model_from_row(const SqlRow& r) {
  ModelVersion m;
  m.approach = as_string(r[0]);
  m.version = as_string(r[1]);
  m.name = as_string(r[2]);
  m.data_fingerprint = as_string(r[3]);
  m.created_at_ms = as_int(r[4]);
  m.metrics_json = as_string(r[5]);
  m.status = parse_model_status(as_string(r[6])).value_or(ModelStatus::retired);
  if (!is_null(r[7])) m.promoted_at_ms = as_int(r[7]);
  m.promoted_by = as_string(r[8]);
  m.path = as_string(r[9]);
  return m;
}

Alert alert_from_row(const SqlRow& r) {
  Alert a;
  a.id = as_int(r[0]);
  a.kind = as_string(r[1]);
  a.approach = as_string(r[2]);
  a.fired_at_ms = as_int(r[3]);
  if (!is_null(r[4])) a.resolved_at_ms = as_int(r[4]);
  a.message = as_string(r[5]);
  a.details_json = as_string(r[6]);
  return a;
}

AuditRecord audit_from_row(const SqlRow& r) {
  AuditRecord a;
  a.instance = as_string(r[0]);
  a.endpoint = as_string(r[1]);
  a.local = as_int(r[2]) != 0;
  a.at_ms = as_int(r[3]);
  a.sha256 = as_string(r[4]);
  a.bytes = as_int(r[5]);
  a.redacted_json = as_string(r[6]);
  return a;
}

class SqlStore final : public Store {
 public:
  SqlStore(std::unique_ptr<SqlDatabase> db, RunShape shape)
      : db_(std::move(db)), shape_(shape), runs_(db_->dialect() == Dialect::sqlite) {
    version_ = migrate_schema(*db_);
    // A store migrated from version 7 has all its predictions in the tail, and a killed
    // process may have left a merge: both are finished before the store is used.
    if (runs_) {
      bool pending = false;
      db_->read([&](SqlSession& s) { pending = request_runs_pending(s, shape_); });
      while (pending)
        db_->write(Durability::relaxed,
                   [&](SqlSession& s) { pending = request_runs_step(s, shape_); });
    }
  }

  using Store::log_predictions;
  void log_predictions(const std::vector<PredictionRecord>& batch,
                       const CommitExtras& extras) override {
    if (batch.empty() && extras.empty()) return;
    std::vector<SqlValue> values;
    values.reserve(batch.size() * prediction_columns().size());
    std::map<HourKey, HourRow> buckets[2];  // per grain of kGrains
    for (const PredictionRecord& p : batch) {
      if (p.prediction_id.empty() || p.approach.empty()) {
        throw RecordsRefused("a logged prediction needs a prediction_id and an approach");
      }
      append_prediction_values(p, values);
      pace_point();
      for (int g = 0; g < 2; ++g) {
        int64_t bucket = bucket_of(kGrains[g], hour_of(p.created_at_ms));
        add_prediction(buckets[g][{p.approach, std::string(arm_name(p.arm)), bucket}], p);
      }
    }
    std::vector<SqlValue> texts;
    for (const PredictionRecord& p : batch) {
      if (p.text) append_values(texts, p.prediction_id, p.created_at_ms, *p.text);
    }
    std::vector<std::string> shadow_items;
    for (const PredictionRecord& p : batch)
      if (p.arm == Arm::shadow) shadow_items.push_back(p.request_id);
    db_->write(Durability::relaxed, [&](SqlSession& s) {
      lock_labelling(s, db_->dialect(), true);      // first: see lock_labelling
      lock_items(s, db_->dialect(), shadow_items);  // then: see lock_items
      if (!values.empty()) s.insert_rows("predictions", prediction_columns(), values);
      if (!texts.empty())
        s.insert_rows("request_texts", {"prediction_id", "created_at", "text"}, texts);
      for (int g = 0; g < 2; ++g) {
        for (const auto& [key, row] : buckets[g]) add_to_bucket(s, kGrains[g], key, row);
      }
      label_late_shadows(s, batch, shadow_items);
      label_late_repeats(s, batch);
      // The request runs' upkeep (a level-0 run every `base` predictions, merges and deletions
      // `base` entries a step), off the response path like the commit itself: one step per
      // `base` / 16 predictions committed (512 of them with runs of 8,192), and one more. Each
      // prediction costs its entry in a level-0 run, then a copy and a deletion per level (9
      // entries at 100 million predictions), so this keeps up at any commit size, and a small
      // commit never carries more than one step.
      const int steps =
          batch.empty()
              ? 0
              : 1 + static_cast<int>(static_cast<int64_t>(batch.size()) * 16 / shape_.base);
      for (int step = 0; runs_ && step < steps && request_runs_step(s, shape_); ++step) {
      }
      insert_audit(s, extras.audit);
      if (!extras.meta_key.empty()) upsert_meta(s, extras.meta_key, extras.meta_value);
    });
  }

  // A shadow answer is logged after the champion's answer went back, as late as the
  // challenger's time-out: the item's ground truth may have arrived in between (an export fed
  // at once, a replay). It is the item's label, so the shadow prediction gets it too, and the
  // pair counts for McNemar, as if it had been there when the feedback came. On PostgreSQL the
  // items' locks, taken at the transaction's start, keep a concurrent feedback from slipping
  // between this read and this write (lock_items).
  void label_late_shadows(SqlSession& s, const std::vector<PredictionRecord>& batch,
                          const std::vector<std::string>& shadow_items) {
    if (shadow_items.empty()) return;
    std::set<std::string> labelled;  // request ids with any feedback; all of them on SQLite
    bool filtered = db_->dialect() == Dialect::postgres;
    if (filtered) {  // one round trip instead of one per shadow prediction
      for (const SqlRow& r :
           s.query("SELECT DISTINCT request_id FROM feedback WHERE request_id = ANY($1::text[])",
                   {text_array(shadow_items)}))
        labelled.insert(as_string(r[0]));
    }
    RollupDeltas deltas;
    for (const PredictionRecord& p : batch) {
      if (p.arm != Arm::shadow || (filtered && !labelled.count(p.request_id))) continue;
      SqlRows known = s.query(
          "SELECT label, received_at FROM feedback WHERE request_id = $1 AND text_hash = $2 "
          "ORDER BY updated_at DESC LIMIT 1",
          {p.request_id, p.text_hash});
      if (known.empty()) continue;
      Feedback f{Feedback::By::prediction_id, p.prediction_id, as_string(known[0][0]),
                 as_int(known[0][1])};
      apply_feedback(s, f, *db_, deltas);
    }
    deltas.apply(s);
  }

  // A prediction answered before its item's latest feedback arrived and committed after it: a
  // replica behind the same load balancer labelled the item while this one's answer to a repeat
  // of it (a client's retry) waited in its queue, or an answer came after its label. A feedback
  // by id labels every prediction of the item made before it, so this one takes that label too,
  // as if it had been there. The same text only (the item, not another ticket under a reused
  // id); shadow answers are label_late_shadows'. One range read of the feedback of the batch's
  // time, usually empty.
  void label_late_repeats(SqlSession& s, const std::vector<PredictionRecord>& batch) {
    std::optional<int64_t> oldest;
    for (const PredictionRecord& p : batch)
      if (p.arm != Arm::shadow)
        oldest = std::min(oldest.value_or(p.created_at_ms), p.created_at_ms);
    if (!oldest) return;
    struct Latest {
      std::string label;
      int64_t updated_at = 0;
    };
    std::map<std::pair<std::string, std::string>, Latest> latest;  // (request id, text hash)
    for (const SqlRow& r :
         s.query("SELECT request_id, text_hash, label, updated_at FROM feedback WHERE updated_at "
                 ">= $1",
                 {*oldest})) {
      Latest& l = latest[{as_string(r[0]), as_string(r[1])}];
      if (as_int(r[3]) >= l.updated_at) l = {as_string(r[2]), as_int(r[3])};
    }
    if (latest.empty()) return;
    RollupDeltas deltas;
    for (const PredictionRecord& p : batch) {
      if (p.arm == Arm::shadow) continue;
      auto it = latest.find({p.request_id, p.text_hash});
      if (it == latest.end() || it->second.updated_at < p.created_at_ms) continue;
      Feedback f{Feedback::By::prediction_id, p.prediction_id, it->second.label,
                 it->second.updated_at};
      // The item's predictions as labelled so far, and this one: its label counts, and the
      // pairs it makes with the other arms' labelled answers (a repeat made after the feedback,
      // unlabelled, stays out).
      std::vector<LabelTarget> targets = lock_targets(s, f, *db_);
      std::erase_if(targets, [&](const LabelTarget& t) {
        return t.prediction_id != p.prediction_id && t.old_gold != f.label;
      });
      for (const LabelTarget& t : targets)
        if (t.prediction_id == p.prediction_id) upsert_feedback(s, t, f);
      deltas.add_item(targets, f.label);
    }
    deltas.apply(s);
  }

  FeedbackResult record_feedback(const Feedback& feedback) override {
    FeedbackResult result;
    db_->write(Durability::durable, [&](SqlSession& s) {
      RollupDeltas deltas;
      lock_feedback_items(s, db_->dialect(), {feedback});
      result = apply_feedback(s, feedback, *db_, deltas);
      deltas.apply(s);
    });
    return result;
  }

  std::vector<FeedbackResult> record_feedback_batch(const std::vector<Feedback>& batch) override {
    std::vector<FeedbackResult> results;
    db_->write(Durability::durable, [&](SqlSession& s) {
      results.clear();
      RollupDeltas deltas;
      lock_feedback_items(s, db_->dialect(), batch);  // all at once: see lock_items
      for (const Feedback& f : batch) results.push_back(apply_feedback(s, f, *db_, deltas));
      deltas.apply(s);
    });
    return results;
  }

  std::optional<PredictionRecord> find_prediction(const std::string& prediction_id) override {
    std::string sql = fmt::format("SELECT {} FROM predictions WHERE prediction_id = $1",
                                  fmt::join(prediction_columns(), ", "));
    SqlRows rows = read(sql, {prediction_id});
    if (rows.empty()) return std::nullopt;
    return prediction_from_row(rows[0]);
  }

  std::vector<std::string> texts_of_request(const std::string& request_id) override {
    std::vector<std::string> out;
    db_->read([&](SqlSession& s) {
      std::vector<SqlValue> params = {request_id};
      std::optional<std::string> where = item_where(s, *db_, "request_id = $1", params);
      if (!where) return;
      for (const SqlRow& r :
           s.query("SELECT DISTINCT text_hash FROM predictions WHERE " + *where, params))
        out.push_back(as_string(r[0]));
    });
    return out;
  }

  std::optional<std::string> gold_label(const std::string& prediction_id) override {
    SqlRows rows = read("SELECT label FROM feedback WHERE prediction_id = $1", {prediction_id});
    if (rows.empty()) return std::nullopt;
    return as_string(rows[0][0]);
  }

  int64_t feedback_received(int64_t from_ms, int64_t to_ms) override {
    return as_int(read("SELECT COUNT(*) FROM feedback WHERE updated_at >= $1 AND updated_at < $2",
                       {from_ms, to_ms})
                      .at(0)
                      .at(0));
  }

  std::optional<int64_t> last_feedback_at_ms() override {
    SqlRows rows = read("SELECT MAX(updated_at) FROM feedback", {});
    if (rows.empty() || is_null(rows[0][0])) return std::nullopt;
    return as_int(rows[0][0]);
  }

  int64_t predictions_of_other_versions(const std::string& approach, const std::string& version,
                                        int64_t from_ms, int64_t to_ms) override {
    return as_int(read("SELECT COUNT(*) FROM predictions WHERE created_at >= $1 AND created_at "
                       "< $2 AND approach = $3 AND model_version <> $4",
                       {from_ms, to_ms, approach, version})
                      .at(0)
                      .at(0));
  }

  PilotCounts pilot_counts(const PilotQuery& query) override {
    PilotCounts counts;
    db_->read([&](SqlSession& s) { counts = query_pilot_counts(s, query); });
    return counts;
  }

  std::vector<PredictedLabelCount> predicted_labels(int64_t from_ms, int64_t to_ms) override {
    SqlRows rows = read(
        "SELECT approach, label, COUNT(*) FROM predictions WHERE created_at >= $1 AND "
        "created_at < $2 AND error IS NULL GROUP BY approach, label ORDER BY approach, label",
        {from_ms, to_ms});
    std::vector<PredictedLabelCount> out;
    for (const SqlRow& r : rows) out.push_back({as_string(r[0]), as_string(r[1]), as_int(r[2])});
    return out;
  }

  std::vector<TextSample> texts(int64_t from_ms, int64_t to_ms, int64_t limit) override {
    SqlRows rows = read(
        "SELECT t.prediction_id, p.approach, p.label, t.created_at, t.text, p.request_id, "
        "p.text_hash FROM request_texts t JOIN predictions p ON p.prediction_id = "
        "t.prediction_id WHERE t.created_at >= $1 AND t.created_at < $2 "
        "ORDER BY t.created_at, t.prediction_id LIMIT $3",
        {from_ms, to_ms, limit * 3});  // an item has at most three arms' answers
    std::vector<TextSample> out;
    std::set<std::pair<std::string, std::string>> items;  // (request id, text hash)
    for (const SqlRow& r : rows) {
      if (static_cast<int64_t>(out.size()) >= limit) break;
      if (!items.insert({as_string(r[5]), as_string(r[6])}).second) continue;
      out.push_back(
          {as_string(r[0]), as_string(r[1]), as_string(r[2]), as_int(r[3]), as_string(r[4])});
    }
    return out;
  }

  std::vector<LabelledText> labelled_texts(int64_t from_ms, int64_t to_ms) override {
    SqlRows rows = read(
        "SELECT p.request_id, t.created_at, t.text, f.label, p.text_hash FROM request_texts t "
        "JOIN predictions p ON p.prediction_id = t.prediction_id "
        "JOIN feedback f ON f.prediction_id = t.prediction_id "
        "WHERE t.created_at >= $1 AND t.created_at < $2 ORDER BY t.created_at, t.prediction_id",
        {from_ms, to_ms});
    std::vector<LabelledText> out;
    std::set<std::pair<std::string, std::string>> items;  // (request id, text hash)
    for (const SqlRow& r : rows) {
      if (!items.insert({as_string(r[0]), as_string(r[4])}).second) continue;
      out.push_back({as_string(r[0]), as_int(r[1]), as_string(r[2]), as_string(r[3])});
    }
    return out;
  }

  void register_model(const ModelVersion& m) override {
    db_->write(Durability::durable, [&](SqlSession& s) {
      // Replicas starting together register the same model at once: on PostgreSQL the second
      // waits for the first to commit, then finds its row (a conflict, not a second champion;
      // without the lock the one-champion index could fail the second start instead).
      lock_items(s, db_->dialect(), {"model registry: " + m.approach});
      int64_t at = m.promoted_at_ms.value_or(m.created_at_ms);
      if (m.status == ModelStatus::champion)
        retire_champion(s, m.approach, m.version, m.promoted_by, at);
      int64_t added = s.exec(
          "INSERT INTO models(approach, version, name, data_fingerprint, created_at, "
          "metrics_json, status, promoted_at, promoted_by, path) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
          "ON CONFLICT (approach, version) DO NOTHING",
          {m.approach, m.version, m.name, m.data_fingerprint, m.created_at_ms, m.metrics_json,
           std::string(model_status_name(m.status)), sql_opt(m.promoted_at_ms), m.promoted_by,
           m.path});
      if (added == 0) {
        throw UserError(
            fmt::format("model version '{}' of approach '{}' is already in the "
                        "registry of {}; give the new model another version.",
                        m.version, m.approach, db_->describe()));
      }
      add_event(s, m.approach, m.version, "registered", m.created_at_ms, m.registered_by);
      if (m.status != ModelStatus::challenger)
        add_event(s, m.approach, m.version, std::string(model_status_name(m.status)), at,
                  m.promoted_by);
    });
  }

  bool set_model_metrics(const std::string& approach, const std::string& version,
                         const std::string& metrics_json) override {
    int64_t changed = 0;
    db_->write(Durability::durable, [&](SqlSession& s) {
      changed = s.exec("UPDATE models SET metrics_json = $3 WHERE approach = $1 AND version = $2",
                       {approach, version, metrics_json});
    });
    return changed > 0;
  }

  bool set_model_status(const std::string& approach, const std::string& version, ModelStatus status,
                        int64_t at_ms, const std::string& by) override {
    bool found = false;
    db_->write(Durability::durable, [&](SqlSession& s) {
      found =
          !s.query("SELECT 1 FROM models WHERE approach = $1 AND version = $2" + db_->lock_suffix(),
                   {approach, version})
               .empty();
      if (!found) return;
      if (status == ModelStatus::champion) {
        retire_champion(s, approach, version, by, at_ms);
        s.exec(
            "UPDATE models SET status = 'champion', promoted_at = $3, promoted_by = $4 "
            "WHERE approach = $1 AND version = $2",
            {approach, version, at_ms, by});
      } else {
        s.exec("UPDATE models SET status = $3 WHERE approach = $1 AND version = $2",
               {approach, version, std::string(model_status_name(status))});
      }
      add_event(s, approach, version, std::string(model_status_name(status)), at_ms, by);
    });
    return found;
  }

  std::vector<ModelVersion> models(const std::string& approach) override {
    SqlRows rows = read(
        "SELECT approach, version, name, data_fingerprint, created_at, metrics_json, status, "
        "promoted_at, promoted_by, path FROM models WHERE $1 = '' OR approach = $1 "
        "ORDER BY approach, created_at, version",
        {approach});
    std::vector<ModelVersion> out;
    for (const SqlRow& r : rows) out.push_back(model_from_row(r));
    return out;
  }

  std::vector<ModelEvent> model_events(const std::string& approach) override {
    SqlRows rows = read(
        "SELECT approach, version, event, at_ms, by_whom FROM model_events "
        "WHERE $1 = '' OR approach = $1 ORDER BY at_ms, id",
        {approach});
    std::vector<ModelEvent> out;
    for (const SqlRow& r : rows)
      out.push_back(
          {as_string(r[0]), as_string(r[1]), as_string(r[2]), as_int(r[3]), as_string(r[4])});
    return out;
  }

  FiredAlert fire_alert(const Alert& a) override {
    FiredAlert fired;
    db_->write(Durability::durable, [&](SqlSession& s) {
      SqlRows added = s.query(
          "INSERT INTO alerts(kind, approach, fired_at, message, details_json) "
          "VALUES ($1, $2, $3, $4, $5) "
          "ON CONFLICT (kind, approach) WHERE resolved_at IS NULL DO NOTHING RETURNING id",
          {a.kind, a.approach, a.fired_at_ms, a.message, a.details_json});
      fired.fired = !added.empty();
      fired.id = fired.fired ? as_int(added[0][0]) : open_alert_id(s, a.kind, a.approach);
    });
    return fired;
  }

  bool resolve_alert(const std::string& kind, const std::string& approach, int64_t at_ms) override {
    int64_t changed = 0;
    db_->write(Durability::durable, [&](SqlSession& s) {
      changed = s.exec(
          "UPDATE alerts SET resolved_at = $3 "
          "WHERE kind = $1 AND approach = $2 AND resolved_at IS NULL",
          {kind, approach, at_ms});
    });
    return changed > 0;
  }

  std::vector<Alert> alerts(bool open_only) override {
    SqlRows rows = read(
        "SELECT id, kind, approach, fired_at, resolved_at, message, details_json FROM alerts "
        "WHERE $1 = 0 OR resolved_at IS NULL ORDER BY fired_at, id",
        {sql_flag(open_only)});
    std::vector<Alert> out;
    for (const SqlRow& r : rows) out.push_back(alert_from_row(r));
    return out;
  }

  // Relaxed like the predictions (a killed process loses no committed row; the gateway hands
  // its rows over every 200 ms), in multi-row inserts: a second's worth at a few thousand
  // requests a second was one fsync'd burst of single-row inserts, long enough to show in the
  // gateway's p99.
  void append_audit(const std::vector<AuditRecord>& batch) override {
    if (batch.empty()) return;
    db_->write(Durability::relaxed, [&](SqlSession& s) { insert_audit(s, batch); });
  }

  static void insert_audit(SqlSession& s, const std::vector<AuditRecord>& batch) {
    if (batch.empty()) return;
    static const std::vector<std::string> columns = {
        "instance", "endpoint", "local", "at_ms", "sha256", "bytes", "redacted_json"};
    std::vector<SqlValue> values;
    values.reserve(batch.size() * columns.size());
    for (const AuditRecord& a : batch)
      append_values(values, a.instance, a.endpoint, sql_flag(a.local), a.at_ms, a.sha256, a.bytes,
                    a.redacted_json);
    s.insert_rows("audit_requests", columns, values);
  }

  std::vector<AuditRecord> audit_records(int64_t from_ms, int64_t to_ms) override {
    SqlRows rows = read(
        "SELECT instance, endpoint, local, at_ms, sha256, bytes, redacted_json "
        "FROM audit_requests WHERE at_ms >= $1 AND at_ms < $2 ORDER BY at_ms, id",
        {from_ms, to_ms});
    std::vector<AuditRecord> out;
    for (const SqlRow& r : rows) out.push_back(audit_from_row(r));
    return out;
  }

  std::optional<std::string> meta(const std::string& key) override {
    SqlRows rows = read("SELECT value FROM meta WHERE key = $1", {key});
    if (rows.empty()) return std::nullopt;
    return as_string(rows[0][0]);
  }

  void set_meta(const std::string& key, const std::string& value) override {
    db_->write(Durability::durable, [&](SqlSession& s) { upsert_meta(s, key, value); });
  }

  static void upsert_meta(SqlSession& s, const std::string& key, const std::string& value) {
    s.exec(
        "INSERT INTO meta(key, value) VALUES ($1, $2) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        {key, value});
  }

  std::string put_meta_if_absent(const std::string& key, const std::string& value) override {
    std::string stored;
    db_->write(Durability::durable, [&](SqlSession& s) {
      s.exec("INSERT INTO meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
             {key, value});
      stored = as_string(s.query("SELECT value FROM meta WHERE key = $1", {key}).at(0).at(0));
    });
    return stored;
  }

  std::vector<std::pair<std::string, std::string>> meta_with_prefix(
      const std::string& prefix) override {
    // Filtered here, not by LIKE (a prefix may hold '%' or '_') or a key range (PostgreSQL
    // orders text by the database's collation, not by bytes): the table holds a few dozen keys.
    SqlRows rows = read("SELECT key, value FROM meta", {});
    std::vector<std::pair<std::string, std::string>> out;
    for (const SqlRow& r : rows) {
      std::string key = as_string(r[0]);
      if (key.starts_with(prefix)) out.emplace_back(std::move(key), as_string(r[1]));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  int schema_version() override {
    return static_cast<int>(as_int(read("SELECT version FROM schema_version", {}).at(0).at(0)));
  }

  void check_files() override { db_->check_files(); }

 private:
  SqlRows read(const std::string& sql, const std::vector<SqlValue>& params) {
    SqlRows rows;
    db_->read([&](SqlSession& s) { rows = s.query(sql, params); });
    return rows;
  }

  // The approach's champion steps down for `successor`: `rolled_back` when a rollback replaces
  // it, else retired; the history records it. Nothing happens when `successor` is the champion.
  static void retire_champion(SqlSession& s, const std::string& approach,
                              const std::string& successor, const std::string& by, int64_t at_ms) {
    std::string status(model_status_name(by.rfind("rollback", 0) == 0 ? ModelStatus::rolled_back
                                                                      : ModelStatus::retired));
    SqlRows champion = s.query(
        "SELECT version FROM models WHERE approach = $1 AND status = 'champion'", {approach});
    if (champion.empty() || as_string(champion[0][0]) == successor) return;
    s.exec("UPDATE models SET status = $2 WHERE approach = $1 AND status = 'champion'",
           {approach, status});
    add_event(s, approach, as_string(champion[0][0]), status, at_ms, by);
  }

  static void add_event(SqlSession& s, const std::string& approach, const std::string& version,
                        const std::string& event, int64_t at_ms, const std::string& by) {
    s.exec(
        "INSERT INTO model_events(approach, version, event, at_ms, by_whom) "
        "VALUES ($1, $2, $3, $4, $5)",
        {approach, version, event, at_ms, by});
  }

  static int64_t open_alert_id(SqlSession& s, const std::string& kind,
                               const std::string& approach) {
    return as_int(s.query("SELECT id FROM alerts "
                          "WHERE kind = $1 AND approach = $2 AND resolved_at IS NULL",
                          {kind, approach})
                      .at(0)
                      .at(0));
  }

  std::unique_ptr<SqlDatabase> db_;
  RunShape shape_;
  bool runs_ = false;
  int version_ = 0;
};

}  // namespace

std::unique_ptr<Store> make_sql_store(std::unique_ptr<SqlDatabase> db, RunShape shape) {
  return std::make_unique<SqlStore>(std::move(db), shape);
}

}  // namespace tunecase::store_detail
