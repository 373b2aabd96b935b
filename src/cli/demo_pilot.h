#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "tunecase/config/config.h"
#include "tunecase/monitor/retrain.h"

// The demo's last step: the pilot the memo plans, run through `tunecase serve` on a free loopback
// port. Later months of generated tickets are replayed through the gateway on a simulated clock
// (the tickets' own timestamps), with each ticket's ground truth arriving a few days after it.
struct DemoPilotOptions {
  std::filesystem::path out;  // the demo folder: eval/, decision/decision.json
  std::size_t tickets_per_month = 500;
  int months = 2;  // months of traffic replayed after the labelled export
  uint64_t seed = 42;
};

struct DemoPilotResult {
  std::string outcome;  // the verdict at the end of the replay
  std::string summary;  // one line for the demo's output
};

// Writes decision/pilot.json and decision/pilot.md (the report /v1/pilot serves at the end).
DemoPilotResult run_demo_pilot(const tunecase::ProjectConfig& config,
                               const DemoPilotOptions& options);

// The demo's retrain: `tunecase retrain` for local-linear on the pilot's store (the gateway kept
// the texts and received every label), the eval model as the champion. Writes OUT/retrain/.
tunecase::monitor::RetrainRun run_demo_retrain(const tunecase::ProjectConfig& config,
                                               const std::filesystem::path& out);
void print_demo_retrain(const tunecase::monitor::RetrainRun& run);
