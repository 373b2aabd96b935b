#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <vector>

// Self-contained SVG charts for the reports (decision memo, prompt search, learning curve, pilot):
// no script, no font or stylesheet from the network, every text escaped. Output is a complete
// <svg> element that can be written to a .svg file or inlined into an HTML page (several charts
// on one page do not clash: internal ids are derived from the chart's content).
namespace tunecase::svg {

struct Point {
  double x = 0, y = 0;
  double y_lo = NAN, y_hi = NAN;  // an error bar (or band) when both are set
  std::string label;              // drawn next to the point when non-empty
};

struct Series {
  std::string name;  // legend entry; a series with an empty name is left out of the legend
  std::vector<Point> points;
  bool line = true;
  bool markers = true;
  bool band = false;  // fill between y_lo and y_hi along the line instead of error bars
  bool dashed = false;
  std::string color;  // any SVG colour; "" = colour-blind-safe palette by series index
};

struct Axis {
  std::string title;
  bool log = false;                // log10 scale; values <= 0 cannot be drawn on it and are skipped
  std::optional<double> min, max;  // unset: from the data, widened to round tick values
  // fmt format of one tick value. The default "{:g}" also shortens large values (12k, 1.5M).
  // fmt has no currency or grouping specifier: use e.g. "{:.0f}" with prefix "$".
  std::string tick_format = "{:g}";
  std::string prefix, suffix;  // around every tick label: "$", "%", " ms"
};

struct Marker {  // an annotated dot, e.g. a break-even point
  double x = 0, y = 0;
  std::string label;
};

struct ChartOptions {
  std::string title;
  Axis x, y;
  int width = 720, height = 420;  // bar and tornado charts grow taller when bars need the room
  std::vector<Marker> markers;
  std::string note;  // small text under the chart, e.g. "simulated LLM: not a real model"
};

// Lines and/or scatter points with optional error bars or bands, gridlines on 1-2-5 ticks
// (powers of ten, with 2 and 5 when few decades are shown, on log axes), a legend, and the
// markers. Non-finite values are skipped (a line is broken where a point is missing).
std::string line_chart(const ChartOptions& options, const std::vector<Series>& series);

// One bar per input assumption, spanning the outcome at its low and at its high setting,
// centred on the base-case outcome and sorted by swing (widest on top). Uses options.x for the
// outcome axis; options.y is unused. Empty texts are filled with the formatted value.
struct TornadoBar {
  std::string label;
  double low_value = 0, high_value = 0;
  std::string low_text, high_text;
};
std::string tornado_chart(const ChartOptions& options, double base_value,
                          const std::vector<TornadoBar>& bars);

// Horizontal bars from zero, in the given order, each with its label on the left and `text`
// (or the formatted value) at its end. Uses options.x for the value axis. NaN draws no bar.
struct Bar {
  std::string label;
  double value = 0;
  std::string text;
};
std::string bar_chart(const ChartOptions& options, const std::vector<Bar>& bars);

// The tick values drawn between lo and hi (inclusive): multiples of a 1-2-5 step on a linear
// axis; on a log axis powers of ten, plus 2x and 5x of them when hi/lo <= 1000. Exposed for
// callers that align other graphics with a chart, and for tests.
std::vector<double> axis_ticks(double lo, double hi, bool log);

// One tick label: prefix + value formatted by axis.tick_format + suffix ("-$5", not "$-5").
std::string format_tick(const Axis& axis, double value);

}  // namespace tunecase::svg
