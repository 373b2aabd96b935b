#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"

// What a measurement depends on, recorded in eval.json beside it, so that `decide` can tell a
// config that still describes the measured run from one changed since (other data, another
// split, another C): the memo must not price settings that were never measured.

namespace tunecase {

// [data]: the keys that decide the rows and the split, and a hash of each data file's bytes
// (by role: path, or train/dev/test), so a file moved elsewhere is the same file.
nlohmann::json measured_data_settings(const DataConfig& data);

// An approach's keys as written, without those that change no measured figure (its business
// and hosting figures, prices, rate limits, the key's variable, base_url: the same model may be
// served elsewhere), and with a template file's content hash instead of its path.
nlohmann::json measured_approach_settings(const ApproachConfig& approach);

// What every LLM prompt carries besides an approach's own keys: the [task] description, each
// [labels] description and the [privacy] kinds redacted, keyed as the config names them
// ("[labels] refund").
nlohmann::json measured_prompt_settings(const ProjectConfig& config);

// Each key whose value differs between `recorded` (eval.json's) and `now`, in words:
// "<what> C = 0.01 now, 1 when measured". Keys absent on one side read "not set".
std::vector<std::string> settings_differences(const nlohmann::json& recorded,
                                              const nlohmann::json& now, const std::string& what);

}  // namespace tunecase
