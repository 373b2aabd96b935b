#include "tunecase/runner/llm_runner.h"

#include <unistd.h>

#include <iostream>

#include "tunecase/runner/run_loop.h"

namespace tunecase {
namespace {

// A live bar only makes sense when the log is the terminal's stderr.
bool log_is_terminal(const std::ostream& log) {
  return (&log == &std::cerr || &log == &std::clog) && isatty(STDERR_FILENO) != 0;
}

}  // namespace

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
