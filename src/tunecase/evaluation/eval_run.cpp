#include "tunecase/evaluation/eval_run.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include <fcntl.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tunecase/approaches/fasttext_classifier.h"
#include "tunecase/approaches/model_folder.h"
#include "tunecase/config/measured_settings.h"
#include "tunecase/config/privacy_policy.h"
#include "tunecase/core/error.h"
#include "tunecase/core/hash.h"
#include "tunecase/core/number_format.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/core/suggest.h"
#include "tunecase/data/majority.h"
#include "tunecase/data/prepare.h"
#include "tunecase/data/utf8_check.h"
#include "tunecase/evaluation/cost.h"
#include "tunecase/evaluation/llm_eval.h"
#include "tunecase/evaluation/local_eval.h"
#include "tunecase/evaluation/metrics.h"
#include "tunecase/llm/provider.h"
#include "tunecase/privacy/redactor.h"
#include "tunecase/quality/inspect.h"
#include "tunecase/quality/quality_report.h"
#include "tunecase/report/eval_report.h"
#include "tunecase/runner/cache_location.h"
#include "tunecase/runner/llm_runner.h"
#include "tunecase/runner/response_cache.h"
#include "tunecase/stats/proportion.h"

namespace tunecase {

namespace {

// Moves `from` over `to`, a folder or a file. A folder in the way is exchanged with it in one
// step (a gateway reading the model meanwhile sees one or the other), then removed.
bool move_over(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::error_code error;
  std::filesystem::create_directories(to.parent_path(), error);
  if (std::filesystem::is_directory(to, error)) {
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_EXCHANGE) == 0) {
      std::filesystem::remove_all(from, error);  // now the newer one
      return true;
    }
    std::filesystem::remove_all(to, error);
  }
  std::filesystem::rename(from, to, error);
  return !error;
}

}  // namespace

// Each set-aside file back in place (over this run's data-quality files), with the model folders
// and prompt files this run replaced, then the folder removed. A run that wrote its eval.json
// finished: what is aside is then left over from its last step and only removed.
bool put_back_earlier_results(const std::filesystem::path& out_dir) noexcept {
  try {
    const std::filesystem::path aside = out_dir / ".earlier-run";
    std::error_code error;
    if (!std::filesystem::is_directory(aside, error)) return false;
    bool any = false;
    if (!std::filesystem::exists(out_dir / "eval.json", error)) {
      for (const auto& entry : std::filesystem::directory_iterator(aside, error)) {
        const std::string name = entry.path().filename().string();
        if (name == "models" || name == "prompts") {
          for (const auto& inner : std::filesystem::directory_iterator(entry.path(), error))
            any = move_over(inner.path(), out_dir / name / inner.path().filename()) || any;
        } else {
          any = move_over(entry.path(), out_dir / name) || any;
        }
      }
    }
    std::filesystem::remove_all(aside, error);
    return any;
  } catch (...) {
    return false;
  }
}

namespace {

// The distinct errors of a run, most frequent first (at most five, each cut at 300 bytes on a
// character boundary), with how many items each ended: what report.md shows of why requests
// failed. Items the budget left unsent are not errors.
struct ApproachOutcome {
  nlohmann::json json;
  std::vector<Prediction> predictions;
};

// Training texts longer than this on average (a ticket with a pasted log) make fastText slow.
constexpr double kLongTextBytes = 4096;

ApproachOutcome evaluate_one(const ApproachConfig& approach, const ProjectConfig& config,
                             const PreparedData& data, const EvalOptions& options,
                             CommandSpendGate& spend, std::ostream& log,
                             const std::filesystem::path& model_aside = {}) {
  const Splits& s = data.splits;
  std::vector<std::string> gold;
  gold.reserve(s.test.size());
  for (const auto& e : s.test) gold.push_back(e.label);

  ApproachOutcome out;
  nlohmann::json extra;
  CostFigures cost;
  bool simulated = false;
  if (approach.is_local()) {
    log << fmt::format("[{}] training {} on {} examples", approach.name, approach.kind,
                       s.train.size());
    // fastText's search prints nothing while it runs: a minute of silence looked hung.
    if (approach.kind == "fasttext" && approach.fasttext.autotune_seconds > 0 && !s.dev.empty())
      log << (s.dev.size() >= kMinSearchDevRows
                  ? fmt::format(" (its settings are searched on the {} dev rows for up to {} s, "
                                "autotune_seconds, after one whole fit of the defaults, which "
                                "the budget does not cut short: on long texts it alone may "
                                "take longer)",
                                s.dev.size(), approach.fasttext.autotune_seconds)
                  : fmt::format(" (no search of its settings: {} dev rows, under the {} a search "
                                "needs)",
                                s.dev.size(), kMinSearchDevRows));
    // Training time grows with the words trained on, not the rows: a few hundred pasted logs
    // had kept fastText silent for minutes.
    if (approach.kind == "fasttext" && !s.train.empty()) {
      std::size_t bytes = 0;
      for (const auto& e : s.train) bytes += e.text.size();
      const double mean = static_cast<double>(bytes) / static_cast<double>(s.train.size());
      if (mean > kLongTextBytes)
        log << fmt::format(
            "\n[{}] its training texts average {:.0f} KB, long for fastText, whose training time "
            "grows with the words trained on: this may take minutes. Cut the texts to what "
            "decides the label, or leave it out with --only",
            approach.name, mean / 1024);
    }
    log << '\n' << std::flush;
    LocalRun run = run_local_approach(approach, s.train, s.dev, s.test, data.labels,
                                      options.out_dir / "models" / model_folder_name(approach.name),
                                      model_aside);
    // A throughput typed in the hosting table replaces the measured one, as decide reads it.
    const double throughput = approach.costs.hosting && approach.costs.hosting->throughput_per_s
                                  ? *approach.costs.hosting->throughput_per_s
                                  : run.throughput_per_s;
    cost = self_hosted_cost(approach, throughput, config.business);
    extra = {{"train_seconds", run.train_seconds},
             {"throughput_per_s", run.throughput_per_s},
             {"params", run.params},
             {"model_dir",
              (std::filesystem::path("models") / model_folder_name(approach.name)).string()}};
    out.predictions = std::move(run.predictions);
  } else {
    std::optional<double> budget_left;
    if (options.max_cost_usd) budget_left = std::max(0.0, *options.max_cost_usd - spend.spent());
    LlmEvalRun run = run_llm_eval(approach, config, s.train, s.test, data.labels, options,
                                  budget_left, spend, log);
    spend.add_spent(run.spent_usd);
    cost = api_cost(run.predictions, config.queries_per_day(), config.business.days_per_month,
                    price_source(run.summary));
    simulated = run.simulated;
    extra = {{"runner", run.summary},
             {"redaction", run.summary.value("redaction", nlohmann::json::object())},
             {"invalid_samples", run.invalid_samples},
             {"stopped_by_budget", run.stopped_by_budget}};
    if (approach.llm.max_text_chars) {
      auto limit = static_cast<std::size_t>(*approach.llm.max_text_chars);
      std::size_t cut = 0;
      for (const auto& e : s.test) cut += utf8_chars(e.text) > limit;
      extra["texts_cut"] = {{"count", cut}, {"of", s.test.size()}, {"max_text_chars", limit}};
    }
    out.predictions = std::move(run.predictions);
  }
  out.json = {{"name", approach.name}, {"kind", approach.kind}, {"simulated", simulated}};
  out.json.update(quality_json(gold, out.predictions, data.labels));
  // No test item scored (the budget was spent before this approach's turn): no accuracy to
  // show, not 0.0.
  if (out.json.value("scored", std::size_t{0}) == 0)
    out.json["accuracy"] = out.json["accuracy_ci95"] = out.json["macro_f1"] = nullptr;
  // An LLM approach none of whose answers reported token usage: the means are unknown, not 0
  // (0 is a local model's, which sends no tokens).
  if (approach.is_llm() && std::none_of(out.predictions.begin(), out.predictions.end(),
                                        [](const Prediction& p) { return p.tokens_in > 0; }))
    out.json["tokens_in_mean"] = out.json["tokens_out_mean"] = nullptr;
  out.json["error_samples"] = error_samples(out.predictions);
  out.json.update(cost_json(cost));
  // The hosting table the bill was priced from, so that decide prices it again at its own
  // [business] (days per month, volume) when its config gives none.
  if (const auto& h = approach.costs.hosting) {
    auto opt = [](const std::optional<double>& v) {
      return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    };
    out.json["hosting"] = {{"usd_per_hour", opt(h->usd_per_hour)},
                           {"usd_per_month", opt(h->usd_per_month)},
                           {"instances", h->instances},
                           {"billing", h->billing},
                           {"throughput_per_s", opt(h->throughput_per_s)}};
  }
  out.json.update(extra);
  return out;
}

void write_predictions(const std::filesystem::path& file, const Examples& test,
                       const std::vector<std::string>& names,
                       const std::vector<std::vector<Prediction>>& predictions) {
  // Written beside the file and renamed into place, as eval.json is: a kill part-way had left a
  // predictions.jsonl missing its tail, every line of it valid.
  std::filesystem::path partial = file;
  partial += ".tmp";
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  for (std::size_t a = 0; a < names.size(); ++a) {
    for (std::size_t i = 0; i < test.size(); ++i) {
      const Prediction& p = predictions[a][i];
      nlohmann::json line = {
          {"id", test[i].id},
          {"text_hash", text_hash(test[i].text)},
          {"approach", names[a]},
          {"gold", test[i].label},
          {"predicted", p.label},
          // An item never sent (the budget or a stop) is not scored: null,
          // as eval.json counts it neither right nor wrong.
          {"correct", was_not_run(p)
                          ? nlohmann::json(nullptr)
                          : nlohmann::json(!p.error && !p.invalid && p.label == test[i].label)},
          // Of the attempt that answered, or of the last that failed.
          {"latency_ms", was_not_run(p) ? nlohmann::json(nullptr) : nlohmann::json(p.latency_ms)}};
      if (p.invalid) line["invalid"] = true;
      if (p.error) line["error"] = *p.error;
      if (p.tokens_in || p.tokens_out) {
        line["tokens_in"] = p.tokens_in;
        line["tokens_out"] = p.tokens_out;
      }
      if (p.cost_usd) line["cost_usd"] = *p.cost_usd;
      out << line.dump() << "\n";
    }
  }
  out.close();
  std::error_code ec;
  if (out) std::filesystem::rename(partial, file, ec);
  if (!out || ec) {
    std::filesystem::remove(partial, ec);
    throw UserError(
        fmt::format("{}: cannot write predictions (folder read-only or disk full); "
                    "check the output folder",
                    file.string()));
  }
}

std::vector<ApproachConfig> selected_approaches(const ProjectConfig& config,
                                                const EvalOptions& options) {
  std::vector<ApproachConfig> all =
      config.approaches.empty() ? default_local_approaches() : config.approaches;
  if (options.only.empty()) return all;
  std::vector<ApproachConfig> out;
  for (const auto& name : options.only) {
    auto it = std::find_if(all.begin(), all.end(), [&](const auto& a) { return a.name == name; });
    if (it == all.end()) {
      std::vector<std::string> names;
      for (const auto& a : all) names.push_back(a.name);
      std::optional<std::string> near = nearest(name, names);
      throw UserError(fmt::format("--only {}: no approach has that name{}; {}: {}", name,
                                  near ? fmt::format(" (did you mean '{}'?)", *near) : "",
                                  config.approaches.empty()
                                      ? "without [[approach]] tables eval runs its local ones"
                                      : "the config's approaches",
                                  quoted_list(names, 30)));
    }
    out.push_back(*it);
  }
  return out;
}

// Accuracy on the test rows that are not near-copies of a train or dev text (measured): how much
// of the headline figure rests on leakage the exact check cannot see.
nlohmann::json without_near_leaked(const ScoredApproach& s, const std::vector<bool>& leaked) {
  std::size_t n = 0, correct = 0, excluded = 0;
  for (std::size_t i = 0; i < s.correct.size(); ++i) {
    if (i < leaked.size() && leaked[i]) {
      ++excluded;
      continue;
    }
    if (!s.ran[i]) continue;
    ++n;
    correct += s.correct[i];
  }
  Interval ci = wilson_interval(correct, n);
  return {{"accuracy", n > 0 ? static_cast<double>(correct) / static_cast<double>(n) : 0.0},
          {"accuracy_ci95", {ci.lo, ci.hi}},
          {"n", n},
          {"near_leaked_excluded", excluded}};
}

// The same LLM approach without redaction, for --compare-redaction: its accuracy beside the
// redacted run's, and what the redacted run replaced.
nlohmann::json redaction_comparison(const ApproachConfig& approach, const nlohmann::json& redacted,
                                    const ProjectConfig& config, const PreparedData& data,
                                    const EvalOptions& options, CommandSpendGate& spend,
                                    std::ostream& log) {
  ProjectConfig raw = config;
  raw.privacy.rules = RedactionRules{};
  ApproachConfig copy = approach;
  copy.name = approach.name + "-unredacted";
  log << fmt::format("[{}] again without redaction (--compare-redaction)\n", approach.name);
  // Nothing of the raw run is written out: no prompt copy (it would hold a raw ticket), and only
  // its accuracy figures below.
  // Nor any cache: the response cache keeps each request's prompt, and the project's cache is
  // shared with serve, optimize and curve, so the raw texts would stay on disk. The raw run is
  // paid again each time it is asked for.
  EvalOptions raw_options = options;
  raw_options.out_dir.clear();
  raw_options.cache.disabled = true;
  ApproachOutcome plain = evaluate_one(copy, raw, data, raw_options, spend, log);
  auto figures = [](const nlohmann::json& j) {
    return nlohmann::json{{"accuracy", j.at("accuracy")},
                          {"accuracy_ci95", j.at("accuracy_ci95")},
                          {"macro_f1", j.at("macro_f1")}};
  };
  nlohmann::json with = figures(redacted);
  with["redacted"] = redacted.at("redaction").at("redacted");
  return {{"approach", approach.name},
          {"redacted", with},
          {"unredacted", figures(plain.json)},
          {"accuracy_change",
           redacted.at("accuracy").is_number() && plain.json.at("accuracy").is_number()
               ? nlohmann::json(redacted.at("accuracy").get<double>() -
                                plain.json.at("accuracy").get<double>())
               : nlohmann::json()},
          {"basis", "measured"}};
}

// The data-quality report of the splits, written beside eval.json; eval.json's dataset.quality.
// It quotes rows: `data` is what may be quoted (redacted under [privacy] redact).
std::optional<DataQuality> inspect_splits(const ProjectConfig& config, const PreparedData& data,
                                          const EvalOptions& options, std::ostream& log) {
  if (!options.inspect) return std::nullopt;
  log << "inspecting the data (label variants, near-duplicates, label noise)...\n";
  InspectOptions inspect = inspect_options(config.data);
  inspect.skip_flag = "--no-inspect";
  if (options.progress) inspect.progress = [&log](const std::string& line) { log << line << "\n"; };
  DataQuality quality = inspect_data(data, inspect);
  write_data_quality(options.out_dir, quality);
  return quality;
}

// eval.json, predictions.jsonl and report.md of an earlier run into the same folder, and its
// data-quality files: set aside (OUT/.earlier-run/) before this run writes anything, so a run
// stopped half-way leaves no finished-looking results beside its own partial ones (eval.json is
// written last). The prompt files are copied there too, and each model folder this run's training
// replaces is moved there (model_aside), so that whatever stops the run before its eval.json (a
// refusal, a failure, Ctrl-C) puts the earlier run back whole: its results with the models and
// prompts they describe. LLM answers this run paid for stay in the response cache. Deleted once
// eval.json is written. A run killed while they were set aside leaves them there; the next run
// starts by putting them back.
class EarlierResults {
 public:
  explicit EarlierResults(std::filesystem::path out_dir)
      : out_(std::move(out_dir)), aside_(out_ / ".earlier-run") {
    files_ = {"eval.json", "predictions.jsonl", "report.md"};
    for (const auto& f : data_quality_files()) files_.push_back(f);
    put_back();  // a run killed while they were aside
    for (const auto& f : files_) {
      std::error_code error;
      if (!std::filesystem::exists(out_ / f, error)) continue;
      std::filesystem::create_directories(aside_, error);
      if (!error) std::filesystem::rename(out_ / f, aside_ / f, error);
      if (error) refuse(out_ / f, error);
    }
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(out_ / "prompts", error)) {
      if (!entry.is_regular_file(error)) continue;
      std::filesystem::create_directories(aside_ / "prompts", error);
      const std::filesystem::path copy = aside_ / "prompts" / entry.path().filename();
      if (!error)
        std::filesystem::copy_file(entry.path(), copy,
                                   std::filesystem::copy_options::overwrite_existing, error);
      if (error) {
        // A copy cut short (a full disk) must not go back over the prompt it copies.
        std::error_code ignored;
        std::filesystem::remove(copy, ignored);
        refuse(entry.path(), error);
      }
    }
  }
  ~EarlierResults() {
    if (!discarded_) put_back();
  }
  EarlierResults(const EarlierResults&) = delete;
  EarlierResults& operator=(const EarlierResults&) = delete;

  // Where the model this run trains into OUT/models/<folder> keeps the one it replaces.
  std::filesystem::path model_aside(const std::string& folder) const {
    return aside_ / "models" / folder;
  }

  // This run's eval.json is written: the earlier results go for good.
  void discard() {
    if (discarded_) return;
    discarded_ = true;
    std::error_code ignored;
    std::filesystem::remove_all(aside_, ignored);
  }

 private:
  // The constructor stops: what it set aside goes back first (no destructor runs for it, and a
  // full disk had left the earlier results in .earlier-run/ with no eval.json in place).
  [[noreturn]] void refuse(const std::filesystem::path& file, const std::error_code& error) {
    put_back();
    throw UserError(fmt::format(
        "cannot set aside {} of an earlier run: {}; {}, then run again (the earlier run's "
        "results are back in place, unchanged)",
        file.string(), error.message(),
        error == std::errc::no_space_on_device ? "free space on the --out folder's disk"
                                               : "check that the --out folder is writable and "
                                                 "its disk has free space"));
  }

  // Never throws: it runs while an error unwinds.
  void put_back() noexcept { put_back_earlier_results(out_); }

  std::filesystem::path out_, aside_;
  std::vector<std::string> files_;
  bool discarded_ = false;
};

// Model folders under OUT/models/ that this run does not write (an earlier run's approaches):
// left in place, since they may be the user's, but named, so nobody takes them for this run's.
void note_other_models(const std::filesystem::path& out_dir,
                       const std::vector<ApproachConfig>& approaches, std::ostream& log) {
  std::error_code error;
  std::filesystem::directory_iterator it(out_dir / "models", error), end;
  std::set<std::string> ours;
  for (const auto& a : approaches) ours.insert(model_folder_name(a.name));
  std::vector<std::string> others;
  for (; !error && it != end; it.increment(error)) {
    std::string name = it->path().filename().string();
    if (it->is_directory() && !ours.contains(name)) others.push_back(name);
  }
  if (!others.empty()) {
    std::sort(others.begin(), others.end());
    log << fmt::format(
        "note: {} also holds {} from an earlier run, not from this one (not in eval.json); left "
        "as they are: delete them, or use a new --out folder, if you no longer need them\n",
        (out_dir / "models").string(), fmt::join(others, ", "));
  }
  std::vector<std::string> llm;
  for (const auto& a : approaches)
    if (a.is_llm()) llm.push_back(a.name);
  note_other_prompts(out_dir, llm, log);
}

}  // namespace

namespace {

// An error's shape: its text with every run of digits as one '#', so that one error quoting
// ids, times or token counts from the body groups as one (it had filled the five samples with
// one error, each counted once or twice).
std::string error_shape(const std::string& error) {
  std::string out;
  for (std::size_t i = 0; i < error.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(error[i]))) {
      out += '#';
      while (i + 1 < error.size() && std::isdigit(static_cast<unsigned char>(error[i + 1]))) ++i;
    } else {
      out += error[i];
    }
  }
  return out;
}

}  // namespace

nlohmann::json error_samples(const std::vector<Prediction>& predictions) {
  std::map<std::string, std::pair<std::string, int64_t>> by_shape;  // shape: (first text, items)
  for (const Prediction& p : predictions)
    if (p.error && !was_not_run(p)) {
      auto& [text, items] = by_shape[error_shape(*p.error)];
      if (items++ == 0) text = *p.error;
    }
  std::vector<std::pair<std::string, int64_t>> sorted;
  for (const auto& [shape, sample] : by_shape) sorted.push_back(sample);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < sorted.size() && i < 5; ++i)
    out.push_back(
        {{"error", valid_utf8(sorted[i].first.substr(0, 300))}, {"items", sorted[i].second}});
  return out;
}

PreparedData with_redacted_texts(PreparedData data, const RedactionRules& rules) {
  if (rules.empty()) return data;
  Redactor redactor(rules);
  for (Examples* part : {&data.splits.train, &data.splits.dev, &data.splits.test, &data.unlabelled})
    for (Example& e : *part) e.text = redactor.redact(e.text);
  data.summary = with_redacted_samples(std::move(data.summary), rules);
  return data;
}

DatasetSummary with_redacted_samples(DatasetSummary summary, const RedactionRules& rules) {
  if (rules.empty()) return summary;
  Redactor redactor(rules);
  for (LabelConflict& c : summary.conflict_samples) c.text = redactor.redact(c.text);
  for (LeakConflict& c : summary.leak_conflict_samples) c.text = redactor.redact(c.text);
  return summary;
}

nlohmann::json run_evaluation(const ProjectConfig& config, const EvalOptions& options,
                              std::ostream& progress_log) {
  std::ostream silent(nullptr);
  std::ostream& log = options.progress ? progress_log : silent;
  if (config.data.path.empty() && !config.data.pre_split()) {
    throw UserError(
        fmt::format("{}: no [data] table; add one with path (or train and test), text "
                    "and label (see README.md)",
                    config.file.empty() ? "config" : config.file.string()));
  }
  std::vector<ApproachConfig> approaches = selected_approaches(config, options);
  // before any data is read or sent
  enforce_local_only(config.privacy, approaches, "Remove them (or --only the others)");
  // A file where a local model's folder goes is refused now, not after the LLM runs have been
  // paid for and the models trained (save_model refuses it too, by then too late).
  for (const auto& a : approaches) {
    if (!a.is_local()) continue;
    refuse_file_as_folder(options.out_dir / "models", "the models folder");
    refuse_file_as_folder(options.out_dir / "models" / model_folder_name(a.name), "a model folder");
  }
  if (options.compare_redaction && config.privacy.rules.empty())
    throw UserError(
        "--compare-redaction needs redaction to compare: add [privacy] redact = [\"email\", "
        "\"phone\", \"card\", \"iban\", \"ip\", \"url\"] to the config");
  // The response cache is opened (and checked to be one) before the data's inspection, which
  // can take minutes: a store given as --cache is refused at once.
  if (std::any_of(approaches.begin(), approaches.end(),
                  [](const ApproachConfig& a) { return a.is_llm(); })) {
    const std::filesystem::path cache = resolve_cache_file(options.cache, config.file);
    if (!cache.empty()) ResponseCache check(cache);
  }
  PreparedData data = prepare_data(config.data);
  if (data.splits.test.empty()) {
    throw UserError("the test split is empty; add more labelled rows or raise test_fraction");
  }
  if (data.splits.train.empty()) {
    throw UserError("the train split is empty; add more labelled rows");
  }
  // Every key is read before anything is trained or the earlier results are set aside: a key
  // not set had stopped the run at its first LLM approach, after the local ones had trained.
  for (const auto& a : approaches)
    if (a.is_llm()) read_api_key(a);
  create_output_dir(options.out_dir);
  EarlierResults earlier(options.out_dir);
  note_other_models(options.out_dir, approaches, progress_log);
  // Rows left out of every split are counted in report.md's Data section; said here too, so
  // the table's counts add up for whoever reads only the terminal.
  if (std::string left = data.summary.rows_in_no_split(); !left.empty())
    progress_log << fmt::format("note: {} (report.md, Data)\n", left);
  // What the reports may quote of the rows: redacted once under [privacy] redact (the rows
  // themselves are trained on and sent as they are; requests are redacted on their way out).
  std::optional<PreparedData> redacted;
  if (!config.privacy.rules.empty()) redacted = with_redacted_texts(data, config.privacy.rules);
  const PreparedData& quoted = redacted ? *redacted : data;
  std::optional<DataQuality> quality = inspect_splits(config, quoted, options, log);

  nlohmann::json dataset = quoted.summary.to_json();  // its conflict samples quote texts
  dataset["seed"] = config.data.seed;  // with the files, it fixes the split: the run can be redone
  dataset["settings"] = measured_data_settings(config.data);  // decide compares the config with it
  dataset["prompt_settings"] = measured_prompt_settings(config);
  // The floor every approach should clear: always answering the test split's most frequent
  // label (on imbalanced data a high accuracy may be little more than that).
  if (std::optional<MajorityLabel> top = majority_label(data.splits.test))
    dataset["majority_baseline"] = {{"label", top->label}, {"accuracy", top->share}};
  nlohmann::json eval = {
      {"tool", "tunecase"},
      {"dataset", dataset},
      // null without a volume (0 would read as a volume of none)
      {"queries_per_day",
       config.queries_per_day() > 0 ? nlohmann::json(config.queries_per_day()) : nlohmann::json()},
      {"approaches", nlohmann::json::array()}};
  std::vector<std::string> names;
  std::vector<std::vector<Prediction>> predictions;
  std::vector<ScoredApproach> scored;
  // One confirmation threshold for the command: each LLM approach is asked about once the
  // command's spend so far plus its estimate passes $1 (each had been asked about alone, so three
  // approaches spent $1.17 unasked).
  CommandSpendGate spend(kConfirmAboveUsd, options.assume_yes, nullptr, log);
  nlohmann::json comparisons = nlohmann::json::array();
  for (const auto& approach : approaches) {
    ApproachOutcome outcome = evaluate_one(approach, config, data, options, spend, log,
                                           earlier.model_aside(model_folder_name(approach.name)));
    if (options.compare_redaction && approach.is_llm())
      comparisons.push_back(
          redaction_comparison(approach, outcome.json, config, data, options, spend, log));
    ScoredApproach s{approach.name, {}, {}};
    for (std::size_t i = 0; i < data.splits.test.size(); ++i) {
      const Prediction& p = outcome.predictions[i];
      s.correct.push_back(!p.error && !p.invalid && p.label == data.splits.test[i].label);
      s.ran.push_back(!was_not_run(p));
    }
    if (quality) {
      outcome.json["without_near_leaked_test"] = without_near_leaked(s, quality->test_near_leaked);
    }
    outcome.json["settings"] = measured_approach_settings(approach);
    scored.push_back(std::move(s));
    names.push_back(approach.name);
    predictions.push_back(std::move(outcome.predictions));
    eval["approaches"].push_back(std::move(outcome.json));
  }
  eval["pairwise"] = pairwise_json(scored);
  if (options.compare_redaction) eval["redaction"] = comparisons;
  if (quality) {
    eval["dataset"]["quality"] = quality->to_json();
    eval["dataset"]["quality"]["footer"] = data_quality_footer(*quality);
  }

  write_predictions(options.out_dir / "predictions.jsonl", data.splits.test, names, predictions);
  write_file(options.out_dir / "report.md", eval_markdown(eval));
  write_file(options.out_dir / "eval.json", eval.dump(2) + "\n");  // last: the run is complete
  earlier.discard();
  return eval;
}

}  // namespace tunecase
