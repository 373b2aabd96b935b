#pragma once

#include <CLI/CLI.hpp>

// Each subcommand lives in its own file and registers itself on the app.
void add_eval_command(CLI::App& app);
void add_predict_command(CLI::App& app);
