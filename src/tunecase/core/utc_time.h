#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Calendar dates and UTC times without the C library's time zone state.
namespace tunecase {

// Milliseconds in a UTC day (no leap seconds in Unix time).
inline constexpr int64_t kMsPerDay = 86'400'000;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t days_from_civil(int64_t year, int64_t month, int64_t day);

// "2025-08-14", "2025-08-14T09:30:00Z" or "2025-08-14 09:30:00" as milliseconds since 1970:
// seconds may be left out ("09:30"), fractions of a second are accepted, and the time may end in
// Z (UTC, as when nothing follows) or an offset from UTC ("+02:00", "-0530", "+02"), which is
// taken away. nullopt for anything else, and for times before 1970.
std::optional<int64_t> parse_utc_time(std::string_view text);

// A time column's value: what parse_utc_time reads, or a Unix time as 9 to 15 digits alone,
// seconds below 100,000,000,000 (until the year 5138) and milliseconds from there
// ("1709251200", "1709251200000"). Fewer digits (a compact date such as 20240301 would read as
// 1970) are refused. Surrounding spaces are ignored.
std::optional<int64_t> parse_data_time(std::string_view text);
// The Unix time below which a number is read as seconds (parse_data_time) and refused as
// milliseconds (a gateway's "at": before March 1973, Unix seconds sent by mistake).
inline constexpr int64_t kUnixSecondsBelow = 100'000'000'000;

// Why parse_data_time refuses `text`, for a message after "time 'TEXT' ": "is before 1970, the
// earliest time tunecase reads" for a well-formed date before then, else "is not a time tunecase
// reads; use <the formats>".
std::string data_time_problem(std::string_view text);

// `ms` since 1970 as "2026-12-05 03:40:01" (UTC), or without the seconds: times in messages
// and listings.
std::string utc_text(int64_t ms, bool seconds = true);

// What parse_data_time accepts, for error messages.
inline constexpr const char* kDataTimeFormats =
    "ISO 8601 (2024-03-01, 2024-03-01T10:00:00Z, 2024-03-01 10:00, with an offset such as "
    "+02:00) or Unix seconds or milliseconds (1709251200)";

}  // namespace tunecase
