#pragma once

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace tunecase {

// One line of a JSON Lines file.
struct JsonlRecord {
  nlohmann::json object;  // a JSON object when `problem` is empty
  std::size_t line = 0;   // 1-based
  // Empty when the line holds a JSON object; otherwise what is wrong (malformed JSON, not an
  // object, invalid UTF-8), without file and line. The reader stays in step.
  std::string problem;
};

// Streaming JSON Lines reader: one JSON object per line; blank lines are ignored; a UTF-8
// byte-order mark and CRLF line ends are accepted.
class JsonlReader {
 public:
  // Throws UserError when the file cannot be opened.
  explicit JsonlReader(const std::filesystem::path& file);

  // Reads the next non-blank line; false at end of file.
  bool next(JsonlRecord& record);

 private:
  std::filesystem::path file_;
  std::ifstream in_;
  std::string line_;
  std::size_t line_number_ = 0;
};

}  // namespace tunecase
