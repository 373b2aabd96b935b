#include "tunecase/evaluation/local_eval.h"

#include <chrono>

#include <fmt/format.h>

#include "tunecase/approaches/model_folder.h"
#include "tunecase/approaches/registry.h"
#include "tunecase/core/error.h"

namespace tunecase {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

LocalRun run_local_approach(const ApproachConfig& approach, const Examples& train,
                            const Examples& dev, const Examples& test,
                            const std::vector<std::string>& labels,
                            const std::filesystem::path& model_dir,
                            const std::filesystem::path& keep_replaced) {
  LocalRun run;
  std::unique_ptr<Classifier> classifier = make_classifier(approach);
  auto start = Clock::now();
  classifier->train(train, dev, labels);
  run.train_seconds = seconds_since(start);
  run.params = classifier->describe();

  run.predictions.reserve(test.size());
  double total_ms = 0;
  for (const Example& e : test) {
    auto t0 = Clock::now();
    Prediction p = classifier->classify(e.text);
    p.latency_ms = seconds_since(t0) * 1000.0;
    total_ms += p.latency_ms;
    run.predictions.push_back(std::move(p));
  }
  if (total_ms > 0) run.throughput_per_s = static_cast<double>(test.size()) * 1000.0 / total_ms;

  save_model(model_dir, approach, *classifier, labels, train.size(), nullptr, keep_replaced);
  return run;
}

}  // namespace tunecase
