#pragma once

// Synthetic support tickets with personal data at known places: the labelled set that measures
// each detector's precision and recall (docs/privacy.md) and the input of the redaction
// benchmark. Every value is made up (cards and IBANs get valid check digits; names, domains and
// numbers are drawn from small lists), and each ticket also carries look-alikes that must survive:
// order numbers, dates, prices, versions, times, tracking codes, IBAN- and card-shaped numbers
// with wrong check digits.

#include <cstdint>
#include <string>
#include <vector>

#include "tunecase/privacy/detectors.h"

namespace tunecase {

struct LabelledPiiText {
  std::string text;
  std::vector<PiiSpan> spans;  // the true personal data, sorted
};

// `n` tickets, the same for the same seed on every platform.
std::vector<LabelledPiiText> generate_pii_tickets(std::size_t n, uint64_t seed);

// Precision and recall of detected spans against the true ones, per kind (exact span match).
struct DetectorScore {
  std::string kind;
  int64_t true_positives = 0, false_positives = 0, false_negatives = 0;
  double precision() const;
  double recall() const;
};

// One score per kind in `kinds`, over every text.
std::vector<DetectorScore> score_detectors(const std::vector<LabelledPiiText>& texts,
                                           const std::vector<std::vector<PiiSpan>>& found,
                                           const std::vector<std::string>& kinds);

}  // namespace tunecase
