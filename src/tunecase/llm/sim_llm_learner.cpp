#include "tunecase/llm/sim_llm_learner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "tunecase/core/hash.h"
#include "tunecase/search/tokenize.h"

namespace tunecase {
namespace {

const std::set<std::string, std::less<>>& stop_words() {
  static const std::set<std::string, std::less<>> words = {
      "a",      "an",    "and",   "are",  "as",   "at",    "be",     "been",   "but",
      "by",     "can",   "do",    "for",  "from", "had",   "has",    "have",   "i",
      "if",     "in",    "is",    "it",   "its",  "me",    "my",     "no",     "not",
      "of",     "on",    "or",    "our",  "so",   "that",  "the",    "this",   "to",
      "was",    "we",    "were",  "what", "when", "which", "will",   "with",   "you",
      "your",   "am",    "about", "any",  "did",  "get",   "got",    "how",    "just",
      "please", "there", "they",  "them", "then", "would", "could",  "should", "all",
      "also",   "one",   "it's",  "i'm",  "hi",   "hello", "thanks", "thank"};
  return words;
}

bool is_vowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

// Drops a doubled final consonant left by suffix removal ("shipp" -> "ship").
void undouble(std::string& w) {
  auto n = w.size();
  if (n >= 3 && w[n - 1] == w[n - 2] && !is_vowel(w[n - 1]) && w[n - 1] != 'l' && w[n - 1] != 's')
    w.pop_back();
}

std::string stem(std::string w) {
  if (w.size() > 5 && w.ends_with("ing")) {
    w.resize(w.size() - 3);
    undouble(w);
  } else if (w.size() > 4 && w.ends_with("ied")) {
    w.replace(w.size() - 3, 3, "y");
  } else if (w.size() > 4 && w.ends_with("ed")) {
    w.resize(w.size() - 2);
    undouble(w);
  } else if (w.size() > 4 && w.ends_with("ies")) {
    w.replace(w.size() - 3, 3, "y");
  } else if (w.size() > 3 && w.ends_with('s') && !w.ends_with("ss")) {
    w.pop_back();
  }
  if (w.size() > 3 && w.ends_with('e')) w.pop_back();
  return w;
}

struct Scored {
  std::string label;
  double score;
};

// The best label; ties (within 1e-9) go to a hash-of-query pick among the tied.
std::string pick(const std::vector<Scored>& scores, const std::string& query) {
  double best = -1;
  for (const auto& s : scores) best = std::max(best, s.score);
  std::vector<std::string> tied;
  for (const auto& s : scores)
    if (s.score >= best - 1e-9) tied.push_back(s.label);
  if (tied.empty()) return "";
  // Mixed first: FNV-1a's lowest bit is the parity of the text's odd bytes, so between two labels
  // a tie had followed the text's length, not spread over them.
  return tied[mix64(fnv1a64(query)) % tied.size()];
}

std::string quoted_list(const std::vector<std::string>& words, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < words.size() && i < limit; ++i)
    out += fmt::format("{}'{}'", i ? ", " : "", words[i]);
  return out;
}

struct ZeroShotEvidence {
  std::vector<double> scores;                               // per prompt label
  std::map<std::string, std::vector<std::string>> matched;  // label -> query words it matched
};

ZeroShotEvidence zero_shot(const SimPrompt& prompt, const std::vector<std::string>& query_terms,
                           bool read_descriptions) {
  std::vector<std::set<std::string>> name_terms, description_terms;
  std::map<std::string, int> label_frequency;
  for (const auto& label : prompt.labels) {
    auto name = learner_terms(label);
    auto it = prompt.descriptions.find(label);
    auto description = it == prompt.descriptions.end() || !read_descriptions
                           ? std::vector<std::string>{}
                           : learner_terms(it->second);
    name_terms.emplace_back(name.begin(), name.end());
    description_terms.emplace_back(description.begin(), description.end());
    std::set<std::string> all(name.begin(), name.end());
    all.insert(description.begin(), description.end());
    for (const auto& t : all) ++label_frequency[t];
  }
  std::set<std::string> distinct(query_terms.begin(), query_terms.end());
  ZeroShotEvidence evidence;
  double labels = static_cast<double>(prompt.labels.size());
  for (std::size_t i = 0; i < prompt.labels.size(); ++i) {
    double score = 0;
    for (const auto& term : distinct) {
      double weight = name_terms[i].count(term) ? 2.0 : description_terms[i].count(term) ? 1.0 : 0;
      if (weight == 0) continue;
      score += weight * std::log(1.0 + labels / label_frequency[term]);
      evidence.matched[prompt.labels[i]].push_back(term);
    }
    evidence.scores.push_back(score);
  }
  return evidence;
}

struct Neighbour {
  std::size_t index;
  double score;
};

// BM25 (Robertson/Sparck Jones): idf = ln(1 + (N - df + 0.5) / (df + 0.5)),
// tf part = tf (k1 + 1) / (tf + k1 (1 - b + b |d| / avgdl)).
std::vector<Neighbour> nearest(const std::vector<const SimExample*>& examples,
                               const std::vector<std::string>& query_terms, std::size_t k) {
  constexpr double k1 = 1.2, b = 0.75;
  std::vector<std::unordered_map<std::string, int>> tf(examples.size());
  std::unordered_map<std::string, int> df;
  std::vector<double> length(examples.size());
  double total = 0;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    for (const auto& t : learner_terms(examples[i]->text)) ++tf[i][t];
    for (const auto& [term, count] : tf[i]) ++df[term], length[i] += count;
    total += length[i];
  }
  double n = static_cast<double>(examples.size());
  double average = std::max(1.0, total / std::max(1.0, n));
  std::set<std::string> distinct(query_terms.begin(), query_terms.end());
  std::vector<Neighbour> hits;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    double score = 0;
    for (const auto& term : distinct) {
      auto it = tf[i].find(term);
      if (it == tf[i].end()) continue;
      double idf = std::log(1.0 + (n - df[term] + 0.5) / (df[term] + 0.5));
      double f = it->second;
      score += idf * f * (k1 + 1) / (f + k1 * (1 - b + b * length[i] / average));
    }
    if (score > 0) hits.push_back({i, score});
  }
  std::stable_sort(hits.begin(), hits.end(),
                   [](const Neighbour& x, const Neighbour& y) { return x.score > y.score; });
  if (hits.size() > k) hits.resize(k);
  return hits;
}

}  // namespace

std::vector<std::string> learner_terms(const std::string& text) {
  std::vector<std::string> terms;
  for (auto& token : word_tokens(text)) {
    if (stop_words().count(token)) continue;
    terms.push_back(stem(std::move(token)));
  }
  return terms;
}

bool is_small_model(const std::string& name) {
  std::string lower;
  for (char c : name)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (const char* word : {"mini", "small", "nano", "tiny"})
    if (lower.find(word) != std::string::npos) return true;
  return false;
}

SimDecision decide(const SimPrompt& prompt) {
  return decide(prompt, SimModel{});
}

SimDecision decide(const SimPrompt& prompt, const SimModel& model) {
  const bool small = is_small_model(model.name);
  auto query_terms = learner_terms(prompt.query);
  std::vector<const SimExample*> usable;
  for (const auto& e : prompt.examples)
    if (std::find(prompt.labels.begin(), prompt.labels.end(), e.label) != prompt.labels.end())
      usable.push_back(&e);
  const std::size_t k = small ? 1 : 3;
  auto hits = nearest(usable, query_terms, k);
  ZeroShotEvidence zero = zero_shot(prompt, query_terms, !small);

  std::map<std::string, double> votes;
  double vote_total = 0, zero_total = 0;
  for (const auto& hit : hits)
    votes[usable[hit.index]->label] += hit.score, vote_total += hit.score;
  for (double z : zero.scores) zero_total += z;
  // A voting slot no example shares a word for abstains: one weak neighbour is weaker evidence
  // than three.
  const double slots = static_cast<double>(hits.size()) / static_cast<double>(k);
  std::vector<Scored> scores;
  double best = 0;
  for (std::size_t i = 0; i < prompt.labels.size(); ++i) {
    const auto& label = prompt.labels[i];
    double score = (zero_total > 0 ? zero.scores[i] / zero_total : 0) +
                   (vote_total > 0 ? votes[label] / vote_total * slots : 0);
    scores.push_back({label, score});
    best = std::max(best, score);
  }
  if (model.temperature > 0 && best > 0) {
    for (auto& s : scores) {
      uint64_t h = fnv1a64(fmt::format("{}\x1f{}\x1f{}", model.seed, prompt.query, s.label));
      s.score += model.temperature * best * static_cast<double>(h >> 11) * 0x1.0p-53;
    }
  }
  SimDecision decision;
  decision.from_examples = !hits.empty();
  decision.label = pick(scores, prompt.query);
  double total = 0, chosen = 0;
  for (const auto& s : scores) {
    total += std::max(0.0, s.score);
    if (s.label == decision.label) chosen = std::max(0.0, s.score);
  }
  decision.probability = total > 0
                             ? chosen / total
                             : 1.0 / static_cast<double>(std::max<std::size_t>(1, scores.size()));
  if (hits.empty()) {
    const auto& words = zero.matched[decision.label];
    decision.reasoning =
        words.empty()
            ? fmt::format("No word of the text matches any label; {} is a guess.", decision.label)
            : fmt::format("The text mentions {}, which match the label {}.", quoted_list(words, 4),
                          decision.label);
    return decision;
  }
  std::size_t agreeing = 0;
  for (const auto& hit : hits) agreeing += usable[hit.index]->label == decision.label;
  decision.reasoning = fmt::format(
      "{} of the {} most similar examples in the prompt are labelled {}, so the text is {}.",
      agreeing, hits.size(), decision.label, decision.label);
  return decision;
}

}  // namespace tunecase
