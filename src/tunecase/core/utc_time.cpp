#include "tunecase/core/utc_time.h"

#include <fmt/chrono.h>

namespace tunecase {
namespace {

// Reads `digits` decimal digits at `pos`; false when they are not there.
bool read_number(std::string_view text, std::size_t& pos, std::size_t digits, int64_t& out) {
  if (pos + digits > text.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += digits;
  return true;
}

}  // namespace

int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

namespace {

// parse_utc_time without its bound at 1970.
std::optional<int64_t> parse_utc_time_any(std::string_view text) {
  std::size_t pos = 0;
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, milli = 0, offset_minutes = 0;
  auto expect = [&](char c) { return pos < text.size() && text[pos++] == c; };
  if (!read_number(text, pos, 4, y) || !expect('-') || !read_number(text, pos, 2, mo) ||
      !expect('-') || !read_number(text, pos, 2, d))
    return std::nullopt;
  // A day the month does not have (2025-02-30, 2025-04-31) is refused, not rolled into the next.
  static constexpr int64_t kDaysIn[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1) return std::nullopt;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > kDaysIn[mo - 1] + (mo == 2 && leap ? 1 : 0)) return std::nullopt;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return std::nullopt;
    ++pos;
    if (!read_number(text, pos, 2, h) || !expect(':') || !read_number(text, pos, 2, mi))
      return std::nullopt;
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!read_number(text, pos, 2, sec)) return std::nullopt;
      // A fraction keeps its milliseconds (digits past them are dropped): ".250" had been
      // read as ".000" while a numeric time kept its milliseconds.
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        int64_t scale = 100;
        const std::size_t first = pos;
        for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, scale /= 10)
          milli += (text[pos] - '0') * scale;
        if (pos == first) return std::nullopt;
      }
    }
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
    if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
      ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      int64_t sign = text[pos++] == '-' ? -1 : 1, oh = 0, om = 0;
      if (!read_number(text, pos, 2, oh)) return std::nullopt;
      if (pos < text.size() && text[pos] == ':') ++pos;
      if (pos < text.size() && !read_number(text, pos, 2, om)) return std::nullopt;
      if (oh > 23 || om > 59) return std::nullopt;
      offset_minutes = sign * (oh * 60 + om);
    }
    if (pos != text.size()) return std::nullopt;
  }
  int64_t days = days_from_civil(y, mo, d);
  return ((days * 24 + h) * 60 + mi - offset_minutes) * 60'000 + sec * 1000 + milli;
}

}  // namespace

std::optional<int64_t> parse_utc_time(std::string_view text) {
  std::optional<int64_t> ms = parse_utc_time_any(text);
  if (ms && *ms < 0) return std::nullopt;
  return ms;
}

std::string data_time_problem(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  std::optional<int64_t> ms = parse_utc_time_any(text);
  if (ms && *ms < 0) return "is before 1970, the earliest time tunecase reads";
  return std::string("is not a time tunecase reads; use ") + kDataTimeFormats;
}

std::optional<int64_t> parse_data_time(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  bool digits = true;
  for (char c : text) digits = digits && c >= '0' && c <= '9';
  if (!digits) return parse_utc_time(text);
  // Fewer than 9 digits would be a time before 1973: more likely a compact date (20240301)
  // read the wrong way, so it is refused.
  if (text.size() < 9 || text.size() > 15) return std::nullopt;
  int64_t n = 0;
  for (char c : text) n = n * 10 + (c - '0');
  return n < kUnixSecondsBelow ? n * 1000 : n;
}

std::string utc_text(int64_t ms, bool seconds) {
  const std::tm t = fmt::gmtime(static_cast<std::time_t>(ms / 1000));
  return seconds ? fmt::format("{:%Y-%m-%d %H:%M:%S}", t) : fmt::format("{:%Y-%m-%d %H:%M}", t);
}

}  // namespace tunecase
