#include "tunecase/approaches/retrieval_classifier.h"

#include <chrono>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "tunecase/core/error.h"

namespace tunecase {
namespace {

constexpr const char* kExamplesFile = "retrieval_train.jsonl";
constexpr const char* kParamsFile = "retrieval.json";

// Defaults chosen on a dev split carved from HWU64 train (see docs/benchmarks.md, "Retrieval").
constexpr int kDefaultK = 5;
constexpr int kDefaultNgramMin = 3;
constexpr int kDefaultNgramMax = 4;
constexpr double kDefaultNgramWeight = 0.1;
constexpr double kDefaultNgramMaxDf = 1.0;

}  // namespace

Bm25Params retrieval_index_params(const ApproachConfig& config) {
  Bm25Params p;
  p.k1 = param_number(config, "k1", 1.2);
  p.b = param_number(config, "b", 0.75);
  p.char_ngram_weight = param_number(config, "char_ngram_weight", kDefaultNgramWeight);
  p.char_ngram_max_df = param_number(config, "char_ngram_max_df", kDefaultNgramMaxDf);
  p.char_ngram_min = kDefaultNgramMin;
  p.char_ngram_max = kDefaultNgramMax;
  auto it = config.params.find("char_ngrams");
  if (it == config.params.end()) return p;
  if (it->is_boolean() && !it->get<bool>()) {
    p.char_ngram_min = p.char_ngram_max = 0;
  } else if (it->is_array() && it->empty()) {
    p.char_ngram_min = p.char_ngram_max = 0;
  } else if (it->is_array() && it->size() == 2 && (*it)[0].is_number_integer() &&
             (*it)[1].is_number_integer() && (*it)[0].get<int>() >= 1 &&
             (*it)[1].get<int>() >= (*it)[0].get<int>()) {
    p.char_ngram_min = (*it)[0].get<int>();
    p.char_ngram_max = (*it)[1].get<int>();
  } else {
    throw UserError(fmt::format(
        "approach '{}': char_ngrams must be [min, max] with 1 <= min <= max (e.g. [3, 5]), "
        "or false to use words only; got {}",
        config.name, it->dump()));
  }
  return p;
}

namespace {

class RetrievalClassifier : public Classifier {
 public:
  explicit RetrievalClassifier(const ApproachConfig& config)
      : name_(config.name),
        k_(param_int(config, "k", kDefaultK)),
        index_(retrieval_index_params(config)) {
    const auto& p = index_.params();
    if (k_ < 1)
      throw UserError(
          fmt::format("approach '{}': k must be at least 1 (got {}); e.g. k = 5", name_, k_));
    if (p.k1 < 0 || p.b < 0 || p.b > 1 || p.char_ngram_weight < 0 || p.char_ngram_max_df <= 0)
      throw UserError(
          fmt::format("approach '{}': need k1 >= 0, 0 <= b <= 1, char_ngram_weight >= 0 and "
                      "char_ngram_max_df > 0 (got k1 = {}, b = {}, char_ngram_weight = {}, "
                      "char_ngram_max_df = {}); the usual values are k1 = 1.2, b = 0.75",
                      name_, p.k1, p.b, p.char_ngram_weight, p.char_ngram_max_df));
  }

  void train(const Examples& train, const Examples& /*dev*/,
             const std::vector<std::string>& labels) override {
    Examples labelled;
    for (const auto& e : train)
      if (!e.label.empty()) labelled.push_back(e);
    if (labelled.empty())
      throw UserError(fmt::format(
          "approach '{}': the train split has no labelled example; give the data a label column "
          "with values",
          name_));
    labels_ = labels;
    index_.build(labelled);
    fallback_label_ = most_frequent_label(labelled);
  }

  Prediction classify(std::string_view text) override {
    auto start = std::chrono::steady_clock::now();
    Prediction out;
    auto hits = index_.search(text, static_cast<std::size_t>(k_));
    if (hits.empty()) {
      out.label = fallback_label_;
      out.raw = "no-match";
    } else {
      std::vector<std::string> hit_labels;
      for (const auto& h : hits) hit_labels.push_back(index_.examples()[h.index].label);
      out.label = vote_label(hits, hit_labels);
      out.raw = fmt::format("{} (best hit {:.3f})", out.label, hits.front().score);
    }
    out.cost_usd = 0.0;
    out.latency_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return out;
  }

  void save(const std::filesystem::path& dir) const override {
    write_examples(dir / kExamplesFile);
    std::ofstream out(dir / kParamsFile);
    out << describe().dump(2) << '\n';
    if (!out)
      throw UserError(fmt::format("cannot write {}; check that the folder is writable",
                                  (dir / kParamsFile).string()));
  }

  void load(const std::filesystem::path& dir) override {
    auto params_path = dir / kParamsFile;
    std::ifstream in(params_path);
    if (!in)
      throw UserError(fmt::format("cannot read {}; is {} a saved retrieval model?",
                                  params_path.string(), dir.string()));
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      throw UserError(
          fmt::format("{}: not valid JSON; save the model again", params_path.string()));
    ApproachConfig config{name_, "retrieval", j};
    *this = RetrievalClassifier(config);
    labels_ = j.value("labels", std::vector<std::string>{});
    Examples train = read_examples(dir / kExamplesFile);
    train_loaded(train);
  }

  nlohmann::json describe() const override {
    const auto& p = index_.params();
    nlohmann::json j = {{"k", k_}, {"k1", p.k1}, {"b", p.b}};
    j["char_ngrams"] = p.char_ngrams() ? nlohmann::json::array({p.char_ngram_min, p.char_ngram_max})
                                       : nlohmann::json(false);
    j["char_ngram_weight"] = p.char_ngram_weight;
    j["char_ngram_max_df"] = p.char_ngram_max_df;
    j["labels"] = labels_;
    return j;
  }

 private:
  void train_loaded(const Examples& train) {
    if (train.empty())
      throw UserError(fmt::format("approach '{}': the saved model holds no example", name_));
    index_.build(train);
    fallback_label_ = most_frequent_label(train);
  }

  // Ties go to the alphabetically first label so that the fallback is reproducible.
  static std::string most_frequent_label(const Examples& examples) {
    std::map<std::string, std::size_t> counts;
    for (const auto& e : examples) ++counts[e.label];
    std::string best;
    std::size_t best_count = 0;
    for (const auto& [label, count] : counts)
      if (count > best_count) best = label, best_count = count;
    return best;
  }

  void write_examples(const std::filesystem::path& path) const {
    std::ofstream out(path);
    for (const auto& e : index_.examples())
      out << nlohmann::json{{"text", e.text}, {"label", e.label}}.dump() << '\n';
    if (!out)
      throw UserError(
          fmt::format("cannot write {}; check that the folder is writable", path.string()));
  }

  static Examples read_examples(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in)
      throw UserError(fmt::format("cannot read {}; save the retrieval model again", path.string()));
    Examples examples;
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
      if (line.empty()) continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string() ||
          !j.contains("label") || !j["label"].is_string())
        throw UserError(
            fmt::format("{}:{}: expected a JSON object with string fields text and label; save the "
                        "retrieval model again",
                        path.string(), number));
      Example e;
      e.text = j["text"].get<std::string>();
      e.label = j["label"].get<std::string>();
      e.id = fmt::format("{}:{}", path.filename().string(), number);
      e.line = number;
      examples.push_back(std::move(e));
    }
    return examples;
  }

  std::string name_;
  int k_;
  Bm25Index index_;
  std::vector<std::string> labels_;
  std::string fallback_label_;
};

}  // namespace

std::string vote_label(const std::vector<Bm25Index::Hit>& hits,
                       const std::vector<std::string>& labels) {
  struct Tally {
    double sum = 0;
    std::size_t first_rank = 0;
  };
  std::map<std::string, Tally> tally;
  for (std::size_t i = 0; i < hits.size() && i < labels.size(); ++i) {
    auto [it, inserted] = tally.try_emplace(labels[i], Tally{0, i});
    it->second.sum += hits[i].score;
  }
  const std::string* best = nullptr;
  const Tally* best_tally = nullptr;
  for (const auto& [label, t] : tally) {
    if (!best || t.sum > best_tally->sum ||
        (t.sum == best_tally->sum && t.first_rank < best_tally->first_rank)) {
      best = &label;
      best_tally = &t;
    }
  }
  return best ? *best : std::string();
}

std::unique_ptr<Classifier> make_retrieval_classifier(const ApproachConfig& config) {
  return std::make_unique<RetrievalClassifier>(config);
}

}  // namespace tunecase
