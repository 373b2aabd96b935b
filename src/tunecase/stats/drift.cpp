#include "tunecase/stats/drift.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "tunecase/stats/sample_ratio.h"

namespace tunecase {
namespace {

std::set<std::string> categories(const std::map<std::string, int64_t>& a,
                                 const std::map<std::string, int64_t>& b) {
  std::set<std::string> out;
  for (const auto& [k, n] : a)
    if (n > 0) out.insert(k);
  for (const auto& [k, n] : b)
    if (n > 0) out.insert(k);
  return out;
}

int64_t count_of(const std::map<std::string, int64_t>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : std::max<int64_t>(0, it->second);
}

double total(const std::map<std::string, int64_t>& m) {
  double t = 0;
  for (const auto& [k, n] : m) t += static_cast<double>(std::max<int64_t>(0, n));
  return t;
}

}  // namespace

double population_stability_index(const std::map<std::string, int64_t>& reference,
                                  const std::map<std::string, int64_t>& current) {
  std::set<std::string> cats = categories(reference, current);
  if (total(reference) == 0 || total(current) == 0) return 0;
  double smooth = 0.5;
  double ref_total = total(reference) + smooth * static_cast<double>(cats.size());
  double cur_total = total(current) + smooth * static_cast<double>(cats.size());
  double psi = 0;
  for (const std::string& c : cats) {
    double p = (static_cast<double>(count_of(reference, c)) + smooth) / ref_total;
    double q = (static_cast<double>(count_of(current, c)) + smooth) / cur_total;
    psi += (q - p) * std::log(q / p);
  }
  return psi;
}

ChiSquareResult chi_square_homogeneity(const std::map<std::string, int64_t>& reference,
                                       const std::map<std::string, int64_t>& current) {
  ChiSquareResult r;
  std::set<std::string> cats = categories(reference, current);
  double n1 = total(reference), n2 = total(current);
  if (n1 == 0 || n2 == 0 || cats.size() < 2) return r;
  double n = n1 + n2;
  for (const std::string& c : cats) {
    double a = static_cast<double>(count_of(reference, c));
    double b = static_cast<double>(count_of(current, c));
    double col = a + b;
    double ea = n1 * col / n, eb = n2 * col / n;
    r.statistic += (a - ea) * (a - ea) / ea + (b - eb) * (b - eb) / eb;
  }
  r.df = static_cast<int>(cats.size()) - 1;
  r.p_value = chi_square_upper_tail(r.statistic, r.df);
  return r;
}

double roc_auc(const std::vector<double>& positive_scores,
               const std::vector<double>& negative_scores) {
  if (positive_scores.empty() || negative_scores.empty()) return 0.5;
  // Rank-sum form: sort all scores once, average ranks over ties.
  std::vector<std::pair<double, bool>> all;
  all.reserve(positive_scores.size() + negative_scores.size());
  for (double s : positive_scores) all.push_back({s, true});
  for (double s : negative_scores) all.push_back({s, false});
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  double rank_sum = 0;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) ++j;
    double rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (std::size_t k = i; k < j; ++k)
      if (all[k].second) rank_sum += rank;
    i = j;
  }
  double np = static_cast<double>(positive_scores.size());
  double nn = static_cast<double>(negative_scores.size());
  return (rank_sum - np * (np + 1) / 2.0) / (np * nn);
}

}  // namespace tunecase
