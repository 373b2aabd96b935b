#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"
#include "tunecase/monitor/alert_rules.h"
#include "tunecase/store/store.h"

// The drift detectors of `tunecase monitor`, run before labels arrive: the current window (the
// last `current_days` complete days) against the reference window (the `reference_days` before
// it). Prediction mix per approach from the logged answers; input detectors from the request
// texts the gateway kept ([monitor] keep_texts). Every detector reports what it compared, on how
// many items, how sure it is, and a verdict: stable | moderate | shift | too_few | unavailable.
namespace tunecase::monitor {

inline constexpr const char* kDriftPredictionMix = "drift_prediction_mix";
inline constexpr const char* kDriftDomain = "drift_domain_classifier";
inline constexpr const char* kDriftOov = "drift_oov";
inline constexpr const char* kDriftEmerging = "drift_emerging_terms";

struct DriftReport {
  nlohmann::json document;        // monitor.json "drift"
  std::vector<Finding> findings;  // one per detector that can alert
};

// An approach whose champion changed (a promotion, a rollback): the version now served, and the
// spans (from, to in ms) the registry gave to other versions.
struct VersionChange {
  std::string version;
  std::vector<std::pair<int64_t, int64_t>> others;
};

// `training_texts`: the texts the models were trained on, for the out-of-vocabulary detector
// (empty: the first half of the reference window stands in).
// `changes`: per approach whose model version changed. Its predicted-label mix is compared over
// the days the version now served answered alone: the reference window leaves out each day the
// store holds another version's answers on (a rollback's reinstated version keeps its own earlier
// days), and when the current window holds such a day the detector does not judge (a promotion
// had been reported as drift in its own answers), naming the first run that can.
DriftReport detect_drift(Store& store, const MonitorSettings& settings, int64_t now_ms,
                         const std::vector<std::string>& training_texts = {},
                         const std::map<std::string, VersionChange>& changes = {});

// The same detectors on texts and predicted-label counts already read (tests, replay).
struct DriftInputs {
  std::string windows;  // "reference 2026-01-01..2026-01-28, current ..." for the report
  std::vector<std::string> training_texts, reference_texts, current_texts;
  std::vector<PredictedLabelCount> reference_labels, current_labels;
  // Approaches whose prediction mix is not judged, and why (another model version answered in
  // the windows); and those whose reference window starts later than the others', and from when.
  std::map<std::string, std::string> mix_not_judged;
  std::map<std::string, std::string> mix_reference_from;
  // The launch mix: each approach's answers in the first reference_days days of the version now
  // served, when those days end before the rolling reference window starts (`launch_windows`
  // names them). A slow shift fills the rolling reference as it grows and never reads as one;
  // against the launch mix it does.
  std::vector<PredictedLabelCount> launch_labels;
  std::map<std::string, std::string> launch_windows;
};
DriftReport detect_drift(const DriftInputs& inputs, const MonitorSettings& settings);

}  // namespace tunecase::monitor
