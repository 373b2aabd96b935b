#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tunecase {

// One labelled (or unlabelled) text as read from the user's file.
struct Example {
  std::string id;        // the id column when configured, else "<file name>:<line>"
  std::string text;      // as read (valid UTF-8); normalisation is only for comparison
  std::string label;     // empty when the row has no label
  std::string time;      // the time column's raw value (ISO-8601 expected), empty when absent
  std::size_t line = 0;  // 1-based line where the record starts in its file (0: generated)
};

using Examples = std::vector<Example>;

}  // namespace tunecase
