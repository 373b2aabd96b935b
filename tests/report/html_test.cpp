#include "tunecase/report/html.h"

#include <gtest/gtest.h>

namespace tunecase::html {
namespace {

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

TEST(HtmlEscape, EscapesMarkupAndBothQuotes) {
  EXPECT_EQ(escape("a < b & c > \"d\" 'e'"), "a &lt; b &amp; c &gt; &quot;d&quot; &#39;e&#39;");
  EXPECT_EQ(escape(""), "");
  EXPECT_EQ(escape("déjà vu ✓"), "déjà vu ✓") << "UTF-8 passes through";
}

TEST(HtmlPage, IsACompleteSelfContainedDocument) {
  const std::string doc = page("Eval <report> & more", "<p>body</p>");
  EXPECT_EQ(doc.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(doc.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(doc.find("<title>Eval &lt;report&gt; &amp; more</title>"), std::string::npos);
  EXPECT_NE(doc.find("<h1>Eval &lt;report&gt; &amp; more</h1>"), std::string::npos);
  EXPECT_NE(doc.find("<p>body</p>"), std::string::npos) << "body is inserted as is";
  EXPECT_NE(doc.find("@media print"), std::string::npos);
  EXPECT_EQ(doc.find("<script"), std::string::npos);
  EXPECT_EQ(doc.find("<link"), std::string::npos);
  EXPECT_EQ(doc.find("http"), std::string::npos) << "nothing fetched from the network";
  EXPECT_EQ(count(doc, "<body>"), 1u);
  EXPECT_EQ(count(doc, "</html>"), 1u);
}

TEST(HtmlTable, EscapesEveryCell) {
  const std::string t = table({"<name>", "acc"}, {{"a&b", "0.9"}, {"<script>x</script>", "1"}});
  EXPECT_NE(t.find("<th>&lt;name&gt;</th>"), std::string::npos);
  EXPECT_NE(t.find("a&amp;b"), std::string::npos);
  EXPECT_EQ(t.find("<script>"), std::string::npos);
}

TEST(HtmlTable, RightAlignsFiguresOnly) {
  const std::string t =
      table({"approach", "accuracy", "cost"},
            {{"linear", "0.84 [0.81, 0.87]", "$1,200"}, {"gpt-4o", "-3.5%", "n/a"}});
  EXPECT_NE(t.find("<td class=\"num\">0.84 [0.81, 0.87]</td>"), std::string::npos);
  EXPECT_NE(t.find("<td class=\"num\">$1,200</td>"), std::string::npos);
  EXPECT_NE(t.find("<td class=\"num\">-3.5%</td>"), std::string::npos);
  EXPECT_NE(t.find("<td>linear</td>"), std::string::npos);
  EXPECT_NE(t.find("<td>gpt-4o</td>"), std::string::npos);
  EXPECT_NE(t.find("<td>n/a</td>"), std::string::npos);
}

TEST(HtmlTable, PadsShortRowsAndBalancesTags) {
  const std::string t = table({"a", "b", "c"}, {{"1"}, {}});
  EXPECT_EQ(count(t, "<td"), 6u);
  EXPECT_EQ(count(t, "<tr>"), count(t, "</tr>"));
  EXPECT_EQ(count(t, "<tr>"), 3u);
  EXPECT_EQ(count(t, "</td>"), 6u);
}

TEST(HtmlTable, WideTableScrollsInItsOwnBoxNotThePage) {
  const std::string t = table({"a"}, {{"1"}});
  EXPECT_EQ(t.rfind("<div class=\"table-scroll\">\n<table>", 0), 0u);
  EXPECT_NE(t.find("</table>\n</div>"), std::string::npos);
  EXPECT_NE(page("t", t).find(".table-scroll { overflow-x: auto; }"), std::string::npos);
}

TEST(HtmlTable, EmptyTableStillHasItsHeader) {
  const std::string t = table({"only"}, {});
  EXPECT_NE(t.find("<th>only</th>"), std::string::npos);
  EXPECT_EQ(count(t, "<td"), 0u);
}

}  // namespace
}  // namespace tunecase::html
