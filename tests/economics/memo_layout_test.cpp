// memo.html as a browser lays it out: headless Chromium at a narrow and a wide window measures
// every table against its container and every chart label against the others. Skipped when
// /usr/bin/chromium is missing (scripts/install-deps installs it).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"
#include "tunecase/economics/decide.h"

namespace tunecase {
namespace {

namespace fs = std::filesystem;

const char* kChromium = "/usr/bin/chromium";

const char* kConfig = R"([data]
path = "tickets.csv"
[business]
queries_per_day = 10000
cost_per_error_usd = 2.5
engineer_usd_per_week = 5000
monitoring_usd_per_month = 200
infra_expertise = true
[[approach]]
name = "gpt-4o-mini-zero-shot"
kind = "openai"
[[approach]]
name = "gpt-4o-mini-retrieval-few-shot"
kind = "openai"
engineering_weeks = 2
[[approach]]
name = "local-linear"
kind = "linear"
engineering_weeks = 3
retrain_every_months = 1
retrain_usd = 100
[[approach]]
name = "local-fasttext"
kind = "fasttext"
engineering_weeks = 3
retrain_every_months = 1
retrain_usd = 100
)";

// Appended to a copy of the page (the memo itself has no script): writes what it measured
// into <pre id="layout"> for --dump-dom.
const char* kMeasure = R"js(<script>
(function () {
  const out = { page_overflow: document.documentElement.scrollWidth - window.innerWidth,
                tables: [], collisions: [], outside: [] };
  document.querySelectorAll('table').forEach((t, i) => {
    const box = t.parentElement, r = t.getBoundingClientRect(), b = box.getBoundingClientRect();
    out.tables.push({ index: i, overflow: r.right - b.right,
                      scrolls: getComputedStyle(box).overflowX === 'auto' });
  });
  document.querySelectorAll('svg').forEach((svg, s) => {
    const sr = svg.getBoundingClientRect();
    const texts = Array.from(svg.querySelectorAll('text'))
                       .map(t => ({ s: t.textContent, r: t.getBoundingClientRect() }));
    texts.forEach(t => {
      if (t.r.left < sr.left - 1 || t.r.right > sr.right + 1) out.outside.push(s + ': ' + t.s);
    });
    for (let a = 0; a < texts.length; ++a)
      for (let b = a + 1; b < texts.length; ++b) {
        const A = texts[a].r, B = texts[b].r;
        const w = Math.min(A.right, B.right) - Math.max(A.left, B.left);
        const h = Math.min(A.bottom, B.bottom) - Math.max(A.top, B.top);
        if (w > 1 && h > 1) out.collisions.push(s + ': "' + texts[a].s + '" / "' + texts[b].s + '"');
      }
  });
  const pre = document.createElement('pre');
  pre.id = 'layout';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>)js";

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Lays the page out at `width` px and returns what the script measured.
nlohmann::json measure(const std::string& html, int width, const fs::path& dir) {
  std::string page = html;
  page.insert(page.rfind("</body>"), kMeasure);
  fs::path file = dir / "memo.html";
  std::ofstream(file) << page;
  fs::path profile = dir / ("profile-" + std::to_string(width));
  fs::path dump = dir / ("dom-" + std::to_string(width) + ".html");
  std::string cmd = std::string("timeout 120 ") + kChromium +
                    " --headless --no-sandbox --disable-gpu --no-first-run"
                    " --disable-background-networking --disable-component-update --disable-sync"
                    " --user-data-dir=" +
                    profile.string() + " --window-size=" + std::to_string(width) +
                    ",900 --dump-dom file://" + file.string() + " > " + dump.string() +
                    " 2>/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::string dom = read(dump);
  size_t at = dom.find("<pre id=\"layout\">");
  if (at == std::string::npos) return nullptr;
  at += std::string("<pre id=\"layout\">").size();
  std::string text = dom.substr(at, dom.find("</pre>", at) - at);
  for (auto [from, to] :
       {std::pair{"&quot;", "\""}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}}) {
    for (size_t p = text.find(from); p != std::string::npos; p = text.find(from, p))
      text.replace(p, std::string(from).size(), to);
  }
  return nlohmann::json::parse(text);
}

class MemoLayout : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kChromium))
      GTEST_SKIP() << kChromium << " is missing: run scripts/install-deps to lay memo.html out";
    dir_ = fs::temp_directory_path() / ("tunecase_memo_layout_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    nlohmann::json eval =
        load_eval_json(fs::path(TUNECASE_FIXTURES) / "economics/eval_layout.json");
    html_ = run_decide(parse_config(kConfig, "layout.toml"), &eval, dir_ / "out").memo_html;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  fs::path dir_;
  std::string html_;
};

TEST_F(MemoLayout, WideWindowShowsEveryTableWholeAndNoLabelsCollide) {
  nlohmann::json m = measure(html_, 1280, dir_);
  ASSERT_TRUE(m.is_object()) << "no measurement in the dumped page";
  EXPECT_LE(m["page_overflow"].get<double>(), 0);
  for (const auto& t : m["tables"])
    EXPECT_LE(t["overflow"].get<double>(), 1) << "table " << t["index"] << " is cut off";
  EXPECT_TRUE(m["collisions"].empty()) << m["collisions"].dump(1);
  EXPECT_TRUE(m["outside"].empty()) << m["outside"].dump(1);
}

TEST_F(MemoLayout, NarrowWindowScrollsWideTablesInsteadOfThePage) {
  nlohmann::json m = measure(html_, 480, dir_);
  ASSERT_TRUE(m.is_object()) << "no measurement in the dumped page";
  EXPECT_LE(m["page_overflow"].get<double>(), 0);
  for (const auto& t : m["tables"]) {
    if (t["overflow"].get<double>() > 1) {
      EXPECT_TRUE(t["scrolls"].get<bool>()) << "table " << t["index"] << " is cut off";
    }
  }
  EXPECT_TRUE(m["collisions"].empty()) << m["collisions"].dump(1);
}

}  // namespace
}  // namespace tunecase
