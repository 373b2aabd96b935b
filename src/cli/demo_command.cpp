#include <chrono>
#include <fstream>
#include <iostream>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "demo_config.h"
#include "demo_pilot.h"
#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/core/number_format.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/curve/curve_run.h"
#include "tunecase/economics/decide.h"
#include "tunecase/evaluation/eval_run.h"
#include "tunecase/finetune/finetune_run.h"
#include "tunecase/llm/sim_llm_server.h"
#include "tunecase/optimize/optimize_report.h"
#include "tunecase/optimize/optimize_run.h"
#include "tunecase/report/eval_report.h"

namespace {

struct DemoArgs {
  std::string out = "tunecase-demo";
  std::size_t tickets = 6000;
  uint64_t seed = 42;
  bool quiet = false;
};

void run(const DemoArgs& a) {
  auto started = std::chrono::steady_clock::now();
  std::filesystem::path out = a.out;
  tunecase::create_output_dir(out);

  tunecase::SyntheticOptions synthetic;
  synthetic.tickets = a.tickets;
  synthetic.seed = a.seed;
  write_synthetic_tickets(out / "tickets.csv", synthetic);
  fmt::print("1. generated {} synthetic support tickets over 12 months -> {}\n", a.tickets,
             (out / "tickets.csv").string());

  // The offline stand-in for an LLM API, on a free loopback port for the length of the demo.
  tunecase::SimLlmOptions sim;
  sim.seed = a.seed;
  tunecase::SimLlmServer server(sim);
  int port = server.start();
  fmt::print("2. started sim-llm (offline, simulated answers) on http://127.0.0.1:{}/v1\n", port);

  // An earlier demo's simulated job was made at an earlier sim-llm, on another port, which has
  // gone with it: its record would stop this run ("follows job ... for other training files or
  // settings"), so a second demo into the same folder had failed, after rewriting the config.
  // A record of a real job (not simulated, not at loopback) is left for finetune to refuse as
  // it should; one a killed demo left before its job answered is known by its loopback endpoint.
  auto forget_simulated_job = [](const std::filesystem::path& record) {
    std::ifstream in(record, std::ios::binary);
    if (!in) return;
    const nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
    in.close();
    if (doc.is_object() &&
        (doc.value("simulated", false) ||
         doc.value("endpoint", std::string()).rfind("http://127.0.0.1:", 0) == 0)) {
      std::error_code ignored;
      std::filesystem::remove(record, ignored);
    }
  };

  std::filesystem::path config_file = out / "tunecase.toml";
  const std::string toml = demo_config_toml(port, tunecase::synthetic_label_descriptions());
  tunecase::write_file(config_file, toml);
  tunecase::ProjectConfig config = tunecase::load_config(config_file);

  // Subset first, as a pilot of the spend: 30% of train, then all of it. Each tuned model joins
  // the config as an ordinary approach whose finetune_record gives decide its training cost.
  std::ostream silent(nullptr);
  std::ostream& log = a.quiet ? silent : std::cerr;
  fmt::print("3. fine-tuning against sim-llm (simulated jobs): on 30% of train, then on all\n");
  std::string tuned_tables;
  for (auto [fraction, name, dir] : {std::tuple{0.3, "sim-fine-tuned-30pct", "finetune-30pct"},
                                     std::tuple{1.0, "sim-fine-tuned", "finetune"}}) {
    tunecase::FinetuneOptions ft;
    ft.out_dir = out / dir;
    forget_simulated_job(ft.out_dir / "finetune.json");
    ft.fraction = fraction;
    ft.assume_yes = true;
    ft.poll_interval = std::chrono::milliseconds(100);
    ft.result_name = name;
    tunecase::FinetuneResult tuned = tunecase::run_finetune(config, "sim-zero-shot", ft, log);
    const auto& cost = tuned.record["training_usd"];
    fmt::print("   {}: {} on {} examples, training cost {} ({})\n", name,
               tuned.record["job"].value("fine_tuned_model", std::string()),
               tuned.record["data"].value("train_examples", 0),
               cost.is_number() ? fmt::format("${:.4f}", cost.get<double>()) : "unknown",
               tuned.record.value("training_usd_is", std::string("unknown")));
    tuned_tables += "\n" + tuned.approach_toml;
  }
  tunecase::write_file(config_file, toml + tuned_tables);
  config = tunecase::load_config(config_file);

  tunecase::EvalOptions options;
  options.out_dir = out / "eval";
  options.assume_yes = true;  // simulated calls cost nothing real
  options.progress = !a.quiet;
  fmt::print("4. evaluating {} approaches on the same held-out test split\n",
             config.approaches.size());
  nlohmann::json eval = tunecase::run_evaluation(config, options, std::cerr);
  fmt::print("\n{}\n", tunecase::eval_table_text(eval));

  fmt::print("5. max out prompting first: a budgeted prompt search on the dev split\n");
  tunecase::OptimizeOptions search;
  search.out_dir = out / "optimize";
  search.assume_yes = true;
  search.dev_limit = 320;
  nlohmann::json optimized = tunecase::run_optimize(config, search, log);
  if (const auto& w = optimized["winner"]; w.is_object()) {
    const auto& test = w["test"];
    fmt::print(
        "   winner: {}, test accuracy {:.1f}% [{:.1f}–{:.1f}] on {} items, scored once "
        "(simulated; details in optimize/optimize.md)\n",
        w.value("name", std::string()), 100 * test.value("accuracy", 0.0),
        100 * test["accuracy_ci95"][0].get<double>(), 100 * test["accuracy_ci95"][1].get<double>(),
        test.value("n", 0));
  } else {
    fmt::print("   no winner: {}\n", tunecase::no_winner_reason(optimized));
  }
  fmt::print("6. how much would more labels buy: learning curves of the local models\n");
  tunecase::CurveOptions curve;
  curve.out_dir = out / "curve";
  curve.assume_yes = true;
  nlohmann::json curve_doc = tunecase::run_curve(config, curve, log);

  tunecase::DecisionResult decision =
      tunecase::run_decide(config, &eval, out / "decision", &curve_doc);
  write_operation_plan(config, nullptr, out / "decision", memo_champion(decision));
  fmt::print("7. business case: {}\n", decision.recommendation);

  fmt::print("8. the pilot the memo plans, through the gateway\n");
  DemoPilotOptions pilot;
  pilot.out = out;
  pilot.tickets_per_month = std::max<std::size_t>(1, a.tickets / 12);
  pilot.seed = a.seed;
  DemoPilotResult piloted = run_demo_pilot(config, pilot);
  server.stop();
  fmt::print("   {}\n", piloted.summary);

  fmt::print("9. after the pilot: retrain on its feedback labels, champion against challenger\n");
  print_demo_retrain(run_demo_retrain(config, out));

  fmt::print(
      "10. the year again, day by day: what each retraining policy would have done (replay)\n");
  ReplayRun replayed = run_replay(config, "local-linear", 60, 3, out / "replay");
  for (const auto& p : replayed.document["policies"]) {
    fmt::print(
        "   {:<10} accuracy {:.1f}% (measured), {} retrains, {} alerts, first alert {}, "
        "{} of errors + retrains (assumed prices)\n",
        p["policy"].get<std::string>(), 100 * p["accuracy"].get<double>(), p["retrains"].get<int>(),
        p["alerts"].get<int>(),
        p["first_alert"].is_null() ? std::string("none") : p["first_alert"].get<std::string>(),
        p["total_usd"].is_number() ? tunecase::whole_dollars(p["total_usd"].get<double>())
                                   : std::string("unknown"));
  }
  if (replayed.document.contains("drift"))
    for (const auto& f : replayed.document["drift"]["first_firing"])
      fmt::print("   drift before labels (no retraining): {} first fired on {}{}\n",
                 f["detector"].get<std::string>(), f["first_fired"].get<std::string>(),
                 f["terms"].empty() ? std::string()
                                    : " (top term: " + f["terms"][0].get<std::string>() + ")");
  fmt::print("   {} tickets replayed in {:.1f} s (report in {}/replay/replay.md)\n", replayed.items,
             replayed.seconds, out.string());

  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  fmt::print(
      "\nwrote {}/ (tickets.csv, tunecase.toml, finetune-30pct/, finetune/, eval/, optimize/, "
      "curve/, "
      "decision/memo.html, decision/pilot.md, pilot/, retrain/, replay/) in {:.0f} s\n",
      out.string(), seconds);
  fmt::print("next: open {}/decision/memo.html, or edit {} and run `tunecase eval --config {}`\n",
             out.string(), config_file.string(), config_file.string());
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* cmd = app.add_subcommand("demo",
                                     "The whole journey offline on generated support tickets, in "
                                     "about a minute and a half on 2 cores");
  cmd->add_option("--out", args->out, "Output folder")->capture_default_str();
  // Fewer than 100 leave some label too few rows for a split and a fine-tuning file, and the
  // demo failed late with messages about its own data.
  cmd->add_option("--tickets", args->tickets, "How many tickets to generate (at least 100)")
      ->check(CLI::Range(std::size_t{100}, std::size_t{10'000'000}))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Generator and simulation seed")
      ->check(seed_range())
      ->capture_default_str();
  cmd->add_flag("--quiet,-q", args->quiet, "No progress output");
  cmd->callback([args] { run(*args); });
}
