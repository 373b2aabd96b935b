#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"
#include "tunecase/monitor/alert_sinks.h"
#include "tunecase/monitor/daily.h"
#include "tunecase/store/store.h"

// One run of `tunecase monitor`: the daily figures of the last `[monitor] days` complete UTC
// days, every alert rule on the last complete day, drift detectors, and the announcements of
// alerts that opened or resolved. Cron runs it once a day (or more often: a run that finds
// nothing new announces nothing).
namespace tunecase::monitor {

struct MonitorRequest {
  int64_t now_ms = 0;                       // the clock (a simulated one in replay and tests)
  std::vector<std::string> approaches;      // always shown, even without traffic; others as found
  bool drift = true;                        // run the drift detectors
  std::vector<std::string> training_texts;  // the out-of-vocabulary detector's vocabulary
  std::string policy;                       // the [retrain] policy in words, for the dashboard
  // The local approaches and the [retrain] policy: after the alerts of this run, whether a
  // retrain is due for each (monitor.json "retrain", and the dashboard).
  std::vector<std::string> local_approaches;
  RetrainSettings retrain;
};

struct MonitorRun {
  nlohmann::json document;  // monitor.json
  AlertOutcome alerts;
};

// The window of days a run shows: [first_day, end_day), ending with the last complete UTC day
// before `now_ms`.
DailyQuery monitor_window(const MonitorSettings& settings, int64_t now_ms);

// Besides its outputs, a run leaves its drift findings, the retraining policy and whether a
// retrain is due in the store's meta key "monitor.latest" ({ran_at_ms, drift, policy, retrain})
// for the dashboard of `tunecase serve`.
MonitorRun run_monitor(Store& store, const MonitorSettings& settings, const MonitorRequest& request,
                       const AlertOutputs& outputs);

// monitor.json's "approaches" entry of one series.
nlohmann::json to_json(const ApproachSeries& series);

}  // namespace tunecase::monitor
