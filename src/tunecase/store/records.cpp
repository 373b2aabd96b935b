#include "tunecase/store/records.h"

#include <fmt/format.h>

#include <random>

namespace tunecase {

std::string_view arm_name(Arm arm) {
  switch (arm) {
    case Arm::champion:
      return "champion";
    case Arm::challenger:
      return "challenger";
    case Arm::shadow:
      return "shadow";
  }
  return "champion";
}

std::optional<Arm> parse_arm(std::string_view name) {
  for (Arm a : {Arm::champion, Arm::challenger, Arm::shadow}) {
    if (arm_name(a) == name) return a;
  }
  return std::nullopt;
}

std::string_view feedback_outcome_name(FeedbackOutcome outcome) {
  switch (outcome) {
    case FeedbackOutcome::recorded:
      return "recorded";
    case FeedbackOutcome::unchanged:
      return "unchanged";
    case FeedbackOutcome::replaced:
      return "replaced";
    case FeedbackOutcome::unknown_id:
      return "unknown_id";
  }
  return "unknown_id";
}

std::string_view model_status_name(ModelStatus status) {
  switch (status) {
    case ModelStatus::champion:
      return "champion";
    case ModelStatus::challenger:
      return "challenger";
    case ModelStatus::retired:
      return "retired";
    case ModelStatus::rolled_back:
      return "rolled_back";
  }
  return "retired";
}

std::optional<ModelStatus> parse_model_status(std::string_view name) {
  for (ModelStatus s : {ModelStatus::champion, ModelStatus::challenger, ModelStatus::retired,
                        ModelStatus::rolled_back}) {
    if (model_status_name(s) == name) return s;
  }
  return std::nullopt;
}

std::string make_prediction_id() {
  // One engine per thread, seeded from the OS: ids from replicas started at the same instant
  // still differ.
  thread_local std::mt19937_64 engine{std::random_device{}() ^
                                      (static_cast<uint64_t>(std::random_device{}()) << 32)};
  return fmt::format("{:016x}{:016x}", engine(), engine());
}

}  // namespace tunecase
