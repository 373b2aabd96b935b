#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tunecase/quality/inspect.h"

namespace tunecase {

// data.md: the report for a reader, each figure marked measured or estimated.
std::string data_quality_markdown(const DataQuality& q);

// The label-noise headline in words: "12.0% (95% CI ...)" for an estimate, "at most 42.4%
// (an upper bound: ...)" with the judging model's accuracy when the figure is model-limited.
std::string noise_headline(const LabelNoise& n);

// The exact duplicates, conflicting labels and copies removed from test and dev, in sentences
// (data.md and data.html say the same).
std::string exact_duplicates_text(const DatasetSummary& s);

// The rows no judge could weigh (their label had no other row in their fold's training part),
// in a sentence that says what was done with them and what to do.
std::string unjudged_text(const LabelNoise& n);

// "870" or, when the label-noise figure is an upper bound, "between 540 and 1,010".
std::string high_quality_text(const DataQuality& q);

// How that count was made, for the parenthesis after it: "estimated: labelled rows minus
// estimated wrong labels minus near-duplicate rows", or, when label noise was not estimated
// (inspect --no-noise), "measured: labelled rows minus near-duplicate rows; wrong labels not
// estimated".
std::string high_quality_basis(const DataQuality& q);

// A few lines for the terminal: the headline of each finding.
std::string data_quality_summary(const DataQuality& q);

// One line for a table footer: "data: 2% labels estimated wrong [1%, 3%], 12 near-leaked test
// rows, 3 label variants (details: data.md)".
std::string data_quality_footer(const DataQuality& q);

// suspect_labels.csv: id, text, given_label, suggested_label, confidence, given_label_probability,
// most doubtful first, for a human to review (nothing is relabelled).
void write_suspect_labels(const std::filesystem::path& file, const DataQuality& q);

// data.json, data.md, data.html and suspect_labels.csv in `dir` (created when missing).
void write_data_quality(const std::filesystem::path& dir, const DataQuality& q);

// The names of the files write_data_quality writes, for a caller that must remove an earlier
// run's copies.
const std::vector<std::string>& data_quality_files();

}  // namespace tunecase
