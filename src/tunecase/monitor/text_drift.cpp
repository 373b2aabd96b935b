#include "tunecase/monitor/text_drift.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "tunecase/data/normalize.h"
#include "tunecase/search/tokenize.h"
#include "tunecase/stats/drift.h"

namespace tunecase::monitor {
namespace {

double two_proportion_z(double x1, double n1, double x2, double n2) {
  if (n1 <= 0 || n2 <= 0) return 0;
  double p = (x1 + x2) / (n1 + n2);
  double se = std::sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  return se > 0 ? (x2 / n2 - x1 / n1) / se : 0;
}

// Every `step`-th text so that at most `limit` remain, in order.
std::vector<const std::string*> subsample(const std::vector<std::string>& texts, int64_t limit) {
  std::vector<const std::string*> out;
  auto n = static_cast<int64_t>(texts.size());
  if (n == 0) return out;
  double step = n > limit ? static_cast<double>(n) / static_cast<double>(limit) : 1.0;
  for (double i = 0; static_cast<int64_t>(i) < n && static_cast<int64_t>(out.size()) < limit;
       i += step)
    out.push_back(&texts[static_cast<std::size_t>(i)]);
  return out;
}

constexpr uint32_t kBuckets = 1u << 18;

// Hashed binary unigram + bigram features, L2-normalised: (bucket, value) pairs.
// Adjacent terms make a two-word term unless either is a character pair of a script written
// without spaces: those pairs already overlap, and "新し しい" would name nothing.
bool pairs_with(const Term& a, const Term& b) {
  return !a.piece && !b.piece;
}

std::vector<std::string> term_texts(const std::string& text) {
  std::vector<std::string> out;
  for (Term& t : segmented_terms(text)) out.push_back(std::move(t.text));
  return out;
}

std::vector<std::pair<uint32_t, float>> features(const std::string& text) {
  std::vector<Term> terms = segmented_terms(text);
  std::set<uint32_t> buckets;
  std::hash<std::string> h;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    buckets.insert(static_cast<uint32_t>(h(terms[i].text) % kBuckets));
    if (i + 1 < terms.size() && pairs_with(terms[i], terms[i + 1]))
      buckets.insert(static_cast<uint32_t>(h(terms[i].text + " " + terms[i + 1].text) % kBuckets));
  }
  std::vector<std::pair<uint32_t, float>> out;
  float v = buckets.empty() ? 0.f : 1.f / std::sqrt(static_cast<float>(buckets.size()));
  for (uint32_t b : buckets) out.push_back({b, v});
  return out;
}

using Sparse = std::vector<std::pair<uint32_t, float>>;

double score(const std::vector<float>& w, double bias, const Sparse& x) {
  double s = bias;
  for (const auto& [i, v] : x) s += w[i] * v;
  return s;
}

// Logistic regression by SGD with L2 decay: a few passes over shuffled items.
void train(const std::vector<Sparse>& xs, const std::vector<int>& ys,
           const std::vector<std::size_t>& items, std::vector<float>& w, double& bias,
           std::mt19937_64& rng) {
  std::vector<std::size_t> order = items;
  const double lambda = 1e-4;
  int step = 0;
  for (int epoch = 0; epoch < 5; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    for (std::size_t i : order) {
      double lr = 0.5 / (1 + 0.01 * step++);
      double p = 1 / (1 + std::exp(-score(w, bias, xs[i])));
      double g = p - ys[i];
      for (const auto& [j, v] : xs[i]) w[j] -= static_cast<float>(lr * (g * v + lambda * w[j]));
      bias -= lr * g;
    }
  }
}

std::vector<std::string> terms_of(const std::string& text) {
  std::vector<Term> terms = segmented_terms(text);
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    if (seen.insert(terms[i].text).second) out.push_back(terms[i].text);
    if (i + 1 < terms.size() && pairs_with(terms[i], terms[i + 1])) {
      std::string bigram = terms[i].text + " " + terms[i + 1].text;
      if (seen.insert(bigram).second) out.push_back(bigram);
    }
  }
  return out;
}

// At most the first `max_bytes` bytes of a text, cut between two characters as a reader sees
// them (valid UTF-8 stays valid; an accent stays with its letter).
std::string excerpt(const std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  return text.substr(0, grapheme_cut(text, max_bytes)) + "...";
}

}  // namespace

OovResult oov_shift(const std::vector<std::string>& training,
                    const std::vector<std::string>& reference,
                    const std::vector<std::string>& current) {
  OovResult r;
  std::unordered_set<std::string> vocabulary;
  std::vector<const std::string*> baseline;
  if (!training.empty()) {
    r.vocabulary_source = "training data";
    for (const auto& t : training)
      for (auto& w : term_texts(t)) vocabulary.insert(std::move(w));
    r.vocabulary_texts = static_cast<int64_t>(training.size());
    for (const auto& t : reference) baseline.push_back(&t);
  } else {
    r.vocabulary_source = "first half of the reference window";
    std::size_t half = reference.size() / 2;
    for (std::size_t i = 0; i < half; ++i)
      for (auto& w : term_texts(reference[i])) vocabulary.insert(std::move(w));
    r.vocabulary_texts = static_cast<int64_t>(half);
    for (std::size_t i = half; i < reference.size(); ++i) baseline.push_back(&reference[i]);
  }
  auto count = [&](const std::string& text, int64_t& tokens, int64_t& oov) {
    for (const auto& w : term_texts(text)) {
      ++tokens;
      if (!vocabulary.count(w)) ++oov;
    }
  };
  int64_t base_oov = 0, cur_oov = 0;
  for (const std::string* t : baseline) count(*t, r.baseline_tokens, base_oov);
  for (const auto& t : current) count(t, r.current_tokens, cur_oov);
  if (r.baseline_tokens > 0)
    r.baseline_share = static_cast<double>(base_oov) / static_cast<double>(r.baseline_tokens);
  if (r.current_tokens > 0)
    r.current_share = static_cast<double>(cur_oov) / static_cast<double>(r.current_tokens);
  r.rise = r.current_share - r.baseline_share;
  r.z = two_proportion_z(static_cast<double>(base_oov), static_cast<double>(r.baseline_tokens),
                         static_cast<double>(cur_oov), static_cast<double>(r.current_tokens));
  return r;
}

LengthResult length_shift(const std::vector<std::string>& reference,
                          const std::vector<std::string>& current) {
  LengthResult r;
  auto moments = [](const std::vector<std::string>& texts, double& mean, double& var) {
    std::vector<double> n;
    for (const auto& t : texts) n.push_back(static_cast<double>(segmented_terms(t).size()));
    mean = n.empty() ? 0 : std::accumulate(n.begin(), n.end(), 0.0) / static_cast<double>(n.size());
    var = 0;
    for (double v : n) var += (v - mean) * (v - mean);
    var = n.size() > 1 ? var / static_cast<double>(n.size() - 1) : 0;
  };
  double var_ref = 0, var_cur = 0;
  moments(reference, r.reference_mean, var_ref);
  moments(current, r.current_mean, var_cur);
  r.reference_n = static_cast<int64_t>(reference.size());
  r.current_n = static_cast<int64_t>(current.size());
  if (r.reference_mean > 0) r.relative_change = r.current_mean / r.reference_mean - 1;
  if (r.reference_n > 1 && r.current_n > 1) {
    double se = std::sqrt(var_ref / static_cast<double>(r.reference_n) +
                          var_cur / static_cast<double>(r.current_n));
    r.z = se > 0 ? (r.current_mean - r.reference_mean) / se : 0;
  }
  return r;
}

DomainResult domain_classifier(const std::vector<std::string>& reference,
                               const std::vector<std::string>& current, int64_t max_per_window,
                               uint64_t seed) {
  DomainResult r;
  std::vector<const std::string*> ref = subsample(reference, max_per_window);
  std::vector<const std::string*> cur = subsample(current, max_per_window);
  r.reference_n = static_cast<int64_t>(ref.size());
  r.current_n = static_cast<int64_t>(cur.size());
  if (ref.size() < static_cast<std::size_t>(r.folds) ||
      cur.size() < static_cast<std::size_t>(r.folds))
    return r;
  std::vector<Sparse> xs;
  std::vector<int> ys;
  for (const std::string* t : ref) {
    xs.push_back(features(*t));
    ys.push_back(0);
  }
  for (const std::string* t : cur) {
    xs.push_back(features(*t));
    ys.push_back(1);
  }
  std::mt19937_64 rng(seed);
  std::vector<std::size_t> order(xs.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<double> out_of_fold(xs.size(), 0);
  for (int fold = 0; fold < r.folds; ++fold) {
    std::vector<std::size_t> train_items, test_items;
    for (std::size_t k = 0; k < order.size(); ++k)
      (static_cast<int>(k % static_cast<std::size_t>(r.folds)) == fold ? test_items : train_items)
          .push_back(order[k]);
    std::vector<float> w(kBuckets, 0.f);
    double bias = 0;
    train(xs, ys, train_items, w, bias, rng);
    for (std::size_t i : test_items) out_of_fold[i] = score(w, bias, xs[i]);
  }
  std::vector<double> pos, neg;
  for (std::size_t i = 0; i < xs.size(); ++i) (ys[i] ? pos : neg).push_back(out_of_fold[i]);
  r.auc = roc_auc(pos, neg);
  double n1 = static_cast<double>(pos.size()), n2 = static_cast<double>(neg.size());
  double se0 = std::sqrt((n1 + n2 + 1) / (12 * n1 * n2));
  r.z = (r.auc - 0.5) / se0;
  return r;
}

namespace {

// The one-sided normal tail at z = 5: how unlikely a term's rise must be to be listed.
constexpr double kEmergingP = 2.8665e-7;

// P(X >= c) for X ~ Binomial(k, p): the chance that at least c of a term's k occurrences fall
// in the current window when both windows share one rate (the exact conditional test of two
// Poisson counts). Exact where the z-test is not: a term seen 10 times against once, by chance,
// had z = 5.4 and raised an alarm on unchanged traffic.
double binomial_upper_tail(int64_t c, int64_t k, double p) {
  if (c <= 0) return 1;
  if (c > k) return 0;
  double sum = 0, kk = static_cast<double>(k);
  for (int64_t i = c; i <= k; ++i) {
    double x = static_cast<double>(i);
    double term = std::exp(std::lgamma(kk + 1) - std::lgamma(x + 1) - std::lgamma(kk - x + 1) +
                           x * std::log(p) + (kk - x) * std::log1p(-p));
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return std::min(1.0, sum);
}

}  // namespace

std::vector<EmergingTerm> emerging_terms(const std::vector<std::string>& reference,
                                         const std::vector<std::string>& current, int limit) {
  std::unordered_map<std::string, int64_t> ref_df;
  for (const auto& t : reference)
    for (auto& term : terms_of(t)) ++ref_df[term];
  std::unordered_map<std::string, std::vector<std::size_t>> cur_texts;
  for (std::size_t i = 0; i < current.size(); ++i)
    for (auto& term : terms_of(current[i])) cur_texts[term].push_back(i);
  auto n_ref = static_cast<double>(reference.size());
  auto n_cur = static_cast<double>(current.size());
  std::vector<EmergingTerm> out;
  if (n_ref == 0 || n_cur == 0) return out;
  for (const auto& [term, texts] : cur_texts) {
    auto c = static_cast<int64_t>(texts.size());
    if (c < 10) continue;
    auto it = ref_df.find(term);
    int64_t r = it == ref_df.end() ? 0 : it->second;
    double z = two_proportion_z(static_cast<double>(r), n_ref, static_cast<double>(c), n_cur);
    if (z < 5 || binomial_upper_tail(c, c + r, n_cur / (n_cur + n_ref)) >= kEmergingP) continue;
    double rise = (static_cast<double>(c) / n_cur) / ((static_cast<double>(r) + 0.5) / n_ref);
    EmergingTerm e{term, c, r, rise, z, {}};
    for (std::size_t k = 0; k < texts.size() && k < 2; ++k)
      e.examples.push_back(excerpt(current[texts[k * (texts.size() - 1)]], 160));
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const EmergingTerm& a, const EmergingTerm& b) {
    return a.rise != b.rise ? a.rise > b.rise : a.term < b.term;
  });
  if (static_cast<int>(out.size()) > limit)
    out.resize(static_cast<std::size_t>(std::max(0, limit)));
  return out;
}

}  // namespace tunecase::monitor
