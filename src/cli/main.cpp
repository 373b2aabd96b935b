#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "tunecase/core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"tunecase: which model investment fits your LLM classification feature"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tunecase 0.1.0");
  add_demo_command(app);
  add_eval_command(app);
  add_predict_command(app);
  add_optimize_command(app);
  add_curve_command(app);
  add_decide_command(app);
  add_generate_command(app);
  add_sim_llm_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
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
