// `tunecase sim-llm`: the offline stand-in for an LLM API (docs/sim-llm.md).
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/llm/sim_llm_server.h"

namespace {

struct SimLlmArgs {
  tunecase::SimLlmOptions options;
  std::string port_file;
  std::string require_key_env;
  std::string record_bodies;
};

void validate(const tunecase::SimLlmOptions& o) {
  if (o.rate_429 + o.rate_500 + o.rate_timeout > 1.0) {
    throw tunecase::UserError(
        fmt::format("--rate-429 + --rate-500 + --rate-timeout is {:.3g}, over 1; lower them so "
                    "that they describe fractions of all requests",
                    o.rate_429 + o.rate_500 + o.rate_timeout));
  }
}

void run(SimLlmArgs& args) {
  auto& options = args.options;
  validate(options);
  if (!args.require_key_env.empty()) {
    const char* key = std::getenv(args.require_key_env.c_str());
    if (key == nullptr || *key == '\0') {
      throw tunecase::UserError(fmt::format(
          "--require-key-env {}: that environment variable is not set; export it (the key "
          "clients must send) or drop the flag",
          args.require_key_env));
    }
    options.require_key = key;
  }
  // Block the stop signals before the server's threads start (they inherit the mask), then wait
  // for one here: no handler runs on an arbitrary thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::ofstream recorded;
  std::mutex recorded_mutex;
  if (!args.record_bodies.empty()) {
    recorded.open(args.record_bodies, std::ios::app | std::ios::binary);
    if (!recorded)
      throw tunecase::UserError(fmt::format("cannot write --record-bodies {}", args.record_bodies));
    options.on_request = [&](const std::string& path, const std::string& body) {
      std::lock_guard lock(recorded_mutex);
      recorded << nlohmann::json{{"path", path}, {"body", body}}.dump() << "\n" << std::flush;
    };
  }
  // Refused before listening: a folder had been found only after the server was up.
  if (!args.port_file.empty()) check_port_file(args.port_file);
  tunecase::SimLlmServer server(options);
  int port = server.start();
  if (!args.port_file.empty()) write_port_file(args.port_file, port);
  // An IPv6 address is bracketed in a URL: the line is one a config's base_url can take.
  const bool ipv6 = options.host.find(':') != std::string::npos;
  fmt::print("sim-llm listening on http://{}{}{}:{}/v1 (simulated answers)\n", ipv6 ? "[" : "",
             options.host, ipv6 ? "]" : "", port);
  std::fflush(stdout);

  int received = 0;
  sigwait(&stop_signals, &received);
  server.stop();
  auto s = server.stats();
  fmt::print(stderr,
             "sim-llm stopped: {} requests, {} answered, {} rate-limited, {} server errors, {} "
             "held (time-outs), {} bad requests\n",
             s.requests, s.completions, s.rate_limited, s.server_errors, s.timeouts,
             s.bad_requests);
}

}  // namespace

void add_sim_llm_command(CLI::App& app) {
  auto args = std::make_shared<SimLlmArgs>();
  auto& o = args->options;
  auto* cmd = app.add_subcommand(
      "sim-llm",
      "Serve a simulated OpenAI/Anthropic-compatible LLM API on loopback (offline stand-in: "
      "answers from the labels and examples in the prompt, every answer marked simulated)");
  cmd->add_option("--port", o.port, "port to listen on (0 = any free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--host", o.host, "address to listen on")->capture_default_str();
  cmd->add_option("--port-file", args->port_file, "write the port number to this file");
  cmd->add_option("--latency-ms", o.latency_base_ms, "base latency of every answer (ms)")
      ->check(non_negative_number());
  cmd->add_option("--latency-per-token-ms", o.latency_per_token_ms,
                  "extra latency per output token (ms)")
      ->check(non_negative_number());
  cmd->add_option("--jitter-ms", o.latency_jitter_ms, "uniform random extra latency up to J ms")
      ->check(non_negative_number());
  cmd->add_option("--rate-429", o.rate_429, "fraction of requests answered 429 with Retry-After")
      ->check(finite_between(0, 1, "a share "));
  cmd->add_option("--rate-500", o.rate_500, "fraction of requests answered 500")
      ->check(finite_between(0, 1, "a share "));
  cmd->add_option("--rate-timeout", o.rate_timeout,
                  "fraction of requests never answered (the client times out)")
      ->check(finite_between(0, 1, "a share "));
  cmd->add_option("--retry-after", o.retry_after_s, "Retry-After of 429 answers (seconds)")
      ->check(non_negative_number())
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "seed of the fault and answer-form draws")
      ->check(seed_range())
      ->capture_default_str();
  cmd->add_option("--threads", o.threads, "I/O threads")->check(CLI::Range(1, 64));
  cmd->add_option("--require-key-env", args->require_key_env,
                  "answer 401 unless clients send the key held in this environment variable");
  cmd->add_option("--finetune-queue-s", o.finetune.queue_s,
                  "seconds a fine-tuning job stays queued")
      ->check(non_negative_number())
      ->capture_default_str();
  cmd->add_option("--finetune-run-s", o.finetune.run_s, "seconds a fine-tuning job runs")
      ->check(non_negative_number())
      ->capture_default_str();
  cmd->add_option("--finetune-fault", o.finetune.fault,
                  "failed_job: jobs fail while running; rejected_file: uploads are refused")
      ->check(CLI::IsMember({"", "failed_job", "rejected_file"}));
  cmd->add_option("--record-bodies", args->record_bodies,
                  "append every request's path and body to this JSONL file (for tests: what "
                  "reached the endpoint)");
  cmd->callback([args] { run(*args); });
}

// Written to a temporary name and renamed, so a script polling the file never reads half a number.
void check_port_file(const std::string& path) {
  tunecase::refuse_folder_as_file(path, "--port-file");
  const std::string temporary = path + ".tmp";
  errno = 0;
  std::ofstream probe(temporary, std::ios::trunc);
  const int error = errno;
  if (!probe)
    throw tunecase::UserError(fmt::format(
        "cannot write --port-file {} ({}); check that its folder exists and is writable", path,
        error != 0 ? std::strerror(error) : "the file cannot be created"));
  probe.close();
  std::error_code ignored;
  std::filesystem::remove(temporary, ignored);
}

void write_port_file(const std::string& path, int port) {
  tunecase::refuse_folder_as_file(path, "--port-file");
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << "\n";
    if (!out) {
      throw tunecase::UserError(
          fmt::format("cannot write --port-file {}; check that its folder exists", path));
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::error_code ignored;  // ec's message is the one to give
    std::filesystem::remove(temporary, ignored);
    throw tunecase::UserError(
        fmt::format("cannot write --port-file {} ({}); give a file path", path, ec.message()));
  }
}
