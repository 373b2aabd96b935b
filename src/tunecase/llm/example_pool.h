#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/data/example.h"

// An LLM approach's example pool as a registry version (docs/operate.md, "Retraining"): the
// labelled texts its few-shot and retrieved examples are drawn from, and its label set, in a
// folder that `tunecase retrain` writes and the model registry points at. The gateway swaps the
// pool in without a restart, as it swaps a local model.
//
// The folder holds `approach.json` (format tunecase-example-pool/1: kind "example-pool", the
// approach, the labels, the row count, the SHA-256 of the examples and the provenance) and
// `examples.jsonl` (one {"id", "text", "label"} per line). The version is model_fingerprint() of
// the folder, the hash of approach.json, which names the examples' hash, so two pools with the
// same examples are the same version.
namespace tunecase {

struct ExamplePool {
  std::string approach;
  std::vector<std::string> labels;
  Examples examples;
};

inline constexpr const char* kExamplePoolKind = "example-pool";

// Writes the pool to `dir` (created when missing; both files replaced atomically).
void save_example_pool(const std::filesystem::path& dir, const ExamplePool& pool,
                       const nlohmann::json& provenance = nullptr);

// Whether `dir` holds an example pool (its approach.json says kind "example-pool").
bool is_example_pool(const std::filesystem::path& dir);

// UserError naming the folder and the line when it is not a readable pool, or when the examples
// do not match the hash approach.json recorded (changed after it was registered).
ExamplePool load_example_pool(const std::filesystem::path& dir);

}  // namespace tunecase
