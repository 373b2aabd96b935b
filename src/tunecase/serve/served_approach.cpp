#include "tunecase/serve/served_approach.h"

#include <atomic>
#include <cctype>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "tunecase/approaches/model_folder.h"
#include "tunecase/core/error.h"
#include "tunecase/core/hash.h"
#include "tunecase/data/prepare.h"
#include "tunecase/llm/example_pool.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/llm/llm_approach.h"
#include "tunecase/llm/prices.h"
#include "tunecase/runner/llm_caller.h"

namespace tunecase::serve {
namespace {

// A trained local model, loaded once per server thread: the classifiers keep scratch buffers,
// so one copy serves one thread at a time. A caller takes the first free copy. reload() swaps the
// whole set at once: a request holds the set it started with until it is answered.
class LocalApproach : public ServedApproach {
 public:
  LocalApproach(std::string name, int copies, const std::filesystem::path& dir)
      : name_(std::move(name)), copies_(std::max(1, copies)) {
    reload(dir);
  }
  const std::string& name() const override { return name_; }
  bool in_process() const override { return true; }
  std::vector<std::string> labels() const override { return current()->labels; }
  std::string model_version() const override { return current()->version; }
  std::filesystem::path model_path() const override { return current()->path; }
  std::string model_note() const override { return current()->note; }

  void reload(const std::filesystem::path& dir) override {
    auto next = std::make_shared<ModelSet>(copies_);
    for (Slot& slot : next->slots) slot.model = load_model(dir);
    if (next->slots.front().model.approach.kind != kind_ && !kind_.empty()) {
      throw UserError(fmt::format("approach '{}': {} holds a '{}' model, not '{}'", name_,
                                  dir.string(), next->slots.front().model.approach.kind, kind_));
    }
    next->labels = next->slots.front().model.labels;
    next->version = model_fingerprint(dir);
    next->path = dir;
    next->note = next->slots.front().model.note;
    kind_ = next->slots.front().model.approach.kind;
    models_.store(std::shared_ptr<const ModelSet>(std::move(next)));
  }

  void classify(std::string text, std::function<void(ServedAnswer)> done) override {
    ServedAnswer answer;
    std::shared_ptr<const ModelSet> set = current();
    try {
      answer.prediction = run(*set, text);
    } catch (const std::exception& e) {
      answer.prediction.error = e.what();
    }
    answer.model_version = set->version;
    done(std::move(answer));
  }

 private:
  struct Slot {
    mutable std::mutex mutex;
    LoadedModel model;
  };
  struct ModelSet {
    explicit ModelSet(int copies) : slots(static_cast<std::size_t>(copies)) {}
    std::vector<Slot> slots;
    std::vector<std::string> labels;
    std::string version;
    std::filesystem::path path;
    std::string note;  // LoadedModel::note
  };

  std::shared_ptr<const ModelSet> current() const { return models_.load(); }

  static Prediction run(const ModelSet& set, std::string_view text) {
    const auto& slots = set.slots;
    std::size_t start = std::hash<std::thread::id>{}(std::this_thread::get_id()) % slots.size();
    for (std::size_t i = 0; i < slots.size(); ++i) {
      const Slot& slot = slots[(start + i) % slots.size()];
      std::unique_lock lock(slot.mutex, std::try_to_lock);
      if (lock.owns_lock()) return slot.model.classifier->classify(text);
    }
    std::lock_guard lock(slots[start].mutex);
    return slots[start].model.classifier->classify(text);
  }

  std::string name_;
  int copies_;
  std::string kind_;  // the kind of the first model; a reload must keep it
  std::atomic<std::shared_ptr<const ModelSet>> models_;
};

// An LLM approach. Its prompts draw examples from the config's train split until the registry
// names an example pool (written by `tunecase retrain`); reload() swaps the pool in, and a request
// in flight keeps the prompt it started with. The rate limits, spend cap and cache are the
// caller's and stay across swaps.
class LlmServed : public ServedApproach {
 public:
  LlmServed(const ApproachConfig& config, const ProjectConfig& project, const Examples& train,
            std::vector<std::string> labels, const LoadOptions& options)
      : project_(project),
        approach_(config, project, train, std::move(labels)),
        caller_(approach_, price(config), call_options(options), *options.http) {
    current_.store(std::make_shared<const Current>(
        Current{std::shared_ptr<const LlmApproach>(std::shared_ptr<void>(), &approach_), "", "",
                version_of("")}));
  }

  const std::string& name() const override { return approach_.name(); }
  bool in_process() const override { return false; }
  std::vector<std::string> labels() const override { return current_.load()->approach->labels(); }
  std::string model_version() const override { return current_.load()->model_version; }
  std::string registry_version() const override { return current_.load()->version; }
  std::filesystem::path model_path() const override { return current_.load()->path; }
  void shutdown() override { caller_.shutdown(); }

  void reload(const std::filesystem::path& dir) override {
    ExamplePool pool = load_example_pool(dir);
    if (pool.approach != approach_.name()) {
      throw UserError(fmt::format("approach '{}': {} holds the example pool of '{}'",
                                  approach_.name(), dir.string(), pool.approach));
    }
    auto next = std::make_shared<const LlmApproach>(approach_.config(), project_, pool.examples,
                                                    std::move(pool.labels));
    std::string version = model_fingerprint(dir);
    std::string model_version = version_of(version);
    current_.store(std::make_shared<const Current>(
        Current{std::move(next), std::move(version), dir.string(), std::move(model_version)}));
  }

  int64_t uncached_answers() const override {
    return static_cast<int64_t>(caller_.stats().uncached);
  }

  std::optional<std::pair<int64_t, int64_t>> upstream_counts() const override {
    LlmCallStats s = caller_.stats();
    return std::pair<int64_t, int64_t>{static_cast<int64_t>(s.requests_sent),
                                       static_cast<int64_t>(s.retries)};
  }

  void classify(std::string text, std::function<void(ServedAnswer)> done) override {
    classify_within(std::move(text), std::chrono::milliseconds(0), std::move(done));
  }

  void classify_within(std::string text, std::chrono::milliseconds deadline,
                       std::function<void(ServedAnswer)> done) override {
    std::shared_ptr<const Current> now = current_.load();
    std::shared_ptr<const LlmApproach> approach = now->approach;
    caller_.classify(
        std::move(approach), std::move(text),
        [this, now = std::move(now), done = std::move(done)](Prediction p) {
          ServedAnswer answer;
          answer.prediction = std::move(p);
          answer.simulated = caller_.simulated();
          answer.model_version = now->model_version;
          done(std::move(answer));
        },
        deadline.count() > 0 ? std::optional(deadline) : std::nullopt);
  }

 private:
  static std::optional<Price> price(const ApproachConfig& config) {
    return price_for(config, PriceCatalogue::for_approach(config));
  }
  static LlmCallOptions call_options(const LoadOptions& options) {
    LlmCallOptions o;
    o.cache_file = options.cache_file;
    o.deadline = options.llm_deadline;
    return o;
  }

  struct Current {
    std::shared_ptr<const LlmApproach> approach;
    std::string version;  // the pool's fingerprint; "" = the config's train split
    std::string path;
    std::string model_version;  // version_of(version), made once
  };

  // The model, and the pool when one is loaded: "gpt-4.1-mini (examples 1a2b3c4d5e6f)".
  std::string version_of(const std::string& pool) const {
    const std::string& model = approach_.options().model;
    return pool.empty() ? model : fmt::format("{} (examples {})", model, pool.substr(0, 12));
  }

  ProjectConfig project_;
  LlmApproach approach_;  // built from the config's data; the caller's default
  LlmCaller caller_;
  std::atomic<std::shared_ptr<const Current>> current_;
};

std::unique_ptr<ServedApproach> load_local(const ApproachConfig& approach,
                                           const LoadOptions& options) {
  std::filesystem::path dir = model_folder(approach, options.eval_dir);
  std::error_code ec;
  // model_dir, when the table sets one, is read instead of --eval's folder: said, with what
  // is wrong with it (a file, or a folder with no model, had read as "no trained model").
  if (!approach.model_dir.empty()) {
    if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec))
      throw UserError(fmt::format(
          "approach '{}' ({}): model_dir {} is a file, not a model folder (its model_dir is read "
          "instead of --eval's folder); point it at a folder under an eval's models/, or remove "
          "it to use --eval",
          approach.name, approach.where, dir.string()));
    if (!std::filesystem::exists(dir / "approach.json", ec))
      throw UserError(fmt::format(
          "approach '{}' ({}): model_dir {} holds no trained model (no approach.json; its "
          "model_dir is read instead of --eval's folder); point it at a folder under an eval's "
          "models/, or remove it to use --eval",
          approach.name, approach.where, dir.string()));
  }
  if (!std::filesystem::exists(dir / "approach.json", ec)) {
    throw UserError(fmt::format(
        "approach '{}' ({}): no trained model in {}; train it with `tunecase eval --config "
        "CONFIG --out DIR` and pass `--eval DIR` to serve, or set model_dir in its table",
        approach.name, approach.where, dir.string()));
  }
  return std::make_unique<LocalApproach>(approach.name, options.copies, dir);
}

// The LLM's label set and prompt examples, from the same data `eval` used, so its prompts (and
// the response cache) match; without a data file, the [labels] table.
std::pair<Examples, std::vector<std::string>> llm_data(const ProjectConfig& project) {
  if (!project.data.path.empty() || project.data.pre_split()) {
    PreparedData data = prepare_data(project.data);
    return {data.splits.train, data.labels};
  }
  std::vector<std::string> labels = project.data.allowed_labels;
  if (labels.empty())
    for (const auto& [label, description] : project.label_descriptions) labels.push_back(label);
  return {{}, labels};
}

}  // namespace

std::unique_ptr<ServedApproach> load_served_approach(const ApproachConfig& approach,
                                                     const ProjectConfig& project,
                                                     const LoadOptions& options) {
  if (approach.is_local()) return load_local(approach, options);
  auto [train, labels] = llm_data(project);
  if (labels.empty()) {
    throw UserError(fmt::format(
        "approach '{}' ({}): the gateway does not know the label set; give [data] a file or "
        "list the labels in a [labels] table",
        approach.name, approach.where));
  }
  if (options.http == nullptr) throw std::logic_error("an LLM approach needs an HTTP client");
  return std::make_unique<LlmServed>(approach, project, train, std::move(labels), options);
}

}  // namespace tunecase::serve
