#include "tunecase/approaches/fasttext_classifier.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include <fasttext/fasttext.h>
#include <fasttext/meter.h>
#include <fmt/format.h>

#include "tunecase/approaches/calibration.h"
#include "tunecase/core/error.h"
#include "tunecase/search/tokenize.h"

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

fasttext::loss_name loss_of(const std::string& loss) {
  if (loss == "ova") return fasttext::loss_name::ova;
  if (loss == "hs") return fasttext::loss_name::hs;
  return fasttext::loss_name::softmax;
}

using Clock = std::chrono::steady_clock;

fasttext::Args args_of(const FasttextOptions& o, const std::filesystem::path& input) {
  fasttext::Args a;
  a.input = input.string();
  a.model = fasttext::model_name::sup;
  a.loss = loss_of(o.loss);
  a.epoch = o.epoch;
  a.lr = o.lr;
  a.wordNgrams = o.word_ngrams;
  a.minn = o.minn;
  a.maxn = o.maxn;
  a.dim = o.dim;
  a.bucket = o.bucket;
  a.thread = o.threads;
  a.seed = o.seed;
  a.minCount = 1;  // the `fasttext supervised` defaults for what we do not expose
  a.minCountLabel = 0;
  a.verbose = 0;
  return a;
}

// Trains one model; returns nullptr when `deadline` passed first. fastText checks for an abort
// between examples, so a trial stops within milliseconds of its deadline.
std::shared_ptr<fasttext::FastText> fit(const fasttext::Args& args,
                                        std::optional<Clock::time_point> deadline) {
  auto model = std::make_shared<fasttext::FastText>();
  fasttext::FastText::TrainCallback stop;
  if (deadline) {
    fasttext::FastText* raw = model.get();
    stop = [raw, deadline, aborted = false](float, float, double, double, int64_t) mutable {
      if (!aborted && Clock::now() >= *deadline) {
        aborted = true;
        raw->abort();
      }
    };
  }
  try {
    model->train(args, stop);
  } catch (const fasttext::FastText::AbortError&) {
    return nullptr;
  }
  return model;
}

// Top-1 accuracy on a file of fastText lines (each has exactly one label).
double file_accuracy(fasttext::FastText& model, const std::filesystem::path& file) {
  std::ifstream in(file);
  fasttext::Meter meter(false);
  model.test(in, 1, 0.0, meter);
  return meter.precision();
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// fastText's loader does not check what it reads: a model.bin cut short loads as matrices of the
// wrong shape and aborts the process at the first prediction. So the file's size, recorded by
// save(), is compared before loading (models saved before it was recorded skip this) ...
void check_model_size(const std::filesystem::path& file, const nlohmann::json& meta) {
  if (!meta.contains("model_bytes") || !meta["model_bytes"].is_number_unsigned()) return;
  auto expected = meta["model_bytes"].get<std::uintmax_t>();
  std::error_code error;
  std::uintmax_t actual = std::filesystem::file_size(file, error);
  if (error) {
    throw UserError(
        fmt::format("{}: cannot read it ({}); re-train the model", file.string(), error.message()));
  }
  if (actual != expected) {
    throw UserError(fmt::format(
        "{}: {} bytes, but {} were saved (the file is damaged or was cut short); re-train the "
        "model",
        file.string(), actual, expected));
  }
}

// ... and the loaded matrices must fit each other: one output row per label, every row as wide
// as the model's dimension.
void check_model_shape(const fasttext::FastText& model, const std::filesystem::path& file) {
  if (model.isQuant()) return;
  auto input = model.getInputMatrix();
  auto output = model.getOutputMatrix();
  int64_t dim = model.getDimension();
  int64_t labels = model.getDictionary()->nlabels();
  if (input->cols() != dim || output->cols() != dim || output->rows() != labels || labels == 0) {
    throw UserError(fmt::format(
        "{}: incomplete fastText model ({} labels, an output matrix of {}x{}, dimension {}); the "
        "file is damaged or was cut short: re-train the model",
        file.string(), labels, output->rows(), output->cols(), dim));
  }
}

class FasttextClassifier : public Classifier {
 public:
  explicit FasttextClassifier(const ApproachConfig& config)
      : name_(config.name), options_(fasttext_options(config)), chosen_(options_) {}

  void train(const Examples& train, const Examples& dev,
             const std::vector<std::string>& labels) override;
  Prediction classify(std::string_view text) override;
  void save(const std::filesystem::path& dir) const override;
  void load(const std::filesystem::path& dir) override;
  nlohmann::json describe() const override;
  void calibrate_without_dev() override { hold_out_for_calibration_ = true; }

 private:
  struct Files {
    std::filesystem::path train, dev;
    std::size_t train_lines = 0, dev_lines = 0;
  };
  void search(const Examples& train, const Examples& dev, const Files& files,
              const TempFolder& temp, std::size_t candidates);
  std::size_t write_file(const std::vector<const Examples*>& sets,
                         const std::filesystem::path& file);

  std::string name_;
  FasttextOptions options_;  // as configured
  FasttextOptions chosen_;   // as trained: the search's pick when it ran
  std::shared_ptr<fasttext::FastText> model_;
  std::vector<std::string> labels_;
  std::string fallback_label_;  // the most frequent train label, for texts with no known token
  bool autotuned_ = false;
  std::size_t search_skipped_rows_ = 0;  // the dev rows that were too few for a search; 0: none
  bool refitted_ = false;                // the final model saw train + dev
  int trials_ = 0;
  double dev_accuracy_ = -1;  // of the chosen candidate trained on train only
  // Fitted on the dev split with the chosen candidate trained on train only (or on a fifth of
  // train, when asked); not fitted otherwise: the confidence is then fastText's own probability.
  Calibration calibration_;
  std::vector<double> scores_;  // scratch for classify()

  // The `k` most likely labels for `text` with their log-probabilities, highest first (k = -1:
  // every label); none for a text with no token, which fastText would answer from its
  // end-of-line token alone.
  std::vector<std::pair<fasttext::real, std::string>> predict(fasttext::FastText& model,
                                                              std::string_view text, int k) const;
  void calibrate(fasttext::FastText& model, const Examples& dev, std::string fitted_on);
  void calibrate_on_a_fifth(const Examples& train, const TempFolder& temp);
  bool hold_out_for_calibration_ = false;  // without dev: calibrate on a fifth of train
};

std::vector<std::pair<fasttext::real, std::string>> FasttextClassifier::predict(
    fasttext::FastText& model, std::string_view text, int k) const {
  std::vector<std::pair<fasttext::real, std::string>> predictions;
  std::string tokens = fasttext_line(text);
  if (tokens.empty()) return predictions;
  std::istringstream line(tokens + "\n");
  model.predictLine(line, predictions, k, 0.0);
  return predictions;
}

void FasttextClassifier::calibrate(fasttext::FastText& model, const Examples& dev,
                                   std::string fitted_on) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < labels_.size(); ++i) index[labels_[i]] = i;
  CalibrationRows rows;
  for (const Example& e : dev) {
    auto label = index.find(e.label);
    if (label == index.end()) continue;
    std::string wanted = fmt::format("{}{}", kLabelPrefix, label->second);
    auto predictions = predict(model, e.text, -1);
    std::vector<double> scores;
    std::size_t truth = predictions.size();
    for (std::size_t k = 0; k < predictions.size(); ++k) {
      scores.push_back(predictions[k].first);
      if (predictions[k].second == wanted) truth = k;
    }
    if (truth == predictions.size()) continue;  // a label the model never saw
    rows.scores.push_back(std::move(scores));
    rows.truth.push_back(truth);
  }
  // fastText's floored log-probabilities leave its least sure answers under-confident after the
  // temperature: an isotonic map on the same rows corrects what one temperature cannot.
  calibration_ = Calibration::fit(rows, std::move(fitted_on), /*isotonic=*/true);
}

// Writes the examples of `sets` as fastText training lines, in a seeded random order; returns
// how many were written. fastText learns in file order with a decaying learning rate, so a file
// sorted by label (as many exports are, HWU64's among them) ends training on a few labels: on
// HWU64 that cost 2 points of test accuracy.
std::size_t FasttextClassifier::write_file(const std::vector<const Examples*>& sets,
                                           const std::filesystem::path& file) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < labels_.size(); ++i) index[labels_[i]] = i;
  std::vector<const Example*> order;
  for (const Examples* examples : sets) {
    for (const auto& e : *examples) order.push_back(&e);
  }
  std::shuffle(order.begin(), order.end(), std::mt19937(static_cast<unsigned>(options_.seed)));
  std::ofstream out(file, std::ios::binary);
  std::size_t lines = 0;
  for (const Example* e : order) {
    std::string text = fasttext_line(e->text);
    if (text.empty()) continue;  // nothing fastText could learn from
    auto [it, added] = index.try_emplace(e->label, labels_.size());
    if (added) labels_.push_back(e->label);
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
  Files files{temp.path() / "train.txt", temp.path() / "dev.txt"};
  files.train_lines = write_file({&train}, files.train);
  if (files.train_lines == 0) {
    throw UserError(fmt::format(
        "approach '{}': the train split has no text with a word in it; check the text column",
        name_));
  }
  if (options_.autotune_seconds > 0) files.dev_lines = write_file({&dev}, files.dev);
  autotuned_ = refitted_ = false;
  search_skipped_rows_ = 0;
  calibration_ = {};
  trials_ = 0;
  dev_accuracy_ = -1;
  chosen_ = options_;
  try {
    if (files.dev_lines > 0) {
      // Too few dev rows to tell candidates apart: the configured options alone go through
      // the same steps (scored and calibrated on dev, refit on train + dev).
      bool enough = files.dev_lines >= kMinSearchDevRows;
      search_skipped_rows_ = enough ? 0 : files.dev_lines;
      search(train, dev, files, temp, enough ? options_.autotune_trials : 1);
    } else {
      model_ = fit(args_of(options_, files.train), std::nullopt);
      if (!dev.empty()) {
        calibrate(*model_, dev, "dev split");
      } else if (hold_out_for_calibration_ && train.size() >= 5 * kMinCalibrationRows) {
        calibrate_on_a_fifth(train, temp);
      }
    }
  } catch (const UserError&) {
    throw;
  } catch (const std::exception& e) {
    throw UserError(
        fmt::format("approach '{}': fastText could not train: {}; check the "
                    "approach's parameters (epoch, lr, dim, autotune_seconds)",
                    name_, e.what()));
  }
}

// Without a dev split: a model trained on four fifths of train (every fifth row held out, so
// each label keeps its share) fits the temperature on the rest, for the model trained on all.
void FasttextClassifier::calibrate_on_a_fifth(const Examples& train, const TempFolder& temp) {
  Examples fit_part, held_out;
  for (std::size_t i = 0; i < train.size(); ++i)
    (held_out_for_calibration(i) ? held_out : fit_part).push_back(train[i]);
  auto file = temp.path() / "four_fifths.txt";
  if (write_file({&fit_part}, file) == 0) return;
  auto partial = fit(args_of(options_, file), std::nullopt);
  if (!partial) return;
  calibrate(*partial, held_out, "a fifth of train");
}

// Trains candidates on train and scores them on dev until the budget is spent (the first, the
// configured options, always runs to the end), keeping time to refit the best on train + dev:
// fastText's own autotune samples up to 10M buckets x 1000 dims and overruns its budget.
void FasttextClassifier::search(const Examples& train, const Examples& dev, const Files& files,
                                const TempFolder& temp, std::size_t candidates) {
  auto deadline = Clock::now() + std::chrono::seconds(options_.autotune_seconds);
  double refit_scale = static_cast<double>(files.train_lines + files.dev_lines) /
                       static_cast<double>(files.train_lines);
  double best_seconds = 0;
  auto best = temp.path() / "best.bin";
  model_.reset();
  for (const auto& candidate : fasttext_search_candidates(options_, candidates)) {
    auto search_deadline =
        deadline - std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(best_seconds * refit_scale));
    auto start = Clock::now();
    if (trials_ > 0 && start >= search_deadline) break;
    auto model = fit(args_of(candidate, files.train),
                     trials_ == 0 ? std::nullopt : std::optional(search_deadline));
    if (!model) break;
    ++trials_;
    double accuracy = file_accuracy(*model, files.dev);
    if (accuracy > dev_accuracy_) {  // ties keep the earlier, i.e. the configured options first
      dev_accuracy_ = accuracy;
      chosen_ = candidate;
      best_seconds = seconds_between(start, Clock::now());
      calibrate(*model, dev, "dev split");  // trained on train only: dev is held out
      model->saveModel(best.string());      // on disk, not in memory: one model at a time
    }
  }
  autotuned_ = candidates > 1;
  // The search stopped where a refit should still fit; estimates are rough on a loaded machine,
  // so the refit may overrun the budget by a quarter of it before it is abandoned.
  auto slack = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(0.25 * options_.autotune_seconds));
  auto refit_estimate = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(best_seconds * refit_scale));
  if (Clock::now() + refit_estimate <= deadline + slack) {
    auto all = temp.path() / "train_dev.txt";
    write_file({&train, &dev}, all);
    model_ = fit(args_of(chosen_, all), deadline + slack);
    refitted_ = model_ != nullptr;
    if (refitted_ && calibration_.fitted())
      calibration_.fitted_on = "dev split, by the model before its refit on train + dev";
  }
  if (!model_) {
    model_ = std::make_shared<fasttext::FastText>();
    model_->loadModel(best.string());
  }
}

Prediction FasttextClassifier::classify(std::string_view text) {
  if (!model_) throw std::logic_error("fasttext classifier used before train() or load()");
  auto start = std::chrono::steady_clock::now();
  Prediction p;
  // Every label's log-probability when the confidence is calibrated (the softmax needs them
  // all), else the top one.
  auto predictions = predict(*model_, text, calibration_.fitted() ? -1 : 1);
  p.label = fallback_label_;
  if (!predictions.empty()) {
    std::string_view id = predictions[0].second;
    id.remove_prefix(std::min(id.size(), kLabelPrefix.size()));
    std::size_t index = std::stoul(std::string(id));
    if (index < labels_.size()) p.label = labels_[index];
    // predictLine answers log-probabilities (softmax, or one-vs-all sigmoids).
    if (calibration_.fitted()) {
      scores_.clear();
      for (const auto& [log_p, name] : predictions) scores_.push_back(log_p);
      p.confidence = calibration_.map(top_softmax(scores_, calibration_.temperature));
    } else {
      p.confidence = std::clamp(static_cast<double>(std::exp(predictions[0].first)), 0.0, 1.0);
    }
  }
  p.raw = p.label;
  p.latency_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return p;
}

void FasttextClassifier::save(const std::filesystem::path& dir) const {
  if (!model_) throw std::logic_error("fasttext classifier saved before train()");
  // Written beside its final name and renamed into place, so a killed save never leaves half a
  // model.bin; its size goes into fasttext.json for load() to compare.
  auto file = dir / "model.bin";
  auto partial = dir / "model.bin.partial";
  std::uintmax_t bytes = 0;
  try {
    model_->saveModel(partial.string());
    bytes = std::filesystem::file_size(partial);
    std::filesystem::rename(partial, file);
  } catch (const std::exception& e) {
    throw UserError(
        fmt::format("cannot write {}: {}; check the folder is writable and has free "
                    "space",
                    file.string(), e.what()));
  }
  std::ofstream out(dir / "fasttext.json");
  out << nlohmann::json{{"labels", labels_},
                        {"fallback_label", fallback_label_},
                        {"model_bytes", bytes},
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
  auto file = dir / "model.bin";
  check_model_size(file, meta);
  auto model = std::make_shared<fasttext::FastText>();
  try {
    model->loadModel(file.string());
  } catch (const std::exception& e) {
    throw UserError(fmt::format("{}: {}; re-train the model", file.string(), e.what()));
  }
  check_model_shape(*model, file);
  model_ = std::move(model);
  labels_ = meta["labels"].get<std::vector<std::string>>();
  fallback_label_ = meta.value("fallback_label", "");
  nlohmann::json d = meta.value("describe", nlohmann::json::object());
  autotuned_ = d.value("autotuned", false);
  refitted_ = d.value("refit_on_train_and_dev", false);
  trials_ = d.value("autotune_trials", 0);
  dev_accuracy_ = d["dev_accuracy"].is_number() ? d["dev_accuracy"].get<double>() : -1;
  search_skipped_rows_ = d["search_skipped_dev_rows"].is_number()
                             ? d["search_skipped_dev_rows"].get<std::size_t>()
                             : 0;
  // What was trained, as described when saved (fastText's model file does not keep lr).
  chosen_.epoch = d.value("epoch", chosen_.epoch);
  chosen_.lr = d.value("lr", chosen_.lr);
  chosen_.word_ngrams = d.value("word_ngrams", chosen_.word_ngrams);
  chosen_.minn = d.value("minn", chosen_.minn);
  chosen_.maxn = d.value("maxn", chosen_.maxn);
  chosen_.dim = d.value("dim", chosen_.dim);
  chosen_.bucket = d.value("bucket", chosen_.bucket);
  chosen_.loss = d.value("loss", chosen_.loss);
  chosen_.threads = d.value("threads", chosen_.threads);
  chosen_.seed = d.value("seed", chosen_.seed);
  calibration_ = Calibration::from_json(d.value("confidence", nlohmann::json::object()));
}

nlohmann::json FasttextClassifier::describe() const {
  const FasttextOptions& o = chosen_;
  return {{"epoch", o.epoch},
          {"lr", o.lr},
          {"word_ngrams", o.word_ngrams},
          {"minn", o.minn},
          {"maxn", o.maxn},
          {"dim", o.dim},
          {"bucket", o.bucket},
          {"loss", o.loss},
          {"threads", o.threads},
          {"seed", o.seed},
          {"autotuned", autotuned_},
          {"autotune_seconds", options_.autotune_seconds},
          {"autotune_trials", trials_},
          {"dev_accuracy", dev_accuracy_ >= 0 ? nlohmann::json(dev_accuracy_) : nlohmann::json()},
          {"search_skipped_dev_rows",
           search_skipped_rows_ > 0 ? nlohmann::json(search_skipped_rows_) : nlohmann::json()},
          {"refit_on_train_and_dev", refitted_},
          {"confidence", calibration_.to_json("temperature scaling of the log-probabilities",
                                              "fastText's probability, not calibrated")}};
}

}  // namespace

FasttextOptions fasttext_options(const ApproachConfig& config) {
  const FasttextSettings& s = config.fasttext;
  FasttextOptions o;
  o.epoch = s.epoch;
  o.lr = s.lr;
  o.word_ngrams = s.word_ngrams;
  o.minn = s.minn;
  o.maxn = s.maxn;
  o.dim = s.dim;
  o.bucket = s.bucket;
  o.loss = s.loss;
  o.threads = s.threads;
  o.autotune_seconds = s.autotune_seconds;
  o.autotune_trials = s.autotune_trials;
  o.seed = s.seed;
  return o;
}

std::vector<FasttextOptions> fasttext_search_candidates(const FasttextOptions& base,
                                                        std::size_t count) {
  // The grid: values that did well on intent data (docs/benchmarks.md) and their neighbours.
  static const int kEpochs[] = {10, 15, 25, 40, 60};
  static const double kLrs[] = {0.2, 0.35, 0.5, 0.8, 1.0};
  static const std::pair<int, int> kChars[] = {{0, 0}, {2, 5}, {3, 6}, {2, 6}, {4, 7}};
  static const int kWordNgrams[] = {1, 2, 3};
  static const char* const kLosses[] = {"ova", "softmax"};
  static const int kDims[] = {30, 50, 100};
  auto key = [](const FasttextOptions& o) {
    return fmt::format("{} {} {} {} {} {} {}", o.epoch, o.lr, o.minn, o.maxn, o.word_ngrams, o.loss,
                       o.dim);
  };
  std::vector<FasttextOptions> out{base};
  std::set<std::string> seen{key(base)};
  std::mt19937 rng(static_cast<unsigned>(base.seed));
  auto pick = [&rng](const auto& values) { return values[rng() % std::size(values)]; };
  // Neighbours of base (one or two changes) rather than the whole grid: few trials fit a
  // budget, and the configured defaults are already good.
  for (int attempt = 0; out.size() < count && attempt < 1000; ++attempt) {
    FasttextOptions o = base;
    int changes = 1 + static_cast<int>(rng() % 2);
    for (int c = 0; c < changes; ++c) {
      switch (rng() % 6) {
        case 0:
          o.epoch = pick(kEpochs);
          break;
        case 1:
          o.lr = pick(kLrs);
          break;
        case 2:
          std::tie(o.minn, o.maxn) = pick(kChars);
          break;
        case 3:
          o.word_ngrams = pick(kWordNgrams);
          break;
        case 4:
          o.loss = pick(kLosses);
          break;
        default:
          o.dim = pick(kDims);
          break;
      }
    }
    if (seen.insert(key(o)).second) out.push_back(o);
  }
  return out;
}

std::unique_ptr<Classifier> make_fasttext_classifier(const ApproachConfig& config) {
  return std::make_unique<FasttextClassifier>(config);
}

}  // namespace tunecase
