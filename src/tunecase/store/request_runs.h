#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tunecase/store/sql_database.h"

// SQLite's lookup of predictions by request id, as sorted runs merged in the background (a
// log-structured merge) instead of one B-tree index on predictions(request_id).
//
// Why: client ids arrive in random order, so an index on them puts every logged prediction on
// a different leaf page; SQLite's WAL writes whole pages, so each prediction cost a page write
// (and, once the index outgrew the page cache, a page read), then the checkpoint copied it
// again. Runs are written in key order and only ever appended or deleted whole: a level-0 run
// holds `base` consecutive predictions' (key, rowid) pairs sorted; `fanout` runs of a level are
// merged into one of the next level a bounded step at a time. A lookup probes each live run
// (a few dozen at most) and scans the predictions not in a run yet (fewer than `base`).
// PostgreSQL keeps its index: its WAL logs the changed tuple, not the page.
//
// A run is stored as blocks of up to `block` consecutive entries, each block one row holding
// its entries packed (16 bytes each) with the block's first key beside them (schema 9). Until
// schema 8 every entry was a row of its own, written again and deleted at every level: in a
// store of half a million predictions a third of the log writer's time went there
// (docs/benchmarks.md, "Request runs in blocks"). A lookup
// reads, per live run, the blocks that can hold its key: those starting with it and the last one
// starting before it.
//
// All state is in the database (request_run_meta, request_run_merge and the meta key
// request_runs_upto), so every step is one transaction and a killed process, or two processes
// on one file, leave nothing half done: a merge's target is not read until its last step.

namespace tunecase::store_detail {

struct RunShape {
  int64_t base = 8192;  // predictions per level-0 run; also the most a step copies or deletes
  int64_t fanout = 8;   // runs of one level merged into one of the next
  int64_t block = 128;  // entries per stored block (2 KiB: a row that fits its page)
};

// The 64-bit key of a request id (FNV-1a): collisions cost a row read, never a wrong answer,
// since lookups compare the request id itself.
int64_t request_key(std::string_view request_id);

// The rowids of the predictions whose request id may be `request_id`: a superset (keys can
// collide), to be filtered by request_id. Call in a transaction.
std::vector<int64_t> request_rowids(SqlSession& s, std::string_view request_id);

// Does one bounded piece of pending work (build a level-0 run from the predictions not in a
// run, delete a merged run's entries, continue or start a merge) and returns whether there was
// any: false means nothing is pending. Call in a write transaction.
bool request_runs_step(SqlSession& s, const RunShape& shape);

// Whether request_runs_step has anything to do (in a read transaction: a cheap check, so a
// write lock is only taken when needed).
bool request_runs_pending(SqlSession& s, const RunShape& shape);

}  // namespace tunecase::store_detail
