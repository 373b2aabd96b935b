#include "tunecase/store/request_runs.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace tunecase::store_detail {
namespace {

// The predictions with a rowid up to this are in runs; the rest are the tail. Predictions are
// never deleted, so a new one always has a larger rowid than any before it.
int64_t upto(SqlSession& s) {
  SqlRows rows = s.query("SELECT value FROM meta WHERE key = 'request_runs_upto'", {});
  return rows.empty() ? 0 : std::stoll(as_string(rows[0][0]));
}

void set_upto(SqlSession& s, int64_t rowid) {
  s.exec(
      "INSERT INTO meta(key, value) VALUES ('request_runs_upto', $1) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      {std::to_string(rowid)});
}

std::optional<int64_t> first_run(SqlSession& s, const char* state) {
  SqlRows rows =
      s.query("SELECT run FROM request_run_meta WHERE state = $1 ORDER BY run LIMIT 1", {state});
  if (rows.empty()) return std::nullopt;
  return as_int(rows[0][0]);
}

std::optional<int64_t> full_level(SqlSession& s, const RunShape& shape) {
  SqlRows rows = s.query(
      "SELECT level FROM request_run_meta WHERE state = 'live' GROUP BY level "
      "HAVING count(*) >= $1 ORDER BY level LIMIT 1",
      {shape.fanout});
  if (rows.empty()) return std::nullopt;
  return as_int(rows[0][0]);
}

// Every commit asks this. Rowids only grow and predictions are never deleted, so the tail holds
// at most max(rowid) - upto of them: while that is under `base` the answer is no, from one
// B-tree descent instead of a step through the tail's rows (a few hundred pages once it is
// nearly full). Only then are the rows counted.
bool tail_full(SqlSession& s, const RunShape& shape) {
  const int64_t from = upto(s);
  SqlRows last = s.query("SELECT max(rowid) FROM predictions", {});
  if (last.empty() || is_null(last[0][0]) || as_int(last[0][0]) - from < shape.base) return false;
  return !s.query("SELECT rowid FROM predictions WHERE rowid > $1 ORDER BY rowid LIMIT 1 OFFSET $2",
                  {from, shape.base - 1})
              .empty();
}

int64_t next_run(SqlSession& s) {
  return as_int(s.query("SELECT coalesce(max(run), 0) + 1 FROM request_run_meta", {}).at(0).at(0));
}

// The entry `count` places after (key, rowid) in `run`, if there is one.
std::optional<std::pair<int64_t, int64_t>> entry_after(SqlSession& s, int64_t run, int64_t key,
                                                       int64_t rowid, int64_t count) {
  SqlRows rows = s.query(
      "SELECT key, prediction_rowid FROM request_runs WHERE run = $1 "
      "AND (key, prediction_rowid) > ($2, $3) ORDER BY key, prediction_rowid LIMIT 1 OFFSET $4",
      {run, key, rowid, count - 1});
  if (rows.empty()) return std::nullopt;
  return std::pair{as_int(rows[0][0]), as_int(rows[0][1])};
}

constexpr int64_t kBeforeAll = std::numeric_limits<int64_t>::min();

// A merged run's entries go `base` at a time; then its meta row.
void delete_some(SqlSession& s, int64_t run, const RunShape& shape) {
  auto last = entry_after(s, run, kBeforeAll, -1, shape.base);
  if (!last) {
    s.exec("DELETE FROM request_runs WHERE run = $1", {run});
    s.exec("DELETE FROM request_run_meta WHERE run = $1", {run});
    return;
  }
  s.exec("DELETE FROM request_runs WHERE run = $1 AND (key, prediction_rowid) <= ($2, $3)",
         {run, last->first, last->second});
}

// Copies the next `base` entries of the merge's first unfinished source into the target; when
// every source is copied, the target goes live and the sources are marked for deletion, in one
// transaction, so a lookup sees either the sources or the target, never both or neither.
void merge_some(SqlSession& s, int64_t target, const RunShape& shape) {
  SqlRows next = s.query(
      "SELECT source, next_key, next_rowid FROM request_run_merge WHERE target = $1 AND done = 0 "
      "ORDER BY source LIMIT 1",
      {target});
  if (next.empty()) {
    s.exec(
        "UPDATE request_run_meta SET state = 'live', entries = (SELECT coalesce(sum(m.entries), "
        "0) FROM request_run_meta m JOIN request_run_merge g ON m.run = g.source "
        "WHERE g.target = $1) WHERE run = $1",
        {target});
    s.exec(
        "UPDATE request_run_meta SET state = 'merged' "
        "WHERE run IN (SELECT source FROM request_run_merge WHERE target = $1)",
        {target});
    s.exec("DELETE FROM request_run_merge WHERE target = $1", {target});
    return;
  }
  int64_t source = as_int(next[0][0]), key = as_int(next[0][1]), rowid = as_int(next[0][2]);
  auto last = entry_after(s, source, key, rowid, shape.base);
  const std::string copy =
      "INSERT INTO request_runs(run, key, prediction_rowid) SELECT $1, key, prediction_rowid "
      "FROM request_runs WHERE run = $2 AND (key, prediction_rowid) > ($3, $4)";
  if (last) {
    s.exec(copy + " AND (key, prediction_rowid) <= ($5, $6)",
           {target, source, key, rowid, last->first, last->second});
    s.exec(
        "UPDATE request_run_merge SET next_key = $3, next_rowid = $4 "
        "WHERE target = $1 AND source = $2",
        {target, source, last->first, last->second});
  } else {
    s.exec(copy, {target, source, key, rowid});
    s.exec("UPDATE request_run_merge SET done = 1 WHERE target = $1 AND source = $2",
           {target, source});
  }
}

void start_merge(SqlSession& s, int64_t level, const RunShape& shape) {
  int64_t target = next_run(s);
  s.exec("INSERT INTO request_run_meta(run, level, entries, state) VALUES ($1, $2, 0, 'building')",
         {target, level + 1});
  s.exec(
      "INSERT INTO request_run_merge(target, source, next_key, next_rowid, done) "
      "SELECT $1, run, $2, -1, 0 FROM request_run_meta WHERE state = 'live' AND level = $3 "
      "ORDER BY run LIMIT $4",
      {target, kBeforeAll, level, shape.fanout});
  merge_some(s, target, shape);
}

// The oldest `base` predictions of the tail become a level-0 run, sorted by key.
void build_run(SqlSession& s, const RunShape& shape) {
  SqlRows rows =
      s.query("SELECT rowid, request_id FROM predictions WHERE rowid > $1 ORDER BY rowid LIMIT $2",
              {upto(s), shape.base});
  if (rows.empty()) return;
  std::vector<std::pair<int64_t, int64_t>> entries;
  entries.reserve(rows.size());
  for (const SqlRow& r : rows) entries.emplace_back(request_key(as_string(r[1])), as_int(r[0]));
  std::sort(entries.begin(), entries.end());
  int64_t run = next_run(s);
  std::vector<SqlValue> values;
  values.reserve(entries.size() * 3);
  for (const auto& [key, rowid] : entries) append_values(values, run, key, rowid);
  s.insert_rows("request_runs", {"run", "key", "prediction_rowid"}, values);
  s.exec("INSERT INTO request_run_meta(run, level, entries, state) VALUES ($1, 0, $2, 'live')",
         {run, static_cast<int64_t>(entries.size())});
  set_upto(s, as_int(rows.back()[0]));
}

}  // namespace

int64_t request_key(std::string_view request_id) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : request_id) h = (h ^ c) * 1099511628211ULL;
  return static_cast<int64_t>(h);
}

std::string request_rowids_sql(int id_param, int key_param) {
  return fmt::format(
      "SELECT prediction_rowid FROM request_runs WHERE run IN (SELECT run FROM request_run_meta "
      "WHERE state = 'live') AND key = ${1} UNION ALL SELECT rowid FROM predictions WHERE rowid > "
      "coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'request_runs_upto'), 0) "
      "AND request_id = ${0}",
      id_param, key_param);
}

bool request_runs_pending(SqlSession& s, const RunShape& shape) {
  return first_run(s, "merged") || first_run(s, "building") || full_level(s, shape) ||
         tail_full(s, shape);
}

// The tail first: it is what every lookup scans. Then what frees space, then merges.
bool request_runs_step(SqlSession& s, const RunShape& shape) {
  if (tail_full(s, shape)) {
    build_run(s, shape);
  } else if (auto run = first_run(s, "merged")) {
    delete_some(s, *run, shape);
  } else if (auto target = first_run(s, "building")) {
    merge_some(s, *target, shape);
  } else if (auto level = full_level(s, shape)) {
    start_merge(s, *level, shape);
  } else {
    return false;
  }
  return true;
}

}  // namespace tunecase::store_detail
