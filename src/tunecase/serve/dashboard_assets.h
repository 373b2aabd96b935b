#pragma once

#include <optional>
#include <string_view>

namespace tunecase::serve {

// The dashboard's files, embedded in the binary at build time (no internet at run time):
// index.html, dashboard.css and dashboard.js from src/tunecase/serve/dashboard/, and Chart.js
// from Debian's libjs-chart.js (docs/dashboard.md says why that library).
struct Asset {
  std::string_view content_type;
  std::string_view body;
};

// "/" and "/assets/<name>"; nullopt for any other path.
std::optional<Asset> dashboard_asset(std::string_view path);

}  // namespace tunecase::serve
