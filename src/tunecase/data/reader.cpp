#include "tunecase/data/reader.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tunecase/core/error.h"
#include "tunecase/core/suggest.h"
#include "tunecase/core/trim.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/data/csv_reader.h"
#include "tunecase/data/jsonl_reader.h"
#include "tunecase/data/normalize.h"
#include "tunecase/data/utf8_check.h"

namespace tunecase {
namespace {

enum class Format { kCsv, kTsv, kJsonl };

constexpr std::size_t kMaxInvalidSamples = 5;
constexpr std::string_view kSkipHint =
    ", or pass --skip-invalid (skip_invalid = true in [data]) "
    "to skip such rows";

Format format_of(const std::filesystem::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".csv") return Format::kCsv;
  if (ext == ".tsv") return Format::kTsv;
  if (ext == ".jsonl" || ext == ".ndjson") return Format::kJsonl;
  if (ext == ".txt") {
    // Excel's "Unicode Text" is a tab-separated UTF-16 .txt; its "Text" the same in the
    // system's code page. Say which, and the command that makes a file tunecase reads.
    std::ifstream in(file, std::ios::binary);
    char head[2] = {0, 0};
    in.read(head, 2);
    const bool utf16 = starts_with_utf16_mark(std::string_view(head, in.gcount()));
    throw UserError(fmt::format(
        "{}: unknown data format \".txt\"; {}", file.string(),
        utf16 ? fmt::format("it starts with a UTF-16 byte-order mark, as Excel's \"Unicode "
                            "Text\" (tab-separated) saves it: convert it with `{}` and read that",
                            to_utf8_command("UTF-16", file))
              : std::string("a tab-separated export (Excel's \"Text\") reads as .tsv, a "
                            "comma-separated one as .csv: rename it, or save as \"CSV UTF-8\"")));
  }
  throw UserError(
      fmt::format("{}: unknown data format \"{}\"; use a .csv, .tsv, .jsonl or .ndjson file",
                  file.string(), ext));
}

// "a number", "an array": for messages about a JSON value of the wrong type.
std::string with_article(const nlohmann::json& value) {
  std::string_view name = value.type_name();
  bool vowel = !name.empty() && std::string_view("aeiou").find(name[0]) != name.npos;
  return fmt::format("{} {}", vowel ? "an" : "a", name);
}

// Routes each row to labelled / unlabelled / skipped and keeps the counts, whatever the format.
class Collector {
 public:
  Collector(const std::filesystem::path& file, const ReadOptions& options, ReadResult& result)
      : file_(file),
        options_(options),
        result_(result),
        allowed_(options.allowed_labels.begin(), options.allowed_labels.end()) {
    if (options.normalize_labels)
      for (const std::string& label : options.allowed_labels)
        allowed_normalized_.emplace(normalize_text(label), label);
  }

  // `problem` says what is wrong and what to do, without file and line.
  void invalid(std::size_t line, std::string_view problem) {
    std::string message = fmt::format("{}:{}: {}", file_.string(), line, problem);
    if (!options_.skip_invalid) throw UserError(message + std::string(kSkipHint));
    ++result_.invalid_skipped;
    if (result_.invalid_samples.size() < kMaxInvalidSamples) {
      result_.invalid_samples.push_back(std::move(message));
    }
  }

  void add(Example&& example) {
    // Unicode's blanks too (the ideographic space, no-break and zero-width spaces): a text of
    // nothing else had been kept as a training row.
    if (blank(example.text)) {
      ++result_.empty_text_skipped;
      return;
    }
    std::string label = trimmed_blank(example.label);  // Unicode's spaces too
    // Counted once the row is kept (below): a trimmed label on a row skipped as invalid is in no
    // split, and counting it had made more rows "written with whitespace" than the label has.
    std::string as_written =
        label.size() != example.label.size() && !label.empty() ? example.label : std::string();
    // A label in decomposed form ("u" + U+0308, as macOS and some exports write it) is the same
    // label as its composed spelling: read in NFC, counted. It had been a label of its own that
    // looks exactly like the other, "never answered right" and "estimated wrong".
    std::string composed = nfc_text(label);
    const bool recomposed = composed != label;
    example.label = std::move(composed);
    if (example.id.empty())
      example.id = fmt::format("{}:{}", file_.filename().string(), example.line);
    if (example.label.empty()) {
      result_.unlabelled.push_back(std::move(example));
      return;
    }
    // A time column orders rows (split = "time") and dates them (replay): a time it cannot
    // read is a bad row, named here with its line, or skipped under skip_invalid.
    if (!options_.time_column.empty() && !parse_data_time(example.time)) {
      invalid(example.line, fmt::format("time '{}' in column \"{}\" {}", example.time,
                                        options_.time_column, data_time_problem(example.time)));
      return;
    }
    if (!allowed_.empty() && !allowed_.contains(example.label)) {
      // normalize_labels maps a spelling of an allowed label to it before the check refuses it.
      if (auto it = allowed_normalized_.find(normalize_text(example.label));
          it != allowed_normalized_.end()) {
        ++result_.mapped_spellings[it->second][example.label];
        example.label = it->second;
        ++result_.labels_mapped_to_allowed;
      }
    }
    if (!allowed_.empty() && !allowed_.contains(example.label)) {
      // One that differs only in letter case or a slip is named: "billing" against a [labels]
      // entry "Billing" had read as a label missing from the list.
      const std::vector<std::string> near = nearest_all(example.label, options_.allowed_labels);
      invalid(example.line,
              fmt::format("unknown label '{}'{}; the allowed labels are {} (from [labels]): fix "
                          "the row or add the label to [labels]",
                          visible(example.label),
                          !near.empty() ? fmt::format(" (did you mean {}? [labels] is matched "
                                                      "exactly, letter case too)",
                                                      quoted_alternatives(near))
                                        : std::string(),
                          quoted_list(options_.allowed_labels, options_.allowed_labels.size())));
      return;
    }
    if (recomposed) ++result_.labels_composed[example.label];
    if (!as_written.empty()) {
      ++result_.labels_trimmed;
      ++result_.trimmed_label_rows[example.label];
      result_.trimmed_label_spellings[example.label].insert(as_written);
    }
    result_.labelled.push_back(std::move(example));
  }

 private:
  const std::filesystem::path& file_;
  const ReadOptions& options_;
  ReadResult& result_;
  std::set<std::string, std::less<>> allowed_;
  std::map<std::string, std::string> allowed_normalized_;  // normalize_text -> allowed spelling
};

// A row whose quoted field runs over several lines, kept until every row's label is known.
struct SpannedRow {
  std::size_t line = 0, last_line = 0;
  bool text_after_quote = false;
  // Its lines (the last one aside) that split into as many fields as the header, each with what
  // stands in the label column (or "" without one): rows of their own that a stray quote took
  // in, when those are labels.
  std::vector<std::pair<std::size_t, std::string>> row_like;
};

// A row whose fields are the header's names, surrounding spaces aside: a second file's header,
// not data (its label would be the label column's name).
// A row that is the header again: its names in the same order, or (a second export whose
// columns were reordered or written in another case) the same names in any order or case.
// nullopt when it is a data row; else whether the names are in another order.
std::optional<bool> repeats_header(const CsvRecord& record,
                                   const std::vector<std::string>& header) {
  if (record.fields.size() != header.size() || header.size() < 2) return std::nullopt;
  auto folded = [](std::string_view s) {
    std::string out(trimmed(s));
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  bool same_order = true;
  for (std::size_t i = 0; i < header.size() && same_order; ++i)
    same_order = folded(record.fields[i]) == folded(header[i]);
  if (same_order) return false;
  std::multiset<std::string> names, cells;
  for (const auto& h : header) names.insert(folded(h));
  for (const auto& f : record.fields) cells.insert(folded(f));
  if (names == cells) return true;
  return std::nullopt;
}

std::string span_note(const CsvRecord& record) {
  return fmt::format(
      "this row runs from line {} to line {}: a quoted field opened on line {} "
      "closes only there",
      record.line, record.last_line, record.line);
}

SpannedRow spanned_row(const CsvRecord& record, std::size_t columns, int label_column,
                       char delimiter) {
  return {record.line, record.last_line, record.text_after_quote,
          row_like_lines(record, columns, label_column, delimiter)};
}

// A stray quote (a text that starts with a quote mark, or a quote left unpaired) opens a quoted
// field that the next quote in the file closes, lines later: every row between reads as part of
// one text, with the right number of fields, and nothing else looks wrong. Such a row is bad
// when lines inside it read as rows of their own: as many fields as the header and, with a label
// column, a label that other rows have. (A text with line breaks that is meant to have them
// rarely has a line that ends in a delimiter and a label.)
void check_spanned_rows(const std::vector<SpannedRow>& spanned, Collector& collector,
                        const ReadOptions& options, ReadResult& result) {
  std::set<std::string, std::less<>> labels(options.allowed_labels.begin(),
                                            options.allowed_labels.end());
  for (const Example& example : result.labelled) labels.insert(example.label);
  for (const SpannedRow& row : spanned) {
    std::vector<std::size_t> lines;
    for (const auto& [line, label] : row.row_like)
      if (label.empty() ? options.label_column.empty() : labels.contains(label))
        lines.push_back(line);
    if (lines.empty()) continue;
    // The row was routed already: skipped now, it leaves the labelled or unlabelled rows.
    for (Examples* examples : {&result.labelled, &result.unlabelled}) {
      auto it = std::find_if(examples->begin(), examples->end(),
                             [&](const Example& e) { return e.line == row.line; });
      if (it != examples->end()) examples->erase(it);
    }
    collector.invalid(row.line,
                      stray_quote_problem(row.line, row.last_line, row.text_after_quote, lines));
    result.invalid_lines_skipped += row.last_line - row.line;
  }
}

std::string missing_column(const std::filesystem::path& file, std::size_t line,
                           const std::string& name, std::string_view role, std::string_view key,
                           const std::vector<std::string>& existing, std::string_view noun,
                           std::string_view delimiter_note = {}) {
  // --text, --label and --time exist on the commands that read data; the id column has no flag.
  const std::string flag = key == "id" ? "" : fmt::format(" (or --{})", key);
  return fmt::format(
      "{}:{}: no {} \"{}\" (the {} {}); the {}s are: {}{}. Set [data] {} = \"<{}>\"{} to one of "
      "them",
      file.string(), line, noun, name, role, noun, noun, fmt::join(existing, ", "), delimiter_note,
      key, noun, flag);
}

// Index of each configured column in the CSV header; -1 when not configured.
struct Columns {
  int text = -1, label = -1, time = -1, id = -1;
};

Columns find_columns(const std::filesystem::path& file, const std::vector<std::string>& header,
                     const ReadOptions& options, std::string_view delimiter_note) {
  auto find = [&](const std::string& name, std::string_view role, std::string_view key) {
    if (name.empty()) return -1;
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) {
      throw UserError(missing_column(file, 1, name, role, key, header, "column", delimiter_note));
    }
    // Two columns of one name: taking either would be a guess about which holds the data.
    auto again = std::find(it + 1, header.end(), name);
    if (again != header.end()) {
      throw UserError(fmt::format(
          "{}:1: the header names two columns \"{}\" (columns {} and {}), the {} column; "
          "rename one of them in the file so that [data] {} names one column",
          file.string(), name, it - header.begin() + 1, again - header.begin() + 1, role, key));
    }
    return static_cast<int>(it - header.begin());
  };
  if (options.text_column.empty()) {
    throw UserError(
        fmt::format("{}: no text column configured; set [data] text (or --text)", file.string()));
  }
  return {find(options.text_column, "text", "text"), find(options.label_column, "label", "label"),
          find(options.time_column, "time", "time"), find(options.id_column, "id", "id")};
}

// What a missing-column message adds about the delimiter: which one split the header and why.
std::string delimiter_note(char delimiter, const std::optional<DelimiterGuess>& guess) {
  if (!guess) {
    return fmt::format(" (split at {}, the configured delimiter; [data] delimiter changes it)",
                       delimiter_name(delimiter));
  }
  return fmt::format(
      " (split at {}, sniffed from the header: {}; if that is wrong, set [data] delimiter = \";\" "
      "or \",\", \"tab\", \"|\")",
      delimiter_name(delimiter), guess->seen);
}

void read_csv(const std::filesystem::path& file, char delimiter, Collector& collector,
              const ReadOptions& options, ReadResult& result) {
  std::optional<DelimiterGuess> guess;
  if (delimiter == 0) {
    guess = sniff_delimiter(file);
    delimiter = guess->delimiter;
  }
  CsvReader reader(file, delimiter);
  delimiter = reader.delimiter();
  result.delimiter = delimiter;
  Columns columns = find_columns(file, reader.header(), options, delimiter_note(delimiter, guess));
  auto take = [](CsvRecord& record, int index) {
    return index < 0 ? std::string() : std::move(record.fields[static_cast<std::size_t>(index)]);
  };
  CsvRecord record;
  std::vector<SpannedRow> spanned;
  while (reader.next(record)) {
    // A line holding only a byte-order mark (an export with no rows joined in) is blank.
    if (record.fields.size() == 1 && record.fields[0] == "\xEF\xBB\xBF") continue;
    ++result.rows;
    if (!record.problem.empty()) {
      if (record.last_line > record.line)
        record.problem = fmt::format("{} ({})", record.problem, span_note(record));
      collector.invalid(record.line, record.problem);
      result.invalid_lines_skipped += record.last_line - record.line;
      continue;
    }
    // A byte-order mark opening a row: files joined one after the other (Excel writes one at
    // the start of every "CSV UTF-8" export), never part of the first field.
    if (!record.fields.empty() && record.fields[0].starts_with("\xEF\xBB\xBF"))
      record.fields[0].erase(0, 3);
    if (std::optional<bool> reordered = repeats_header(record, reader.header())) {
      // Rows after a reordered header would be read into the wrong columns: not skippable.
      if (*reordered)
        throw UserError(fmt::format(
            "{}:{}: this row is the header again with its columns in another order (files joined "
            "one after the other, each with its header?); the rows after it would be read into "
            "the wrong columns: join the files with their columns in one order",
            file.string(), record.line));
      collector.invalid(record.line,
                        "this row repeats the header line (files joined one after the other, "
                        "each with its header?); delete the line");
      continue;
    }
    if (record.last_line > record.line)
      spanned.push_back(spanned_row(record, reader.header().size(), columns.label, delimiter));
    Example example;
    example.line = record.line;
    example.text = take(record, columns.text);
    example.label = take(record, columns.label);
    example.time = take(record, columns.time);
    example.id = take(record, columns.id);
    collector.add(std::move(example));
  }
  if (!spanned.empty()) check_spanned_rows(spanned, collector, options, result);
}

// A JSONL field as text: strings as they are, numbers and booleans written out, null as "".
// Returns false for arrays and objects, which have no sensible text form.
bool scalar_text(const nlohmann::json& value, std::string& out) {
  if (value.is_string()) {
    out = value.get<std::string>();
  } else if (value.is_null()) {
    out.clear();
  } else if (value.is_number_float() && std::isfinite(value.get<double>()) &&
             std::trunc(value.get<double>()) == value.get<double>() &&
             std::fabs(value.get<double>()) < 1e15) {
    // 1.0 is the label 1 written by another exporter: one label, not two.
    out = fmt::format("{}", static_cast<int64_t>(value.get<double>()));
  } else if (value.is_number() || value.is_boolean()) {
    out = value.dump();
  } else {
    return false;
  }
  return true;
}

std::vector<std::string> keys_of(const nlohmann::json& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items()) keys.push_back(item.key());
  return keys;
}

// The first object decides whether the configured fields exist at all: a name that is wrong for
// the whole file must fail loudly rather than skip every row.
void check_fields(const std::filesystem::path& file, const JsonlRecord& first,
                  const ReadOptions& options) {
  auto check = [&](const std::string& name, std::string_view role, std::string_view key) {
    if (name.empty() || first.object.contains(name)) return;
    throw UserError(
        missing_column(file, first.line, name, role, key, keys_of(first.object), "field"));
  };
  check(options.text_column, "text", "text");
  check(options.label_column, "label", "label");
  check(options.time_column, "time", "time");
  check(options.id_column, "id", "id");
}

// Fills `example` from one object; returns the problem, empty when the row is usable.
std::string example_from_object(const nlohmann::json& object, const ReadOptions& options,
                                Example& example) {
  auto text = object.find(options.text_column);
  if (text == object.end()) {
    return fmt::format("no field \"{}\" (the text field); add it or remove the line",
                       options.text_column);
  }
  if (!text->is_string() && !text->is_null()) {
    return fmt::format("field \"{}\" is {}, not a string; write the text as a JSON string",
                       options.text_column, with_article(*text));
  }
  if (text->is_string()) example.text = text->get<std::string>();
  struct Optional {
    const std::string& name;
    std::string& out;
  };
  for (Optional field :
       {Optional{options.label_column, example.label}, Optional{options.time_column, example.time},
        Optional{options.id_column, example.id}}) {
    if (field.name.empty()) continue;
    auto value = object.find(field.name);
    if (value == object.end()) continue;
    if (!scalar_text(*value, field.out)) {
      return fmt::format("field \"{}\" is {}; write it as a string", field.name,
                         with_article(*value));
    }
  }
  return {};
}

void read_jsonl(const std::filesystem::path& file, Collector& collector, const ReadOptions& options,
                ReadResult& result) {
  JsonlReader reader(file);
  JsonlRecord record;
  bool fields_checked = false;
  while (reader.next(record)) {
    ++result.rows;
    if (!record.problem.empty()) {
      collector.invalid(record.line, record.problem);
      continue;
    }
    if (!fields_checked) {
      check_fields(file, record, options);
      fields_checked = true;
    }
    Example example;
    example.line = record.line;
    std::string problem = example_from_object(record.object, options, example);
    if (!problem.empty()) {
      collector.invalid(record.line, problem);
      continue;
    }
    collector.add(std::move(example));
  }
}

void check_readable(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    throw UserError(fmt::format(
        "{}: file not found; check the path (paths in a config are relative to the config "
        "file's folder)",
        file.string()));
  }
  if (std::filesystem::is_directory(file, ec)) {
    throw UserError(fmt::format(
        "{}: is a folder, not a data file; give the path of a .csv or .jsonl file", file.string()));
  }
}

}  // namespace

ReadResult read_examples(const std::filesystem::path& file, const ReadOptions& options) {
  check_readable(file);  // first: a folder has no format to name
  Format format = format_of(file);
  ReadResult result;
  Collector collector(file, options, result);
  switch (format) {
    case Format::kCsv:
      read_csv(file, options.delimiter, collector, options, result);
      break;
    case Format::kTsv:
      read_csv(file, '\t', collector, options, result);
      break;
    case Format::kJsonl:
      read_jsonl(file, collector, options, result);
      break;
  }
  return result;
}

}  // namespace tunecase
