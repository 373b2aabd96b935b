#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/store/postgres_store.h"
#include "tunecase/store/sqlite_store.h"
#include "tunecase/store/store.h"

namespace tunecase {

bool looks_like_libpq_keywords(const std::string& location) {
  static const char* const kKeywords[] = {"host",    "hostaddr", "port",           "dbname",
                                          "user",    "password", "sslmode",        "service",
                                          "options", "passfile", "connect_timeout"};
  std::size_t at = 0;
  while (at < location.size()) {
    std::size_t end = location.find_first_of(" \t", at);
    if (end == std::string::npos) end = location.size();
    const std::string word = location.substr(at, end - at);
    const std::size_t eq = word.find('=');
    if (eq != std::string::npos)
      for (const char* k : kKeywords)
        if (word.compare(0, eq, k) == 0 && eq == std::char_traits<char>::length(k)) return true;
    at = end + 1;
  }
  return false;
}

std::unique_ptr<Store> open_store(const std::string& location) {
  if (location.empty()) {
    throw UserError(
        "no store given: pass --store with a SQLite file path (e.g. tunecase.db) or "
        "a postgresql:// URL");
  }
  if (is_postgres_url(location)) return open_postgres_store(location);
  std::size_t scheme = location.find("://");
  if (scheme != std::string::npos) {
    throw UserError(
        fmt::format("unknown store scheme '{}' in '{}': use a SQLite file path or a "
                    "postgresql:// URL",
                    location.substr(0, scheme), redact_url(location)));
  }
  if (looks_like_libpq_keywords(location))
    throw UserError(fmt::format(
        "'{}' is a PostgreSQL connection string of keywords (host=... dbname=...), which would "
        "have been taken for a SQLite file of that name; --store takes a URL: "
        "postgresql://USER:PASSWORD@HOST:PORT/DBNAME (percent-encode a password's /, ?, # and "
        "@; keywords without a URL form go after ?, as ?sslmode=require)",
        redact_url(location)));
  return open_sqlite_store(location);
}

}  // namespace tunecase
