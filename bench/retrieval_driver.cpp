// Measures the `retrieval` approach on a pre-split dataset (e.g. HWU64): accuracy on test and
// single-thread queries per second. With --tune it instead carves a dev split (10%, stratified)
// from train and prints dev accuracy over a grid of k and character n-gram settings: that is how
// the defaults were chosen, without looking at test.
// With --synthetic it generates the demo's support tickets and prints the accuracy of the
// local `linear` and `retrieval` approaches on a stratified and a time-ordered split: the check
// that the generated data is neither trivial nor hopeless.
//
//   retrieval_driver TRAIN.csv TEST.csv [--tune | --dev] [--label COLUMN] [--k N] [--words-only]
//                    [--char-ngrams MIN MAX] [--char-weight W] [--char-max-df X] [--k1 X] [--b X]
//   retrieval_driver --synthetic [SEED]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tunecase/approaches/registry.h"
#include "tunecase/approaches/retrieval_classifier.h"
#include "tunecase/config/approach_settings.h"
#include "tunecase/core/error.h"
#include "tunecase/data/reader.h"
#include "tunecase/data/split.h"
#include "tunecase/data/synthetic.h"

namespace {

using namespace tunecase;

struct Result {
  double accuracy = 0;
  double queries_per_second = 0;
  double build_ms = 0;
};

std::vector<std::string> label_set(const Examples& examples) {
  std::vector<std::string> labels;
  for (const auto& e : examples) labels.push_back(e.label);
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  return labels;
}

Result evaluate(const nlohmann::json& params, const Examples& train, const Examples& test) {
  nlohmann::json source = params;
  source["name"] = "retrieval";
  source["kind"] = "retrieval";
  ApproachConfig config = approach_from_json(source, "retrieval_driver");
  auto classifier = make_retrieval_classifier(config);
  auto start = std::chrono::steady_clock::now();
  classifier->train(train, {}, label_set(train));
  auto built = std::chrono::steady_clock::now();
  std::size_t correct = 0;
  for (const auto& e : test) correct += classifier->classify(e.text).label == e.label ? 1 : 0;
  auto done = std::chrono::steady_clock::now();
  Result r;
  r.accuracy = test.empty() ? 0 : static_cast<double>(correct) / static_cast<double>(test.size());
  double seconds = std::chrono::duration<double>(done - built).count();
  r.queries_per_second = seconds > 0 ? static_cast<double>(test.size()) / seconds : 0;
  r.build_ms = std::chrono::duration<double, std::milli>(built - start).count();
  return r;
}

void tune(const Examples& all_train) {
  Splits carved = split_examples(all_train, SplitOptions{"stratified", 0.1, 0.0, 7});
  fmt::print("dev split carved from train: {} train, {} dev\n", carved.train.size(),
             carved.test.size());
  std::vector<nlohmann::json> grams = {false, {2, 4}, {3, 4}, {3, 5}, {2, 5}};
  for (const auto& g : grams) {
    for (double w : {0.05, 0.1, 0.15, 0.2, 0.3, 1.0}) {
      if (g.is_boolean() && w != 1.0) continue;
      for (int k : {3, 5, 7, 10}) {
        nlohmann::json params = {{"k", k}, {"char_ngrams", g}, {"char_ngram_weight", w}};
        Result r = evaluate(params, carved.train, carved.test);
        fmt::print("dev  k={:<3} char_ngrams={:<7} weight={:<4} accuracy={:.4f}\n", k, g.dump(), w,
                   r.accuracy);
      }
    }
  }
}

void synthetic(uint64_t seed) {
  SyntheticOptions options;
  options.seed = seed;
  auto start = std::chrono::steady_clock::now();
  auto tickets = generate_tickets(options);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  fmt::print("generated {} tickets (seed {}) in {:.0f} ms\n", tickets.size(), seed, ms);
  Examples examples;
  for (const auto& t : tickets) {
    Example e;
    e.id = t.id;
    e.text = t.text;
    e.label = t.category;
    e.time = t.created_at;
    examples.push_back(std::move(e));
  }
  const auto labels = label_set(examples);
  for (const char* method : {"stratified", "time"}) {
    Splits s = split_examples(examples, SplitOptions{method, 0.2, 0.1, 7});
    for (const char* kind : {"linear", "retrieval"}) {
      auto classifier = make_classifier(default_approach(kind, kind));
      classifier->train(s.train, s.dev, labels);
      std::size_t correct = 0;
      for (const auto& e : s.test) correct += classifier->classify(e.text).label == e.label ? 1 : 0;
      fmt::print("{:<10} split  {:<9} test accuracy {:.4f} (n = {})\n", method, kind,
                 static_cast<double>(correct) / static_cast<double>(s.test.size()), s.test.size());
    }
  }
}

int run(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "--synthetic") {
    synthetic(argc >= 3 ? std::stoull(argv[2]) : 42);
    return 0;
  }
  if (argc < 3) {
    std::fprintf(stderr, "usage: retrieval_driver TRAIN TEST [--tune] [--k N] ...\n");
    return 2;
  }
  ReadOptions read;
  read.label_column = "category";
  nlohmann::json params = nlohmann::json::object();
  bool tuning = false, on_dev = false;
  for (int i = 3; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string("0"); };
    if (arg == "--tune")
      tuning = true;
    else if (arg == "--dev")
      on_dev = true;
    else if (arg == "--label")
      read.label_column = next();
    else if (arg == "--k")
      params["k"] = std::stoi(next());
    else if (arg == "--words-only")
      params["char_ngrams"] = false;
    else if (arg == "--char-ngrams")
      params["char_ngrams"] = {std::stoi(next()), std::stoi(next())};
    else if (arg == "--char-weight")
      params["char_ngram_weight"] = std::stod(next());
    else if (arg == "--char-max-df")
      params["char_ngram_max_df"] = std::stod(next());
    else if (arg == "--k1")
      params["k1"] = std::stod(next());
    else if (arg == "--b")
      params["b"] = std::stod(next());
    else
      throw UserError(fmt::format("unknown option {}", arg));
  }
  Examples train = read_examples(argv[1], read).labelled;
  Examples test = read_examples(argv[2], read).labelled;
  if (tuning) {
    tune(train);
    return 0;
  }
  if (on_dev) {  // measure on the dev split carved from train, as --tune does
    Splits carved = split_examples(train, SplitOptions{"stratified", 0.1, 0.0, 7});
    train = std::move(carved.train);
    test = std::move(carved.test);
  }
  Result r = evaluate(params, train, test);
  fmt::print("params        {}\n", params.dump());
  fmt::print("train         {} examples, index built in {:.1f} ms\n", train.size(), r.build_ms);
  fmt::print("{} accuracy {:.4f} ({} examples)\n", on_dev ? "dev " : "test", r.accuracy,
             test.size());
  fmt::print("throughput    {:.0f} queries/s (one thread, {:.3f} ms/query)\n", r.queries_per_second,
             1000.0 / r.queries_per_second);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const tunecase::UserError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
