#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tunecase {

class TableReader;
struct ApproachConfig;

// The one list of approach kinds. Each kind is registered once, here, with whether it runs on
// this machine and the reader of its own keys (approach_settings.cpp); eval, curve, optimize,
// decide and every message about kinds consult this list. Adding a kind: its settings reader,
// its classifier file, and one line in approach_kinds.cpp.
struct ApproachKind {
  const char* name;
  bool local;  // trained on your labels and run in-process; false: an LLM API
  const char* summary;
  void (*read)(TableReader& table, ApproachConfig& approach);
};

const std::vector<ApproachKind>& approach_kinds();
const ApproachKind* find_kind(std::string_view name);
bool is_local_kind(std::string_view name);
bool is_llm_kind(std::string_view name);
// "linear, fasttext, retrieval, openai, anthropic"
std::string kind_names();

}  // namespace tunecase
