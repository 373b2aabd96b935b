#pragma once

#include "tunecase/store/sql_database.h"

namespace tunecase::store_detail {

// The newest schema this binary knows. The `schema_version` table holds one row with the store's
// version; opening a store applies every missing migration in one transaction, under a lock that
// replicas starting together share, so a store is never left half-migrated.
constexpr int kSchemaVersion = 12;

// Brings the store to kSchemaVersion and returns it. A store written by a newer tunecase (a
// higher version) is a UserError: this binary would misread it.
int migrate_schema(SqlDatabase& db);

}  // namespace tunecase::store_detail
