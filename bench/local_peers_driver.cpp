// Trains tunecase's local approaches on a train file and measures them on a test file, for
// bench/local_peers.sh. Prints one JSON line per approach:
//   {"approach", "params", "accuracy", "train_seconds", "predict_per_second", "describe"}
//
// usage: local_peers_driver TRAIN.csv TEST.csv [--holdout FRACTION] [--dev FRACTION]
//                           [--text COL] [--label COL] [KIND[:PARAMS_JSON]]...
// KIND is linear or fasttext (default: both, with their defaults). --holdout ignores TEST and
// measures on a random FRACTION of TRAIN instead (seed 7): for choosing defaults without
// looking at the test set. --dev gives the approaches a dev split, a random FRACTION of what
// remains of TRAIN (seed 11), as `tunecase eval` does with [data] dev_fraction.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/approaches/registry.h"
#include "tunecase/config/approach_settings.h"
#include "tunecase/core/error.h"
#include "tunecase/data/reader.h"

using namespace tunecase;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<std::string> label_set(const Examples& a, const Examples& b) {
  std::vector<std::string> labels;
  for (const auto* set : {&a, &b}) {
    for (const auto& e : *set) labels.push_back(e.label);
  }
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  return labels;
}

nlohmann::json run(const std::string& spec, const Examples& train, const Examples& dev,
                   const Examples& test) {
  auto colon = spec.find(':');
  std::string kind = spec.substr(0, colon);
  nlohmann::json params = nlohmann::json::object();
  if (colon != std::string::npos) params = nlohmann::json::parse(spec.substr(colon + 1));
  nlohmann::json source = params;
  source["name"] = kind;
  source["kind"] = kind;
  ApproachConfig config = approach_from_json(source, "local_peers_driver");
  auto classifier = make_classifier(config);
  auto start = std::chrono::steady_clock::now();
  classifier->train(train, dev, label_set(train, test));
  double train_seconds = seconds_since(start);
  start = std::chrono::steady_clock::now();
  std::size_t correct = 0;
  for (const auto& e : test) correct += classifier->classify(e.text).label == e.label;
  double predict_seconds = seconds_since(start);
  return {{"approach", config.kind},
          {"params", params},
          {"accuracy", static_cast<double>(correct) / static_cast<double>(test.size())},
          {"train_rows", train.size()},
          {"dev_rows", dev.size()},
          {"train_seconds", train_seconds},
          {"predict_per_second", static_cast<double>(test.size()) / predict_seconds},
          {"describe", classifier->describe()}};
}

}  // namespace

int main(int argc, char** argv) try {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() < 2) {
    std::cerr
        << "usage: local_peers_driver TRAIN.csv TEST.csv [--holdout F] [--dev F] [--text COL] "
           "[--label COL] [KIND[:PARAMS_JSON]]...\n";
    return 2;
  }
  ReadOptions read;
  read.text_column = "text";
  read.label_column = "category";
  double holdout = 0;
  double dev_fraction = 0;
  std::vector<std::string> specs;
  for (std::size_t i = 2; i < args.size(); ++i) {
    if (args[i] == "--holdout" && i + 1 < args.size()) {
      holdout = std::stod(args[++i]);
    } else if (args[i] == "--dev" && i + 1 < args.size()) {
      dev_fraction = std::stod(args[++i]);
    } else if (args[i] == "--text" && i + 1 < args.size()) {
      read.text_column = args[++i];
    } else if (args[i] == "--label" && i + 1 < args.size()) {
      read.label_column = args[++i];
    } else {
      specs.push_back(args[i]);
    }
  }
  if (specs.empty()) specs = {"linear", "fasttext"};
  Examples train = read_examples(args[0], read).labelled;
  Examples test;
  if (holdout > 0) {
    std::shuffle(train.begin(), train.end(), std::mt19937(7));
    auto cut =
        train.end() - static_cast<std::ptrdiff_t>(holdout * static_cast<double>(train.size()));
    test.assign(cut, train.end());
    train.erase(cut, train.end());
  } else {
    test = read_examples(args[1], read).labelled;
  }
  Examples dev;
  if (dev_fraction > 0) {
    std::shuffle(train.begin(), train.end(), std::mt19937(11));
    auto cut =
        train.end() - static_cast<std::ptrdiff_t>(dev_fraction * static_cast<double>(train.size()));
    dev.assign(cut, train.end());
    train.erase(cut, train.end());
  }
  for (const auto& spec : specs) std::cout << run(spec, train, dev, test).dump() << std::endl;
  return 0;
} catch (const std::exception& e) {
  std::cerr << "local_peers_driver: " << e.what() << '\n';
  return 1;
}
