#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/store/postgres_store.h"
#include "tunecase/store/sqlite_store.h"
#include "tunecase/store/store.h"

namespace tunecase {

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
  return open_sqlite_store(location);
}

}  // namespace tunecase
