#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace tunecase {

// 0-based offset of the first byte that is not part of well-formed UTF-8, or nullopt when
// `bytes` is valid. The readers use it to tell the user where in a line the bad byte sits.
std::optional<std::size_t> invalid_utf8_offset(std::string_view bytes);

// `bytes` as well-formed UTF-8 without NUL: each byte that is not part of a well-formed sequence,
// and each NUL, becomes U+FFFD. For text from outside (an upstream's answer, an excerpt cut at a
// byte count) on its way to a store that refuses malformed text (PostgreSQL) or truncates at NUL.
std::string valid_utf8(std::string_view bytes);

// True when `line` holds bytes >= 0x80 and none of them forms a well-formed multi-byte UTF-8
// sequence: what a Windows-1252 (or Latin-1) file looks like, where "é" is the single byte 0xE9.
// A line mixing valid UTF-8 sequences with stray bytes is not called Windows-1252.
bool looks_like_windows_1252(std::string_view line);

// The message for a line that is not UTF-8, without file and line: where the bad byte sits
// (`offset` is 0-based, `where` is e.g. "of line 3" or "of the line") and what to do. When the
// line looks like Windows-1252 the message says so, shows the character the byte stands for
// there, and gives the iconv command that converts `file` (a placeholder name when empty). A line
// with valid UTF-8 elsewhere on it, or in a file whose earlier lines held some (`utf8_earlier`), is
// a UTF-8 file with a damaged byte: the message says to mend the byte (converting the file would
// garble the rest).
std::string invalid_utf8_problem(std::string_view line, std::size_t offset, std::string_view where,
                                 bool utf8_earlier = false, const std::filesystem::path& file = {});

// The shell command that converts `file` from `encoding` to UTF-8 into a file tunecase reads:
// `iconv -f UTF-16 -t UTF-8 'tickets.csv' > 'tickets-utf8.csv'`. The output keeps the extension
// (".txt", Excel's tab-separated "Unicode Text", becomes ".tsv"); names are quoted for the shell.
// An empty `file` gives a placeholder (FILE.csv).
std::string to_utf8_command(std::string_view encoding, const std::filesystem::path& file);

// Whether `head` starts with a UTF-16 byte-order mark (FF FE or FE FF), as Excel's "Unicode Text"
// and PowerShell write files.
bool starts_with_utf16_mark(std::string_view head);

// Removes a UTF-8 byte order mark (EF BB BF) from the start of `first_line`, as an editor on
// Windows writes it; returns whether there was one. Readers call it on a file's first line.
bool strip_byte_order_mark(std::string& first_line);

// The columns `text` (valid UTF-8) takes in a terminal: two for a wide character (CJK, most
// emoji), none for a combining mark, one for the rest; for padding text tables.
std::size_t display_width(std::string_view text);

}  // namespace tunecase
