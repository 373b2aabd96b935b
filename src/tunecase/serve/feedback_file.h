#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "tunecase/store/records.h"

namespace tunecase::serve {

// The CSV columns a feedback file's rows are read from (a ticketing system's export names its
// own: `--id-column ticket_id --label-column final_category`).
struct FeedbackColumns {
  std::string id = "id";
  std::string prediction_id = "prediction_id";
  std::string label = "label";
};

// A feedback file's rows, each with the line it starts on.
struct FeedbackRows {
  std::vector<Feedback> rows;
  std::vector<std::size_t> lines;
  // Per row, the "at" a JSONL row gave (as POST /v1/feedback takes it; a CSV row gives none).
  std::vector<std::optional<int64_t>> at_ms;
  // With FeedbackDating::replay: the replay clock after the rows' "at" moved it (none moved it:
  // nullopt).
  std::optional<int64_t> replay_clock_after;
  // CSV rows whose every cell is empty (",,": cells a spreadsheet cleared), skipped as blank lines
  // are.
  std::size_t empty_rows = 0;
};

// How a file's rows are dated, as the store's gateway dates a feedback: a replay store by its
// replay clock (`clock_ms`), a row's "at" moving it on and never back, over 400 days ahead
// refused; a wall-clock store by the time it is recorded, a row with "at" refused. Each refused
// row is named with the file's other refusals.
struct FeedbackDating {
  bool replay = false;
  int64_t clock_ms = 0;
};

// Reads a file of delayed ground truth for `tunecase feedback`: JSONL (one object per line, as
// POST /v1/feedback takes it) when the name ends in .jsonl or .json, else CSV (its delimiter
// sniffed from the header, as eval reads data) with a header holding the label column and the
// id or prediction_id column (a row may fill either; one that fills both is matched by its
// prediction_id). Every row gets received_at_ms =
// `received_at_ms`. Throws UserError naming file:line for every malformed row (a stray quote that
// runs rows together included), row without id or label, and label outside `labels` (when not
// empty), the first 20 of them; a header without the columns names the columns it has; a JSON
// array, an empty JSONL file, or one of blank lines only, is an error too.
// With `dating`, rows are dated as it says (received_at_ms is the wall clock's time); without,
// every row gets received_at_ms and "at" is only reported in at_ms.
FeedbackRows read_feedback_file(const std::filesystem::path& file,
                                const std::vector<std::string>& labels, int64_t received_at_ms,
                                const FeedbackColumns& columns = {},
                                const std::optional<FeedbackDating>& dating = std::nullopt);

}  // namespace tunecase::serve
