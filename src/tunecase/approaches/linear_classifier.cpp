#include "tunecase/approaches/linear_classifier.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <unordered_map>

#include <fmt/format.h>
#include <linear.h>

#include "tunecase/approaches/calibration.h"
#include "tunecase/approaches/liblinear_ovr.h"
#include "tunecase/core/error.h"

namespace tunecase {
namespace {

using ModelPtr = LiblinearModel;

const char* solver_name(int solver) {
  return solver == L2R_LR ? "L2R_LR" : "L2R_L2LOSS_SVC_DUAL";
}

class LinearClassifier : public Classifier {
 public:
  explicit LinearClassifier(const ApproachConfig& config)
      : name_(config.name), options_(linear_options(config)), vectorizer_(options_.tfidf) {
    silence_liblinear();
  }

  void train(const Examples& train, const Examples& dev,
             const std::vector<std::string>& labels) override;
  Prediction classify(std::string_view text) override;
  void save(const std::filesystem::path& dir) const override;
  void load(const std::filesystem::path& dir) override;
  nlohmann::json describe() const override;
  void calibrate_without_dev() override { hold_out_for_calibration_ = true; }

 private:
  int bias_index() const { return static_cast<int>(vectorizer_.size()) + 1; }
  SparseRows vectorise(const Examples& examples);
  ModelPtr fit(SparseRows& rows, double C) const;
  double accuracy(const model& m, SparseRows& rows) const;
  void calibrate(const model& m, const SparseRows& held_out, std::string fitted_on);
  void calibrate_on_a_fifth(SparseRows& train_rows);
  int solver() const { return options_.model == "logreg" ? L2R_LR : L2R_L2LOSS_SVC_DUAL; }

  std::string name_;
  LinearOptions options_;
  TfidfVectorizer vectorizer_;
  ModelPtr model_;
  double chosen_c_ = 0;
  // Fitted on rows the model was not trained on; not fitted for a model trained without enough
  // of them (or before calibration existed), whose confidence is the uncalibrated figure.
  Calibration calibration_;
  bool hold_out_for_calibration_ = false;  // without dev: calibrate on a fifth of train
  nlohmann::json dev_accuracy_by_c_ = nlohmann::json::object();
  std::vector<std::string> labels_;
  std::unordered_map<std::string, int> label_ids_;
  std::vector<TfidfFeature> features_;  // scratch for classify()
  std::vector<feature_node> nodes_;     // scratch for classify()
  std::vector<double> scores_;          // scratch for classify()
};

SparseRows LinearClassifier::vectorise(const Examples& examples) {
  SparseRows rows;
  rows.y.reserve(examples.size());
  for (const auto& e : examples) {
    vectorizer_.transform(e.text, features_);
    rows.add(features_, bias_index());
    auto [it, added] = label_ids_.try_emplace(e.label, static_cast<int>(labels_.size()));
    if (added) labels_.push_back(e.label);
    rows.y.push_back(it->second);
  }
  return rows;
}

ModelPtr LinearClassifier::fit(SparseRows& rows, double C) const {
  problem prob{};
  prob.l = static_cast<int>(rows.rows.size());
  prob.n = bias_index();
  prob.y = rows.y.data();
  prob.x = rows.rows.data();
  prob.bias = 1;
  parameter param{};
  param.solver_type = solver();
  param.C = C;
  // LinearSVC's tol for the dual solver; liblinear's own default (0.1) stops a point short.
  param.eps = solver() == L2R_LR ? 0.01 : 1e-4;
  if (const char* error = check_parameter(&prob, &param)) {
    throw UserError(
        fmt::format("approach '{}': liblinear rejected the parameters: {}", name_, error));
  }
  return ModelPtr(train_one_vs_rest(prob, param, options_.threads));
}

double LinearClassifier::accuracy(const model& m, SparseRows& rows) const {
  if (rows.rows.empty()) return 0;
  std::size_t correct = 0;
  for (std::size_t i = 0; i < rows.rows.size(); ++i) {
    if (::predict(&m, rows.rows[i]) == rows.y[i]) ++correct;
  }
  return static_cast<double>(correct) / static_cast<double>(rows.rows.size());
}

void LinearClassifier::train(const Examples& train, const Examples& dev,
                             const std::vector<std::string>& labels) {
  if (train.empty()) {
    throw UserError(fmt::format(
        "approach '{}': the train split is empty; give the dataset labelled rows", name_));
  }
  labels_ = labels;
  label_ids_.clear();
  for (std::size_t i = 0; i < labels_.size(); ++i) label_ids_[labels_[i]] = static_cast<int>(i);
  std::vector<std::string_view> texts;
  texts.reserve(train.size());
  for (const auto& e : train) texts.emplace_back(e.text);
  vectorizer_.fit(texts);
  SparseRows train_rows = vectorise(train);
  dev_accuracy_by_c_ = nlohmann::json::object();
  calibration_ = {};
  if (!options_.search_c || dev.empty()) {
    chosen_c_ = options_.C;
    model_ = fit(train_rows, chosen_c_);
    if (!dev.empty()) {
      calibrate(*model_, vectorise(dev), "dev split");
    } else if (hold_out_for_calibration_) {
      calibrate_on_a_fifth(train_rows);
    }
    return;
  }
  SparseRows dev_rows = vectorise(dev);
  double best = -1;
  for (double c : kLinearCGrid) {
    ModelPtr candidate = fit(train_rows, c);
    double acc = accuracy(*candidate, dev_rows);
    dev_accuracy_by_c_[fmt::format("{:g}", c)] = acc;
    if (acc > best) {  // strict: on a tie the smaller C (seen first) stays
      best = acc;
      chosen_c_ = c;
      model_ = std::move(candidate);
    }
  }
  calibrate(*model_, dev_rows, "dev split");
}

namespace {

// The model's score of each of its labels for one row, in the model's label order: the
// decision values, with 0 for the second label of a two-label model (liblinear keeps one value
// there, positive for the first label).
void label_scores(const model& m, const feature_node* x, std::vector<double>& out) {
  int classes = get_nr_class(&m);
  out.assign(static_cast<std::size_t>(std::max(classes, 1)), 0.0);
  if (classes < 2) return;
  predict_values(&m, x, out.data());
  if (classes == 2) out[1] = 0;
}

}  // namespace

void LinearClassifier::calibrate(const model& m, const SparseRows& held_out,
                                 std::string fitted_on) {
  int classes = get_nr_class(&m);
  if (classes < 2) return;  // one label: the confidence is 1 anyway
  const int* begin = m.label;
  const int* end = m.label + classes;
  CalibrationRows rows;
  std::vector<double> scores;
  for (std::size_t i = 0; i < held_out.rows.size(); ++i) {
    const int* at = std::find(begin, end, static_cast<int>(held_out.y[i]));
    if (at == end) continue;  // a label the model never saw: no score to calibrate
    label_scores(m, held_out.rows[i], scores);
    rows.scores.push_back(scores);
    rows.truth.push_back(static_cast<std::size_t>(at - begin));
  }
  calibration_ = Calibration::fit(rows, std::move(fitted_on), /*isotonic=*/true);
}

// Without a dev split: a model trained on four fifths of train scores the other fifth (every
// fifth row, so each label keeps its share), and the temperature fitted there serves the model
// trained on all of train, which is as sharp or a little sharper.
void LinearClassifier::calibrate_on_a_fifth(SparseRows& train_rows) {
  if (train_rows.rows.size() < 5 * kMinCalibrationRows) return;
  SparseRows fit_part, held_out;  // views into train_rows' chunks
  for (std::size_t i = 0; i < train_rows.rows.size(); ++i) {
    SparseRows& to = held_out_for_calibration(i) ? held_out : fit_part;
    to.rows.push_back(train_rows.rows[i]);
    to.y.push_back(train_rows.y[i]);
  }
  ModelPtr partial = fit(fit_part, chosen_c_);
  calibrate(*partial, held_out, "a fifth of train");
}

namespace {

// The probability of the predicted label: logistic regression's own (liblinear's
// predict_probability); for the SVM a softmax of the decision values (a sigmoid for two labels,
// where liblinear keeps one value), which ranks like the SVM but is not calibrated. A model
// trained before temperature scaling, or without the rows to fit it, answers this.
double uncalibrated_top_probability(const model& m, const feature_node* x) {
  int classes = get_nr_class(&m);
  if (classes < 2) return 1.0;
  std::vector<double> values(static_cast<std::size_t>(classes));
  if (check_probability_model(&m) != 0) {
    predict_probability(&m, x, values.data());
    return *std::max_element(values.begin(), values.end());
  }
  predict_values(&m, x, values.data());
  if (classes == 2) {
    double p = 1.0 / (1.0 + std::exp(-values[0]));
    return std::max(p, 1.0 - p);
  }
  double top = *std::max_element(values.begin(), values.end());
  double sum = 0;
  for (double v : values) sum += std::exp(v - top);
  return 1.0 / sum;
}

}  // namespace

Prediction LinearClassifier::classify(std::string_view text) {
  auto start = std::chrono::steady_clock::now();
  Prediction p;
  if (!model_) throw std::logic_error("linear classifier used before train() or load()");
  vectorizer_.transform(text, features_);
  nodes_.clear();
  for (const auto& f : features_) nodes_.push_back({static_cast<int>(f.index) + 1, f.value});
  nodes_.push_back({bias_index(), 1.0});
  nodes_.push_back({-1, 0.0});
  auto id = static_cast<std::size_t>(::predict(model_.get(), nodes_.data()));
  p.label = id < labels_.size() ? labels_[id] : "";
  if (calibration_.fitted()) {
    label_scores(*model_, nodes_.data(), scores_);
    p.confidence = calibration_.map(top_softmax(scores_, calibration_.temperature));
  } else {
    p.confidence = uncalibrated_top_probability(*model_, nodes_.data());
  }
  p.raw = p.label;
  p.latency_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return p;
}

void LinearClassifier::save(const std::filesystem::path& dir) const {
  if (!model_) throw std::logic_error("linear classifier saved before train()");
  vectorizer_.save(dir / "tfidf.txt");
  errno = 0;
  if (save_model((dir / "linear.model").c_str(), model_.get()) != 0) {
    // The system's reason: a full disk had read as "check the folder is writable".
    throw UserError(
        fmt::format("cannot write {}{}; check that the folder is writable and its "
                    "disk has free space",
                    (dir / "linear.model").string(),
                    errno != 0 ? fmt::format(": {}", std::strerror(errno)) : ""));
  }
  std::ofstream out(dir / "linear.json");
  out << nlohmann::json{{"labels", labels_}, {"describe", describe()}}.dump(2) << '\n';
  out.close();
  if (!out)
    throw UserError(
        fmt::format("cannot write {}: {}; check that the folder is writable and its "
                    "disk has free space",
                    (dir / "linear.json").string(), std::strerror(errno)));
}

void LinearClassifier::load(const std::filesystem::path& dir) {
  std::ifstream in(dir / "linear.json");
  nlohmann::json meta = nlohmann::json::parse(in, nullptr, false);
  if (!in || meta.is_discarded() || !meta.contains("labels")) {
    throw UserError(fmt::format("{}: missing or not a linear model description; re-train it",
                                (dir / "linear.json").string()));
  }
  vectorizer_.load(dir / "tfidf.txt");
  options_.tfidf = vectorizer_.options();
  model* m = load_model((dir / "linear.model").c_str());
  if (!m) {
    throw UserError(fmt::format("{}: missing or not a liblinear model; re-train it",
                                (dir / "linear.model").string()));
  }
  model_.reset(m);
  labels_ = meta["labels"].get<std::vector<std::string>>();
  const auto& d = meta.value("describe", nlohmann::json::object());
  options_.model = d.value("model", options_.model);
  chosen_c_ = d.value("C", options_.C);
  options_.search_c = d.value("search_c", false);
  dev_accuracy_by_c_ = d.value("dev_accuracy_by_C", nlohmann::json::object());
  calibration_ = Calibration::from_json(d.value("confidence", nlohmann::json::object()));
}

nlohmann::json LinearClassifier::describe() const {
  const TfidfOptions& t = options_.tfidf;
  nlohmann::json d = {{"model", options_.model},
                      {"solver", solver_name(solver())},
                      {"C", chosen_c_ > 0 ? chosen_c_ : options_.C},
                      {"search_c", options_.search_c},
                      {"word_ngrams", {t.word.min, t.word.max}},
                      {"char_ngrams", {t.chars.min, t.chars.max}},
                      {"min_df", t.min_df},
                      {"threads", options_.threads},
                      {"sublinear_tf", true},
                      {"features", vectorizer_.size()}};
  if (!dev_accuracy_by_c_.empty()) d["dev_accuracy_by_C"] = dev_accuracy_by_c_;
  d["confidence"] = calibration_.to_json("temperature scaling of the decision values",
                                         model_ && check_probability_model(model_.get()) != 0
                                             ? "liblinear's probability, not calibrated"
                                             : "softmax of the decision values, not calibrated");
  return d;
}

}  // namespace

LinearOptions linear_options(const ApproachConfig& config) {
  const LinearSettings& s = config.linear;
  LinearOptions o;
  o.model = s.model;
  o.C = s.C;
  o.search_c = s.search_c;
  o.threads = s.threads;
  o.tfidf.word = {s.word_ngrams.min, s.word_ngrams.max};
  o.tfidf.chars = {s.char_ngrams.min, s.char_ngrams.max};
  o.tfidf.min_df = s.min_df;
  return o;
}

std::unique_ptr<Classifier> make_linear_classifier(const ApproachConfig& config) {
  return std::make_unique<LinearClassifier>(config);
}

}  // namespace tunecase
