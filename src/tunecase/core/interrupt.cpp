#include "tunecase/core/interrupt.h"

#include <atomic>

namespace tunecase {
namespace {

std::atomic<bool> stop_flag{false};
std::atomic<int64_t> unsettled{0};
std::atomic<double> spent{0};

}  // namespace

void request_stop() {
  stop_flag.store(true);
}
bool stop_requested() {
  return stop_flag.load(std::memory_order_relaxed);
}

void note_request_sent() {
  unsettled.fetch_add(1);
}
void note_request_settled() {
  unsettled.fetch_sub(1);
}
int64_t requests_unsettled() {
  return unsettled.load();
}

void note_spent(double usd) {
  if (usd > 0) spent.fetch_add(usd);
}
double spent_in_process() {
  return spent.load();
}

}  // namespace tunecase
