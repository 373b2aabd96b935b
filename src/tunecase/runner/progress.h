#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>

namespace tunecase {

struct ProgressCounts {
  std::size_t done = 0, total = 0;
  std::size_t answered = 0, correct = 0;  // for the running accuracy (cache hits included)
  std::size_t sent = 0;                   // network answers, for requests per second
  std::size_t errors = 0;
  std::optional<double> spent_usd;  // nullopt when the model has no price
};

// Progress of a run on the log stream: done/total, requests per second, ETA, running accuracy
// and spend. On a terminal one line redrawn in place (a bar); otherwise a plain line every few
// seconds, so logs stay readable.
class ProgressMeter {
 public:
  ProgressMeter(std::ostream& out, std::string name, bool enabled, bool live);

  // Draws when enough time has passed since the last line (or at once when `force`).
  void update(const ProgressCounts& counts, bool force = false);
  // The last line, always printed when enabled.
  void finish(const ProgressCounts& counts);

 private:
  std::string line(const ProgressCounts& counts) const;

  std::ostream& out_;
  std::string name_;
  bool enabled_, live_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace tunecase
