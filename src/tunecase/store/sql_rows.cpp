#include <fmt/format.h>

#include "tunecase/store/sql_store.h"

namespace tunecase::store_detail {

bool is_null(const SqlValue& v) {
  return std::holds_alternative<std::monostate>(v);
}
int64_t as_int(const SqlValue& v) {
  if (auto* n = std::get_if<int64_t>(&v)) return *n;
  if (auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  if (auto* s = std::get_if<std::string>(&v)) return std::stoll(*s);
  return 0;
}
double as_double(const SqlValue& v) {
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* n = std::get_if<int64_t>(&v)) return static_cast<double>(*n);
  if (auto* s = std::get_if<std::string>(&v)) return std::stod(*s);
  return 0;
}
std::string as_string(const SqlValue& v) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* n = std::get_if<int64_t>(&v)) return std::to_string(*n);
  if (auto* d = std::get_if<double>(&v)) return fmt::format("{}", *d);
  return "";
}

const std::vector<std::string>& prediction_columns() {
  static const std::vector<std::string> columns = {
      "prediction_id", "request_id",       "approach",   "arm",           "segment",
      "label",         "confidence",       "abstained",  "latency_ms",    "upstream_ms",
      "tokens_in",     "tokens_out",       "cost_usd",   "error",         "fallback",
      "simulated",     "text_hash",        "created_at", "model_version", "timed_out",
      "cached",        "unpriced_attempts"};
  return columns;
}

void append_prediction_values(const PredictionRecord& p, std::vector<SqlValue>& out) {
  append_values(out, p.prediction_id, p.request_id, p.approach, std::string(arm_name(p.arm)),
                p.segment, p.label, sql_opt(p.confidence), sql_flag(p.abstained), p.latency_ms,
                p.upstream_ms, p.tokens_in, p.tokens_out, sql_opt(p.cost_usd), sql_opt(p.error),
                sql_flag(p.fallback), sql_flag(p.simulated), p.text_hash, p.created_at_ms,
                p.model_version, sql_flag(p.timed_out), sql_flag(p.cached), p.unpriced_attempts);
}

PredictionRecord prediction_from_row(const SqlRow& r) {
  PredictionRecord p;
  p.prediction_id = as_string(r[0]);
  p.request_id = as_string(r[1]);
  p.approach = as_string(r[2]);
  p.arm = parse_arm(as_string(r[3])).value_or(Arm::champion);
  p.segment = as_string(r[4]);
  p.label = as_string(r[5]);
  if (!is_null(r[6])) p.confidence = as_double(r[6]);
  p.abstained = as_int(r[7]) != 0;
  p.latency_ms = as_double(r[8]);
  p.upstream_ms = as_double(r[9]);
  p.tokens_in = as_int(r[10]);
  p.tokens_out = as_int(r[11]);
  if (!is_null(r[12])) p.cost_usd = as_double(r[12]);
  if (!is_null(r[13])) p.error = as_string(r[13]);
  p.fallback = as_int(r[14]) != 0;
  p.simulated = as_int(r[15]) != 0;
  p.text_hash = as_string(r[16]);
  p.created_at_ms = as_int(r[17]);
  p.model_version = as_string(r[18]);
  p.timed_out = as_int(r[19]) != 0;
  p.cached = as_int(r[20]) != 0;
  p.unpriced_attempts = as_int(r[21]);
  return p;
}

}  // namespace tunecase::store_detail
