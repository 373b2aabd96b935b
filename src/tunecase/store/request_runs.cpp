#include "tunecase/store/request_runs.h"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "tunecase/core/hash.h"

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

// A run's entries in order: (key, rowid), each unique (a prediction is in one run).
using Entry = std::pair<int64_t, int64_t>;
constexpr std::size_t kEntryBytes = 16;

void put_le(std::string& out, int64_t v) {
  auto u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}

int64_t get_le(const char* p) {
  uint64_t u = 0;
  for (int i = 7; i >= 0; --i) u = (u << 8) | static_cast<unsigned char>(p[i]);
  return static_cast<int64_t>(u);
}

// The number of entries a stored block holds (bytes in a column SQL never reads).
std::size_t entry_count(const std::string& bytes) {
  if (bytes.size() % kEntryBytes != 0)
    throw std::runtime_error("a request-run block of the store is damaged (its length)");
  return bytes.size() / kEntryBytes;
}
int64_t key_at(const std::string& bytes, std::size_t i) {
  return get_le(bytes.data() + i * kEntryBytes);
}
int64_t rowid_at(const std::string& bytes, std::size_t i) {
  return get_le(bytes.data() + i * kEntryBytes + 8);
}

// A block's entries, as stored.
std::vector<Entry> decode(const std::string& bytes) {
  std::vector<Entry> out(entry_count(bytes));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = {key_at(bytes, i), rowid_at(bytes, i)};
  return out;
}

// Appends sorted `entries` to `run` as blocks numbered from `first_block`.
void write_blocks(SqlSession& s, int64_t run, int64_t first_block,
                  const std::vector<Entry>& entries, const RunShape& shape) {
  std::vector<SqlValue> values;
  const auto per = static_cast<std::size_t>(std::max<int64_t>(1, shape.block));
  int64_t block = first_block;
  for (std::size_t from = 0; from < entries.size(); from += per, ++block) {
    const std::size_t to = std::min(entries.size(), from + per);
    std::string bytes;
    bytes.reserve((to - from) * kEntryBytes);
    for (std::size_t i = from; i < to; ++i) {
      put_le(bytes, entries[i].first);
      put_le(bytes, entries[i].second);
    }
    append_values(values, run, block, entries[from].first, std::move(bytes));
  }
  if (!values.empty())
    s.insert_rows("request_run_blocks", {"run", "block", "first_key", "entries"}, values);
}

// How many blocks one step reads, copies or deletes: `base` entries' worth.
int64_t blocks_per_step(const RunShape& shape) {
  return std::max<int64_t>(1, shape.base / std::max<int64_t>(1, shape.block));
}

// A merged run's blocks go a step at a time; then its meta row.
void delete_some(SqlSession& s, int64_t run, const RunShape& shape) {
  SqlRows first = s.query("SELECT min(block) FROM request_run_blocks WHERE run = $1", {run});
  if (first.empty() || is_null(first[0][0])) {
    s.exec("DELETE FROM request_run_meta WHERE run = $1", {run});
    return;
  }
  s.exec("DELETE FROM request_run_blocks WHERE run = $1 AND block < $2",
         {run, as_int(first[0][0]) + blocks_per_step(shape)});
}

// One source of a merge: its entries from the cursor on, as far as this step read them.
struct Source {
  int64_t run = 0;
  std::vector<Entry> entries;       // from the cursor
  std::vector<Entry> cursor_after;  // (block, offset) of the entry after each one
  bool read_to_end = false;         // no block past what was read
  std::size_t taken = 0;            // entries this step copies
};

Source read_source(SqlSession& s, int64_t run, int64_t next_block, int64_t next_offset,
                   int64_t blocks) {
  Source src;
  src.run = run;
  SqlRows rows = s.query(
      "SELECT block, entries FROM request_run_blocks WHERE run = $1 AND block >= $2 "
      "ORDER BY block LIMIT $3",
      {run, next_block, blocks});
  src.read_to_end = static_cast<int64_t>(rows.size()) < blocks;
  for (const SqlRow& r : rows) {
    const int64_t block = as_int(r[0]);
    std::vector<Entry> entries = decode(as_string(r[1]));
    for (std::size_t i = block == next_block ? static_cast<std::size_t>(next_offset) : 0;
         i < entries.size(); ++i) {
      src.entries.push_back(entries[i]);
      src.cursor_after.push_back(i + 1 < entries.size() ? Entry{block, static_cast<int64_t>(i + 1)}
                                                        : Entry{block + 1, 0});
    }
  }
  return src;
}

// One step of a k-way merge: reads `base` entries' worth of blocks across the unfinished
// sources, writes to the target every entry up to the smallest last entry read of a source that
// has more, and moves each source's cursor past what it gave. The source that set that bound
// gives everything read, so every step moves on. When every source is copied, the target goes
// live and the sources are marked for deletion, in one transaction, so a lookup sees either the
// sources or the target, never both or neither.
void merge_some(SqlSession& s, int64_t target, const RunShape& shape) {
  SqlRows cursors = s.query(
      "SELECT source, next_block, next_offset FROM request_run_merge "
      "WHERE target = $1 AND done = 0 ORDER BY source",
      {target});
  if (cursors.empty()) {
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
  const int64_t blocks =
      std::max<int64_t>(1, blocks_per_step(shape) / static_cast<int64_t>(cursors.size()));
  std::vector<Source> sources;
  for (const SqlRow& c : cursors)
    sources.push_back(read_source(s, as_int(c[0]), as_int(c[1]), as_int(c[2]), blocks));
  std::optional<Entry> bound;
  for (const Source& src : sources) {
    if (!src.read_to_end && !src.entries.empty() && (!bound || src.entries.back() < *bound))
      bound = src.entries.back();
  }
  std::vector<Entry> out;
  for (Source& src : sources) {
    src.taken = bound ? static_cast<std::size_t>(
                            std::upper_bound(src.entries.begin(), src.entries.end(), *bound) -
                            src.entries.begin())
                      : src.entries.size();
    out.insert(out.end(), src.entries.begin(),
               src.entries.begin() + static_cast<std::ptrdiff_t>(src.taken));
  }
  std::sort(out.begin(), out.end());
  SqlRows next = s.query(
      "SELECT coalesce(max(block), -1) + 1 FROM request_run_blocks WHERE run = $1", {target});
  write_blocks(s, target, as_int(next.at(0).at(0)), out, shape);
  for (const Source& src : sources) {
    if (src.taken == src.entries.size() && src.read_to_end) {
      s.exec("UPDATE request_run_merge SET done = 1 WHERE target = $1 AND source = $2",
             {target, src.run});
    } else if (src.taken > 0) {
      const Entry& next = src.cursor_after[src.taken - 1];
      s.exec(
          "UPDATE request_run_merge SET next_block = $3, next_offset = $4 "
          "WHERE target = $1 AND source = $2",
          {target, src.run, next.first, next.second});
    }
  }
}

void start_merge(SqlSession& s, int64_t level, const RunShape& shape) {
  int64_t target = next_run(s);
  s.exec("INSERT INTO request_run_meta(run, level, entries, state) VALUES ($1, $2, 0, 'building')",
         {target, level + 1});
  s.exec(
      "INSERT INTO request_run_merge(target, source, next_block, next_offset, done) "
      "SELECT $1, run, 0, 0, 0 FROM request_run_meta WHERE state = 'live' AND level = $2 "
      "ORDER BY run LIMIT $3",
      {target, level, shape.fanout});
  merge_some(s, target, shape);
}

// The oldest `base` predictions of the tail become a level-0 run, sorted by key.
void build_run(SqlSession& s, const RunShape& shape) {
  SqlRows rows =
      s.query("SELECT rowid, request_id FROM predictions WHERE rowid > $1 ORDER BY rowid LIMIT $2",
              {upto(s), shape.base});
  if (rows.empty()) return;
  std::vector<Entry> entries;
  entries.reserve(rows.size());
  for (const SqlRow& r : rows) entries.emplace_back(request_key(as_string(r[1])), as_int(r[0]));
  std::sort(entries.begin(), entries.end());
  int64_t run = next_run(s);
  write_blocks(s, run, 0, entries, shape);
  s.exec("INSERT INTO request_run_meta(run, level, entries, state) VALUES ($1, 0, $2, 'live')",
         {run, static_cast<int64_t>(entries.size())});
  set_upto(s, as_int(rows.back()[0]));
}

}  // namespace

int64_t request_key(std::string_view request_id) {
  return static_cast<int64_t>(fnv1a64(request_id));
}

std::vector<int64_t> request_rowids(SqlSession& s, std::string_view request_id) {
  const int64_t key = request_key(request_id);
  // Per live run: every block that starts with the key, and the last one that starts before
  // it (its end may hold the key). Blocks are in key order, so no other can. (CROSS JOIN keeps
  // the runs outside, so the blocks are found by their index, never scanned.)
  SqlRows blocks = s.query(
      "SELECT b.entries FROM request_run_meta m CROSS JOIN request_run_blocks b "
      "WHERE m.state = 'live' AND b.run = m.run AND b.first_key = $1 "
      "UNION ALL SELECT (SELECT b.entries FROM request_run_blocks b WHERE b.run = m.run "
      "AND b.first_key < $1 ORDER BY b.first_key DESC, b.block DESC LIMIT 1) "
      "FROM request_run_meta m WHERE m.state = 'live'",
      {key});
  std::vector<int64_t> out;
  for (const SqlRow& r : blocks) {
    if (is_null(r[0])) continue;
    const std::string bytes = as_string(r[0]);
    const std::size_t n = entry_count(bytes);
    // A binary search for the key's first entry, on the packed bytes.
    std::size_t lo = 0, hi = n;
    while (lo < hi) {
      const std::size_t mid = (lo + hi) / 2;
      if (key_at(bytes, mid) < key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    for (std::size_t i = lo; i < n && key_at(bytes, i) == key; ++i)
      out.push_back(rowid_at(bytes, i));
  }
  for (const SqlRow& r :
       s.query("SELECT rowid FROM predictions WHERE rowid > $1 AND request_id = $2",
               {upto(s), std::string(request_id)}))
    out.push_back(as_int(r[0]));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
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
