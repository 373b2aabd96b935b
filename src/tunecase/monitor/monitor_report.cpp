#include "tunecase/monitor/monitor_report.h"
#include "tunecase/core/number_format.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "tunecase/report/html.h"
#include "tunecase/report/markdown.h"
#include "tunecase/report/svg_chart.h"

namespace tunecase::monitor {
namespace {

std::string pct(const nlohmann::json& v) {
  return v.is_number() ? fmt::format("{:.1f}%", 100 * v.get<double>()) : "n/a";
}

std::string accuracy_cell(const nlohmann::json& day) {
  if (!day["accuracy"].is_number()) return "n/a";
  std::string s = fmt::format("{} [{}, {}]", pct(day["accuracy"]), pct(day["accuracy_ci95"][0]),
                              pct(day["accuracy_ci95"][1]));
  if (day.value("replaced_model", false)) return s + " (replaced model, not judged)";
  return day["counted"].get<bool>() ? s : s + " (too few)";
}

// Latencies of local models are fractions of a millisecond: two decimals below 1 ms, one
// below 10 ("0 ms" read as not measured).
std::string ms_cell(const nlohmann::json& v) {
  if (!v.is_number()) return "n/a";  // a day without requests
  double ms = v.get<double>();
  if (ms < 1) return fmt::format("{:.2f}", ms);
  if (ms < 10) return fmt::format("{:.1f}", ms);
  return fmt::format("{:.0f}", ms);
}

// An approach of the config that had no request in the window (a production gateway serves
// one of eight): listed by name, not with a page of zero rows.
bool had_requests(const nlohmann::json& approach) {
  return approach["requests"].get<int64_t>() > 0;
}

std::string unserved_line(const nlohmann::json& doc) {
  // An approach has an entry per arm it could serve: it is unserved when none of them had a
  // request (a pilot's challenger has an empty champion entry beside its served one).
  // Keyed on the approach, not the entry's display name ("local-linear (challenger)").
  auto approach_of = [](const nlohmann::json& a) {
    return a.value("approach", a["name"].get<std::string>());
  };
  std::set<std::string> served;
  for (const auto& a : doc["approaches"])
    if (had_requests(a)) served.insert(approach_of(a));
  std::vector<std::string> names;
  for (const auto& a : doc["approaches"]) {
    const std::string name = approach_of(a);
    if (!served.count(name) && std::find(names.begin(), names.end(), name) == names.end())
      names.push_back(name);
  }
  std::string out;
  if (!names.empty()) {
    // Today's traffic is not in the window of whole days: said, beside the "so far" lines that
    // show it (a gateway that had just served 100,000 requests read "No requests").
    // Only the approaches with traffic today are promised tomorrow's run (one no arm serves has
    // none coming).
    std::vector<std::string> today;
    if (doc.contains("today"))
      for (const auto& t : doc["today"]["approaches"])
        if (t.value("requests", int64_t{0}) > 0 &&
            std::find(names.begin(), names.end(), approach_of(t)) != names.end() &&
            std::find(today.begin(), today.end(), approach_of(t)) == today.end())
          today.push_back(approach_of(t));
    out = fmt::format(
        "No requests in the window ({} to {}, whole UTC days) for {} of the config's "
        "approaches: {}.{}",
        doc["window"]["first_date"].get<std::string>(),
        doc["window"]["last_date"].get<std::string>(), names.size(), fmt::join(names, ", "),
        today.empty() ? ""
                      : fmt::format(" Today's requests of {} come into it with tomorrow's run "
                                    "(the \"so far\" lines).",
                                    fmt::join(today, ", ")));
  }
  const auto others = doc.value("other_approaches", nlohmann::json::array());
  if (!others.empty()) {
    std::vector<std::string> listed;
    for (const auto& o : others) listed.push_back(o.get<std::string>());
    out += fmt::format(
        "{}The store holds traffic of approaches this config does not name ({}): written under "
        "another config, or renamed since; this report leaves them out. Check --config and "
        "--store.",
        out.empty() ? "" : " ", fmt::join(listed, ", "));
  }
  return out;
}

// A day's cost, or "n/a" when its requests carried no price (a local model).
std::string cost_cell(const nlohmann::json& usd) {
  if (!usd.is_number()) return "n/a";
  double v = usd.get<double>();
  // A few cents a day or less keeps two significant digits: "$0.00" read as free.
  return v > 0 && v < 0.01 ? "$" + significant_cents(v) : fmt::format("${:.2f}", v);
}

// The day's cost; with requests whose API reported no usage, the estimate and how many.
std::string day_cost_cell(const nlohmann::json& d) {
  if (!d.contains("cost_unknown")) return cost_cell(d["cost_usd"]);
  if (!d["cost_estimated_usd"].is_number())
    return fmt::format("unknown ({} without usage)", d["cost_unknown"].get<int64_t>());
  return fmt::format("{} (estimated: {} without usage)", cost_cell(d["cost_estimated_usd"]),
                     d["cost_unknown"].get<int64_t>());
}

std::vector<std::string> day_row(const nlohmann::json& d) {
  return {d["date"].get<std::string>(),
          fmt::format("{}", d["requests"].get<int64_t>()),
          fmt::format("{}", d["labelled"].get<int64_t>()),
          accuracy_cell(d),
          ms_cell(d["latency_p50_ms"]),
          ms_cell(d["latency_p95_ms"]),
          fmt::format("{} ({})", d["errors"].get<int64_t>(), pct(d["error_rate"])),
          day_cost_cell(d)};
}

const std::vector<std::string> kDayHeader = {"day",    "requests", "labelled", "accuracy [95% CI]",
                                             "p50 ms", "p95 ms",   "errors",   "$"};

// Recall with its interval and count, or "no labels".
std::string recall_cell(const nlohmann::json& r) {
  if (!r["recall"].is_number()) return "no labels";
  return fmt::format("{} [{}, {}] of {}", pct(r["recall"]), pct(r["recall_ci95"][0]),
                     pct(r["recall_ci95"][1]), r["labelled"].get<int64_t>());
}

const std::size_t kLabelRowsShown = 12;

// An approach's labels, worst recall of its last days first (labels without labels then last):
// which labels an accuracy alert is about. `cell` escapes a name for the table's format.
std::vector<std::vector<std::string>> label_rows(
    const nlohmann::json& a, const std::function<std::string(const std::string&)>& cell) {
  const nlohmann::json all = a.value("labels", nlohmann::json::array());
  std::vector<const nlohmann::json*> labels;
  for (const auto& l : all) labels.push_back(&l);
  auto recent = [](const nlohmann::json* l) {
    const auto& r = (*l)["recent"]["recall"];
    return r.is_number() ? r.get<double>() : 2.0;
  };
  std::stable_sort(labels.begin(), labels.end(),
                   [&](const auto* x, const auto* y) { return recent(x) < recent(y); });
  std::vector<std::vector<std::string>> rows;
  for (const auto* l : labels) {
    if (rows.size() == kLabelRowsShown) break;
    rows.push_back({cell((*l)["label"].get<std::string>()), recall_cell((*l)["recent"]),
                    recall_cell((*l)["window"])});
  }
  return rows;
}

std::vector<std::string> label_header(const nlohmann::json& a) {
  return {"label", fmt::format("recall, last {} days [95% CI]", a.value("recent_days", 7)),
          "recall, window"};
}

// "billing → refund 52, ..." : the last days' most frequent mistakes, or "".
std::string confusion_line(const nlohmann::json& a,
                           const std::function<std::string(const std::string&)>& cell) {
  std::vector<std::string> parts;
  for (const auto& c : a.value("confusions_recent", nlohmann::json::array()))
    parts.push_back(fmt::format("{} answered as {}: {}", cell(c["gold"].get<std::string>()),
                                cell(c["predicted"].get<std::string>()),
                                c["count"].get<int64_t>()));
  if (parts.empty()) return "";
  return fmt::format("Most frequent mistakes of the last {} days (measured, labelled items): {}.",
                     a.value("recent_days", 7), fmt::join(parts, "; "));
}

std::string markdown_table(const std::vector<std::string>& header,
                           const std::vector<std::vector<std::string>>& rows) {
  std::string out = "|";
  for (const auto& h : header) out += " " + h + " |";
  out += "\n|";
  for (std::size_t i = 0; i < header.size(); ++i) out += "---|";
  out += "\n";
  for (const auto& r : rows) {
    out += "|";
    for (const auto& c : r) out += " " + c + " |";
    out += "\n";
  }
  return out;
}

std::vector<std::vector<std::string>> alert_rows(const nlohmann::json& doc) {
  std::vector<std::vector<std::string>> rows;
  for (const char* group : {"fired", "resolved", "open"}) {
    for (const auto& a : doc["alerts"][group]) {
      std::string message = a["message"].get<std::string>();
      if (a.contains("now") && a["now"] != a["message"])
        message =
            fmt::format("{} (fired with this; now: {})", message, a["now"].get<std::string>());
      rows.push_back(
          {group, a["kind"].get<std::string>(), a["approach"].get<std::string>(), message});
    }
  }
  return rows;
}

std::vector<std::vector<std::string>> drift_rows(const nlohmann::json& doc) {
  std::vector<std::vector<std::string>> rows;
  if (!doc.contains("drift")) return rows;
  for (const auto& d : doc["drift"]["detectors"]) {
    rows.push_back({d["detector"].get<std::string>(), d.value("approach", ""),
                    d["verdict"].get<std::string>(), d["summary"].get<std::string>()});
  }
  return rows;
}

std::string emerging_markdown(const nlohmann::json& doc) {
  if (!doc.contains("drift") || !doc["drift"].contains("emerging_terms")) return "";
  const auto& terms = doc["drift"]["emerging_terms"];
  if (terms.empty()) return "";
  std::string out = "\n### Emerging terms\n\n";
  for (const auto& t : terms) {
    // A term absent from the reference is "none before", not a ratio over the half count the
    // ranking adds (docs/operate.md; monitor.html and the alert said so, this had said 160.0x).
    const int64_t reference = t["reference"].get<int64_t>();
    out += fmt::format("- **{}**: {} in the current window vs {} in the reference ({})",
                       markdown_text(t["term"].get<std::string>()), t["current"].get<int64_t>(),
                       reference,
                       reference == 0 ? std::string("none before")
                                      : fmt::format("{:.1f}x", t["rise"].get<double>()));
    // Clients' texts: shown as written, never as markup a wiki would render; two, as promised.
    std::vector<std::string> examples;
    for (const auto& e : t["examples"])
      if (e.is_string() && examples.size() < 2)
        examples.push_back("\"" + markdown_text(e.get<std::string>()) + "\"");
    if (!examples.empty()) out += fmt::format("; e.g. {}", fmt::join(examples, ", "));
    out += "\n";
  }
  return out;
}

svg::Point point(double x, double y) {
  svg::Point p;
  p.x = x;
  p.y = y;
  return p;
}

svg::Series accuracy_series(const nlohmann::json& a) {
  svg::Series s{"accuracy (95% CI band)", {}, true, true, true, false, ""};
  for (const auto& d : a["days"]) {
    svg::Point p;
    p.x = d["day_index"].get<double>();
    // A replaced model's days are drawn too: what it did before it was replaced.
    if (d["accuracy"].is_number() &&
        (d["counted"].get<bool>() || d.value("replaced_model", false))) {
      p.y = d["accuracy"].get<double>();
      p.y_lo = d["accuracy_ci95"][0].get<double>();
      p.y_hi = d["accuracy_ci95"][1].get<double>();
    } else {
      p.y = NAN;
    }
    s.points.push_back(p);
  }
  return s;
}

svg::Series constant_series(const std::string& name, const nlohmann::json& days, double value) {
  svg::Series s{name, {}, true, false, false, true, "#c0392b"};
  for (const auto& d : days) s.points.push_back(point(d["day_index"].get<double>(), value));
  return s;
}

svg::Series figure_series(const std::string& name, const nlohmann::json& days, const char* key) {
  svg::Series s{name, {}, true, true, false, false, ""};
  for (const auto& d : days) {
    // A day's spend with answers of unknown cost is drawn at its estimate, as the table says it
    // and the ceiling alert judges it (the chart had drawn the known part, under the ceiling).
    const nlohmann::json& value = std::string_view(key) == "cost_usd" && d.contains("cost_unknown")
                                      ? d["cost_estimated_usd"]
                                      : d[key];
    double v = d["requests"].get<int64_t>() > 0 && value.is_number() ? value.get<double>() : NAN;
    s.points.push_back(point(d["day_index"].get<double>(), v));
  }
  return s;
}

std::string charts(const nlohmann::json& doc, const nlohmann::json& a) {
  std::string x_title = fmt::format("day (0 = {})", doc["window"]["first_date"].get<std::string>());
  svg::ChartOptions acc;
  acc.title = fmt::format("{}: daily accuracy", a["name"].get<std::string>());
  acc.x.title = x_title;
  acc.y.title = "accuracy";
  acc.y.min = 0;
  acc.y.max = 1;
  acc.note = fmt::format("days with fewer than {} labels are not drawn; measured from feedback",
                         doc["settings"]["min_labelled"].get<int64_t>());
  double floor = doc["settings"]["accuracy_floor"].get<double>();
  std::string out = svg::line_chart(
      acc, {accuracy_series(a),
            constant_series(fmt::format("floor {:.0f}%", 100 * floor), a["days"], floor)});
  svg::ChartOptions lat;
  lat.title = fmt::format("{}: latency p95 per day", a["name"].get<std::string>());
  lat.x.title = x_title;
  lat.y.title = "ms";
  std::vector<svg::Series> lat_series = {figure_series("p95", a["days"], "latency_p95_ms"),
                                         figure_series("p50", a["days"], "latency_p50_ms")};
  if (doc["settings"]["max_latency_p95_ms"].is_number())
    lat_series.push_back(
        constant_series("ceiling", a["days"], doc["settings"]["max_latency_p95_ms"].get<double>()));
  out += svg::line_chart(lat, lat_series);
  svg::ChartOptions cost;
  cost.title = fmt::format("{}: $ per day", a["name"].get<std::string>());
  cost.x.title = x_title;
  cost.y.title = "USD";
  cost.y.prefix = "$";
  std::vector<svg::Series> cost_series = {figure_series("$ per day", a["days"], "cost_usd")};
  // An empty chart says why: no answer of the window carried a price (a local model's cost is
  // its hosting, which no request reports; the table's cells read "n/a").
  if (std::none_of(cost_series[0].points.begin(), cost_series[0].points.end(),
                   [](const svg::Point& p) { return std::isfinite(p.y); }))
    cost.note =
        "no day's cost is known: no answer carried a price (a local model's cost is its "
        "hosting, which the memo assumes; an API that reports no usage cannot be priced)";
  if (doc["settings"]["max_usd_per_day"].is_number())
    cost_series.push_back(
        constant_series("ceiling", a["days"], doc["settings"]["max_usd_per_day"].get<double>()));
  out += svg::line_chart(cost, cost_series);
  return out;
}

std::string window_line(const nlohmann::json& doc) {
  std::vector<std::string> simulated;
  auto mark = [&](const nlohmann::json& a) {
    const std::string name = a["name"].get<std::string>();
    if (a.value("basis", "") == "simulated" &&
        std::find(simulated.begin(), simulated.end(), name) == simulated.end())
      simulated.push_back(name);
  };
  for (const auto& a : doc["approaches"]) mark(a);
  if (doc.contains("today"))
    for (const auto& a : doc["today"]["approaches"]) mark(a);
  return fmt::format(
      "{} to {} ({} days, UTC); figures measured from the store's logged "
      "predictions and feedback{}.",
      doc["window"]["first_date"].get<std::string>(), doc["window"]["last_date"].get<std::string>(),
      doc["window"]["days"].get<int>(),
      simulated.empty() ? ""
                        : fmt::format("; SIMULATED for {} (answered by sim-llm, the offline "
                                      "stand-in, not a real model)",
                                      fmt::join(simulated, ", ")));
}

// An approach's name, marked when its answers came from sim-llm.
std::string shown_name(const nlohmann::json& a) {
  return a["name"].get<std::string>() + (a.value("basis", "") == "simulated" ? " (simulated)" : "");
}

std::string feedback_line(const nlohmann::json& doc) {
  const auto& f = doc["feedback"];
  if (!f["last_at_ms"].is_number()) return "No feedback (gold label) has been received yet.";
  const double hours = f["hours_since"].get<double>();
  // A report for a time before the newest label (--now-ms in a replay): said as such.
  if (hours < 0)
    return fmt::format(
        "Last feedback received {:.1f} hours after this report's time (the report's time, "
        "--now-ms or a replay's clock, is earlier than the newest label in the store).",
        -hours);
  return fmt::format("Last feedback received {:.1f} hours before this report.", hours);
}

// Today so far, one line per approach with traffic: shown, never judged by the rules.
std::vector<std::string> today_lines(const nlohmann::json& doc) {
  std::vector<std::string> out;
  if (!doc.contains("today")) return out;
  for (const auto& t : doc["today"]["approaches"])
    out.push_back(fmt::format(
        "{} {} so far ({:.1f} h, not judged): {} requests, {} labelled, "
        "accuracy {}",
        shown_name(t), t["date"].get<std::string>(), doc["today"]["hours_elapsed"].get<double>(),
        t["requests"].get<int64_t>(), t["labelled"].get<int64_t>(), accuracy_cell(t)));
  return out;
}

}  // namespace

std::string monitor_text(const nlohmann::json& doc) {
  std::string out = fmt::format("monitor: {}\n", window_line(doc));
  for (const auto& a : doc["approaches"]) {
    if (!had_requests(a)) continue;
    const auto& last = a["days"].back();
    out += fmt::format(
        "  {:<28} {}: {} requests, accuracy {}, p95 {} ms, {} errors, {}\n", shown_name(a),
        last["date"].get<std::string>(), last["requests"].get<int64_t>(), accuracy_cell(last),
        ms_cell(last["latency_p95_ms"]), last["errors"].get<int64_t>(), day_cost_cell(last));
  }
  if (std::string unserved = unserved_line(doc); !unserved.empty()) out += "  " + unserved + "\n";
  for (const std::string& line : today_lines(doc)) out += "  " + line + "\n";
  out += "  " + feedback_line(doc) + "\n";
  for (const auto& r : alert_rows(doc)) out += fmt::format("  alert {}: {}\n", r[0], r[3]);
  for (const auto& r : drift_rows(doc))
    // The approach, where the detector has one (the prediction mix is judged per arm: two lines
    // had read alike).
    if (r[2] != "stable")
      out += fmt::format("  drift {}{} {}: {}\n", r[0],
                         r[1].empty() ? std::string() : " of '" + r[1] + "'", r[2], r[3]);
  // A retrain that is not due for an approach that served nothing says nothing.
  std::set<std::string> served;
  for (const auto& a : doc["approaches"])
    if (had_requests(a)) served.insert(a["approach"].get<std::string>());
  if (doc.contains("retrain"))
    for (const auto& r : doc["retrain"])
      if (r["due"].get<bool>() || served.count(r["approach"].get<std::string>()))
        out += fmt::format("  retrain {}: {} ({})\n", r["approach"].get<std::string>(),
                           r["due"].get<bool>() ? "due: `tunecase retrain --if-due`" : "not due",
                           r["why"].get<std::string>());
  return out;
}

std::string monitor_markdown(const nlohmann::json& doc) {
  std::string out = "# Daily monitoring\n\n" + window_line(doc) + " " + feedback_line(doc) + "\n";
  out += fmt::format(
      "\nAccuracy floor {} ({} rule; a day counts with at least {} labels). Accuracy is of "
      "predictions made that day that have a gold label by now, so recent days fill in as "
      "feedback arrives.\n",
      pct(doc["settings"]["accuracy_floor"]), doc["settings"]["accuracy_rule"].get<std::string>(),
      doc["settings"]["min_labelled"].get<int64_t>());
  for (const std::string& line : today_lines(doc)) out += "\n- " + line + "\n";
  out += "\n## Alerts\n\n";
  auto alerts = alert_rows(doc);
  out += alerts.empty() ? "No alert is open.\n"
                        : markdown_table({"event", "kind", "approach", "message"}, alerts);
  if (std::string unserved = unserved_line(doc); !unserved.empty()) out += "\n" + unserved + "\n";
  for (const auto& a : doc["approaches"]) {
    if (!had_requests(a)) continue;
    out += fmt::format("\n## {}\n\n", shown_name(a));
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : a["days"]) rows.push_back(day_row(d));
    out += markdown_table(kDayHeader, rows);
    auto md = [](const std::string& s) { return markdown_text(s); };
    std::vector<std::vector<std::string>> labels = label_rows(a, md);
    if (!labels.empty()) {
      out += fmt::format(
          "\n### By label (measured; worst recall of the last {} days first, at most {})\n\n",
          a.value("recent_days", 7), kLabelRowsShown);
      out += markdown_table(label_header(a), labels);
      if (std::string mistakes = confusion_line(a, md); !mistakes.empty())
        out += "\n" + mistakes + "\n";
    }
  }
  if (doc.contains("drift")) {
    out += "\n## Drift (before labels)\n\n" + doc["drift"]["windows"].get<std::string>() + "\n\n";
    out += markdown_table({"detector", "approach", "verdict", "what it compared"}, drift_rows(doc));
    out += emerging_markdown(doc);
  }
  return out;
}

std::string monitor_html(const nlohmann::json& doc) {
  std::string body = "<p>" + html::escape(window_line(doc) + " " + feedback_line(doc)) + "</p>";
  body += "<h2>Alerts</h2>";
  auto alerts = alert_rows(doc);
  body += alerts.empty() ? "<p>No alert is open.</p>"
                         : html::table({"event", "kind", "approach", "message"}, alerts);
  if (std::string unserved = unserved_line(doc); !unserved.empty())
    body += "<p>" + html::escape(unserved) + "</p>";
  for (const auto& a : doc["approaches"]) {
    if (!had_requests(a)) continue;
    body += "<h2>" + html::escape(shown_name(a)) + "</h2>";
    body += charts(doc, a);
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : a["days"]) rows.push_back(day_row(d));
    body += html::table(kDayHeader, rows);
    auto plain = [](const std::string& s) { return s; };  // html::table escapes each cell
    std::vector<std::vector<std::string>> labels = label_rows(a, plain);
    if (!labels.empty()) {
      body += "<h3>" +
              html::escape(fmt::format("By label (measured; worst recall of the last {} days "
                                       "first, at most {})",
                                       a.value("recent_days", 7), kLabelRowsShown)) +
              "</h3>";
      body += html::table(label_header(a), labels);
      if (std::string mistakes = confusion_line(a, plain); !mistakes.empty())
        body += "<p>" + html::escape(mistakes) + "</p>";
    }
  }
  if (doc.contains("drift")) {
    body += "<h2>Drift (before labels)</h2><p>" +
            html::escape(doc["drift"]["windows"].get<std::string>()) + "</p>";
    body += html::table({"detector", "approach", "verdict", "what it compared"}, drift_rows(doc));
    if (doc["drift"].contains("emerging_terms") && !doc["drift"]["emerging_terms"].empty()) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& t : doc["drift"]["emerging_terms"])
        rows.push_back({t["term"].get<std::string>(),
                        fmt::format("{}", t["current"].get<int64_t>()),
                        fmt::format("{}", t["reference"].get<int64_t>()),
                        t["examples"].empty() ? "" : t["examples"][0].get<std::string>()});
      body += "<h3>Emerging terms</h3>" +
              html::table({"term", "current", "reference", "example"}, rows);
    }
  }
  return html::page("Daily monitoring", body);
}

}  // namespace tunecase::monitor
