#include "tunecase/economics/curve_evidence.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "tunecase/economics/money.h"

namespace tunecase::econ {
namespace {

// The measured point whose label count is nearest 500, the checklist's threshold.
const nlohmann::json* point_near_500(const nlohmann::json& points) {
  const nlohmann::json* best = nullptr;
  for (const auto& p : points) {
    if (!p.contains("labels") || !p.contains("mean_accuracy")) continue;
    double distance = std::fabs(p["labels"].get<double>() - 500);
    if (best == nullptr || distance < std::fabs((*best)["labels"].get<double>() - 500)) best = &p;
  }
  return best;
}

}  // namespace

std::string curve_evidence(const nlohmann::json& curve) {
  if (!curve.is_object() || !curve.contains("approaches")) return "";
  double have = curve.value("train_labels", 0.0);
  std::string out;
  for (const auto& a : curve["approaches"]) {
    const nlohmann::json points = a.value("points", nlohmann::json::array());
    const nlohmann::json* p = point_near_500(points);
    if (p == nullptr) continue;
    std::string sentence = fmt::format(
        "with {} labels {} reaches {} (measured, mean of {} seeds; the train split has {})",
        count((*p)["labels"].get<double>()), a.value("name", std::string("?")),
        percent((*p)["mean_accuracy"].get<double>()), p->value("runs", 0), count(have));
    const nlohmann::json fit = a.value("fit", nlohmann::json::object());
    double largest = 0;
    for (const auto& q : points)
      if (q.contains("labels") && q["labels"].is_number())
        largest = std::max(largest, q["labels"].get<double>());
    if (largest < have) {
      // The spend cap stopped it before the train split: a projection to twice the split
      // would stretch a fit over a few small sizes many times past them.
      sentence += fmt::format(
          "; it was measured only up to {} labels (the spend cap stopped the larger sizes), so "
          "it gives no projection",
          count(largest));
    } else if (fit.value("majority_only", false)) {
      sentence +=
          "; with all of train it scores no more than always answering the most frequent label, "
          "so its curve measures the class balance and gives no projection";
    } else if (fit.value("projection_below_measured", false)) {
      // The fit misses the points: no projection is quoted as what more labels would bring.
      sentence +=
          "; its fitted curve projects less than all of train measured, so it gives no "
          "projection";
    } else if (fit.value("steep", false)) {
      sentence +=
          "; its fitted curve is too steep to project (it flattens right after the measured "
          "sizes), so it gives no projection";
    } else if (fit.value("fitted", false) && fit.contains("projection_2x")) {
      sentence += fmt::format(
          "; {} at {} labels (projection{})", percent(fit["projection_2x"].value("accuracy", 0.0)),
          count(fit["projection_2x"].value("labels", 0.0)),
          fit.contains("note") ? ", a rough guide: too few sizes measured to test the "
                                 "curve's shape"
                               : "");
    }
    if (a.value("simulated", false)) sentence += " (simulated)";
    out += (out.empty() ? "" : "; ") + sentence;
  }
  return out;
}

}  // namespace tunecase::econ
