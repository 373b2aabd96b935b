#pragma once

#include <filesystem>
#include <memory>

#include "tunecase/store/store.h"

namespace tunecase {

// The embedded store: one SQLite file in WAL mode. Calls from several threads are serialised on
// one connection; another process (an offline `tunecase pilot`) may read or write the same file
// and waits up to 5 s for a lock. Predictions commit with synchronous=NORMAL (a killed process
// loses nothing committed; a power cut may lose the last commits), feedback with synchronous=FULL.
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& file);

namespace store_detail {
struct RunShape;
// The same with request runs of another size (tests: small, to see merges on a few rows).
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& file, const RunShape& shape);
}  // namespace store_detail

}  // namespace tunecase
