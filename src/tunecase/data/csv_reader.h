#pragma once

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tunecase {

// The field delimiters a CSV header is sniffed for, in order of preference on a tie.
inline constexpr char kSniffedDelimiters[] = {',', ';', '\t', '|'};

// What sniff_delimiter() decided and why.
struct DelimiterGuess {
  char delimiter = ',';
  // What the header showed, for messages: "the header has 1 ';', 0 ',', 0 tab, 0 '|'".
  std::string seen;
};

// Picks the delimiter of a CSV file from its header line: the candidate of kSniffedDelimiters
// that occurs most often outside double quotes (ties and a one-column header: the earlier
// candidate, so ',' by default). Throws UserError when the file cannot be opened.
DelimiterGuess sniff_delimiter(const std::filesystem::path& file);

// The delimiter a first line such as Excel's "sep=;" declares (a byte-order mark, a CR and
// surrounding quotes allowed); nullopt for any other line. CsvReader skips such a line and takes
// the delimiter it names; sniff_delimiter returns it.
std::optional<char> excel_separator_line(std::string_view line);

// "','", "';'", "tab", "'|'": a delimiter as messages name it.
std::string delimiter_name(char delimiter);

// One data record of a delimited file.
struct CsvRecord {
  std::vector<std::string> fields;
  std::size_t line = 0;       // 1-based line where the record starts
  std::size_t last_line = 0;  // the line where it ends: later than `line` when a quoted field
                              // holds line breaks
  // A record over several lines: each of its lines as written, the first one included (empty for
  // a record on one line). A stray quote makes a run of rows read as one; callers look here for
  // lines that read as rows of their own.
  std::vector<std::string> lines;
  // A quoted field over several lines had text between its closing quote and the next delimiter
  // (kept literally, as Python's csv module does): the quote that closed it was most likely not
  // meant to.
  bool text_after_quote = false;
  // Empty when the record is well-formed; otherwise what is wrong with it (ragged row, invalid
  // UTF-8), without file and line. The reader stays in step, so a caller may skip the record.
  std::string problem;
};

// Streaming RFC 4180 reader: quoted fields, "" escapes, delimiters and newlines inside quotes,
// CRLF or LF line ends, a UTF-8 byte-order mark is stripped. The first record is the header.
// Blank lines between records are ignored. Newlines inside quoted fields come back as "\n".
// Lenient where Python's csv module is: a quote inside an unquoted field, or text after a
// closing quote, is kept literally.
class CsvReader {
 public:
  // Opens `file` and reads the header (the line after an Excel "sep=X" line, whose X then is the
  // delimiter). Throws UserError when the file cannot be opened, is
  // empty, or the header itself is malformed.
  explicit CsvReader(const std::filesystem::path& file, char delimiter = ',');

  // Column names as written in the header, surrounding whitespace trimmed.
  const std::vector<std::string>& header() const { return header_; }
  // The delimiter the fields are split at: the one given, or the one a "sep=" line declared.
  char delimiter() const { return delimiter_; }

  // Reads the next record into `record` (its strings are reused); false at end of file.
  // Throws UserError for a quoted field that is never closed: it swallows the rest of the
  // file, so no later record could be trusted.
  bool next(CsvRecord& record);

 private:
  bool read_line(CsvRecord& record);
  void parse_record(CsvRecord& record);
  // Appends the rest of a quoted field starting after its opening quote at `pos`; returns the
  // position just after the closing quote (possibly on a later line).
  std::size_t read_quoted(CsvRecord& record, std::size_t pos, std::string& field);

  std::filesystem::path file_;
  std::ifstream in_;
  char delimiter_;
  std::string line_;
  std::size_t line_number_ = 0;
  bool utf8_seen_ = false;  // another line held a valid multi-byte UTF-8 character
  // Whether a line after the current one holds UTF-8 (read ahead, then back to where it was).
  bool utf8_later_in_file();
  std::vector<std::string> header_;
};

// A record over several lines whose lines (the last one aside; the first only when the quoted
// field that runs over them opens before the label column) split at `delimiter` into `columns`
// fields: rows of their own that a stray quote took in. Each with its line number and what
// stands in `label_column` (-1: none, then ""), trimmed of quotes and spaces; a line whose label
// cell is empty is left out.
std::vector<std::pair<std::size_t, std::string>> row_like_lines(const CsvRecord& record,
                                                                std::size_t columns,
                                                                int label_column, char delimiter);

// What a stray quote did to the rows from `line` to `last_line`, naming the first of the
// `row_like` lines that read as rows of their own (without the file and line prefix).
std::string stray_quote_problem(std::size_t line, std::size_t last_line, bool text_after_quote,
                                const std::vector<std::size_t>& row_like);

}  // namespace tunecase
