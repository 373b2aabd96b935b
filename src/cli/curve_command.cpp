#include <iostream>

#include <fmt/format.h>

#include "commands.h"
#include "tunecase/config/config.h"
#include "tunecase/curve/curve_run.h"

namespace {

struct CurveArgs {
  std::string config, out = "tunecase-curve";
  std::vector<std::string> finetune;
  double max_cost = -1, finetune_poll_s = 10;
  int concurrency = 8;
  bool yes = false, local_only = false;
  tunecase::CacheChoice cache;
};

void run(const CurveArgs& a) {
  tunecase::ProjectConfig config = tunecase::load_config(a.config);
  apply_local_only(config, a.local_only);
  tunecase::CurveOptions options;
  options.out_dir = a.out;
  options.concurrency = a.concurrency;
  if (a.max_cost >= 0) options.max_cost_usd = a.max_cost;
  options.assume_yes = a.yes;
  options.cache = a.cache;
  if (!a.finetune.empty()) options.finetune = a.finetune;
  options.finetune_poll = std::chrono::milliseconds(static_cast<int64_t>(a.finetune_poll_s * 1000));
  nlohmann::json doc;
  {
    CommandAudit audit("curve", config, std::filesystem::path(a.out) / "audit.json",
                       resume_note(a.cache.disabled, a.max_cost >= 0,
                                   !a.finetune.empty() || !config.curve.finetune.empty()));
    doc = tunecase::run_curve(config, options, std::cerr);
  }
  for (const auto& approach : doc["approaches"]) {
    if (approach["points"].empty()) {
      fmt::print("{}: not measured at any size (the spend cap, --max-cost, was reached first)\n",
                 approach["name"].get<std::string>());
      continue;
    }
    const auto& last = approach["points"].back();
    const std::size_t labels = last["labels"].get<std::size_t>();
    // sim-llm's figures say so wherever they appear.
    const std::string name = approach["name"].get<std::string>() +
                             (approach.value("simulated", false) ? " (simulated)" : "");
    if (labels == doc["train_labels"].get<std::size_t>())
      fmt::print("{}: {:.3f} with all {} labels", name, last["mean_accuracy"].get<double>(),
                 labels);
    else
      fmt::print("{}: {:.3f} at {} labels{}", name, last["mean_accuracy"].get<double>(), labels,
                 approach.value("not_measured", nlohmann::json::array()).empty()
                     ? ""
                     : ", the largest size measured (the spend cap stopped the rest)");
    const auto& fit = approach["fit"];
    if (fit.value("fitted", false)) {
      const auto& p = fit["projection_2x"];
      // At twice the train split, in labels: "2x" had read as twice the largest size measured,
      // which a spend cap may have left far below it.
      fmt::print("; projection {:.3f} at {} labels (2x the train split, estimated)",
                 p["accuracy"].get<double>(), p.value("labels", nlohmann::json()).dump());
      if (p.contains("ci95"))
        fmt::print(" (95% CI {:.3f} to {:.3f} from the points' spread, not the curve's shape)",
                   p["ci95"][0].get<double>(), p["ci95"][1].get<double>());
      if (fit.contains("levels_off")) {  // what the points measured comes first, as in curve.md
        const auto& l = fit["levels_off"];
        fmt::print(
            ", but the measured points level off ({:.3f} at {} labels, {:.3f} at {}: more "
            "labels buy little here)",
            l["from_accuracy"].get<double>(), l["from_labels"].get<double>(),
            l["to_accuracy"].get<double>(), l["to_labels"].get<double>());
      } else if (fit.value("steep", false)) {
        fmt::print(", a fit too steep to project (see the warning in curve.md)");
      } else if (fit.value("projection_below_measured", false)) {
        fmt::print(", a fit that misses the points (see the warning in curve.md)");
      } else if (fit.value("saturation_visible", true)) {
        fmt::print(", levelling off near {:.3f} (estimated; more labels may go past it)",
                   fit["a"].get<double>());
      } else {
        fmt::print(", no saturation visible in the data");
      }
    }
    if (approach.value("fine_tuned", false)) {
      const auto& usd = approach["training_usd"];
      fmt::print("; fine-tuning cost {} ({})",
                 usd.is_number() ? fmt::format("${:.4f}", usd.get<double>()) : "unknown",
                 approach["training_usd_is"].get<std::string>());
    }
    fmt::print("\n");
    if (fit.contains("warning")) fmt::print("  warning: {}\n", fit["warning"].get<std::string>());
  }
  fmt::print("wrote {}/curve.json, curve.md, curve.html\n", a.out);
}

}  // namespace

void add_curve_command(CLI::App& app) {
  auto args = std::make_shared<CurveArgs>();
  CLI::App* cmd = app.add_subcommand(
      "curve", "Learning curve: test accuracy vs number of training labels, with projections");
  cmd->add_option("--config", args->config, "Project config (optional [curve] table)")->required();
  cmd->add_option("--out", args->out, "Output folder")->capture_default_str();
  add_cache_options(cmd, args->cache);
  cmd->add_option("--max-cost", args->max_cost, "Cap on new LLM spend (USD)")
      ->check(non_negative_number());
  cmd->add_option("--concurrency", args->concurrency, "LLM requests in flight")
      ->check(in_flight())
      ->capture_default_str();
  cmd->add_option("--finetune", args->finetune,
                  "Also fine-tune this openai approach at [curve] finetune_fractions and on all "
                  "of train (one paid job each; replaces [curve] finetune)");
  cmd->add_option("--finetune-poll", args->finetune_poll_s,
                  "Seconds between a fine-tuning job's status checks")
      ->check(finite_between(1, 3600, "a number of seconds "))
      ->capture_default_str();
  cmd->add_flag("--yes,-y", args->yes, "Do not ask before spending");
  add_local_only_option(cmd, args->local_only);
  cmd->callback([args] { run(*args); });
}
