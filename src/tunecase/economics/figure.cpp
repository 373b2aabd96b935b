#include "tunecase/economics/figure.h"

#include <algorithm>

namespace tunecase::econ {

std::string to_string(Source source) {
  switch (source) {
    case Source::measured:
      return "measured";
    case Source::estimated:
      return "estimated";
    case Source::assumed:
      return "assumed";
  }
  return "assumed";
}

Source weakest(Source a, Source b) {
  // Ordered from strongest to weakest evidence.
  return static_cast<Source>(std::max(static_cast<int>(a), static_cast<int>(b)));
}

Figure combine(const Figure& a, const Figure& b, double value) {
  Figure out;
  out.source = weakest(a.source, b.source);
  out.simulated = a.simulated || b.simulated;
  if (a.known() && b.known()) out.value = value;
  return out;
}

Figure operator+(const Figure& a, const Figure& b) {
  return combine(a, b, a.get() + b.get());
}
Figure operator-(const Figure& a, const Figure& b) {
  return combine(a, b, a.get() - b.get());
}

Figure operator*(const Figure& a, double k) {
  Figure out = a;
  if (a.known()) out.value = a.get() * k;
  return out;
}

nlohmann::json to_json(const Figure& f) {
  nlohmann::json j;
  j["value"] = f.known() ? nlohmann::json(f.get()) : nlohmann::json(nullptr);
  j["source"] = to_string(f.source);
  j["simulated"] = f.simulated;
  return j;
}

std::string provenance_label(const Figure& f) {
  std::string label = to_string(f.source);
  if (f.simulated) label += ", simulated";
  if (!f.known()) label += ", UNKNOWN";
  return label;
}

}  // namespace tunecase::econ
