#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tunecase/quality/out_of_fold.h"

namespace tunecase {

// Confident learning (Northcutt, Jiang & Chuang, "Confident Learning: Estimating Uncertainty in
// Dataset Labels", JAIR 2021) on out-of-fold probabilities:
//   threshold t_j = mean out-of-fold probability of class j over the rows labelled j;
//   a row labelled i counts in the confident joint C[i][j*], where j* is the class of highest
//   probability among those with p_j >= t_j (rows with no such class are left out);
//   C's row i is rescaled to the n_i rows labelled i (calibration), and the wrong-label share of
//   label i is its off-diagonal mass, 1 - C[i][i] / sum_j C[i][j].
// The interval is a bootstrap percentile interval over rows (thresholds and joint recomputed on
// each resample, the models held fixed): it covers the estimate's sampling variation, not the
// model's own errors, which confident learning counts as label errors where the model is
// confidently wrong.
// A share with its 95% interval.
struct ShareEstimate {
  double estimate = 0, low = 0, high = 0;
};

struct LabelNoiseByLabel {
  std::string label;
  std::size_t rows = 0;       // rows given this label
  std::size_t judged = 0;     // of them, those whose fold's judge had learnt the label
  std::size_t suspects = 0;   // of them, in the suspect list
  ShareEstimate wrong_share;  // estimated share of these rows whose label is wrong
  double threshold = 0;       // t_j: the mean probability the model gives this label's rows
};

// A row whose given label confident learning doubts: the model is confidently sure of another.
struct SuspectLabel {
  std::size_t row = 0;  // index into the rows the probabilities were computed on
  int given = 0, suggested = 0;
  double confidence = 0;         // out-of-fold probability of the suggested label
  double given_probability = 0;  // out-of-fold probability of the given label
};

struct LabelNoise {
  std::size_t rows = 0;
  // Rows whose given label had no row in the training part of their fold (a label with one row,
  // or all of its rows in one fold): the judge can only find them "wrong", so they are left out
  // of every figure below (their share is assumed to be the others'), of the thresholds and of
  // the suspects, and no row is suggested a label its judge's only evidence for is such a row.
  std::size_t unjudged_rows = 0;
  int folds = 0;
  ShareEstimate wrong_share;  // overall, estimated
  // Measured: the share of the judged rows whose out-of-fold top class is their given label. The
  // judging model's own mistakes and the wrong labels both lower it.
  double judge_accuracy = 0;
  // The same estimate on a stratified half of the rows (inspect_data runs it), when it was run.
  std::optional<double> half_estimate;
  // Which check (model_limit) found the figure to be the judging model's as much as the
  // labels': its confident mistakes are counted as wrong labels, and wrong_share is an upper
  // bound rather than an estimate. none: an estimate.
  enum class Limit {
    none,
    hinges_on_rows,
    exceeds_disagreement,
    few_rows,
    wide_interval
  } limit = Limit::none;
  bool model_limited() const { return limit != Limit::none; }
  double estimated_wrong_rows = 0;  // wrong_share.estimate x rows
  double median_label_rows = 0;     // rows per label, the median over the labels
  std::vector<LabelNoiseByLabel> by_label;
  std::vector<SuspectLabel> suspects;  // most doubtful first: by confidence - given_probability
};

LabelNoise confident_learning(const OutOfFold& oof, uint64_t seed = 7, int bootstrap = 100);

// Confident learning counts a row as mislabelled when the model is confidently sure of another
// class, so a model that is often confidently wrong (few rows per label, many labels) inflates
// the estimate: on 1,500 rows of HWU64 (64 labels, as published) it reads 14.7%, on the whole
// file 3.6% (docs/data-quality.md, PARTS=bound bench/quality.sh). Wrong labels do not thin out as
// rows are added; the model's mistakes do. So the figure is read as an upper bound when either
//   - the estimate on a stratified half of the rows (3 folds there: each judge trains on a
//     third of the rows, against four fifths in the full 5-fold run) exceeds it by more than 3
//     points and by more than half the width of its own 95% interval (it hinges on the amount
//     of data), or
//   - even the low end of its interval exceeds the share of rows whose out-of-fold top class
//     is not their given label (it calls more labels wrong than the model even disagrees
//     with; with a model that learns the texts the two are about equal).
// A third check comes first: when the median label has fewer than kFewLabelRows rows, each
// fold's judge sees at most a few rows of most labels (none at all of a label with one row, so
// it can never name that label), and the figure is read as an upper bound whatever it is (at 7
// rows a label, correctly labelled tickets had read 12.5% to 60.1% as estimates).
// A fourth: a 95% interval over kWideNoiseInterval wide whose low end is under
// kNoiseFlagShare (the share the memo names as a risk) says the rows cannot even tell whether
// there are wrong labels to speak of; with so few rows the judging model is weak and the half-
// train check is noise itself (40 correct rows had read 12.5%, 0.0% to 51.4%, as an estimate).
// docs/data-quality.md has the measurements behind the rule.
inline constexpr double kFewLabelRows = 10;
// Up to 2 x kFewLabelRows rows a label, a judge that agrees with fewer than this share of the
// labels reads as too few rows too.
inline constexpr double kWeakJudge = 0.6;
inline constexpr double kWideNoiseInterval = 0.25;
inline constexpr double kNoiseFlagShare = 0.05;
LabelNoise::Limit model_limit(const LabelNoise& noise, std::optional<double> half);
LabelNoise::Limit model_limit(const ShareEstimate& full, double half, double judge_accuracy);
bool model_limited_estimate(const ShareEstimate& full, double half, double judge_accuracy);
// Why a model-limited figure is only an upper bound, in words that finish "an upper bound,
// because ..." (data.json's bound_reason; the memo and checklist quote it). Empty otherwise.
std::string bound_reason(const LabelNoise& n);
// data.json's label_noise.model_limited_by: "hinges_on_rows", "exceeds_disagreement",
// "few_rows", "wide_interval" ("" for none).
const char* limit_name(LabelNoise::Limit limit);

// Rows of a stratified half: ceil(n/2) of each label's rows, drawn with `seed` (indices into
// `given`, ascending).
std::vector<std::size_t> stratified_half(const std::vector<int>& given, uint64_t seed);

}  // namespace tunecase
