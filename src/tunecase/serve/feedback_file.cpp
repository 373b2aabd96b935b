#include "tunecase/serve/feedback_file.h"

#include <algorithm>
#include <fstream>
#include <string_view>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/core/suggest.h"
#include "tunecase/core/trim.h"
#include "tunecase/data/csv_reader.h"
#include "tunecase/data/normalize.h"
#include "tunecase/serve/request_body.h"

namespace tunecase::serve {
namespace {

std::vector<Feedback> read_jsonl(const std::filesystem::path& file,
                                 const std::vector<std::string>& labels, int64_t at_ms) {
  refuse_folder_as_file(file, "a feedback file");
  std::ifstream in(file);
  if (!in) throw UserError(fmt::format("{}: cannot open the feedback file", file.string()));
  std::vector<Feedback> out;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    auto parsed = parse_feedback(line, labels);
    if (auto* e = std::get_if<BodyError>(&parsed))
      throw UserError(fmt::format("{}:{}: {}", file.string(), number, e->message));
    const auto& f = std::get<FeedbackBody>(parsed);
    out.push_back({f.by, f.id, f.label, at_ms});
  }
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

std::vector<Feedback> read_csv(const std::filesystem::path& file,
                               const std::vector<std::string>& labels, int64_t at_ms,
                               const FeedbackColumns& names) {
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
  std::vector<Feedback> out;
  CsvRecord record;
  while (reader.next(record)) {
    auto where = [&] { return fmt::format("{}:{}", file.string(), record.line); };
    if (!record.problem.empty()) throw UserError(where() + ": " + record.problem);
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
      if (std::string problem = prediction_id_problem(f.id); !problem.empty())
        throw UserError(
            fmt::format("{}: prediction_id {}; copy it whole, or give the item's id "
                        "in the id column instead",
                        where(), problem));
    if (f.id.empty()) {
      f.id = trimmed_cell(field(id));
      f.by = Feedback::By::request_id;
    }
    if (f.id.empty() || f.label.empty())
      throw UserError(where() + ": the row has no id (or prediction_id) or no label; fill both");
    // PostgreSQL cuts text at a NUL byte: "T9\0-other" had labelled T9, as /v1/feedback and a
    // JSONL file refuse it.
    if (f.id.find('\0') != std::string::npos || f.label.find('\0') != std::string::npos)
      throw UserError(where() + ": the row holds a NUL byte (in its " +
                      (f.id.find('\0') != std::string::npos ? "id" : "label") +
                      "), which the store cannot keep; remove it and run again");
    if (std::string problem = label_problem(f.label, labels); !problem.empty())
      throw UserError(where() + ": " + problem);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

std::vector<Feedback> read_feedback_file(const std::filesystem::path& file,
                                         const std::vector<std::string>& labels,
                                         int64_t received_at_ms, const FeedbackColumns& columns) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    throw UserError(fmt::format("{}: is a folder; give the feedback file (CSV or JSONL) inside it",
                                file.string()));
  if (!std::filesystem::exists(file, ec))
    throw UserError(fmt::format("{}: no such file", file.string()));
  std::string ext = file.extension().string();
  if (ext == ".jsonl" || ext == ".json") return read_jsonl(file, labels, received_at_ms);
  return read_csv(file, labels, received_at_ms, columns);
}

}  // namespace tunecase::serve
