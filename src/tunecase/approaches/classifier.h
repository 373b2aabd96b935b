#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"
#include "tunecase/data/example.h"

namespace tunecase {

// What one approach answered for one text.
struct Prediction {
  std::string label;      // a label of the label set, or "" when there is none
  double latency_ms = 0;  // wall time of this prediction, measured
  int64_t tokens_in = 0;  // from the provider's usage block (0 for local approaches)
  int64_t tokens_out = 0;
  int64_t tokens_cached = 0;
  std::optional<double> cost_usd;    // priced cost of this call; nullopt when no price is known
  std::optional<std::string> error;  // the call failed after all retries (counts as wrong)
  bool timed_out = false;            // ... and the last attempt ran out of time
  bool local_fault = false;  // ... and the last attempt never left this machine (out of files)
  bool invalid = false;      // an answer came back but maps to no label (counts as wrong)
  bool cached = false;       // an LLM answer from the response cache: no call, $0
  // Requests of this call that reached the provider, which may have billed them, with no usage
  // to price them: an attempt that timed out or whose 2xx answer was cut off or unreadable, a
  // copy resent on a closed kept-alive connection. Their cost is unknown, never $0.
  int unpriced_attempts = 0;
  std::string raw;  // the raw answer text, for reports
  // How sure the approach is of `label`, in [0, 1], where it has such a figure (the gateway's
  // abstain_below compares against it): linear = the softmax of its decision values, fasttext =
  // its probability of the top label, both temperature-scaled where eval calibrated them,
  // retrieval = the winning label's share of the neighbours' vote; an OpenAI-style LLM approach =
  // the answer's probability from its token log-probabilities, when the request asks for them
  // (`extra = { logprobs = true }`); none otherwise (Anthropic's API returns none).
  std::optional<double> confidence;
};

// The interface every approach implements. Local approaches train on the train split (dev only
// for tuning), classify one text at a time, and save/load themselves to a folder so that
// `tunecase predict --model DIR` can use them later.
class Classifier {
 public:
  virtual ~Classifier() = default;

  // `labels` is the full sorted label set of the dataset (some may be absent from train).
  // A non-empty `dev` also calibrates the confidence (approaches/calibration.h).
  virtual void train(const Examples& train, const Examples& dev,
                     const std::vector<std::string>& labels) = 0;
  // Asks the next train() without a dev split to calibrate the confidence on rows held out of
  // train, at the cost of an extra fit, for a model that will be served (`tunecase retrain`).
  // Kinds without a calibrated confidence (retrieval's vote share) ignore it.
  virtual void calibrate_without_dev() {}
  virtual Prediction classify(std::string_view text) = 0;

  // Writes model files into `dir` (created by the caller). approach.json is written by the
  // caller; implementations write their own files only.
  virtual void save(const std::filesystem::path& dir) const = 0;
  virtual void load(const std::filesystem::path& dir) = 0;

  // The hyper-parameters actually used (after any search on dev), for reports.
  virtual nlohmann::json describe() const { return nlohmann::json::object(); }
};

}  // namespace tunecase
