#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "tunecase/config/config.h"
#include "tunecase/monitor/replay.h"
#include "tunecase/monitor/retrain.h"
#include "tunecase/store/store.h"

namespace tunecase {
class HttpClient;
}

// `tunecase replay --gateway URL` (docs/operate.md, "Replay through the gateway"): the file's
// days sent to a running `tunecase serve` over HTTP, as live traffic would reach it, with each
// day's labels posted as feedback `feedback_delay_days` later, and at the end of every day what
// cron runs in production: `tunecase monitor` (alerts) and `tunecase retrain --if-due` (the
// [retrain] policy with its champion/challenger gate), whose promotions the gateway picks up
// without a restart. The gateway must run on a replay clock (`serve --replay-clock`), which the
// requests' "at" times move forward, so its store holds the file's days, not today's.
namespace tunecase::monitor {

// What the day's operation did.
struct DayOperation {
  bool alert = false;            // an accuracy alert of the approach opened
  bool retrained = false;        // a retrain ran (due by the policy)
  std::string promoted_version;  // the version it promoted ("" = none)
  std::vector<std::string> lines;
  std::optional<RetrainRun> retrain;  // the retrain's run, for its report (retrain.md)
  std::string retrain_folder;         // where its report belongs: the retrain out_dir / the day
};

// The day's operation on the gateway's store, as `tunecase monitor` and `tunecase retrain
// --if-due` run it: the monitor's rules ([monitor]) on the store at `now_ms` (drift detectors
// when `drift`), then a retrain of `approach` when the [retrain] policy says it is due.
struct DailyOperation {
  const ProjectConfig* config = nullptr;
  Store* store = nullptr;
  std::string approach;    // the gateway's champion
  RetrainRequest retrain;  // out_dir, eval_dir, original, rule, LLM options; now_ms is set here
  DayOperation run(int64_t now_ms, bool drift) const;
};

struct GatewayReplaySettings {
  std::string url;        // the gateway, e.g. http://127.0.0.1:8080
  std::string token;      // its bearer token for feedback ("" = none)
  int initial_days = 60;  // the file's first days are not sent (the served model's training)
  int feedback_delay_days = 3;
  // [monitor] min_labelled: a day whose labels number fewer is not judged by the accuracy rule
  // (the report's judged days and most labelled in a day count the labels sent for each day).
  int64_t min_labelled = 10;
  int concurrency = 8;  // a day's requests in flight
  // How long a promoted model may take to reach the gateway (its --model-poll-ms).
  std::chrono::milliseconds model_wait{60000};
  std::string run_id;  // prefixes the ids sent ("" = made up), so replays never share ids
  // Run at the end of each replayed day, after its labels arrived and the gateway stored the
  // day's requests; null = none.
  std::function<DayOperation(int64_t now_ms, bool drift)> end_of_day;
  // Whether the store end_of_day reads holds a prediction (by prediction_id); checked once, on
  // the first answer, so that a --store other than the gateway's is refused. null = not checked.
  std::function<bool(const std::string& prediction_id)> store_holds;
  // How long the gateway may take to store a day's requests before the replay gives up.
  std::chrono::milliseconds store_wait{60000};
  std::string policy = "none";                         // the name the report gives the run
  double cost_per_error_usd = 0, usd_per_retrain = 0;  // [business], [retrain]: assumed
  // [business] cost_per_error_by_label: an error on an item of such a true label costs this.
  std::map<std::string, double> cost_per_error_by_label;
};

// The approach the gateway answers with as its champion (GET /v1/models); UserError as below.
std::string gateway_champion(const GatewayReplaySettings& settings, HttpClient& http);

// Replays `items` (sorted by day) through the gateway. UserError naming the route and what to do
// when the gateway is unreachable, refuses the replay's times (no --replay-clock), answers an
// error, or does not load a promoted model in time. `log` gets a line per week.
PolicyRun replay_through_gateway(const std::vector<ReplayItem>& items,
                                 const GatewayReplaySettings& settings, HttpClient& http,
                                 std::ostream& log);

}  // namespace tunecase::monitor
