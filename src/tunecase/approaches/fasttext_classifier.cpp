#include "tunecase/approaches/fasttext_classifier.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <fasttext/autotune.h>
#include <fasttext/fasttext.h>
#include <fmt/format.h>

#include "tunecase/approaches/tokenize.h"
#include "tunecase/core/error.h"

namespace tunecase {
namespace {

constexpr std::string_view kLabelPrefix = "__label__";

// fastText reads whitespace-separated tokens, so texts go in as our own word tokens (the same
// normalisation as every local approach), and labels go in as their index in the label set:
// labels may hold spaces, which fastText would split.
std::string fasttext_line(std::string_view text) {
  std::string line;
  for (const auto& token : word_tokens(text)) {
    if (!line.empty()) line.push_back(' ');
    line += token;
  }
  return line;
}

// A folder under the system temp dir, removed with everything in it when this goes away.
class TempFolder {
 public:
  TempFolder() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            fmt::format("tunecase-fasttext-{}-{}", ::getpid(), counter++);
    std::filesystem::create_directories(path_);
  }
  ~TempFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// fastText's autotune writes its trial log to std::cerr whatever the verbosity; the CLI's
// stderr is for the user. Not thread-safe: nothing else should log while autotune runs.
class SilencedCerr {
 public:
  SilencedCerr() : saved_(std::cerr.rdbuf(nullptr)) {}
  ~SilencedCerr() { std::cerr.rdbuf(saved_); }
  SilencedCerr(const SilencedCerr&) = delete;
  SilencedCerr& operator=(const SilencedCerr&) = delete;

 private:
  std::streambuf* saved_;
};

fasttext::loss_name loss_of(const std::string& loss) {
  if (loss == "ova") return fasttext::loss_name::ova;
  if (loss == "hs") return fasttext::loss_name::hs;
  return fasttext::loss_name::softmax;
}

// The config's spelling of a loss (fastText's own is "one-vs-all" for ova).
std::string loss_string(fasttext::loss_name loss) {
  if (loss == fasttext::loss_name::ova) return "ova";
  if (loss == fasttext::loss_name::hs) return "hs";
  if (loss == fasttext::loss_name::ns) return "ns";
  return "softmax";
}

int positive_param(const ApproachConfig& config, const std::string& key, int fallback, int min) {
  int value = param_int(config, key, fallback);
  if (value < min) {
    throw UserError(fmt::format("approach '{}': {} must be an integer >= {} (default {}), got {}",
                                config.name, key, min, fallback, value));
  }
  return value;
}

class FasttextClassifier : public Classifier {
 public:
  explicit FasttextClassifier(const ApproachConfig& config)
      : name_(config.name), options_(fasttext_options(config)) {}

  void train(const Examples& train, const Examples& dev,
             const std::vector<std::string>& labels) override;
  Prediction classify(std::string_view text) override;
  void save(const std::filesystem::path& dir) const override;
  void load(const std::filesystem::path& dir) override;
  nlohmann::json describe() const override;

 private:
  fasttext::Args args() const;
  std::size_t write_file(const Examples& examples, const std::filesystem::path& file);

  std::string name_;
  FasttextOptions options_;
  std::shared_ptr<fasttext::FastText> model_;
  std::vector<std::string> labels_;
  std::string fallback_label_;  // the most frequent train label, for texts with no known token
  bool autotuned_ = false;
};

fasttext::Args FasttextClassifier::args() const {
  fasttext::Args a;
  a.model = fasttext::model_name::sup;
  a.loss = loss_of(options_.loss);
  a.epoch = options_.epoch;
  a.lr = options_.lr;
  a.wordNgrams = options_.word_ngrams;
  a.minn = options_.minn;
  a.maxn = options_.maxn;
  a.dim = options_.dim;
  a.bucket = options_.bucket;
  a.thread = options_.threads;
  a.seed = options_.seed;
  a.minCount = 1;  // the `fasttext supervised` defaults for what we do not expose
  a.minCountLabel = 0;
  a.verbose = 0;
  return a;
}

// Writes `examples` as fastText training lines; returns how many lines were written.
std::size_t FasttextClassifier::write_file(const Examples& examples,
                                           const std::filesystem::path& file) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < labels_.size(); ++i) index[labels_[i]] = i;
  std::ofstream out(file, std::ios::binary);
  std::size_t lines = 0;
  for (const auto& e : examples) {
    std::string text = fasttext_line(e.text);
    if (text.empty()) continue;  // nothing fastText could learn from
    auto [it, added] = index.try_emplace(e.label, labels_.size());
    if (added) labels_.push_back(e.label);
    out << kLabelPrefix << it->second << ' ' << text << '\n';
    ++lines;
  }
  if (!out) throw UserError(fmt::format("cannot write {}; check free space", file.string()));
  return lines;
}

void FasttextClassifier::train(const Examples& train, const Examples& dev,
                               const std::vector<std::string>& labels) {
  labels_ = labels;
  std::map<std::string, std::size_t> counts;
  for (const auto& e : train) ++counts[e.label];
  fallback_label_.clear();
  std::size_t most = 0;
  for (const auto& [label, count] : counts) {
    if (count > most) most = count, fallback_label_ = label;
  }
  TempFolder temp;
  fasttext::Args a = args();
  a.input = (temp.path() / "train.txt").string();
  if (write_file(train, a.input) == 0) {
    throw UserError(fmt::format(
        "approach '{}': the train split has no text with a word in it; check the text column",
        name_));
  }
  autotuned_ = options_.autotune_seconds > 0 && !dev.empty();
  auto model = std::make_shared<fasttext::FastText>();
  try {
    if (autotuned_) {
      a.autotuneValidationFile = (temp.path() / "dev.txt").string();
      a.autotuneDuration = options_.autotune_seconds;
      write_file(dev, a.autotuneValidationFile);
      SilencedCerr quiet;
      fasttext::Autotune(model).train(a);
    } else {
      model->train(a);
    }
  } catch (const std::exception& e) {
    throw UserError(
        fmt::format("approach '{}': fastText could not train: {}; check the "
                    "approach's parameters (epoch, lr, dim, autotune_seconds)",
                    name_, e.what()));
  }
  model_ = std::move(model);
}

Prediction FasttextClassifier::classify(std::string_view text) {
  if (!model_) throw std::logic_error("fasttext classifier used before train() or load()");
  auto start = std::chrono::steady_clock::now();
  Prediction p;
  std::string tokens = fasttext_line(text);
  std::vector<std::pair<fasttext::real, std::string>> predictions;
  if (!tokens.empty()) {  // else fastText would answer from its end-of-line token alone
    std::istringstream line(tokens + "\n");
    model_->predictLine(line, predictions, 1, 0.0);
  }
  p.label = fallback_label_;
  if (!predictions.empty()) {
    std::string_view id = predictions[0].second;
    id.remove_prefix(std::min(id.size(), kLabelPrefix.size()));
    std::size_t index = std::stoul(std::string(id));
    if (index < labels_.size()) p.label = labels_[index];
  }
  p.raw = p.label;
  p.latency_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return p;
}

void FasttextClassifier::save(const std::filesystem::path& dir) const {
  if (!model_) throw std::logic_error("fasttext classifier saved before train()");
  try {
    model_->saveModel((dir / "model.bin").string());
  } catch (const std::exception& e) {
    throw UserError(fmt::format("cannot write {}: {}; check the folder is writable",
                                (dir / "model.bin").string(), e.what()));
  }
  std::ofstream out(dir / "fasttext.json");
  out << nlohmann::json{{"labels", labels_},
                        {"fallback_label", fallback_label_},
                        {"describe", describe()}}
             .dump(2)
      << '\n';
  if (!out) throw UserError(fmt::format("cannot write into {}; check free space", dir.string()));
}

void FasttextClassifier::load(const std::filesystem::path& dir) {
  std::ifstream in(dir / "fasttext.json");
  nlohmann::json meta = nlohmann::json::parse(in, nullptr, false);
  if (!in || meta.is_discarded() || !meta.contains("labels")) {
    throw UserError(fmt::format("{}: missing or not a fastText model description; re-train it",
                                (dir / "fasttext.json").string()));
  }
  auto model = std::make_shared<fasttext::FastText>();
  try {
    model->loadModel((dir / "model.bin").string());
  } catch (const std::exception& e) {
    throw UserError(
        fmt::format("{}: {}; re-train the model", (dir / "model.bin").string(), e.what()));
  }
  model_ = std::move(model);
  labels_ = meta["labels"].get<std::vector<std::string>>();
  fallback_label_ = meta.value("fallback_label", "");
  autotuned_ = meta.value("describe", nlohmann::json::object()).value("autotuned", false);
}

nlohmann::json FasttextClassifier::describe() const {
  // After autotune the model's own arguments are the ones that count.
  fasttext::Args a = model_ ? model_->getArgs() : args();
  return {{"epoch", a.epoch},
          {"lr", a.lr},
          {"word_ngrams", a.wordNgrams},
          {"minn", a.minn},
          {"maxn", a.maxn},
          {"dim", a.dim},
          {"bucket", a.bucket},
          {"loss", loss_string(a.loss)},
          {"threads", a.thread},
          {"seed", a.seed},
          {"autotuned", autotuned_},
          {"autotune_seconds", options_.autotune_seconds}};
}

}  // namespace

FasttextOptions fasttext_options(const ApproachConfig& config) {
  FasttextOptions o;
  o.epoch = positive_param(config, "epoch", o.epoch, 1);
  o.lr = param_number(config, "lr", o.lr);
  if (!(o.lr > 0)) {
    throw UserError(fmt::format("approach '{}': lr must be > 0 (default {}), got {}", config.name,
                                FasttextOptions{}.lr, o.lr));
  }
  o.word_ngrams = positive_param(config, "word_ngrams", o.word_ngrams, 1);
  o.minn = positive_param(config, "minn", o.minn, 0);
  o.maxn = positive_param(config, "maxn", o.maxn, 0);
  if (o.maxn > 0 && o.minn > o.maxn) {
    throw UserError(fmt::format("approach '{}': minn ({}) must not exceed maxn ({})", config.name,
                                o.minn, o.maxn));
  }
  o.dim = positive_param(config, "dim", o.dim, 1);
  o.bucket = positive_param(config, "bucket", o.bucket, 1);
  o.loss = param_string(config, "loss", o.loss);
  if (o.loss != "softmax" && o.loss != "ova" && o.loss != "hs") {
    throw UserError(
        fmt::format("approach '{}': loss = \"{}\" is unknown; use \"softmax\", \"ova\" or \"hs\"",
                    config.name, o.loss));
  }
  o.threads = positive_param(config, "threads", o.threads, 1);
  o.autotune_seconds = positive_param(config, "autotune_seconds", o.autotune_seconds, 0);
  o.seed = param_int(config, "seed", o.seed);
  return o;
}

std::unique_ptr<Classifier> make_fasttext_classifier(const ApproachConfig& config) {
  return std::make_unique<FasttextClassifier>(config);
}

}  // namespace tunecase
