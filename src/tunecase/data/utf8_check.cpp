#include "tunecase/data/utf8_check.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <utf8proc.h>

namespace tunecase {
namespace {

// Windows-1252's 0x80-0x9F block (Latin-1 has control codes there); 0 marks the five undefined
// bytes. 0xA0-0xFF are the Latin-1 code points themselves.
constexpr char16_t kWindows1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

// The character a Windows-1252 byte stands for, as UTF-8 ("" for the undefined ones).
std::string windows_1252_char(unsigned char byte) {
  char32_t cp = byte < 0x80 ? byte : byte < 0xA0 ? kWindows1252High[byte - 0x80] : byte;
  if (cp == 0) return {};
  utf8proc_uint8_t out[4];
  auto n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(cp), out);
  return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
}

}  // namespace

std::optional<std::size_t> invalid_utf8_offset(std::string_view bytes) {
  // Most lines are plain ASCII: skip to the first non-ASCII byte before decoding.
  std::size_t pos = 0;
  while (pos < bytes.size() && static_cast<unsigned char>(bytes[pos]) < 0x80) ++pos;
  const auto* base = reinterpret_cast<const utf8proc_uint8_t*>(bytes.data());
  while (pos < bytes.size()) {
    utf8proc_int32_t codepoint;
    utf8proc_ssize_t n =
        utf8proc_iterate(base + pos, static_cast<utf8proc_ssize_t>(bytes.size() - pos), &codepoint);
    if (n <= 0) return pos;
    pos += static_cast<std::size_t>(n);
  }
  return std::nullopt;
}

std::string valid_utf8(std::string_view bytes) {
  constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  if (!invalid_utf8_offset(bytes) && bytes.find('\0') == std::string_view::npos)
    return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() + 8);
  const auto* base = reinterpret_cast<const utf8proc_uint8_t*>(bytes.data());
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    utf8proc_int32_t codepoint;
    utf8proc_ssize_t n =
        utf8proc_iterate(base + pos, static_cast<utf8proc_ssize_t>(bytes.size() - pos), &codepoint);
    if (n <= 0 || codepoint == 0) {
      out += kReplacement;
      ++pos;
      continue;
    }
    out.append(bytes.substr(pos, static_cast<std::size_t>(n)));
    pos += static_cast<std::size_t>(n);
  }
  return out;
}

std::string to_utf8_command(std::string_view encoding, const std::filesystem::path& file) {
  const std::filesystem::path in = file.empty() ? std::filesystem::path("FILE.csv") : file;
  std::string ext = in.extension().string();
  std::string lower = ext;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == ".txt" || ext.empty()) ext = lower == ".txt" ? ".tsv" : ".csv";
  const std::filesystem::path out = in.parent_path() / (in.stem().string() + "-utf8" + ext);
  auto quoted = [](const std::string& name) {
    if (!name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
          return std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == '/';
        }))
      return name;
    std::string q = "'";
    for (char c : name) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  };
  return fmt::format("iconv -f {} -t UTF-8 {} > {}", encoding, quoted(in.string()),
                     quoted(out.string()));
}

bool looks_like_windows_1252(std::string_view line) {
  const auto* base = reinterpret_cast<const utf8proc_uint8_t*>(line.data());
  bool high = false;
  for (std::size_t pos = 0; pos < line.size(); ++pos) {
    auto byte = static_cast<unsigned char>(line[pos]);
    if (byte < 0x80) continue;
    high = true;
    utf8proc_int32_t codepoint;
    utf8proc_ssize_t n =
        utf8proc_iterate(base + pos, static_cast<utf8proc_ssize_t>(line.size() - pos), &codepoint);
    if (n > 1) return false;  // a well-formed UTF-8 sequence: this line is (partly) UTF-8
    if (windows_1252_char(byte).empty()) return false;
  }
  return high;
}

namespace {

// How a line's bytes at or above 0x80 read as UTF-8: the well-formed multi-byte characters, the
// spots that are not, and the longest run of such bytes in a row.
struct HighBytes {
  std::size_t valid = 0, invalid = 0, longest_run = 0;
};

HighBytes high_bytes(std::string_view line) {
  const auto* base = reinterpret_cast<const utf8proc_uint8_t*>(line.data());
  HighBytes h;
  std::size_t run = 0;
  for (std::size_t pos = 0; pos < line.size();) {
    if (static_cast<unsigned char>(line[pos]) < 0x80) {
      run = 0;
      ++pos;
      continue;
    }
    utf8proc_int32_t codepoint;
    utf8proc_ssize_t n =
        utf8proc_iterate(base + pos, static_cast<utf8proc_ssize_t>(line.size() - pos), &codepoint);
    const std::size_t step = n > 1 ? static_cast<std::size_t>(n) : 1;
    (n > 1 ? h.valid : h.invalid) += 1;
    run += step;
    h.longest_run = std::max(h.longest_run, run);
    pos += step;
  }
  return h;
}

}  // namespace

std::string invalid_utf8_problem(std::string_view line, std::size_t offset, std::string_view where,
                                 bool utf8_earlier, const std::filesystem::path& file) {
  // Western European text in Windows-1252 has the odd accented letter among ASCII ones
  // ("café", "ação"); Cyrillic, Greek, Hebrew or Arabic in their code pages, and Chinese or
  // Japanese in GBK or Shift_JIS, write whole words of such bytes. Converting those from
  // Windows-1252 "succeeds" and trains on garbled labels, and the odd pair of their bytes that
  // happens to be well-formed UTF-8 had made the line read as UTF-8 with one damaged byte.
  const HighBytes high = high_bytes(line);
  const bool legacy = !utf8_earlier && high.longest_run >= 3 &&
                      (high.valid == 0 || (high.invalid >= 3 && high.invalid >= high.valid));
  if (offset < line.size() && legacy) {
    const auto byte = static_cast<unsigned char>(line[offset]);
    return fmt::format(
        "invalid UTF-8 at byte {} {} (byte 0x{:02X}): the line writes whole words in bytes "
        "above 0x7F, not the odd accented letter of Windows-1252, so the file is in another "
        "legacy encoding: e.g. CP1251 (Cyrillic), CP1253 (Greek), CP1255 (Hebrew), CP1256 "
        "(Arabic), GBK or GB18030 (Chinese), SHIFT_JIS (Japanese), EUC-KR (Korean). Find which "
        "(the exporting program's setting, or `file -i {}`), convert it with `{}` and check that "
        "a few labels read right before using it",
        offset + 1, where, byte, file.empty() ? std::string("FILE") : file.string(),
        to_utf8_command("ENCODING", file));
  }
  if (offset < line.size() && !utf8_earlier && looks_like_windows_1252(line)) {
    auto byte = static_cast<unsigned char>(line[offset]);
    return fmt::format(
        "invalid UTF-8 at byte {} {}: byte 0x{:02X} is \"{}\" in Windows-1252 (Latin-1), and no "
        "byte of the line is UTF-8, so the file looks Windows-1252 / Latin-1 encoded; convert it "
        "with `{}` and read the converted file",
        offset + 1, where, byte, windows_1252_char(byte), to_utf8_command("WINDOWS-1252", file));
  }
  // Any well-formed multi-byte sequence on the line says the file is UTF-8 and this byte is
  // damage: converting the whole file from another encoding would garble every other accented
  // letter in it (a "möchte" becomes "mÃ¶chte"), so the advice is to mend the byte.
  const auto* base = reinterpret_cast<const utf8proc_uint8_t*>(line.data());
  bool utf8_elsewhere = utf8_earlier;
  for (std::size_t pos = 0; pos < line.size() && !utf8_elsewhere;) {
    if (static_cast<unsigned char>(line[pos]) < 0x80) {
      ++pos;
      continue;
    }
    utf8proc_int32_t codepoint;
    utf8proc_ssize_t n =
        utf8proc_iterate(base + pos, static_cast<utf8proc_ssize_t>(line.size() - pos), &codepoint);
    utf8_elsewhere = n > 1;
    pos += n > 0 ? static_cast<std::size_t>(n) : 1;
  }
  const auto byte = offset < line.size() ? static_cast<unsigned char>(line[offset]) : 0;
  const std::size_t from = offset > 24 ? offset - 24 : 0;
  const std::string before = valid_utf8(line.substr(from, offset - from));
  if (utf8_elsewhere) {
    return fmt::format(
        "invalid UTF-8 at byte {} {} (byte 0x{:02X}, after \"{}\"): {} UTF-8, so the file is "
        "UTF-8 with a damaged byte here, not in another encoding; fix or delete that byte in an "
        "editor (converting the whole file, e.g. with iconv, would garble its other accented "
        "letters)",
        offset + 1, where, byte, before,
        utf8_earlier ? "other lines of the file are" : "the rest of the line is");
  }
  return fmt::format(
      "invalid UTF-8 at byte {} {} (byte 0x{:02X}, after \"{}\"): the line is neither UTF-8 "
      "nor Windows-1252; find the file's encoding (`file -i {}`) and convert it with "
      "`{}`, or fix that byte",
      offset + 1, where, byte, before, file.empty() ? std::string("FILE") : file.string(),
      to_utf8_command("ENCODING", file));
}

bool starts_with_utf16_mark(std::string_view head) {
  return head.starts_with("\xFF\xFE") || head.starts_with("\xFE\xFF");
}

bool strip_byte_order_mark(std::string& first_line) {
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  if (!first_line.starts_with(kByteOrderMark)) return false;
  first_line.erase(0, kByteOrderMark.size());
  return true;
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  auto p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  auto left = static_cast<utf8proc_ssize_t>(text.size());
  while (left > 0) {
    utf8proc_int32_t c = 0;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &c);
    if (n <= 0) {  // not UTF-8: one column a byte
      ++width;
      ++p;
      --left;
      continue;
    }
    width += static_cast<std::size_t>(std::max(0, utf8proc_charwidth(c)));
    p += n;
    left -= n;
  }
  return width;
}

}  // namespace tunecase
