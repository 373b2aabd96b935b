#include "tunecase/store/rollup.h"

#include <algorithm>

namespace tunecase::store_detail {

void add_prediction(HourRow& row, const PredictionRecord& p) {
  if (row.requests == 0 || p.created_at_ms < row.first_ms) row.first_ms = p.created_at_ms;
  if (row.requests == 0 || p.created_at_ms > row.last_ms) row.last_ms = p.created_at_ms;
  row.requests += 1;
  row.errors += p.error.has_value();
  row.timeouts += p.timed_out;
  row.cached += p.cached;
  row.fallbacks += p.fallback;
  row.abstained += p.abstained;
  row.simulated += p.simulated;
  row.tokens_in += p.tokens_in;
  row.tokens_out += p.tokens_out;
  if (p.cost_usd) {
    row.cost_usd += *p.cost_usd;
    row.costed += 1;
    row.costed_errors += p.error.has_value();
  }
  row.unpriced_attempts += p.unpriced_attempts;
  row.latency_sum += p.latency_ms;
  row.upstream_sum += p.upstream_ms;
  row.latency.add(p.latency_ms);
  row.upstream.add(p.upstream_ms);
}

void add_label(HourRow& row, bool abstained, bool correct, int sign) {
  row.labelled += sign;
  row.correct += correct ? sign : 0;
  row.abstained_labelled += abstained ? sign : 0;
  row.abstained_correct += abstained && correct ? sign : 0;
}

void merge(HourRow& row, const HourRow& o) {
  if (o.requests > 0) {
    row.first_ms = row.requests == 0 ? o.first_ms : std::min(row.first_ms, o.first_ms);
    row.last_ms = row.requests == 0 ? o.last_ms : std::max(row.last_ms, o.last_ms);
  }
  row.requests += o.requests;
  row.errors += o.errors;
  row.timeouts += o.timeouts;
  row.cached += o.cached;
  row.fallbacks += o.fallbacks;
  row.abstained += o.abstained;
  row.simulated += o.simulated;
  row.tokens_in += o.tokens_in;
  row.tokens_out += o.tokens_out;
  row.costed += o.costed;
  row.cost_usd += o.cost_usd;
  row.latency_sum += o.latency_sum;
  row.upstream_sum += o.upstream_sum;
  row.latency.merge(o.latency);
  row.upstream.merge(o.upstream);
  row.labelled += o.labelled;
  row.correct += o.correct;
  row.abstained_labelled += o.abstained_labelled;
  row.abstained_correct += o.abstained_correct;
  row.costed_errors += o.costed_errors;
  row.unpriced_attempts += o.unpriced_attempts;
}

}  // namespace tunecase::store_detail
