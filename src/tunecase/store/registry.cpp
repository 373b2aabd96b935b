// The model registry's shared steps (store.h): finding the champion and making one.
#include "tunecase/core/error.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/store/store.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace tunecase {

std::set<std::string> priced_approaches(Store& store) {
  std::set<std::string> out;
  auto j = nlohmann::json::parse(store.meta(kPricedApproachesKey).value_or(""), nullptr, false);
  if (j.is_array())
    for (const auto& name : j)
      if (name.is_string()) out.insert(name.get<std::string>());
  return out;
}

void require_registry_clock(Store& store, const std::string& approach, int64_t at_ms,
                            const std::string& clock) {
  const std::vector<ModelEvent> events = store.model_events(approach);
  const ModelEvent* latest = nullptr;
  for (const ModelEvent& e : events)
    if (latest == nullptr || e.at_ms >= latest->at_ms) latest = &e;
  if (latest == nullptr || at_ms >= latest->at_ms) return;
  throw UserError(fmt::format(
      "{} ({}) is before the latest step in the registry of '{}' ({} {} on {}); a step dated "
      "earlier would put the history out of order (a version rolled back before it was "
      "registered), and the monitor would judge the wrong version's days. Give --now-ms at or "
      "after {} (a replay store: the replay's clock)",
      clock, utc_text(at_ms), approach, latest->version.substr(0, 12), latest->event,
      utc_text(latest->at_ms), latest->at_ms));
}

const ModelVersion* champion_of(const std::vector<ModelVersion>& versions) {
  for (const ModelVersion& m : versions)
    if (m.status == ModelStatus::champion) return &m;
  return nullptr;
}

bool make_champion(Store& store, ModelVersion model, int64_t at_ms, const std::string& by) {
  for (const ModelVersion& m : store.models(model.approach))
    if (m.version == model.version)
      return store.set_model_status(model.approach, model.version, ModelStatus::champion, at_ms,
                                    by);
  model.status = ModelStatus::champion;
  model.promoted_at_ms = at_ms;
  model.promoted_by = by;
  model.registered_by = by;
  try {
    store.register_model(model);
  } catch (const UserError&) {
    return false;  // registered by another writer since models() was read
  }
  return true;
}

}  // namespace tunecase
