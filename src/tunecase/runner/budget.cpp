#include "tunecase/runner/budget.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/core/interrupt.h"
#include "tunecase/core/number_format.h"
#include "tunecase/llm/prices.h"

namespace tunecase {

int64_t estimate_tokens(std::string_view text) {
  return static_cast<int64_t>((text.size() + 3) / 4);
}

int64_t worst_case_input_tokens(std::size_t body_bytes) {
  return static_cast<int64_t>((body_bytes + 1) / 2);
}

double estimated_usd(const Price& price, std::string_view body, int max_tokens) {
  return cost_usd(price,
                  Usage{estimate_tokens(body), static_cast<int64_t>(std::max(0, max_tokens)), 0});
}

double worst_case_usd(const Price& price, std::string_view body, int max_tokens) {
  const int64_t input = worst_case_input_tokens(body.size());
  Usage worst{input, static_cast<int64_t>(std::max(0, max_tokens)), 0};
  // A request that asks for prompt caching (cache_control, in `extra` or a template) may be
  // billed for writing every input token to the cache, above the input rate.
  if (body.find("\"cache_control\"") != std::string_view::npos) {
    if (price.cache_write_1h_per_mtok >= price.cache_write_per_mtok)
      worst.cache_write_1h = input;
    else
      worst.cache_write = input;
  }
  return cost_usd(price, worst);
}

std::string describe_estimate(const RunEstimate& e, std::string_view approach) {
  std::string dollars = e.usd ? fmt::format("${:.4f}", *e.usd) : "unknown (no price for the model)";
  return fmt::format(
      "{}: {} items, {} answered from the cache, {} to send; estimated {} input + at most {} "
      "output tokens, estimated cost {}",
      approach, e.items, e.cached, e.to_send, e.tokens_in, e.tokens_out, dollars);
}

bool ask_yes_no(const std::string& question, const std::function<bool(const std::string&)>& confirm,
                std::ostream& log) {
  if (confirm) return confirm(question);
  if (isatty(STDIN_FILENO) == 0) return false;
  log << question << " [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

void confirm_spend(const RunEstimate& estimate, std::string_view approach, double threshold_usd,
                   bool assume_yes, const std::function<bool(const std::string&)>& confirm,
                   std::ostream& log) {
  if (assume_yes || estimate.to_send == 0) return;
  if (!estimate.usd) {
    std::string question = fmt::format(
        "{}: {} requests to send at an UNKNOWN cost (the model has no price in the catalogue). "
        "Continue?",
        approach, estimate.to_send);
    if (ask_yes_no(question, confirm, log)) return;
    throw SpendNotConfirmed(fmt::format(
        "{}: the run was not confirmed ({} requests, cost unknown: no price for the model); {}, "
        "or pass --yes to run it anyway",
        approach, estimate.to_send, missing_price_remedy()));
  }
  if (*estimate.usd <= threshold_usd) return;
  std::string question =
      fmt::format("{}: this run may cost about {} (estimated), above the {} asked about. Continue?",
                  approach, usd_amount(*estimate.usd), usd_amount(threshold_usd));
  if (ask_yes_no(question, confirm, log)) return;
  throw SpendNotConfirmed(fmt::format(
      "{}: the run was not confirmed (estimated {}, above the {} that may be spent "
      "without asking{}); pass --yes to run it, --max-cost to cap the spend, or make the run "
      "smaller",
      approach, usd_amount(*estimate.usd), usd_amount(threshold_usd),
      isatty(STDIN_FILENO) != 0 ? "" : "; no terminal to ask on"));
}

bool SpendBudget::allows(double worst_case_usd) const {
  return !max_ || paid_before_ + spent_ + reserved_ + worst_case_usd <= *max_;
}

void SpendBudget::settle(double worst_case_usd, double actual_usd) {
  reserved_ -= worst_case_usd;
  if (reserved_ < 1e-12) reserved_ = std::max(0.0, reserved_);
  spent_ += actual_usd;
  note_spent(actual_usd);
}

}  // namespace tunecase
