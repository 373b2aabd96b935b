// Throughput, CPU and memory of the LLM runner against `tunecase sim-llm` (see bench/runner.sh).
//
//   runner_driver --serve [--latency-ms L] --port-file F   the sim-llm server (same code as
//                                                          `tunecase sim-llm`), until SIGTERM
//   runner_driver --port P [--items N] [--concurrency C] [--prompt zero_shot] [--shots K]
//                 [--pii] [--redact] [--pairs N]
//
// --pii appends generated personal data (e-mails, phones, cards, IBANs, ...) to every ticket and
// example; --redact turns every built-in detector and a custom pattern on ([privacy] redact), so
// that two runs on the same tickets measure what redaction adds to an evaluation's CPU time.
// --pairs N runs N pairs of runs, redaction off and on, in this one process (bench/runner.sh,
// part 3).
//
// The client side talks to a sim-llm in another process (so that the CPU and memory measured are
// the runner's alone) and prints one JSON line: wall time, requests per second, CPU per request
// and peak resident memory.

#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "tunecase/config/approach_settings.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/llm/sim_llm_server.h"
#include "tunecase/privacy/pii_generator.h"
#include "tunecase/runner/llm_runner.h"

namespace {

using tunecase::Example;
using tunecase::Examples;

const std::vector<std::string> kLabels = {"billing", "shipping", "technical", "account"};
const std::vector<std::vector<std::string>> kWords = {
    {"invoice", "refund", "charged", "payment", "receipt"},
    {"parcel", "delivery", "courier", "tracking", "package"},
    {"crash", "error", "bug", "freeze", "slow"},
    {"password", "login", "email", "profile", "locked"}};

Examples tickets(std::size_t n, std::size_t offset, bool pii) {
  std::vector<tunecase::LabelledPiiText> personal;
  if (pii) personal = tunecase::generate_pii_tickets(n, offset + 1);
  Examples out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t k = (i + offset) % kLabels.size();
    std::string text = "ticket " + std::to_string(i + offset) + ": my " + kWords[k][i % 5] +
                       " and " + kWords[k][(i / 5 + 1) % 5] + " need help today";
    if (pii) text += ". " + personal[i].text;
    out.push_back(Example{"", std::move(text), kLabels[k], "", 0});
  }
  return out;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// --redact: every built-in detector and a custom pattern.
tunecase::RedactionRules bench_redaction() {
  return {tunecase::builtin_pii_kinds(), {tunecase::CustomPattern("employee_id", "EMP-######")}};
}

long peak_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return argv[i + 1];
  }
  return fallback;
}

bool has(int argc, char** argv, const std::string& name) {
  for (int i = 1; i < argc; ++i) {
    if (argv[i] == name) return true;
  }
  return false;
}

int serve(int argc, char** argv) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before the server's threads start
  tunecase::SimLlmOptions o;
  o.latency_base_ms = std::stod(arg(argc, argv, "--latency-ms", "0"));
  o.threads = 2;
  tunecase::SimLlmServer server(o);
  int port = server.start();
  std::ofstream(arg(argc, argv, "--port-file", "sim.port")) << port << '\n';
  int signal = 0;
  sigwait(&stop, &signal);
  server.stop();
  return 0;
}

// Redaction off and on in alternation inside one process, `pairs` times (the order alternates
// from pair to pair): each pair's two runs share the process's memory layout, its threads and
// connections and the machine's state of the moment, which separate processes do not (their CPU
// per request differs by a third or more between identical runs on this machine). Prints one
// JSON line per pair; bench/runner.sh reads them.
int alternate(int pairs, const tunecase::ApproachConfig& approach, const Examples& train,
              const Examples& test, const tunecase::LlmRunOptions& options,
              tunecase::HttpClient& client) {
  tunecase::ProjectConfig plain, redacting;
  redacting.privacy.rules = bench_redaction();
  auto cpu_per_request = [&](bool redact) {
    std::ostringstream log;
    double before = cpu_seconds();
    auto result = tunecase::run_llm_approach(approach, redact ? redacting : plain, train, test,
                                             kLabels, options, client, log);
    double cpu = cpu_seconds() - before;
    if (result.errors != 0) throw std::runtime_error("the sim-llm run had errors");
    double requests = static_cast<double>(std::max<std::size_t>(1, result.requests_sent));
    return std::pair{1000.0 * cpu / requests,
                     result.summary.value("redaction", nlohmann::json::object())};
  };
  cpu_per_request(false);  // warm-up: connections, allocator, caches
  for (int p = 1; p <= pairs; ++p) {
    bool on_first = p % 2 == 0;
    auto first = cpu_per_request(on_first);
    auto second = cpu_per_request(!on_first);
    const auto& off = on_first ? second : first;
    const auto& on = on_first ? first : second;
    std::cout << nlohmann::json{{"pair", p},
                                {"off_cpu_ms_per_request", off.first},
                                {"on_cpu_ms_per_request", on.first},
                                {"redacted", on.second}}
                     .dump()
              << std::endl;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (has(argc, argv, "--serve")) return serve(argc, argv);
  int port = std::stoi(arg(argc, argv, "--port", "0"));
  if (port <= 0) {
    std::cerr << "usage: runner_driver --port P [--items N] [--concurrency C] [--prompt S]\n";
    return 2;
  }
  std::size_t items = std::stoul(arg(argc, argv, "--items", "2000"));
  int concurrency = std::stoi(arg(argc, argv, "--concurrency", "64"));
  std::string prompt = arg(argc, argv, "--prompt", "zero_shot");
  int shots = std::stoi(arg(argc, argv, "--shots", "5"));
  bool pii = has(argc, argv, "--pii");
  bool redact = has(argc, argv, "--redact");

  nlohmann::json params = {
      {"name", "bench"},      {"kind", "openai"},
      {"model", "sim-model"}, {"base_url", "http://127.0.0.1:" + std::to_string(port) + "/v1"},
      {"prompt", prompt},     {"price", {{"input", 0.15}, {"output", 0.6}}}};
  if (prompt != "zero_shot" && prompt != "chain_of_thought") params["shots"] = shots;
  tunecase::ApproachConfig approach = tunecase::approach_from_json(params, "runner_driver");
  tunecase::ProjectConfig project;
  if (redact) project.privacy.rules = bench_redaction();
  Examples train = tickets(400, 1000000, pii);
  Examples test = tickets(items, 0, pii);

  tunecase::LlmRunOptions options;
  options.concurrency = concurrency;
  options.assume_yes = true;
  options.progress = false;
  auto client = tunecase::make_http_client(concurrency);
  std::ostringstream log;

  if (int pairs = std::stoi(arg(argc, argv, "--pairs", "0")); pairs > 0)
    return alternate(pairs, approach, train, test, options, *client);

  double cpu_before = cpu_seconds();
  auto start = std::chrono::steady_clock::now();
  auto result =
      tunecase::run_llm_approach(approach, project, train, test, kLabels, options, *client, log);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cpu = cpu_seconds() - cpu_before;
  double requests = static_cast<double>(std::max<std::size_t>(1, result.requests_sent));
  double latency_sum = 0;
  for (const auto& p : result.predictions) latency_sum += p.latency_ms;
  std::size_t correct = 0;
  for (std::size_t i = 0; i < test.size(); ++i)
    correct += result.predictions[i].label == test[i].label;

  nlohmann::json out = {
      {"items", items},
      {"concurrency", concurrency},
      {"prompt", prompt},
      {"pii", pii},
      {"redact", redact},
      {"redacted", result.summary.value("redaction", nlohmann::json::object())},
      {"requests", result.requests_sent},
      {"errors", result.errors},
      {"wall_s", wall},
      {"requests_per_s", static_cast<double>(result.requests_sent) / wall},
      {"cpu_ms_per_request", 1000.0 * cpu / requests},
      {"latency_ms_mean", latency_sum / static_cast<double>(std::max<std::size_t>(1, items))},
      {"peak_rss_mb", static_cast<double>(peak_rss_kb()) / 1024.0},
      {"accuracy_simulated", static_cast<double>(correct) / static_cast<double>(items)},
  };
  std::cout << out.dump() << std::endl;
  return result.errors == 0 ? 0 : 1;
}
