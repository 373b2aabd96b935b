#include "tunecase/quality/out_of_fold.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <random>

#include <fmt/format.h>

#include "tunecase/approaches/liblinear_ovr.h"
#include "tunecase/core/error.h"

namespace tunecase {
namespace {

std::vector<int> stratified_folds(const std::vector<int>& given, std::size_t classes, int folds,
                                  uint64_t seed, const std::vector<std::size_t>& groups) {
  // A group is dealt as one, under the label of its first row (the rows are in order), unless it
  // is so large beside its label's rows (a templated ticket chained into one cluster) that
  // holding it out whole would leave too little of its label to train on: then row by row.
  std::vector<std::size_t> group_of(given.size());
  std::iota(group_of.begin(), group_of.end(), 0);
  if (groups.size() == given.size()) {
    std::map<std::size_t, std::size_t> size;
    std::vector<std::size_t> class_rows(classes, 0);
    for (std::size_t i = 0; i < given.size(); ++i) {
      ++size[groups[i]];
      ++class_rows[static_cast<std::size_t>(given[i])];
    }
    for (std::size_t i = 0; i < given.size(); ++i) {
      std::size_t label_rows = class_rows[static_cast<std::size_t>(given[i])];
      if (size[groups[i]] * 2 * static_cast<std::size_t>(folds) <= label_rows)
        group_of[i] = given.size() + groups[i];  // apart from the row ids
    }
  }
  std::map<std::size_t, std::vector<std::size_t>> members_of;
  std::vector<std::vector<std::size_t>> by_class(classes);
  for (std::size_t i = 0; i < given.size(); ++i) {
    std::size_t group = group_of[i];
    auto& members = members_of[group];
    if (members.empty()) by_class[static_cast<std::size_t>(given[i])].push_back(group);
    members.push_back(i);
  }
  std::mt19937_64 rng(seed);
  std::vector<int> fold(given.size());
  int next = 0;  // continue dealing where the last class stopped, so small classes spread out
  for (auto& class_groups : by_class) {
    std::shuffle(class_groups.begin(), class_groups.end(), rng);
    for (std::size_t group : class_groups) {
      for (std::size_t i : members_of[group]) fold[i] = next;
      next = (next + 1) % folds;
    }
  }
  return fold;
}

}  // namespace

OutOfFold out_of_fold_probabilities(const Examples& rows, const OutOfFoldOptions& options) {
  OutOfFold out;
  std::map<std::string, int> ids;
  for (const auto& e : rows) ids.emplace(e.label, 0);
  if (rows.size() < 2 || ids.size() < 2) {
    throw UserError(fmt::format(
        "label noise needs at least 2 labelled train rows and 2 labels (got {} rows, {} labels); "
        "add labelled rows",
        rows.size(), ids.size()));
  }
  for (auto& [label, id] : ids) {
    id = static_cast<int>(out.classes.size());
    out.classes.push_back(label);
  }
  out.given.reserve(rows.size());
  for (const auto& e : rows) out.given.push_back(ids.at(e.label));
  const int folds = std::clamp(options.folds, 2, static_cast<int>(rows.size()));
  out.fold = stratified_folds(out.given, out.classes.size(), folds, options.seed, options.groups);

  silence_liblinear();
  TfidfVectorizer vectorizer(options.tfidf);
  std::vector<std::string_view> texts;
  texts.reserve(rows.size());
  for (const auto& e : rows) texts.emplace_back(e.text);
  vectorizer.fit(texts);
  const int bias_index = static_cast<int>(vectorizer.size()) + 1;
  SparseRows matrix;
  std::vector<TfidfFeature> features;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    vectorizer.transform(rows[i].text, features);
    matrix.add(features, bias_index);
    matrix.y.push_back(out.given[i]);
  }

  const std::size_t K = out.classes.size();
  out.probabilities.assign(rows.size() * K, 0.0f);
  std::vector<double> scores(K);
  for (int f = 0; f < folds; ++f) {
    std::vector<feature_node*> x;
    std::vector<double> y;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (out.fold[i] == f) continue;
      x.push_back(matrix.rows[i]);
      y.push_back(matrix.y[i]);
    }
    if (x.empty()) continue;
    problem prob{};
    prob.l = static_cast<int>(x.size());
    prob.n = bias_index;
    prob.y = y.data();
    prob.x = x.data();
    prob.bias = 1;
    parameter param{};
    param.solver_type = L2R_LR_DUAL;
    param.C = options.C;
    param.eps = 0.1;
    // Each class's solver draws from its own seeded rand() (liblinear_ovr.h), so the folds'
    // models, and the report, are the same on every run and for any number of threads.
    const unsigned seed = static_cast<unsigned>(options.seed) + static_cast<unsigned>(f) * 1000u;
    LiblinearModel m(train_one_vs_rest(prob, param, options.threads, seed));
    const int nr_class = get_nr_class(m.get());
    std::vector<int> model_labels(static_cast<std::size_t>(nr_class));
    get_labels(m.get(), model_labels.data());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (out.fold[i] != f) continue;
      float* p = out.probabilities.data() + i * K;
      if (nr_class == 1) {
        p[model_labels[0]] = 1.0f;
        continue;
      }
      predict_probability(m.get(), matrix.rows[i], scores.data());
      double sum = 0;
      for (int c = 0; c < nr_class; ++c) sum += scores[static_cast<std::size_t>(c)];
      for (int c = 0; c < nr_class; ++c)
        p[model_labels[static_cast<std::size_t>(c)]] =
            static_cast<float>(scores[static_cast<std::size_t>(c)] / (sum > 0 ? sum : 1));
    }
    if (options.on_fold) options.on_fold(f + 1, folds);
  }
  return out;
}

}  // namespace tunecase
