#pragma once

#include <string>
#include <vector>

#include "tunecase/economics/inputs.h"

namespace tunecase::econ {

enum class InputKind { money, count, rate, months, weeks };

// One assumed input moved by -50% and +50%, everything else held. A business-wide key is one
// input however many approaches use it.
struct SensitivityRow {
  std::string input;
  InputKind kind = InputKind::money;
  double base_value = 0, low_value = 0, high_value = 0;  // rates are capped at 1
  std::string pick_low, pick_high;                       // the recommended approach at -50% / +50%
  double net_low = 0, net_high = 0;  // net benefit of the watched approach at -50% / +50%
  bool flips = false;                // the recommendation changes at either end
  bool matters = false;              // flips, or moves the watched net by more than the threshold
};

struct Sensitivity {
  std::string base_pick;
  // Whose net benefit the rows follow: the pick, or the best alternative when the pick is the
  // baseline (whose gain over itself is always 0).
  std::string watched;
  double base_net = 0;               // the watched approach's net benefit
  double threshold = 0.05;           // share of |base_net| a row must move to matter
  std::vector<SensitivityRow> rows;  // widest swing first (the tornado's order)
};

// Every assumed, known, non-zero input a user could be wrong about, moved by +-swing. Empty rows
// when no approach has a known net benefit.
Sensitivity sensitivity(const Scenario& s, double swing = 0.5);

// "error rate (1 - accuracy) 30.0% (accuracy 70.0%)", "$2.50", "12 months" for the memo.
std::string input_value_text(const Scenario& s, InputKind kind, double value);

}  // namespace tunecase::econ
