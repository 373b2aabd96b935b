#include "tunecase/economics/finetune_note.h"

#include <cmath>

#include <fmt/format.h>

#include "tunecase/economics/money.h"

namespace tunecase::econ {
namespace {

// "79.9% [77.4–82.2]": the accuracy with its interval, from the error-rate ends.
std::string accuracy_text(const ApproachInputs& a) {
  if (!a.accuracy.known()) return "accuracy UNKNOWN";
  std::string out = percent(a.accuracy.get());
  // A typed accuracy has no interval ("80.0% [80.0%–80.0%]" had read as a certain measurement).
  if (a.accuracy.source == Source::measured && a.error_rate_low.known() &&
      a.error_rate_high.known() && a.error_rate_low.get() < a.error_rate_high.get())
    out += fmt::format(" [{}–{}]", percent(1 - a.error_rate_high.get()),
                       percent(1 - a.error_rate_low.get()));
  return out;
}

// The accuracy's own provenance: a typed-in accuracy is assumed whatever trained the model.
std::string basis(const ApproachInputs& a) {
  return provenance_label(a.accuracy);
}

}  // namespace

std::vector<std::string> finetune_lines(const Scenario& s) {
  std::vector<std::string> lines;
  std::vector<const ApproachInputs*> tuned;
  for (const ApproachInputs& a : s.approaches) {
    if (!a.finetune) continue;
    tuned.push_back(&a);
    // The share is of the train split's rows the run took; the examples are the file's lines,
    // fewer when redaction made rows the same line.
    const std::string examples =
        a.finetune->train_split > 0
            ? fmt::format("{} examples (from {} of the train split's {} rows)",
                          a.finetune->train_examples, percent(a.finetune->fraction),
                          a.finetune->train_split)
            : fmt::format("{} examples ({} of train)", a.finetune->train_examples,
                          percent(a.finetune->fraction));
    // An unknown cost has nothing measured to tag ("UNKNOWN (measured, UNKNOWN)").
    const std::string cost =
        a.training_usd.known()
            ? fmt::format("{} ({})", money(a.training_usd), provenance_label(a.training_usd))
            : "UNKNOWN (no training price for the base model)";
    lines.push_back(fmt::format("{}: {} fine-tuned on {}; training cost {}; accuracy {} ({}).",
                                a.name,
                                a.finetune->base_model.empty() ? "a model" : a.finetune->base_model,
                                examples, cost, accuracy_text(a), basis(a)));
  }
  const ApproachInputs* baseline =
      s.approaches.empty() ? nullptr : &s.approaches[s.baseline_index()];
  // Subset first: a run on less of the train split against one on more, same base model.
  for (const ApproachInputs* small : tuned)
    for (const ApproachInputs* large : tuned) {
      if (small == large || small->finetune->base_model != large->finetune->base_model ||
          small->finetune->fraction >= large->finetune->fraction)
        continue;
      if (!small->accuracy.known() || !large->accuracy.known()) continue;
      double gap = large->accuracy.get() - small->accuracy.get();
      bool covered = small->error_rate_low.known() && small->error_rate_high.known() &&
                     1 - small->error_rate_high.get() <= large->accuracy.get() &&
                     large->accuracy.get() <= 1 - small->error_rate_low.get();
      std::string share =
          small->training_usd.known() && large->training_usd.known() &&
                  large->training_usd.get() > 0
              ? fmt::format(" for {} of its training cost",
                            percent(small->training_usd.get() / large->training_usd.get()))
              : "";
      std::string against_baseline;
      if (baseline != nullptr && baseline->accuracy.known())
        against_baseline =
            fmt::format(" The subset run was already {} the baseline ({}, {}).",
                        small->accuracy.get() > baseline->accuracy.get() ? "above" : "not above",
                        baseline->name, percent(baseline->accuracy.get()));
      const char* direction = std::fabs(gap) < 0.01 ? "closely" : gap > 0 ? "low" : "high";
      lines.push_back(fmt::format(
          "Subset first: the {} run ({}, {}) predicted the {} run ({}, {}) {} ({:+.1f} points; the "
          "larger run's accuracy is {} the subset run's interval){}.{} ({})",
          percent(small->finetune->fraction), small->name, accuracy_text(*small),
          percent(large->finetune->fraction), large->name, accuracy_text(*large), direction,
          100 * gap, covered ? "inside" : "outside", share, against_baseline,
          provenance_label(combine(small->accuracy, large->accuracy, 0))));
    }
  return lines;
}

}  // namespace tunecase::econ
