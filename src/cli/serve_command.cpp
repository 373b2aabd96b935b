// `tunecase serve`: the pilot gateway (docs/serve.md).
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "tunecase/config/config.h"
#include "tunecase/config/measured_settings.h"
#include "tunecase/core/ascii_case.h"
#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/core/thread_priority.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/core/work_pacing.h"
#include "tunecase/privacy/audit.h"
#include "tunecase/privacy/endpoint_locality.h"
#include "tunecase/runner/cache_location.h"
#include "tunecase/serve/gateway.h"

namespace {

// Event loops: twice the hardware threads. On 2 cores, 4 loops answered at the same CPU per
// request as 2 with a median added latency about 0.3 ms lower (docs/benchmarks.md, Gateway):
// a loop the scheduler sets aside holds fewer connections' requests behind it. 6 and 8 loops
// were no better, only more context switches.
int default_threads() {
  int hardware = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(2 * std::max(1, hardware), 2, 256);
}

struct ServeArgs {
  std::string config, eval, plan, store = "tunecase.db", host = "127.0.0.1", token_env;
  std::string instance, port_file, operation_plan, replay_clock;
  std::vector<std::string> allowed_hosts;
  int port = 8080, threads = default_threads();
  int64_t model_poll_ms = 5000;
  tunecase::CacheChoice cache;
  bool local_only = false;
};

// A gateway bound beyond loopback without a token takes feedback from anyone who reaches it:
// a stranger's labels move the pilot's accuracy and its verdict, and the pilot's figures, the
// memo and the models are readable. Not refused (a closed network may be meant), but said; so
// is a token short enough to guess.
void warn_if_open_to_network(std::string host, int port, const std::string& token) {
  if (!token.empty()) {
    if (token.size() < 16)
      fmt::print(stderr,
                 "warning: the token of --token-env is {} characters long: one that short can "
                 "be guessed; use at least 16 random characters (e.g. `openssl rand -hex 32`)\n",
                 token.size());
    return;
  }
  host = tunecase::ascii_lower(host);  // its brackets are gone already (run())
  if (tunecase::is_loopback(host)) return;
  fmt::print(stderr,
             "warning: --host {} without --token-env: anyone who can reach {} can send "
             "feedback, which moves the pilot's accuracy and its verdict, and read the pilot's "
             "figures, the memo, the models and /metrics. Put a bearer token in an environment "
             "variable and name it with --token-env (docs/serve.md), or keep --host 127.0.0.1 "
             "behind your proxy\n",
             host, port == 0 ? std::string("its port") : fmt::format("port {}", port));
}

std::string default_instance(int port) {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return fmt::format("{}:{}", host, port);
}

// The eval folder's models were trained on the data its eval.json records: a config whose [data]
// differs now (a label renamed, rows fixed or added) gets served models that answer the old
// labels and are judged against today's feedback without a word. Said at start, each difference
// named; not refused, since serving a model trained on last month's data is the normal case.
void warn_if_trained_on_other_data(const tunecase::ProjectConfig& config,
                                   const std::string& eval_dir) {
  if (eval_dir.empty()) return;
  std::ifstream in(std::filesystem::path(eval_dir) / "eval.json", std::ios::binary);
  const nlohmann::json eval = nlohmann::json::parse(in, nullptr, false);
  if (eval.is_discarded() || !eval.is_object() || !eval.contains("dataset") ||
      !eval["dataset"].is_object() || !eval["dataset"].contains("settings"))
    return;
  const auto changed = tunecase::settings_differences(
      eval["dataset"]["settings"], tunecase::measured_data_settings(config.data), "[data]");
  if (changed.empty()) return;
  fmt::print(stderr,
             "warning: --eval {} trained its models on other data than the config's [data] "
             "now ({}): they answer the labels of that data, and the pilot judges them against "
             "today's feedback. Re-run tunecase eval with this config to serve models of this "
             "data\n",
             eval_dir, fmt::join(changed, "; "));
}

void run(ServeArgs a) {
  // Refused before listening: a folder had been found only after the gateway was up.
  if (!a.port_file.empty()) check_port_file(a.port_file);
  tunecase::ProjectConfig config = tunecase::load_config(a.config);
  apply_local_only(config, a.local_only);
  refuse_unfinished_eval(a.eval, "serve");
  warn_if_trained_on_other_data(config, a.eval);
  tunecase::serve::GatewayOptions options;
  options.eval_dir = a.eval;
  options.plan_file = a.plan;
  options.operation_plan = a.operation_plan;
  options.store = a.store;
  options.cache_file = tunecase::resolve_cache_file(a.cache, config.file);
  // "[::]" as written in a URL: the address inside the brackets (listening on it had failed).
  if (a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']')
    a.host = a.host.substr(1, a.host.size() - 2);
  options.server.host = a.host;
  options.server.port = a.port;
  options.server.threads = a.threads;
  options.token = read_token_env(a.token_env);
  warn_if_open_to_network(a.host, a.port, options.token);
  options.allowed_hosts = a.allowed_hosts;
  options.log.instance = a.instance.empty() ? default_instance(a.port) : a.instance;
  if (a.instance.empty() && a.port == 0) {
    fmt::print(stderr,
               "note: --port 0 without --instance: this replica's log progress record is '{}', "
               "which every such replica on this host shares; give each its own --instance so "
               "that the next start can tell what a killed run left uncommitted\n",
               options.log.instance);
  }
  options.model_poll = std::chrono::milliseconds(a.model_poll_ms);
  if (!a.replay_clock.empty()) {
    options.replay_clock_start = tunecase::parse_utc_time(a.replay_clock);
    if (!options.replay_clock_start) {
      throw tunecase::UserError(fmt::format(
          "--replay-clock {}: not a date; give the first replayed day (the file's first day plus "
          "replay's --initial-days) as YYYY-MM-DD",
          a.replay_clock));
    }
    fmt::print(stderr,
               "serve: on a replay clock from {}: requests' \"at\" times move it (a replay, never "
               "live traffic)\n",
               a.replay_clock);
  }
  options.notify = [](const std::string& line) { fmt::print(stderr, "models: {}\n", line); };
  // Block the stop signals before any thread starts (they inherit the mask), then wait for one
  // here: the stop runs on this thread, with the log flushed before exit.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // The audit of what the gateway sends (docs/privacy.md): recorded by the HTTP client and moved
  // to the store's audit_requests table (`tunecase audit --store`) by the prediction log's
  // writer in each of its commits, at the priority and on the schedule of the predictions whose
  // calls they are; by a backstop thread when nothing has moved it for a second (requests
  // sent without a prediction to log); and at shutdown.
  tunecase::AuditLog audit("serve", config.privacy.allowed_hosts,
                           tunecase::AuditLog::Bodies::kHandOver);
  tunecase::set_process_audit(&audit);
  using SteadyClock = std::chrono::steady_clock;
  std::atomic<SteadyClock::time_point> audit_moved{SteadyClock::now()};
  // Rows a backstop move could not store (the store locked or down): taken first by the next
  // move of either path, so the audit errs toward what left, never loses a request; bounded like
  // the log's queue, the oldest counted and said beyond it.
  struct HeldAudit {
    std::mutex mutex;
    std::vector<tunecase::AuditRecord> rows;
    std::atomic<int64_t> dropped{0};
  } held;
  const std::size_t held_capacity = options.log.capacity;
  auto take_audit = [&audit, &audit_moved, &held, instance = options.log.instance] {
    audit_moved = SteadyClock::now();
    std::vector<tunecase::AuditEvent> events = audit.take_new();
    std::vector<tunecase::AuditRecord> rows;
    {
      std::lock_guard lock(held.mutex);
      rows.swap(held.rows);
    }
    rows.reserve(rows.size() + events.size());
    for (auto& ev : events) {
      tunecase::pace_point();  // on the log's background writer: between rows
      // Most bodies carry no placeholder: their counts are "{}" without building a JSON value.
      std::string redacted =
          ev.body.redacted.empty() ? "{}" : nlohmann::json(ev.body.redacted).dump();
      rows.push_back({instance, std::move(ev.endpoint), ev.local, ev.body.at_ms,
                      std::move(ev.body.sha256), ev.body.bytes, std::move(redacted)});
    }
    return rows;
  };
  auto move_audit = [&take_audit, &held, held_capacity](tunecase::Store& store) {
    std::vector<tunecase::AuditRecord> rows = take_audit();
    if (rows.empty()) return true;
    try {
      store.append_audit(rows);
      return true;
    } catch (const std::exception& e) {
      std::lock_guard lock(held.mutex);
      rows.insert(rows.end(), std::make_move_iterator(held.rows.begin()),
                  std::make_move_iterator(held.rows.end()));
      if (rows.size() > held_capacity) {
        const std::size_t excess = rows.size() - held_capacity;
        rows.erase(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(excess));
        held.dropped += static_cast<int64_t>(excess);
      }
      fmt::print(stderr, "warning: {} audit rows wait for the store: {}\n", rows.size(), e.what());
      held.rows = std::move(rows);
      return false;
    }
  };
  options.log.take_audit = take_audit;
  // Every client connection holds a descriptor: the soft limit (often 1,024) is raised to the
  // hard one, so a thousand idle keep-alive clients do not shut out the rest, probes included.
  if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  tunecase::serve::Gateway gateway(config, options);
  for (const auto& note : gateway.startup_notes()) fmt::print(stderr, "note: {}\n", note);
  int port = gateway.start();
  const auto& plan = gateway.plan();
  // An IPv6 address in a URL is bracketed: "http://[::]:8080/" (scripts copy this line).
  const std::string url_host = a.host.find(':') == std::string::npos ? a.host : "[" + a.host + "]";
  fmt::print("tunecase serve listening on http://{}:{}/ ({}: {}{})\n", url_host, port,
             tunecase::serve::serve_mode_name(plan.mode), plan.champion,
             plan.challenger.empty() ? "" : " vs " + plan.challenger);
  std::fflush(stdout);
  if (!a.port_file.empty()) write_port_file(a.port_file, port);

  std::mutex audit_mutex;
  std::condition_variable audit_wake;
  bool stopping = false;
  std::thread audit_backstop([&] {
    // Nice +5: a request that arrives during a move gets the core first. It has to keep up
    // beside saturated loops only when the log's writers do not (docs/serve.md).
    tunecase::lower_thread_priority(5);
    std::unique_lock lock(audit_mutex);
    while (!audit_wake.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping; })) {
      if (SteadyClock::now() - audit_moved.load() < std::chrono::seconds(1)) continue;
      // While the store fails, the rows wait with the log's, which keeps them for its next try.
      if (gateway.store_failing()) continue;
      move_audit(gateway.store());
    }
  });

  int received = 0;
  sigwait(&stop_signals, &received);
  gateway.stop();
  {
    std::lock_guard lock(audit_mutex);
    stopping = true;
  }
  audit_wake.notify_all();
  audit_backstop.join();
  // The last rows: tried for a while when the store is locked or down, then counted as lost.
  for (int attempt = 0; attempt < 5 && !move_audit(gateway.store()); ++attempt)
    std::this_thread::sleep_for(std::chrono::seconds(1));
  int64_t audit_lost = held.dropped.load();
  {
    std::lock_guard lock(held.mutex);
    audit_lost += static_cast<int64_t>(held.rows.size());
  }
  tunecase::set_process_audit(nullptr);
  auto s = gateway.log_stats();
  fmt::print(stderr,
             "tunecase serve stopped: {} predictions logged, {} committed, {} not stored; {} "
             "commits, {} of them at full priority after {} handovers (a busy machine); the "
             "background writer {}, pausing {} times between slices of its work\n",
             s.appended, s.committed, s.dropped, s.batches, s.urgent_batches, s.handovers,
             s.background_idle ? "in the idle scheduling class" : "at a lower nice value",
             s.pauses);
  if (const int64_t uncached = gateway.uncached_answers(); uncached > 0)
    fmt::print(stderr,
               "{} LLM answer{} could not be written to the response cache (see the warnings "
               "above): a repeat of {} is asked again and paid for; free space under the cache "
               "file before the next start\n",
               uncached, uncached == 1 ? "" : "s", uncached == 1 ? "it" : "one");
  if (gateway.answers_cut_at_stop() > 0)
    fmt::print(stderr,
               "{} requests were still waiting for their approach after the stop's grace: their "
               "calls were cut off and are not logged (no measure of the arm); their clients "
               "got 503 with Retry-After, and may retry. An LLM call among them may have reached "
               "the provider and be billed: no arm's cost counts it\n",
               gateway.answers_cut_at_stop());
  if (gateway.shadow_cut_at_stop() > 0)
    fmt::print(stderr,
               "{} shadow calls of the challenger were still running after the stop's grace and "
               "were cut off; they are not logged (no measure of the challenger). An LLM call "
               "among them may have reached the provider and be billed: the challenger's cost "
               "does not count it\n",
               gateway.shadow_cut_at_stop());
  if (s.failed_commits > 0 || audit_lost > 0)
    fmt::print(stderr,
               "the store refused {} commits while serving (their predictions were kept and "
               "tried again); audit_not_stored: {} audit rows\n",
               s.failed_commits, s.audit_not_stored + audit_lost);
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand(
      "serve",
      "Run the pilot gateway: classify through the [pilot] arms, take feedback, report "
      "live accuracy, latency, cost and the verdict (docs/serve.md)");
  cmd->add_option("--config", args->config, "project config (TOML) with [[approach]] and [pilot]")
      ->required();
  cmd->add_option("--eval", args->eval, "eval output folder holding models/<approach>");
  cmd->add_option("--plan", args->plan, "decision.json from `tunecase decide`: the verdict rule");
  cmd->add_option("--operation-plan", args->operation_plan,
                  "plan.html from `tunecase plan`, linked from the dashboard (GET /plan)");
  cmd->add_option("--store", args->store, "SQLite file or postgresql:// URL")
      ->capture_default_str();
  cmd->add_option("--port", args->port, "port (0 = any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--port-file", args->port_file,
                  "write the port to this file once listening (for scripts using --port 0)");
  cmd->add_option("--host", args->host, "address to bind")->capture_default_str();
  cmd->add_option("--threads", args->threads,
                  "event loops (HTTP threads); default twice the hardware threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--token-env", args->token_env,
                  "environment variable holding the bearer token that feedback and the dashboard's "
                  "data must carry");
  cmd->add_option("--allowed-host", args->allowed_hosts,
                  "without --token-env on a loopback address: a Host (name or name:port) besides "
                  "localhost/127.0.0.1/[::1] that the routes with the pilot's figures answer, "
                  "e.g. the one your reverse proxy passes (repeatable)");
  cmd->add_option("--instance", args->instance,
                  "name of this replica's log progress record (default HOST:PORT)");
  cmd->add_option("--model-poll-ms", args->model_poll_ms,
                  "how often the model registry is read for a newly promoted or rolled-back "
                  "local model or LLM example pool (0 = never: serve what was loaded at start)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{86'400'000}));
  cmd->add_option("--replay-clock", args->replay_clock,
                  "for `tunecase replay --gateway`: start the clock at this date (YYYY-MM-DD) and "
                  "move it with each request's \"at\"; never for live traffic");
  add_cache_options(cmd, args->cache);
  add_local_only_option(cmd, args->local_only);
  cmd->callback([args] { run(*args); });
}
