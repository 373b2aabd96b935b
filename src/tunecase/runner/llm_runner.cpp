#include "tunecase/runner/llm_runner.h"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "tunecase/runner/budget.h"
#include "tunecase/runner/run_loop.h"

namespace tunecase {
namespace {

// A live bar only makes sense when the log is the terminal's stderr.
bool log_is_terminal(const std::ostream& log) {
  return (&log == &std::cerr || &log == &std::clog) && isatty(STDERR_FILENO) != 0;
}

}  // namespace

void CommandSpendGate::prepare(LlmRunOptions& run) {
  run.assume_yes = yes_;
  run.confirm_above_usd = std::max(0.0, threshold_ - spent_);
  run.confirm = [this](const std::string& question) {
    const bool yes = ask_yes_no(
        fmt::format("{} [This command has spent ${:.4f} so far; with this run it may pass "
                    "${:.2f}{}. A yes covers the rest of the command, whose whole cost is not "
                    "estimated ahead: --max-cost caps it.]",
                    question, spent_, threshold_,
                    authorised_ ? ", the estimate of the whole command you confirmed" : ""),
        confirm_, log_);
    if (yes) yes_ = true;
    return yes;
  };
}

LlmRunResult run_llm_approach(const LlmApproach& approach, const Examples& items,
                              const std::optional<Price>& price, const LlmRunOptions& options,
                              HttpClient& client, std::ostream& log) {
  RunLoop loop(approach, items, price, options, client, log, log_is_terminal(log));
  return loop.run();
}

LlmRunResult run_llm_approach(const ApproachConfig& approach, const ProjectConfig& project,
                              const Examples& train, const Examples& items,
                              const std::vector<std::string>& labels, const LlmRunOptions& options,
                              HttpClient& client, std::ostream& log) {
  std::optional<Price> price = price_for(approach, PriceCatalogue::for_approach(approach));
  LlmApproach ready(approach, project, train, labels);
  return run_llm_approach(ready, items, price, options, client, log);
}

}  // namespace tunecase
