#pragma once

#include <filesystem>
#include <vector>

#include "tunecase/store/records.h"

namespace tunecase::serve {

// Reads a file of delayed ground truth for `tunecase feedback`: JSONL (one object per line, as
// POST /v1/feedback takes it) when the name ends in .jsonl or .json, else CSV with a header
// holding `label` and `id` or `prediction_id` (a row may fill either). Every row gets
// received_at_ms = `received_at_ms`. Throws UserError naming file:line for a malformed row, a
// row without id or label, or a label outside `labels` (when not empty).
std::vector<Feedback> read_feedback_file(const std::filesystem::path& file,
                                         const std::vector<std::string>& labels,
                                         int64_t received_at_ms);

}  // namespace tunecase::serve
