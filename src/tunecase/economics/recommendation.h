#pragma once

#include <string>
#include <vector>

#include "tunecase/economics/analysis.h"
#include "tunecase/economics/break_even.h"
#include "tunecase/economics/checklist.h"
#include "tunecase/economics/pilot_plan.h"
#include "tunecase/economics/sensitivity.h"
#include "tunecase/economics/what_it_takes.h"

namespace tunecase::econ {

// Everything the memo and decision.json report.
struct Decision {
  Scenario scenario;
  Analysis analysis;
  std::vector<BreakEven> break_evens;
  Checklist checklist;
  Sensitivity sensitivity;
  std::vector<WhatItTakes> what_it_takes;
  std::string pick;  // the recommended approach; empty when no net benefit is known
  std::string headline;
  std::vector<std::string> reasons;
  std::vector<std::string> risks;
  // Of the risks, those that can turn the headline around (the pick no better than the majority
  // floor): said beside it in the terminal too (decision.json recommendation.warnings).
  std::vector<std::string> warnings;
  PilotPlan pilot;
  std::string next_step;
  // The config states how the model is run after launch ([monitor] or [retrain]): the memo links
  // the one-page operation plan, which `tunecase decide` writes beside it (plan.md, plan.html).
  bool operation_plan = false;
};

// The whole analysis. The pick is the approach with the highest net benefit over the horizon
// (value earned after launch minus every cost); the checklist, interval ends and sensitivity
// become reasons and risks around it rather than overriding it.
Decision decide(const Scenario& s);

}  // namespace tunecase::econ
