#include "tunecase/monitor/retrain.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <string_view>
#include <unordered_set>

#include <fmt/format.h>

#include "tunecase/approaches/model_folder.h"
#include "tunecase/approaches/registry.h"
#include "tunecase/core/error.h"
#include "tunecase/core/hash.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/data/normalize.h"
#include "tunecase/llm/example_pool.h"
#include "tunecase/llm/prompt.h"
#include "tunecase/monitor/alert_rules.h"
#include "tunecase/monitor/daily.h"

namespace tunecase::monitor {
namespace {

std::string points(double x) {
  return fmt::format("{:+.1f} points", 100 * x);
}
std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}
std::string short_version(const std::string& v) {
  return v.substr(0, 12);
}

// The training data's fingerprint: every (text, label) pair in order.
std::string data_fingerprint(const Examples& train) {
  std::string all;
  for (const Example& e : train) {
    all += e.text;
    all += '\x1f';
    all += e.label;
    all += '\x1e';
  }
  return text_hash(all);
}

std::vector<std::string> classify_all(Classifier& model, const std::vector<LabelledText>& items) {
  std::vector<std::string> out;
  out.reserve(items.size());
  for (const LabelledText& item : items) out.push_back(model.classify(item.text).label);
  return out;
}

// What the retrain shared by every approach: the split, the training data, its labels.
struct RetrainData {
  std::vector<LabelledText> holdout;
  std::vector<std::string> gold;
  Examples train;
  std::set<std::string> trained_labels;
  std::string fingerprint;
  int64_t original_rows = 0;
};

// A challenger that is a version someone rolled back (the same data trains the same version) is
// not promoted again by a retrain: a rollback is a person's decision, and the next scheduled
// retrain would undo it. `tunecase models promote` brings it back on purpose.
void keep_rolled_back_out(const std::vector<ModelVersion>& versions, ApproachRetrain& out) {
  if (!out.comparison.promote) return;
  for (const ModelVersion& m : versions) {
    if (m.version != out.challenger_version || m.status != ModelStatus::rolled_back) continue;
    out.comparison.promote = false;
    out.comparison.reasons.push_back(fmt::format(
        "the challenger is version {}, which was rolled back (`tunecase models` shows when and "
        "by whom): a retrain does not promote a rolled-back version again (the same data trains "
        "the same version); `tunecase models promote --approach {} --version {}` brings it back "
        "on purpose, or wait for new labels",
        short_version(m.version), out.approach, short_version(m.version)));
    return;
  }
}

// Registers the challenger (once per version) with its holdout figures, and makes it the
// champion when the rule says so.
void register_challenger(Store& store, const RetrainRequest& request, const RetrainRun& run,
                         const std::vector<ModelVersion>& versions, std::size_t train_rows,
                         ApproachRetrain& out) {
  const Comparison& c = out.comparison;
  const double n = std::max<int64_t>(1, c.holdout);
  nlohmann::json metrics = {{"holdout_items", c.holdout},
                            {"holdout_from_ms", run.holdout_from_ms},
                            {"accuracy", c.challenger_right / n},
                            {"champion_accuracy", c.champion_right / n},
                            {"champion_version", out.champion_version},
                            {"mcnemar_p", c.mcnemar.p_value},
                            {"train_rows", train_rows},
                            {"promoted", c.promote},
                            {"reasons", c.reasons}};
  if (out.example_pool) {
    metrics["kind"] = kExamplePoolKind;
    metrics["comparison_usd"] = out.spent_usd;
    metrics["simulated"] = out.simulated;
  }
  bool exists = false;
  for (const ModelVersion& m : versions) exists = exists || m.version == out.challenger_version;
  if (!exists) {
    ModelVersion m;
    m.name = fmt::format("{} {} {}", out.approach, out.example_pool ? "examples" : "retrained",
                         iso_date(request.now_ms / kDayMs));
    m.approach = out.approach;
    m.version = out.challenger_version;
    m.data_fingerprint = out.data_fingerprint;
    m.created_at_ms = request.now_ms;
    m.metrics_json = metrics.dump();
    m.status = ModelStatus::challenger;
    m.path = out.challenger_path.string();
    m.registered_by = request.by;
    store.register_model(m);
  } else if (out.challenger_version != out.champion_version) {
    // Trained again on the same data (the same version), measured again on this holdout: the
    // registry shows this measurement, the one its promotion (or not) rests on.
    store.set_model_metrics(out.approach, out.challenger_version, metrics.dump());
  } else {
    // The champion itself, trained again on the same data: its figure is this holdout's too
    // (`tunecase models` says "the last retrain that trained it", and had kept an older one).
    // Nothing was compared, so no promotion verdict is recorded with it.
    metrics.erase("promoted");
    metrics.erase("reasons");
    metrics.erase("mcnemar_p");
    metrics["measured_as"] = "champion, trained again on the same data";
    store.set_model_metrics(out.approach, out.challenger_version, metrics.dump());
  }
  if (c.promote && out.challenger_version != out.champion_version) {
    store.set_model_status(out.approach, out.challenger_version, ModelStatus::champion,
                           request.now_ms, request.by);
    out.promoted = true;
  }
}

// What a challenger's approach.json says of where it came from: nothing of when (the registry
// keeps that), so that the same data trains the same version and a rerun registers nothing new.
nlohmann::json provenance(const RetrainRequest& request, const ApproachRetrain& out) {
  return {{"data_fingerprint", out.data_fingerprint},
          {"trained_by", request.by},
          {"original_rows", out.train_original},
          {"feedback_rows", out.train_feedback}};
}

// Moves a freshly written folder to OUT/models/<approach>/<short version>/ and returns that path.
std::filesystem::path settle_folder(const std::filesystem::path& staging,
                                    const std::filesystem::path& folder,
                                    const std::string& version) {
  std::filesystem::path path =
      std::filesystem::absolute(folder / short_version(version)).lexically_normal();
  std::filesystem::remove_all(path);
  std::filesystem::rename(staging, path);
  return path;
}

// The answers of `pool` on the holdout, through the runner; "" for an item without an answer.
std::vector<std::string> ask_with_pool(const ApproachConfig& approach, const ProjectConfig& config,
                                       const ExamplePool& pool, const Examples& items,
                                       const RetrainRequest& request, const std::string& which,
                                       ApproachRetrain& out, std::vector<std::string>& notes) {
  std::ostringstream quiet;
  std::ostream& log = request.log != nullptr ? *request.log : quiet;
  log << fmt::format("{}: the {} example pool on {} held-out items\n", approach.name, which,
                     items.size());
  // The runner builds the approach on the pool and prices it from its catalogue, as eval does.
  LlmRunResult r = run_llm_approach(approach, config, pool.examples, items, pool.labels,
                                    request.llm, *request.http, log);
  out.spent_usd += r.spent_usd;
  out.simulated = out.simulated || r.simulated;
  std::vector<std::string> answers;
  answers.reserve(r.predictions.size());
  for (const Prediction& p : r.predictions) answers.push_back(p.error ? "" : p.label);
  if (r.stopped_by_budget || r.errors > 0) {
    notes.push_back(fmt::format(
        "approach '{}': {} of {} held-out items got no answer with the {} pool{} (counted wrong)",
        approach.name, r.predictions.size() - r.evaluated, r.predictions.size(), which,
        r.stopped_by_budget ? ": the spend cap stopped the run" : ""));
  }
  return answers;
}

// An LLM approach: its example pool refreshed from the same training data as a local model, and
// both pools asked about the holdout.
ApproachRetrain refresh_pool(const ProjectConfig& config, Store& store,
                             const RetrainRequest& request, const ApproachConfig& approach,
                             const RetrainData& data, RetrainRun& run) {
  ApproachRetrain out;
  out.approach = approach.name;
  out.example_pool = true;
  out.train_original = data.original_rows;
  out.train_feedback = static_cast<int64_t>(data.train.size()) - data.original_rows;
  out.data_fingerprint = data.fingerprint;
  std::filesystem::path folder = request.out_dir / "models" / model_folder_name(approach.name);
  std::filesystem::path staging = folder / "staging";

  // The champion pool: the registry's, else the config's own train split (registered now, so
  // that a promotion has something to roll back to).
  std::vector<ModelVersion> versions = store.models(approach.name);
  const ModelVersion* registered = champion_of(versions);
  ExamplePool champion;
  if (registered != nullptr && !registered->path.empty()) {
    out.champion_path = registered->path;
    champion = load_example_pool(out.champion_path);
    out.champion_version = model_fingerprint(out.champion_path);
  } else {
    champion = {approach.name, request.labels, request.original};
    std::filesystem::remove_all(staging);
    save_example_pool(staging, champion, {{"source", "the config's [data] train split"}});
    out.champion_version = model_fingerprint(staging);
    out.champion_path = settle_folder(staging, folder, out.champion_version);
    if (!request.dry_run) {
      ModelVersion m;
      m.name = fmt::format("{} (the config's examples)", approach.name);
      m.approach = approach.name;
      m.version = out.champion_version;
      m.data_fingerprint = out.champion_version;
      m.created_at_ms = request.now_ms;
      m.path = out.champion_path.string();
      make_champion(store, m, request.now_ms, "tunecase retrain (the examples in use)");
    }
  }

  ExamplePool challenger;
  challenger.approach = approach.name;
  std::set<std::string> labels(champion.labels.begin(), champion.labels.end());
  labels.insert(data.trained_labels.begin(), data.trained_labels.end());
  challenger.labels.assign(labels.begin(), labels.end());
  challenger.examples = data.train;
  std::filesystem::remove_all(staging);
  save_example_pool(staging, challenger, provenance(request, out));
  out.challenger_version = model_fingerprint(staging);
  out.challenger_path = settle_folder(staging, folder, out.challenger_version);

  Examples items;
  items.reserve(data.holdout.size());
  for (const LabelledText& t : data.holdout) {
    Example e;
    e.id = t.request_id;
    e.text = t.text;
    e.label = t.label;
    items.push_back(std::move(e));
  }
  std::vector<std::string> before =
      ask_with_pool(approach, config, champion, items, request, "champion", out, run.notes);
  std::vector<std::string> after =
      ask_with_pool(approach, config, challenger, items, request, "challenger", out, run.notes);
  out.comparison = compare_on_holdout(data.gold, before, after, champion.labels,
                                      data.trained_labels, request.rule);
  keep_rolled_back_out(versions, out);
  if (!request.dry_run) register_challenger(store, request, run, versions, data.train.size(), out);
  return out;
}

}  // namespace

bool retrainable(const ApproachConfig& approach, const ProjectConfig& config) {
  if (approach.is_local()) return true;
  PromptSettings prompt = prompt_settings(approach, config);
  return prompt.strategy != PromptStrategy::kZeroShot && prompt.shots > 0;
}

std::optional<std::string> collapsed_labels(const std::vector<std::string>& held,
                                            const Examples& train) {
  if (held.size() < 20) return std::nullopt;
  std::map<std::string, std::size_t> counts;
  for (const auto& g : held) ++counts[g];
  auto top = std::max_element(counts.begin(), counts.end(),
                              [](const auto& a, const auto& b) { return a.second < b.second; });
  std::size_t in_train = 0;
  for (const Example& e : train) in_train += e.label == top->first;
  double held_share = double(top->second) / double(held.size());
  double train_share = train.empty() ? 0 : double(in_train) / double(train.size());
  if (held_share < 0.95 || train_share >= 0.5) return std::nullopt;
  return fmt::format(
      "{} of the {} held-out items ({}) are labelled '{}', which is {} of the training labels: "
      "feedback that suddenly carries one label usually means the label pipeline broke (an "
      "export or relabelling that wrote one value); check the feedback of the holdout window "
      "before retraining",
      top->second, held.size(), pct(held_share), top->first, pct(train_share));
}

Comparison compare_on_holdout(const std::vector<std::string>& gold,
                              const std::vector<std::string>& champion,
                              const std::vector<std::string>& challenger,
                              const std::vector<std::string>& champion_labels,
                              const std::set<std::string>& trained_labels,
                              const PromotionRule& rule) {
  if (champion.size() != gold.size() || challenger.size() != gold.size())
    throw std::invalid_argument("compare_on_holdout: answers and gold labels differ in length");
  Comparison c;
  c.holdout = static_cast<int64_t>(gold.size());
  std::vector<bool> a(gold.size()), b(gold.size());
  std::map<std::string, std::vector<std::size_t>> by_label;
  for (std::size_t i = 0; i < gold.size(); ++i) {
    a[i] = challenger[i] == gold[i];
    b[i] = champion[i] == gold[i];
    c.challenger_right += a[i];
    c.champion_right += b[i];
    by_label[gold[i]].push_back(i);
  }
  c.mcnemar = mcnemar_exact(a, b);
  std::set<std::string> known(champion_labels.begin(), champion_labels.end());
  for (const auto& [label, rows] : by_label) {
    LabelCheck check;
    check.label = label;
    check.n = static_cast<int64_t>(rows.size());
    std::size_t only_challenger = 0, only_champion = 0;
    for (std::size_t i : rows) {
      check.challenger_right += a[i];
      check.champion_right += b[i];
      only_challenger += a[i] && !b[i];
      only_champion += b[i] && !a[i];
    }
    check.p_value = mcnemar_exact_p(only_challenger, only_champion);
    check.large = check.n >= rule.large_label;
    check.worse =
        check.large && check.challenger_right < check.champion_right && check.p_value < rule.alpha;
    c.labels.push_back(check);
    if (!known.count(label)) c.new_labels.push_back(label);
    if (!trained_labels.count(label)) c.uncovered.push_back(label);
  }

  const double n = std::max<int64_t>(1, c.holdout);
  const double gain = (c.challenger_right - c.champion_right) / n;
  bool ok = true;
  if (c.holdout < rule.min_holdout) {
    ok = false;
    c.reasons.push_back(fmt::format(
        "only {} labelled items in the holdout; at least {} are needed to judge a challenger. "
        "Wait for more feedback, or lengthen [retrain] holdout_days",
        c.holdout, rule.min_holdout));
  }
  if (!c.uncovered.empty()) {
    ok = false;
    c.reasons.push_back(fmt::format(
        "label(s) {} appear in the holdout but never in the training data; wait until some of "
        "their labels predate the holdout window",
        join(c.uncovered)));
  }
  // Every held-out item with one label, for a classifier of several: a label pipeline that
  // broke (an export that wrote one value) looks like this, and a model trained on it "wins" by
  // answering that label to everything.
  if (c.holdout > 0 && c.labels.size() == 1 && known.size() > 1) {
    ok = false;
    c.reasons.push_back(fmt::format(
        "every one of the {} held-out items is labelled '{}': a holdout of one label cannot "
        "judge a classifier of {} labels, and usually means the feedback went wrong (an export "
        "or relabelling that wrote one value); check the feedback of the holdout window "
        "(tunecase monitor's daily figures, or the store's feedback table) before retraining",
        c.holdout, c.labels.front().label, known.size()));
  }
  std::string versus = fmt::format(
      "accuracy {} against the champion's {} on {} held-out items ({}, McNemar p = {:.3g})",
      pct(c.challenger_right / n), pct(c.champion_right / n), c.holdout, points(gain),
      c.mcnemar.p_value);
  if (gain < rule.min_gain) {
    ok = false;
    c.reasons.push_back(
        fmt::format("{}: below the required gain of {}", versus, points(rule.min_gain)));
  }
  std::vector<std::string> worse;
  for (const LabelCheck& l : c.labels) {
    if (l.worse)
      worse.push_back(fmt::format("{} (recall {} vs {} on {} items, p = {:.3g})", l.label,
                                  pct(static_cast<double>(l.challenger_right) / l.n),
                                  pct(static_cast<double>(l.champion_right) / l.n), l.n,
                                  l.p_value));
  }
  if (!worse.empty()) {
    ok = false;
    c.reasons.push_back("significantly worse on large label(s): " + join(worse));
  }
  c.promote = ok;
  if (ok) {
    c.reasons.push_back(
        fmt::format("{}: at least the required gain of {}", versus, points(rule.min_gain)));
    c.reasons.push_back(fmt::format(
        "not significantly worse on any label with at least {} held-out items", rule.large_label));
    if (!c.new_labels.empty())
      c.reasons.push_back(fmt::format("answers the new label(s) {}, which the champion cannot",
                                      join(c.new_labels)));
  }
  return c;
}

RetrainRun run_retrain(const ProjectConfig& config, Store& store, const RetrainRequest& request) {
  RetrainRun run;
  run.now_ms = request.now_ms;
  run.dry_run = request.dry_run;
  std::vector<const ApproachConfig*> targets;
  for (const std::string& name : request.approaches) {
    const ApproachConfig* a = config.find_approach(name);
    if (a == nullptr)
      throw UserError(fmt::format("--approach {}: not an approach of the config", name));
    if (!retrainable(*a, config)) {
      throw UserError(fmt::format(
          "--approach {}: its prompt shows no examples (zero-shot), so there is no example pool "
          "to refresh and nothing to retrain",
          name));
    }
    if (!a->is_local() && request.http == nullptr)
      throw std::logic_error("retrain: an LLM approach needs an HTTP client");
    targets.push_back(a);
  }
  if (request.approaches.empty()) {
    for (const ApproachConfig& a : config.approaches) {
      if (a.is_local()) {
        targets.push_back(&a);
      } else if (!retrainable(a, config)) {
        run.notes.push_back(fmt::format(
            "approach '{}' is a zero-shot LLM approach: no model to train and no examples to "
            "refresh",
            a.name));
      } else if (!request.refresh_examples || request.http == nullptr) {
        run.notes.push_back(fmt::format(
            "approach '{}' is an LLM approach: its example pool is refreshed with "
            "--refresh-examples or --approach {} (that asks its model about the holdout with "
            "each pool, which costs what `eval` would)",
            a.name, a.name));
      } else {
        targets.push_back(&a);
      }
    }
  }
  if (targets.empty()) {
    throw UserError(
        "the config has no local approach to retrain; an LLM approach's example pool is "
        "refreshed with --refresh-examples or --approach NAME");
  }

  std::vector<LabelledText> labelled = store.labelled_texts(0, request.now_ms + 1);
  run.feedback_items = static_cast<int64_t>(labelled.size());
  if (labelled.empty()) {
    throw UserError(
        "the store holds no labelled item with its text: no feedback has arrived yet for a "
        "request whose text was kept. The gateway keeps request texts only while [monitor] "
        "keep_texts = true (texts served before that are not kept); check that it is on for "
        "`tunecase serve`, send feedback, and retrain once labels have arrived.");
  }
  const int64_t last_day = labelled.back().created_at_ms / kDayMs;
  run.holdout_from_ms = (last_day - (request.holdout_days - 1)) * kDayMs;
  run.holdout_to_ms = (last_day + 1) * kDayMs;
  auto split = std::partition_point(labelled.begin(), labelled.end(), [&](const LabelledText& t) {
    return t.created_at_ms < run.holdout_from_ms;
  });
  RetrainData data;
  // A held-out item whose text is in the original training data is one both models may have
  // learned (a [data] file exported after the traffic, or holding it): it judges neither, and is
  // left out of the holdout, said in the report. It had been scored as "never trained on".
  // Compared as inspect compares duplicates (case-folded, NFKC, whitespace collapsed): an export
  // that lower-cased the texts or doubled a space had leaked the holdout all the same.
  std::unordered_set<std::string> original_texts, feedback_texts;
  for (const Example& e : request.original) original_texts.insert(normalize_text(e.text));
  // The feedback before the holdout trains the challenger alone: a held-out repeat of one of
  // its texts would favour it, and is left out as well.
  for (auto it = labelled.begin(); it != split; ++it)
    feedback_texts.insert(normalize_text(it->text));
  for (auto it = split; it != labelled.end(); ++it) {
    const std::string text = normalize_text(it->text);
    if (original_texts.count(text) > 0) {
      ++run.holdout_in_original;
      continue;
    }
    if (feedback_texts.count(text) > 0) {
      ++run.holdout_in_feedback;
      continue;
    }
    data.holdout.push_back(*it);
  }
  data.train = request.original;
  data.original_rows = static_cast<int64_t>(request.original.size());
  for (auto it = labelled.begin(); it != split; ++it) {
    Example e;
    e.id = it->request_id;
    e.text = it->text;
    e.label = it->label;
    data.train.push_back(std::move(e));
  }
  for (const Example& e : data.train) data.trained_labels.insert(e.label);
  for (const LabelledText& t : data.holdout) data.gold.push_back(t.label);
  data.fingerprint = data_fingerprint(data.train);
  const Examples& train = data.train;
  const std::set<std::string>& trained_labels = data.trained_labels;
  const std::vector<LabelledText>& holdout = data.holdout;
  const std::vector<std::string>& gold = data.gold;
  const std::string& fingerprint = data.fingerprint;

  for (const ApproachConfig* approach : targets) {
    if (!approach->is_local()) {
      run.approaches.push_back(refresh_pool(config, store, request, *approach, data, run));
      continue;
    }
    ApproachRetrain out;
    out.approach = approach->name;
    out.train_original = data.original_rows;
    out.train_feedback = static_cast<int64_t>(train.size()) - data.original_rows;
    out.data_fingerprint = fingerprint;
    // The champion: the registry's, else the model `eval` trained (registered now, so that a
    // promotion has something to roll back to).
    std::vector<ModelVersion> versions = store.models(approach->name);
    const ModelVersion* registered = champion_of(versions);
    out.champion_path = registered != nullptr && !registered->path.empty()
                            ? std::filesystem::path(registered->path)
                            : model_folder(*approach, request.eval_dir);
    if (!std::filesystem::exists(out.champion_path / "approach.json")) {
      throw UserError(fmt::format(
          "approach '{}': no champion model in {}; pass --eval DIR (the folder `tunecase eval` "
          "wrote) or set model_dir in its table",
          approach->name, out.champion_path.string()));
    }
    LoadedModel champion = load_model(out.champion_path);
    out.champion_version = model_fingerprint(out.champion_path);
    if (registered == nullptr && !request.dry_run) {
      ModelVersion m;
      m.name = fmt::format("{} (as trained by eval)", approach->name);
      m.approach = approach->name;
      m.version = out.champion_version;
      m.data_fingerprint = out.champion_version;
      m.created_at_ms = request.now_ms;
      m.path = std::filesystem::absolute(out.champion_path).lexically_normal().string();
      make_champion(store, m, request.now_ms, "tunecase retrain (the model in use)");
    }

    // The challenger, on every label the champion knows plus the new ones.
    std::set<std::string> label_set(champion.labels.begin(), champion.labels.end());
    label_set.insert(trained_labels.begin(), trained_labels.end());
    std::vector<std::string> labels(label_set.begin(), label_set.end());
    std::unique_ptr<Classifier> challenger = make_classifier(champion.approach);
    challenger->calibrate_without_dev();  // it may be promoted and served: abstain_below
    // Said before it starts: on a year of feedback the training takes a minute or more, and a
    // run by hand had looked hung.
    if (request.log != nullptr)
      *request.log << fmt::format("{}: training the challenger on {} rows ({} labels)...\n",
                                  approach->name, train.size(), labels.size())
                   << std::flush;
    challenger->train(train, {}, labels);
    std::filesystem::path folder = request.out_dir / "models" / model_folder_name(approach->name);
    std::filesystem::path staging = folder / "staging";
    std::filesystem::remove_all(staging);
    save_model(staging, champion.approach, *challenger, labels, train.size(),
               provenance(request, out));
    out.challenger_version = model_fingerprint(staging);
    out.challenger_path = settle_folder(staging, folder, out.challenger_version);

    // A champion retrained earlier learnt the feedback before its own holdout: an item of this
    // holdout from before then is one it was trained on, and would judge it on its own training
    // data (a wider holdout_days brought 146 such items in, and kept the champion).
    int64_t champion_cutoff = 0;
    if (registered != nullptr) {
      nlohmann::json m = nlohmann::json::parse(registered->metrics_json, nullptr, false);
      if (m.is_object()) champion_cutoff = m.value("holdout_from_ms", int64_t{0});
    }
    std::vector<LabelledText> fair;
    std::vector<std::string> fair_gold;
    for (std::size_t i = 0; i < holdout.size(); ++i) {
      if (holdout[i].created_at_ms < champion_cutoff) continue;
      fair.push_back(holdout[i]);
      fair_gold.push_back(gold[i]);
    }
    const std::size_t seen = holdout.size() - fair.size();
    out.comparison = compare_on_holdout(fair_gold, classify_all(*champion.classifier, fair),
                                        classify_all(*challenger, fair), champion.labels,
                                        trained_labels, request.rule);
    if (seen > 0)
      out.comparison.reasons.push_back(fmt::format(
          "{} held-out items from before {} are left out: the champion was trained on labels up "
          "to then, so they would judge it on its own training data",
          seen, iso_date(champion_cutoff / kDayMs)));
    if (run.holdout_in_original > 0)
      out.comparison.reasons.push_back(fmt::format(
          "{} labelled items of the holdout days are left out: their texts are in the original "
          "training data, so both models may have learned them (texts that recur, as tickets "
          "do; when most of the holdout is left out, the [data] file may hold the served "
          "traffic: point it at the data from before the traffic)",
          run.holdout_in_original));
    if (run.holdout_in_feedback > 0)
      out.comparison.reasons.push_back(fmt::format(
          "{} labelled items of the holdout days are left out: their texts are among the "
          "feedback before the holdout, which the challenger was trained on and the champion "
          "never saw (repeated tickets)",
          run.holdout_in_feedback));
    // A holdout reaching back before the champion's cutoff trains the challenger on less
    // feedback than the champion had: a tie would swap in a model that knows less.
    if (champion_cutoff > run.holdout_from_ms) {
      out.comparison.promote = false;
      out.comparison.reasons.push_back(fmt::format(
          "the challenger was trained on labels before {}, the champion on labels up to {}: it "
          "knows less than the champion, so no holdout result is a reason to swap; shorten "
          "[retrain] holdout_days so that the holdout starts after {}",
          iso_date(run.holdout_from_ms / kDayMs), iso_date(champion_cutoff / kDayMs),
          iso_date(champion_cutoff / kDayMs)));
    }
    if (out.comparison.promote) {
      if (auto why = collapsed_labels(fair_gold, train)) {
        out.comparison.promote = false;
        out.comparison.reasons.push_back(*why);
      }
    }
    if (out.train_feedback == 0 && out.comparison.promote) {
      out.comparison.promote = false;
      out.comparison.reasons.push_back(
          "no feedback label outside the holdout to learn from: the challenger saw only the "
          "original training data, so it cannot have learned what the champion lacks. Wait for "
          "labels older than the holdout window (or shorten [retrain] holdout_days)");
    }
    keep_rolled_back_out(versions, out);
    if (!request.dry_run) register_challenger(store, request, run, versions, train.size(), out);
    run.approaches.push_back(std::move(out));
  }
  return run;
}

nlohmann::json retrain_json(const RetrainRun& run) {
  nlohmann::json approaches = nlohmann::json::array();
  for (const ApproachRetrain& a : run.approaches) {
    const Comparison& c = a.comparison;
    nlohmann::json labels = nlohmann::json::array();
    for (const LabelCheck& l : c.labels)
      labels.push_back({{"label", l.label},
                        {"n", l.n},
                        {"champion_recall", static_cast<double>(l.champion_right) / l.n},
                        {"challenger_recall", static_cast<double>(l.challenger_right) / l.n},
                        {"mcnemar_p", l.p_value},
                        {"large", l.large},
                        {"significantly_worse", l.worse}});
    const double n = std::max<int64_t>(1, c.holdout);
    approaches.push_back(
        {{"approach", a.approach},
         {"kind", a.example_pool ? "example pool" : "model"},
         {"comparison_usd", a.spent_usd},
         {"comparison_usd_is", a.simulated ? "simulated" : "measured"},
         {"champion_version", a.champion_version},
         {"champion_path", a.champion_path.string()},
         {"challenger_version", a.challenger_version},
         {"challenger_path", a.challenger_path.string()},
         {"train_original_rows", a.train_original},
         {"train_feedback_rows", a.train_feedback},
         {"data_fingerprint", a.data_fingerprint},
         {"holdout_items", c.holdout},
         {"champion_accuracy", c.champion_right / n},
         {"challenger_accuracy", c.challenger_right / n},
         {"mcnemar",
          {{"challenger_only_right", c.mcnemar.a_only_correct},
           {"champion_only_right", c.mcnemar.b_only_correct},
           {"p_value", c.mcnemar.p_value}}},
         {"labels", labels},
         {"new_labels", c.new_labels},
         {"uncovered_labels", c.uncovered},
         {"rule_says_promote", c.promote},
         {"promoted", a.promoted},
         {"reasons", c.reasons},
         {"figures", a.simulated ? "simulated: the model's answers came from "
                                   "`tunecase sim-llm`, on the held-out feedback labels"
                                 : "measured on the held-out feedback labels"}});
  }
  return {{"format", "tunecase-retrain/1"},
          {"now_ms", run.now_ms},
          {"holdout",
           {{"from", iso_date(run.holdout_from_ms / kDayMs)},
            {"to", iso_date(run.holdout_to_ms / kDayMs - 1)},
            {"from_ms", run.holdout_from_ms},
            {"to_ms", run.holdout_to_ms},
            {"left_out_in_original", run.holdout_in_original},
            {"left_out_in_feedback", run.holdout_in_feedback}}},
          {"labelled_items_in_store", run.feedback_items},
          {"dry_run", run.dry_run},
          {"approaches", approaches},
          {"notes", run.notes}};
}

std::string retrain_markdown(const RetrainRun& run) {
  std::string md = "# Retrain: champion and challenger\n\n";
  md += fmt::format(
      "Holdout: the labelled items of {} to {} (UTC), never trained on. Training data: the "
      "original labels plus the {} feedback labels before the holdout. All figures are measured "
      "on the holdout.{}{}{}\n\n",
      iso_date(run.holdout_from_ms / kDayMs), iso_date(run.holdout_to_ms / kDayMs - 1),
      run.approaches.empty() ? 0 : run.approaches.front().train_feedback,
      run.holdout_in_original > 0
          ? fmt::format(" {} labelled items of those days are left out of the holdout: their "
                        "texts are in the original training data ([data]), which both models may "
                        "have learned.",
                        run.holdout_in_original)
          : "",
      run.holdout_in_feedback > 0
          ? fmt::format(" {} more are left out: their texts are among the feedback before the "
                        "holdout, which only the challenger trained on.",
                        run.holdout_in_feedback)
          : "",
      run.dry_run ? " Dry run: nothing was registered or promoted." : "");
  for (const ApproachRetrain& a : run.approaches) {
    const Comparison& c = a.comparison;
    const double n = std::max<int64_t>(1, c.holdout);
    // The same model trained again (the same data): already the champion, dry run or not.
    const bool same = a.challenger_version == a.champion_version;
    std::string verdict = a.promoted                 ? "PROMOTED"
                          : c.promote && same        ? "already the champion"
                          : run.dry_run && c.promote ? "would be promoted (dry run)"
                          : c.promote                ? "already the champion"
                                                     : "NOT promoted";
    md += fmt::format("## {}{}: {}\n\n", a.approach, a.example_pool ? " (example pool)" : "",
                      verdict);
    if (a.example_pool) {
      md += fmt::format(
          "An LLM approach: the challenger is its example pool (the few-shot and retrieved "
          "examples its prompts draw from) refreshed with the feedback labels; both pools were "
          "asked about every held-out item, for {} ({}).{}\n\n",
          fmt::format("${:.4f}", a.spent_usd), a.simulated ? "simulated" : "measured",
          a.simulated ? " **Simulated**: the answers came from `tunecase sim-llm`, not a real "
                        "model."
                      : "");
    }
    md += fmt::format(
        "| | version | accuracy on {} held-out items |\n|---|---|---|\n| champion | {} | {} |\n"
        "| challenger | {} | {} |\n\n",
        c.holdout, short_version(a.champion_version), pct(c.champion_right / n),
        short_version(a.challenger_version), pct(c.challenger_right / n));
    md += fmt::format(
        "McNemar: the challenger alone right on {}, the champion alone on {} (p = {:.3g}). "
        "Trained on {} original + {} feedback rows.\n\n",
        c.mcnemar.a_only_correct, c.mcnemar.b_only_correct, c.mcnemar.p_value, a.train_original,
        a.train_feedback);
    for (const std::string& r : c.reasons) md += "- " + r + "\n";
    md +=
        "\n| label | held out | champion recall | challenger recall | p | |\n"
        "|---|---|---|---|---|---|\n";
    for (const LabelCheck& l : c.labels)
      md += fmt::format("| {} | {} | {} | {} | {:.3g} | {} |\n", l.label, l.n,
                        pct(static_cast<double>(l.champion_right) / l.n),
                        pct(static_cast<double>(l.challenger_right) / l.n), l.p_value,
                        l.worse   ? "significantly worse"
                        : l.large ? ""
                                  : "small");
    md += fmt::format("\nChallenger {}: `{}`\n\n", a.example_pool ? "pool" : "folder",
                      a.challenger_path.string());
  }
  for (const std::string& note : run.notes) md += "Note: " + note + "\n\n";
  return md;
}

Due retrain_due(const RetrainSettings& policy, Store& store, const std::string& approach,
                int64_t now_ms) {
  const bool scheduled = policy.policy == "scheduled" || policy.policy == "both";
  const bool triggered = policy.policy == "triggered" || policy.policy == "both";
  if (!scheduled && !triggered)
    return {false, "[retrain] policy = \"none\": no retrain is ever due"};
  std::vector<ModelVersion> versions = store.models(approach);
  int64_t last = 0;
  for (const ModelVersion& m : versions) last = std::max(last, m.created_at_ms);
  std::optional<Due> waiting;  // a refused attempt's wait, said when nothing else is due
  if (triggered) {
    // A version registered when or after the alert opened answered it. One promoted ends the
    // matter until the alert resolves and fires again (or the schedule). One the promotion rule
    // refused (a challenger still) is tried again while the alert stays open, once a fresh
    // holdout window has passed since it was made: the refusal is often "wait" (a new label
    // only in the holdout, too few held-out items), and one refusal had left a model that
    // could not answer a new label in service for good.
    const int64_t retry_ms = std::max(1, policy.holdout_days) * kDayMs;
    for (const Alert& a : store.alerts(/*open_only=*/true)) {
      if (a.kind != kAccuracyBelowFloor || a.approach != approach) continue;
      if (a.fired_at_ms > last) {
        // Past the policy's days it says so: the plan's point is the limit, and "retrain within
        // 7 days" 22 days after the alert had not said it was missed.
        const int64_t late_days =
            (now_ms - a.fired_at_ms) / kDayMs - static_cast<int64_t>(policy.within_days);
        return {true, fmt::format("the accuracy alert opened at {} UTC is open ({})",
                                  utc_text(a.fired_at_ms, false),
                                  late_days > 0
                                      ? fmt::format("retrain within {} days: overdue by {} day{}",
                                                    policy.within_days, late_days,
                                                    late_days == 1 ? "" : "s")
                                      : fmt::format("retrain within {} days", policy.within_days))};
      }
      const ModelVersion* newest = nullptr;
      for (const ModelVersion& m : versions)
        if (!newest || m.created_at_ms > newest->created_at_ms) newest = &m;
      if (!newest) continue;
      // One promoted and then rolled back did not stay either: the version it replaced, the one
      // the alert is about, serves again. It is tried again a fresh holdout window after the
      // rollback.
      int64_t from_ms = newest->created_at_ms;
      std::string what;
      if (newest->status == ModelStatus::challenger) {
        what = fmt::format("the challenger made for it on {} was not promoted",
                           iso_date(newest->created_at_ms / kDayMs));
      } else if (newest->status == ModelStatus::rolled_back) {
        for (const ModelEvent& e : store.model_events(approach))
          if (e.version == newest->version && e.event == "rolled_back")
            from_ms = std::max(from_ms, e.at_ms);
        what = fmt::format("the model made for it on {} was rolled back on {}",
                           iso_date(newest->created_at_ms / kDayMs), iso_date(from_ms / kDayMs));
      } else {
        continue;
      }
      if (now_ms - from_ms >= retry_ms)
        return {true, fmt::format("the accuracy alert opened at {} UTC is still open, and {}; a "
                                  "fresh holdout window ([retrain] holdout_days = {}) has passed "
                                  "since",
                                  utc_text(a.fired_at_ms, false), what, policy.holdout_days)};
      waiting =
          Due{false, fmt::format("the accuracy alert opened at {} UTC is open, and {} (see its "
                                 "retrain.md); it is tried again from {}, once a fresh "
                                 "holdout window ([retrain] holdout_days = {}) has passed",
                                 utc_text(a.fired_at_ms, false), what,
                                 iso_date((from_ms + retry_ms) / kDayMs), policy.holdout_days)};
    }
  }
  if (scheduled) {
    if (versions.empty()) return {true, "no model of this approach is registered yet"};
    int64_t age_days = (now_ms - last) / kDayMs;
    if (age_days >= 7LL * policy.every_weeks)
      return {true, fmt::format("the newest model is {} days old (every {} weeks)", age_days,
                                policy.every_weeks)};
    if (waiting) return *waiting;
    return {false, fmt::format("the newest model is {} days old; next scheduled retrain in {} days",
                               age_days, 7LL * policy.every_weeks - age_days)};
  }
  if (waiting) return *waiting;
  return {false, versions.empty() || last == 0
                     ? "no accuracy alert is open"
                     : "no accuracy alert is open that opened after the newest model was made"};
}

}  // namespace tunecase::monitor
