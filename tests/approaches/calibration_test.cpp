#include "tunecase/approaches/calibration.h"

#include <cmath>
#include <filesystem>
#include <functional>
#include <random>
#include <stdexcept>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tunecase/approaches/fasttext_classifier.h"
#include "tunecase/approaches/linear_classifier.h"
#include "tunecase/approaches/registry.h"
#include "tunecase/config/approach_settings.h"

namespace tunecase {
namespace {

// Rows whose true labels are drawn from softmax(scores / temperature): a fit should find that
// temperature again.
CalibrationRows drawn_at(double temperature, std::size_t n, std::size_t labels, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> score(0, 2);
  std::uniform_real_distribution<double> unit(0, 1);
  CalibrationRows rows;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> s(labels);
    for (double& v : s) v = score(rng);
    std::vector<double> p(labels);
    double sum = 0;
    for (std::size_t k = 0; k < labels; ++k) sum += p[k] = std::exp(s[k] / temperature);
    double u = unit(rng) * sum;
    std::size_t truth = 0;
    while (truth + 1 < labels && (u -= p[truth]) > 0) ++truth;
    rows.scores.push_back(std::move(s));
    rows.truth.push_back(truth);
  }
  return rows;
}

TEST(Calibration, FindsTheTemperatureThatDrewTheLabels) {
  for (double t : {0.4, 1.0, 2.5}) {
    double fitted = fit_temperature(drawn_at(t, 4000, 8, 7));
    EXPECT_NEAR(fitted, t, 0.12 * t) << "drawn at " << t;
  }
}

TEST(Calibration, TheFittedTemperatureMinimisesTheLikelihood) {
  CalibrationRows rows = drawn_at(1.7, 2000, 5, 11);
  double t = fit_temperature(rows);
  double best = mean_negative_log_likelihood(rows, t);
  for (double factor : {0.5, 0.9, 0.99, 1.01, 1.1, 2.0}) {
    EXPECT_LE(best, mean_negative_log_likelihood(rows, t * factor) + 1e-9) << factor;
  }
}

TEST(Calibration, TopSoftmaxSpansUniformToCertain) {
  EXPECT_DOUBLE_EQ(top_softmax({1, 1, 1, 1}, 1), 0.25);
  EXPECT_NEAR(top_softmax({3, 1, 0}, 1e3), 1.0 / 3, 1e-3);               // hot: every label alike
  EXPECT_NEAR(top_softmax({3, 1, 0}, 1e-3), 1.0, 1e-12);                 // cold: the top label only
  EXPECT_NEAR(top_softmax({2, 0}, 1), 1 / (1 + std::exp(-2.0)), 1e-12);  // two labels: a sigmoid
  EXPECT_DOUBLE_EQ(top_softmax({5}, 1), 1.0);
  EXPECT_DOUBLE_EQ(top_softmax({1000, 0, -1000}, 0.5), 1.0);  // no overflow
}

TEST(Calibration, NoRowsMeansNoChangeAndBadRowsAreRefused) {
  EXPECT_DOUBLE_EQ(fit_temperature({}), 1.0);
  CalibrationRows bad;
  bad.scores = {{1, 2}};
  bad.truth = {2};
  EXPECT_THROW(fit_temperature(bad), std::invalid_argument);
  bad.truth = {};
  EXPECT_THROW(fit_temperature(bad), std::invalid_argument);
}

// Twelve intents whose keywords overlap: a third of the texts carry a keyword of another intent
// too, and some carry only that one, so a model is right on most texts and unsure on some.
Examples overlapping_intents(int per_label, unsigned seed, std::vector<std::string>* labels) {
  std::vector<std::vector<std::string>> keywords;
  std::vector<std::string> names;
  for (int k = 0; k < 12; ++k) {
    names.push_back(fmt::format("intent {}", k));
    keywords.push_back(
        {fmt::format("alpha{}", k), fmt::format("beta{}", k), fmt::format("gamma{}", k)});
  }
  const std::vector<std::string> fillers = {"my",   "the",   "account", "today",  "again",
                                            "with", "since", "order",   "thanks", "please"};
  std::mt19937 rng(seed);
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  Examples out;
  for (int i = 0; i < per_label; ++i) {
    for (std::size_t k = 0; k < names.size(); ++k) {
      const auto& other = keywords[(k + 1 + rng() % (names.size() - 1)) % names.size()];
      std::string own = pick(keywords[k]);
      int mix = static_cast<int>(rng() % 6);
      std::string words = mix < 2 ? own + " " + pick(other) : mix < 3 ? pick(other) : own;
      Example e;
      e.text = fmt::format("{} {} {} {}", pick(fillers), words, pick(fillers), pick(fillers));
      e.label = names[k];
      out.push_back(e);
    }
  }
  if (labels) *labels = names;
  return out;
}

// The mean confidence on held-out texts against the accuracy there: calibrated, the two agree.
std::pair<double, double> confidence_and_accuracy(Classifier& c, const Examples& test) {
  double confidence = 0, correct = 0;
  for (const auto& e : test) {
    Prediction p = c.classify(e.text);
    confidence += p.confidence.value_or(-10);
    correct += p.label == e.label;
  }
  return {confidence / double(test.size()), correct / double(test.size())};
}

ApproachConfig config_of(nlohmann::json params) {
  return approach_from_json(params, "test.toml");
}

// A small fastText on one thread with a seed, hence deterministic; `extra` overrides.
nlohmann::json small_fasttext(const nlohmann::json& extra = nlohmann::json::object()) {
  nlohmann::json p = {{"name", "f"}, {"kind", "fasttext"}, {"threads", 1},   {"seed", 3},
                      {"epoch", 30}, {"dim", 20},          {"bucket", 20000}};
  p.update(extra);
  return p;
}

TEST(Calibration, LinearConfidenceMatchesItsAccuracyOnManyLabels) {
  std::vector<std::string> labels;
  Examples train = overlapping_intents(60, 1, &labels);
  Examples dev = overlapping_intents(20, 2, nullptr);
  Examples test = overlapping_intents(40, 3, nullptr);
  for (std::string model : {"svm", "logreg"}) {
    auto c =
        make_linear_classifier(config_of({{"name", "l"}, {"kind", "linear"}, {"model", model}}));
    c->train(train, dev, labels);
    auto [confidence, accuracy] = confidence_and_accuracy(*c, test);
    EXPECT_GT(accuracy, 0.5) << model;
    EXPECT_LT(accuracy, 0.97) << model << ": the problem must leave room for doubt";
    EXPECT_NEAR(confidence, accuracy, 0.06) << model;
    auto d = c->describe()["confidence"];
    EXPECT_EQ(d["fitted_on"], "dev split") << model;
    EXPECT_EQ(d["rows"], dev.size()) << model;
  }
}

// Without a dev split a model trains uncalibrated (curves and replays: no extra fit) unless asked
// by calibrate_without_dev(), which fits the temperature on a fifth of train.
void expect_a_fifth_of_train_calibrates(const std::function<std::unique_ptr<Classifier>()>& make,
                                        const Examples& train,
                                        const std::vector<std::string>& labels,
                                        const Examples& test, double tolerance) {
  auto plain = make();
  plain->train(train, {}, labels);
  EXPECT_FALSE(plain->describe()["confidence"].contains("temperature"));
  auto c = make();
  c->calibrate_without_dev();
  c->train(train, {}, labels);
  auto d = c->describe()["confidence"];
  EXPECT_EQ(d["fitted_on"], "a fifth of train");
  EXPECT_EQ(d["rows"], train.size() / 5);
  auto [confidence, accuracy] = confidence_and_accuracy(*c, test);
  EXPECT_NEAR(confidence, accuracy, tolerance);
}

TEST(Calibration, LinearWithoutADevSplitHoldsOutAFifthOfTrainWhenAsked) {
  std::vector<std::string> labels;
  Examples train = overlapping_intents(80, 4, &labels);
  expect_a_fifth_of_train_calibrates(
      [] {
        return make_linear_classifier(config_of({{"name", "l"}, {"kind", "linear"}}));
      },
      train, labels, overlapping_intents(40, 5, nullptr), 0.08);
}

TEST(Calibration, ATooSmallTrainSplitKeepsTheUncalibratedConfidence) {
  std::vector<std::string> labels;
  Examples train = overlapping_intents(10, 4, &labels);  // 120 rows: a fifth is too few
  auto c = make_linear_classifier(config_of({{"name", "l"}, {"kind", "linear"}}));
  c->calibrate_without_dev();
  c->train(train, {}, labels);
  auto d = c->describe()["confidence"];
  EXPECT_FALSE(d.contains("temperature"));
  EXPECT_NE(d["method"].get<std::string>().find("not calibrated"), std::string::npos);
}

// autotune_seconds 0: one model, trained on train and calibrated on dev; 1: a search whose
// chosen candidate is calibrated on dev before the refit on train + dev.
TEST(Calibration, FasttextConfidenceMatchesItsAccuracy) {
  std::vector<std::string> labels;
  Examples train = overlapping_intents(60, 1, &labels);
  Examples dev = overlapping_intents(20, 2, nullptr);
  Examples test = overlapping_intents(40, 3, nullptr);
  for (int autotune : {0, 1}) {
    auto c = make_fasttext_classifier(config_of(small_fasttext({{"autotune_seconds", autotune}})));
    c->train(train, dev, labels);
    auto [confidence, accuracy] = confidence_and_accuracy(*c, test);
    EXPECT_GT(accuracy, 0.5) << autotune;
    EXPECT_NEAR(confidence, accuracy, 0.08) << autotune;
    auto d = c->describe();
    EXPECT_GT(d["confidence"]["temperature"].get<double>(), 0) << autotune;
    EXPECT_EQ(d["confidence"]["rows"], dev.size()) << autotune;
    if (d["refit_on_train_and_dev"] == true) {
      EXPECT_NE(d["confidence"]["fitted_on"].get<std::string>().find("before its refit"),
                std::string::npos);
    }
  }
}

TEST(Calibration, FasttextWithoutADevSplitHoldsOutAFifthOfTrainWhenAsked) {
  std::vector<std::string> labels;
  Examples train = overlapping_intents(60, 1, &labels);
  expect_a_fifth_of_train_calibrates(
      [] { return make_fasttext_classifier(config_of(small_fasttext())); }, train, labels,
      overlapping_intents(40, 3, nullptr), 0.1);
}

// A model whose least sure answers are right far more often than they say (fastText's floored
// log-probabilities): one temperature cannot lift them without lifting the sure ones too; the
// isotonic map on the same rows brings each band to its share right, keeps the order of answers
// by confidence, and is read back as saved.
TEST(Calibration, AnIsotonicMapLiftsAnUnderConfidentLowBand) {
  CalibrationRows rows;
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> unit(0, 1);
  for (int i = 0; i < 600; ++i) {
    const bool sure = i % 2 == 0;
    // Sure rows: a clear top score, right 95% of the time. Unsure: two near-equal scores, which
    // a softmax reads as about 0.5, right 90% of the time.
    std::vector<double> s =
        sure ? std::vector<double>{4.0, 0.0, 0.0} : std::vector<double>{0.05, 0.0, -3.0};
    const bool right = unit(rng) < (sure ? 0.95 : 0.9);
    rows.scores.push_back(s);
    rows.truth.push_back(right ? 0 : 1);
  }
  Calibration plain = Calibration::fit(rows, "dev split");
  Calibration mapped = Calibration::fit(rows, "dev split", /*isotonic=*/true);
  ASSERT_TRUE(plain.isotonic.empty());
  ASSERT_FALSE(mapped.isotonic.empty());
  const double unsure = top_softmax({0.05, 0.0, -3.0}, mapped.temperature);
  const double sure = top_softmax({4.0, 0.0, 0.0}, mapped.temperature);
  EXPECT_LT(unsure, 0.7);                      // the temperature leaves it low
  EXPECT_NEAR(mapped.map(unsure), 0.9, 0.05);  // the map brings it to its share right
  EXPECT_NEAR(mapped.map(sure), 0.95, 0.03);
  EXPECT_LE(mapped.map(unsure), mapped.map(sure));  // never reorders the answers
  EXPECT_DOUBLE_EQ(plain.map(unsure), unsure);
  const Calibration back =
      Calibration::from_json(mapped.to_json("temperature scaling", "uncalibrated"));
  EXPECT_EQ(back.isotonic, mapped.isotonic);
  EXPECT_NE(mapped.to_json("temperature scaling", "uncalibrated")["method"].get<std::string>().find(
                "isotonic"),
            std::string::npos);
}

TEST(Calibration, SavedModelsKeepTheirTemperature) {
  std::vector<std::string> labels;
  Examples train = overlapping_intents(40, 1, &labels);
  Examples dev = overlapping_intents(10, 2, nullptr);
  auto dir = std::filesystem::temp_directory_path() / "tunecase_calibration_save_test";
  for (std::string kind : {"linear", "fasttext"}) {
    nlohmann::json params = kind == "fasttext" ? small_fasttext({{"autotune_seconds", 0}})
                                               : nlohmann::json{{"name", "m"}, {"kind", kind}};
    auto trained = make_classifier(config_of(params));
    trained->train(train, dev, labels);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    trained->save(dir);
    auto loaded = make_classifier(config_of(params));
    loaded->load(dir);
    for (const auto& e : overlapping_intents(3, 9, nullptr)) {
      EXPECT_EQ(trained->classify(e.text).confidence, loaded->classify(e.text).confidence)
          << kind << ": " << e.text;
    }
    EXPECT_EQ(loaded->describe()["confidence"], trained->describe()["confidence"]) << kind;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tunecase
