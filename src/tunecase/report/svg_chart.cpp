#include "tunecase/report/svg_chart.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "tunecase/core/hash.h"
#include "tunecase/core/number_format.h"
#include "tunecase/report/html.h"

namespace tunecase::svg {
namespace {

// Okabe-Ito colours: distinguishable with the common colour-vision deficiencies and in greyscale;
// then five of Paul Tol's muted ones, so that a memo of up to twelve approaches (the demo has
// eight) gives each its own colour.
constexpr std::array<std::string_view, 12> kPalette = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                                       "#E69F00", "#56B4E9", "#000000", "#882255",
                                                       "#332288", "#999933", "#44AA99", "#AA4499"};
constexpr double kFont = 12;  // base font size in px
constexpr double kRowH = 18;  // one line of legend or note
constexpr std::string_view kClipToken = "@CLIP@";

std::string color_of(const std::string& wanted, std::size_t index) {
  return wanted.empty() ? std::string(kPalette[index % kPalette.size()]) : wanted;
}

// A coordinate for an attribute; never "nan" (callers filter, this is the last guard).
std::string num(double v) {
  return std::isfinite(v) ? fmt::format("{:.1f}", v) : "0";
}

// Rough rendered width of a text: no font metrics in a self-contained SVG, so 0.6 em per
// character (counting UTF-8 code points) is a safe over-estimate for sans-serif digits and letters.
double text_width(std::string_view text, double font_size = kFont) {
  return static_cast<double>(utf8_chars(text)) * font_size * 0.6;
}

std::string text(double x, double y, std::string_view content, std::string_view attrs = "") {
  return fmt::format("<text x=\"{}\" y=\"{}\"{}{}>{}</text>\n", num(x), num(y),
                     attrs.empty() ? "" : " ", attrs, html::escape(content));
}

std::string line(double x1, double y1, double x2, double y2, std::string_view attrs) {
  return fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {}/>\n", num(x1), num(y1),
                     num(x2), num(y2), attrs);
}

bool drawable(double v, bool log) {
  return std::isfinite(v) && (!log || v > 0);
}

// ---- scales -------------------------------------------------------------------------------

// Largest 1, 2 or 5 x 10^k that is <= v (down) or smallest that is >= v (up); v > 0.
double round_125(double v, bool up) {
  const double decade = std::pow(10.0, std::floor(std::log10(v)));
  const double m = v / decade;
  if (up) return (m <= 1 + 1e-9 ? 1 : m <= 2 + 1e-9 ? 2 : m <= 5 + 1e-9 ? 5 : 10) * decade;
  return (m >= 5 - 1e-9 ? 5 : m >= 2 - 1e-9 ? 2 : 1) * decade;
}

double linear_step(double lo, double hi) {
  return round_125((hi - lo) / 5, true);
}

// The value range an axis shows: the data (and markers), or the caller's min/max, widened to
// round tick values on the sides the caller left open.
struct Scale {
  double lo = 0, hi = 1;
  bool log = false;
  double px_lo = 0, px_hi = 1;  // pixel positions of lo and hi

  double operator()(double v) const {
    const double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
                         : (v - lo) / (hi - lo);
    return px_lo + t * (px_hi - px_lo);
  }
  bool shows(double v) const {
    const double slack = (hi - lo) * 1e-9;
    return drawable(v, log) && v >= lo - slack && v <= hi + slack;
  }
};

Scale make_scale(const Axis& axis, const std::vector<double>& values) {
  Scale s;
  s.log = axis.log;
  bool any = false;
  double lo = 0, hi = 0;
  for (double v : values) {
    if (!drawable(v, s.log)) continue;
    lo = any ? std::min(lo, v) : v;
    hi = any ? std::max(hi, v) : v;
    any = true;
  }
  if (!any) lo = hi = s.log ? 1 : 0;
  if (axis.min && drawable(*axis.min, s.log)) lo = *axis.min;
  if (axis.max && drawable(*axis.max, s.log)) hi = *axis.max;
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) {  // one value: show a neighbourhood around it
    const double pad = s.log ? 0 : (lo == 0 ? 1 : std::abs(lo) * 0.1);
    lo = s.log ? lo / 10 : lo - pad;
    hi = s.log ? hi * 10 : hi + pad;
  }
  if (s.log) {
    if (!axis.min) lo = round_125(lo, false);
    if (!axis.max) hi = round_125(hi, true);
  } else {
    const double step = linear_step(lo, hi);
    if (!axis.min) lo = std::floor(lo / step + 1e-9) * step;
    if (!axis.max) hi = std::ceil(hi / step - 1e-9) * step;
  }
  s.lo = lo;
  s.hi = hi;
  return s;
}

// Large round numbers as 12k, 1.5M, 3B: "{:g}" would print 1.5e+06.
// Ticks are round numbers: up to six significant digits shows them whole. A value that is not
// a tick (the tornado's base) is read at three ("$1.95M", not "$1.95404M").
std::string short_number(double v, int digits = 6) {
  const double a = std::abs(v);
  double scaled = v;
  const char* unit = "";
  if (a >= 1e12) {
    scaled = v / 1e12;
    unit = "T";
  } else if (a >= 1e9) {
    scaled = v / 1e9;
    unit = "B";
  } else if (a >= 1e6) {
    scaled = v / 1e6;
    unit = "M";
  } else if (a >= 1e4) {
    scaled = v / 1e3;
    unit = "k";
  }
  // Whole when the digits asked for would not reach the units ("4934", "5320T", not the
  // "4.93e+03" that {:.3g} writes).
  if (std::abs(scaled) >= std::pow(10.0, digits)) return fmt::format("{:.0f}{}", scaled, unit);
  return fmt::format("{:.{}g}{}", scaled, digits, unit);
}

std::string format_value(const std::string& spec, double v) {
  if (spec == "{:g}") return short_number(v);
  try {
    return fmt::format(fmt::runtime(spec), v);
  } catch (const fmt::format_error&) {
    return fmt::format("{:g}", v);  // a bad format string must not cost the user the report
  }
}

// ---- frame: title, plot area, grid, axes, note ----------------------------------------------

struct Frame {
  double left = 0, top = 0, right = 0, bottom = 0;  // plot area in pixels
  double width = 0, height = 0;                     // whole chart
};

std::string open_svg(const ChartOptions& o, const Frame& f) {
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" role=\"img\" aria-label=\"{2}\" font-family=\"system-ui, "
      "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif\" font-size=\"{3}\">\n",
      num(f.width), num(f.height), html::escape(o.title), kFont);
  out += fmt::format("<title>{}</title>\n", html::escape(o.title));
  out += fmt::format("<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n", num(f.width),
                     num(f.height));
  if (!o.title.empty())
    out += text(f.width / 2, 22, o.title,
                "text-anchor=\"middle\" font-size=\"15\" font-weight=\"600\"");
  out += fmt::format(
      "<defs><clipPath id=\"{}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath>"
      "</defs>\n",
      kClipToken, num(f.left - 4), num(f.top - 4), num(f.right - f.left + 8),
      num(f.bottom - f.top + 8));
  return out;
}

// Replaces the clip-path id by one derived from the whole chart, so that two different charts
// inlined in one HTML page never share an id, and the same chart always renders the same bytes.
std::string close_svg(std::string body) {
  body += "</svg>\n";
  const std::string id = "tc" + text_hash(body);
  for (std::size_t at = body.find(kClipToken); at != std::string::npos;
       at = body.find(kClipToken, at))
    body.replace(at, kClipToken.size(), id);
  return body;
}

std::string clip_group() {
  return fmt::format("<g clip-path=\"url(#{})\">\n", kClipToken);
}

std::string x_axis(const Axis& axis, const Scale& sx, const Frame& f) {
  std::string out;
  for (double t : axis_ticks(sx.lo, sx.hi, sx.log)) {
    const double x = sx(t);
    out += line(x, f.top, x, f.bottom, "stroke=\"#e6e6e6\"");
    // A label centred on the axis' first tick would reach under the y axis' lowest label.
    const std::string label = format_tick(axis, t);
    const bool at_left = x - text_width(label) / 2 < f.left - 2;
    out += text(x, f.bottom + 16, label,
                fmt::format("text-anchor=\"{}\" fill=\"#333\"", at_left ? "start" : "middle"));
  }
  out += line(f.left, f.bottom, f.right, f.bottom, "stroke=\"#333\"");
  if (!axis.title.empty())
    out += text((f.left + f.right) / 2, f.bottom + 34, axis.title,
                "text-anchor=\"middle\" font-weight=\"600\"");
  return out;
}

std::string y_axis(const Axis& axis, const Scale& sy, const Frame& f) {
  std::string out;
  for (double t : axis_ticks(sy.lo, sy.hi, sy.log)) {
    const double y = sy(t);
    out += line(f.left, y, f.right, y, "stroke=\"#e6e6e6\"");
    out += text(f.left - 6, y + 4, format_tick(axis, t), "text-anchor=\"end\" fill=\"#333\"");
  }
  out += line(f.left, f.top, f.left, f.bottom, "stroke=\"#333\"");
  if (!axis.title.empty()) {
    const double x = 16, y = (f.top + f.bottom) / 2;
    out += text(
        x, y, axis.title,
        fmt::format("text-anchor=\"middle\" font-weight=\"600\" transform=\"rotate(-90 {} {})\"",
                    num(x), num(y)));
  }
  return out;
}

std::string note(const ChartOptions& o, const Frame& f) {
  if (o.note.empty()) return "";
  return text(8, f.height - 8, o.note, "font-size=\"11\" fill=\"#666\" font-style=\"italic\"");
}

double max_tick_width(const Axis& axis, const Scale& s) {
  double w = 0;
  for (double t : axis_ticks(s.lo, s.hi, s.log)) w = std::max(w, text_width(format_tick(axis, t)));
  return w;
}

// ---- line chart pieces ----------------------------------------------------------------------

struct LegendItem {
  std::string name, color;
  bool dashed = false, line = true, markers = true;
};

// Legend items flow left to right in rows under the x axis; returns the number of rows.
// Where each legend item goes when items flow left to right in rows of `width` pixels:
// {x offset, row index}.
std::vector<std::pair<double, int>> legend_slots(const std::vector<LegendItem>& items,
                                                 double width) {
  std::vector<std::pair<double, int>> slots;
  double x = 0;
  int row = 0;
  for (const auto& item : items) {
    const double w = 34 + text_width(item.name) + 16;
    if (x > 0 && x + w > width) x = 0, ++row;
    slots.emplace_back(x, row);
    x += w;
  }
  return slots;
}

int legend_rows(const std::vector<LegendItem>& items, double width) {
  const auto slots = legend_slots(items, width);
  return slots.empty() ? 0 : slots.back().second + 1;
}

std::string legend(const std::vector<LegendItem>& items, double left, double top, double width) {
  std::string out;
  const auto slots = legend_slots(items, width);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const LegendItem& item = items[i];
    const double x = left + slots[i].first, y = top + slots[i].second * kRowH;
    const std::string color = html::escape(item.color);
    if (item.line)
      out += line(x, y - 4, x + 26, y - 4,
                  fmt::format("stroke=\"{}\" stroke-width=\"2\"{}", color,
                              item.dashed ? " stroke-dasharray=\"6 4\"" : ""));
    if (item.markers)
      out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{}\"/>\n", num(x + 13),
                         num(y - 4), color);
    out += text(x + 32, y, item.name);
  }
  return out;
}

std::string band(const Series& s, const std::string& color, const Scale& sx, const Scale& sy) {
  std::string upper, lower;
  for (const auto& p : s.points) {
    if (!drawable(p.x, sx.log) || !drawable(p.y_lo, sy.log) || !drawable(p.y_hi, sy.log)) continue;
    upper += fmt::format("{},{} ", num(sx(p.x)), num(sy(p.y_hi)));
    lower.insert(0, fmt::format("{},{} ", num(sx(p.x)), num(sy(p.y_lo))));
  }
  if (upper.empty()) return "";
  return fmt::format(
      "<polygon points=\"{}{}\" fill=\"{}\" fill-opacity=\"0.18\" stroke=\"none\"/>\n", upper,
      lower, html::escape(color));
}

// The line as polylines, broken wherever a point cannot be drawn.
std::string polylines(const Series& s, const std::string& color, const Scale& sx, const Scale& sy) {
  std::string out, points;
  std::size_t count = 0;
  auto flush = [&] {
    if (count >= 2)
      out += fmt::format(
          "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" "
          "stroke-linejoin=\"round\"{}/>\n",
          points, html::escape(color), s.dashed ? " stroke-dasharray=\"6 4\"" : "");
    points.clear();
    count = 0;
  };
  for (const auto& p : s.points) {
    if (!drawable(p.x, sx.log) || !drawable(p.y, sy.log)) {
      flush();
      continue;
    }
    points += fmt::format("{},{} ", num(sx(p.x)), num(sy(p.y)));
    ++count;
  }
  flush();
  return out;
}

std::string points(const Series& s, const std::string& color, const Scale& sx, const Scale& sy) {
  std::string out;
  const std::string c = html::escape(color);
  for (const auto& p : s.points) {
    if (!drawable(p.x, sx.log)) continue;
    const double x = sx(p.x);
    if (!s.band && drawable(p.y_lo, sy.log) && drawable(p.y_hi, sy.log)) {
      const double lo = sy(p.y_lo), hi = sy(p.y_hi);
      const std::string attrs = fmt::format("stroke=\"{}\" stroke-width=\"1.5\"", c);
      out += line(x, lo, x, hi, attrs) + line(x - 4, lo, x + 4, lo, attrs) +
             line(x - 4, hi, x + 4, hi, attrs);
    }
    if (!drawable(p.y, sy.log)) continue;
    const double y = sy(p.y);
    if (s.markers)
      out += fmt::format(
          "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{}\" stroke=\"#fff\" "
          "stroke-width=\"1\"/>\n",
          num(x), num(y), c);
  }
  return out;
}

// The box a text of `size` px occupies when drawn at (x, y) with the given anchor: baseline at
// y, about 0.8 em above it and 0.25 em below.
struct Box {
  double left, top, right, bottom;
  bool overlaps(const Box& o) const {
    return left < o.right && o.left < right && top < o.bottom && o.top < bottom;
  }
};

Box text_box(double x, double y, std::string_view label, double size, bool start) {
  const double w = text_width(label, size);
  return start ? Box{x, y - 0.8 * size, x + w, y + 0.25 * size}
               : Box{x - w, y - 0.8 * size, x, y + 0.25 * size};
}

// A text beside (x, y), with a white halo so that it reads over lines and gridlines. It takes
// the first place, right then left of the point, above then below and then further out, that
// stays on the chart and overlaps no label already placed (`taken`), so that labels of nearby
// points (two local models at the same cost) do not print over each other.
std::string annotation(double x, double y, std::string_view label, const Frame& f, double size,
                       std::string_view attrs, std::vector<Box>& taken) {
  const double step = size + 3;
  std::optional<std::pair<Box, bool>> chosen;
  for (int ring = 0; ring < 6 && !chosen; ++ring) {
    for (double dy : {-8 - ring * step, 8 + size * 0.8 + ring * step}) {
      for (bool start : {true, false}) {
        const Box b = text_box(start ? x + 8 : x - 8, y + dy, label, size, start);
        if (b.left < 2 || b.right > f.width - 2 || b.top < 2 || b.bottom > f.height) continue;
        if (std::any_of(taken.begin(), taken.end(), [&](const Box& t) { return t.overlaps(b); }))
          continue;
        chosen = std::pair{b, start};
        break;
      }
      if (chosen) break;
    }
  }
  // Nowhere free: the default place, right and above (or left near the right edge).
  if (!chosen) {
    const bool start = x + 8 + text_width(label, size) <= f.width - 4;
    chosen = std::pair{text_box(start ? x + 8 : x - 8, y - 8, label, size, start), start};
  }
  const auto& [box, start] = *chosen;
  taken.push_back(box);
  return text(start ? box.left : box.right, box.top + 0.8 * size, label,
              fmt::format("text-anchor=\"{}\" stroke=\"#fff\" stroke-width=\"3\" "
                          "paint-order=\"stroke\" font-size=\"{}\" {}",
                          start ? "start" : "end", num(size), attrs));
}

// Point labels are drawn outside the clip so that a label near the edge is not cut off, hence
// only for points inside the shown range.
std::string point_labels(const std::vector<Series>& series, const Scale& sx, const Scale& sy,
                         const Frame& f, std::vector<Box>& taken) {
  std::string out;
  for (const auto& s : series)
    for (const auto& p : s.points)
      if (!p.label.empty() && sx.shows(p.x) && sy.shows(p.y))
        out += annotation(sx(p.x), sy(p.y), p.label, f, 11, "fill=\"#333\"", taken);
  return out;
}

// Markers with the same label at the same place (two pairs breaking even at one volume) are
// drawn once.
std::string chart_markers(const std::vector<Marker>& markers, const Scale& sx, const Scale& sy,
                          const Frame& f, std::vector<Box>& taken) {
  std::string out;
  // Every marker's dot is taken before any label is placed: a label had been drawn over the
  // dot of a marker placed after it.
  for (const Marker& m : markers)
    if (sx.shows(m.x) && sy.shows(m.y))
      taken.push_back(Box{sx(m.x) - 6, sy(m.y) - 6, sx(m.x) + 6, sy(m.y) + 6});
  for (std::size_t i = 0; i < markers.size(); ++i) {
    const Marker& m = markers[i];
    if (!sx.shows(m.x) || !sy.shows(m.y)) continue;
    const double x = sx(m.x), y = sy(m.y);
    bool repeated = std::any_of(markers.begin(), markers.begin() + i, [&](const Marker& o) {
      return o.label == m.label && std::abs(sx(o.x) - x) < 1 && std::abs(sy(o.y) - y) < 1;
    });
    if (repeated) continue;
    const std::string guide = "stroke=\"#555\" stroke-dasharray=\"2 3\"";
    out += line(x, y, x, f.bottom, guide) + line(f.left, y, x, y, guide);
    out += fmt::format(
        "<circle cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"#222\" stroke=\"#fff\" "
        "stroke-width=\"1.5\"/>\n",
        num(x), num(y));
    out += annotation(x, y, m.label, f, kFont, "font-weight=\"600\"", taken);
  }
  return out;
}

std::vector<double> series_values(const std::vector<Series>& series,
                                  const std::vector<Marker>& markers, bool x) {
  std::vector<double> v;
  for (const auto& s : series)
    for (const auto& p : s.points) {
      if (x) {
        v.push_back(p.x);
      } else {
        v.insert(v.end(), {p.y, p.y_lo, p.y_hi});
      }
    }
  for (const auto& m : markers) v.push_back(x ? m.x : m.y);
  return v;
}

// ---- horizontal bar layouts (tornado, bar) --------------------------------------------------

// Frame for one row per bar: labels on the left, the value axis at the bottom.
Frame bar_frame(const ChartOptions& o, const std::vector<std::string>& labels, int legend_lines,
                double right_pad, double top_pad) {
  Frame f;
  f.width = o.width;
  double label_w = 0;
  for (const auto& l : labels) label_w = std::max(label_w, text_width(l));
  f.left = std::min(16 + label_w, f.width * 0.45);
  f.right = f.width - right_pad;
  f.top = (o.title.empty() ? 16 : 40) + top_pad;
  const double below =
      24 + (o.x.title.empty() ? 0 : 20) + legend_lines * kRowH + (o.note.empty() ? 0 : kRowH) + 8;
  const double rows = static_cast<double>(std::max<std::size_t>(labels.size(), 1));
  f.height = std::max<double>(o.height, f.top + rows * 24 + below);
  f.bottom = f.height - below;
  return f;
}

double row_centre(const Frame& f, std::size_t i, std::size_t n) {
  const double row = (f.bottom - f.top) / static_cast<double>(std::max<std::size_t>(n, 1));
  return f.top + row * (static_cast<double>(i) + 0.5);
}

double bar_thickness(const Frame& f, std::size_t n) {
  const double row = (f.bottom - f.top) / static_cast<double>(std::max<std::size_t>(n, 1));
  return std::clamp(row * 0.6, 4.0, 28.0);
}

std::string rect(double x0, double x1, double y, double h, const std::string& color) {
  return fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>\n",
                     num(std::min(x0, x1)), num(y - h / 2), num(std::abs(x1 - x0)), num(h), color);
}

// A value's text just outside the end of its bar, on the side away from `from`.
std::string end_text(double x_end, double x_from, double y, std::string_view content) {
  const bool right = x_end >= x_from;
  return text(right ? x_end + 4 : x_end - 4, y + 4, content,
              fmt::format("text-anchor=\"{}\" fill=\"#222\"", right ? "start" : "end"));
}

std::string row_label(const Frame& f, double y, std::string_view label) {
  return text(f.left - 8, y + 4, label, "text-anchor=\"end\"");
}

}  // namespace

std::vector<double> axis_ticks(double lo, double hi, bool log) {
  std::vector<double> ticks;
  if (!std::isfinite(lo) || !std::isfinite(hi) || hi <= lo || (log && lo <= 0)) return ticks;
  if (!log) {
    const double step = linear_step(lo, hi);
    const double first = std::ceil(lo / step - 1e-9);
    for (double k = first; k * step <= hi + step * 1e-9 && ticks.size() < 50; ++k)
      ticks.push_back(std::abs(k) < 1e-9 ? 0.0 : k * step);
    return ticks;
  }
  const int e_lo = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  const int e_hi = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  const bool with_2_5 = hi / lo <= 1000 * (1 + 1e-9);
  const int decade_step = std::max(1, (e_hi - e_lo + 7) / 8);  // at most ~8 decade ticks
  for (int e = e_lo; e <= e_hi; ++e) {
    for (double m : {1.0, 2.0, 5.0}) {
      if (m != 1 && !with_2_5) continue;
      if (m == 1 && !with_2_5 && (e - e_lo) % decade_step != 0) continue;
      const double v = m * std::pow(10.0, e);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push_back(v);
    }
  }
  if (ticks.size() < 2) ticks = {lo, hi};  // a caller-fixed range narrower than 1-2-5 steps
  return ticks;
}

std::string format_tick(const Axis& axis, double value) {
  const std::string body = format_value(axis.tick_format, std::abs(value));
  const bool negative = value < 0 && body.find_first_not_of("0.") != std::string::npos;
  return (negative ? "-" : "") + axis.prefix + body + axis.suffix;
}

std::string line_chart(const ChartOptions& o, const std::vector<Series>& series) {
  Scale sx = make_scale(o.x, series_values(series, o.markers, true));
  Scale sy = make_scale(o.y, series_values(series, o.markers, false));
  std::vector<LegendItem> items;
  for (std::size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    if (!s.name.empty())
      items.push_back({s.name, color_of(s.color, i), s.dashed, s.line, s.markers || !s.line});
  }
  Frame f;
  f.width = o.width;
  f.height = o.height;
  f.left = 14 + max_tick_width(o.y, sy) + (o.y.title.empty() ? 0 : 22);
  f.right = f.width - 24;
  f.top = o.title.empty() ? 16 : 44;
  const int rows = legend_rows(items, f.right - f.left);
  const double below = 26 + (o.x.title.empty() ? 0 : 20) + (rows > 0 ? 8 + rows * kRowH : 0) +
                       (o.note.empty() ? 0 : kRowH);
  f.bottom = std::max(f.top + 40, f.height - below);
  f.height = f.bottom + below;
  sx.px_lo = f.left, sx.px_hi = f.right;
  sy.px_lo = f.bottom, sy.px_hi = f.top;

  std::string out = open_svg(o, f) + y_axis(o.y, sy, f) + x_axis(o.x, sx, f) + clip_group();
  for (std::size_t i = 0; i < series.size(); ++i)
    if (series[i].band) out += band(series[i], color_of(series[i].color, i), sx, sy);
  for (std::size_t i = 0; i < series.size(); ++i)
    if (series[i].line) out += polylines(series[i], color_of(series[i].color, i), sx, sy);
  for (std::size_t i = 0; i < series.size(); ++i)
    out += points(series[i], color_of(series[i].color, i), sx, sy);
  std::vector<Box> taken;
  out += "</g>\n" + chart_markers(o.markers, sx, sy, f, taken);
  out += point_labels(series, sx, sy, f, taken);
  const double legend_top = f.bottom + 26 + (o.x.title.empty() ? 0 : 20) + 8 + 12;
  out += legend(items, f.left, legend_top, f.right - f.left) + note(o, f);
  return close_svg(std::move(out));
}

std::string tornado_chart(const ChartOptions& o, double base_value,
                          const std::vector<TornadoBar>& input) {
  std::vector<TornadoBar> bars;
  for (const auto& b : input)
    if (std::isfinite(b.low_value) && std::isfinite(b.high_value)) bars.push_back(b);
  std::stable_sort(bars.begin(), bars.end(), [](const TornadoBar& a, const TornadoBar& b) {
    return std::abs(a.high_value - a.low_value) > std::abs(b.high_value - b.low_value);
  });
  std::vector<std::string> labels;
  std::vector<double> values{base_value};
  for (const auto& b : bars) {
    labels.push_back(b.label);
    values.insert(values.end(), {b.low_value, b.high_value});
  }
  Axis axis = o.x;
  axis.log = false;  // bars grow from the base value; a log axis would distort the swing
  Scale sx = make_scale(axis, values);
  const std::vector<LegendItem> key = {
      {"assumption at its low end", std::string(kPalette[0]), false, false, true},
      {"assumption at its high end", std::string(kPalette[1]), false, false, true}};
  // The legend's rows at this frame's width: two on a narrow chart, where one had been
  // reserved and the note printed over the second.
  Frame f = bar_frame(o, labels, 1, 90, 16);  // top: room for the base label
  if (const int rows = legend_rows(key, f.right - f.left); rows > 1)
    f = bar_frame(o, labels, rows, 90, 16);
  sx.px_lo = f.left + 70, sx.px_hi = f.right;  // room for texts left of the lowest bar

  const std::string low_color(kPalette[0]), high_color(kPalette[1]);
  std::string out = open_svg(o, f) + x_axis(axis, sx, f);
  const double base_x = std::isfinite(base_value) ? sx(base_value) : sx.px_lo;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const TornadoBar& b = bars[i];
    const double y = row_centre(f, i, bars.size()), h = bar_thickness(f, bars.size());
    const double x_low = sx(b.low_value), x_high = sx(b.high_value);
    out += row_label(f, y, b.label);
    // Both ends on one side of the base: draw the longer first so the shorter stays visible.
    if (std::abs(x_low - base_x) >= std::abs(x_high - base_x)) {
      out += rect(base_x, x_low, y, h, low_color) + rect(base_x, x_high, y, h, high_color);
    } else {
      out += rect(base_x, x_high, y, h, high_color) + rect(base_x, x_low, y, h, low_color);
    }
    const std::string low_text = b.low_text.empty() ? format_tick(axis, b.low_value) : b.low_text;
    const std::string high_text =
        b.high_text.empty() ? format_tick(axis, b.high_value) : b.high_text;
    out += end_text(x_low, base_x, y, low_text);
    // A bar of no width (the input moves nothing): one text, not two drawn over each other.
    if (std::abs(x_high - x_low) >= 1 || high_text != low_text)
      out += end_text(x_high, base_x, y, high_text);
  }
  out += line(base_x, f.top - 6, base_x, f.bottom, "stroke=\"#222\" stroke-width=\"1.5\"");
  const std::string base_text = axis.tick_format == "{:g}"
                                    ? (base_value < 0 ? "-" : "") + axis.prefix +
                                          short_number(std::abs(base_value), 3) + axis.suffix
                                    : format_tick(axis, base_value);
  out += text(base_x, f.top - 10, "base " + base_text,
              "text-anchor=\"middle\" font-size=\"11\" fill=\"#222\"");
  const double legend_top = f.bottom + 24 + (axis.title.empty() ? 0 : 20) + 12;
  out += legend(key, f.left, legend_top, f.right - f.left);
  return close_svg(out + note(o, f));
}

std::string bar_chart(const ChartOptions& o, const std::vector<Bar>& bars) {
  std::vector<std::string> labels;
  std::vector<double> values{0.0};
  for (const auto& b : bars) {
    labels.push_back(b.label);
    values.push_back(b.value);
  }
  Axis axis = o.x;
  axis.log = false;  // bars start at zero, which a log axis cannot show
  Scale sx = make_scale(axis, values);
  const Frame f = bar_frame(o, labels, 0, 80, 0);
  const bool any_negative = sx.lo < 0;  // negative bars end in a text left of them
  sx.px_lo = f.left + (any_negative ? 70 : 0), sx.px_hi = f.right;

  std::string out = open_svg(o, f) + x_axis(axis, sx, f);
  const double zero_x = sx(std::clamp(0.0, sx.lo, sx.hi));
  const std::string color(kPalette[0]);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double y = row_centre(f, i, bars.size()), h = bar_thickness(f, bars.size());
    out += row_label(f, y, b.label);
    if (!std::isfinite(b.value)) {
      out += end_text(zero_x, zero_x - 1, y, b.text.empty() ? "n/a" : b.text);
      continue;
    }
    const double x = sx(std::clamp(b.value, sx.lo, sx.hi));
    out += rect(zero_x, x, y, h, color);
    out += end_text(x, zero_x, y, b.text.empty() ? format_tick(axis, b.value) : b.text);
  }
  out += line(zero_x, f.top, zero_x, f.bottom, "stroke=\"#333\"");
  return close_svg(out + note(o, f));
}

}  // namespace tunecase::svg
