#include "tunecase/report/svg_chart.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tunecase::svg {
namespace {

// A minimal XML well-formedness check: every tag closes in order, attribute values are quoted,
// and text never holds a raw '<' or an '&' that does not start an entity. Returns "" when the
// document is well-formed, otherwise what is wrong and where.
std::string xml_problem(const std::string& doc) {
  static const std::regex entity("^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);");
  std::vector<std::string> open;
  std::size_t i = 0;
  auto bad_amp = [&](std::size_t at) { return !std::regex_search(doc.substr(at, 12), entity); };
  while (i < doc.size()) {
    if (doc[i] == '&' && bad_amp(i)) return "bare & at " + std::to_string(i);
    if (doc[i] != '<') {
      ++i;
      continue;
    }
    if (doc.compare(i, 4, "<!--") == 0) {
      i = doc.find("-->", i);
      if (i == std::string::npos) return "unclosed comment";
      i += 3;
      continue;
    }
    const bool closing = doc.compare(i, 2, "</") == 0;
    std::size_t j = i + (closing ? 2 : 1);
    const std::size_t name_start = j;
    while (j < doc.size() &&
           (std::isalnum(static_cast<unsigned char>(doc[j])) || doc[j] == '-' || doc[j] == ':'))
      ++j;
    const std::string name = doc.substr(name_start, j - name_start);
    if (name.empty()) return "raw < at " + std::to_string(i);
    // Attributes: name="value" pairs up to > or />.
    while (j < doc.size() && doc[j] != '>' && doc.compare(j, 2, "/>") != 0) {
      if (std::isspace(static_cast<unsigned char>(doc[j]))) {
        ++j;
        continue;
      }
      const std::size_t eq = doc.find('=', j);
      if (eq == std::string::npos || doc[eq + 1] != '"')
        return "unquoted attribute in <" + name + ">";
      const std::size_t end = doc.find('"', eq + 2);
      if (end == std::string::npos) return "unterminated attribute in <" + name + ">";
      for (std::size_t k = eq + 2; k < end; ++k) {
        if (doc[k] == '<') return "raw < in attribute of <" + name + ">";
        if (doc[k] == '&' && bad_amp(k)) return "bare & in attribute of <" + name + ">";
      }
      j = end + 1;
    }
    if (j >= doc.size()) return "unterminated tag <" + name + ">";
    if (closing) {
      if (open.empty() || open.back() != name) return "</" + name + "> does not match";
      open.pop_back();
    } else if (doc[j] == '>') {
      open.push_back(name);
    }
    i = j + (doc[j] == '>' ? 1 : 2);
  }
  return open.empty() ? "" : "<" + open.back() + "> never closed";
}

bool is_one_two_five(double v) {
  const double mantissa = v / std::pow(10.0, std::floor(std::log10(v) + 1e-9));
  return std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 ||
         std::abs(mantissa - 5) < 1e-9;
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

// Designated initialisers would be shorter, but g++ 12 warns (-Wmissing-field-initializers)
// on every field they leave out.
Point pt(double x, double y, double lo = NAN, double hi = NAN, std::string label = "") {
  Point p;
  p.x = x, p.y = y, p.y_lo = lo, p.y_hi = hi, p.label = std::move(label);
  return p;
}

Series named(std::string name, std::vector<Point> points = {}) {
  Series s;
  s.name = std::move(name);
  s.points = std::move(points);
  return s;
}

ChartOptions learning_curve_options() {
  ChartOptions o;
  o.title = "Accuracy vs number of labels";
  o.x.title = "labelled examples";
  o.x.log = true;
  o.y.title = "test accuracy";
  o.y.tick_format = "{:.0f}";
  o.y.suffix = "%";
  o.note = "simulated";
  o.markers = {{800, 88, "matches the API"}};
  return o;
}

std::vector<Series> learning_curves() {
  Series linear = named("local linear");
  linear.band = true;
  Series api = named("gpt-4o zero-shot");
  api.line = false;
  api.dashed = true;
  for (double n : {100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0}) {
    const double acc = 60 + 10 * std::log2(n / 100);
    linear.points.push_back(pt(n, acc, acc - 4, acc + 3));
  }
  api.points.push_back(pt(3200, 88, 85, 90, "API"));
  return {linear, api};
}

TEST(SvgLineChart, IsWellFormedXml) {
  const std::string svg = line_chart(learning_curve_options(), learning_curves());
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(svg.find("<polygon"), std::string::npos) << "the band is drawn";
  EXPECT_NE(svg.find("<polyline"), std::string::npos) << "the line is drawn";
}

TEST(SvgLineChart, NamesEverySeriesAxisMarkerAndNote) {
  const std::string svg = line_chart(learning_curve_options(), learning_curves());
  for (const char* text : {"local linear", "gpt-4o zero-shot", "labelled examples", "test accuracy",
                           "matches the API", "simulated", "Accuracy vs number of labels", "API"})
    EXPECT_NE(svg.find(text), std::string::npos) << text;
  EXPECT_NE(svg.find(">80%<"), std::string::npos) << "y ticks carry format and suffix";
}

TEST(SvgLineChart, IsSelfContained) {
  const std::string svg = line_chart(learning_curve_options(), learning_curves());
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(count(svg, "http"), 1u) << "only the xmlns namespace";
  EXPECT_EQ(svg.find("href"), std::string::npos);
}

TEST(SvgLineChart, EscapesEveryText) {
  ChartOptions o;
  o.title = "R&D <costs>";
  o.x.title = "x < 5 & y";
  o.y.prefix = "<$>";
  o.note = "\"quoted\" & 'single'";
  o.markers = {{1, 1, "<break-even>"}};
  Series s = named("<script>alert(1)</script>", {pt(0, 0, NAN, NAN, "a&b"), pt(2, 2)});
  s.color = "red\"/><script>";
  const std::string svg = line_chart(o, {s});
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("<costs>"), std::string::npos);
  EXPECT_NE(svg.find("R&amp;D &lt;costs&gt;"), std::string::npos);
  EXPECT_NE(svg.find("a&amp;b"), std::string::npos);
  EXPECT_NE(svg.find("&lt;break-even&gt;"), std::string::npos);
}

TEST(SvgLineChart, NaNEmptyAndNonPositiveOnLogAxisDoNotCrash) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  ChartOptions log_axes;
  log_axes.x.log = log_axes.y.log = true;
  ChartOptions reversed;
  reversed.y.min = 10;
  reversed.y.max = 0;
  const Series odd = named("odd", {pt(nan, 1), pt(0, -3), pt(1, inf), pt(2, 5), pt(3, 4, nan, 6)});
  const std::vector<std::vector<Series>> inputs = {
      {}, {named("empty")}, {odd}, {named("one", {pt(3, 3)})}};
  for (const ChartOptions& o : {ChartOptions{}, log_axes, reversed}) {
    for (const auto& series : inputs) {
      const std::string svg = line_chart(o, series);
      EXPECT_EQ(xml_problem(svg), "");
      EXPECT_EQ(svg.find("nan"), std::string::npos);
      EXPECT_EQ(svg.find("inf"), std::string::npos);
    }
  }
}

TEST(SvgLineChart, LabelsOutsideAFixedRangeAreNotDrawn) {
  ChartOptions o;
  o.y.max = 10;
  o.markers = {{1, 50, "off the chart"}, {1, 5, "on the chart"}};
  const std::string svg =
      line_chart(o, {named("s", {pt(0, 1, NAN, NAN, "inside"), pt(2, 40, NAN, NAN, "outside")})});
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_NE(svg.find(">inside<"), std::string::npos);
  EXPECT_NE(svg.find(">on the chart<"), std::string::npos);
  EXPECT_EQ(svg.find("outside"), std::string::npos);
  EXPECT_EQ(svg.find("off the chart"), std::string::npos);
}

TEST(SvgLineChart, LabelAtTheRightEdgeGrowsLeftward) {
  const std::string svg = line_chart({}, {named("s", {pt(0, 0), pt(10, 10, NAN, NAN, "last")})});
  const auto at = svg.find(">last<");
  ASSERT_NE(at, std::string::npos);
  const auto tag = svg.rfind("<text", at);
  EXPECT_NE(svg.substr(tag, at - tag).find("text-anchor=\"end\""), std::string::npos);
}

// The <text ...> element whose content is exactly `label`.
std::string text_tag(const std::string& svg, const std::string& label) {
  const auto at = svg.find(">" + label + "<");
  if (at == std::string::npos) return "";
  const auto tag = svg.rfind("<text", at);
  return svg.substr(tag, at - tag);
}

double attr(const std::string& tag, const std::string& name) {
  const auto at = tag.find(" " + name + "=\"");
  return at == std::string::npos ? NAN : std::stod(tag.substr(at + name.size() + 3));
}

TEST(SvgLineChart, LabelsOfNearbyPointsDoNotOverlap) {
  // Two local models at the same cost and almost the same accuracy.
  const std::string svg = line_chart(
      {}, {named("a", {pt(1372, 86.1, NAN, NAN, "local-linear")}),
           named("b", {pt(1372, 85.3, NAN, NAN, "local-fasttext")}), named("c", {pt(36, 25.7)})});
  const std::string a = text_tag(svg, "local-linear"), b = text_tag(svg, "local-fasttext");
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  const bool same_side =
      (a.find("\"start\"") == std::string::npos) == (b.find("\"start\"") == std::string::npos);
  // On the same side, their baselines are at least one line (11 px) apart.
  if (same_side) {
    EXPECT_GE(std::abs(attr(a, "y") - attr(b, "y")), 11) << a << "\n" << b;
  }
}

// A marker's label is not drawn over the dot of a marker placed after it (break-even points of
// several pairs close together on the memo's cost-volume chart).
TEST(SvgLineChart, AMarkersLabelKeepsClearOfTheOtherMarkersDots) {
  ChartOptions o;
  o.markers = {{5, 5, "1,411,655"}, {5.55, 5.17, "2,251,228"}, {5.2, 5.4, "1,125,614"}};
  const std::string svg = line_chart(o, {named("s", {pt(0, 0), pt(10, 10)})});
  std::vector<std::pair<double, double>> dots;
  for (auto at = svg.find("<circle"); at != std::string::npos; at = svg.find("<circle", at + 1)) {
    const std::string tag = svg.substr(at, svg.find('>', at) - at);
    if (tag.find("r=\"5\"") != std::string::npos)
      dots.emplace_back(attr(tag, "cx"), attr(tag, "cy"));
  }
  ASSERT_EQ(dots.size(), 3u);
  for (const char* label : {"1,411,655", "2,251,228", "1,125,614"}) {
    const std::string tag = text_tag(svg, label);
    ASSERT_FALSE(tag.empty()) << label;
    const bool start = tag.find("\"start\"") != std::string::npos;
    const double x = attr(tag, "x"), y = attr(tag, "y"), width = 7.0 * std::strlen(label);
    const double left = start ? x : x - width, right = start ? x + width : x;
    for (const auto& [cx, cy] : dots) {
      const bool covers = cx + 5 > left && cx - 5 < right && cy + 5 > y - 10 && cy - 5 < y + 3;
      EXPECT_FALSE(covers) << label << " at " << x << "," << y << " over the dot at " << cx << ","
                           << cy;
    }
  }
}

TEST(SvgLineChart, RepeatedMarkerIsDrawnOnce) {
  ChartOptions o;
  o.markers = {{5, 5, "12,266,667"}, {5, 5, "12,266,667"}};
  const std::string svg = line_chart(o, {named("s", {pt(0, 0), pt(10, 10)})});
  size_t n = 0;
  for (auto at = svg.find(">12,266,667<"); at != std::string::npos;
       at = svg.find(">12,266,667<", at + 1))
    ++n;
  EXPECT_EQ(n, 1u);
}

TEST(SvgLineChart, FirstXTickLabelStartsAtTheAxisClearOfTheYLabels) {
  ChartOptions o;
  o.x.prefix = "$";
  const std::string svg = line_chart(o, {named("s", {pt(0, 20), pt(1000, 90)})});
  EXPECT_NE(text_tag(svg, "$0").find("text-anchor=\"start\""), std::string::npos);
}

TEST(SvgLineChart, LogAxisLabelsAreRoundAndShort) {
  ChartOptions o;
  o.x.log = true;
  const std::string svg = line_chart(o, {named("cost", {pt(120, 1), pt(90000, 2)})});
  for (const char* label : {">100<", ">1000<", ">10k<", ">100k<"})
    EXPECT_NE(svg.find(label), std::string::npos) << label;
  EXPECT_EQ(svg.find("e+0"), std::string::npos);
}

TEST(SvgLineChart, SameInputSameBytesAndDistinctIdsForDistinctCharts) {
  const auto a = line_chart(learning_curve_options(), learning_curves());
  EXPECT_EQ(a, line_chart(learning_curve_options(), learning_curves()));
  ChartOptions other = learning_curve_options();
  other.title = "Another chart";
  const auto b = line_chart(other, learning_curves());
  const std::regex id("clipPath id=\"([^\"]+)\"");
  std::smatch ma, mb;
  ASSERT_TRUE(std::regex_search(a, ma, id));
  ASSERT_TRUE(std::regex_search(b, mb, id));
  EXPECT_NE(ma[1].str(), mb[1].str());
  EXPECT_NE(a.find("url(#" + ma[1].str() + ")"), std::string::npos);
}

TEST(AxisTicks, LogTicksArePowersOfTenOrOneTwoFive) {
  for (auto [lo, hi] : std::vector<std::pair<double, double>>{
           {1, 10}, {0.01, 1}, {20, 5000}, {100, 1e5}, {1e-3, 1e9}, {0.7, 3}}) {
    const auto ticks = axis_ticks(lo, hi, true);
    ASSERT_GE(ticks.size(), 2u) << lo << ".." << hi;
    for (double t : ticks) {
      EXPECT_GE(t, lo * (1 - 1e-9));
      EXPECT_LE(t, hi * (1 + 1e-9));
      EXPECT_TRUE(is_one_two_five(t)) << t;
    }
  }
}

TEST(AxisTicks, FixedRangeNarrowerThanOneTwoFiveStepsShowsItsEnds) {
  EXPECT_EQ(axis_ticks(3, 7, true), (std::vector<double>{3, 7}));
}

TEST(AxisTicks, WideLogRangeShowsOnlyPowersOfTen) {
  const auto ticks = axis_ticks(1, 1e6, true);
  ASSERT_FALSE(ticks.empty());
  for (double t : ticks) EXPECT_NEAR(std::log10(t), std::round(std::log10(t)), 1e-9) << t;
  EXPECT_EQ(axis_ticks(1, 100, true), (std::vector<double>{1, 2, 5, 10, 20, 50, 100}));
}

TEST(AxisTicks, LinearTicksAreEvenOneTwoFiveSteps) {
  EXPECT_EQ(axis_ticks(0, 1, false),
            (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}));
  const auto ticks = axis_ticks(-35, 120, false);
  ASSERT_GE(ticks.size(), 3u);
  const double step = ticks[1] - ticks[0];
  EXPECT_TRUE(is_one_two_five(step)) << step;
  EXPECT_NE(std::find(ticks.begin(), ticks.end(), 0.0), ticks.end()) << "zero is a tick";
}

TEST(AxisTicks, DegenerateRangesGiveNoTicks) {
  EXPECT_TRUE(axis_ticks(1, 1, false).empty());
  EXPECT_TRUE(axis_ticks(0, 10, true).empty());
  EXPECT_TRUE(axis_ticks(std::nan(""), 1, false).empty());
}

TEST(FormatTick, AppliesFormatPrefixAndSuffix) {
  Axis money;
  money.tick_format = "{:.0f}";
  money.prefix = "$";
  EXPECT_EQ(format_tick(money, 1200), "$1200");
  EXPECT_EQ(format_tick(money, -5), "-$5");
  EXPECT_EQ(format_tick(money, -0.2), "$0");
  Axis pct;
  pct.suffix = "%";
  EXPECT_EQ(format_tick(pct, 12.5), "12.5%");
  EXPECT_EQ(format_tick(Axis{}, 2500000), "2.5M");
  EXPECT_EQ(format_tick(Axis{}, 20000), "20k");
  EXPECT_EQ(format_tick(Axis{}, 3e9), "3B");
  EXPECT_EQ(format_tick(Axis{}, 0.05), "0.05");
}

TEST(FormatTick, BadFormatStringFallsBackInsteadOfThrowing) {
  Axis axis;
  axis.tick_format = "{:q}";
  EXPECT_EQ(format_tick(axis, 1.5), "1.5");
}

TEST(SvgTornadoChart, SortsBarsByWidestSwingFirst) {
  ChartOptions o;
  o.title = "Net benefit sensitivity";
  o.x.title = "net benefit per year";
  o.x.tick_format = "{:.0f}";
  o.x.prefix = "$";
  const std::string svg = tornado_chart(o, 50000,
                                        {{"volume", 40000, 70000, "", ""},
                                         {"cost of an error", 10000, 90000, "$10k", "$90k"},
                                         {"engineering weeks", 45000, 52000, "", ""}});
  EXPECT_EQ(xml_problem(svg), "");
  const auto error_at = svg.find(">cost of an error<");
  const auto volume_at = svg.find(">volume<");
  const auto weeks_at = svg.find(">engineering weeks<");
  ASSERT_NE(weeks_at, std::string::npos);
  EXPECT_LT(error_at, volume_at);
  EXPECT_LT(volume_at, weeks_at);
  EXPECT_NE(svg.find(">$90k<"), std::string::npos);
  EXPECT_NE(svg.find(">$70000<"), std::string::npos) << "empty text gets the formatted value";
  EXPECT_NE(svg.find("base $50000"), std::string::npos);
}

// The base is a value, not a round tick: read at three digits ("$1.95404M" before), and a bar
// of no width gets one text, not two drawn over each other.
TEST(SvgTornadoChart, TheBaseIsRoundedAndAZeroWidthBarHasOneText) {
  ChartOptions o;
  o.x.tick_format = "{:g}";
  o.x.prefix = "$";
  const std::string svg =
      tornado_chart(o, 1954040,
                    {{"volume", 1000000, 2900000, "", ""},
                     {"engineering weeks", 1954040, 1954040, "$1.95M", "$1.95M"}});
  EXPECT_NE(svg.find("base $1.95M"), std::string::npos) << svg;
  // Between 1,000 and 10,000 the base is whole, not "$4.93e+03".
  EXPECT_NE(tornado_chart(o, 4934.4, {{"volume", 4000, 6000, "", ""}}).find("base $4934"),
            std::string::npos);
  // Trillions get their own unit, and beyond a thousand of them the figure is whole (it had
  // read "$5.32e+03B").
  EXPECT_NE(tornado_chart(o, 5.32e12, {{"volume", 4e12, 6e12, "", ""}}).find("base $5.32T"),
            std::string::npos);
  EXPECT_NE(tornado_chart(o, 5.32e15, {{"volume", 4e15, 6e15, "", ""}}).find("base $5320T"),
            std::string::npos);
  std::size_t first = svg.find(">$1.95M<");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(svg.find(">$1.95M<", first + 1), std::string::npos);
}

TEST(SvgTornadoChart, EmptyAndNaNBarsDoNotCrash) {
  EXPECT_EQ(xml_problem(tornado_chart({}, 0, {})), "");
  const std::string svg =
      tornado_chart({}, std::nan(""), {{"a<b", std::nan(""), 1, "", ""}, {"ok", -1, 2, "", ""}});
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(svg.find("a<b"), std::string::npos);
}

TEST(SvgBarChart, DrawsEveryBarWithLabelAndText) {
  ChartOptions o;
  o.title = "Cost per 1k queries";
  o.x.title = "USD";
  o.x.prefix = "$";
  const std::string svg = bar_chart(
      o,
      {{"gpt-4o", 2.5, "$2.50 (measured)"}, {"local linear", 0.01, ""}, {"refund <net>", -1, ""}});
  EXPECT_EQ(xml_problem(svg), "");
  for (const char* text : {">gpt-4o<", ">$2.50 (measured)<", ">local linear<", ">$0.01<",
                           "refund &lt;net&gt;", ">-$1<"})
    EXPECT_NE(svg.find(text), std::string::npos) << text;
  EXPECT_EQ(count(svg, "<rect"), 2u + 3u) << "background, clip rectangle and one per bar";
}

TEST(SvgBarChart, NaNValueIsShownAsNotAvailable) {
  const std::string svg = bar_chart({}, {{"unknown price", std::nan(""), ""}});
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_NE(svg.find(">n/a<"), std::string::npos);
  EXPECT_EQ(xml_problem(bar_chart({}, {})), "");
}

TEST(SvgBarChart, ManyBarsMakeTheChartTaller) {
  std::vector<Bar> bars;
  for (int i = 0; i < 40; ++i) bars.push_back({"label " + std::to_string(i), i * 1.0, ""});
  const std::string svg = bar_chart({}, bars);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, std::regex("height=\"([0-9.]+)\"")));
  EXPECT_GT(std::stod(m[1].str()), 40 * 20.0);
}

}  // namespace
}  // namespace tunecase::svg
