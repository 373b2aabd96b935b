#include "tunecase/data/jsonl_reader.h"

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/data/utf8_check.h"

namespace tunecase {
namespace {

bool is_blank(const std::string& s) {
  return s.find_first_not_of(" \t\r") == std::string::npos;
}

std::string short_parse_error(const nlohmann::json::parse_error& e) {
  // nlohmann's message starts with "[json.exception.parse_error.101] parse error at line 1,
  // column 7: ..."; the user needs the column and the reason only.
  std::string what = e.what();
  auto at = what.find("column ");
  return at == std::string::npos ? what : what.substr(at);
}

}  // namespace

JsonlReader::JsonlReader(const std::filesystem::path& file) : file_(file) {
  in_.open(file, std::ios::binary);
  if (!in_) {
    throw UserError(fmt::format("{}: cannot open the file; check that it exists and is readable",
                                file.string()));
  }
}

bool JsonlReader::next(JsonlRecord& record) {
  do {
    if (!std::getline(in_, line_)) return false;
    ++line_number_;
    if (line_number_ == 1) strip_byte_order_mark(line_);
  } while (is_blank(line_));
  record.line = line_number_;
  record.problem.clear();
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  if (auto offset = invalid_utf8_offset(line_)) {
    record.problem = invalid_utf8_problem(line_, *offset, "of the line", false, file_);
    return true;
  }
  try {
    record.object = nlohmann::json::parse(line_);
  } catch (const nlohmann::json::parse_error& e) {
    record.problem = fmt::format("malformed JSON ({}); write one complete JSON object per line",
                                 short_parse_error(e));
    return true;
  }
  if (!record.object.is_object()) {
    record.problem = fmt::format(
        "the line holds a JSON {}, not an object; write one object per "
        "line, like {{\"text\": \"...\", \"label\": \"...\"}}",
        record.object.type_name());
  }
  return true;
}

}  // namespace tunecase
