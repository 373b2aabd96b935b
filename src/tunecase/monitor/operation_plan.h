#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"

// The one-page operation plan the decision framework asks for before deployment: how often we
// retrain, what triggers a retrain, who decides and who watches, what is automated, the alert
// thresholds, the monthly monitoring and retraining budget, and the rollback procedure. Written
// from the config ([monitor], [retrain], [business], [pilot]) and, when given, a monitor.json
// (the measured daily figures). A missing owner is printed as UNASSIGNED, loudly.
namespace tunecase::monitor {

// The approach served after launch, which the rollback steps are about, and why it is that one.
struct PlannedChampion {
  std::string approach;  // "" = [pilot] champion, else [business] baseline, else the first
  std::string why;       // "the memo's pick", ...
};

// plan.json: every figure of the plan with its provenance (assumed / measured / simulated).
nlohmann::json operation_plan(const ProjectConfig& config, const nlohmann::json& monitor_doc,
                              const PlannedChampion& champion = {});

std::string operation_plan_markdown(const nlohmann::json& plan);
std::string operation_plan_html(const nlohmann::json& plan);

}  // namespace tunecase::monitor
