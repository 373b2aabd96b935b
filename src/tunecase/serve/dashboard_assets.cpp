#include "tunecase/serve/dashboard_assets.h"

// The build passes the files' paths (TUNECASE_DASHBOARD_DIR, TUNECASE_CHART_JS) and lists them
// as dependencies of this file, so an edited asset rebuilds it. The assembler's .incbin copies
// each file into read-only data unchanged: nothing to escape, nothing generated.
#define TUNECASE_EMBED(symbol, file)       \
  asm(".pushsection .rodata\n"             \
      ".balign 16\n"                       \
      ".globl " #symbol "_begin\n" #symbol \
      "_begin:\n"                          \
      ".incbin \"" file                    \
      "\"\n"                               \
      ".globl " #symbol "_end\n" #symbol   \
      "_end:\n"                            \
      ".byte 0\n"                          \
      ".popsection\n");                    \
  extern "C" const char symbol##_begin[];  \
  extern "C" const char symbol##_end[];

TUNECASE_EMBED(tunecase_dashboard_html, TUNECASE_DASHBOARD_DIR "/index.html")
TUNECASE_EMBED(tunecase_dashboard_css, TUNECASE_DASHBOARD_DIR "/dashboard.css")
TUNECASE_EMBED(tunecase_dashboard_js, TUNECASE_DASHBOARD_DIR "/dashboard.js")
TUNECASE_EMBED(tunecase_chart_js, TUNECASE_CHART_JS)

namespace tunecase::serve {
namespace {

std::string_view span(const char* begin, const char* end) {
  return {begin, static_cast<std::size_t>(end - begin)};
}

}  // namespace

std::optional<Asset> dashboard_asset(std::string_view path) {
  if (path == "/" || path == "/index.html")
    return Asset{"text/html; charset=utf-8",
                 span(tunecase_dashboard_html_begin, tunecase_dashboard_html_end)};
  if (path == "/assets/dashboard.css")
    return Asset{"text/css; charset=utf-8",
                 span(tunecase_dashboard_css_begin, tunecase_dashboard_css_end)};
  if (path == "/assets/dashboard.js")
    return Asset{"text/javascript; charset=utf-8",
                 span(tunecase_dashboard_js_begin, tunecase_dashboard_js_end)};
  if (path == "/assets/chart.js")
    return Asset{"text/javascript; charset=utf-8",
                 span(tunecase_chart_js_begin, tunecase_chart_js_end)};
  return std::nullopt;
}

}  // namespace tunecase::serve
