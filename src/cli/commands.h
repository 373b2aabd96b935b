#pragma once

#include <atomic>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"
#include "tunecase/data/synthetic.h"
#include "tunecase/economics/decide.h"
#include "tunecase/monitor/operation_plan.h"
#include "tunecase/monitor/retrain.h"
#include "tunecase/runner/cache_location.h"
#include "tunecase/store/store.h"

// Each subcommand lives in its own file and registers itself on the app.
void add_eval_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_decide_command(CLI::App& app);
void add_sim_llm_command(CLI::App& app);
void add_optimize_command(CLI::App& app);
void add_curve_command(CLI::App& app);
void add_check_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_feedback_command(CLI::App& app);
void add_pilot_command(CLI::App& app);
void add_inspect_command(CLI::App& app);
void add_finetune_command(CLI::App& app);
void add_monitor_command(CLI::App& app);
void add_plan_command(CLI::App& app);
void add_replay_command(CLI::App& app);
void add_audit_command(CLI::App& app);
void add_retrain_command(CLI::App& app);
void add_models_command(CLI::App& app);

// `tunecase replay` on the config's time-stamped [data] file (docs/operate.md); writes
// OUT/replay.{json,md,html}. Also the demo's last step.
struct ReplayRun {
  nlohmann::json document;  // replay.json
  int64_t items = 0;
  double seconds = 0;
};
ReplayRun run_replay(const tunecase::ProjectConfig& config, const std::string& approach,
                     int initial_days, int delay_days, const std::filesystem::path& out);

// The one-page operation plan (`tunecase plan`): OUT/plan.{json,md,html}; `measured` is a
// monitor.json or null. `decide` writes it beside the memo, which links it.
nlohmann::json write_operation_plan(const tunecase::ProjectConfig& config,
                                    const nlohmann::json& measured,
                                    const std::filesystem::path& out,
                                    const tunecase::monitor::PlannedChampion& champion = {});
// The approach a plan written beside a memo rolls back: the memo's pick (its baseline when it
// picks none).
tunecase::monitor::PlannedChampion memo_champion(const tunecase::DecisionResult& decision);

// `tunecase retrain` (docs/operate.md): runs it and writes retrain.json and retrain.md into
// request.out_dir. Also the demo's step 9.
tunecase::monitor::RetrainRun retrain_and_report(const tunecase::ProjectConfig& config,
                                                 tunecase::Store& store,
                                                 const tunecase::monitor::RetrainRequest& request);

// The store a command reads: UserError when a SQLite file does not exist or is empty (a typo
// would otherwise create an empty store); a postgresql:// URL is opened as given.
std::unique_ptr<tunecase::Store> open_existing_store(const std::string& location);
// A --store location as a message may show it: a PostgreSQL URL's password masked.
std::string shown_store(const std::string& location);
// --now-ms: the given clock, or the system clock when it is 0 (not given).
int64_t now_ms_or(int64_t now_ms);
// The time a command acts at on `store`: `now_ms` when given (--now-ms), else the store's replay
// clock when a gateway on a replay clock wrote it (said on stderr: `what` is the command's
// doing, "monitor judges it"), else the wall clock. A retrain or a promotion on a replay store
// had been dated today, months after its traffic, and every later step at the replay's time
// was refused.
int64_t store_clock_ms(tunecase::Store& store, int64_t now_ms, const char* what);
// What every --now-ms accepts: a time after 1970 in epoch milliseconds (0 or a negative value
// had been taken as "now" without a word).
CLI::Validator epoch_ms_validator();
// Writes a report file; UserError naming it when it cannot be written.
void write_text_file(const std::filesystem::path& file, const std::string& text);

// The bearer token in environment variable `variable` ("" for no variable), without surrounding
// whitespace; UserError when it is not set, empty or only whitespace.
std::string read_token_env(const std::string& variable);

// What every --seed accepts: 0 to 9,007,000,000,000,000, as [data] seed does (a seed above 2^53
// would not survive a JSON report exactly).
inline CLI::Validator seed_range() {
  return CLI::Range(int64_t{0}, int64_t{9'007'000'000'000'000});
}

// A volume or a sum of money: a finite number >= 0, refused as the config refuses the same
// value ("must be >= 0, not -100"), never taken for "not given".
inline CLI::Validator non_negative_number() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(input, value) || !std::isfinite(value))
          return "must be a finite number, not " + input;
        if (value < 0) return "must be >= 0, not " + input;
        if (value > 1e15)  // as in a config: beyond any real volume, price or cost
          return input + " is beyond any real input (the largest taken is 1e15)";
        return "";
      },
      "NUMBER>=0");
}

// A cap on a count (requests, calls): a whole number >= 1, refused as the config refuses it
// ("must be a whole number >= 1, not -5"). A negative one had been taken for "not given", so the
// config's cap applied without a word.
inline CLI::Validator positive_count() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        long long value = 0;
        if (!CLI::detail::lexical_cast(input, value) || value < 1)
          return "must be a whole number >= 1, not " + input;
        return "";
      },
      "COUNT>=1");
}

// A finite number from `lo` to `hi`. CLI::Range lets NaN through (every comparison with it is
// false): a NaN alert threshold had been taken, and could never alert.
inline CLI::Validator finite_between(double lo, double hi, std::string what = "") {
  return CLI::Validator(
      [lo, hi, what](std::string& input) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(input, value) || !std::isfinite(value) || value < lo ||
            value > hi)
          return fmt::format("must be {}from {:g} to {:g}, not {}", what, lo, hi, input);
        return "";
      },
      fmt::format("NUMBER in [{:g}, {:g}]", lo, hi));
}

// Requests in flight: a whole number from 1 to 1000, refused before anything is read.
inline CLI::Validator in_flight() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        long long value = 0;
        if (!CLI::detail::lexical_cast(input, value) || value < 1 || value > 1000)
          return "must be a whole number from 1 to 1000, not " + input;
        return "";
      },
      "COUNT in [1, 1000]");
}

// --cache FILE and --no-cache, shared by every command that calls an LLM.
void add_cache_options(CLI::App* cmd, tunecase::CacheChoice& cache);

// --port-file: the port a server listens on, for scripts and tests that asked for port 0.
void write_port_file(const std::string& path, int port);
// Refuses a --port-file that cannot be written (a folder, a missing or read-only folder) before
// a server starts listening: it had been found after the "listening on" line, a store created.
void check_port_file(const std::string& path);

// The synthetic tickets as CSV with columns id, text, category, created_at.
void write_synthetic_tickets(const std::filesystem::path& file,
                             const tunecase::SyntheticOptions& options);

// --local-only, shared by every command that may call an LLM; apply_local_only sets [privacy]
// local_only when the flag was given.
void add_local_only_option(CLI::App* cmd, bool& local_only);
void apply_local_only(tunecase::ProjectConfig& config, bool local_only);

namespace tunecase {
class AuditLog;
}

// What running eval, optimize or curve again does after an interruption, with a cache.
inline constexpr const char* kResumeFromCache =
    "The answers received are in the response cache: the same command again sends only the rest";

// ... said for eval and curve, whose --max-cost caps each run's new spend: `capped` when the run
// had a cap (a run again may spend up to it on the rest), `tuning` when curve fine-tunes (a job
// it created trains on and is billed).
std::string resume_note(bool cache_disabled, bool capped, bool tuning);

// The audit of one command (docs/privacy.md): installed for the command's lifetime, so every
// request the project's HTTP client sends is recorded, and written to `file` when the command
// ends, failed or not, every two seconds while it runs (a `kill -9` loses at most the last two
// seconds' records), and on SIGINT or SIGTERM, which then end the command (exit 130 or 143) with
// a word on resuming, once the requests in flight have settled (up to 30 s; a second signal
// ends it at once): their answers are paid for, and the runners cache them. The audit of an earlier
// run in the folder that sent anything is kept as audit.run-N.json (tunecase::keep_earlier_audit).
// It also holds the output folder (`file`'s) for the command's lifetime: a second command on the
// same folder is refused, naming the first (two runs there would pay for the same answers twice
// and write over each other's files).
// UserError when the eval folder `dir` (serve --eval) is being written by a running command, or
// holds what an eval killed part-way left (OUT/.earlier-run/ and no eval.json): its models are
// not final, and a gateway had served, and registered as champion, a model the eval then put
// back. Nothing when `dir` is "".
// `command` ("serve") finishes the message: "run serve when it ends".
void refuse_unfinished_eval(const std::string& dir, std::string_view command);

class CommandAudit {
 public:
  // `resume`: what running the same command again does after an interruption, said when one
  // stops it ("" = nothing is kept: a new run sends everything again).
  CommandAudit(std::string command, const tunecase::ProjectConfig& config,
               std::filesystem::path file, std::string resume = "");
  ~CommandAudit();
  CommandAudit(const CommandAudit&) = delete;
  CommandAudit& operator=(const CommandAudit&) = delete;
  // Called on a stop signal before the process ends (no destructor runs then): the command's own
  // tidying, and a sentence saying what it did ("" = nothing to say). Set before the work starts.
  void on_stop(std::function<std::string()> tidy) { on_stop_ = std::move(tidy); }

 private:
  void write(const std::string& state) const;
  void watch();
  // On a stop signal: asks the runners to stop and waits for the requests in flight to settle.
  void drain(int signal);

  std::string command_;
  std::string resume_;
  std::function<std::string()> on_stop_;
  std::unique_ptr<tunecase::AuditLog> log_;
  std::filesystem::path file_;
  int lock_fd_ = -1;
  bool created_folder_ = false;  // the folder did not exist before this command
  std::atomic<bool> done_{false};
  std::thread watcher_;
  sigset_t previous_mask_{};
};
