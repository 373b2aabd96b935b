#include <algorithm>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "tunecase/core/error.h"
#include "tunecase/core/suggest.h"

namespace {

// CLI11 answers a misspelt command with "A subcommand is required"; say which exist instead.
bool unknown_command(const CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return false;
  std::string word = argv[1];
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
  if (std::find(names.begin(), names.end(), word) != names.end()) return false;
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  fmt::print(stderr, "error: `{}` is not a tunecase command{}\nthe commands are: {}\n", word,
             tunecase::did_you_mean(word, names), list);
  return true;
}

// CLI11 answers a mistyped flag with "The following arguments were not expected"; name the
// command's nearest flag for each word that looks like one and is none of its own.
void suggest_flags(const CLI::App& app, int argc, char** argv) {
  const CLI::App* command = nullptr;
  for (const CLI::App* sub : app.get_subcommands()) command = sub;  // the one parsed
  if (!command) return;
  std::vector<std::string> flags;
  for (const CLI::Option* option : command->get_options())
    for (const std::string& name : option->get_lnames()) flags.push_back("--" + name);
  for (int i = 2; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "--") break;
    if (!word.starts_with("--")) continue;
    word = word.substr(0, word.find('='));
    if (std::find(flags.begin(), flags.end(), word) != flags.end()) continue;
    if (auto near = tunecase::nearest(word, flags))
      fmt::print(stderr, "`{}` is not a flag of `tunecase {}`; did you mean `{}`?\n", word,
                 command->get_name(), *near);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tunecase: which model investment fits your LLM classification feature"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tunecase 0.1.0");
  add_demo_command(app);
  add_eval_command(app);
  add_inspect_command(app);
  add_predict_command(app);
  add_optimize_command(app);
  add_curve_command(app);
  add_finetune_command(app);
  add_decide_command(app);
  add_generate_command(app);
  add_sim_llm_command(app);
  add_check_command(app);
  add_serve_command(app);
  add_feedback_command(app);
  add_pilot_command(app);
  add_monitor_command(app);
  add_plan_command(app);
  add_replay_command(app);
  add_audit_command(app);
  add_retrain_command(app);
  add_models_command(app);
  if (unknown_command(app, argc, argv)) return 2;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; a bad flag or value is bad input like any other: exit 2 (README.md).
    int code = app.exit(e);
    // A mistyped flag may surface as another error first ("--config is required" for
    // `decide --confg x`): every refusal names the flags that look mistyped.
    if (code != 0) suggest_flags(app, argc, argv);
    return code == 0 ? 0 : 2;
  } catch (const tunecase::UserError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "internal error: {}\nplease report this with the command you ran\n",
               e.what());
    return 3;
  }
  return 0;
}
