#include "tunecase/runner/progress.h"

#include <fmt/format.h>

#include "tunecase/core/number_format.h"

namespace tunecase {
namespace {

constexpr auto kLiveEvery = std::chrono::milliseconds(200);
constexpr auto kPlainEvery = std::chrono::seconds(5);
constexpr int kBarWidth = 24;

std::string duration_text(double seconds) {
  if (seconds < 0 || seconds > 1e7) return "?";
  auto s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

}  // namespace

ProgressMeter::ProgressMeter(std::ostream& out, std::string name, bool enabled, bool live)
    : out_(out),
      name_(std::move(name)),
      enabled_(enabled),
      live_(live),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

std::string ProgressMeter::line(const ProgressCounts& c) const {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double per_second = elapsed > 0 ? static_cast<double>(c.sent) / elapsed : 0;
  double items_per_second = elapsed > 0 ? static_cast<double>(c.done) / elapsed : 0;
  double eta = items_per_second > 0 ? static_cast<double>(c.total - c.done) / items_per_second : -1;
  // Failed items count as wrong, as the final table counts them: a running figure over the
  // answered ones alone had read 100% a line before a result of 72%.
  const std::size_t judged = c.answered + c.errors;
  std::string accuracy = judged > 0 ? fmt::format("{:.1f}%", 100.0 * c.correct / judged) : "-";
  std::string spend = c.spent_usd ? usd_amount(*c.spent_usd) : "$?";
  std::string text = fmt::format("{}/{} | {:.1f} req/s | ETA {} | accuracy {} | spent {}", c.done,
                                 c.total, per_second, duration_text(eta), accuracy, spend);
  if (c.errors > 0) text += fmt::format(" | {} errors", c.errors);
  if (!live_) return fmt::format("{}: {}", name_, text);
  int filled = c.total > 0 ? static_cast<int>(kBarWidth * c.done / c.total) : kBarWidth;
  return fmt::format("{} [{}{}] {}", name_, std::string(filled, '#'),
                     std::string(kBarWidth - filled, '.'), text);
}

void ProgressMeter::update(const ProgressCounts& counts, bool force) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  auto every = live_ ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(kLiveEvery)
                     : std::chrono::duration_cast<std::chrono::steady_clock::duration>(kPlainEvery);
  if (!force && now - last_ < every) return;
  last_ = now;
  if (live_) {
    out_ << '\r' << line(counts) << "\x1b[K" << std::flush;
  } else {
    out_ << line(counts) << '\n' << std::flush;
  }
}

void ProgressMeter::finish(const ProgressCounts& counts) {
  if (!enabled_) return;
  update(counts, true);
  if (live_) out_ << '\n' << std::flush;
}

}  // namespace tunecase
