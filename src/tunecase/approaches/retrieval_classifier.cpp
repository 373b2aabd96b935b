#include "tunecase/approaches/retrieval_classifier.h"

#include <chrono>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "tunecase/config/approach_settings.h"
#include "tunecase/core/error.h"

namespace tunecase {
namespace {

// The share of the neighbours' summed scores that voted for `winner` (1 when every score is 0).
double vote_share(const std::vector<Bm25Index::Hit>& hits, const std::vector<std::string>& labels,
                  const std::string& winner) {
  double total = 0, won = 0;
  for (std::size_t i = 0; i < hits.size() && i < labels.size(); ++i) {
    total += hits[i].score;
    if (labels[i] == winner) won += hits[i].score;
  }
  return total > 0 ? won / total : 1.0;
}

constexpr const char* kExamplesFile = "retrieval_train.jsonl";
constexpr const char* kParamsFile = "retrieval.json";

class RetrievalClassifier : public Classifier {
 public:
  explicit RetrievalClassifier(const ApproachConfig& config)
      : name_(config.name), k_(config.retrieval.k), index_(config.retrieval.index) {}

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
      out.label = fallback_label_;  // no neighbour voted: the base rate's guess, with no evidence
      out.confidence = 0.0;
      out.raw = "no-match";
    } else {
      std::vector<std::string> hit_labels;
      for (const auto& h : hits) hit_labels.push_back(index_.examples()[h.index].label);
      out.label = vote_label(hits, hit_labels);
      out.confidence = vote_share(hits, hit_labels, out.label);
      out.raw = fmt::format("{} (best hit {:.3f})", out.label, hits.front().score);
    }
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
    // The saved knobs go through the config's reader, so a hand-edited file is validated too.
    nlohmann::json settings = j;
    settings.erase("labels");
    settings["name"] = name_;
    settings["kind"] = "retrieval";
    *this = RetrievalClassifier(approach_from_json(settings, params_path));
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
