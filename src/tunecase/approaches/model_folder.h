#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/approaches/classifier.h"
#include "tunecase/config/config.h"

namespace tunecase {

// A trained local model on disk: the classifier's own files plus approach.json
// ({"format": "tunecase-model/1", name, kind, config (the approach table as written), trained
// (describe()), labels, train_rows}). `tunecase eval` writes one per local approach under
// OUT/models/<name>/; `predict` and `serve` load them.
void save_model(const std::filesystem::path& dir, const ApproachConfig& approach,
                const Classifier& classifier, const std::vector<std::string>& labels,
                std::size_t train_rows);

// The folder of an approach's model under OUT/models/: its name with every character other than
// letters, digits, '-', '_' and '.' replaced by '_' ("approach" when nothing is left).
std::string model_folder_name(const std::string& approach_name);

struct LoadedModel {
  ApproachConfig approach;  // read again through the config's approach reader
  std::vector<std::string> labels;
  std::unique_ptr<Classifier> classifier;
};

// UserError naming the folder when it is not a model folder, is malformed, or holds a kind
// that is not local.
LoadedModel load_model(const std::filesystem::path& dir);

}  // namespace tunecase
