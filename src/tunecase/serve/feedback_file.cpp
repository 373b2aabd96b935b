#include "tunecase/serve/feedback_file.h"

#include <algorithm>
#include <fstream>
#include <string_view>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/core/suggest.h"
#include "tunecase/core/trim.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/data/csv_reader.h"
#include "tunecase/data/normalize.h"
#include "tunecase/serve/pilot_plan.h"
#include "tunecase/serve/request_body.h"

namespace tunecase::serve {
namespace {

// The rows a file's lines gave, with every line refused on the way: all of them are named at
// once (a file with a few hundred blank labels had taken as many runs, one line each).
class Refusals {
 public:
  explicit Refusals(const std::filesystem::path& file) : file_(file) {}
  void add(std::size_t line, const std::string& problem) {
    lines_.push_back(fmt::format("{}:{}: {}", file_.string(), line, problem));
  }
  void throw_if_any() const {
    if (lines_.empty()) return;
    if (lines_.size() == 1) throw UserError(lines_.front() + "; nothing in the file was recorded");
    constexpr std::size_t kNamed = 20;
    std::string named;
    for (std::size_t i = 0; i < lines_.size() && i < kNamed; ++i) named += "\n  " + lines_[i];
    throw UserError(fmt::format(
        "{}: {} rows refused, so nothing in the file was recorded; fix them and run again:{}{}",
        file_.string(), lines_.size(), named,
        lines_.size() > kNamed ? fmt::format("\n  and {} more", lines_.size() - kNamed) : ""));
  }

 private:
  std::filesystem::path file_;
  std::vector<std::string> lines_;
};

FeedbackRows read_jsonl(const std::filesystem::path& file, const std::vector<std::string>& labels,
                        int64_t at_ms, const std::optional<FeedbackDating>& dating) {
  constexpr int64_t kDayMs = 86'400'000;
  int64_t clock = dating ? dating->clock_ms : 0;
  refuse_folder_as_file(file, "a feedback file");
  std::ifstream in(file);
  if (!in) throw UserError(fmt::format("{}: cannot open the feedback file", file.string()));
  FeedbackRows out;
  Refusals refusals(file);
  std::string line;
  bool any_line = false;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
    const std::size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    // A JSON array (a pretty-printed export) is not JSON Lines: its first line alone had been
    // called "not valid JSON", a body to send as an object.
    if (!any_line && line[first] == '[')
      throw UserError(fmt::format(
          "{}:{}: the file holds a JSON array; a feedback file is JSON Lines, one object per "
          "line ({{\"id\": ..., \"label\": ...}}). Convert it with `jq -c '.[]' {} > "
          "feedback.jsonl`, or write a CSV with id and label columns; nothing was recorded",
          file.string(), number, file.string()));
    // A pretty-printed object (or a stream of them): "{" alone on the first line. Read line by
    // line, every line had been refused as JSON of its own.
    if (!any_line && trimmed(line, " \t") == "{")
      throw UserError(fmt::format(
          "{}:{}: the file holds JSON written over several lines (pretty-printed); a feedback "
          "file is JSON Lines, one object per line ({{\"id\": ..., \"label\": ...}}). Convert "
          "it with `jq -c . {} > feedback.jsonl`; nothing was recorded",
          file.string(), number, file.string()));
    any_line = true;
    auto parsed = parse_feedback(line, labels);
    if (auto* e = std::get_if<BodyError>(&parsed)) {
      refusals.add(number, e->message);
      continue;
    }
    const auto& f = std::get<FeedbackBody>(parsed);
    int64_t received = at_ms;
    if (dating && f.at_ms && !dating->replay) {
      refusals.add(number,
                   "\"at\" dates a label of a replay, and this store keeps the wall clock (it "
                   "holds no replay): a label is dated when it is recorded. Leave \"at\" out, "
                   "or record a replay's labels into that replay's store");
      continue;
    }
    if (dating && dating->replay) {
      if (f.at_ms && *f.at_ms - clock > kLongestReplayLeapDays * kDayMs) {
        refusals.add(number, fmt::format("\"at\" is {:.0f} days after the store's replay clock "
                                         "({} UTC); a replay moves day by day and its clock "
                                         "never goes back, so a leap of over {} days is "
                                         "refused: check the time",
                                         double(*f.at_ms - clock) / double(kDayMs), utc_text(clock),
                                         kLongestReplayLeapDays));
        continue;
      }
      if (f.at_ms) clock = std::max(clock, *f.at_ms);
      received = clock;
    }
    out.rows.push_back({f.by, f.id, f.label, received});
    out.lines.push_back(number);
    out.at_ms.push_back(f.at_ms);
  }
  refusals.throw_if_any();
  if (dating && dating->replay && clock > dating->clock_ms) out.replay_clock_after = clock;
  if (!any_line)
    throw UserError(fmt::format(
        "{}: the file {}; a feedback file holds one JSON object per line ({{\"id\": ..., "
        "\"label\": ...}})",
        file.string(),
        std::filesystem::file_size(file) == 0 ? "is empty" : "holds only blank lines"));
  return out;
}

// A cell's surrounding spaces and tabs go; a line break inside a quoted cell stays.
std::string trimmed_cell(const std::string& cell) {
  return trimmed(cell, " \t");
}

// Where `name` is in the header. Two columns of that name (an export that carries a field twice,
// e.g. the category at creation and at close) are an error: taking either would be a guess about
// which holds the ground truth, as eval refuses it too.
std::optional<std::size_t> column(const std::filesystem::path& file,
                                  const std::vector<std::string>& header, const std::string& name,
                                  std::string_view flag) {
  auto it = std::find(header.begin(), header.end(), name);
  if (it == header.end()) return std::nullopt;
  auto again = std::find(it + 1, header.end(), name);
  if (again != header.end()) {
    throw UserError(fmt::format(
        "{}:1: the header names two columns '{}' (columns {} and {}); rename the one that does "
        "not hold what {} should read, or name another column with {}; nothing was recorded",
        file.string(), name, it - header.begin() + 1, again - header.begin() + 1,
        flag == "--label-column" ? "the label" : "the ids", flag));
  }
  return static_cast<std::size_t>(it - header.begin());
}

FeedbackRows read_csv(const std::filesystem::path& file, const std::vector<std::string>& labels,
                      int64_t at_ms, const FeedbackColumns& names) {
  CsvReader reader(file, sniff_delimiter(file).delimiter);
  const std::vector<std::string>& header = reader.header();
  auto id = column(file, header, names.id, "--id-column");
  auto prediction_id = column(file, header, names.prediction_id, "--prediction-id-column");
  auto label = column(file, header, names.label, "--label-column");
  if (!label || (!id && !prediction_id)) {
    std::string missing =
        !label ? fmt::format("no label column '{}'", names.label)
               : fmt::format("no id column '{}' or '{}'", names.id, names.prediction_id);
    throw UserError(fmt::format(
        "{}: the header has {}; its columns are {}. Name the columns your file uses with "
        "--id-column and --label-column",
        file.string(), missing, quoted_list(header, 20)));
  }
  FeedbackRows out;
  Refusals refusals(file);
  CsvRecord record;
  while (reader.next(record)) {
    // A row of empty cells, as a spreadsheet leaves cleared rows (",," or a shorter ","): nothing
    // to record, and no reason to refuse the file.
    if (std::all_of(record.fields.begin(), record.fields.end(),
                    [](const std::string& cell) { return trimmed_blank(cell).empty(); })) {
      ++out.empty_rows;
      continue;
    }
    if (!record.problem.empty()) {
      refusals.add(record.line, record.problem);
      continue;
    }
    // A stray quote (a note that opens with a quote mark and never closes it) makes the rows up
    // to the next quote one row, whose id is the first row's and whose label is the last's:
    // it had been recorded so, exit 0, the rows between lost without a word.
    if (record.last_line > record.line) {
      std::vector<std::size_t> row_like;
      // Lines whose label cell holds a label of the set (any, when none is checked): a note's
      // own line breaks rarely end in a delimiter and a label.
      for (const auto& [at, value] :
           row_like_lines(record, header.size(), static_cast<int>(*label), reader.delimiter()))
        if (labels.empty() ||
            std::find(labels.begin(), labels.end(),
                      spelling_in_set(trimmed_blank(value), labels)) != labels.end())
          row_like.push_back(at);
      if (!row_like.empty()) {
        refusals.add(record.line, stray_quote_problem(record.line, record.last_line,
                                                      record.text_after_quote, row_like));
        continue;
      }
    }
    auto field = [&](std::optional<std::size_t> c) {
      return c && *c < record.fields.size() ? record.fields[*c] : std::string();
    };
    Feedback f;
    f.received_at_ms = at_ms;
    // A ticketing system's export may pad its cells; " refund " is the label refund.
    // In NFC, as the data reader reads labels (spelling_in_set).
    // Unicode's spaces and invisible characters too: a cell of a no-break space had replaced a
    // real label (with --new-labels) as a label of its own.
    f.label = spelling_in_set(trimmed_blank(field(label)), labels);
    // A row that fills both is matched by its prediction_id, which names one logged prediction;
    // the id names the client's item (the id had won, and a row whose two cells disagreed
    // labelled another prediction).
    f.id = trimmed_cell(field(prediction_id));
    f.by = Feedback::By::prediction_id;
    if (!f.id.empty())
      if (std::string problem = prediction_id_problem(f.id); !problem.empty()) {
        refusals.add(record.line,
                     fmt::format("prediction_id {}; copy it whole, or give the item's id in the "
                                 "id column instead",
                                 problem));
        continue;
      }
    if (f.id.empty()) {
      f.id = trimmed_cell(field(id));
      f.by = Feedback::By::request_id;
    }
    if (f.id.empty() || f.label.empty()) {
      refusals.add(record.line, "the row has no id (or prediction_id) or no label; fill both");
      continue;
    }
    // PostgreSQL cuts text at a NUL byte: "T9\0-other" had labelled T9, as /v1/feedback and a
    // JSONL file refuse it.
    if (f.id.find('\0') != std::string::npos || f.label.find('\0') != std::string::npos) {
      refusals.add(record.line,
                   fmt::format("the row holds a NUL byte (in its {}), which the store cannot "
                               "keep; remove it and run again",
                               f.id.find('\0') != std::string::npos ? "id" : "label"));
      continue;
    }
    // No id or label holds a line break: a quoted cell that runs over lines is a quote gone
    // astray (one the check above could not tell from a note's line breaks).
    if (f.id.find('\n') != std::string::npos || f.label.find('\n') != std::string::npos) {
      refusals.add(record.line,
                   fmt::format("the row's {} runs from line {} to line {}: a quoted field opened "
                               "on line {} closes only there; an id or a label holds no line "
                               "break, so a quote is astray",
                               f.id.find('\n') != std::string::npos ? "id" : "label", record.line,
                               record.last_line, record.line));
      continue;
    }
    if (std::string problem = label_problem(f.label, labels); !problem.empty()) {
      refusals.add(record.line, problem);
      continue;
    }
    out.rows.push_back(std::move(f));
    out.lines.push_back(record.line);
    out.at_ms.emplace_back();
  }
  refusals.throw_if_any();
  return out;
}

}  // namespace

FeedbackRows read_feedback_file(const std::filesystem::path& file,
                                const std::vector<std::string>& labels, int64_t received_at_ms,
                                const FeedbackColumns& columns,
                                const std::optional<FeedbackDating>& dating) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    throw UserError(fmt::format("{}: is a folder; give the feedback file (CSV or JSONL) inside it",
                                file.string()));
  if (!std::filesystem::exists(file, ec))
    throw UserError(fmt::format("{}: no such file", file.string()));
  std::string ext = file.extension().string();
  if (ext == ".jsonl" || ext == ".json") return read_jsonl(file, labels, received_at_ms, dating);
  FeedbackRows rows = read_csv(file, labels, received_at_ms, columns);
  // A CSV row gives no time: on a replay store it is dated at the replay's clock.
  if (dating && dating->replay)
    for (Feedback& f : rows.rows) f.received_at_ms = dating->clock_ms;
  return rows;
}

}  // namespace tunecase::serve
