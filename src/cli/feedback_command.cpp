// `tunecase feedback`: delayed ground truth from a file (docs/serve.md "Batch feedback").
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/core/suggest.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/data/normalize.h"
#include "tunecase/serve/feedback_file.h"
#include "tunecase/serve/pilot_plan.h"
#include "tunecase/serve/request_body.h"
#include "tunecase/store/store.h"

namespace {

struct FeedbackArgs {
  std::string store = "tunecase.db", file, config;
  tunecase::serve::FeedbackColumns columns;
  bool new_labels = false;
};

// The labels a file's rows are checked against: the config's [labels] when given, else the set
// the gateway checks POST /v1/feedback against (recorded in the store at its last start), so a
// label the gateway would refuse is not stored from a file either.
std::vector<std::string> labels_to_check(const FeedbackArgs& a, tunecase::Store& store) {
  std::vector<std::string> labels;
  if (!a.config.empty()) labels = tunecase::load_config(a.config).data.allowed_labels;
  if (!labels.empty()) return labels;
  if (auto served = store.meta(tunecase::serve::kServedLabelsKey)) {
    auto j = nlohmann::json::parse(*served, nullptr, false);
    if (j.is_array()) {
      for (const auto& label : j)
        if (label.is_string()) labels.push_back(label.get<std::string>());
    }
  }
  if (!labels.empty()) return labels;
  fmt::print(stderr,
             "note: the file's labels are not checked: {} (a new category arriving as feedback "
             "is kept); add [labels] to the config and pass --config to refuse unknown ones\n",
             a.config.empty() ? "no gateway has recorded its label set in this store"
                              : a.config +
                                    " has no [labels] table and no gateway has recorded "
                                    "its label set in this store");
  return labels;
}

// Rows per transaction. On PostgreSQL each item of a transaction takes a lock until it commits:
// a file of 20,000 ids had run the server out of its lock table ("out of shared memory",
// max_locks_per_transaction), and on SQLite a long transaction holds the gateway's commits.
constexpr std::size_t kRowsPerTransaction = 2000;

// Ctrl-C or a SIGTERM: the rows go to the store in transactions of kRowsPerTransaction, each all
// or nothing; said before the command ends (it had died without a word).
extern "C" void feedback_stopped(int signal) {
  static const char kText[] =
      "\ntunecase feedback: stopped. The file's rows are stored in transactions of up to 2,000 "
      "rows, each whole or not at all: those committed before the stop are stored; run the same "
      "command again (rows already stored count as unchanged)\n";
  (void)!::write(2, kText, sizeof kText - 1);
  ::_exit(128 + signal);
}

void run(const FeedbackArgs& a) {
  std::signal(SIGINT, feedback_stopped);
  std::signal(SIGTERM, feedback_stopped);
  auto store = open_existing_store(a.store);
  std::vector<std::string> labels = labels_to_check(a, *store);
  // Dated as the store's gateway dates a feedback: a replay's store by its replay clock, a row's
  // "at" moving it on (it had been dropped without a word, every label dated today); a store
  // on the wall clock refuses "at" (serve.md).
  tunecase::serve::FeedbackDating dating;
  if (std::optional<int64_t> replay = tunecase::serve::stored_replay_clock(*store)) {
    dating.replay = true;
    dating.clock_ms = *replay;
  }
  auto read = tunecase::serve::read_feedback_file(
      a.file, a.new_labels ? std::vector<std::string>{} : labels, now_ms_or(0), a.columns, dating);
  std::vector<tunecase::Feedback>& feedback = read.rows;
  const std::optional<int64_t> replay_clock = read.replay_clock_after;
  if (read.empty_rows > 0)
    fmt::print(stderr,
               "note: {}: {} row{} of empty cells skipped (cleared rows of a spreadsheet)\n",
               a.file, read.empty_rows, read.empty_rows == 1 ? "" : "s");
  // A header and no row: an export of a day without labels, or one that came out empty; said,
  // so that the second is not read as a success.
  if (feedback.empty())
    fmt::print(stderr, "note: {} holds no feedback rows under its header: nothing to record\n",
               a.file);
  auto line_of = [&](const std::string& label) {
    for (std::size_t i = 0; i < feedback.size(); ++i)
      if (feedback[i].label == label) return read.lines[i];
    return std::size_t{0};
  };
  if (a.new_labels && !labels.empty()) {
    std::vector<std::string> fresh;
    for (const auto& f : feedback) {
      if (std::find(labels.begin(), labels.end(), f.label) == labels.end() &&
          std::find(fresh.begin(), fresh.end(), f.label) == fresh.end())
        fresh.push_back(f.label);
    }
    // A "new" label that is a known one written otherwise (case, spacing, separators of any
    // kind, a Unicode form, a character that does not show) is a slip, not a category: retrain
    // would have learnt a twin of the label. So are two new labels written alike ("warranty" and
    // "Warranty", "bug-report" and "bug\u2013report"). Every such row is named at once.
    auto form = [](const std::string& label) { return tunecase::label_key(label); };
    std::map<std::string, std::string> forms;  // form -> a label as written
    for (const auto& l : labels) forms.emplace(form(l), l);
    std::vector<std::string> slips;
    for (const auto& label : fresh)
      if (auto known = forms.find(form(label)); known != forms.end()) {
        std::string problem = tunecase::serve::label_problem(label, labels);
        if (problem.find("did you mean") == std::string::npos)
          problem = fmt::format("label {} is the label {} of the set written otherwise",
                                tunecase::quoted_list({label}, 1),
                                tunecase::quoted_list({known->second}, 1));
        slips.push_back(fmt::format("{}:{}: {}", a.file, line_of(label), problem));
      }
    for (const auto& label : fresh) {
      if (forms.count(form(label)) &&
          std::find(labels.begin(), labels.end(), forms.at(form(label))) != labels.end())
        continue;  // named above
      auto [it, first] = forms.emplace(form(label), label);
      if (!first)
        slips.push_back(
            fmt::format("{}:{}: the new label {} is the new label {} (line {}) "
                        "written otherwise",
                        a.file, line_of(label), tunecase::quoted_list({label}, 1),
                        tunecase::quoted_list({it->second}, 1), line_of(it->second)));
    }
    if (!slips.empty()) {
      std::string named;
      for (std::size_t i = 0; i < slips.size() && i < 20; ++i) named += "\n  " + slips[i];
      throw tunecase::UserError(fmt::format(
          "{}: --new-labels keeps new categories, and {} of this file's labels {} a label "
          "written otherwise (one of the set, or another new one in the file), which retrain "
          "would learn as a twin; spell {} alike, then run again (nothing was recorded):{}{}",
          a.file, slips.size(), slips.size() == 1 ? "is" : "are", slips.size() == 1 ? "it" : "them",
          named, slips.size() > 20 ? fmt::format("\n  and {} more", slips.size() - 20) : ""));
    }
  }
  // One item given different labels within the file is most likely an export's mistake. Only
  // each item's last row is applied (the label a later correction would leave), so that running
  // the file again changes nothing: applied in order, the rows replaced each other on every run.
  // A row by prediction_id is the item of that prediction: the same as a row by its id (the two
  // had flipped the label on every run).
  struct Seen {
    std::string label;      // the first row's
    std::size_t last = 0;   // the index of the item's last row
    bool conflict = false;  // a later row gave another label; said once
  };
  // An item is a request id and a text (another ticket sent under a reused id is another item,
  // which its own prediction_id labels: one of two such rows had been dropped as a duplicate). A
  // row by id labels every text logged under the id: it is one item with a prediction_id row
  // only when the id has that one text in the store (else both rows apply, in file order, as the
  // gateway applies them).
  // (A prediction id is read lowercased already: prediction_id_problem.)
  auto item_of = [&](const tunecase::Feedback& f) -> std::pair<std::string, std::string> {
    if (f.by == tunecase::Feedback::By::request_id) return {f.id, ""};
    if (auto p = store->find_prediction(f.id)) return {p->request_id, p->text_hash};
    return {"prediction:" + f.id, ""};
  };
  std::vector<std::pair<std::string, std::string>> keys;  // (request id, text hash or "")
  keys.reserve(feedback.size());
  std::set<std::string> by_prediction;  // request ids a prediction_id row of the file names
  for (const auto& f : feedback) {
    keys.push_back(item_of(f));
    if (!keys.back().second.empty()) by_prediction.insert(keys.back().first);
  }
  std::vector<std::string> items;
  items.reserve(feedback.size());
  std::map<std::string, std::string> one_text;  // request id -> its one logged text, or ""
  for (auto& [id, text] : keys) {
    if (text.empty() && by_prediction.count(id)) {
      auto [it, added] = one_text.try_emplace(id);
      if (added)  // asked once per id, however many rows name it
        if (std::vector<std::string> texts = store->texts_of_request(id); texts.size() == 1)
          it->second = texts.front();
      text = it->second;
    }
    items.push_back("id:" + id + "\n" + text);
  }
  std::map<std::string, Seen> seen;
  std::vector<std::string> conflicts;
  for (std::size_t i = 0; i < feedback.size(); ++i) {
    const auto& f = feedback[i];
    auto [it, fresh] = seen.try_emplace(items[i], Seen{f.label, i});
    it->second.last = i;
    if (fresh || it->second.conflict || it->second.label == f.label) continue;
    it->second.conflict = true;
    conflicts.push_back(items[i].starts_with("id:") ? items[i].substr(3, items[i].find('\n') - 3)
                                                    : f.id);
  }
  const std::size_t rows = feedback.size();
  if (seen.size() < rows) {
    std::vector<tunecase::Feedback> last_rows;
    last_rows.reserve(seen.size());
    for (std::size_t i = 0; i < rows; ++i)
      if (seen.at(items[i]).last == i) last_rows.push_back(std::move(feedback[i]));
    feedback = std::move(last_rows);
  }
  // The new labels the rows left to record carry (a label only an item's earlier row gave is not
  // kept: the note had named labels that never reached the store).
  if (a.new_labels && !labels.empty()) {
    std::vector<std::string> kept;
    for (const auto& f : feedback)
      if (std::find(labels.begin(), labels.end(), f.label) == labels.end() &&
          std::find(kept.begin(), kept.end(), f.label) == kept.end())
        kept.push_back(f.label);
    if (!kept.empty())
      fmt::print(stderr,
                 "note: {} label{} outside the served label set kept (--new-labels): {}; until "
                 "`tunecase retrain` learns them, the served models count as wrong on these "
                 "rows\n",
                 kept.size(), kept.size() == 1 ? "" : "s", tunecase::quoted_list(kept, 5));
  }
  if (!conflicts.empty())
    fmt::print(stderr,
               "note: {} item{} given more than one label in this file (by id or by a "
               "prediction_id of it): {}; each item's last row in the file is the one "
               "recorded\n",
               conflicts.size(), conflicts.size() == 1 ? " is" : "s are",
               tunecase::quoted_list(conflicts, 5));
  std::vector<tunecase::FeedbackResult> results;
  results.reserve(feedback.size());
  for (std::size_t from = 0; from < feedback.size(); from += kRowsPerTransaction) {
    const std::size_t to = std::min(feedback.size(), from + kRowsPerTransaction);
    std::vector<tunecase::FeedbackResult> part;
    // A failure after the first transaction says what was already stored.
    auto stored_note = [&] {
      if (from == 0)
        return std::string(
            " (no row of the file was recorded; the same command again records "
            "them all)");
      return fmt::format(
          " (the file's first {} rows were recorded before it; the same command again records "
          "the rest, rows already stored counting as unchanged)",
          from);
    };
    try {
      part = store->record_feedback_batch(
          std::vector<tunecase::Feedback>(feedback.begin() + static_cast<std::ptrdiff_t>(from),
                                          feedback.begin() + static_cast<std::ptrdiff_t>(to)));
    } catch (const tunecase::UserError& e) {
      throw tunecase::UserError(e.what() + stored_note());
    } catch (const std::exception& e) {
      throw std::runtime_error(e.what() + stored_note());
    }
    results.insert(results.end(), part.begin(), part.end());
  }
  if (replay_clock)
    store->set_meta(tunecase::serve::kReplayClockKey, std::to_string(*replay_clock));
  std::map<tunecase::FeedbackOutcome, int> counts;
  std::vector<std::string> unknown;
  for (std::size_t i = 0; i < results.size(); ++i) {
    ++counts[results[i].outcome];
    if (results[i].outcome == tunecase::FeedbackOutcome::unknown_id && i < feedback.size())
      unknown.push_back(feedback[i].id);
  }
  using O = tunecase::FeedbackOutcome;
  fmt::print("{} feedback rows: {} recorded, {} unchanged, {} replaced, {} unknown ids{}\n", rows,
             counts[O::recorded], counts[O::unchanged], counts[O::replaced], counts[O::unknown_id],
             rows > feedback.size()
                 ? fmt::format(", {} left for a later row of the same id", rows - feedback.size())
                 : "");
  if (!unknown.empty() && unknown.size() == feedback.size())
    // Not one id known: another store, or a column that holds something else. An exit of 0 had
    // left a script unable to tell it from success.
    throw tunecase::UserError(
        fmt::format("no logged prediction in {} has any of the file's {} ids ({}), so nothing was "
                    "recorded: check --store (the store the gateway writes){}",
                    shown_store(a.store), feedback.size(), tunecase::quoted_list(unknown, 5),
                    a.columns.id == "id" ? "" : " and --id-column"));
  if (!unknown.empty()) {
    // Ids no logged prediction has: another store, ids the gateway never saw, or a column
    // that holds something else. The first few say which.
    fmt::print(stderr, "note: no logged prediction has the id{} {}; check --store{}\n",
               unknown.size() == 1 ? "" : "s", tunecase::quoted_list(unknown, 5),
               a.columns.id == "id" ? "" : " and --id-column");
  }
}

}  // namespace

void add_feedback_command(CLI::App& app) {
  auto args = std::make_shared<FeedbackArgs>();
  auto* cmd = app.add_subcommand(
      "feedback",
      "Record delayed ground truth from a CSV or JSONL file (id or prediction_id, "
      "label) in the gateway's store; idempotent");
  cmd->add_option("--store", args->store, "SQLite file or postgresql:// URL")
      ->capture_default_str();
  cmd->add_option("--config", args->config,
                  "project config: check labels against its [labels] (default: against the "
                  "label set the gateway serves, recorded in the store)");
  cmd->add_flag("--new-labels", args->new_labels,
                "keep labels outside the label set (a new category, for tunecase retrain to "
                "learn) instead of refusing the file");
  cmd->add_option("--id-column", args->columns.id,
                  "CSV column of the ids sent to /v1/classify (or give --prediction-id-column)")
      ->capture_default_str();
  cmd->add_option("--prediction-id-column", args->columns.prediction_id,
                  "CSV column of prediction ids")
      ->capture_default_str();
  cmd->add_option("--label-column", args->columns.label, "CSV column of the true labels")
      ->capture_default_str();
  cmd->add_option("file", args->file, "CSV (id|prediction_id,label) or JSONL file")->required();
  cmd->callback([args] { run(*args); });
}
