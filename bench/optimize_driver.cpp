// Prompt-search benchmark against sim-llm: the successive-halving winner vs the whole grid.
//
// Generates the demo's synthetic tickets, serves sim-llm on loopback, then
//  1. evaluates EVERY grid candidate on the full dev split and on the test split (the reference:
//     what an exhaustive search costs and which grid point is truly best on test), and
//  2. runs `tunecase optimize`'s search with a fresh cache, so its spend is what it would pay.
// Prints one line per candidate and a summary: winner's test accuracy vs the best grid point,
// and the search's spend as a share of the full-grid-on-dev spend.
//
//   build/bench/optimize_driver [--tickets 6000] [--seed 42] [--start-sample 50] [--out DIR]
//   build/bench/optimize_driver --hwu64 /work/shared/datasets/hwu64 [--out DIR]
// With --hwu64: the official test split; 10% of train (stratified, seed 7) becomes dev.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "tunecase/config/config.h"
#include "tunecase/data/csv_writer.h"
#include "tunecase/data/prepare.h"
#include "tunecase/data/synthetic.h"
#include "tunecase/llm/sim_llm_server.h"
#include "tunecase/optimize/optimize_run.h"
#include "tunecase/optimize/search_space.h"
#include "tunecase/runner/llm_runner.h"

namespace {

using namespace tunecase;

struct Args {
  std::size_t tickets = 6000;
  uint64_t seed = 42;
  std::size_t start_sample = 50;
  std::filesystem::path out = "optimize-bench";
  std::filesystem::path hwu64;  // the HWU64 folder (train.csv, test.csv); empty: synthetic
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--tickets")
      a.tickets = std::stoul(v);
    else if (k == "--seed")
      a.seed = std::stoull(v);
    else if (k == "--start-sample")
      a.start_sample = std::stoul(v);
    else if (k == "--out")
      a.out = v;
    else if (k == "--hwu64")
      a.hwu64 = v;
    else
      throw std::runtime_error("unknown flag " + k);
  }
  return a;
}

std::string config_text(int port, const Args& a) {
  std::string labels;
  for (const auto& [label, description] : synthetic_label_descriptions())
    labels +=
        fmt::format("{} = {}\n", nlohmann::json(label).dump(), nlohmann::json(description).dump());
  constexpr const char* kTemplate = R"(
[data]
path = "tickets.csv"
text = "text"
label = "category"
test_fraction = 0.2
dev_fraction = 0.1
seed = 7
[task]
description = "customer support tickets of a B2B SaaS product, by topic"
[labels]
{labels}
[[approach]]
name = "sim-mini"
kind = "openai"
base_url = "http://127.0.0.1:{port}/v1"
model = "sim-mini"
price = {{ input = 0.15, output = 0.60 }}
[[approach]]
name = "sim-large"
kind = "openai"
base_url = "http://127.0.0.1:{port}/v1"
model = "sim-large"
price = {{ input = 2.50, output = 10.00 }}
[optimize]
models = ["sim-mini", "sim-large"]
strategies = ["zero_shot", "few_shot", "retrieval_few_shot"]
shots = [4, 8, 16]
selection = ["stratified"]
structured_output = [true]
label_descriptions = [true, false]
start_sample = {start}
)";
  return fmt::format(fmt::runtime(kTemplate), fmt::arg("labels", labels), fmt::arg("port", port),
                     fmt::arg("start", a.start_sample));
}

// HWU64: 64 intents, label names only. Few-shot needs many shots to cover the labels.
std::string hwu64_config_text(int port, const Args& a) {
  constexpr const char* kTemplate = R"(
[data]
train = "train.csv"
dev = "dev.csv"
test = "{test}"
text = "text"
label = "category"
[task]
description = "intents of utterances to a home assistant"
[[approach]]
name = "sim-mini"
kind = "openai"
base_url = "http://127.0.0.1:{port}/v1"
model = "sim-mini"
price = {{ input = 0.15, output = 0.60 }}
[[approach]]
name = "sim-large"
kind = "openai"
base_url = "http://127.0.0.1:{port}/v1"
model = "sim-large"
price = {{ input = 2.50, output = 10.00 }}
[optimize]
models = ["sim-mini", "sim-large"]
strategies = ["zero_shot", "few_shot", "retrieval_few_shot"]
shots = [8, 16, 32, 64]
selection = ["stratified", "random"]
structured_output = [true]
start_sample = {start}
)";
  return fmt::format(fmt::runtime(kTemplate), fmt::arg("port", port),
                     fmt::arg("test", (a.hwu64 / "test.csv").string()),
                     fmt::arg("start", a.start_sample));
}

// Cuts 10% of HWU64's train (stratified) into dev.csv; the rest is train.csv.
void write_hwu64_splits(const Args& a) {
  DataConfig d;
  d.path = a.hwu64 / "train.csv";
  d.label = "category";
  d.test_fraction = 0.1;
  d.dev_fraction = 0;
  PreparedData p = prepare_data(d);
  auto rows = [](const Examples& e) {
    std::vector<std::vector<std::string>> out;
    for (const auto& x : e) out.push_back({x.text, x.label});
    return out;
  };
  write_csv(a.out / "train.csv", {"text", "category"}, rows(p.splits.train));
  write_csv(a.out / "dev.csv", {"text", "category"}, rows(p.splits.test));
}

struct GridPoint {
  std::string name;
  double dev_accuracy = 0, test_accuracy = 0, dev_usd = 0;
};

double accuracy(const LlmRunResult& r, const Examples& items, double* usd) {
  std::size_t correct = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    correct += r.predictions[i].label == items[i].label;
    if (usd && r.predictions[i].cost_usd) *usd += *r.predictions[i].cost_usd;
  }
  return static_cast<double>(correct) / static_cast<double>(items.size());
}

}  // namespace

int main(int argc, char** argv) try {
  Args a = parse(argc, argv);
  std::filesystem::create_directories(a.out);
  if (a.hwu64.empty()) {
    SyntheticOptions so;
    so.tickets = a.tickets;
    so.seed = a.seed;
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : generate_tickets(so)) rows.push_back({t.text, t.category});
    write_csv(a.out / "tickets.csv", {"text", "category"}, rows);
  } else {
    write_hwu64_splits(a);
  }
  SimLlmServer server(SimLlmOptions{});
  int port = server.start();
  {
    std::ofstream(a.out / "tunecase.toml")
        << (a.hwu64.empty() ? config_text(port, a) : hwu64_config_text(port, a));
  }
  ProjectConfig config = load_config(a.out / "tunecase.toml");
  OptimizeSettings settings = read_optimize_settings(config);
  PreparedData data = prepare_data(config.data);
  fmt::print("grid: {} candidates; train {}, dev {}, test {}\n", settings.candidates.size(),
             data.splits.train.size(), data.splits.dev.size(), data.splits.test.size());

  auto client = make_http_client();
  std::ostringstream quiet;
  LlmRunOptions run;
  run.concurrency = 16;
  run.assume_yes = true;
  run.progress = false;
  run.cache_file = a.out / "grid-cache.sqlite";
  auto started = std::chrono::steady_clock::now();
  std::vector<GridPoint> grid;
  for (const auto& c : settings.candidates) {
    GridPoint g{c.name};
    auto dev = run_llm_approach(c.approach, config, data.splits.train, data.splits.dev, data.labels,
                                run, *client, quiet);
    g.dev_accuracy = accuracy(dev, data.splits.dev, &g.dev_usd);
    auto test = run_llm_approach(c.approach, config, data.splits.train, data.splits.test,
                                 data.labels, run, *client, quiet);
    g.test_accuracy = accuracy(test, data.splits.test, nullptr);
    fmt::print("  {:<58} dev {:.3f}  test {:.3f}  dev cost ${:.4f}\n", g.name, g.dev_accuracy,
               g.test_accuracy, g.dev_usd);
    grid.push_back(g);
  }
  double grid_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  OptimizeOptions options;
  options.out_dir = a.out / "search";
  std::filesystem::remove_all(options.out_dir);  // a fresh cache: the search pays its own way
  options.assume_yes = true;
  options.concurrency = 16;
  started = std::chrono::steady_clock::now();
  nlohmann::json doc = run_optimize(config, options, quiet);
  double search_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  double grid_usd = 0, best_test = 0, best_dev = -1, test_of_best_dev = 0;
  std::string best_test_name, best_dev_name;
  for (const auto& g : grid) {
    grid_usd += g.dev_usd;
    if (g.test_accuracy > best_test) best_test = g.test_accuracy, best_test_name = g.name;
    if (g.dev_accuracy > best_dev)
      best_dev = g.dev_accuracy, test_of_best_dev = g.test_accuracy, best_dev_name = g.name;
  }
  double search_usd = doc["search"]["spent_usd"].get<double>();
  double winner_test = doc["winner"]["test"]["accuracy"].get<double>();
  fmt::print("\nbest grid point on test:        {:<58} {:.4f}\n", best_test_name, best_test);
  fmt::print("best grid point on full dev:    {:<58} test {:.4f}\n", best_dev_name,
             test_of_best_dev);
  fmt::print("search winner:                  {:<58} test {:.4f}\n",
             doc["winner"]["name"].get<std::string>(), winner_test);
  fmt::print("gap to best grid point:         {:.2f} accuracy points (floor: <= 1)\n",
             100 * (best_test - winner_test));
  fmt::print("search spend:                   ${:.4f} in {} requests, sample sizes {}\n",
             search_usd, doc["search"]["requests"].get<std::size_t>(),
             doc["search"]["sample_sizes"].dump());
  fmt::print("full grid on full dev:          ${:.4f} ({} x {} requests)\n", grid_usd, grid.size(),
             data.splits.dev.size());
  fmt::print("search / full grid:             {:.1f}% (floor: <= 35%)\n",
             100 * search_usd / grid_usd);
  fmt::print("wall time: grid (dev+test) {:.1f} s, search {:.1f} s; answers simulated (sim-llm)\n",
             grid_seconds, search_seconds);
  server.stop();
  return 0;
} catch (const std::exception& e) {
  std::cerr << "optimize_driver: " << e.what() << '\n';
  return 1;
}
