#pragma once

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/approaches/classifier.h"
#include "tunecase/config/config.h"
#include "tunecase/data/example.h"

namespace tunecase {

struct LocalRun {
  std::vector<Prediction> predictions;  // aligned with the test split
  double train_seconds = 0;             // measured wall time of train()
  double throughput_per_s = 0;          // measured sequential predictions per second
  nlohmann::json params;                // describe() of the trained model
};

// Trains a local approach on train (dev for tuning only), classifies every test text one at a
// time, timing each, and saves the model with its approach.json into `model_dir` (the model it
// replaces moved to `keep_replaced` when given: see save_model).
LocalRun run_local_approach(const ApproachConfig& approach, const Examples& train,
                            const Examples& dev, const Examples& test,
                            const std::vector<std::string>& labels,
                            const std::filesystem::path& model_dir,
                            const std::filesystem::path& keep_replaced = {});

}  // namespace tunecase
