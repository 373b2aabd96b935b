#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace tunecase {

// What the cache keeps of one answered request: the response body (never its headers, never the
// request's headers, so no API key is ever stored) and how long it took the first time.
struct CachedResponse {
  long status = 200;
  std::string body;
  double latency_ms = 0;
  bool simulated = false;
};

// The text a cached answer is keyed by: endpoint, model and the full request body. Everything
// that can change the answer is in the body (prompt, temperature, schema, seed).
std::string cache_key(std::string_view endpoint, std::string_view model, std::string_view body);

// A SQLite file (WAL) of answered requests. Rows are looked up by a 64-bit hash of the key and the
// stored key text is compared, so a hash collision can never return another request's answer.
// Every put() is its own committed transaction: a run killed at any moment (SIGKILL included)
// keeps every answer received before the kill. Not thread-safe: one runner thread owns it.
class ResponseCache {
 public:
  // Creates the file (and its folder) when missing. UserError when it cannot be opened.
  explicit ResponseCache(const std::filesystem::path& file);
  ~ResponseCache();
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;

  std::optional<CachedResponse> get(const std::string& key);
  void put(const std::string& key, const CachedResponse& response);
  // The stored answer of `key` (one that could not be read) replaced by `response`: put() keeps
  // the first answer, so an unreadable one would be asked again, and paid, on every run.
  void replace(const std::string& key, const CachedResponse& response);
  // Forgets the answer of `key`, so the next run asks for it again.
  void erase(const std::string& key);
  std::size_t size();

 private:
  void open();            // the body of the constructor
  void close() noexcept;  // releases statements and the handle; safe to call twice
  void exec(const char* sql);
  [[noreturn]] void fail(const char* what) const;

  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* select_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
};

}  // namespace tunecase
