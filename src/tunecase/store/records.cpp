#include "tunecase/store/records.h"

#include <chrono>
#include <random>

#include "tunecase/core/hash.h"

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

namespace {

// One engine per thread, seeded from the OS: ids from replicas started at the same instant
// still differ.
uint64_t random_bits() {
  thread_local std::mt19937_64 engine{std::random_device{}() ^
                                      (static_cast<uint64_t>(std::random_device{}()) << 32)};
  return engine();
}

}  // namespace

std::string make_prediction_id() {
  // The time first (milliseconds since 1970, 12 hex digits), then 80 random bits: the ids a
  // gateway makes one after another sort together, so the store's index on them grows at its
  // end instead of rewriting a random page for every logged prediction.
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  std::string id;
  id.reserve(32);
  append_hex(id, static_cast<uint64_t>(ms), 12);
  append_hex(id, random_bits(), 4);
  append_hex(id, random_bits(), 16);
  return id;
}

std::string make_random_id() {
  std::string id;
  id.reserve(32);
  append_hex(id, random_bits(), 16);
  append_hex(id, random_bits(), 16);
  return id;
}

}  // namespace tunecase
