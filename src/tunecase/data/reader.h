#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tunecase/data/example.h"

namespace tunecase {

struct ReadOptions {
  std::string text_column = "text";
  std::string label_column = "label";       // empty: every row is unlabelled
  std::string time_column;                  // optional
  std::string id_column;                    // optional
  bool skip_invalid = false;                // skip and count bad rows instead of failing
  std::vector<std::string> allowed_labels;  // empty: any label is accepted
  // With allowed_labels: a label equal to an allowed one once trimmed, case-folded and put in
  // NFKC (normalize_text) is read as that allowed spelling ([data] normalize_labels), not refused.
  bool normalize_labels = false;
  char delimiter = 0;  // .csv files: the field delimiter; 0 = sniffed from the header
};

struct ReadResult {
  Examples labelled, unlabelled;
  std::size_t rows = 0;                // data rows seen (header and blank lines excluded)
  std::size_t empty_text_skipped = 0;  // rows whose text is empty or only whitespace
  std::size_t invalid_skipped = 0;     // bad rows skipped under skip_invalid
  // Lines those rows took beyond their first: a row that a stray quote made of many lines.
  std::size_t invalid_lines_skipped = 0;
  std::size_t labels_trimmed = 0;            // rows whose label had surrounding whitespace removed
  std::size_t labels_mapped_to_allowed = 0;  // rows read as an allowed spelling (normalize_labels)
  // Rows per label whose label was written decomposed and read in NFC (nfc_text).
  std::map<std::string, std::size_t> labels_composed;
  // ... per allowed label, the spellings so read and their rows.
  std::map<std::string, std::map<std::string, std::size_t>> mapped_spellings;
  // Of those, rows per label (as trimmed), to tell a trimmed label that joined one written
  // without whitespace.
  std::map<std::string, std::size_t> trimmed_label_rows;
  // ... and the spellings with whitespace each was written in (" refund", "refund\t").
  std::map<std::string, std::set<std::string>> trimmed_label_spellings;
  char delimiter = 0;                        // the CSV delimiter used (0 for JSONL)
  std::vector<std::string> invalid_samples;  // up to 5 messages "file:line: what"
};

// Reads one dataset file. The format follows the extension: .csv, .tsv (tab-delimited, same
// quoting rules), .jsonl or .ndjson (one JSON object per line). A .csv file's delimiter is
// `options.delimiter`, or sniffed from the header (sniff_delimiter) when that is 0; a missing
// column's message then says which delimiter was used and what the header showed. Labels are
// trimmed of surrounding whitespace (and counted in labels_trimmed) and put in Unicode NFC
// (counted in labels_composed); texts are kept as written.
// Example.id is the id column when one is configured, else "<file name>:<line>".
//
// Throws UserError naming the file, the line, the problem and what to do for: an unknown
// extension, a missing or unreadable file, a missing column (the message lists the columns that
// exist), and bad rows — a ragged CSV row, an unterminated quote, invalid UTF-8, a malformed
// JSON line, a text that is not a string, a label outside `allowed_labels`. With
// `skip_invalid`, bad rows are skipped and counted instead; a missing column and an
// unterminated quote (which swallows the rest of the file) stay errors.
ReadResult read_examples(const std::filesystem::path& file, const ReadOptions& options);

}  // namespace tunecase
