#pragma once

#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

#include "tunecase/data/synthetic.h"
#include "tunecase/runner/cache_location.h"

// Each subcommand lives in its own file and registers itself on the app.
void add_eval_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_decide_command(CLI::App& app);
void add_sim_llm_command(CLI::App& app);
void add_optimize_command(CLI::App& app);
void add_curve_command(CLI::App& app);
void add_check_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_feedback_command(CLI::App& app);
void add_pilot_command(CLI::App& app);
void add_inspect_command(CLI::App& app);
void add_finetune_command(CLI::App& app);
void add_monitor_command(CLI::App& app);
void add_plan_command(CLI::App& app);
void add_replay_command(CLI::App& app);

// --cache FILE and --no-cache, shared by every command that calls an LLM.
void add_cache_options(CLI::App* cmd, tunecase::CacheChoice& cache);

// --port-file: the port a server listens on, for scripts and tests that asked for port 0.
void write_port_file(const std::string& path, int port);

// The synthetic tickets as CSV with columns id, text, category, created_at.
void write_synthetic_tickets(const std::filesystem::path& file,
                             const tunecase::SyntheticOptions& options);
