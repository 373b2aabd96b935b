#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "tunecase/core/error.h"
#include "tunecase/llm/prices.h"

namespace tunecase {

// Tokens of a text before any tokenizer sees it: about 4 characters per token for English.
int64_t estimate_tokens(std::string_view text);

// The cost of a run as printed before anything is sent. Every figure is estimated: input from the
// length of each request, output as max_tokens per request (an upper bound).
struct RunEstimate {
  std::size_t items = 0, cached = 0, to_send = 0;
  int64_t tokens_in = 0, tokens_out = 0;
  std::optional<double> usd;  // nullopt when the model has no price
};

std::string describe_estimate(const RunEstimate& estimate, std::string_view approach);

// Asks `question`: through `confirm`, else y/N on stdin when it is a terminal; no terminal = no.
bool ask_yes_no(const std::string& question, const std::function<bool(const std::string&)>& confirm,
                std::ostream& log);

// The user (or the lack of a terminal to ask on) did not confirm a run's spend. A command made of
// many runs keeps what the earlier runs measured and writes it before it stops.
// A run stopped because its endpoint stopped answering (every item failing in a row): the
// answers so far are in the cache. A command of many runs writes what the others measured.
class RunAborted : public UserError {
 public:
  using UserError::UserError;
};

class SpendNotConfirmed : public UserError {
 public:
  using UserError::UserError;
  // What the refused run may cost at its worst (its answers at max_tokens, its cached ones
  // counted as a cap counts them), when the run had estimated it: what a cap must cover.
  std::optional<double> worst_case_usd;
};

// Asks before a run whose estimate is above `threshold_usd`, or whose cost is unknown (no price for
// the model) while it has requests to send: an unknown spend counts as above any threshold.
// `confirm` asks the user; when it is null, stdin is asked (y/N) if stdin is a terminal, else the
// run is refused. `assume_yes` (--yes) never asks. Throws UserError (with what to do) when the run
// is not confirmed.
void confirm_spend(const RunEstimate& estimate, std::string_view approach, double threshold_usd,
                   bool assume_yes, const std::function<bool(const std::string&)>& confirm,
                   std::ostream& log);

// What one request can cost at most, reserved from a spend cap: max_tokens of output, and input
// tokens of half the body's bytes (a token is a byte or more; English runs about four bytes a
// token, and scripts of three-byte characters two to three), not the estimate's quarter.
double worst_case_usd(const Price& price, std::string_view body, int max_tokens);
// What one request is estimated to cost, as a run's estimate counts it: its body's tokens
// estimated (estimate_tokens), max_tokens of output.
double estimated_usd(const Price& price, std::string_view body, int max_tokens);
// The input tokens of that worst case: half the body's bytes. An answer that reports more is
// charged this (prediction_of), so what one request costs never passes what was reserved.
int64_t worst_case_input_tokens(std::size_t body_bytes);

// Keeps the spend of a run under `max_usd`: a request may start only when what is already spent,
// plus the worst case of the requests in flight, plus its own worst case stays within the cap.
// The worst case of a request is worst_case_usd, so the cap is not passed even if every answer
// is as long as allowed; an answer reporting more than that is charged its worst case.
class SpendBudget {
 public:
  explicit SpendBudget(std::optional<double> max_usd) : max_(max_usd) {}

  bool allows(double worst_case_usd) const;
  // Counts what was paid before this run (cached answers a search counts) toward the cap.
  void count_paid_before(double usd) { paid_before_ += usd; }
  void reserve(double worst_case_usd) { reserved_ += worst_case_usd; }
  // The request finished: its reservation is released and `actual_usd` (0 if it failed) spent.
  void settle(double worst_case_usd, double actual_usd);

  double spent() const { return spent_; }
  const std::optional<double>& max() const { return max_; }

 private:
  std::optional<double> max_;
  double spent_ = 0, reserved_ = 0, paid_before_ = 0;
};

}  // namespace tunecase
