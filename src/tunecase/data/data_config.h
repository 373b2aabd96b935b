#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tunecase {

// The [data] table of the project config (or the equivalent CLI flags). Paths are already
// resolved against the config file's folder.
struct DataConfig {
  std::filesystem::path path;  // one file to split; or the three below for pre-split data
  std::filesystem::path train;
  std::filesystem::path dev;  // optional with pre-split data
  std::filesystem::path test;
  std::string text = "text";  // column / field names
  std::string label = "label";
  std::string time;                  // optional
  std::string id;                    // optional
  std::string split = "stratified";  // stratified | time
  double test_fraction = 0.2;
  double dev_fraction = 0.1;
  uint64_t seed = 7;
  bool skip_invalid = false;      // skip and count bad rows instead of failing
  char delimiter = 0;             // .csv field delimiter; 0 = sniffed from the header
  bool normalize_labels = false;  // map label variants (case, Unicode form) to one spelling
  // Data-quality report (tunecase inspect): texts at least this similar (Jaccard of character
  // 5-gram sets) count as near-duplicates; labels with fewer train rows than min_label_count are
  // flagged as too rare.
  double near_duplicate_similarity = 0.8;
  int min_label_count = 10;
  std::vector<std::string> allowed_labels;  // from [labels]; empty: any label is accepted

  bool pre_split() const { return !train.empty() || !test.empty(); }
};

}  // namespace tunecase
