#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/approaches/classifier.h"
#include "tunecase/config/config.h"

namespace tunecase {

// A trained local model on disk: the classifier's own files plus approach.json
// ({"format": "tunecase-model/1", name, kind, config (the approach table as written), trained
// (describe()), labels, train_rows, and `provenance` when given}). `tunecase eval` writes one per
// local approach under OUT/models/<name>/; `tunecase retrain` one per challenger, with its
// training data's fingerprint as provenance; `predict` and `serve` load them. The folder is
// written whole beside `dir` and swapped into place in one step, so a save that fails or is
// killed leaves what was there; UserError when `dir` is a file. With `keep_replaced`, the model
// the save replaced is moved there instead of deleted (unless something is there already), so an
// eval stopped later can put it back.
void save_model(const std::filesystem::path& dir, const ApproachConfig& approach,
                const Classifier& classifier, const std::vector<std::string>& labels,
                std::size_t train_rows, const nlohmann::json& provenance = nullptr,
                const std::filesystem::path& keep_replaced = {});

// UserError when `dir`, where `what` goes ("a model folder", "the models folder"), is a file:
// said before anything is trained (eval) and again where the model is saved.
void refuse_file_as_folder(const std::filesystem::path& dir, std::string_view what);

// The folder of an approach's model under OUT/models/: its name with every ASCII character other
// than letters, digits, '-', '_' and '.' replaced by '_' (letters of other scripts are kept;
// "approach" when nothing is left). The config refuses two approaches that would share one.
std::string model_folder_name(const std::string& approach_name);

// The folder a local approach's trained model is read from: its `model_dir`, else
// EVAL_DIR/models/<model_folder_name> (the layout `tunecase eval` writes).
std::filesystem::path model_folder(const ApproachConfig& approach,
                                   const std::filesystem::path& eval_dir);

// A model's version as the gateway logs it and the registry keys it: the fingerprint of its
// approach.json (settings, labels, training size). UserError when the file cannot be read.
std::string model_fingerprint(const std::filesystem::path& dir);

struct LoadedModel {
  ApproachConfig approach;  // read again through the config's approach reader
  std::vector<std::string> labels;
  std::unique_ptr<Classifier> classifier;
  std::string note;  // what its user should know (trained with another tokenizer); "" if nothing
};

// UserError naming the folder when it is not a model folder, is malformed, or holds a kind
// that is not local.
LoadedModel load_model(const std::filesystem::path& dir);

}  // namespace tunecase
