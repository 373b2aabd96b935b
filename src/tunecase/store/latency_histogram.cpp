#include "tunecase/store/latency_histogram.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace tunecase {
namespace {

constexpr double kFloorMs = 0.001;  // one microsecond
const double kLogStep = std::log(1.01);

int32_t bucket_of(double ms) {
  if (!(ms > kFloorMs)) return 0;  // also NaN and negatives
  double b = std::floor(std::log(ms / kFloorMs) / kLogStep) + 1;
  return static_cast<int32_t>(std::min(b, 1e6));
}

double value_of(int32_t bucket) {
  if (bucket == 0) return 0;
  return kFloorMs * std::exp((bucket - 0.5) * kLogStep);
}

}  // namespace

void LatencyHistogram::add(double ms, int64_t count) {
  const int32_t b = bucket_of(ms);
  auto at = std::lower_bound(counts_.begin(), counts_.end(), b,
                             [](const auto& entry, int32_t key) { return entry.first < key; });
  if (at != counts_.end() && at->first == b)
    at->second += count;
  else
    counts_.insert(at, {b, count});
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.counts_.empty()) return;
  if (counts_.empty()) {
    counts_ = other.counts_;
    return;
  }
  std::vector<std::pair<int32_t, int64_t>> merged;
  merged.reserve(counts_.size() + other.counts_.size());
  auto a = counts_.cbegin();
  auto b = other.counts_.cbegin();
  while (a != counts_.cend() || b != other.counts_.cend()) {
    if (b == other.counts_.cend() || (a != counts_.cend() && a->first < b->first)) {
      merged.push_back(*a++);
    } else if (a == counts_.cend() || b->first < a->first) {
      merged.push_back(*b++);
    } else {
      merged.push_back({a->first, a->second + b->second});
      ++a, ++b;
    }
  }
  counts_ = std::move(merged);
}

int64_t LatencyHistogram::total() const {
  int64_t n = 0;
  for (const auto& [bucket, count] : counts_) n += count;
  return n;
}

double LatencyHistogram::quantile(double q) const {
  int64_t n = total();
  if (n == 0) return 0;
  auto rank = static_cast<int64_t>(std::ceil(q * static_cast<double>(n)));
  rank = std::max<int64_t>(rank, 1);
  int64_t seen = 0;
  for (const auto& [bucket, count] : counts_) {
    seen += count;
    if (seen >= rank) return value_of(bucket);
  }
  return value_of(counts_.rbegin()->first);
}

LatencySummary LatencyHistogram::summary(double sum_ms) const {
  LatencySummary s;
  s.n = total();
  if (s.n == 0) return s;
  s.mean = sum_ms / static_cast<double>(s.n);
  s.p50 = quantile(0.50);
  s.p95 = quantile(0.95);
  s.p99 = quantile(0.99);
  return s;
}

std::string LatencyHistogram::encode() const {
  std::string out;
  for (const auto& [bucket, n] : counts_) {
    if (!out.empty()) out += ' ';
    fmt::format_to(std::back_inserter(out), "{}:{}", bucket, n);
  }
  return out;
}

LatencyHistogram LatencyHistogram::decode(std::string_view text) {
  LatencyHistogram h;
  bool sorted = true;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  while (p < end) {
    int32_t bucket = 0;
    int64_t n = 0;
    auto r1 = std::from_chars(p, end, bucket);
    if (r1.ec != std::errc() || r1.ptr == end || *r1.ptr != ':') {
      throw std::runtime_error("corrupt latency histogram in the store");
    }
    auto r2 = std::from_chars(r1.ptr + 1, end, n);
    if (r2.ec != std::errc()) throw std::runtime_error("corrupt latency histogram in the store");
    if (!h.counts_.empty() && bucket <= h.counts_.back().first) sorted = false;
    h.counts_.push_back({bucket, n});
    p = r2.ptr;
    if (p < end && *p == ' ') ++p;
  }
  if (!sorted) {  // encode() writes in order; anything else is summed per bucket
    std::sort(h.counts_.begin(), h.counts_.end());
    std::vector<std::pair<int32_t, int64_t>> unique;
    for (const auto& e : h.counts_) {
      if (!unique.empty() && unique.back().first == e.first)
        unique.back().second += e.second;
      else
        unique.push_back(e);
    }
    h.counts_ = std::move(unique);
  }
  return h;
}

}  // namespace tunecase
