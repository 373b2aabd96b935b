#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tunecase/approaches/classifier.h"
#include "tunecase/config/config.h"

namespace tunecase {
class HttpClient;
}

namespace tunecase::serve {

// What one approach answered for one request.
struct ServedAnswer {
  Prediction prediction;
  bool simulated = false;     // the answer came from `tunecase sim-llm`, not a real model
  std::string model_version;  // the model that answered, when it can change while serving
};

// One approach as the gateway runs it. classify() never blocks on the network: a local model
// answers on the calling thread (microseconds) and calls `done` before returning; an LLM
// approach returns at once and calls `done` later from the HTTP client's or the runner's thread.
// `done` is called exactly once; a failed call is an answer with prediction.error set.
// Thread-safe.
class ServedApproach {
 public:
  virtual ~ServedApproach() = default;
  virtual const std::string& name() const = 0;
  virtual bool in_process() const = 0;
  // Requests sent to the endpoint and retries among them (an LLM approach); nullopt in process.
  virtual std::optional<std::pair<int64_t, int64_t>> upstream_counts() const {
    return std::nullopt;
  }
  // Answers of an LLM approach its response cache could not store (a full disk): each repeat of
  // one is asked again and paid for. 0 in process.
  virtual int64_t uncached_answers() const { return 0; }
  // The labels this approach can answer (the trained model's, or the LLM's label set).
  virtual std::vector<std::string> labels() const = 0;
  // The model version logged with every prediction ("" when unknown).
  virtual std::string model_version() const = 0;
  // The version the model registry knows this approach by: a local model's fingerprint; an LLM
  // approach's example pool ("" while it uses the config's own train split, which the registry
  // does not hold).
  virtual std::string registry_version() const { return model_version(); }
  // A local approach's model folder, or an LLM approach's example pool folder ("" for none).
  virtual std::filesystem::path model_path() const { return {}; }
  // What whoever runs it should know of the model it serves (trained with another tokenizer:
  // LoadedModel::note); "" when nothing.
  virtual std::string model_note() const { return {}; }
  // Loads the trained model (local) or example pool (LLM, docs/operate.md) in `dir` and answers
  // with it from the next request on; requests in flight finish on the one they started with.
  // UserError (and the old one keeps serving) when the folder holds nothing of this approach's
  // kind.
  virtual void reload(const std::filesystem::path& dir) = 0;
  virtual void classify(std::string text, std::function<void(ServedAnswer)> done) = 0;
  // The same, an LLM call ending within `deadline` (set: > 0) instead of the approach's own
  // llm_deadline: the champion's call in fallback mode, which starts when the challenger's time
  // is up. A local approach answers at once and has nothing to bound.
  virtual void classify_within(std::string text, std::chrono::milliseconds deadline,
                               std::function<void(ServedAnswer)> done) {
    (void)deadline;
    classify(std::move(text), std::move(done));
  }
  // A stopping gateway calls this before it destroys the HTTP client: nothing new goes out on
  // the network, and calls waiting for a retry complete with an error.
  virtual void shutdown() {}
};

struct LoadOptions {
  std::filesystem::path eval_dir;    // `--eval DIR`: local models under DIR/models/<name>
  std::filesystem::path cache_file;  // LLM response cache ("" = none)
  int copies = 2;                    // local model copies, one per server thread
  HttpClient* http = nullptr;        // required when an LLM approach is loaded
  // An LLM call's attempts end within this (0: no bound; LlmCallOptions::deadline).
  std::chrono::milliseconds llm_deadline{0};
};

// Loads one approach of the config. A local approach without a trained model is a UserError
// naming the approach, the folder looked in and the `tunecase eval` command that trains it. An
// LLM approach reads its provider key from the environment (UserError when unset).
std::unique_ptr<ServedApproach> load_served_approach(const ApproachConfig& approach,
                                                     const ProjectConfig& project,
                                                     const LoadOptions& options);

}  // namespace tunecase::serve
