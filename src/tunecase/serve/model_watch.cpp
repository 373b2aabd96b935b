#include "tunecase/serve/model_watch.h"

#include <filesystem>

#include <fmt/format.h>

#include "tunecase/approaches/model_folder.h"
#include "tunecase/core/error.h"
#include "tunecase/serve/served_approach.h"

namespace tunecase::serve {

ModelWatch::ModelWatch(Store& store, std::vector<ServedApproach*> approaches, Clock clock,
                       std::function<void(const std::string&)> notify)
    : store_(store), clock_(std::move(clock)), notify_(std::move(notify)) {
  for (ServedApproach* a : approaches)
    if (a != nullptr) approaches_.push_back(a);
}

ModelWatch::~ModelWatch() {
  stop();
}

std::vector<std::string> ModelWatch::sync_at_start() {
  std::vector<std::string> notes;
  for (ServedApproach* approach : approaches_) {
    std::vector<ModelVersion> versions = store_.models(approach->name());
    const ModelVersion* champion = champion_of(versions);
    std::string version = approach->registry_version();
    if (champion != nullptr && !champion->path.empty()) {
      if (champion->version != version) follow(*approach, versions);
      continue;
    }
    // An LLM approach on the config's own train split has nothing the registry could load back;
    // `tunecase retrain` registers it when it first writes a pool.
    if (!approach->in_process()) continue;
    // No loadable champion: what this gateway serves becomes the champion (registered, or
    // promoted again when an older gateway registered it or it was demoted by hand).
    std::string path = std::filesystem::absolute(approach->model_path()).lexically_normal();
    ModelVersion m;
    m.name = fmt::format("{} (as served)", approach->name());
    m.approach = approach->name();
    m.version = version;
    m.data_fingerprint = version;
    m.created_at_ms = clock_();
    m.path = path;
    if (!make_champion(store_, m, clock_(), "serve")) {
      // Another replica starting on the same store registered this version first.
      follow(*approach, store_.models(approach->name()));
      continue;
    }
    notes.push_back(
        fmt::format("approach '{}': model {} from {} registered as its current version (the model "
                    "registry's champion of the approach, whichever pilot arm it serves)",
                    approach->name(), version.substr(0, 12), path));
  }
  return notes;
}

void ModelWatch::follow(ServedApproach& approach, const std::vector<ModelVersion>& versions) {
  const ModelVersion* champion = champion_of(versions);
  if (champion == nullptr || champion->path.empty()) return;
  if (champion->version == approach.registry_version()) {
    set_unloaded(approach.name(), "");
    return;
  }
  const bool failed_before = unloaded_champion(approach.name()) == champion->version;
  const auto now_steady = std::chrono::steady_clock::now();
  if (failed_before) {
    // Said once already; tried again now and then, since the folder may have been restored.
    auto last = load_failed_at_.find(approach.name());
    if (last == load_failed_at_.end() || now_steady - last->second < retry_every_) return;
  }
  std::string before = approach.registry_version();
  try {
    // A folder that holds another model than the registry's is not loaded: swapped in, that
    // model (in no registry) had answered and been logged while /healthz named the one served
    // before, and a restored folder was never tried again. It fails like a missing folder, so
    // it is tried again every retry_every_.
    if (std::string held = model_fingerprint(champion->path); held != champion->version)
      throw UserError(fmt::format(
          "the folder holds {} {}, not the registry's: it was written after the version was "
          "registered",
          approach.in_process() ? "model" : "example pool", held.substr(0, 12)));
    approach.reload(champion->path);
  } catch (const std::exception& e) {
    load_failed_at_[approach.name()] = now_steady;
    if (failed_before) return;
    set_unloaded(approach.name(), champion->version);
    notify_(fmt::format(
        "approach '{}': the registry's champion {} could not be loaded from {} ({}); still "
        "serving {}. Fix the folder (it is tried again every {:g} s) or roll back with "
        "`tunecase models rollback`.",
        approach.name(), champion->version.substr(0, 12), champion->path, e.what(),
        before.substr(0, 12), static_cast<double>(retry_every_.count()) / 1000));
    return;
  }
  load_failed_at_.erase(approach.name());
  set_unloaded(approach.name(), "");
  std::string now = approach.registry_version();
  if (now != champion->version) {
    notify_(fmt::format(
        "approach '{}': {} holds model {}, not the registry's {}; serving it anyway. The folder "
        "was changed after it was registered.",
        approach.name(), champion->path, now.substr(0, 12), champion->version.substr(0, 12)));
    set_unloaded(approach.name(), champion->version);
    return;
  }
  notify_(fmt::format("approach '{}': now serving {} {} (was {}), promoted by {}", approach.name(),
                      approach.in_process() ? "model" : "example pool", now.substr(0, 12),
                      before.empty() ? "the config's" : before.substr(0, 12),
                      champion->promoted_by.empty() ? "unknown" : champion->promoted_by));
  // What the start says of a model (trained with another tokenizer) is said of one loaded later.
  if (std::string note = approach.model_note(); !note.empty())
    notify_(fmt::format("approach '{}': {}", approach.name(), note));
}

void ModelWatch::check() {
  for (ServedApproach* approach : approaches_) {
    try {
      follow(*approach, store_.models(approach->name()));
      if (unreadable_since_.erase(approach->name()) > 0)
        notify_(fmt::format("approach '{}': the model registry reads again", approach->name()));
    } catch (const std::exception& e) {
      // Said once, and then once a minute while the store stays down, not at every poll.
      const auto now = std::chrono::steady_clock::now();
      auto [it, first] = unreadable_since_.try_emplace(approach->name(), now);
      if (!first && now - it->second < std::chrono::minutes(1)) continue;
      it->second = now;
      notify_(fmt::format("approach '{}': reading the model registry failed ({}); will retry",
                          approach->name(), e.what()));
    }
  }
}

void ModelWatch::set_unloaded(const std::string& approach, const std::string& version) {
  std::lock_guard lock(failed_mutex_);
  if (version.empty())
    failed_.erase(approach);
  else
    failed_[approach] = version;
}

std::string ModelWatch::unloaded_champion(const std::string& approach) const {
  std::lock_guard lock(failed_mutex_);
  auto it = failed_.find(approach);
  return it == failed_.end() ? std::string() : it->second;
}

void ModelWatch::start(std::chrono::milliseconds every) {
  if (approaches_.empty() || every.count() <= 0 || thread_.joinable()) return;
  thread_ = std::thread([this, every] {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, every, [this] { return stopping_; })) {
      lock.unlock();
      check();
      lock.lock();
    }
  });
}

void ModelWatch::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace tunecase::serve
