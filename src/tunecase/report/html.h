#pragma once

#include <string>
#include <string_view>
#include <vector>

// Building blocks of the self-contained HTML reports: one file a user can e-mail, open offline
// or print, with no script, font or stylesheet fetched from anywhere.
namespace tunecase::html {

// Text made safe for HTML element content and for attribute values (both quote kinds).
std::string escape(std::string_view text);

// A complete HTML5 document: UTF-8, inline CSS (screen and print), `title` escaped into <title>
// and an <h1>. `body_html` is inserted as is: build it from escape(), table() and SVG charts.
std::string page(std::string_view title, std::string_view body_html);

// A <table> with one header row. Every cell is escaped; cells that read as numbers (e.g. "0.91",
// "$1,200", "-3%", "0.84 [0.81, 0.87]") are right-aligned so that columns of figures line up.
// Rows shorter than the header are padded with empty cells. The table comes inside a
// <div class="table-scroll">, so a table wider than the page scrolls on its own.
std::string table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows);

}  // namespace tunecase::html
