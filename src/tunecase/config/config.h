#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/data/data_config.h"

namespace tunecase {

// One [[approach]] table. `params` holds every key of the table (name and kind included) as
// JSON, so each approach reads its own options without the config knowing them.
struct ApproachConfig {
  std::string name;
  std::string kind;  // openai | anthropic | linear | fasttext | retrieval
  nlohmann::json params = nlohmann::json::object();
};

struct ProjectConfig {
  std::filesystem::path file;  // the config file ("" when built from CLI flags)
  DataConfig data;
  std::vector<ApproachConfig> approaches;
  std::map<std::string, std::string> label_descriptions;  // [labels] label = "one line"
  std::string task;                               // [task] description = "..." (used by prompts)
  double queries_per_day = 0;                     // [business] queries_per_day, 0 when unknown
  nlohmann::json raw = nlohmann::json::object();  // the whole document, for later modules
};

// Reads a TOML project config. Relative paths are resolved against the config's folder.
// Throws UserError naming the file, line and key for syntax errors and invalid values.
ProjectConfig load_config(const std::filesystem::path& file);

// Parses config text (for tests); `origin` is used in error messages and as the base folder.
ProjectConfig parse_config(std::string_view text, const std::filesystem::path& origin);

// The approaches `tunecase eval` runs when no config names any: linear, fasttext, retrieval.
std::vector<ApproachConfig> default_local_approaches();

// Typed accessors for approach params with a clear error when the type is wrong.
double param_number(const ApproachConfig& a, const std::string& key, double fallback);
int param_int(const ApproachConfig& a, const std::string& key, int fallback);
std::string param_string(const ApproachConfig& a, const std::string& key,
                         const std::string& fallback);
bool param_bool(const ApproachConfig& a, const std::string& key, bool fallback);

}  // namespace tunecase
