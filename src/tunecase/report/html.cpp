#include "tunecase/report/html.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace tunecase::html {
namespace {

// Print-friendly defaults: readable measure, figures in tabular numerals, charts never wider
// than the page, tables that do not split a row across pages.
constexpr std::string_view kStyle = R"css(
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1a1a1a; background: #fff; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; }
h1 { font-size: 1.6rem; margin-bottom: 0.5rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; }
table { border-collapse: collapse; margin: 1rem 0; font-variant-numeric: tabular-nums; }
.table-scroll { overflow-x: auto; }
th, td { padding: 0.3rem 0.7rem; border-bottom: 1px solid #e3e3e3; text-align: left;
         vertical-align: top; }
th { background: #f4f4f4; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
svg { max-width: 100%; height: auto; }
figure { margin: 1rem 0; }
figcaption { font-size: 0.9rem; color: #555; }
.note { color: #555; font-size: 0.9rem; }
code { background: #f4f4f4; padding: 0 0.2rem; border-radius: 3px; }
@media print {
  body { margin: 0; max-width: none; font-size: 10.5pt; }
  /* Paper cannot scroll: a wide table prints smaller and wraps its text cells instead (a
     monitor table's last column, its cost, had been cut at the page edge). */
  .table-scroll { overflow: visible; }
  table { font-size: 8.5pt; }
  th, td { padding: 0.15rem 0.35rem; overflow-wrap: break-word; }
  h2 { break-after: avoid; }
  tr, figure, svg { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
)css";

// A cell "reads as a number" when, ignoring currency, percent, sign, grouping and an interval
// in brackets, it is digits with at most a decimal point: "$1,200", "-3.5%", "0.84 [0.81, 0.87]".
bool looks_numeric(std::string_view cell) {
  bool digit = false;
  for (char c : cell) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digit = true;
    } else if (std::string_view("$€£+-−.,% []()x×").find(c) == std::string_view::npos) {
      if (static_cast<unsigned char>(c) < 0x80) return false;  // a letter or other punctuation
    }
  }
  return digit;
}

void append_cell(std::string& out, std::string_view tag, std::string_view cell) {
  out += looks_numeric(cell) ? fmt::format("<{} class=\"num\">", tag) : fmt::format("<{}>", tag);
  out += escape(cell);
  out += fmt::format("</{}>", tag);
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string page(std::string_view title, std::string_view body_html) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{0}</title>\n<style>{1}</style>\n</head>\n<body>\n<h1>{0}</h1>\n{2}\n</body>\n"
      "</html>\n",
      escape(title), kStyle, body_html);
}

std::string table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows) {
  // A table wider than the page scrolls inside its own box instead of widening the page.
  std::string out = "<div class=\"table-scroll\">\n<table>\n<thead><tr>";
  for (const auto& cell : header) out += fmt::format("<th>{}</th>", escape(cell));
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    const std::size_t width = std::max(header.size(), row.size());
    for (std::size_t i = 0; i < width; ++i) append_cell(out, "td", i < row.size() ? row[i] : "");
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n</div>\n";
  return out;
}

}  // namespace tunecase::html
