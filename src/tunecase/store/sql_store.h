#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tunecase/store/request_runs.h"
#include "tunecase/store/sql_database.h"
#include "tunecase/store/store.h"

// The Store written once over the SqlDatabase seam; sqlite_store.cpp and postgres_store.cpp only
// provide connections and transactions.

namespace tunecase::store_detail {

// Migrates `db` to the current schema (UserError when it is newer) and wraps it. `shape` sizes
// SQLite's request runs (request_runs.h); tests make them small.
std::unique_ptr<Store> make_sql_store(std::unique_ptr<SqlDatabase> db, RunShape shape = {});

// The read side of pilot_counts (pilot_counts.cpp), run inside one read transaction.
PilotCounts query_pilot_counts(SqlSession& s, const PilotQuery& query);

// The predictions table's columns, in the order of prediction_values / prediction_from_row.
const std::vector<std::string>& prediction_columns();
void append_prediction_values(const PredictionRecord& p, std::vector<SqlValue>& out);
PredictionRecord prediction_from_row(const SqlRow& row);

}  // namespace tunecase::store_detail
