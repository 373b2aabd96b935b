#include "tunecase/store/postgres_store.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <poll.h>

#include <algorithm>
#include <mutex>
#include <pqxx/pqxx>
#include <stdexcept>

#include "tunecase/core/error.h"
#include "tunecase/store/sql_database.h"
#include "tunecase/store/sql_store.h"

namespace tunecase {
namespace {

using store_detail::Dialect;
using store_detail::Durability;
using store_detail::SqlRow;
using store_detail::SqlRows;
using store_detail::SqlSession;
using store_detail::SqlValue;

// The passwords a URL carries (user:password@ and ?password=), to scrub them from messages that
// libpq builds from the connection string.
std::vector<std::string> passwords_in(const std::string& url) {
  std::vector<std::string> out;
  std::string redacted = redact_url(url);
  std::size_t i = 0, j = 0;
  while (i < url.size() && j < redacted.size()) {
    if (url[i] == redacted[j]) {
      ++i, ++j;
      continue;
    }
    // redacted[j..j+3) is "***" standing for url[i..k) where url[k] == redacted[j + 3]
    j += 3;
    char next = j < redacted.size() ? redacted[j] : '\0';
    std::size_t k = next ? url.find(next, i) : url.size();
    if (k == std::string::npos) k = url.size();
    if (k > i) out.push_back(url.substr(i, k - i));
    i = k;
  }
  return out;
}

constexpr int kMaxAttempts = 8;           // whole-transaction retries after a deadlock
constexpr int64_t kMigrationLock = 7301;  // pg_advisory_xact_lock key for schema changes

// PostgreSQL type oids of the columns the store reads as numbers.
SqlValue field_value(const pqxx::field& f) {
  if (f.is_null()) return std::monostate{};
  switch (f.type()) {
    case 20:  // int8
    case 21:  // int2
    case 23:  // int4
      return f.as<int64_t>();
    case 700:   // float4
    case 701:   // float8
    case 1700:  // numeric (SUM of bigint)
      return f.as<double>();
    case 16:  // bool
      return static_cast<int64_t>(f.c_str()[0] == 't');
    default:
      return std::string(f.c_str(), f.size());
  }
}

class PgSession final : public SqlSession {
 public:
  explicit PgSession(pqxx::transaction_base& tx) : tx_(tx) {}

  SqlRows query(const std::string& sql, const std::vector<SqlValue>& params) override {
    pqxx::result r = run(sql, params);
    SqlRows rows;
    rows.reserve(r.size());
    for (const auto& row : r) {
      SqlRow out;
      out.reserve(row.size());
      for (const auto& f : row) out.push_back(field_value(f));
      rows.push_back(std::move(out));
    }
    return rows;
  }

  int64_t exec(const std::string& sql, const std::vector<SqlValue>& params) override {
    return static_cast<int64_t>(run(sql, params).affected_rows());
  }

  // Multi-row VALUES in chunks: one round trip per chunk instead of one per row.
  void insert_rows(const std::string& table, const std::vector<std::string>& columns,
                   const std::vector<SqlValue>& rows) override {
    const std::size_t width = columns.size();
    const std::size_t per_chunk =
        std::max<std::size_t>(1, std::min<std::size_t>(500, 60000 / width));
    const std::size_t total = rows.size() / width;
    for (std::size_t first = 0; first < total; first += per_chunk) {
      std::size_t n = std::min(per_chunk, total - first);
      std::string sql = fmt::format("INSERT INTO {}({}) VALUES ", table, fmt::join(columns, ", "));
      for (std::size_t r = 0; r < n; ++r) {
        sql += r ? ",(" : "(";
        for (std::size_t c = 0; c < width; ++c)
          sql += fmt::format("{}${}", c ? "," : "", r * width + c + 1);
        sql += ")";
      }
      std::vector<SqlValue> chunk(rows.begin() + static_cast<std::ptrdiff_t>(first * width),
                                  rows.begin() + static_cast<std::ptrdiff_t>((first + n) * width));
      run(sql, chunk);
    }
  }

 private:
  pqxx::result run(const std::string& sql, const std::vector<SqlValue>& params) {
    std::vector<std::string> text(params.size());
    std::vector<const char*> ptrs(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const SqlValue& v = params[i];
      if (std::holds_alternative<std::monostate>(v)) continue;
      if (auto* n = std::get_if<int64_t>(&v)) text[i] = std::to_string(*n);
      if (auto* d = std::get_if<double>(&v)) text[i] = fmt::format("{}", *d);
      if (auto* s = std::get_if<std::string>(&v)) text[i] = *s;
      ptrs[i] = text[i].c_str();
    }
    return tx_.exec_params(sql, pqxx::prepare::make_dynamic_params(ptrs));
  }

  pqxx::transaction_base& tx_;
};

// Time-outs the URL does not set: 5 s to connect; TCP keepalives and a 30 s TCP user
// time-out, so a server lost behind a network cut fails a statement in about 30 s, not after
// the kernel's 15 minutes of retransmissions.
std::string with_timeout(const std::string& url) {
  std::string out = url;
  for (const char* setting :
       {"connect_timeout=5", "keepalives=1", "keepalives_idle=10", "keepalives_interval=5",
        "keepalives_count=3", "tcp_user_timeout=30000"}) {
    std::string key(setting, std::string_view(setting).find('=') + 1);
    if (out.find(key) != std::string::npos) continue;
    out += (out.find('?') == std::string::npos ? "?" : "&") + std::string(setting);
  }
  return out;
}

class PgDatabase final : public store_detail::SqlDatabase {
 public:
  explicit PgDatabase(std::string url) : url_(std::move(url)), passwords_(passwords_in(url_)) {
    release(connect());  // fail now, with a clear message, rather than on the first request
  }

  Dialect dialect() const override { return Dialect::postgres; }
  std::string describe() const override { return redact_url(url_); }

  void write(Durability durability, const std::function<void(SqlSession&)>& body) override {
    with_retries([&](pqxx::connection& c) {
      pqxx::work tx(c);
      if (durability == Durability::relaxed) tx.exec("SET LOCAL synchronous_commit TO off");
      PgSession session(tx);
      body(session);
      tx.commit();
    });
  }

  void read(const std::function<void(SqlSession&)>& body) override {
    with_retries([&](pqxx::connection& c) {
      pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(c);
      PgSession session(tx);
      body(session);
      tx.commit();
    });
  }

  void migrate(const std::function<void(SqlSession&)>& body) override {
    write(Durability::durable, [&](SqlSession& s) {
      s.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kMigrationLock), {});
      body(s);
    });
  }

 private:
  template <typename Fn>
  void with_retries(Fn&& fn) {
    bool fresh_tried = false;
    for (int attempt = 1;; ++attempt) {
      bool reused = false;
      std::unique_ptr<pqxx::connection> c = acquire(reused);
      try {
        fn(*c);
        release(std::move(c));
        return;
      } catch (const pqxx::transaction_rollback&) {
        release(std::move(c));
        if (attempt == kMaxAttempts) throw;
      } catch (const pqxx::broken_connection& e) {
        // A connection kept from before a server restart (or a network cut) fails on first use;
        // so would the others kept with it. They go, and a new connection gets one try: the
        // transaction never committed (a break during the commit is pqxx::in_doubt_error).
        if (reused && !fresh_tried) {
          fresh_tried = true;
          std::lock_guard lock(mutex_);
          idle_.clear();
          continue;
        }
        throw UserError(
            fmt::format("lost the connection to PostgreSQL at {}: {}Check that the "
                        "server is running and reachable, then retry.",
                        describe(), scrub(e.what())));
      } catch (const pqxx::sql_error& e) {
        release(std::move(c));
        std::string message =
            fmt::format("PostgreSQL store {}: {} in: {}", describe(), scrub(e.what()), e.query());
        // SQLSTATE classes 22 (data exception: malformed text, a value out of range) and 23
        // (integrity constraint): the rows themselves are refused.
        const std::string state = e.sqlstate();
        if (state.rfind("22", 0) == 0 || state.rfind("23", 0) == 0) throw RecordsRefused(message);
        // 55P03 (a lock not free within lock_timeout), 40P01 (a deadlock), 40001 (a
        // serialization failure): another session held what this one needed; nothing was
        // changed, and the same step again goes through (it had read as an internal error).
        if (state == "55P03" || state == "40P01" || state == "40001")
          throw UserError(fmt::format(
              "PostgreSQL store {}: another session held a lock this one needed ({}); nothing of "
              "this step was changed: run it again (pg_locks names the session if it persists)",
              describe(), scrub(e.what())));
        // 42501, insufficient privilege: on PostgreSQL 15 the usual first meeting with a
        // database the store's user does not own (no CREATE on schema public).
        if (state == "42501" || dynamic_cast<const pqxx::insufficient_privilege*>(&e) != nullptr)
          throw UserError(fmt::format(
              "PostgreSQL at {}: the user lacks a privilege the store needs ({}). Create the "
              "database owned by that user (createdb -O USER DB), or grant it (GRANT CREATE, "
              "USAGE ON SCHEMA public TO USER; and the tables' privileges when another user "
              "created them); a read-only user can read a store another user set up.",
              describe(), scrub(e.what())));
        throw std::runtime_error(message);
      }
    }
  }

  std::unique_ptr<pqxx::connection> connect() {
    try {
      auto c = std::make_unique<pqxx::connection>(with_timeout(url_));
      pqxx::nontransaction setup(*c);
      setup.exec("SET client_min_messages TO warning");
      // A lock another session holds for long (a manual LOCK TABLE, a stuck migration) fails
      // the statement after 10 s instead of holding the gateway's commit, and its stop, for as
      // long: the gateway then says the store is failing and tries again.
      setup.exec("SET lock_timeout TO '10s'");
      return c;
    } catch (const pqxx::broken_connection& e) {
      throw UserError(
          fmt::format("cannot connect to PostgreSQL at {}: {}Check that the server is "
                      "running, that host, port, user and database are right, and "
                      "that the password is in PGPASSWORD, ~/.pgpass or the URL.",
                      describe(), scrub(e.what())));
    } catch (const pqxx::failure& e) {
      throw UserError(fmt::format("cannot use PostgreSQL at {}: {}Check the URL's parameters.",
                                  describe(), scrub(e.what())));
    }
  }

  // A kept connection (reused) or a new one. A kept connection with something to read has been
  // told something while idle, which on an idle connection is the server going away ("terminating
  // connection due to administrator command", then the end of the stream): it is closed, not
  // used. (Using it fails, and libpqxx 6.4 leaks the failed BEGIN's result on the way.)
  std::unique_ptr<pqxx::connection> acquire(bool& reused) {
    for (;;) {
      std::unique_ptr<pqxx::connection> c;
      {
        std::lock_guard lock(mutex_);
        reused = !idle_.empty();
        if (!reused) break;
        c = std::move(idle_.back());
        idle_.pop_back();
      }
      pollfd idle{c->sock(), POLLIN, 0};
      if (idle.fd >= 0 && ::poll(&idle, 1, 0) == 0) return c;
    }
    return connect();
  }

  void release(std::unique_ptr<pqxx::connection> c) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < 8) idle_.push_back(std::move(c));
  }

  // libpq's own message, without any password from the URL. libpq quotes every value it took
  // from the URL ("port", a host, a parameter it could not read), so a quoted value that holds a
  // password, is part of one, or shares four characters with one is masked; libpq's own words
  // are left alone (masking a one-letter password everywhere had starred every 'a' of the
  // message, spelling the password out).
  std::string scrub(std::string message) const {
    auto shares_part = [&](std::string_view quoted) {
      constexpr std::size_t kPart = 4;
      if (quoted.empty()) return false;
      for (const std::string& p : passwords_) {
        if (p.empty()) continue;
        if (quoted.find(p) != std::string_view::npos || p.find(quoted) != std::string::npos)
          return true;
        for (std::size_t i = 0; p.size() >= kPart && i + kPart <= quoted.size(); ++i)
          if (p.find(quoted.substr(i, kPart)) != std::string::npos) return true;
      }
      return false;
    };
    const std::string shown_url = redact_url(url_);
    for (std::size_t open = message.find('"'); open != std::string::npos;) {
      std::size_t close = message.find('"', open + 1);
      if (close == std::string::npos) break;
      std::string_view quoted(message.data() + open + 1, close - open - 1);
      // A value the redacted URL shows anyway (the user, the host, the database) stays: masking
      // it would say that the password equals it.
      const bool shown = !quoted.empty() && shown_url.find(quoted) != std::string::npos;
      if (!shown && shares_part(quoted)) {
        message.replace(open + 1, close - open - 1, "***");
        close = open + 4;
      }
      open = message.find('"', close + 1);
    }
    return message;
  }

  std::string url_;
  std::vector<std::string> passwords_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
};

}  // namespace

bool is_postgres_url(const std::string& location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

std::string redact_url(const std::string& url) {
  std::string out = url;
  std::size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    // A password is what lies between the user's ':' and the last '@': one with an unencoded
    // '/', '?' or '@' (a malformed URL, still someone's password) is hidden whole. A '@' later in
    // the query hides more than the password, never less.
    std::size_t start = scheme + 3;
    std::size_t first_at = out.find('@', start);
    std::size_t last_at = out.rfind('@');
    std::size_t colon = out.find(':', start);
    if (first_at != std::string::npos && colon != std::string::npos && colon < first_at) {
      out = out.substr(0, colon + 1) + "***" + out.substr(last_at);
    }
  }
  // A password may also come as a query parameter. It ends at the next '&' that starts another
  // parameter (key=value): a '&' followed by no '=' is read as part of the password, hidden.
  for (std::size_t pos = out.find("password="); pos != std::string::npos;
       pos = out.find("password=", pos + 1)) {
    std::size_t value = pos + 9;
    std::size_t end = out.find('&', value);
    while (end != std::string::npos) {
      std::size_t next = out.find('&', end + 1);
      std::string_view param(out.data() + end + 1,
                             (next == std::string::npos ? out.size() : next) - end - 1);
      if (param.find('=') != std::string_view::npos) break;
      end = next;
    }
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

std::optional<std::string> postgres_url_problem(const std::string& url) {
  std::size_t scheme = url.find("://");
  std::size_t last_at = url.rfind('@');
  if (scheme == std::string::npos || last_at == std::string::npos || last_at < scheme) return {};
  // Two '@' before the path: libpq ends the user information at the first one, so the rest of
  // the password would be read as the host.
  std::size_t path = url.find_first_of("/?#", scheme + 3);
  std::size_t first_at = url.find('@', scheme + 3);
  if (first_at < last_at && last_at < path)
    return fmt::format(
        "the store URL {} has more than one '@' before its host: an '@' in a user name or "
        "password must be percent-encoded as %40 ('/' as %2F, '?' as %3F, '#' as %23), else "
        "the URL cannot be read",
        redact_url(url));
  std::size_t reserved = url.find_first_of("/?#", scheme + 3);
  if (reserved == std::string::npos || reserved > last_at) return {};
  // An '@' in a parameter's value (?application_name=a@b) comes after a '='.
  if (url.find('=', scheme + 3) < last_at) return {};
  return fmt::format(
      "the store URL {} has a '/', '?' or '#' before its '@': in a user name or password they "
      "must be percent-encoded ('/' as %2F, '?' as %3F, '#' as %23, '@' as %40), else the URL "
      "cannot be read",
      redact_url(url));
}

bool postgres_store_exists(const std::string& url) {
  try {
    pqxx::connection c(with_timeout(url));
    pqxx::nontransaction tx(c);
    return tx.exec("SELECT to_regclass('schema_version') IS NOT NULL")[0][0].as<bool>();
  } catch (const std::exception&) {
    return true;
  }
}

std::unique_ptr<Store> open_postgres_store(const std::string& url) {
  if (!is_postgres_url(url)) {
    throw UserError(
        fmt::format("'{}' is not a PostgreSQL URL: write "
                    "postgresql://user@host:port/dbname",
                    redact_url(url)));
  }
  // Refused before libpq reads it: libpq's message would quote the pieces of the password it
  // took for a port or a parameter.
  if (auto problem = postgres_url_problem(url)) throw UserError(*problem);
  return store_detail::make_sql_store(std::make_unique<PgDatabase>(url));
}

}  // namespace tunecase
