#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"

namespace tunecase {

// Reads one [[approach]] table (or an inline [optimize] model table, whose kind defaults to
// `default_kind`) into typed settings. Relative paths are resolved against the origin's folder
// and made absolute. `records` (optional) receives every key read, for `tunecase check`.
ApproachConfig read_approach_table(const toml::table& table, const std::filesystem::path& origin,
                                   std::vector<SettingRecord>* records = nullptr,
                                   std::string_view default_kind = "");

// The same reader over an approach's recorded source (a model folder's approach.json, or an
// [optimize] candidate built from its template): one path from written settings to types.
ApproachConfig approach_from_json(const nlohmann::json& source,
                                  const std::filesystem::path& origin);

// The kind-specific readers registered in approach_kinds.cpp.
void read_linear_settings(TableReader& table, ApproachConfig& approach);
void read_fasttext_settings(TableReader& table, ApproachConfig& approach);
void read_retrieval_settings(TableReader& table, ApproachConfig& approach);
void read_llm_settings(TableReader& table, ApproachConfig& approach);

// The keys of one kind's table (`kind` a registered kind), or with kind "" the keys every
// approach accepts (name, kind, model_dir, the business-case keys, hosting), for the reference.
std::vector<SettingRecord> approach_reference_records(std::string_view kind);

// Converts between a TOML table and JSON (dates and times become their TOML text).
nlohmann::json toml_to_json(const toml::table& table);
toml::table json_to_toml(const nlohmann::json& object);
// `source` (an approach's keys, as ApproachConfig::source holds them) as one [[approach]] table
// in TOML text, for a user to paste into a config.
std::string approach_table_text(const nlohmann::json& source);

// An absolute path: `p` as is when absolute, else resolved against `base`. "" stays "".
std::filesystem::path resolve_path(const std::filesystem::path& base, const std::string& p);

}  // namespace tunecase
