#include "tunecase/data/csv_reader.h"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/core/trim.h"
#include "tunecase/data/utf8_check.h"

namespace tunecase {

std::string delimiter_name(char delimiter) {
  if (delimiter == '\t') return "tab";
  return fmt::format("'{}'", delimiter);
}

std::optional<char> excel_separator_line(std::string_view line) {
  if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() == 7 && line.front() == '"' && line.back() == '"')
    line = line.substr(1, 5);  // "sep=;" quoted by a tool that quotes every line
  if (line.size() != 5 || (!line.starts_with("sep=") && !line.starts_with("SEP="))) return {};
  return line[4];
}

DelimiterGuess sniff_delimiter(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw UserError(fmt::format("{}: cannot open the file; check that it exists and is readable",
                                file.string()));
  }
  std::string header;
  std::getline(in, header);
  if (auto declared = excel_separator_line(header)) {
    // Excel's first line "sep=;" names the delimiter; the header is the line after it.
    return {*declared, fmt::format("the first line is Excel's \"sep={}\"", *declared)};
  }
  std::size_t counts[std::size(kSniffedDelimiters)] = {};
  bool quoted = false;
  for (char c : header) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    for (std::size_t i = 0; i < std::size(kSniffedDelimiters); ++i)
      if (c == kSniffedDelimiters[i]) ++counts[i];
  }
  DelimiterGuess guess;
  std::size_t best = 0;
  for (std::size_t i = 0; i < std::size(kSniffedDelimiters); ++i) {
    if (counts[i] > best) {
      best = counts[i];
      guess.delimiter = kSniffedDelimiters[i];
    }
    guess.seen += fmt::format("{}{} {}", i == 0 ? "the header has " : ", ", counts[i],
                              delimiter_name(kSniffedDelimiters[i]));
  }
  return guess;
}

CsvReader::CsvReader(const std::filesystem::path& file, char delimiter)
    : file_(file), delimiter_(delimiter) {
  in_.open(file, std::ios::binary);
  if (!in_) {
    throw UserError(fmt::format("{}: cannot open the file; check that it exists and is readable",
                                file.string()));
  }
  char first[2] = {0, 0};
  in_.read(first, 2);
  bool utf16 = starts_with_utf16_mark(std::string_view(first, in_.gcount()));
  in_.clear();
  in_.seekg(0);
  auto utf16_error = [&](const char* sign) {
    return UserError(fmt::format(
        "{}: the file looks UTF-16 encoded ({}), as Excel's \"Unicode Text\" saves it; convert "
        "it with `{}` (or save as \"CSV UTF-8\") and read the converted file",
        file.string(), sign, to_utf8_command("UTF-16", file)));
  };
  if (utf16) throw utf16_error("it starts with a UTF-16 byte-order mark");
  CsvRecord header;
  bool read = next(header);
  if (read && line_number_ == 1) {
    if (auto declared = excel_separator_line(line_)) {
      // Excel's "sep=;" line: the file says its delimiter, and the header follows.
      delimiter_ = *declared;
      read = next(header);
    }
  }
  if (!read) {
    throw UserError(
        fmt::format("{}: the file is empty; the first line must be a header naming the columns",
                    file.string()));
  }
  if (line_.find('\0') != std::string::npos)
    throw utf16_error("its header has NUL bytes between the characters");
  if (line_.find('\r') != std::string::npos) {
    // Lines ended by a bare carriage return read as one line: the whole file as its header.
    throw UserError(fmt::format(
        "{}: the lines end in a bare carriage return (CR, as old Mac software saves), so the "
        "whole file reads as one line; convert it with `tr '\\r' '\\n' < FILE > FILE-unix` (or "
        "save it with Windows or Unix line endings) and read the converted file",
        file.string()));
  }
  if (!header.problem.empty()) {
    throw UserError(fmt::format("{}:{}: header row: {}; fix the header line", file.string(),
                                header.line, header.problem));
  }
  header_.reserve(header.fields.size());
  for (const auto& name : header.fields) header_.push_back(trimmed(name));
}

bool CsvReader::utf8_later_in_file() {
  const std::streampos at = in_.tellg();
  if (at == std::streampos(-1)) return false;
  bool found = false;
  std::string line;
  // Up to 4 MB ahead: enough to meet an accented letter in any export, and quick.
  for (std::size_t read = 0; !found && read < (4u << 20) && std::getline(in_, line);) {
    read += line.size() + 1;
    if (invalid_utf8_offset(line)) continue;
    found = std::any_of(line.begin(), line.end(),
                        [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  }
  in_.clear();
  in_.seekg(at);
  return found;
}

bool CsvReader::read_line(CsvRecord& record) {
  if (!std::getline(in_, line_)) return false;
  ++line_number_;
  if (line_number_ == 1) strip_byte_order_mark(line_);
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  if (record.problem.empty()) {
    if (auto offset = invalid_utf8_offset(line_)) {
      // A first bad byte before any UTF-8 line: the lines after it say whether the file is UTF-8
      // (a damaged byte to mend) or another encoding to convert, which had been judged from this
      // line alone and garbled every later "à" on conversion.
      if (!utf8_seen_) utf8_seen_ = utf8_later_in_file();
      record.problem = invalid_utf8_problem(line_, *offset, fmt::format("of line {}", line_number_),
                                            utf8_seen_, file_);
    } else if (!utf8_seen_) {
      // A valid multi-byte character: the file is UTF-8, and a bad byte later is damage.
      utf8_seen_ = std::any_of(line_.begin(), line_.end(),
                               [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    }
  }
  return true;
}

bool CsvReader::next(CsvRecord& record) {
  record.problem.clear();
  record.lines.clear();
  record.text_after_quote = false;
  do {
    if (!read_line(record)) return false;
  } while (line_.empty());
  record.line = line_number_;
  parse_record(record);
  record.last_line = line_number_;
  if (!record.lines.empty()) record.lines.push_back(line_);
  if (record.problem.empty() && !header_.empty() && record.fields.size() != header_.size()) {
    // More fields than the header: most often an unquoted delimiter inside a text. Fewer: a
    // field left out, or a line break inside an unquoted text.
    const bool more = record.fields.size() > header_.size();
    const std::string delimiter = delimiter_ == '\t' ? "tabs"
                                  : delimiter_ == ','
                                      ? "commas"
                                      : delimiter_name(delimiter_) + " (the delimiter)";
    record.problem =
        more ? fmt::format("row has {} fields, header has {}; quote fields that contain {}",
                           record.fields.size(), header_.size(), delimiter)
             : fmt::format(
                   "row has {} fields, header has {}; a field is missing, or a text holds "
                   "a line break without quotes around it",
                   record.fields.size(), header_.size());
  }
  return true;
}

void CsvReader::parse_record(CsvRecord& record) {
  // Reuse the record's strings: their capacity survives from the previous call.
  std::size_t count = 0;
  std::size_t pos = 0;
  for (;;) {
    if (count == record.fields.size()) record.fields.emplace_back();
    std::string& field = record.fields[count++];
    field.clear();
    if (pos < line_.size() && line_[pos] == '"') {
      const std::size_t opened_at = line_number_;
      pos = read_quoted(record, pos + 1, field);
      if (line_number_ != opened_at && pos < line_.size() && line_[pos] != delimiter_)
        record.text_after_quote = true;
    }
    std::size_t end = line_.find(delimiter_, pos);
    field.append(line_, pos, end == std::string::npos ? std::string::npos : end - pos);
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  record.fields.resize(count);
}

std::size_t CsvReader::read_quoted(CsvRecord& record, std::size_t pos, std::string& field) {
  const std::size_t opened_at = line_number_;
  for (;;) {
    std::size_t quote = line_.find('"', pos);
    if (quote == std::string::npos) {
      field.append(line_, pos);
      field.push_back('\n');
      record.lines.push_back(line_);
      if (!read_line(record)) {
        throw UserError(fmt::format(
            "{}:{}: a quoted field opened on this line is never closed; close the quote, and "
            "write a quote inside a quoted field as \"\"",
            file_.string(), opened_at));
      }
      pos = 0;
      continue;
    }
    field.append(line_, pos, quote - pos);
    if (quote + 1 < line_.size() && line_[quote + 1] == '"') {
      field.push_back('"');
      pos = quote + 2;
      continue;
    }
    return quote + 1;
  }
}

namespace {

// The index of the field whose quote opens on `line` and does not close on it (the field that
// runs over the next lines); nullopt when none does.
std::optional<std::size_t> spanning_field(std::string_view line, char delimiter) {
  std::size_t field = 0, pos = 0;
  for (;;) {
    if (pos < line.size() && line[pos] == '"') {
      std::size_t at = pos + 1;
      for (;;) {  // the closing quote: one not doubled
        at = line.find('"', at);
        if (at == line.npos) return field;
        if (at + 1 < line.size() && line[at + 1] == '"') {
          at += 2;
          continue;
        }
        break;
      }
      pos = at + 1;
    }
    std::size_t end = line.find(delimiter, pos);
    if (end == line.npos) return std::nullopt;
    pos = end + 1;
    ++field;
  }
}

}  // namespace

std::vector<std::pair<std::size_t, std::string>> row_like_lines(const CsvRecord& record,
                                                                std::size_t columns,
                                                                int label_column, char delimiter) {
  std::vector<std::pair<std::size_t, std::string>> out;
  // The first line is the row's own start: it reads as a row of its own only when the label
  // column falls inside the quoted text (a text first, its quote stray), not when the row's
  // label comes before the quote (a label column first, then a text with line breaks).
  const auto opened =
      record.lines.empty() ? std::nullopt : spanning_field(record.lines.front(), delimiter);
  const bool first_counts =
      opened && label_column >= 0 && static_cast<std::size_t>(label_column) > *opened;
  // Not the last line: the quote that closes the field is on it, and what follows is the row's
  // own remaining fields, which always look like a row's end.
  for (std::size_t i = first_counts ? 0 : 1; i + 1 < record.lines.size(); ++i) {
    const std::string& line = record.lines[i];
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    for (;;) {
      std::size_t end = line.find(delimiter, start);
      fields.push_back(
          std::string_view(line).substr(start, end == line.npos ? line.npos : end - start));
      if (end == line.npos) break;
      start = end + 1;
    }
    if (fields.size() != columns || columns < 2) continue;
    std::string label;
    if (label_column >= 0) {
      std::string_view value = fields[static_cast<std::size_t>(label_column)];
      while (!value.empty() && value.front() == '"') value.remove_prefix(1);
      while (!value.empty() && value.back() == '"') value.remove_suffix(1);
      label = trimmed(std::string(value));
      if (label.empty()) continue;
    }
    out.emplace_back(record.line + i, std::move(label));
  }
  return out;
}

std::string stray_quote_problem(std::size_t line, std::size_t last_line, bool text_after_quote,
                                const std::vector<std::size_t>& row_like) {
  return fmt::format(
      "a quoted field opened on this line closes only on line {}, so the {} lines from here "
      "read as one row, and {} of them look{} like rows of their own (line{} {}{}){}; a quote "
      "at the start of a field opens a quoted field: if the quote is part of the text, write it "
      "as \"\" inside a field that is quoted as a whole, or remove it",
      last_line, last_line - line + 1, row_like.size(), row_like.size() == 1 ? "s" : "",
      row_like.size() > 1 ? "s" : "", row_like.empty() ? line : row_like.front(),
      row_like.size() > 2   ? fmt::format(", {}, ...", row_like[1])
      : row_like.size() > 1 ? fmt::format(", {}", row_like[1])
                            : std::string(),
      text_after_quote
          ? fmt::format("; on line {} text follows the quote that closes it", last_line)
          : std::string());
}

}  // namespace tunecase
