#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace tunecase::econ {

// Where a number came from. Every input and derived figure in the decision carries one, so a
// reader of the memo can tell a measurement from a guess.
enum class Source {
  measured,   // counted on the user's labelled data by `tunecase eval`
  estimated,  // derived from measurements and a price (tokens x catalogue, hosting / throughput)
  assumed,    // typed in by the user in the config
};

std::string to_string(Source source);

// Combining figures: the result is only as good as its weakest input.
Source weakest(Source a, Source b);

// A number with its provenance. `value` is empty when the number is unknown (a price missing
// from the catalogue): unknowns are shown as "unknown", never as zero.
struct Figure {
  std::optional<double> value;
  Source source = Source::assumed;
  bool simulated = false;  // produced by the offline LLM stand-in, not a real model

  bool known() const { return value.has_value(); }
  double get() const { return value.value_or(0.0); }
};

inline Figure assumed(double v) {
  return Figure{v, Source::assumed, false};
}
inline Figure unknown(Source s = Source::estimated) {
  return Figure{std::nullopt, s, false};
}

// Arithmetic keeps the weakest source and spreads "simulated" and "unknown".
Figure combine(const Figure& a, const Figure& b, double value);
Figure operator+(const Figure& a, const Figure& b);
Figure operator-(const Figure& a, const Figure& b);
Figure operator*(const Figure& a, double k);

// {"value": x|null, "source": "measured", "simulated": false}
nlohmann::json to_json(const Figure& f);

// "measured", "estimated, simulated", ... for tables.
std::string provenance_label(const Figure& f);

}  // namespace tunecase::econ
