#include "tunecase/runner/llm_runner.h"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <memory>

#include "tunecase/core/number_format.h"
#include "tunecase/runner/budget.h"
#include "tunecase/runner/response_cache.h"
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
                    "{}{}. A yes covers the rest of the command, whose whole cost is not "
                    "estimated ahead: --max-cost caps it.]",
                    question, spent_, usd_amount(threshold_),
                    authorised_ ? ", the estimate of the whole command you confirmed" : ""),
        confirm_, log_);
    if (yes) yes_ = true;
    return yes;
  };
}

namespace {

// What sending `items` to `approach` costs, each request priced by `cost(price, body,
// max_tokens)` unless the response cache (`cache_file`; empty or missing: none) holds its
// answer; nullopt without a price.
template <class Cost>
std::optional<UncachedCost> priced_requests(const ApproachConfig& approach,
                                            const ProjectConfig& project, const Examples& train,
                                            const std::vector<std::string>& labels,
                                            const Examples& items,
                                            const std::filesystem::path& cache_file, Cost cost) {
  std::optional<Price> price = price_for(approach, PriceCatalogue::for_approach(approach));
  if (!price) return std::nullopt;
  std::error_code ec;
  std::unique_ptr<ResponseCache> cache;
  if (!cache_file.empty() && std::filesystem::exists(cache_file, ec))
    cache = std::make_unique<ResponseCache>(cache_file);
  LlmApproach ready(approach, project, train, labels);
  UncachedCost out;
  for (const auto& item : items) {
    HttpRequest request = ready.request(item.text);
    if (cache &&
        cache->get(cache_key(ready.provider().endpoint(), ready.options().model, request.body))) {
      ++out.cached;
      continue;
    }
    out.usd += cost(*price, request.body, ready.options().max_tokens);
  }
  return out;
}

}  // namespace

std::optional<UncachedCost> uncached_usd(const ApproachConfig& approach,
                                         const ProjectConfig& project, const Examples& train,
                                         const std::vector<std::string>& labels,
                                         const Examples& items,
                                         const std::filesystem::path& cache_file) {
  return priced_requests(approach, project, train, labels, items, cache_file, worst_case_usd);
}

std::optional<double> usd_per_item(const ApproachConfig& approach, const ProjectConfig& project,
                                   const Examples& train, const std::vector<std::string>& labels,
                                   const Examples& items, std::size_t sample) {
  const Examples first(items.begin(),
                       items.begin() + static_cast<std::ptrdiff_t>(std::min(sample, items.size())));
  // The prompt's tokens as eval estimates them (not the reservation's worst case, which had
  // doubled every figure and refused budgets that covered the search), the answer at
  // max_tokens: the runner still reserves each request's worst case against the caps.
  std::optional<UncachedCost> cost =
      priced_requests(approach, project, train, labels, first, {}, estimated_usd);
  if (!cost) return std::nullopt;
  return first.empty() ? 0.0 : cost->usd / static_cast<double>(first.size());
}

void confirm_command_estimate(const std::string& command, double total_usd, bool assume_yes,
                              bool capped, CommandSpendGate& gate,
                              const std::function<bool(const std::string&)>& confirm,
                              std::ostream& log) {
  if (assume_yes || capped || total_usd <= kConfirmAboveUsd) return;
  if (ask_yes_no(fmt::format("{}: its LLM requests may cost up to {} in all (estimated, "
                             "above). Continue?",
                             command, usd_amount(total_usd)),
                 confirm, log)) {
    gate.authorise(total_usd);
    return;
  }
  throw SpendNotConfirmed(fmt::format(
      "{}: not confirmed (estimated at most {}{}); nothing was sent. Pass --yes to run it, "
      "--max-cost to cap it, or make it smaller",
      command, usd_amount(total_usd), isatty(STDIN_FILENO) != 0 ? "" : "; no terminal to ask on"));
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
