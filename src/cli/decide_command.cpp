// `tunecase decide`: the business case and decision memo from the config's [business] table
// and, when given, the measurements of `tunecase eval`.
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/economics/decide.h"

namespace {

struct DecideOptions {
  std::string config;
  std::string eval;
  std::string curve;
  std::string out = "decision";
  bool accept_partial = false;
  bool accept_changed = false;
};

// Whether OUT holds a plan an earlier decide wrote beside its memo (plan.json's beside_memo), not
// one `tunecase plan --out` wrote there on purpose.
bool earlier_memos_plan(const std::string& out) {
  std::ifstream in(std::filesystem::path(out) / "plan.json", std::ios::binary);
  if (!in) return false;
  const nlohmann::json plan = nlohmann::json::parse(in, nullptr, false);
  return plan.is_object() && plan.value("beside_memo", false);
}

void run(const DecideOptions& o) {
  tunecase::ProjectConfig config = tunecase::load_config(o.config);
  nlohmann::json eval;
  refuse_unfinished_eval(o.eval, "decide");
  if (!o.eval.empty()) eval = tunecase::load_eval_json(o.eval);
  nlohmann::json curve;
  if (!o.curve.empty()) curve = tunecase::load_curve_json(o.curve);
  tunecase::DecisionResult r;
  try {
    r = tunecase::run_decide(config, o.eval.empty() ? nullptr : &eval, o.out,
                             o.curve.empty() ? nullptr : &curve, o.accept_partial,
                             o.accept_changed);
  } catch (const nlohmann::json::exception& e) {
    // A field of another type than eval or curve writes (a hand edit, a damaged file): said as
    // the input's fault, without the JSON library's exception name (it had been an internal
    // error).
    if (o.eval.empty() && o.curve.empty()) throw;
    std::string what = e.what();
    if (const auto tag = what.find("] "); what.starts_with("[json.") && tag != std::string::npos)
      what = what.substr(tag + 2);
    if (what.starts_with("cannot use value()")) what = "an object is another type of value";
    // The file itself, as the other checks name it.
    auto file_of = [](const std::string& given, const char* name) {
      std::error_code ignored;
      return std::filesystem::is_directory(given, ignored)
                 ? (std::filesystem::path(given) / name).string()
                 : given;
    };
    throw tunecase::UserError(fmt::format(
        "{}{}{} holds a value of another type than tunecase writes there ({}): it was edited or "
        "damaged; re-run {} to write it again",
        o.eval.empty() ? "" : file_of(o.eval, "eval.json"),
        !o.eval.empty() && !o.curve.empty() ? " or " : "",
        o.curve.empty() ? "" : file_of(o.curve, "curve.json"), what,
        o.curve.empty()  ? "tunecase eval"
        : o.eval.empty() ? "tunecase curve"
                         : "tunecase eval (or curve)"));
  }
  fmt::print("{}\n", r.decision["recommendation"]["headline"].get<std::string>());
  // The risks that can turn the headline around are said beside it, not only in the memo.
  for (const auto& warning : r.decision["recommendation"]["warnings"])
    fmt::print("warning: {}\n", warning.get<std::string>());
  if (o.eval.empty())
    fmt::print("scenario mode: every accuracy is assumed; pass --eval DIR to use measurements\n");
  if (r.decision.value("simulated", false))
    fmt::print("SIMULATED: accuracies come from the offline LLM stand-in, not a real model\n");
  fmt::print("wrote {0}/decision.json, {0}/memo.md, {0}/memo.html\n", o.out);
  if (config.monitor.present || config.retrain.present) {
    write_operation_plan(config, nullptr, o.out, memo_champion(r));
    fmt::print("wrote {0}/plan.md, {0}/plan.html (the operation plan the memo links)\n", o.out);
  } else if (earlier_memos_plan(o.out)) {
    // An earlier decide's plan, written beside its memo for a config with [monitor] or
    // [retrain], is not this memo's: its owners, floor and champion would be forwarded with the
    // folder as this decision's. Removed, and said.
    for (const char* name : {"plan.md", "plan.html", "plan.json"}) {
      std::error_code error;
      std::filesystem::remove(std::filesystem::path(o.out) / name, error);
    }
    fmt::print(stderr,
               "note: removed plan.md, plan.html and plan.json from {}: an earlier decide wrote "
               "them beside its memo, and this config has no [monitor] or [retrain] table to "
               "plan from\n",
               o.out);
  } else {
    // A plan an earlier run wrote here, for a config that had [monitor] or [retrain], is not this
    // memo's: it had stayed beside it, unlinked, without a word (and `serve --operation-plan`
    // serves plan.html). Left in place (it may be one `tunecase plan --out` wrote on purpose),
    // but each file named.
    std::vector<std::string> left;
    for (const char* name : {"plan.md", "plan.html", "plan.json"}) {
      std::error_code error;
      if (std::filesystem::exists(std::filesystem::path(o.out) / name, error)) left.push_back(name);
    }
    if (!left.empty())
      fmt::print(stderr,
                 "note: {} also holds {} from an earlier run, not from this one: this config has "
                 "no [monitor] or [retrain] table to plan from; delete {} if you no longer need "
                 "{}\n",
                 o.out, fmt::join(left, ", "), left.size() == 1 ? "it" : "them",
                 left.size() == 1 ? "it" : "them");
  }
}

}  // namespace

void add_decide_command(CLI::App& app) {
  auto options = std::make_shared<DecideOptions>();
  CLI::App* cmd = app.add_subcommand(
      "decide", "Business case and decision memo: cost, value, break-even, checklist, pilot plan");
  cmd->add_option("--config", options->config, "project config (TOML) with a [business] table")
      ->required();
  cmd->add_option("--eval", options->eval,
                  "folder written by tunecase eval --out (omit for scenario mode)");
  cmd->add_option("--curve", options->curve,
                  "folder written by tunecase curve --out (learning curve for the checklist)");
  cmd->add_option("--out", options->out, "folder for decision.json, memo.md, memo.html")
      ->capture_default_str();
  cmd->add_flag("--accept-partial", options->accept_partial,
                "decide on approaches eval stopped before scoring every test item, or with more "
                "than 2% of their requests failed (named as a risk in the memo)");
  cmd->add_flag("--accept-changed", options->accept_changed,
                "decide although the config's [data] or an approach's settings changed since "
                "eval measured them (named as a risk in the memo)");
  cmd->callback([options]() { run(*options); });
}
