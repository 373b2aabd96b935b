#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tunecase {

// Shape of the generated support traffic of "Brightdesk", an invented B2B scheduling SaaS that
// also sells room-booking hardware. In month `drift_month` it launches "Autopilot", an AI
// scheduling assistant: a new category appears and its vocabulary leaks into other categories'
// tickets, which is the drift `tunecase demo` shows.
struct SyntheticOptions {
  std::size_t tickets = 6000;
  uint64_t seed = 42;
  int months = 12;
  double label_noise = 0.03;      // share of tickets whose label is replaced by a wrong one
  double ambiguous_share = 0.08;  // share mentioning a second topic (labelled with the first)
  int drift_month = 8;            // 1-based month of the launch; > months for no launch
  std::string start_date = "2025-01-01";
};

struct SyntheticTicket {
  std::string id;          // "T000001"..., in time order
  std::string text;        // one line to a short paragraph of support-ticket English
  std::string category;    // the label (possibly a noisy one, see noisy_label)
  std::string created_at;  // ISO date-time "YYYY-MM-DDTHH:MM:SSZ", non-decreasing with id
  bool noisy_label = false;
  bool ambiguous = false;
  bool after_launch = false;
};

// Deterministic for a given options value on every platform (raw std::mt19937_64 output only).
// Throws UserError for options that cannot produce traffic (months < 1, a bad start date,
// shares outside [0, 1]).
std::vector<SyntheticTicket> generate_tickets(const SyntheticOptions& options);

// One line per category (including the one launched with Autopilot), for LLM prompts and
// reports.
std::map<std::string, std::string> synthetic_label_descriptions();

}  // namespace tunecase
