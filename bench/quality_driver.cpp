// Measurements of the data-quality report (docs/data-quality.md):
//   quality_driver --speed N       inspect on N generated tickets (80/10/10 split), timed against
//                                  one train of the linear approach on the same train split
//   quality_driver --flips FILE --label COL --rate R [--seeds S] [--folds K]
//                                  flips a share R of FILE's labels to another label at random
//                                  (seeded), runs the k-fold models and confident learning, and
//                                  prints the noise estimate against the truth and the precision
//                                  and recall of the suspect list against the flipped rows
#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>

#include <fmt/format.h>

#include "tunecase/approaches/linear_classifier.h"
#include "tunecase/config/config.h"
#include "tunecase/data/dedup.h"
#include "tunecase/data/prepare.h"
#include "tunecase/data/reader.h"
#include "tunecase/data/split.h"
#include "tunecase/data/synthetic.h"
#include "tunecase/quality/inspect.h"
#include "tunecase/quality/label_noise.h"
#include "tunecase/quality/out_of_fold.h"

namespace {

using namespace tunecase;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int speed(std::size_t tickets) {
  SyntheticOptions options;
  options.tickets = tickets;
  Examples all;
  std::set<std::string> noisy;  // ids of tickets whose label the generator replaced
  for (const auto& t : generate_tickets(options)) {
    if (t.noisy_label) noisy.insert(t.id);
    Example e;
    e.text = t.text;
    e.label = t.category;
    e.id = t.id;
    all.push_back(std::move(e));
  }
  PreparedData data;
  auto start = Clock::now();
  data.summary.rows = all.size();
  DedupResult dedup = deduplicate(all);
  data.summary.duplicates_removed = dedup.duplicates_removed;
  data.splits = split_examples(std::move(all), SplitOptions{"stratified", 0.1, 0.1, 7});
  double prepare_s = seconds_since(start);

  start = Clock::now();
  auto linear = make_linear_classifier(default_approach("linear", "linear"));
  std::vector<std::string> labels;
  for (const auto& [label, n] : [&] {
         std::map<std::string, int> m;
         for (const auto& e : data.splits.train) ++m[e.label];
         return m;
       }())
    labels.push_back(label);
  linear->train(data.splits.train, {}, labels);
  double baseline_s = seconds_since(start);

  start = Clock::now();
  InspectOptions inspect;
  DataQuality q = inspect_data(data, inspect);
  double inspect_s = seconds_since(start);

  start = Clock::now();
  inspect.label_noise = false;
  inspect_data(data, inspect);
  double without_noise_s = seconds_since(start);
  std::size_t train_noisy = 0, hits = 0;
  for (const auto& e : data.splits.train) train_noisy += noisy.count(e.id);
  for (const auto& suspect : q.suspects) hits += noisy.count(suspect.id);
  fmt::print(
      "rows {} (train {}, dev {}, test {}), labels {}\n"
      "de-duplicate + split: {:.2f} s\n"
      "baseline, one linear train on train: {:.2f} s\n"
      "inspect (all checks, {}-fold label noise): {:.2f} s = {:.1f}x the baseline\n"
      "inspect without label noise: {:.2f} s = {:.2f}x the baseline\n"
      "estimated wrong labels {:.1f}% [{:.1f}%, {:.1f}%]; the generator replaced {:.1f}% of the "
      "train labels\n"
      "suspects {}: precision {:.2f}, recall {:.2f} against the replaced labels\n",
      tickets, data.splits.train.size(), data.splits.dev.size(), data.splits.test.size(),
      labels.size(), prepare_s, baseline_s, inspect.folds, inspect_s, inspect_s / baseline_s,
      without_noise_s, without_noise_s / baseline_s, 100 * q.noise->wrong_share.estimate,
      100 * q.noise->wrong_share.low, 100 * q.noise->wrong_share.high,
      100.0 * static_cast<double>(train_noisy) / static_cast<double>(data.splits.train.size()),
      q.suspects.size(),
      q.suspects.empty() ? 0.0 : static_cast<double>(hits) / static_cast<double>(q.suspects.size()),
      train_noisy == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(train_noisy));
  return 0;
}

int flips(const std::string& file, const std::string& label_column, double rate, int seeds,
          int folds) {
  ReadOptions read;
  read.label_column = label_column;
  Examples clean = read_examples(file, read).labelled;
  std::vector<std::string> labels;
  {
    std::map<std::string, int> m;
    for (const auto& e : clean) ++m[e.label];
    for (const auto& [l, n] : m) labels.push_back(l);
  }
  fmt::print(
      "seed,rows,true_rate,estimate,ci_low,ci_high,covered,suspects,precision,recall,seconds\n");
  for (int seed = 1; seed <= seeds; ++seed) {
    Examples rows = clean;
    std::mt19937_64 rng(static_cast<uint64_t>(seed));
    std::bernoulli_distribution flip(rate);
    std::uniform_int_distribution<std::size_t> pick(0, labels.size() - 1);
    std::vector<bool> flipped(rows.size(), false);
    std::size_t n_flipped = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (!flip(rng)) continue;
      std::string to = rows[i].label;
      while (to == rows[i].label) to = labels[pick(rng)];
      rows[i].label = to;
      flipped[i] = true;
      ++n_flipped;
    }
    auto start = Clock::now();
    OutOfFoldOptions options;
    options.seed = static_cast<uint64_t>(seed);
    options.folds = folds;
    LabelNoise noise = confident_learning(out_of_fold_probabilities(rows, options));
    double s = seconds_since(start);
    std::size_t hits = 0;
    for (const auto& suspect : noise.suspects) hits += flipped[suspect.row];
    double truth = static_cast<double>(n_flipped) / static_cast<double>(rows.size());
    fmt::print("{},{},{:.4f},{:.4f},{:.4f},{:.4f},{},{},{:.3f},{:.3f},{:.2f}\n", seed, rows.size(),
               truth, noise.wrong_share.estimate, noise.wrong_share.low, noise.wrong_share.high,
               noise.wrong_share.low <= truth && truth <= noise.wrong_share.high ? 1 : 0,
               noise.suspects.size(),
               noise.suspects.empty() ? 0.0 : static_cast<double>(hits) / noise.suspects.size(),
               n_flipped == 0 ? 0.0 : static_cast<double>(hits) / n_flipped, s);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "--speed" && argc == 3) return speed(std::stoul(argv[2]));
    if (mode == "--flips" && argc >= 7) {
      std::string file = argv[2];
      std::string label = "label";
      double rate = 0.05;
      int seeds = 3;
      int folds = 5;
      for (int i = 3; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        if (flag == "--label") label = argv[i + 1];
        if (flag == "--rate") rate = std::stod(argv[i + 1]);
        if (flag == "--seeds") seeds = std::stoi(argv[i + 1]);
        if (flag == "--folds") folds = std::stoi(argv[i + 1]);
      }
      return flips(file, label, rate, seeds, folds);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  }
  fmt::print(stderr,
             "usage: quality_driver --speed N\n"
             "       quality_driver --flips FILE --label COL --rate R [--seeds S] [--folds K]\n");
  return 2;
}
