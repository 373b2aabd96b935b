#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/store/postgres_store.h"
#include "tunecase/store/sqlite_store.h"
#include "tunecase/store/store.h"

namespace tunecase {

bool looks_like_libpq_keywords(const std::string& location) {
  // libpq's connection keywords (PostgreSQL 15's documentation, 34.1.2).
  static const char* const kKeywords[] = {"host",
                                          "hostaddr",
                                          "port",
                                          "dbname",
                                          "user",
                                          "password",
                                          "passfile",
                                          "channel_binding",
                                          "connect_timeout",
                                          "client_encoding",
                                          "options",
                                          "application_name",
                                          "fallback_application_name",
                                          "keepalives",
                                          "keepalives_idle",
                                          "keepalives_interval",
                                          "keepalives_count",
                                          "tcp_user_timeout",
                                          "replication",
                                          "gssencmode",
                                          "sslmode",
                                          "requiressl",
                                          "sslcompression",
                                          "sslcert",
                                          "sslkey",
                                          "sslpassword",
                                          "sslrootcert",
                                          "sslcrl",
                                          "sslcrldir",
                                          "sslsni",
                                          "requirepeer",
                                          "ssl_min_protocol_version",
                                          "ssl_max_protocol_version",
                                          "krbsrvname",
                                          "gsslib",
                                          "service",
                                          "target_session_attrs"};
  // libpq allows spaces around "=": they go first, so that "password = x" is one word too.
  std::string text;
  for (std::size_t i = 0; i < location.size(); ++i) {
    if (location[i] == ' ' || location[i] == '\t') {
      std::size_t next = location.find_first_not_of(" \t", i);
      if (next != std::string::npos && location[next] == '=') continue;
      if (!text.empty() && text.back() == '=') continue;
    }
    text += location[i];
  }
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find_first_of(" \t", at);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(at, end - at);
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
  // Not echoed: a password in this form has no delimiter a mask could rely on.
  if (looks_like_libpq_keywords(location))
    throw UserError(
        "--store is a PostgreSQL connection string of keywords (host=... dbname=...), which "
        "would have been taken for a SQLite file of that name; --store takes a URL: "
        "postgresql://USER:PASSWORD@HOST:PORT/DBNAME (percent-encode a password's /, ?, # and "
        "@; keywords without a URL form go after ?, as ?sslmode=require). A SQLite file whose "
        "name starts that way is written with its folder: ./NAME");
  return open_sqlite_store(location);
}

}  // namespace tunecase
