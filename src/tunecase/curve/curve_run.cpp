#include "tunecase/curve/curve_run.h"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "tunecase/approaches/registry.h"
#include "tunecase/config/measured_settings.h"
#include "tunecase/core/error.h"
#include "tunecase/core/number_format.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/curve/curve_fit.h"
#include "tunecase/curve/curve_report.h"
#include "tunecase/data/majority.h"
#include "tunecase/data/prepare.h"
#include "tunecase/data/subsample.h"
#include "tunecase/finetune/finetune_run.h"
#include "tunecase/finetune/training_file.h"
#include "tunecase/runner/budget.h"
#include "tunecase/runner/llm_runner.h"
#include "tunecase/stats/proportion.h"

namespace tunecase {
namespace {

// A size's runs: one for all of train (the same for every seed), else one per seed.
int runs_at(std::size_t n, const Examples& train, int seeds) {
  return n == train.size() ? 1 : seeds;
}

// The train set of a size's run for seed `s`: its seeded subsample, or all of train in its own
// order, as eval trains on it (a retrieval prompt breaks ties between equally near examples by
// their order, so the stratified order had given other prompts than eval's, and another figure
// for the same train split). The estimate reads the same sets, so that its cache lookups find
// the runs' own prompts.
Examples run_train(const Examples& train, const std::vector<std::vector<std::size_t>>& orders,
                   int s, std::size_t n) {
  return n == train.size() ? train : subsample(train, orders[static_cast<std::size_t>(s)], n);
}

[[noreturn]] void fail(const ProjectConfig& config, const std::string& what) {
  throw UserError(fmt::format("{}: [curve] {}", config.curve.where, what));
}

bool is_retrieval_prompt(const ApproachConfig& a) {
  return a.is_llm() && a.llm.prompt == "retrieval_few_shot";
}

std::vector<ApproachConfig> default_approaches(const ProjectConfig& config) {
  std::vector<ApproachConfig> out;
  for (const auto& a : config.approaches)
    if (a.is_local() || is_retrieval_prompt(a)) out.push_back(a);
  bool any_local =
      std::any_of(out.begin(), out.end(), [](const ApproachConfig& a) { return a.is_local(); });
  if (!any_local) {
    auto local = default_local_approaches();
    out.insert(out.begin(), local.begin(), local.end());
  }
  return out;
}

struct Tally {
  std::size_t correct = 0, n = 0;
  // Of n, the items whose request failed after its retries: scored wrong, as eval scores them,
  // and said (a flaky endpoint had made a ceiling or a learning effect with no word).
  std::size_t errors = 0;
  bool simulated = false;  // answered by sim-llm, the offline stand-in
  bool cut = false;        // the spend cap stopped it before every test item was scored
};

// Why a size has no point: every run of it was cut short by the spend cap (or not started).
constexpr const char* kCutByBudget =
    "the spend cap (--max-cost) was reached before this size was scored on every test item";

// Scores one approach trained (or prompted) with `pool` as its labelled data.
Tally score(const ApproachConfig& a, const ProjectConfig& config, const Examples& pool,
            const Examples& test, const std::vector<std::string>& labels,
            const CurveOptions& options, HttpClient* client, std::optional<double>& budget_left,
            CommandSpendGate& gate, std::ostream& log) {
  Tally t;
  if (a.is_local()) {
    auto classifier = make_classifier(a);
    // No dev: every size trains with the approach's configured settings, so the curve shows the
    // effect of labels alone (and a per-size search on dev, e.g. fastText's, would take minutes).
    classifier->train(pool, Examples{}, labels);
    for (const auto& e : test) t.correct += classifier->classify(e.text).label == e.label;
    t.n = test.size();
    return t;
  }
  LlmRunOptions run;
  run.concurrency = options.concurrency;
  run.assume_yes = options.assume_yes;
  run.cache_file = resolve_cache_file(options.cache, config.file);
  run.progress = false;
  run.max_cost_usd = budget_left;
  gate.prepare(run);
  // With --yes the runner's estimate line of each run is noise; without it the line stays
  // visible, since a run the gate asks about asks there.
  std::ostringstream quiet;
  LlmRunResult r = run_llm_approach(a, config, pool, test, labels, run, *client,
                                    options.assume_yes ? quiet : log);
  gate.add_spent(r.spent_usd);
  gate.add_answers(r.cache_hits, r.requests_sent);
  t.simulated = r.simulated;
  if (budget_left) *budget_left = std::max(0.0, *budget_left - r.spent_usd);
  for (std::size_t i = 0; i < test.size(); ++i) {
    if (r.predictions[i].error && r.stopped_by_budget) {
      t.cut = true;  // a run on part of the test split is not a point beside the others
      continue;
    }
    ++t.n;
    t.errors += r.predictions[i].error.has_value();
    t.correct += r.predictions[i].label == test[i].label;
  }
  return t;
}

// Student's t, two-sided 95%, for `df` degrees of freedom (1 to 30; the normal's beyond).
double t95(std::size_t df) {
  static constexpr double kT[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                                  2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                                  2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                                  2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
  return df >= 1 && df <= std::size(kT) ? kT[df - 1] : kZ95;
}

nlohmann::json size_json(std::size_t labels, const std::vector<Tally>& runs) {
  std::vector<double> acc;
  std::size_t correct = 0, n = 0, test_items = 0, errors = 0;
  for (const auto& t : runs) {
    if (t.n == 0) continue;
    errors += t.errors;
    acc.push_back(static_cast<double>(t.correct) / static_cast<double>(t.n));
    correct += t.correct, n += t.n;
    test_items = std::max(test_items, t.n);
  }
  double mean = 0, var = 0;
  for (double x : acc) mean += x / static_cast<double>(acc.size());
  for (double x : acc) var += (x - mean) * (x - mean);
  // Sample standard deviation over seeds: sqrt(sum (x - mean)^2 / (k - 1)).
  double sd = acc.size() > 1 ? std::sqrt(var / static_cast<double>(acc.size() - 1)) : 0.0;
  // The interval of the mean: every seed is scored on the same test items, so the seeds add no
  // test evidence (a Wilson interval of their pooled count had counted each item k times, and
  // left out two of three runs); the test split's error (Wilson on its items) and the seeds'
  // spread (t * sd / sqrt(k)) add in quadrature.
  Interval wilson = wilson_interval(
      static_cast<std::size_t>(std::lround(mean * static_cast<double>(test_items))), test_items);
  const double seeds =
      acc.size() > 1 ? t95(acc.size() - 1) * sd / std::sqrt(static_cast<double>(acc.size())) : 0.0;
  const double lo = std::max(0.0, mean - std::hypot(mean - wilson.lo, seeds));
  const double hi = std::min(1.0, mean + std::hypot(wilson.hi - mean, seeds));
  return {{"labels", labels},
          {"runs", acc.size()},
          {"accuracies", acc},
          {"mean_accuracy", mean},
          {"min", acc.empty() ? 0 : *std::min_element(acc.begin(), acc.end())},
          {"max", acc.empty() ? 0 : *std::max_element(acc.begin(), acc.end())},
          {"std", sd},
          {"accuracy_ci95", {lo, hi}},
          {"accuracy_ci95_method",
           fmt::format("Wilson on the {} test items every run shares, widened by the spread of "
                       "the {} runs (t * sd / sqrt(runs)) in quadrature",
                       test_items, acc.size())},
          {"pooled_correct", correct},
          {"pooled_n", n},
          {"errors", errors}};
}

// The mean accuracy measured at `labels` among a curve's points (size_json), if it was measured.
std::optional<double> mean_at(const nlohmann::json& points, std::size_t labels) {
  for (const auto& p : points)
    if (p.value("labels", std::size_t{0}) == labels && p.contains("mean_accuracy"))
      return p["mean_accuracy"].get<double>();
  return std::nullopt;
}

// `measured_at_train`: the mean accuracy measured with all of train, which a projection to more
// labels should not fall below.
// A fit's warnings run on in one text: `text` is added after any it has.
void add_warning(nlohmann::json& fit, const std::string& text) {
  fit["warning"] = fit.contains("warning") ? fit["warning"].get<std::string>() + " " + text : text;
}

// Under half a point of accuracy per doubling of the labels between the two largest sizes: the
// measured points level off, whatever the fit's ceiling.
constexpr double kLevelledPerDoubling = 0.005;

}  // namespace

void note_sizes_at_majority_floor(nlohmann::json& approach, std::size_t train_size,
                                  const std::string& label, double majority) {
  auto at_train = mean_at(approach["points"], train_size);
  if (!at_train || *at_train <= majority + 1e-9) return;  // majority_only says it
  std::vector<std::string> floored;
  nlohmann::json sizes = nlohmann::json::array();
  for (const auto& p : approach["points"])
    if (p.contains("mean_accuracy") && p["mean_accuracy"].get<double>() <= majority + 1e-9) {
      floored.push_back(p["labels"].dump());
      sizes.push_back(p["labels"]);
    }
  if (floored.empty()) return;
  nlohmann::json& fit = approach["fit"];
  fit["at_majority_floor"] = sizes;
  add_warning(fit, fmt::format("At {} labels it scores no more than always answering the test "
                               "split's most frequent label '{}' ({:.3f}): there it had not "
                               "learnt the task, and those points bend the fit.",
                               fmt::join(floored, ", "), label, majority));
}

nlohmann::json fit_json(const std::vector<CurvePoint>& points, std::size_t train_size,
                        std::optional<double> target, std::optional<double> measured_at_train,
                        std::size_t test_items) {
  auto fit = fit_learning_curve(points);
  if (!fit)
    return {{"fitted", false},
            {"why",
             "too few measurements to fit: a curve needs at least 3 points at 2 or more "
             "training sizes"}};
  auto projection = [&](std::size_t labels, uint64_t seed) {
    double at = static_cast<double>(labels);
    double accuracy = fit->at(at);
    nlohmann::json p = {{"labels", labels}, {"accuracy", accuracy}, {"provenance", "projection"}};
    if (auto ci = bootstrap_projection(points, at, 200, seed)) {
      double low = ci->low, high = ci->high;
      std::string method = "bootstrap over the measured (seed, size) points, refitted";
      if (test_items > 0) {
        double clamped = std::clamp(accuracy, 0.0, 1.0);
        Interval measuring = wilson_interval(
            static_cast<std::size_t>(std::lround(clamped * static_cast<double>(test_items))),
            test_items);
        if (measuring.lo < low || measuring.hi > high) {
          low = std::min(low, measuring.lo);
          high = std::max(high, measuring.hi);
          method += fmt::format(
              ", widened to the Wilson interval of measuring that accuracy on the {} test items",
              test_items);
        }
      }
      p["ci95"] = {low, high};
      p["ci95_method"] = method;
    }
    return p;
  };
  nlohmann::json j = {{"fitted", true},
                      {"formula", "acc(n) = a - b * n^(-c)"},
                      {"a", fit->a},
                      {"b", fit->b},
                      {"c", fit->c},
                      {"rmse", fit->rmse},
                      {"saturates_at", fit->a},
                      {"saturates_at_provenance", "estimated"},
                      {"saturation_visible", fit->saturation_visible()},
                      {"projection_2x", projection(2 * train_size, 2)},
                      {"projection_4x", projection(4 * train_size, 4)}};
  std::set<double> sizes;
  for (const auto& p : points) sizes.insert(p.labels);
  // Whatever the fit's ceiling, the measured points may level off (500, 1,000 and 2,495 labels
  // had read 0.956, 0.988 and 0.990 beside "no saturation visible"; a fit too steep, or one
  // missing the points, had hidden them). The last two sizes' mean accuracies say what more
  // labels bought there.
  if (sizes.size() >= 2) {
    const double high = *sizes.rbegin(), low = *std::next(sizes.rbegin());
    double at_high = 0, at_low = 0;
    int n_high = 0, n_low = 0;
    for (const auto& p : points) {
      if (p.labels == high) at_high += p.accuracy, ++n_high;
      if (p.labels == low) at_low += p.accuracy, ++n_low;
    }
    at_high /= n_high;
    at_low /= n_low;
    const double per_doubling = (at_high - at_low) / std::log2(high / low);
    if (per_doubling < kLevelledPerDoubling)
      j["levels_off"] = {{"from_labels", low},
                         {"to_labels", high},
                         {"from_accuracy", at_low},
                         {"to_accuracy", at_high},
                         {"gain_per_doubling", per_doubling}};
  }
  if (points.size() <= 3 || sizes.size() < 3)
    j["note"] = fmt::format(
        "Only {} measured points at {} sizes for 3 parameters: the data do not test the curve's "
        "shape; read the projections as a rough guide.",
        points.size(), sizes.size());
  // A projection to more labels below what all of train measured is the fit missing the points
  // (a curve bent by the small sizes), not a loss from more labels: flagged, never a gain.
  // Less than half a test item below is no measurable difference: a fit whose ceiling is 1 is
  // always a hair under a train split that scores every item, and said nothing wrong.
  double at_2x = j["projection_2x"]["accuracy"].get<double>();
  const double unmeasurable = test_items > 0 ? 0.5 / static_cast<double>(test_items) : 0;
  if (measured_at_train && at_2x < *measured_at_train - unmeasurable) {
    j["projection_below_measured"] = true;
    j["warning"] = fmt::format(
        "The fit projects {:.3f} at 2x, below the {:.3f} measured with all {} labels: it does "
        "not describe these points (RMSE {:.3f}); do not read its projections as what more labels "
        "would bring. Measure more sizes near the train size.",
        at_2x, *measured_at_train, train_size, fit->rmse);
  }
  const bool steep = fit->too_steep();  // its ceiling and projections are not to be read
  if (steep) {
    j["steep"] = true;
    add_warning(j, fmt::format("The fit's exponent c = {:.2f} is steeper than learning curves "
                               "run (0.1 to 1): it flattens right after the measured sizes, so "
                               "its ceiling and projections understate what more labels bring; "
                               "measure larger sizes before reading them.",
                               fit->c));
  }
  // A fit too steep to project, or one that misses the points, has a ceiling but no saturation
  // to read (0.969 had been quoted beside 0.992 measured).
  if (steep || j.contains("projection_below_measured")) {
    j["saturates_at"] = nullptr;
    j["saturation_visible"] = false;
  }
  if (target) {
    auto needed = fit->labels_for(*target);
    j["target"] = {{"accuracy", *target}, {"provenance", "projection"}};
    // A power law extrapolated far past the measured sizes says nothing: beyond 100x the train
    // split a "labels needed" is a number no one should plan with.
    constexpr double kFurthestProjection = 100;
    if (measured_at_train && *measured_at_train >= *target) {
      // Measured already: no projection is needed, and a fit that puts it further out (it
      // undershoots the point) would send the team labelling for nothing.
      j["target"]["reachable"] = true;
      j["target"]["labels_needed"] = static_cast<double>(train_size);
      j["target"]["provenance"] = "measured";
      j["target"]["met_by"] = fmt::format("measured: all {} labels of train score {:.3f}",
                                          train_size, *measured_at_train);
    } else if (needed && measured_at_train && *needed <= static_cast<double>(train_size)) {
      // The fit overshoots the all-of-train point: it puts the target within the labels
      // measured, which measured under it. It cannot say how many more the target takes.
      j["target"]["reachable"] = false;
      j["target"]["why"] = fmt::format(
          "not projected: the fit puts it within the {} labels of train (at {:.0f}), but all of "
          "them measured {:.3f}, under it; the fit overshoots that point (it gives {:.3f} "
          "there), so it cannot say how many more labels the target takes. Measure at more "
          "labels to find out",
          train_size, std::ceil(*needed), *measured_at_train,
          fit->at(static_cast<double>(train_size)));
    } else if (needed && *needed > kFurthestProjection * static_cast<double>(train_size)) {
      j["target"]["reachable"] = false;
      j["target"]["why"] = fmt::format(
          "not reachable within any realistic amount of data: the fit would need over {}x the "
          "{} labels of the train split, far beyond what it can project",
          kFurthestProjection, train_size);
    } else if (needed && j.contains("levels_off")) {
      // The points measured level off: a projection to the target is the fit's, not theirs.
      const auto& l = j["levels_off"];
      j["target"]["reachable"] = false;
      j["target"]["why"] = fmt::format(
          "not in sight: the measured points level off (from {} to {} labels accuracy went from "
          "{:.3f} to {:.3f}), whatever the fit projects ({:.0f} labels)",
          l["from_labels"].get<double>(), l["to_labels"].get<double>(),
          l["from_accuracy"].get<double>(), l["to_accuracy"].get<double>(), std::ceil(*needed));
    } else if (needed) {
      j["target"]["labels_needed"] = std::ceil(*needed);
      j["target"]["reachable"] = true;
    } else {
      j["target"]["reachable"] = false;
      j["target"]["why"] = steep
                               ? std::string(
                                     "not reachable by the fit, which is too steep to project (see "
                                     "its warning)")
                           : j.contains("projection_below_measured")
                               ? std::string(
                                     "not reachable by the fit, which misses the points "
                                     "(see its warning)")
                           : fit->saturation_visible()
                               ? fmt::format(
                                     "not in sight on this fit, which levels off near {:.3f} "
                                     "(estimated: a fitted ceiling is the least certain part of "
                                     "the curve, and more labels often go past it when each "
                                     "label has few rows; measure at more labels before ruling "
                                     "the target out)",
                                     fit->a)
                               : std::string("not reachable by the fit");
    }
  }
  return j;
}

namespace {

// One fine-tuning job of a fine-tuned curve: a share of train, its folder and what it would spend.
struct TuningJob {
  const ApproachConfig* approach;
  std::size_t labels = 0;
  FinetuneOptions options;
  FinetunePlan plan;
  // What scoring its tuned model on the test split may cost (the base model's estimated price
  // per item: a tuned model's is not in the catalogue before it exists); 0 when unknown. Under
  // --max-cost a job starts only when its training and this both fit: a paid job whose model
  // the cap then left unscored bought nothing.
  double scoring_usd = 0;
};

// Every job of every fine-tuned approach, built, validated and priced before any is started.
std::vector<TuningJob> plan_tuning(const ProjectConfig& config, const CurveSettings& settings,
                                   std::size_t train_size, const CurveOptions& options,
                                   std::vector<std::string>& skipped) {
  std::vector<TuningJob> jobs;
  for (const auto& a : settings.finetune) {
    std::vector<double> fractions = settings.finetune_fractions;
    fractions.push_back(1.0);
    std::size_t last = 0;
    for (double f : fractions) {
      auto n = f >= 1 ? train_size
                      : static_cast<std::size_t>(std::llround(f * static_cast<double>(train_size)));
      if (n == 0 || n <= last) {  // a fraction too small for this train split: said, not run
        skipped.push_back(fmt::format(
            "'{}': finetune_fractions {} gives {} of {} train rows{}: not run", a.name, f, n,
            train_size,
            n == 0 ? "" : fmt::format(", no more than the fraction before it ({})", last)));
        continue;
      }
      last = n;
      TuningJob job{&a, n, {}, {}};
      job.options.out_dir = options.out_dir / "finetune" / fmt::format("{}-{}", a.name, n);
      job.options.fraction = f;
      job.options.poll_interval = options.finetune_poll;
      job.options.result_name = a.name + "-ft";
      job.plan = plan_finetune(config, a.name, job.options);
      jobs.push_back(std::move(job));
    }
  }
  return jobs;
}

// The whole fine-tuning spend is asked about once, before the first job: --yes, a known
// estimate within --max-cost, or a yes at the terminal. Jobs already recorded cost nothing new.
// `llm_runs_usd`: what the curve's LLM sizes may cost, paid from the same cap before the jobs; a
// refusal names the cap that covers both (the jobs' amount alone had been spent on those sizes,
// and every job then refused).
void confirm_tuning(const std::vector<TuningJob>& jobs, const CurveOptions& options,
                    std::optional<double> llm_runs_usd, std::ostream& log) {
  std::size_t fresh = 0;
  double usd = 0, scoring = 0;
  bool known = true;
  for (const auto& j : jobs) {
    scoring += j.scoring_usd;
    if (j.plan.follows_job) continue;
    ++fresh;
    const auto& cost = j.plan.estimate["usd"];
    if (cost.is_number())
      usd += cost.get<double>();
    else
      known = false;
  }
  if (fresh == 0) return;
  // Said before the first job starts, with --yes too (docs/finetune.md).
  fmt::print(log, "curve: {} fine-tuning job{} to start, {} in all{}\n", fresh,
             fresh == 1 ? "" : "s",
             known ? fmt::format("about {} (estimated)", usd_amount(usd))
                   : std::string("at an UNKNOWN cost (no fine-tuning price in the catalogue)"),
             scoring > 0 ? fmt::format(", and about {} to score the tuned models on the test "
                                       "split (estimated at the tuned models' price)",
                                       usd_amount(scoring))
                         : "");
  // Under a cap the scoring counts too: the whole fits, or nothing starts.
  try {
    confirm_finetune_spend(
        known ? std::optional(usd + (options.max_cost_usd ? scoring : 0.0)) : std::nullopt, "curve",
        fmt::format("{} fine-tuning job{}{}", fresh, fresh == 1 ? "" : "s",
                    options.max_cost_usd && scoring > 0 ? " with the scoring of their models" : ""),
        "fine-tune at fewer or smaller shares of train ([curve] finetune_fractions; the job on "
        "all of train always runs, so its cost is the least a fine-tuned curve costs)",
        options.assume_yes, options.max_cost_usd, options.confirm, log);
  } catch (const SpendNotConfirmed& e) {
    if (!llm_runs_usd || *llm_runs_usd <= 0 || !known) throw;
    throw SpendNotConfirmed(fmt::format(
        "{}. --max-cost caps the whole command, and the curve's LLM runs, at most {} "
        "(estimated), are paid from it before the jobs: a --max-cost of {} covers them all",
        e.what(), usd_amount(*llm_runs_usd), usd_cap_amount(*llm_runs_usd + usd + scoring)));
  }
}

// The fine-tuned curve of one approach: each job run (or followed), its tuned model scored on
// the test split with the same prompt, a few-shot pool drawn from the same subset.
nlohmann::json tuned_curve(const ApproachConfig& a, const std::vector<TuningJob>& jobs,
                           const ProjectConfig& config, const PreparedData& data,
                           const Examples& test, const CurveOptions& options, HttpClient& client,
                           std::optional<double>& budget, std::optional<double> target,
                           CommandSpendGate& gate, std::optional<std::string>& refused,
                           std::ostream& log) {
  nlohmann::json points = nlohmann::json::array();
  nlohmann::json not_measured = nlohmann::json::array();
  std::vector<CurvePoint> fit_points;
  bool simulated = false;
  double training_usd = 0;
  bool training_known = true;
  for (const auto& job : jobs) {
    if (job.approach != &a) continue;
    FinetuneOptions o = job.options;
    o.assume_yes = !budget;  // confirmed for the whole run; a cap is checked again per job
    o.max_cost_usd = budget;
    // What the cap leaves must pay for the job and for scoring its model (the LLM runs before
    // it have spent from the cap too): else it is not started, and what was measured is kept.
    const auto& estimate = job.plan.estimate["usd"];
    if (budget && !job.plan.follows_job && estimate.is_number() &&
        estimate.get<double>() + job.scoring_usd > *budget) {
      const std::string why = fmt::format(
          "curve: the fine-tuning job of {} at {} labels is estimated at {}, and scoring its "
          "model on the test split at about {}: more than the {} that --max-cost {} leaves; "
          "nothing more was started. Raise --max-cost, or tune on less of train ([curve] "
          "finetune_fractions)",
          a.name, job.labels, usd_amount(estimate.get<double>()), usd_amount(job.scoring_usd),
          usd_amount(*budget), usd_amount(*options.max_cost_usd));
      not_measured.push_back({{"labels", job.labels}, {"why", "not started: " + why}});
      refused = why;
      break;
    }
    FinetuneResult r = run_finetune(config, a.name, o, log);
    const nlohmann::json& record = r.record;
    ApproachConfig tuned = a;
    tuned.name = a.name + "-ft";
    tuned.llm.model = record["job"]["fine_tuned_model"].get<std::string>();
    tuned.llm.finetune.reset();
    tuned.source["model"] = tuned.llm.model;
    Examples pool = stratified_fraction(data.splits.train, o.fraction, config.data.seed);
    const auto& usd = record["training_usd"];
    if (usd.is_number()) {
      training_usd += usd.get<double>();
      // Only a job started by this run spends from --max-cost; a followed one was paid before.
      if (budget && !job.plan.follows_job) *budget = std::max(0.0, *budget - usd.get<double>());
    } else {
      training_known = false;
    }
    Tally t = score(tuned, config, pool, test, data.labels, options, &client, budget, gate, log);
    simulated = simulated || t.simulated || record.value("simulated", false);
    if (t.cut || t.n == 0) {
      not_measured.push_back({{"labels", job.labels}, {"why", kCutByBudget}});
      fmt::print(log, "  {:<28} {:>6} labels: not measured ({})\n", tuned.name, job.labels,
                 kCutByBudget);
      continue;
    }
    fit_points.push_back({static_cast<double>(job.labels),
                          static_cast<double>(t.correct) / static_cast<double>(t.n)});
    nlohmann::json p = size_json(job.labels, {t});
    p["fine_tuned_model"] = tuned.llm.model;
    p["job"] = record["job"]["id"];
    p["training_usd"] = usd;
    p["training_usd_is"] = record["training_usd_is"];
    p["finetune_record"] = (o.out_dir / "finetune.json").string();
    points.push_back(p);
    fmt::print(log, "  {:<28} {:>6} labels: accuracy {:.3f} (fine-tuned, training {})\n",
               tuned.name, job.labels, p["mean_accuracy"].get<double>(),
               usd.is_number() ? fmt::format("${:.4f} {}", usd.get<double>(),
                                             record["training_usd_is"].get<std::string>())
                               : std::string("cost unknown"));
  }
  return {{"name", a.name + "-ft"},
          {"kind", a.kind},
          {"fine_tuned", true},
          {"base_model", a.llm.finetune->base_model},
          {"simulated", simulated},
          {"training_usd", training_known ? nlohmann::json(training_usd) : nlohmann::json()},
          {"training_usd_is", !training_known ? "unknown"
                              : simulated     ? "simulated"
                                              : "measured"},
          {"points", points},
          {"not_measured", not_measured},
          {"fit", fit_json(fit_points, data.splits.train.size(), target,
                           mean_at(points, data.splits.train.size()), test.size())}};
}

}  // namespace

CurveSettings read_curve_settings(const ProjectConfig& config,
                                  const std::optional<std::vector<std::string>>& only,
                                  const std::optional<std::vector<std::string>>& finetune) {
  const CurveTableSettings& c = config.curve;
  CurveSettings s;
  s.sizes.assign(c.sizes.begin(), c.sizes.end());
  s.sizes_given = c.sizes_given;
  s.seeds = c.seeds;
  s.target_accuracy = c.target_accuracy;
  s.approaches = default_approaches(config);
  if (auto names = only ? only : c.approaches) {
    s.approaches.clear();
    for (const auto& name : *names) {
      const ApproachConfig* a = config.find_approach(name);
      if (a == nullptr) fail(config, fmt::format("approaches: no [[approach]] named \"{}\"", name));
      if (!a->is_local() && !is_retrieval_prompt(*a))
        fail(config, fmt::format("approaches: \"{}\" learns nothing from labels; a curve needs "
                                 "linear, fasttext, retrieval or a retrieval_few_shot prompt",
                                 name));
      s.approaches.push_back(*a);
    }
  }
  for (const auto& name : finetune ? *finetune : c.finetune) {
    const ApproachConfig* a = config.find_approach(name);
    if (a == nullptr) fail(config, fmt::format("finetune: no [[approach]] named \"{}\"", name));
    if (a->kind != "openai" || !a->llm.finetune)
      fail(config, fmt::format("finetune: \"{}\" cannot be fine-tuned: it needs kind = "
                               "\"openai\" and finetune = {{ base_model = \"...\" }}",
                               name));
    s.finetune.push_back(*a);
  }
  for (double f : c.finetune_fractions)
    if (f > 0 && f < 1) s.finetune_fractions.push_back(f);
  std::sort(s.finetune_fractions.begin(), s.finetune_fractions.end());
  std::sort(s.sizes.begin(), s.sizes.end());
  s.sizes.erase(std::unique(s.sizes.begin(), s.sizes.end()), s.sizes.end());
  return s;
}

namespace {

// Before the first LLM request: the most the curve's LLM runs can cost, printed always (every
// size but the whole train split once per seed, that one once, each on every test item, at the
// approach's estimated cost per item; answers already in the cache cost nothing), and
// asked about once above the confirmation threshold unless --yes or --max-cost (a cap is
// consent up to it); a yes covers that total. Models without a price leave it to each run.
// Refused: why, and no LLM run starts (the local approaches are still measured and written).
// The most the LLM runs of the curve may cost (answers at max_tokens, the cache's answers free),
// in all and per approach; nullopt when an approach has no price or none is an LLM.
struct LlmRunsEstimate {
  double total = 0;
  std::vector<std::string> parts;
};
std::optional<LlmRunsEstimate> estimate_llm_runs(
    const CurveSettings& settings, const ProjectConfig& config, const PreparedData& data,
    const Examples& test, const std::vector<std::size_t>& sizes,
    const std::vector<std::vector<std::size_t>>& orders, const CurveOptions& options) {
  constexpr std::size_t kPromptsSampled = 50;
  const Examples& train = data.splits.train;
  const std::size_t runs = (sizes.size() - 1) * static_cast<std::size_t>(settings.seeds) + 1;
  // With a cache, each run's own prompts (its subsample is its examples' pool) are looked up, and
  // only those not answered yet count: a finished curve run again costs nothing.
  const std::filesystem::path cache = resolve_cache_file(options.cache, config.file);
  std::error_code ec;
  const bool cached = !cache.empty() && std::filesystem::exists(cache, ec);
  LlmRunsEstimate out;
  double& total = out.total;
  std::vector<std::string>& parts = out.parts;
  for (const auto& a : settings.approaches) {
    if (a.is_local()) continue;
    std::optional<double> per_item =
        usd_per_item(a, config, train, data.labels, test, kPromptsSampled);
    if (!per_item) return std::nullopt;
    double usd = *per_item * static_cast<double>(runs * test.size());
    if (cached) {
      // The items the cache answers cost nothing; the rest at the same estimate per item (the
      // uncached items' worst case had been set against the estimate of all: a cache holding a
      // third of the answers had left the figure where it was).
      std::size_t answered = 0, items = 0;
      for (std::size_t n : sizes)
        for (int s = 0; s < runs_at(n, train, settings.seeds); ++s) {
          items += test.size();
          answered +=
              uncached_usd(a, config, run_train(train, orders, s, n), data.labels, test, cache)
                  .value_or(UncachedCost{})
                  .cached;
        }
      usd = *per_item * static_cast<double>(items - std::min(items, answered));
    }
    total += usd;
    parts.push_back(fmt::format("{} at most {} ({} runs x {} test items)", a.name, usd_amount(usd),
                                runs, test.size()));
  }
  if (parts.empty()) return std::nullopt;
  return out;
}

std::optional<std::string> confirm_curve_spend(const std::optional<LlmRunsEstimate>& estimate,
                                               const CurveOptions& options, CommandSpendGate& gate,
                                               std::ostream& log) {
  if (!estimate) return std::nullopt;
  const double total = estimate->total;
  const std::vector<std::string>& parts = estimate->parts;
  fmt::print(log,
             "estimate: the LLM runs at most {} in all{}: {} (estimated from the prompts, "
             "answers at max_tokens; answers already in the cache cost nothing)\n",
             usd_amount(total),
             options.max_cost_usd
                 ? ", --max-cost capping them at " + usd_amount(*options.max_cost_usd)
                 : "",
             fmt::join(parts, "; "));
  try {
    confirm_command_estimate("curve", total, options.assume_yes, options.max_cost_usd.has_value(),
                             gate, options.confirm, log);
  } catch (const SpendNotConfirmed& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::size_t> with_sizes_toward_train(std::vector<std::size_t> sizes,
                                                 std::size_t train) {
  const std::size_t all = sizes.back();
  sizes.pop_back();
  const std::size_t largest = sizes.empty() ? 0 : sizes.back();
  for (std::size_t decade = 1000; decade <= train; decade *= 10)
    for (std::size_t step : {decade, decade * 5 / 2, decade * 5})
      if (step > largest && 4 * step <= 3 * train) sizes.push_back(step);
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  sizes.push_back(all);
  return sizes;
}

nlohmann::json run_curve(const ProjectConfig& config, const CurveOptions& options,
                         std::ostream& log) {
  CurveSettings settings = read_curve_settings(config, options.approaches, options.finetune);
  if (options.sizes) settings.sizes = *options.sizes, settings.sizes_given = true;
  if (options.seeds) settings.seeds = *options.seeds;
  PreparedData data = prepare_data(config.data);
  // Whether the response cache held answers before this run: its cached answers are then an
  // earlier run's or this run's repeats; otherwise this run's repeats alone (curve.md says which).
  std::error_code cache_error;
  const std::filesystem::path cache_file = resolve_cache_file(options.cache, config.file);
  const bool cache_before = !cache_file.empty() && std::filesystem::exists(cache_file, cache_error);
  const Examples& train = data.splits.train;
  Examples test = data.splits.test;
  if (options.test_limit && test.size() > *options.test_limit) test.resize(*options.test_limit);
  std::vector<std::size_t> sizes, dropped;
  for (std::size_t n : settings.sizes) {
    if (n > 0 && n < train.size()) sizes.push_back(n);
    if (n > train.size()) dropped.push_back(n);
  }
  sizes.push_back(train.size());
  const std::vector<std::size_t> local_sizes =
      settings.sizes_given ? sizes : with_sizes_toward_train(sizes, train.size());
  if (local_sizes.size() > sizes.size())
    fmt::print(log,
               "note: the local approaches also measure {} labels: the default sizes stop at "
               "2,500, and a fit with nothing between them and the {} of train projects little "
               "([curve] sizes replaces the defaults)\n",
               fmt::join(std::vector<std::size_t>(local_sizes.begin() + sizes.size() - 1,
                                                  local_sizes.end() - 1),
                         ", "),
               train.size());
  if (!dropped.empty())
    fmt::print(log,
               "note: sizes {} are above the {} labelled rows of the train split and are not "
               "measured; the largest size is the whole train split\n",
               fmt::join(dropped, ", "), train.size());
  // Every point is measured on the same test items: with few of them, each point's accuracy
  // is coarse, and the report says so.
  constexpr std::size_t kFewTestItems = 100;
  if (!test.empty() && test.size() < kFewTestItems) {
    Interval half = wilson_interval(test.size() / 2, test.size());
    fmt::print(log,
               "note: the test split has {} items: an accuracy of 50% measured on it has a 95% "
               "interval of {:.0f}% to {:.0f}%, so read each point, and the projections, as "
               "rough\n",
               test.size(), 100 * half.lo, 100 * half.hi);
  }
  create_output_dir(options.out_dir);
  // Fine-tuning is the expensive part: its files are checked and its spend confirmed first.
  std::vector<std::string> fractions_skipped;
  std::vector<TuningJob> jobs =
      plan_tuning(config, settings, train.size(), options, fractions_skipped);
  for (const std::string& why : fractions_skipped) log << "note: " << why << "\n";
  // Scoring a tuned model is priced at the tuned model's rates (the catalogue's [finetune]
  // inference rates, about twice the base model's), as its answers will be: at the base rates the
  // cap had started the largest job and then could not pay to score its model. The base rates
  // only when the catalogue has no tuned ones.
  for (TuningJob& job : jobs) {
    ApproachConfig tuned = *job.approach;
    if (tuned.llm.finetune)
      tuned.llm.model = "ft:" + tuned.llm.finetune->base_model + ":estimate:curve:0";
    std::optional<double> per_item = usd_per_item(tuned, config, train, data.labels, test, 50);
    if (!per_item) per_item = usd_per_item(*job.approach, config, train, data.labels, test, 50);
    job.scoring_usd = per_item.value_or(0) * static_cast<double>(test.size());
  }
  std::vector<std::vector<std::size_t>> orders;
  for (int s = 0; s < settings.seeds; ++s)
    orders.push_back(stratified_order(train, config.data.seed + 1 + static_cast<uint64_t>(s)));
  const std::optional<LlmRunsEstimate> llm_runs =
      estimate_llm_runs(settings, config, data, test, sizes, orders, options);
  confirm_tuning(jobs, options, llm_runs ? std::optional(llm_runs->total) : std::nullopt, log);
  std::unique_ptr<HttpClient> own;
  HttpClient* client = options.client;
  std::optional<double> budget = options.max_cost_usd;
  CommandSpendGate gate(kConfirmAboveUsd, options.assume_yes, options.confirm, log);
  // Why a spend was not confirmed, once it was not: the LLM runs stop, the local ones go on.
  std::optional<std::string> refused = confirm_curve_spend(llm_runs, options, gate, log);
  // The first endpoint that stopped answering: that approach's later sizes are not measured,
  // the others go on, and what was measured is written before the command says so (an outage
  // had lost the local points and every earlier size, and said nothing of the spend).
  std::optional<std::string> aborted;
  std::string aborted_approach;
  nlohmann::json approaches = nlohmann::json::array();
  for (const auto& a : settings.approaches) {
    if (!a.is_local() && !client) client = (own = make_http_client()).get();
    nlohmann::json points = nlohmann::json::array();
    std::vector<CurvePoint> fit_points;
    std::size_t failed = 0, answered = 0;  // test requests failed / scored, over every point
    bool simulated = false;
    nlohmann::json not_measured = nlohmann::json::array();
    std::optional<std::string> down;  // this approach's endpoint stopped answering
    for (std::size_t n : a.is_local() ? local_sizes : sizes) {
      if (down) {
        not_measured.push_back({{"labels", n}, {"why", "not run: " + *down}});
        continue;
      }
      std::vector<Tally> runs;
      std::size_t cut = 0;
      // A spend the user did not confirm (or could not: no terminal) stops the LLM runs, not
      // the local ones; what was measured is written before the command says so.
      auto stopped = [&] { return refused && !a.is_local(); };
      for (int s = 0; s < runs_at(n, train, settings.seeds) && !stopped(); ++s) {
        Tally t;
        try {
          t = score(a, config, run_train(train, orders, s, n), test, data.labels, options, client,
                    budget, gate, log);
        } catch (const SpendNotConfirmed& e) {
          refused = e.what();
          break;
        } catch (const RunAborted& e) {
          down = e.what();
          if (!aborted) {
            aborted = e.what();
            aborted_approach = a.name;
          }
          break;
        }
        simulated = simulated || t.simulated;
        if (t.cut || t.n == 0) {
          ++cut;
          continue;
        }
        runs.push_back(t);
        fit_points.push_back(
            {static_cast<double>(n), static_cast<double>(t.correct) / static_cast<double>(t.n)});
      }
      if (runs.empty()) {
        const std::string why = down      ? "stopped, its requests sent: " + *down
                                : refused ? "not confirmed: " + *refused
                                          : kCutByBudget;
        not_measured.push_back({{"labels", n}, {"why", why}});
        fmt::print(log, "  {:<28} {:>6} labels: not measured ({})\n", a.name, n,
                   down      ? "its endpoint stopped answering"
                   : refused ? "the spend was not confirmed"
                             : kCutByBudget);
        continue;
      }
      points.push_back(size_json(n, runs));
      if (cut > 0) points.back()["runs_cut_by_budget"] = cut;
      const auto asked = static_cast<std::size_t>(runs_at(n, train, settings.seeds));
      const auto errors = points.back()["errors"].get<std::size_t>();
      failed += errors;
      answered += points.back()["pooled_n"].get<std::size_t>();
      fmt::print(
          log, "  {:<28} {:>6} labels: accuracy {:.3f}{}{}{}\n", a.name, n,
          points.back()["mean_accuracy"].get<double>(),
          runs.size() < asked ? fmt::format(" (from {} of {} seeds)", runs.size(), asked)
                              : std::string(),
          cut > 0 ? fmt::format(" ({} of its runs cut short by the spend cap, left out)", cut)
                  : std::string(),
          errors > 0 ? fmt::format(" ({} requests failed, counted wrong)", errors) : std::string());
    }
    nlohmann::json fit = fit_json(fit_points, train.size(), settings.target_accuracy,
                                  mean_at(points, train.size()), test.size());
    if (failed > 0)
      add_warning(
          fit, fmt::format("ERRORS: {} of its {} test requests failed at the endpoint after their "
                           "retries and count as wrong answers (per size: each point's errors): "
                           "a flaky endpoint lowers a point as fewer labels do, so the curve may "
                           "be partly the endpoint's. Run the curve again: failures are not "
                           "cached, only they are asked again.",
                           failed, answered));
    approaches.push_back({{"name", a.name},
                          {"kind", a.kind},
                          {"simulated", simulated},
                          {"points", points},
                          {"not_measured", not_measured},
                          {"fit", fit}});
  }
  for (const auto& a : settings.finetune) {
    if (refused) break;  // a fine-tuned curve spends too
    if (!client) client = (own = make_http_client()).get();
    try {
      approaches.push_back(tuned_curve(a, jobs, config, data, test, options, *client, budget,
                                       settings.target_accuracy, gate, refused, log));
    } catch (const SpendNotConfirmed& e) {
      refused = e.what();
    }
  }
  // A model that answers the test split's most frequent label at every size measures the class
  // balance, not learning: its fit's rise comes from the smallest sizes (fewer rows than labels)
  // and projects gains no more data would bring.
  if (std::optional<MajorityLabel> top = majority_label(test)) {
    const double majority = top->share;
    for (auto& a : approaches) {
      auto at_train = mean_at(a["points"], train.size());
      nlohmann::json& fit = a["fit"];
      note_sizes_at_majority_floor(a, train.size(), top->label, majority);
      if (!at_train || *at_train > majority + 1e-9 || !fit.value("fitted", false)) continue;
      fit["majority_only"] = true;
      add_warning(fit, fmt::format("With all {} labels it scores {:.3f}, no more than always "
                                   "answering the test split's most frequent label ({:.3f}): "
                                   "the curve measures the class balance, not learning, and its "
                                   "projections promise nothing.",
                                   train.size(), *at_train, majority));
    }
  }
  bool any_simulated = false;
  for (const auto& a : approaches) any_simulated = any_simulated || a.value("simulated", false);
  nlohmann::json doc = {
      {"tool", "tunecase"},
      // What the data and its split were: decide refuses a curve of other data or another
      // split beside an eval or a config (its train size alone had been compared).
      {"data_settings", measured_data_settings(config.data)},
      {"train_labels", train.size()},
      {"test_items", test.size()},
      {"seeds", settings.seeds},
      {"sizes", sizes},
      {"local_sizes", local_sizes},
      {"sizes_not_measured", dropped},
      {"finetune_fractions_not_run", fractions_skipped},
      {"target_accuracy",
       settings.target_accuracy ? nlohmann::json(*settings.target_accuracy) : nlohmann::json()},
      // What the LLM answers cost; a fine-tuning job's training is in its own record.
      {"spend",
       {{"max_cost_usd",
         options.max_cost_usd ? nlohmann::json(*options.max_cost_usd) : nlohmann::json()},
        {"spent_usd", gate.spent()},
        // This run's: answers from the response cache were paid by an earlier run.
        {"requests_sent", gate.sent()},
        {"cached_answers", gate.cached()},
        {"cache_existed", cache_before},
        {"basis", any_simulated ? "simulated" : "measured"}}},
      {"approaches", approaches}};
  // A refused run over the outputs of an earlier one leaves them: they may hold LLM points this
  // run did not get to (its refusal came first), which a rewrite would drop, and the answers
  // behind them are in the cache, so a confirmed run writes them again without paying.
  bool earlier = std::filesystem::exists(options.out_dir / "curve.json");
  // An endpoint that stopped answering: the earlier files are kept only if they hold points of
  // that approach this run lost (a refused earlier run's files, with none, had been kept over
  // a run that measured every other approach).
  if (aborted && !refused && earlier) {
    std::ifstream in(options.out_dir / "curve.json", std::ios::binary);
    const nlohmann::json before = nlohmann::json::parse(in, nullptr, false);
    bool holds_points = false;
    if (before.is_object() && before.contains("approaches") && before["approaches"].is_array())
      for (const auto& a : before["approaches"])
        if (a.is_object() && a.value("name", std::string()) == aborted_approach &&
            a.contains("points") && a["points"].is_array() && !a["points"].empty())
          holds_points = true;
    earlier = holds_points;
  }
  if ((!refused && !aborted) || !earlier) write_curve_outputs(doc, options.out_dir);
  if (aborted && !refused)
    throw UserError(fmt::format(
        "{} ({}; spent {} so far{})", *aborted,
        earlier ? fmt::format("curve.json and curve.md in {} are left as the earlier run wrote "
                              "them; the same command again once the endpoint answers writes "
                              "them, the answers already paid for taken from the cache",
                              options.out_dir.string())
                : fmt::format("curve.json and curve.md in {} hold what was measured before it; "
                              "the same command again once the endpoint answers measures the "
                              "rest, the answers already paid for taken from the cache",
                              options.out_dir.string()),
        usd_amount(gate.spent()), any_simulated ? ", simulated" : ""));
  if (refused)
    throw UserError(fmt::format(
        "{} ({})", *refused,
        earlier ? fmt::format("curve.json and curve.md in {} are left as the earlier run wrote "
                              "them; a run with the spend confirmed writes them again, the "
                              "answers already paid for taken from the cache",
                              options.out_dir.string())
                : fmt::format("curve.json and curve.md in {} hold what was measured before "
                              "it: the local approaches and the sizes already run",
                              options.out_dir.string())));
  return doc;
}

}  // namespace tunecase
