#include "tunecase/config/config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "tunecase/config/approach_kinds.h"
#include "tunecase/config/approach_settings.h"
#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/core/suggest.h"
#include "tunecase/data/normalize.h"
#include "tunecase/privacy/endpoint_locality.h"

namespace tunecase {
namespace {

const std::vector<std::string> kTables = {"data",     "task",     "labels", "approach",
                                          "business", "optimize", "curve",  "pilot",
                                          "monitor",  "retrain",  "privacy"};

std::string line_of(const toml::node* node, const std::filesystem::path& origin) {
  if (node == nullptr || node->source().begin.line == 0) return origin.string();
  return fmt::format("{}:{}", origin.string(), node->source().begin.line);
}

const toml::table* section(const toml::table& root, const char* name,
                           const std::filesystem::path& origin) {
  const toml::node* n = root.get(name);
  if (n == nullptr) return nullptr;
  if (!n->is_table())
    throw UserError(
        fmt::format("{}: {} must be a table, written [{}]", line_of(n, origin), name, name));
  return n->as_table();
}

void read_data(TableReader& r, DataConfig& d) {
  std::filesystem::path base = r.origin().parent_path();
  d.path = resolve_path(base, r.text("path", "", "one CSV or JSONL file, split by tunecase"));
  d.train = resolve_path(base, r.text("train", "", "pre-split data: the train file"));
  d.dev = resolve_path(base, r.text("dev", "", "pre-split data: the dev file (optional)"));
  d.test = resolve_path(base, r.text("test", "", "pre-split data: the test file"));
  d.text = r.text("text", d.text, "the text column / field");
  d.label = r.text("label", d.label, "the label column / field");
  d.time = r.text("time", "", "a time column (ISO 8601 or Unix time): enables split = \"time\"");
  d.id = r.text("id", "", "a row id column (default file:line)");
  d.split = r.text("split", d.split,
                   "how a single file is split: stratified (per label, by a seeded hash of each "
                   "text, so rows added later leave the others where they were) or time",
                   {"stratified", "time"});
  d.test_fraction = r.number("test_fraction", d.test_fraction, Range{0, 1, true, true},
                             "share held out for test");
  d.dev_fraction =
      r.number("dev_fraction", d.dev_fraction, Range{0, 1, false, true}, "share held out for dev");
  d.seed = static_cast<uint64_t>(
      r.integer("seed", 7, Range::between(0, 9.007e15), "seed of the split and of sampling"));
  d.skip_invalid =
      r.boolean("skip_invalid", false, "skip and count malformed rows instead of stopping");
  std::string delimiter =
      r.text("delimiter", "auto", "CSV field delimiter; auto = sniffed from the header",
             {"auto", ",", ";", "tab", "\t", "|"});
  d.delimiter = delimiter == "auto" ? 0 : delimiter == "tab" ? '\t' : delimiter[0];
  d.normalize_labels =
      r.boolean("normalize_labels", false,
                "map labels equal after trim, case-fold and NFKC to their most frequent spelling "
                "(to their [labels] entry's spelling when the table lists one)");
  d.near_duplicate_similarity = r.number(
      "near_duplicate_similarity", d.near_duplicate_similarity, Range{0, 1, true, false},
      "inspect: Jaccard similarity (character 5-grams) from which texts are near-duplicates");
  d.min_label_count =
      static_cast<int>(r.integer("min_label_count", d.min_label_count, Range::at_least(1),
                                 "inspect: labels with fewer train rows are flagged as too rare"));
  r.finish();
  if (!r.present() || r.describing()) return;
  if (d.path.empty() && !d.pre_split())
    r.fail("", "needs path = \"file\" or train = ... and test = ...");
  if (!d.path.empty() && d.pre_split())
    r.fail("", "has both path and train/test; keep one of them");
  if (d.pre_split() && (d.train.empty() || d.test.empty()))
    r.fail("", "with pre-split files needs both train and test");
  if (d.split == "time" && d.time.empty())
    r.fail("split", "\"time\" needs time = \"<column>\" in [data]");
  if (d.text == d.label)
    r.fail("label", fmt::format("names the same column as text (\"{}\"); name the column that "
                                "holds the labels",
                                d.label));
  if (!d.time.empty() && (d.time == d.text || d.time == d.label))
    r.fail("time", fmt::format("names the same column as {} (\"{}\"); name the column that holds "
                               "the times",
                               d.time == d.text ? "text" : "label", d.time));
  if (d.test_fraction + d.dev_fraction >= 1)
    r.fail("dev_fraction", fmt::format("test_fraction + dev_fraction must be below 1 (got {} + {})",
                                       d.test_fraction, d.dev_fraction));
}

void read_business(TableReader& r, BusinessSettings& b) {
  const Range money = Range::at_least(0);
  b.present = r.present();
  b.where = r.where();
  b.queries_per_day = r.optional_number("queries_per_day", money, "your volume per day");
  b.queries_per_month = r.optional_number("queries_per_month", money, "or per month");
  b.queries_per_year = r.optional_number("queries_per_year", money, "or per year");
  if ((b.queries_per_day ? 1 : 0) + (b.queries_per_month ? 1 : 0) + (b.queries_per_year ? 1 : 0) >
      1)
    r.fail(b.queries_per_year ? "queries_per_year" : "queries_per_month",
           "give only one of queries_per_day, queries_per_month, queries_per_year");
  b.days_per_month =
      r.number("days_per_month", 30, Range{0, 31, true, false}, "days in a billing month");
  b.cost_per_error_usd =
      r.optional_number("cost_per_error_usd", money, "what one wrong answer costs");
  b.cost_per_incident_usd =
      r.optional_number("cost_per_incident_usd", money, "what one harmful incident costs");
  b.harmful_error_rate = r.optional_number("harmful_error_rate", Range::rate(),
                                           "share of wrong answers that cause an incident");
  // Checked here, with the key's line, so that `check` says it (decide had, naming line 1).
  if (!r.describing() && b.cost_per_error_usd && (b.cost_per_incident_usd || b.harmful_error_rate))
    r.fail(b.harmful_error_rate ? "harmful_error_rate" : "cost_per_incident_usd",
           "give either cost_per_error_usd or harmful_error_rate + cost_per_incident_usd, not "
           "both: one prices every wrong answer, the other only the harmful share");
  if (!r.describing() && b.harmful_error_rate && !b.cost_per_incident_usd)
    r.fail("harmful_error_rate",
           "needs cost_per_incident_usd beside it: what one harmful incident costs");
  if (const toml::node* by_label = r.node(
          "cost_per_error_by_label", "table of label = number, >= 0",
          "what a wrong answer costs when the item's true label is this one, e.g. { urgent = 40 "
          "} (other labels cost cost_per_error_usd)")) {
    const toml::table* t = by_label->as_table();
    if (t == nullptr)
      r.fail("cost_per_error_by_label",
             fmt::format("must be a table of label = USD like {{ urgent = 40.0 }}, not {}",
                         toml_text(*by_label)));
    if (!r.describing() && !b.cost_per_error_usd)
      r.fail("cost_per_error_by_label",
             b.harmful_error_rate || b.cost_per_incident_usd
                 ? "prices wrong answers by label, and this config prices harmful incidents "
                   "(harmful_error_rate + cost_per_incident_usd): give cost_per_error_usd and "
                   "cost_per_error_by_label instead, or leave the per-label costs out"
                 : "needs cost_per_error_usd beside it: what a wrong answer of any label it does "
                   "not name costs");
    if (!r.describing() && t->empty())
      r.fail("cost_per_error_by_label",
             "is empty: name the labels whose errors cost more (or less), as { urgent = 40.0 }, "
             "or remove the key");
    TableReader labels = r.nested(t, "cost_per_error_by_label");
    for (const auto& [key, value] : *t) {
      const std::string label(key.str());
      b.cost_per_error_by_label[label] =
          labels.number(label, 0, money, "what a wrong answer of this true label costs");
    }
    labels.finish();
    b.cost_per_error_by_label_where = r.where("cost_per_error_by_label");
  }
  b.engineer_usd_per_week =
      r.optional_number("engineer_usd_per_week", money, "loaded cost of one engineer-week");
  b.horizon_months = r.number("horizon_months", 12, Range{0, 1200, true, false},
                              "months costs and value are summed over");
  b.monitoring_usd_per_month =
      r.number("monitoring_usd_per_month", 0, money, "monitoring cost per approach per month");
  b.utilisation = r.number("utilisation", 0.5, Range{0, 1, true, false},
                           "share of self-hosted capacity used (per_query hosting)");
  b.pilot_traffic_share =
      r.number("pilot_traffic_share", 0.05, Range{0, 1, true, true},
               "live traffic the pilot gets (the challenger's share; the baseline keeps the rest)");
  b.baseline = r.text("baseline", "", "the approach you run today (default: the first)");
  b.infra_expertise = r.optional_boolean("infra_expertise", "can the team run model serving?");
  b.data_sensitive = r.optional_boolean("data_sensitive", "must the data stay in your systems?");
  b.task_stable_months = r.optional_number("task_stable_months", money,
                                           "how long the labels and rules stay unchanged");
  b.labelled_examples =
      r.optional_number("labelled_examples", money, "labelled examples (scenario mode)");
  r.finish();
}

void read_optimize(TableReader& r, OptimizeTableSettings& o, std::vector<SettingRecord>* records) {
  o.present = r.present();
  o.where = r.where();
  const toml::node* models = r.node("models", "list of approach names or inline tables",
                                    "the [[approach]] templates of the search (openai/anthropic)");
  if (models != nullptr) {
    const toml::array* list = models->as_array();
    if (list == nullptr || list->empty())
      r.fail("models", "must list at least one [[approach]] name or inline table");
    for (const auto& item : *list) {
      OptimizeModel m;
      if (auto s = item.value<std::string>()) {
        m.name = *s;
      } else if (const toml::table* t = item.as_table()) {
        m.inline_ = read_approach_table(*t, r.origin(), records, "openai");
      } else {
        r.fail("models",
               fmt::format("entries are approach names or inline tables, not {}", toml_text(item)));
      }
      o.models.push_back(std::move(m));
    }
  }
  std::vector<std::string> strategies = {"zero_shot", "few_shot", "retrieval_few_shot",
                                         "chain_of_thought"};
  o.strategies = r.text_list("strategies", "prompt strategies to try", strategies);
  o.shots = r.integer_list("shots", Range::between(0, 1000), "shot counts to try");
  o.selection =
      r.text_list("selection", "example selections to try", {"stratified", "random", "retrieved"});
  o.temperatures = r.number_list("temperatures", Range::between(0, 2), "temperatures to try");
  o.structured_output = r.boolean_list("structured_output", "structured output on/off");
  o.label_descriptions = r.boolean_list("label_descriptions", "label descriptions on/off");
  o.max_usd_per_1k =
      r.optional_number("max_usd_per_1k", Range::at_least(0), "cost limit of the winner");
  o.max_p95_ms =
      r.optional_number("max_p95_ms", Range::at_least(0), "p95 latency limit of the winner");
  o.budget_usd = r.optional_number(
      "budget_usd", Range::at_least(0),
      "cap on the search's spend at list price (cached answers it had not counted included)");
  o.max_calls = r.optional_integer("max_calls", Range::at_least(1), "cap on the search's requests");
  o.seed = r.integer("seed", 7, Range::between(0, 9.007e15), "shuffles the dev split once");
  o.start_sample =
      r.integer("start_sample", 50, Range::between(1, 1e9), "dev items of the first round");
  r.finish();
  if (o.present && !r.describing() && o.models.empty())
    r.fail("", "needs models = [\"<an [[approach]] name>\"]");
}

void read_curve(TableReader& r, CurveTableSettings& c) {
  c.present = r.present();
  c.where = r.where();
  if (auto sizes = r.integer_list("sizes", Range::between(1, 1e9), "training-label counts")) {
    c.sizes = *sizes;
    c.sizes_given = true;
    std::vector<int64_t> sorted(sizes->begin(), sizes->end());
    std::sort(sorted.begin(), sorted.end());
    auto twice = std::adjacent_find(sorted.begin(), sorted.end());
    if (twice != sorted.end())
      r.fail("sizes", fmt::format("{} is listed twice; list each size once (each is measured "
                                  "with every seed)",
                                  *twice));
  }
  c.seeds = static_cast<int>(r.integer("seeds", 3, Range::between(1, 100), "subsamples per size"));
  c.target_accuracy = r.optional_number("target_accuracy", Range{0, 1, true, true},
                                        "report the labels needed to reach it");
  c.approaches = r.text_list("approaches", "what to measure (names of [[approach]] tables)");
  if (auto names =
          r.text_list("finetune", "fine-tune these approaches at each fraction (paid jobs)"))
    c.finetune = *names;
  // A name listed twice was measured twice and reported twice, as two approaches.
  for (const char* key : {"approaches", "finetune"}) {
    std::vector<std::string> sorted = std::string_view(key) == "finetune"
                                          ? c.finetune
                                          : c.approaches.value_or(std::vector<std::string>{});
    std::sort(sorted.begin(), sorted.end());
    auto twice = std::adjacent_find(sorted.begin(), sorted.end());
    if (twice != sorted.end())
      r.fail(key, fmt::format("\"{}\" is listed twice; list each approach once", *twice));
  }
  if (auto f =
          r.number_list("finetune_fractions", Range{0, 1, true, true},
                        "shares of train to fine-tune on (default 0.1, 0.3; all of train added)"))
    c.finetune_fractions = *f;
  r.finish();
}

void read_pilot(TableReader& r, PilotSettings& p) {
  p.present = r.present();
  p.where = r.where();
  p.champion = r.text("champion", "", "the baseline approach (default: the first)");
  p.challenger = r.text("challenger", "", "the approach piloted against it (none: production)");
  p.mode = r.text("mode", p.mode, "split traffic, shadow the champion, or fall back to it",
                  {"split", "shadow", "fallback"});
  p.share_set = r.has("share");
  p.days_set = r.has("days");
  p.share = r.number("share", p.share, Range{0, 1, true, true}, "the challenger's traffic share");
  p.salt = r.text("salt", "", "changes the sticky assignment (default: drawn once, stored)");
  p.abstain_below = r.optional_number("abstain_below", Range::rate(),
                                      "answer \"needs a human\" below this confidence");
  p.challenger_timeout_ms =
      static_cast<int>(r.integer("challenger_timeout_ms", 2000, Range::between(1, 50000),
                                 "fallback: champion answers after (the champion still has to "
                                 "answer within the gateway's 60 s)"));
  p.days = static_cast<int>(r.integer("days", 14, Range::between(1, 365), "planned days"));
  p.queries_per_arm =
      r.optional_integer("queries_per_arm", Range::at_least(1),
                         "planned labelled queries per arm (default: from --plan, else 1000)");
  p.min_gain = r.number("min_gain", 0, Range::between(-1, 1),
                        "without --plan: the accuracy gain a clear win needs (below 0: the loss "
                        "accepted; worse needs a larger one)");
  p.alpha = r.number("alpha", 0.05, Range{0, 0.5, true, false}, "error rate of the verdict");
  r.finish();
}

void read_monitor(TableReader& r, MonitorSettings& m) {
  m.present = r.present();
  m.where = r.where();
  m.accuracy_floor = r.number("accuracy_floor", m.accuracy_floor, Range{0, 1, true, false},
                              "alert when daily accuracy falls below this");
  m.min_labelled = r.integer("min_labelled", m.min_labelled, Range::at_least(1),
                             "labelled items before a day's accuracy counts");
  m.accuracy_rule = r.text("accuracy_rule", m.accuracy_rule,
                           "interval: the day's 95% upper bound below the floor; consecutive: "
                           "point accuracy below it on consecutive_days counted days in a row",
                           {"interval", "consecutive", "both"});
  m.consecutive_days =
      static_cast<int>(r.integer("consecutive_days", m.consecutive_days, Range::between(1, 365),
                                 "counted days in a row below the floor"));
  m.min_requests = r.integer("min_requests", m.min_requests, Range::at_least(1),
                             "requests before a day's error rate and latency count");
  m.max_error_rate = r.number("max_error_rate", m.max_error_rate, Range::rate(),
                              "alert when errors per request exceed this");
  m.max_latency_p95_ms = r.optional_number("max_latency_p95_ms", Range::above(0),
                                           "alert when a day's latency p95 exceeds this");
  m.max_usd_per_day =
      r.optional_number("max_usd_per_day", Range::above(0), "alert when a day costs more");
  m.feedback_silence_hours =
      r.number("feedback_silence_hours", m.feedback_silence_hours, Range::above(0),
               "alert when no label arrived for this long while traffic flows");
  m.traffic_silence_hours =
      r.number("traffic_silence_hours", m.traffic_silence_hours, Range::above(0),
               "alert when no request arrived for this long after traffic had flowed");
  m.days =
      static_cast<int>(r.integer("days", m.days, Range::between(1, 3660), "days in the report"));
  m.webhook = r.text("webhook", "", "URL alerts are POSTed to as JSON (none: no webhook)");
  // Found at the first alert otherwise, after its tries (a typo in the URL reached nobody).
  if (!m.webhook.empty() && m.webhook.rfind("http://", 0) != 0 &&
      m.webhook.rfind("https://", 0) != 0)
    r.fail("webhook", "must be an http:// or https:// URL (alerts are POSTed to it as JSON)");
  m.webhook_attempts =
      static_cast<int>(r.integer("webhook_attempts", m.webhook_attempts, Range::between(1, 10),
                                 "tries per alert, with exponential back-off"));
  m.reference_days =
      static_cast<int>(r.integer("reference_days", m.reference_days, Range::between(1, 3660),
                                 "drift: days of the reference window"));
  m.current_days =
      static_cast<int>(r.integer("current_days", m.current_days, Range::between(1, 3660),
                                 "drift: days of the current window"));
  m.min_drift_items = r.integer("min_drift_items", m.min_drift_items, Range::at_least(1),
                                "drift: items in each window before a figure counts");
  m.psi_warn = r.number("psi_warn", m.psi_warn, Range::above(0), "drift: PSI of a moderate shift");
  m.psi_alert =
      r.number("psi_alert", m.psi_alert, Range::above(0), "drift: PSI that raises an alert");
  if (m.psi_alert < m.psi_warn) r.fail("psi_alert", "must be at least psi_warn");
  m.domain_auc_alert =
      r.number("domain_auc_alert", m.domain_auc_alert, Range{0.5, 1, true, false},
               "drift: AUC of the reference-vs-current text classifier that alerts");
  m.oov_rise_alert = r.number("oov_rise_alert", m.oov_rise_alert, Range{0, 1, true, false},
                              "drift: rise of the out-of-vocabulary token share that alerts");
  m.emerging_terms = static_cast<int>(r.integer(
      "emerging_terms", m.emerging_terms, Range::between(0, 1000), "drift: emerging terms listed"));
  m.owner = r.text("owner", "", "who watches the alerts (shown as UNASSIGNED when missing)");
  m.keep_texts = r.boolean("keep_texts", false,
                           "serve stores request texts in the store (input drift needs them)");
  r.finish();
}

void read_retrain(TableReader& r, RetrainSettings& t) {
  t.present = r.present();
  t.where = r.where();
  t.policy = r.text("policy", t.policy, "when a model is retrained",
                    {"none", "scheduled", "triggered", "both"});
  t.every_weeks = static_cast<int>(r.integer("every_weeks", t.every_weeks, Range::between(1, 520),
                                             "scheduled: weeks between retrains"));
  t.within_days =
      static_cast<int>(r.integer("within_days", t.within_days, Range::between(1, 365),
                                 "triggered: days from an accuracy alert to a retrain"));
  t.min_gain = r.number("min_gain", t.min_gain, Range::between(-1, 1),
                        "promotion: accuracy gain a challenger needs over the champion");
  t.usd_per_retrain = r.optional_number("usd_per_retrain", Range::at_least(0),
                                        "assumed cost of one routine retrain");
  t.emergency_usd = r.number("emergency_usd", t.emergency_usd, Range::at_least(0),
                             "assumed cost of an unplanned emergency retrain");
  t.holdout_days =
      static_cast<int>(r.integer("holdout_days", t.holdout_days, Range::between(1, 365),
                                 "most recent labelled days held out, never trained on"));
  t.owner = r.text("owner", "", "who decides on a retrain (shown as UNASSIGNED when missing)");
  r.finish();
}

void read_custom_patterns(TableReader& r, PrivacySettings& p) {
  const toml::node* node =
      r.node("custom", "table of name = \"pattern\"",
             "named patterns for \"custom\": # digit, % letter, ? either, + one or more, "
             "\\ literal");
  if (node == nullptr) return;
  const toml::table* table = node->as_table();
  if (table == nullptr)
    r.fail("custom", "must be a table like custom = { employee_id = \"EMP-######\" }");
  for (const auto& [key, value] : *table) {
    std::string name(key.str());
    if (!value.is_string())
      r.fail("custom",
             fmt::format("{}: the pattern must be text in quotes, like \"EMP-######\"", name));
    try {
      p.rules.custom.emplace_back(name, value.as_string()->get());
    } catch (const std::invalid_argument& e) {
      r.fail("custom", fmt::format("{} = \"{}\": {}", name, value.as_string()->get(), e.what()));
    }
  }
}

void read_privacy(TableReader& r, PrivacySettings& p) {
  p.present = r.present();
  p.where = r.where();
  std::vector<std::string> kinds = builtin_pii_kinds();
  kinds.push_back("custom");
  p.redact = r.text_list("redact", "kinds of personal data replaced before any LLM request", kinds)
                 .value_or(std::vector<std::string>{});
  read_custom_patterns(r, p);
  p.local_only = r.boolean("local_only", false,
                           "refuse approaches whose endpoint is not loopback or an allowed host");
  p.allowed_hosts =
      r.text_list("allowed_hosts",
                  "hosts that count as local: name, address, \"*.suffix\" or \"10.0.0.0/8\"")
          .value_or(std::vector<std::string>{});
  r.finish();
  if (!p.present || r.describing()) return;
  for (const auto& entry : p.allowed_hosts)
    if (std::string problem = allowed_host_problem(entry); !problem.empty())
      r.fail("allowed_hosts", fmt::format("\"{}\": {}", entry, problem));
  bool custom_listed = std::find(p.redact.begin(), p.redact.end(), "custom") != p.redact.end();
  if (custom_listed && p.rules.custom.empty())
    r.fail("redact",
           "lists \"custom\" but no patterns are given; add custom = { name = "
           "\"pattern\" }");
  if (!custom_listed && !p.rules.custom.empty())
    r.fail("custom", "patterns are given but redact does not list \"custom\"; add it");
  if (!custom_listed) p.rules.custom.clear();
  for (const auto& kind : p.redact)
    if (kind != "custom") p.rules.kinds.push_back(kind);
  p.rules = Redactor(std::move(p.rules)).rules();  // built-in kinds in precedence order
}

void read_labels(const toml::table* t, const std::filesystem::path& origin, ProjectConfig& c) {
  if (t == nullptr) return;
  for (const auto& [key, value] : *t) {
    std::string name(key.str());
    if (!value.is_string())
      throw UserError(
          fmt::format("{}: [labels] {}: must be a one-line description in quotes, "
                      "e.g. {} = \"what it covers\"",
                      line_of(&value, origin), name, name));
    // In NFC, as the data reader reads labels: a key typed with a combining accent is the
    // label the data spells precomposed.
    std::string composed = nfc_text(name);
    if (c.label_descriptions.contains(composed))
      throw UserError(fmt::format(
          "{}: [labels] {}: the same label as another key, written once with combining accents "
          "(decomposed Unicode) and once without; keep one",
          line_of(&value, origin), name));
    c.data.allowed_labels.push_back(composed);
    c.label_descriptions[composed] = value.as_string()->get();
  }
}

void read_approaches(const toml::table& root, const std::filesystem::path& origin,
                     ProjectConfig& c) {
  const toml::node* node = root.get("approach");
  if (node == nullptr) return;
  const toml::array* list = node->as_array();
  if (list == nullptr)
    throw UserError(
        fmt::format("{}: approach must be written as [[approach]] tables", line_of(node, origin)));
  for (const auto& item : *list) {
    const toml::table* t = item.as_table();
    if (t == nullptr)
      throw UserError(fmt::format("{}: [[approach]] must be a table", line_of(&item, origin)));
    ApproachConfig a = read_approach_table(*t, origin, &c.settings);
    if (c.find_approach(a.name) != nullptr)
      throw UserError(
          fmt::format("{}: two approaches are named '{}'; names must be unique", a.where, a.name));
    // eval saves a local model under OUT/models/<the name as a folder name>: two names that
    // become the same folder would overwrite each other's model.
    const std::string folder = path_component_of(a.name, "approach");
    for (const ApproachConfig& other : c.approaches)
      if (path_component_of(other.name, "approach") == folder)
        throw UserError(fmt::format(
            "{}: approach '{}' and approach '{}' ({}) would share the model folder models/{} "
            "(characters other than letters, digits, '-', '_' and '.' become '_'); rename one",
            a.where, a.name, other.name, other.where, folder));
    c.approaches.push_back(std::move(a));
  }
}

void check_pilot_names(const ProjectConfig& c) {
  const PilotSettings& p = c.pilot;
  for (const std::string* name : {&p.champion, &p.challenger}) {
    if (name->empty() || c.find_approach(*name) != nullptr) continue;
    std::vector<std::string> names;
    for (const auto& a : c.approaches) names.push_back(a.name);
    throw UserError(fmt::format("{}: [pilot] {}: no [[approach]] named \"{}\"{}", p.where,
                                name == &p.champion ? "champion" : "challenger", *name,
                                did_you_mean(*name, names)));
  }
  if (!p.challenger.empty() && p.challenger == p.champion)
    throw UserError(
        fmt::format("{}: [pilot] the challenger must differ from the champion", p.where));
}

// Anthropic's API takes temperatures of 0 to 1 (an approach's own temperature is checked where
// it is read); a higher one in the search's list would fail every call of its candidates.
void check_optimize_temperatures(const ProjectConfig& c) {
  const OptimizeTableSettings& o = c.optimize;
  if (!o.temperatures) return;
  auto highest = std::max_element(o.temperatures->begin(), o.temperatures->end());
  if (highest == o.temperatures->end() || *highest <= 1) return;
  for (const OptimizeModel& m : o.models) {
    const ApproachConfig* a = m.inline_ ? &*m.inline_ : c.find_approach(m.name);
    if (a == nullptr || a->kind != "anthropic") continue;
    throw UserError(fmt::format(
        "{}: [optimize] temperatures: {} is above 1, the most Anthropic's API takes, and models "
        "lists the anthropic approach '{}'; list temperatures of 0 to 1, or search that model in "
        "a run of its own",
        o.where, *highest, a->name));
  }
}

// [business] baseline must name an approach of the config when it has [[approach]] tables (an
// eval.json of the default approaches, run without any, is matched by decide).
void check_baseline_name(const ProjectConfig& c) {
  const std::string& baseline = c.business.baseline;
  if (baseline.empty() || c.approaches.empty() || c.find_approach(baseline) != nullptr) return;
  std::vector<std::string> names;
  for (const auto& a : c.approaches) names.push_back(a.name);
  throw UserError(fmt::format(
      "{}: [business] baseline = \"{}\" is not an approach; use one of the [[approach]] names "
      "({}){}",
      c.business.where, baseline, fmt::join(names, ", "), did_you_mean(baseline, names)));
}

void check_top_level(const toml::table& root, const std::filesystem::path& origin) {
  for (const auto& [key, node] : root) {
    std::string name(key.str());
    if (std::find(kTables.begin(), kTables.end(), name) != kTables.end()) continue;
    std::string hint = did_you_mean(name, kTables);
    if (hint.empty()) {
      hint = "; the tables are";
      for (const auto& t : kTables) hint += (t == kTables.front() ? " [" : ", [") + t + "]";
    }
    throw UserError(fmt::format("{}: `{}`: unknown table or key at the top level{}",
                                line_of(&node, origin), name, hint));
  }
}

// Runs every table reader; `root` null means describe mode (the configuration reference).
void read_tables(const toml::table* root, const std::filesystem::path& origin, ProjectConfig& c) {
  auto reader = [&](const char* name) {
    const toml::table* t = root ? section(*root, name, origin) : nullptr;
    TableReader r(t, fmt::format("[{}]", name), origin, &c.settings);
    if (root == nullptr) r.describe_only();
    return r;
  };
  TableReader data = reader("data");
  read_data(data, c.data);
  TableReader task = reader("task");
  c.task = task.text("description", "", "one line on the task, used in prompts");
  task.finish();
  TableReader business = reader("business");
  read_business(business, c.business);
  TableReader optimize = reader("optimize");
  read_optimize(optimize, c.optimize, &c.settings);
  TableReader curve = reader("curve");
  read_curve(curve, c.curve);
  TableReader pilot = reader("pilot");
  read_pilot(pilot, c.pilot);
  TableReader monitor = reader("monitor");
  read_monitor(monitor, c.monitor);
  TableReader retrain = reader("retrain");
  read_retrain(retrain, c.retrain);
  TableReader privacy = reader("privacy");
  read_privacy(privacy, c.privacy);
}

}  // namespace

double error_cost_of_label(const std::map<std::string, double>& by_label, double flat,
                           const std::string& label) {
  auto it = by_label.find(label);
  return it == by_label.end() ? flat : it->second;
}

std::optional<std::string> unknown_cost_label(const std::map<std::string, double>& by_label,
                                              const std::vector<std::string>& labels,
                                              std::string_view carried_by,
                                              std::string_view listed) {
  for (const auto& [label, usd] : by_label)
    if (std::find(labels.begin(), labels.end(), label) == labels.end())
      return fmt::format(
          "[business] cost_per_error_by_label names \"{}\", which {} carries{} ({}: {}); name a "
          "label as the data writes it",
          visible(label), carried_by, did_you_mean(label, labels), listed, quoted_list(labels, 12));
  return std::nullopt;
}

double BusinessSettings::monthly_queries() const {
  if (queries_per_day) return *queries_per_day * days_per_month;
  if (queries_per_month) return *queries_per_month;
  if (queries_per_year) return *queries_per_year / 12.0;
  return 0;
}

double ProjectConfig::queries_per_day() const {
  return business.monthly_queries() / business.days_per_month;
}

const ApproachConfig* ProjectConfig::find_approach(const std::string& name) const {
  for (const auto& a : approaches)
    if (a.name == name) return &a;
  return nullptr;
}

ProjectConfig parse_config(std::string_view text, const std::filesystem::path& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin.string());
  } catch (const toml::parse_error& e) {
    throw UserError(fmt::format("{}:{}:{}: invalid TOML: {}", origin.string(),
                                e.source().begin.line, e.source().begin.column, e.description()));
  }
  check_top_level(root, origin);
  ProjectConfig c;
  c.file = origin;
  read_tables(&root, origin, c);
  read_labels(section(root, "labels", origin), origin, c);
  read_approaches(root, origin, c);
  check_pilot_names(c);
  check_baseline_name(c);
  check_optimize_temperatures(c);
  return c;
}

ProjectConfig load_config(const std::filesystem::path& file) {
  std::error_code ignored;
  if (std::filesystem::is_directory(file, ignored)) {
    throw UserError(
        fmt::format("{}: is a folder, not a config file; give the TOML file itself (e.g. {})",
                    file.string(), (file / "tunecase.toml").string()));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw UserError(fmt::format("{}: cannot open the config file; check the path", file.string()));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_config(buffer.str(), file);
}

ApproachConfig default_approach(const std::string& name, const std::string& kind) {
  toml::table t;
  t.insert("name", name);
  t.insert("kind", kind);
  return read_approach_table(t, "defaults");
}

std::vector<ApproachConfig> default_local_approaches() {
  std::vector<ApproachConfig> out;
  for (const auto& k : approach_kinds())
    if (k.local) out.push_back(default_approach(k.name, k.name));
  return out;
}

namespace {

// A table cell: a "|" would end the cell (the delimiter's choices had moved its default into
// the next column), and a tab is written as TOML writes it.
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text)
    out += c == '|' ? std::string("\\|") : c == '\t' ? std::string("\\t") : std::string(1, c);
  return out;
}

std::string reference_rows(const std::vector<SettingRecord>& records) {
  std::string out = "| key | type | default | meaning |\n|---|---|---|---|\n";
  for (const auto& r : records)
    out += fmt::format("| `{}` | {} | {} | {} |\n", r.key, cell(r.type),
                       r.fallback.empty() ? "none" : fmt::format("`{}`", cell(r.fallback)),
                       cell(r.doc));
  return out;
}

}  // namespace

std::string configuration_reference() {
  std::string out =
      "# Configuration reference\n\n"
      "<!-- Generated by `tunecase check --reference`; a test keeps this file equal to it. -->\n\n"
      "One TOML file per project. Relative paths are relative to the file. An unknown key is an "
      "error that names the nearest known key; every number must be finite and within its "
      "range. `tunecase check --config FILE` prints the settings a file gives, defaults "
      "marked.\n";
  ProjectConfig scratch;
  read_tables(nullptr, "reference", scratch);
  std::string table;
  std::vector<SettingRecord> rows;
  auto flush = [&] {
    if (!rows.empty()) out += fmt::format("\n## `{}`\n\n{}", table, reference_rows(rows));
    rows.clear();
  };
  for (const auto& r : scratch.settings) {
    if (r.table != table) flush();
    table = r.table;
    rows.push_back(r);
  }
  flush();
  out +=
      "\n## `[labels]`\n\nOptional: `label = \"one-line description\"` per allowed label. "
      "With it, a label outside the list is an error; the descriptions go into prompts.\n";
  out += fmt::format("\n## `[[approach]]`, every kind\n\n{}",
                     reference_rows(approach_reference_records("")));
  for (const auto& kind : approach_kinds()) {
    out += fmt::format("\n## `[[approach]]` kind = \"{}\"\n\n{}.\n\n{}", kind.name, kind.summary,
                       reference_rows(approach_reference_records(kind.name)));
  }
  return out;
}

std::string describe_settings(const ProjectConfig& config) {
  std::string out = fmt::format("{}: valid\n", config.file.string());
  std::string table;
  for (const auto& r : config.settings) {
    if (r.table != table) out += fmt::format("\n{}\n", r.table);
    table = r.table;
    if (r.value.empty() || (r.is_default && r.value == "\"\"")) continue;
    out += fmt::format("  {} = {}{}\n", r.key, r.value, r.is_default ? "   # default" : "");
  }
  return out;
}

}  // namespace tunecase
