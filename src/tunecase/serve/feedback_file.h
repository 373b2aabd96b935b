#pragma once

#include <filesystem>
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

// Reads a file of delayed ground truth for `tunecase feedback`: JSONL (one object per line, as
// POST /v1/feedback takes it) when the name ends in .jsonl or .json, else CSV (its delimiter
// sniffed from the header, as eval reads data) with a header holding the label column and the
// id or prediction_id column (a row may fill either; one that fills both is matched by its
// prediction_id). Every row gets received_at_ms =
// `received_at_ms`. Throws UserError naming file:line for a malformed row, a row without id or
// label, or a label outside `labels` (when not empty); a header without the columns names the
// columns it has.
std::vector<Feedback> read_feedback_file(const std::filesystem::path& file,
                                         const std::vector<std::string>& labels,
                                         int64_t received_at_ms,
                                         const FeedbackColumns& columns = {});

}  // namespace tunecase::serve
