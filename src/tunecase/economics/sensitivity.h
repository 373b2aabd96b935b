#pragma once

#include <string>
#include <vector>

#include "tunecase/economics/inputs.h"

namespace tunecase::econ {

// One assumed input moved by -50% and +50%, everything else held.
struct SensitivityRow {
  std::string input;
  double base_value = 0;
  std::string pick_low, pick_high;   // the recommended approach at -50% / +50%
  double net_low = 0, net_high = 0;  // net benefit of the base pick at -50% / +50%
  bool flips = false;                // the recommendation changes at either end
};

struct Sensitivity {
  std::string base_pick;
  double base_net = 0;
  std::vector<SensitivityRow> rows;  // widest swing first (the tornado's order)
};

// Empty rows when no approach has a known net benefit.
Sensitivity sensitivity(const Scenario& s, double swing = 0.5);

}  // namespace tunecase::econ
