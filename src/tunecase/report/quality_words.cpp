#include "tunecase/report/quality_words.h"

#include <fmt/format.h>

namespace tunecase {

std::string high_quality_count_text(double count, std::optional<double> high) {
  if (!high || *high == count) return fmt::format("{:.0f}", count);
  return fmt::format("between {:.0f} and {:.0f}", count, *high);
}

std::string high_quality_basis_text(bool noise_estimated) {
  if (!noise_estimated)
    return "measured: labelled rows minus near-duplicate rows; wrong labels not estimated";
  return "estimated: labelled rows minus estimated wrong labels minus near-duplicate rows";
}

}  // namespace tunecase
