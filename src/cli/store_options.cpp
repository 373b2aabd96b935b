// Helpers shared by the commands that read an existing store (monitor, retrain, models, pilot,
// feedback, replay, audit).
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "commands.h"
#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/core/sqlite_setup.h"
#include "tunecase/core/trim.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/serve/pilot_plan.h"
#include "tunecase/store/postgres_store.h"

std::unique_ptr<tunecase::Store> open_existing_store(const std::string& location) {
  // A database without a store: opened, a command that only reads would create the schema in
  // it (a mistyped database name, another application's database).
  if (tunecase::is_postgres_url(location) && !tunecase::postgres_store_exists(location))
    throw tunecase::UserError(fmt::format(
        "--store {}: this database holds no tunecase store (no schema_version table on its "
        "search path); point --store at the database `tunecase serve` writes",
        shown_store(location)));
  // Another scheme (mysql://...) is named as such by open_store, with the two forms it takes.
  if (location.find("://") != std::string::npos || tunecase::looks_like_libpq_keywords(location))
    return tunecase::open_store(location);
  if (!tunecase::is_postgres_url(location) && !std::filesystem::exists(location))
    throw tunecase::UserError(
        fmt::format("--store {}: no such store; point --store at the store `tunecase serve` writes",
                    shown_store(location)));
  // An empty file is a valid empty SQLite database: opened, it would be turned into a store by
  // a command that only reads (a file truncated by accident, or the wrong path).
  std::error_code ec;
  if (!tunecase::is_postgres_url(location) && std::filesystem::is_regular_file(location, ec) &&
      std::filesystem::file_size(location, ec) == 0 && !ec)
    throw tunecase::UserError(fmt::format(
        "--store {}: the file is empty, not a store; point --store at the store `tunecase "
        "serve` writes",
        location));
  // Another SQLite database (the response cache, another application's file): a command that
  // only reads would write the store's tables into it.
  if (!tunecase::is_postgres_url(location)) {
    auto tables = tunecase::sqlite_tables(location);
    if (tables && std::find(tables->begin(), tables->end(), "schema_version") == tables->end())
      throw tunecase::UserError(fmt::format(
          "--store {}: this SQLite file holds no tunecase store ({}); nothing was written to "
          "it. Point --store at the store `tunecase serve` writes",
          location,
          tables->empty()
              ? std::string("it has no tables")
              : "its tables are " + tunecase::listed_tables(*tables) + ", with no schema_version"));
  }
  return tunecase::open_store(location);
}

std::string shown_store(const std::string& location) {
  return tunecase::redact_url(location);
}

CLI::Validator epoch_ms_validator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        int64_t ms = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
        if (ec != std::errc() || end != value.data() + value.size() || ms <= 0)
          return fmt::format(
              "{} is not a clock: give epoch milliseconds after 1970 (1754308800000 is "
              "2025-08-04 12:00 UTC), or leave --now-ms out for now",
              value);
        // As "at" is read: below 10^11 ms (March 1973) it is most likely Unix seconds, which
        // as milliseconds had judged January 1970 without a word.
        if (ms < 100'000'000'000)
          return fmt::format(
              "{} is {} UTC as milliseconds, most likely Unix seconds: give milliseconds ({}000)",
              value, tunecase::utc_text(ms), value);
        // A run "as of" a time far ahead writes lasting state (an alert fired in 2100 stays open
        // through every later run): more than 400 days past this machine's clock is refused.
        const int64_t wall = now_ms_or(0);
        constexpr int64_t kDayMs = 86'400'000;
        if (ms - wall > 400 * kDayMs)
          return fmt::format(
              "{} is {} UTC, {:.0f} days after this machine's clock; a run as of then would keep "
              "what it finds (an alert fired then stays open through every run before it). Give "
              "a time within 400 days of today",
              value, tunecase::utc_text(ms), double(ms - wall) / double(kDayMs));
        return "";
      },
      "EPOCH_MS");
}

int64_t now_ms_or(int64_t now_ms) {
  if (now_ms > 0) return now_ms;
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t store_clock_ms(tunecase::Store& store, int64_t now_ms, const char* what) {
  if (now_ms != 0) return now_ms;
  if (std::optional<int64_t> replay = tunecase::serve::stored_replay_clock(store)) {
    fmt::print(stderr,
               "note: this store was written by a gateway on a replay clock; {} as of the "
               "replay's last time, {} UTC (--now-ms sets another)\n",
               what, tunecase::utc_text(*replay));
    return *replay;
  }
  return now_ms_or(0);
}

std::string read_token_env(const std::string& variable) {
  if (variable.empty()) return "";
  const char* value = std::getenv(variable.c_str());
  if (value == nullptr)
    throw tunecase::UserError(fmt::format(
        "--token-env {}: that environment variable is not set; export the token clients must "
        "send (Authorization: Bearer TOKEN) or drop the flag",
        variable));
  // A token read from a secret file often ends in a newline, which no HTTP header can carry:
  // every client had got 401. Surrounding whitespace goes, as it goes from the client's header.
  std::string token = tunecase::trimmed(value);
  if (token.empty())
    throw tunecase::UserError(fmt::format(
        "--token-env {}: that environment variable is {}; export the token clients must send "
        "(Authorization: Bearer TOKEN) or drop the flag",
        variable, *value == '\0' ? "empty" : "only whitespace"));
  // A bearer token is one run of visible ASCII (RFC 6750's token68 and more): a space inside it
  // was accepted from curl, while the dashboard, which sends only such characters, could never
  // load its data.
  for (std::size_t i = 0; i < token.size(); ++i) {
    const auto c = static_cast<unsigned char>(token[i]);
    if (c < 0x21 || c > 0x7e)
      throw tunecase::UserError(fmt::format(
          "--token-env {}: the token holds {} at character {}, which a bearer token cannot "
          "carry (the dashboard refuses to send it); use letters, digits and punctuation only, "
          "e.g. the output of `openssl rand -hex 32`",
          variable, c == ' ' ? std::string("a space") : fmt::format("byte 0x{:02X}", c), i + 1));
  }
  return token;
}

void write_text_file(const std::filesystem::path& file, const std::string& text) {
  // Whole or not at all: a report read by cron (monitor.json) had been left cut off where the
  // disk filled, in place of the good one.
  tunecase::write_file(file, text);
}
