#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

// Calendar dates and UTC times without the C library's time zone state.
namespace tunecase {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t days_from_civil(int64_t year, int64_t month, int64_t day);

// "2025-08-14", "2025-08-14T09:30:00Z" or "2025-08-14 09:30:00" (UTC; fractions of a second and
// a trailing Z are accepted) as milliseconds since 1970; nullopt for anything else, and for
// dates before 1970.
std::optional<int64_t> parse_utc_time(std::string_view text);

}  // namespace tunecase
