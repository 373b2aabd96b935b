#pragma once

#include <memory>
#include <optional>
#include <string>

#include "tunecase/store/store.h"

namespace tunecase {

// The shared store for several gateway replicas: a PostgreSQL database named by a libpq URL
// (postgresql://user:password@host:port/dbname?sslmode=...). Each Store keeps a small pool of
// connections, one per concurrent call. Transactions that lose a deadlock or serialization race
// are retried whole. Predictions commit with synchronous_commit off (a server crash may lose the
// last commits), feedback with the server's synchronous commit.
std::unique_ptr<Store> open_postgres_store(const std::string& url);

// False when the database at `url` is reachable and holds no tunecase store (no schema_version
// table on its search path): a command that only reads must not create one in a mistyped
// database. True otherwise, a connection failure included (opening then says what failed).
bool postgres_store_exists(const std::string& url);

// The URL with its password replaced by "***", for messages and logs.
std::string redact_url(const std::string& url);

// Why `url` cannot be read as its writer meant, or nullopt: a '/', '?' or '#' before the '@'
// (a user name or password that needed percent-encoding). The message names the URL redacted.
std::optional<std::string> postgres_url_problem(const std::string& url);

// True for postgresql:// and postgres:// locations.
bool is_postgres_url(const std::string& location);

}  // namespace tunecase
