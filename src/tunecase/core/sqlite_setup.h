#pragma once

#include <sqlite3.h>

#include <mutex>

namespace tunecase {

// Process-wide SQLite settings, made once before the first connection opens (the store's and
// the response cache's both call this first). SQLite's memory statistics take a process-wide
// mutex around every allocation it makes, thousands in each of the gateway's commits, and
// nothing in tunecase reads them: they are off. Where SQLite had started already, it refuses
// the change and keeps them, which is only slower.
inline void configure_sqlite() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace tunecase
