#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

// The seam between the store's logic (sql_store.cpp, written once) and the two backends. The
// store writes PostgreSQL-style placeholders ($1, $2, ...); the SQLite backend maps them to ?NNN.
// Everything else in the SQL is the common subset of SQLite 3.40 and PostgreSQL 15 (ON CONFLICT,
// RETURNING, partial indexes), plus lock_suffix() where only PostgreSQL needs a row lock.

namespace tunecase::store_detail {

using SqlValue = std::variant<std::monostate, int64_t, double, std::string>;
using SqlRow = std::vector<SqlValue>;
using SqlRows = std::vector<SqlRow>;

bool is_null(const SqlValue& v);
int64_t as_int(const SqlValue& v);  // null -> 0
double as_double(const SqlValue& v);
std::string as_string(const SqlValue& v);  // null -> ""

inline SqlValue sql_flag(bool b) {
  return int64_t{b ? 1 : 0};
}
template <typename T>
SqlValue sql_opt(const std::optional<T>& v) {
  return v ? SqlValue{*v} : SqlValue{};
}

// Appends a row's values, each built once in place (a braced list would copy every string into
// the list and then again into `out`: the log writer's rows are most of its allocations).
template <typename... Values>
void append_values(std::vector<SqlValue>& out, Values&&... values) {
  (out.emplace_back(std::forward<Values>(values)), ...);
}

// One connection inside one open transaction.
class SqlSession {
 public:
  virtual ~SqlSession() = default;
  virtual SqlRows query(const std::string& sql, const std::vector<SqlValue>& params) = 0;
  // Returns the number of rows changed.
  virtual int64_t exec(const std::string& sql, const std::vector<SqlValue>& params) = 0;
  // INSERT of many rows of `columns` into `table`; `rows` holds columns.size() values per row.
  virtual void insert_rows(const std::string& table, const std::vector<std::string>& columns,
                           const std::vector<SqlValue>& rows) = 0;
};

enum class Dialect { sqlite, postgres };

// How hard a commit must hold. `relaxed` may lose the last commits on a power cut (never on a
// killed process); `durable` is flushed to disk before commit returns.
enum class Durability { relaxed, durable };

class SqlDatabase {
 public:
  virtual ~SqlDatabase() = default;
  virtual Dialect dialect() const = 0;
  // Where the data lives, safe to print (no password).
  virtual std::string describe() const = 0;
  // Runs `body` in one write transaction; commits when it returns, rolls back when it throws.
  // PostgreSQL retries the whole body on a deadlock or serialization failure, so `body` must
  // not have effects outside the session.
  virtual void write(Durability durability, const std::function<void(SqlSession&)>& body) = 0;
  // Runs `body` in a read-only transaction (one consistent snapshot).
  virtual void read(const std::function<void(SqlSession&)>& body) = 0;
  // Runs `body` holding a lock that no other process migrating the same database holds.
  virtual void migrate(const std::function<void(SqlSession&)>& body) = 0;
  // Store::check_files.
  virtual void check_files() {}

  std::string lock_suffix() const { return dialect() == Dialect::postgres ? " FOR UPDATE" : ""; }
};

}  // namespace tunecase::store_detail
