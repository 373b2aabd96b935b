#include "tunecase/optimize/optimize_run.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <fstream>

#include "tunecase/core/error.h"
#include "tunecase/core/number_format.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/core/suggest.h"
#include "tunecase/data/majority.h"
#include "tunecase/evaluation/cost.h"
#include "tunecase/evaluation/eval_run.h"
#include "tunecase/evaluation/metrics.h"
#include "tunecase/optimize/llm_evaluator.h"
#include "tunecase/optimize/optimize_report.h"
#include "tunecase/optimize/search_data.h"
#include "tunecase/optimize/search_space.h"
#include "tunecase/runner/budget.h"
#include "tunecase/stats/proportion.h"

namespace tunecase {
namespace {

// Discards the runner's per-run estimate lines: the search prints its own line per evaluation.
struct NullBuffer : std::streambuf {
  int overflow(int c) override { return c; }
};

nlohmann::json score_json(const SampleScore& s) {
  Interval ci = wilson_interval(s.correct, s.n);
  return {{"n", s.n},
          {"correct", s.correct},
          {"accuracy", s.n ? static_cast<double>(s.correct) / static_cast<double>(s.n) : 0.0},
          {"accuracy_ci95", {ci.lo, ci.hi}},
          {"usd_per_1k", s.usd_per_1k ? nlohmann::json(*s.usd_per_1k) : nlohmann::json()},
          {"answers_without_usage", s.without_usage},
          {"errors", s.errors},
          {"p95_ms", s.p95_ms},
          {"spent_usd", s.spent_usd},
          {"requests", s.requests}};
}

nlohmann::json candidates_json(const std::vector<Candidate>& candidates,
                               const HalvingResult& result) {
  auto pareto = pareto_set(result);
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const auto& o = result.candidates[i];
    nlohmann::json rounds = nlohmann::json::array();
    for (const auto& r : o.rounds) {
      auto j = score_json(r.score);
      j["round"] = r.round;
      rounds.push_back(j);
    }
    out.push_back({{"name", candidates[i].name},
                   {"template", candidates[i].template_name},
                   {"settings", candidates[i].settings},
                   {"status", o.status},
                   {"dropped_in_round",
                    o.dropped_in_round ? nlohmann::json(*o.dropped_in_round) : nlohmann::json()},
                   {"reason", o.reason},
                   {"dev", o.shown() ? score_json(*o.shown()) : nlohmann::json()},
                   {"rounds", rounds},
                   {"pareto", std::find(pareto.begin(), pareto.end(), i) != pareto.end()}});
  }
  return out;
}

LlmRunOptions runner_options(const OptimizeOptions& options, const ProjectConfig& config) {
  LlmRunOptions run;
  run.concurrency = options.concurrency;
  run.assume_yes = options.assume_yes;
  run.cache_file = resolve_cache_file(options.cache, config.file);
  run.out_dir = options.out_dir;
  run.progress = false;
  run.order_seed = config.data.seed;
  return run;
}

// The final step: the winner, and nothing else, on the test split.
nlohmann::json score_on_test(const Candidate& winner, const ProjectConfig& config,
                             const SearchData& data, SealedTest& sealed,
                             const OptimizeOptions& options, std::optional<double> budget_left,
                             CommandSpendGate& gate, HttpClient& client, std::ostream& log) {
  const Examples& test = sealed.open();
  fmt::print(log, "final step: scoring the winner once on the {} test items\n", test.size());
  LlmRunOptions run = runner_options(options, config);
  run.max_cost_usd = budget_left;
  // prompts/ holds each candidate's first search prompt, a dev item's: the test run would write
  // a test text over the winner's.
  run.out_dir.clear();
  // A test run --max-cost cannot pay for whole is not run part-way: figures on part of the test
  // split would be read as the winner's test score (docs/optimize.md).
  run.whole_or_nothing = true;
  gate.prepare(run);
  LlmRunResult result =
      run_llm_approach(winner.approach, config, data.train, test, data.labels, run, client, log);
  std::vector<std::string> gold;
  for (const auto& e : test) gold.push_back(e.label);
  nlohmann::json q = quality_json(gold, result.predictions, data.labels);
  CostFigures cost = api_cost(result.predictions, config.queries_per_day(),
                              config.business.days_per_month, price_source(result.summary));
  q["usd_per_1k"] = cost.usd_per_1k ? nlohmann::json(*cost.usd_per_1k) : nlohmann::json();
  q["usd_per_month"] = cost.usd_per_month ? nlohmann::json(*cost.usd_per_month) : nlohmann::json();
  q["spent_usd"] = result.spent_usd;
  q["spent_basis"] = result.summary.value("spent_basis", "measured");
  q["charged_worst_case"] = result.charged_worst_case;
  q["requests"] = result.requests_sent;
  q["stopped_by_budget"] = result.stopped_by_budget;
  q["test_items"] = test.size();
  // Cut short by the spend cap: the figures are of the items it reached, a sample of the split.
  if (result.stopped_by_budget)
    q["partial_note"] = fmt::format(
        "the spend cap stopped the test run after {} of the {} test items; the test figures are "
        "of those items only",
        result.evaluated, test.size());
  q["simulated"] = result.simulated;
  return q;
}

// Before the first request: the most the search and the winner's test run can cost, estimated
// from every candidate's prompts (the answers at max_tokens) over the halving plan's worst case
// (worst_case_samples), printed always. Without a cap (budget_usd, --max-cost: a cap is consent
// up to it) or --yes, a total above the confirmation threshold is asked about once, and a yes
// covers that total: the command asks again only if its spend would pass it. Models without a
// price leave it to each run, which asks about an unknown cost.
void confirm_search_spend(const std::vector<Candidate>& candidates, HalvingRules& rules,
                          std::size_t dev_size, const LlmCandidateEvaluator& evaluator,
                          const OptimizeOptions& options, const std::filesystem::path& cache_file,
                          CommandSpendGate& gate, std::ostream& log) {
  constexpr std::size_t kPromptsSampled = 50;
  const bool cached = !options.cache.disabled;
  std::vector<std::size_t> samples =
      worst_case_samples(candidates.size(), rules.start_sample, dev_size, cached);
  std::vector<double> per_item;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    std::optional<double> usd = evaluator.usd_per_item(i, kPromptsSampled);
    if (!usd) return;
    per_item.push_back(*usd);
  }
  if (per_item.empty()) return;
  std::sort(per_item.rbegin(), per_item.rend());
  // The first round is checked against the caps at these before it starts (HalvingRules).
  rules.estimated_item_usd_all = 0.0;
  for (double usd : per_item) *rules.estimated_item_usd_all += usd;
  rules.estimated_item_usd_dearest = per_item.front();
  if (rules.total_cap_usd)
    for (std::size_t i = 0; i < candidates.size(); ++i)
      rules.worst_item_usd.push_back(evaluator.worst_usd_per_item(i, kPromptsSampled).value_or(0));
  double search = 0;
  std::size_t answers = 0;
  for (std::size_t i = 0; i < per_item.size(); ++i) {
    search += per_item[i] * static_cast<double>(samples[i]);
    answers += samples[i];
  }
  // A rerun finds most answers in the cache: every candidate on the whole dev split, its cached
  // answers left out, bounds the search too (a finished search run again costs nothing).
  bool all_cached = false;
  // Every candidate has at least a first round of answers cached: a search run again (finished,
  // or killed part-way). It costs what it did not get to, which only running it finds out (the
  // halving takes the path it took); so it is not asked about up front on the bound below, and
  // each of its runs is asked about once its new spend would pass the threshold (a finished
  // search run again had been refused without a terminal, though it would pay nothing).
  bool rerun = cached && !cache_file.empty();
  if (cached && !cache_file.empty() && std::filesystem::exists(cache_file)) {
    double uncached = 0;
    std::size_t hits = 0;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      const UncachedCost cost = evaluator.uncached_dev_usd(i, cache_file).value_or(UncachedCost{});
      uncached += cost.usd;
      hits += cost.cached;
      rerun = rerun && cost.cached >= std::min(rules.start_sample, dev_size);
    }
    search = std::min(search, uncached);
    all_cached = hits == candidates.size() * dev_size;
    // Some answers cached (a rerun, a resumed search): the first round may cost less than its
    // worst case, so it is not refused on it; the runner's cap still holds it.
    if (hits > 0) {
      rules.estimated_item_usd_all.reset();
      rules.estimated_item_usd_dearest.reset();
    }
  }
  if (rules.max_calls)
    search = std::min(search, per_item.front() * static_cast<double>(*rules.max_calls));
  if (rules.budget_usd) search = std::min(search, *rules.budget_usd);
  const double test = per_item.front() * static_cast<double>(rules.final_items);
  double total = search + test;
  if (rules.total_cap_usd) total = std::min(total, *rules.total_cap_usd);
  std::string caps;
  if (!cached) caps += "; without the cache every round sends its whole sample again";
  if (rules.max_calls) caps += fmt::format("; max_calls caps it at {} requests", *rules.max_calls);
  if (rules.budget_usd) caps += "; budget_usd caps it at " + usd_amount(*rules.budget_usd);
  fmt::print(
      log,
      "estimate: at most {} in all{} (estimated from the prompts, answers at "
      "max_tokens{})\n"
      "  the search at most {}: up to {} dev answers ({} candidates; the worst case: "
      "only the halving rule drops any, and the last two meet all {} dev items{})\n"
      "  the winner's test run at most {}: {} test items at the dearest candidate's "
      "price{}\n",
      usd_amount(total),
      rules.total_cap_usd ? ", --max-cost capping it at " + usd_amount(*rules.total_cap_usd) : "",
      cached ? "; answers already in the cache cost nothing" : "", usd_amount(search), answers,
      candidates.size(), dev_size, caps, usd_amount(test), rules.final_items,
      rules.worst_item_usd.empty()
          ? std::string()
          : fmt::format(" ({} at each request's worst case, which --max-cost keeps for it)",
                        usd_amount(*std::max_element(rules.worst_item_usd.begin(),
                                                     rules.worst_item_usd.end()) *
                                   static_cast<double>(rules.final_items))));
  if (all_cached) {
    // Nothing of the search to pay for: the test run asks for itself, its own cached answers
    // counted, when it comes.
    fmt::print(log, "  every answer the search can ask for is in the cache: it costs nothing\n");
    return;
  }
  if (rerun && std::filesystem::exists(cache_file)) {
    fmt::print(log,
               "  a search run again (every candidate's first round is in the cache): it pays "
               "only for what the earlier run did not get to; each run is asked about once the "
               "command's new spend would pass {}\n",
               usd_amount(kConfirmAboveUsd));
    return;
  }
  confirm_command_estimate("optimize", total, options.assume_yes,
                           rules.budget_usd.has_value() || rules.total_cap_usd.has_value(), gate,
                           nullptr, log);
}

// Always answering the most frequent label of the winner's dev sample (the first `n` of the dev
// order, as the halving's nested samples are): the floor a prompt should clear. On imbalanced
// data a search can crown a prompt that a constant beats; the winner then says so.
void note_majority_floor(nlohmann::json& winner, const Examples& dev_order) {
  const nlohmann::json& dev = winner["dev"];
  if (!dev.is_object() || !dev["accuracy"].is_number()) return;
  const std::size_t n = std::min(dev_order.size(), dev.value("n", std::size_t{0}));
  std::optional<MajorityLabel> top = majority_label(dev_order, n);
  if (!top) return;
  const double floor = top->share;
  winner["dev_majority_baseline"] = {{"label", top->label}, {"accuracy", floor}, {"n", n}};
  const double accuracy = dev["accuracy"].get<double>();
  if (accuracy <= floor)
    winner["warning"] = fmt::format(
        "the winner's dev accuracy {:.3f} is no better than always answering '{}' ({:.3f} on the "
        "same {} dev items): the search found no prompt that beats a constant; compare before "
        "pasting it (more labelled rows of the other labels, label descriptions, or a local "
        "model may do better)",
        accuracy, visible(top->label), floor, n);
}

// What the whole command spent: the search and the winner's test run (`test_run`, null when it
// did not run). The estimate before it counted both; the summary had named the search's alone.
nlohmann::json spent_json(const HalvingResult& result, const nlohmann::json& test_run,
                          bool simulated) {
  const bool tested = test_run.is_object();
  // Charges at the worst case (no usage reported, timed out, unreadable): not measured, and said.
  std::size_t worst = tested ? test_run.value("charged_worst_case", std::size_t{0}) : 0;
  for (const auto& c : result.candidates)
    for (const auto& r : c.rounds) worst += r.score.charged_worst_case;
  const std::string charged =
      worst == 0 ? std::string()
                 : fmt::format(
                       ", plus the worst case of {} answer{} whose cost could not be "
                       "measured (no usage reported, timed out or unreadable), counted "
                       "as if spent",
                       worst, worst == 1 ? "" : "s");
  return {
      {"usd", result.spent_usd + (tested ? test_run.value("spent_usd", 0.0) : 0.0)},
      {"requests", result.requests + (tested ? test_run.value("requests", std::size_t{0}) : 0)},
      {"search_usd", result.spent_usd},
      {"test_usd", tested ? nlohmann::json(test_run.value("spent_usd", 0.0)) : nlohmann::json()},
      // Answers from the cache that the search counted toward budget_usd as if sent (paid by a
      // killed run of this search, or an earlier command): the search's cost at list price is
      // search_usd plus these.
      {"search_cached_counted_usd", result.prior_usd},
      {"search_cached_counted_answers", result.prior_answers},
      {"charged_worst_case", worst},
      {"basis",
       fmt::format("{}: new requests only (answers from the cache cost nothing){}",
                   simulated ? "simulated (sim-llm's answers, priced as the model's)" : "measured",
                   charged)}};
}

}  // namespace

nlohmann::json run_optimize(const ProjectConfig& config, const OptimizeOptions& options,
                            std::ostream& log) {
  OptimizeSettings settings = read_optimize_settings(config);
  if (options.max_candidates && settings.candidates.size() > *options.max_candidates)
    settings.candidates.resize(*options.max_candidates);
  PreparedData prepared = prepare_data(config.data);
  // Its conflict samples quote rows: redacted as every report's quotes are (docs/privacy.md).
  nlohmann::json dataset = with_redacted_samples(prepared.summary, config.privacy.rules).to_json();
  SplitForSearch split = split_for_search(std::move(prepared), settings.seed);
  if (options.dev_limit && split.search.dev_order.size() > *options.dev_limit)
    split.search.dev_order.resize(*options.dev_limit);
  if (split.search.dev_order.empty()) {
    if (config.data.dev_fraction <= 0)
      throw UserError(fmt::format(
          "{}: the dev split is empty (dev_fraction = {}), and the prompt search chooses on "
          "dev; set [data] dev_fraction to a share above 0 (e.g. 0.1; with pre-split files dev "
          "is then carved from the train file), or give a dev file",
          config.file.string(), config.data.dev_fraction));
    // A share above 0 that gives no row: too few rows per label (a stratified split rounds each
    // label's share down), not a setting left at 0.
    throw UserError(fmt::format(
        "{}: the dev split is empty although dev_fraction = {}: {} train and {} test rows over "
        "{} labels leave no row for dev (each label's share is rounded down). The prompt "
        "search chooses on dev: give a dev file, raise dev_fraction (e.g. 0.3), or label more "
        "rows",
        config.file.string(), config.data.dev_fraction, dataset.value("train", 0),
        dataset.value("test", 0), dataset.value("labels", 0)));
  }
  create_output_dir(options.out_dir);
  std::vector<std::string> names;
  for (const auto& c : settings.candidates) names.push_back(c.name);
  note_other_prompts(options.out_dir, names, log);

  HalvingRules rules;
  rules.start_sample = options.start_sample.value_or(settings.start_sample);
  rules.budget_usd = settings.budget_usd;
  rules.total_cap_usd = options.max_cost_usd;
  rules.final_items = split.test.size();  // its size only: the search never sees its items
  rules.max_calls = options.max_calls ? options.max_calls : settings.max_calls;
  rules.resends_sample = options.cache.disabled;
  rules.max_usd_per_1k = settings.max_usd_per_1k;
  rules.max_p95_ms = settings.max_p95_ms;

  std::unique_ptr<HttpClient> own_client;
  HttpClient* client = options.client;
  if (!client) client = (own_client = make_http_client()).get();
  NullBuffer null_buffer;
  std::ostream quiet(&null_buffer);
  fmt::print(log, "prompt search: {} candidates, {} dev items, first sample {}\n",
             settings.candidates.size(), split.search.dev_order.size(), rules.start_sample);
  // With --yes the runner's per-run estimate lines are noise; without it they must stay visible,
  // since a run above the confirmation threshold asks the user there.
  LlmCandidateEvaluator evaluator(settings.candidates, config, split.search,
                                  runner_options(options, config), *client, log,
                                  options.assume_yes ? quiet : log);
  CommandSpendGate gate(kConfirmAboveUsd, options.assume_yes, nullptr, log);
  evaluator.set_spend_gate(&gate);
  evaluator.set_counts_prior(rules.budget_usd.has_value() || rules.max_calls.has_value() ||
                             rules.total_cap_usd.has_value());
  confirm_search_spend(settings.candidates, rules, split.search.dev_order.size(), evaluator,
                       options, resolve_cache_file(options.cache, config.file), gate, log);
  HalvingResult result;
  try {
    result = successive_halving(evaluator, settings.candidates.size(), rules);
  } catch (const RunAborted& e) {
    // The search cannot go on without its endpoint: what it spent is said (it had not been),
    // and the answers it paid for are in the cache for the run again.
    throw UserError(fmt::format(
        "{} (the search had spent {}{} before it; it did not finish, so nothing is written to "
        "{}: {})",
        e.what(), usd_amount(gate.spent()), evaluator.simulated() ? ", simulated" : "",
        options.out_dir.string(),
        options.cache.disabled
            ? "the same command again once the endpoint answers runs the search again"
            : "the same command again once the endpoint answers resumes the search from the "
              "cache, paying only for what is missing"));
  }

  nlohmann::json doc = {
      {"tool", "tunecase"},
      {"simulated", evaluator.simulated()},
      {"dataset", dataset},
      {"search",
       {{"candidates", settings.candidates.size()},
        {"dev_size", split.search.dev_order.size()},
        {"sample_sizes", result.sample_sizes},
        {"spent_usd", result.spent_usd},
        {"requests", result.requests},
        {"budget_usd", rules.budget_usd ? nlohmann::json(*rules.budget_usd) : nlohmann::json()},
        {"max_cost_usd",
         rules.total_cap_usd ? nlohmann::json(*rules.total_cap_usd) : nlohmann::json()},
        {"max_calls", rules.max_calls ? nlohmann::json(*rules.max_calls) : nlohmann::json()},
        {"budget_forced", result.budget_forced},
        {"winner_rule", result.winner_rule},
        {"decided_by", result.decided_by},
        {"notes", result.notes}}},
      {"candidates", candidates_json(settings.candidates, result)},
      {"winner", nullptr}};
  if (result.winner) {
    const Candidate& w = settings.candidates[*result.winner];
    std::optional<double> left;
    if (options.max_cost_usd) left = std::max(0.0, *options.max_cost_usd - result.spent_usd);
    nlohmann::json test;
    // The search's result is the spend already made: written, its winner not scored, before
    // the reason ends the command (it was lost, and the rerun paid the cache's way back to it);
    // the run again scores it, the search's answers from the cache.
    auto write_unscored_winner = [&](const std::string& why) {
      doc["winner"] = {
          {"name", w.name},
          {"settings", w.settings},
          {"dev", doc["candidates"][*result.winner]["dev"]},
          {"test", nullptr},
          {"test_not_run", why},
          {"approach_toml", approach_toml(w.approach, w.template_name + "-optimized")}};
      // The dev-only check of a constant answer needs no test run (it was skipped with it).
      note_majority_floor(doc["winner"], split.search.dev_order);
      doc["spent"] = spent_json(result, nlohmann::json(), doc.value("simulated", false));
      write_optimize_outputs(doc, options.out_dir);
    };
    try {
      test = score_on_test(w, config, split.search, split.test, options, left, gate, *client, log);
    } catch (const RunAborted& e) {
      write_unscored_winner(e.what());
      throw UserError(fmt::format(
          "{} (the winner's test run stopped; the search spent {} in {} requests and its "
          "figures are in {}/optimize.json; the same command again once the endpoint answers "
          "scores the winner, the search's answers taken from the cache)",
          e.what(), usd_amount(result.spent_usd), result.requests, options.out_dir.string()));
    } catch (const SpendNotConfirmed& e) {
      write_unscored_winner(e.what());
      // The refusal names what the search already spent (measured), which a rerun does not pay
      // again: the terminal had shown no figure, and the rerun's "$0" for the search.
      // A cap on the rerun counts the search's cached answers again (so that the rerun stops
      // where one run stops): the --max-cost that keeps this winner covers both, which the
      // refusal names (the test run's amount alone had made the rerun stop the search early and
      // crown another winner).
      // The rerun's search keeps the dearest candidate's test run in reserve at every round
      // (as this one did), and the winner's run needs its own worst case: the cap covers the
      // larger of the two beside the search.
      const double keep_cap = result.spent_usd + result.prior_usd +
                              std::max(rules.test_run_reserve(), e.worst_case_usd.value_or(0));
      throw SpendNotConfirmed(fmt::format(
          "{}; the search before it spent {} in {} requests (measured; its answers are in the "
          "cache, so a rerun pays only for the test run; figures in {}/optimize.json). A rerun "
          "with --yes, or with --max-cost {} or more (the search, counted again from the cache, "
          "and the test run at its worst case), keeps this winner; a smaller --max-cost runs a "
          "smaller search{}",
          e.what(), usd_amount(result.spent_usd), result.requests, options.out_dir.string(),
          usd_cap_amount(keep_cap),
          doc["winner"].contains("warning")
              ? ". WARNING: " + doc["winner"]["warning"].get<std::string>()
              : std::string()));
    }
    // The search's own answers may all have come from the cache or none been bought (a zero
    // budget): the test run's answers say as well whether they were simulated.
    if (test.value("simulated", false)) doc["simulated"] = true;
    doc["winner"] = {{"name", w.name},
                     {"settings", w.settings},
                     {"dev", doc["candidates"][*result.winner]["dev"]},
                     {"test", test},
                     {"approach_toml", approach_toml(w.approach, w.template_name + "-optimized")}};
    note_majority_floor(doc["winner"], split.search.dev_order);
  }
  doc["spent"] =
      spent_json(result, doc["winner"].is_null() ? nlohmann::json() : doc["winner"]["test"],
                 doc.value("simulated", false));
  write_optimize_outputs(doc, options.out_dir);
  return doc;
}

}  // namespace tunecase
