#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tunecase/serve/clock.h"
#include "tunecase/store/store.h"

namespace tunecase::serve {

class ServedApproach;

// Keeps the gateway's local approaches on the model registry's champion (docs/operate.md, "The
// model registry"): `tunecase retrain` or `tunecase models promote|rollback` change the champion
// in the store, and every gateway on that store loads the new model folder within one poll, with
// no restart and no request dropped. An LLM approach follows its champion example pool the same
// way once `tunecase retrain` has registered one.
class ModelWatch {
 public:
  // `notify` receives one line per change or problem (the CLI prints it).
  ModelWatch(Store& store, std::vector<ServedApproach*> approaches, Clock clock,
             std::function<void(const std::string&)> notify);
  ~ModelWatch();  // stop()
  ModelWatch(const ModelWatch&) = delete;
  ModelWatch& operator=(const ModelWatch&) = delete;

  // At start: a local approach whose registry has no champion registers the model it loaded as
  // champion (promoted by "serve"); one whose registry names another champion loads that one, so
  // a restart keeps what was promoted. Returns a line per thing done.
  std::vector<std::string> sync_at_start();
  // One look at the registry: loads each champion that differs from what is served. A champion
  // whose folder fails to load is reported once and the served model stays; it is tried again
  // every 30 s (a folder restored after the failure is then loaded, with no restart).
  void check();
  void start(std::chrono::milliseconds every);  // polls on a thread of its own
  void set_load_retry(std::chrono::milliseconds every) { retry_every_ = every; }  // tests
  void stop();
  // The registry's champion of `approach` that this gateway could not load (a missing or changed
  // folder), so it serves another; empty when it serves the champion. Any thread.
  std::string unloaded_champion(const std::string& approach) const;

 private:
  void follow(ServedApproach& approach, const std::vector<ModelVersion>& versions);
  // Records the champion `approach` could not load; "" clears it.
  void set_unloaded(const std::string& approach, const std::string& version);

  Store& store_;
  std::vector<ServedApproach*> approaches_;
  Clock clock_;
  std::function<void(const std::string&)> notify_;
  // approach -> champion version that failed to load; written by the watch, read by the routes
  std::map<std::string, std::string> failed_;
  mutable std::mutex failed_mutex_;
  // approach -> when its failure to read the registry was last said (while it keeps failing)
  std::map<std::string, std::chrono::steady_clock::time_point> unreadable_since_;
  // approach -> when loading its champion last failed (tried again retry_every_ later)
  std::map<std::string, std::chrono::steady_clock::time_point> load_failed_at_;
  std::chrono::milliseconds retry_every_{30000};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tunecase::serve
