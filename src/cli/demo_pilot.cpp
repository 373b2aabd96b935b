#include "demo_pilot.h"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <queue>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/data/prepare.h"
#include "tunecase/data/synthetic.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/serve/gateway.h"
#include "tunecase/serve/pilot_plan.h"
#include "tunecase/serve/pilot_report.h"
#include "tunecase/store/store.h"

namespace {

using tunecase::kMsPerDay;

// "YYYY-MM-DDTHH:MM:SSZ" (the generator's format) as milliseconds since 1970.
int64_t parse_utc_ms(const std::string& at) {
  std::tm t{};
  if (std::sscanf(at.c_str(), "%d-%d-%dT%d:%d:%d", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour,
                  &t.tm_min, &t.tm_sec) != 6)
    throw std::runtime_error("generated ticket with an unreadable time: " + at);
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&t)) * 1000;
}

struct DueFeedback {
  int64_t at_ms;
  std::string id, label;
  bool operator>(const DueFeedback& o) const { return at_ms > o.at_ms; }
};

class GatewayClient {
 public:
  explicit GatewayClient(int port)
      : base_(fmt::format("http://127.0.0.1:{}", port)), http_(tunecase::make_http_client(4)) {}

  nlohmann::json post(const std::string& path, const nlohmann::json& body) {
    tunecase::HttpRequest request;
    request.url = base_ + path;
    request.headers = {{"Content-Type", "application/json"}};
    request.body = body.dump();
    return answer(path, tunecase::http_send_sync(*http_, std::move(request)));
  }
  nlohmann::json get(const std::string& path) {
    tunecase::HttpRequest request;
    request.method = "GET";
    request.url = base_ + path;
    return answer(path, tunecase::http_send_sync(*http_, std::move(request)));
  }

 private:
  static nlohmann::json answer(const std::string& path, const tunecase::HttpResponse& r) {
    if (r.status != 200) {
      throw std::runtime_error(fmt::format("demo pilot: {} answered {} {}{}", path, r.status,
                                           r.body, r.transport_error));
    }
    return nlohmann::json::parse(r.body);
  }
  std::string base_;
  std::unique_ptr<tunecase::HttpClient> http_;
};

std::string progress_line(const nlohmann::json& report, int day) {
  const auto& plan = report["plan"];
  return fmt::format(
      "   day {:>2}: {} (labelled: {} {}, {} {}; planned {} per arm)", day,
      report["verdict"].value("outcome", std::string("?")), report.value("champion", std::string()),
      plan.value("labelled_champion", 0), report.value("challenger", std::string()),
      plan.value("labelled_challenger", 0), plan.value("labelled_planned_per_arm", 0.0));
}

}  // namespace

DemoPilotResult run_demo_pilot(const tunecase::ProjectConfig& config, const DemoPilotOptions& o) {
  // New traffic: the generator's months after the export the models were trained on.
  tunecase::SyntheticOptions synthetic;
  synthetic.months = 12 + o.months;
  synthetic.tickets = o.tickets_per_month * static_cast<std::size_t>(synthetic.months);
  synthetic.seed = o.seed + 1;
  std::vector<tunecase::SyntheticTicket> all = tunecase::generate_tickets(synthetic);
  std::vector<tunecase::SyntheticTicket> traffic(
      all.begin() + static_cast<std::ptrdiff_t>(all.size() * 12 / synthetic.months), all.end());
  if (traffic.empty()) throw std::runtime_error("demo pilot: no traffic generated");

  std::filesystem::path store = o.out / "pilot" / "pilot.db";
  tunecase::create_output_dir(store.parent_path());
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(store.string() + suffix);  // a rerun starts a new pilot

  std::atomic<int64_t> now{parse_utc_ms(traffic.front().created_at)};
  tunecase::serve::GatewayOptions options;
  options.eval_dir = o.out / "eval";
  options.plan_file = o.out / "decision" / "decision.json";
  options.operation_plan = o.out / "decision" / "plan.html";
  options.store = store.string();
  options.server.port = 0;
  options.log.instance = "demo";
  options.clock = [&now] { return now.load(); };
  options.simulated_clock = true;
  // The routing salt from the seed, unless the config names one: the same seed sends every ticket
  // to the same arm, run after run.
  tunecase::ProjectConfig routed = config;
  if (routed.pilot.salt.empty()) routed.pilot.salt = fmt::format("demo-{}", o.seed);
  tunecase::serve::Gateway gateway(routed, options);
  int port = gateway.start();
  const auto& plan = gateway.plan();
  // Champion first, as serve and the pilot report name them, and whose share is whose.
  fmt::print(
      "   `tunecase serve` on http://127.0.0.1:{} ({} mode: champion {} vs challenger {} on "
      "{:.0f}% of traffic)\n",
      port, tunecase::serve::serve_mode_name(plan.mode), plan.champion, plan.challenger,
      100 * plan.share);
  fmt::print(
      "   replaying {} tickets of the next {} months on a simulated clock; each ticket's "
      "label arrives 1-5 days later\n",
      traffic.size(), o.months);

  GatewayClient client(port);
  std::mt19937_64 rng(o.seed);
  std::priority_queue<DueFeedback, std::vector<DueFeedback>, std::greater<>> due;
  int64_t start = now.load();
  int next_report_day = 7;
  auto deliver_until = [&](int64_t until) {
    while (!due.empty() && due.top().at_ms <= until) {
      now = due.top().at_ms;
      client.post("/v1/feedback", {{"id", due.top().id}, {"label", due.top().label}});
      due.pop();
    }
  };
  auto report_days_until = [&](int64_t until) {
    while (start + next_report_day * kMsPerDay <= until) {
      now = start + next_report_day * kMsPerDay;
      fmt::print("{}\n", progress_line(client.get("/v1/pilot"), next_report_day));
      next_report_day += 7;
    }
  };
  for (const auto& ticket : traffic) {
    int64_t at = std::max(parse_utc_ms(ticket.created_at), now.load());
    deliver_until(at);
    report_days_until(at);
    now = at;
    client.post("/v1/classify", {{"text", ticket.text}, {"id", ticket.id}});
    int64_t delay = kMsPerDay + static_cast<int64_t>(rng() % static_cast<uint64_t>(4 * kMsPerDay));
    due.push({at + delay, ticket.id, ticket.category});
  }
  deliver_until(now.load() + 5 * kMsPerDay);  // the last labels come in
  now = now.load() + 1;
  nlohmann::json report = client.get("/v1/pilot");
  gateway.stop();

  std::filesystem::path folder = o.out / "decision";
  tunecase::write_file(folder / "pilot.json", report.dump(2) + "\n");
  tunecase::write_file(folder / "pilot.md", tunecase::serve::pilot_report_text(report));
  DemoPilotResult result;
  result.outcome = report["verdict"].value("outcome", std::string("?"));
  result.summary =
      fmt::format("pilot verdict after {:.0f} simulated days: {} ({}; report in {})",
                  report["plan"].value("days_elapsed", 0.0), result.outcome,
                  report.value("basis", std::string("simulated")), (folder / "pilot.md").string());
  return result;
}

tunecase::monitor::RetrainRun run_demo_retrain(const tunecase::ProjectConfig& config,
                                               const std::filesystem::path& out) {
  auto store = tunecase::open_store((out / "pilot" / "pilot.db").string());
  tunecase::monitor::RetrainRequest request;
  // The day after the last label arrived, as the pilot's simulated clock left it.
  std::vector<tunecase::LabelledText> labelled = store->labelled_texts(0, INT64_MAX);
  request.now_ms = labelled.empty() ? 0 : labelled.back().created_at_ms + 6 * kMsPerDay;
  request.eval_dir = out / "eval";
  request.out_dir = out / "retrain";
  request.approaches = {"local-linear"};
  request.rule.min_gain = config.retrain.min_gain;
  request.holdout_days = config.retrain.holdout_days;
  request.original = tunecase::prepare_data(config.data).splits.train;
  tunecase::monitor::RetrainRun run = retrain_and_report(config, *store, request);
  // The store's clock moves to the retrain's time: a registry step dated after the replay's
  // clock had made every later `tunecase models` step on the demo's store be refused as dated
  // before it, and put the promotion in the gateway's future.
  if (request.now_ms > tunecase::serve::stored_replay_clock(*store).value_or(0))
    store->set_meta(tunecase::serve::kReplayClockKey, std::to_string(request.now_ms));
  return run;
}

void print_demo_retrain(const tunecase::monitor::RetrainRun& run) {
  for (const auto& r : run.approaches) {
    const auto& c = r.comparison;
    double n = static_cast<double>(std::max<int64_t>(1, c.holdout));
    fmt::print(
        "   {}: challenger (trained on {} original + {} pilot labels) {:.1f}% vs champion {:.1f}% "
        "on the {} held-out items of the last week (measured; McNemar p = {:.2g}) -> {}\n",
        r.approach, r.train_original, r.train_feedback, 100 * c.challenger_right / n,
        100 * c.champion_right / n, c.holdout, c.mcnemar.p_value,
        r.promoted ? "promoted in the registry" : "kept the champion");
    if (!c.reasons.empty()) fmt::print("   first reason: {}\n", c.reasons.front());
  }
}
