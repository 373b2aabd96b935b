#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "tunecase/core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"tunecase: which model investment fits your LLM classification feature"};
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const tunecase::UserError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  }
  return 0;
}
