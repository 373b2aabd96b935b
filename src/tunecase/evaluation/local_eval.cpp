#include "tunecase/evaluation/local_eval.h"

#include <chrono>
#include <fstream>

#include <fmt/format.h>

#include "tunecase/approaches/registry.h"
#include "tunecase/core/error.h"

namespace tunecase {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void write_approach_json(const std::filesystem::path& dir, const ApproachConfig& approach,
                         const std::vector<std::string>& labels, const nlohmann::json& params,
                         std::size_t train_rows) {
  nlohmann::json doc = {
      {"format", "tunecase-model/1"}, {"name", approach.name}, {"kind", approach.kind},
      {"config", approach.params},    {"trained", params},     {"labels", labels},
      {"train_rows", train_rows}};
  std::ofstream out(dir / "approach.json");
  out << doc.dump(2) << "\n";
  if (!out) {
    throw UserError(
        fmt::format("{}: cannot write approach.json; check the output folder", dir.string()));
  }
}

}  // namespace

LocalRun run_local_approach(const ApproachConfig& approach, const Examples& train,
                            const Examples& dev, const Examples& test,
                            const std::vector<std::string>& labels,
                            const std::filesystem::path& model_dir) {
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

  std::filesystem::create_directories(model_dir);
  classifier->save(model_dir);
  write_approach_json(model_dir, approach, labels, run.params, train.size());
  return run;
}

LoadedModel load_model(const std::filesystem::path& model_dir) {
  std::filesystem::path file = model_dir / "approach.json";
  std::ifstream in(file);
  if (!in) {
    throw UserError(
        fmt::format("{}: not a model folder (no approach.json); pass a folder under "
                    "<eval out>/models/",
                    model_dir.string()));
  }
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw UserError(fmt::format("{}: malformed JSON ({})", file.string(), e.what()));
  }
  LoadedModel m;
  m.approach.name = doc.value("name", "");
  m.approach.kind = doc.value("kind", "");
  m.approach.params = doc.value("config", nlohmann::json::object());
  m.labels = doc.value("labels", std::vector<std::string>{});
  if (!is_local_kind(m.approach.kind)) {
    throw UserError(fmt::format("{}: kind '{}' cannot be loaded as a local model", file.string(),
                                m.approach.kind));
  }
  m.classifier = make_classifier(m.approach);
  m.classifier->load(model_dir);
  return m;
}

}  // namespace tunecase
