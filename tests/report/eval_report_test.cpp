#include <gtest/gtest.h>

#include "tunecase/report/eval_report.h"
#include "tunecase/report/markdown.h"

namespace tunecase {
namespace {

nlohmann::json approach(const std::string& name, bool simulated, nlohmann::json usd_per_1k) {
  return {
      {"name", name},
      {"kind", simulated ? "openai" : "linear"},
      {"simulated", simulated},
      {"n", 10},
      {"accuracy", 0.8},
      {"accuracy_ci95", {0.49, 0.94}},
      {"macro_f1", 0.75},
      {"invalid_rate", simulated ? 0.1 : 0.0},
      {"error_rate", 0.0},
      {"invalid_samples", {"I think it is `billing`"}},
      {"latency_ms", {{"p50", 1.5}, {"p95", 3.0}, {"p99", 4.0}}},
      {"usd_per_1k", usd_per_1k},
      {"usd_per_month", nullptr},
      {"cost_basis", "test"},
      {"per_class", {{"a", {{"precision", 1.0}, {"recall", 0.5}, {"f1", 0.667}, {"support", 2}}}}},
      {"confusion", {{"labels", {"a", "b"}}, {"matrix", {{1, 1}, {0, 8}}}}}};
}

nlohmann::json sample_eval() {
  return {{"dataset", {{"rows", 50}, {"labels", 2}, {"train", 35}, {"dev", 5}, {"test", 10}}},
          {"approaches", {approach("svm", false, 0.002), approach("gpt", true, nullptr)}},
          {"pairwise",
           {{{"a", "svm"},
             {"b", "gpt"},
             {"mcnemar_p", 1.0},
             {"a_only_correct", 1},
             {"b_only_correct", 1}}}}};
}

TEST(EvalTable, MarksSimulatedRowsAndUnknownPrices) {
  std::string table = eval_table_text(sample_eval());
  EXPECT_NE(table.find("gpt (simulated)"), std::string::npos) << table;
  EXPECT_NE(table.find("unknown"), std::string::npos) << table;
  EXPECT_NE(table.find("80.0% [49.0–94.0]"), std::string::npos) << table;
  EXPECT_NE(table.find("sim-llm"), std::string::npos) << table;
}

// A fixed hosting price with nothing measured behind it is assumed, and the footers say so.
TEST(EvalTable, SaysWhichApproachesCostsAreAssumed) {
  nlohmann::json eval = sample_eval();
  eval["approaches"][1]["usd_per_1k"] = 0.5;  // an estimate beside the assumed bill
  EXPECT_EQ(eval_table_text(eval).find("assumed for"), std::string::npos);
  eval["approaches"][0]["cost_provenance"] = "assumed";
  EXPECT_NE(
      eval_table_text(eval).find("$ per 1k: estimated, assumed for svm (a fixed hosting price"),
      std::string::npos)
      << eval_table_text(eval);
  EXPECT_NE(eval_markdown(eval).find("throughput), assumed for svm"), std::string::npos);
  // Without a daily volume there is no monthly figure: unknown, not "assumed".
  EXPECT_NE(eval_table_text(eval).find("$ per month: unknown, no daily volume given"),
            std::string::npos)
      << eval_table_text(eval);
  EXPECT_NE(eval_markdown(eval).find("$ per month is **unknown**"), std::string::npos);
  // A monthly figure rests on the assumed volume: assumed, not estimated (as the memo tags it).
  eval["approaches"][0]["usd_per_month"] = 60.0;
  EXPECT_NE(eval_table_text(eval).find("$ per month: assumed"), std::string::npos);
  EXPECT_NE(eval_markdown(eval).find("$ per month is **assumed**"), std::string::npos);
  // A figure on an hourly price nobody gave is assumed, and says why (it had read "estimated, on
  // an assumed hosting price").
  nlohmann::json at_full_load = sample_eval();
  at_full_load["approaches"][0]["hosting_assumed"] = true;
  at_full_load["approaches"][0]["cost_provenance"] = "assumed";
  at_full_load["approaches"][0]["cost_kind"] = "hosting_fixed";
  EXPECT_NE(eval_table_text(at_full_load)
                .find("$ per 1k: assumed: for svm (the default instance price over the "
                      "measured throughput, one instance at full load"),
            std::string::npos)
      << eval_table_text(at_full_load);
  // Only fixed bills: the figure is assumed, not "estimated" beside "assumed for" each; the
  // default price is named once (each approach had been listed under both).
  nlohmann::json local = sample_eval();
  local["approaches"].erase(1);
  local["approaches"][0]["cost_provenance"] = "assumed";
  local["approaches"][0]["hosting_assumed"] = true;
  local["approaches"][0]["cost_kind"] = "hosting_fixed";
  local["approaches"][0]["usd_per_month"] = 72.0;
  EXPECT_NE(eval_table_text(local).find("$ per 1k: assumed (a fixed hosting bill at the default "
                                        "instance price, nothing measured behind it: set "
                                        "hosting.usd_per_hour in the approach)"),
            std::string::npos)
      << eval_table_text(local);
  EXPECT_EQ(eval_table_text(local).find("estimated"), std::string::npos) << eval_table_text(local);
  EXPECT_NE(eval_markdown(local).find("$ per 1k is **assumed** (a fixed hosting bill"),
            std::string::npos);
  // Per-query hosting on a typed throughput is assumed for that reason, not a fixed price.
  eval["approaches"][0]["cost_kind"] = "hosting_per_query";
  EXPECT_NE(eval_table_text(eval).find("assumed for svm (per-query hosting at the throughput "
                                       "typed in the config"),
            std::string::npos)
      << eval_table_text(eval);
}

// The table's "invalid" column counts answers that map to no label; requests that got no answer
// at all are said under it, and an approach whose every request failed is called out.
TEST(EvalTable, SaysWhenRequestsFailedAndWhenAllOfThemDid) {
  nlohmann::json eval = sample_eval();
  EXPECT_EQ(eval_table_text(eval).find("(errors)"), std::string::npos);
  eval["approaches"][1]["error_rate"] = 0.25;
  std::string table = eval_table_text(eval);
  EXPECT_NE(table.find("(errors) gpt (simulated): 25.0% of requests failed (retried first where"),
            std::string::npos)
      << table;
  eval["approaches"][1]["error_rate"] = 1.0;
  table = eval_table_text(eval);
  EXPECT_NE(table.find("every request failed (each retried first where its error might pass)"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("no measure of the model"), std::string::npos) << table;
  // report.md says why, in the endpoint's words (it only gave the share).
  eval["approaches"][1]["error_samples"] = {
      {{"error", "failed after 5 attempts: HTTP 500: internal boom"}, {"items", 7}}};
  std::string md = eval_markdown(eval);
  EXPECT_NE(md.find("- 7: `failed after 5 attempts: HTTP 500: internal boom`"), std::string::npos)
      << md;
}

TEST(EvalMarkdown, HasEverySection) {
  std::string md = eval_markdown(sample_eval());
  for (const char* section : {"## Data", "## Pairwise tests", "## Invalid answers and errors",
                              "## Confusions", "## Per-class results", "a → b (1)"}) {
    EXPECT_NE(md.find(section), std::string::npos) << section;
  }
  EXPECT_EQ(md.find("`billing`"), std::string::npos);  // backticks inside samples are replaced
}

// The data-quality section says how its count of high-quality examples was made, in the words
// the data-quality report uses: a range when the wrong labels are an upper bound, "measured"
// when label noise was not estimated.
TEST(EvalMarkdown, SaysHowTheHighQualityCountWasMade) {
  nlohmann::json eval = sample_eval();
  eval["dataset"]["quality"] = {{"footer", "data: 3 label variants"},
                                {"high_quality_examples", 540.0},
                                {"high_quality_examples_high", 1010.0},
                                {"label_noise", {{"estimate", 0.1}}},
                                {"duplicates", {{"test_near_leaked", 0}}}};
  std::string md = eval_markdown(eval);
  EXPECT_NE(md.find("High-quality examples: between 540 and 1010 (estimated: labelled rows minus "
                    "estimated wrong labels minus near-duplicate rows)."),
            std::string::npos)
      << md;
  eval["dataset"]["quality"]["label_noise"] = nullptr;
  eval["dataset"]["quality"].erase("high_quality_examples_high");
  md = eval_markdown(eval);
  EXPECT_NE(md.find("High-quality examples: 540 (measured: labelled rows minus near-duplicate "
                    "rows; wrong labels not estimated)."),
            std::string::npos)
      << md;
}

// gpt stopped by the budget after 334 of 1,076 items; svm scored all of them.
nlohmann::json partial_eval() {
  nlohmann::json eval = sample_eval();
  nlohmann::json& gpt = eval["approaches"][1];
  gpt["n"] = gpt["scored"] = 334;
  gpt["not_run"] = 742;
  gpt["partial"] = true;
  gpt["not_run_reason"] = "budget reached";
  eval["pairwise"][0]["n"] = 334;
  eval["pairwise"][0]["compared_on"] = "common_scored_items";
  eval["pairwise"][0]["note"] = "compared only on the 334 items both scored";
  return eval;
}

// An approach whose turn came after the budget was spent scored no item: eval.json has no
// accuracy for it (null), and the table shows none instead of 0.0%.
TEST(EvalTable, AnApproachThatScoredNothingShowsNoAccuracy) {
  nlohmann::json eval = partial_eval();
  nlohmann::json& gpt = eval["approaches"][1];
  gpt["n"] = gpt["scored"] = 0;
  gpt["not_run"] = 1076;
  gpt["accuracy"] = gpt["accuracy_ci95"] = gpt["macro_f1"] = nullptr;
  std::string table = eval_table_text(eval);
  std::string gpt_line = table.substr(table.find("gpt (simulated)"));
  gpt_line = gpt_line.substr(0, gpt_line.find('\n'));
  EXPECT_EQ(gpt_line.find("0.0% ["), std::string::npos) << table;
  EXPECT_NE(gpt_line.find("–         –"), std::string::npos) << table;
  EXPECT_NE(table.find("0/1,076 scored, stopped by budget"), std::string::npos) << table;
  EXPECT_NO_THROW(eval_markdown(eval));
}

TEST(EvalTable, MarksAPartialRunWithItsScoredCount) {
  std::string table = eval_table_text(partial_eval());
  EXPECT_NE(table.find("gpt (simulated) (partial)"), std::string::npos) << table;
  EXPECT_NE(table.find("334/1,076 scored, stopped by budget"), std::string::npos) << table;
  EXPECT_EQ(table.find("svm (partial)"), std::string::npos) << table;
}

TEST(EvalMarkdown, NeverCallsAPartialRunCompleteAndNamesTheCommonItems) {
  std::string md = eval_markdown(partial_eval());
  EXPECT_EQ(md.find("Every approach was scored on the same"), std::string::npos) << md;
  EXPECT_NE(md.find("gpt (334/1,076 scored, stopped by budget)"), std::string::npos) << md;
  EXPECT_NE(md.find("gpt (simulated) (partial)"), std::string::npos) << md;
  EXPECT_NE(md.find("compared only on the 334 items both scored"), std::string::npos) << md;
  EXPECT_NE(eval_markdown(sample_eval()).find("Every approach was scored on the same"),
            std::string::npos);  // said only when it is true
}

TEST(EvalMarkdown, APairWithNoCommonItemIsNotTested) {
  nlohmann::json eval = partial_eval();
  eval["pairwise"][0]["mcnemar_p"] = nullptr;
  eval["pairwise"][0]["omitted"] = "no test item was scored by both approaches";
  std::string md = eval_markdown(eval);
  EXPECT_NE(md.find("svm / gpt (simulated) (partial): not tested: no test item was scored by both"),
            std::string::npos)
      << md;
}

TEST(FormatUsd, NeverTurnsUnknownIntoZero) {
  EXPECT_EQ(format_usd(nullptr), "unknown");
  EXPECT_EQ(format_usd(0.0), "$0");
  EXPECT_EQ(format_usd(1234.4), "$1,234");
  EXPECT_EQ(format_usd(2.5), "$2.50");
  EXPECT_EQ(format_usd(0.00123), "$0.0012");
  EXPECT_EQ(format_usd(6.04e-7), "$0.00000060");  // not "$6e-07"
}

TEST(EvalTable, WarnsWhenTestLabelsNeverAppearInTrain) {
  nlohmann::json eval = sample_eval();
  EXPECT_EQ(eval_table_text(eval).find("warning"), std::string::npos);
  eval["dataset"]["test_labels_unseen_in_train"] = {"bug"};
  eval["dataset"]["test_rows_unseen_in_train"] = 4;
  std::string text = eval_table_text(eval);
  EXPECT_NE(text.find("warning: 1 test label never appears in train (bug), 4 of 10 test rows"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("capped at 60.0%"), std::string::npos) << text;
  EXPECT_NE(eval_markdown(eval).find("never appears in train"), std::string::npos);
  // `check` gives the warnings of dataset_warnings: this one among them (it was left out).
  std::vector<std::string> warnings = dataset_warnings(eval["dataset"]);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].find("warning: 1 test label never appears in train (bug)"), 0u);
  EXPECT_EQ(text.find("never appears"), text.rfind("never appears")) << "said once: " << text;
}

// Labels with a row or two in train are named in the terminal, report.md and check (they were
// listed in data.md only, and not at all with --no-inspect).
TEST(EvalTable, WarnsOfLabelsWithTooFewTrainRows) {
  nlohmann::json eval = sample_eval();
  eval["dataset"]["thin_train_labels"] = {"rare_a (2)", "rare_b (3)"};
  eval["dataset"]["min_label_count"] = 10;
  std::string text = eval_table_text(eval);
  EXPECT_NE(text.find("warning: 2 labels have fewer than 10 train rows (rare_a (2), rare_b (3))"),
            std::string::npos)
      << text;
  EXPECT_NE(eval_markdown(eval).find("fewer than 10 train rows"), std::string::npos);
  EXPECT_EQ(dataset_warnings(eval["dataset"]).size(), 1u);
}

// A label whose whitespace trimming merged it into the label written without it is said (it had
// been a count in data.md only); a trimmed label that merged nothing is not.
TEST(EvalTable, SaysALabelTrimmingMerged) {
  nlohmann::json eval = sample_eval();
  eval["dataset"]["trimmed_labels"] = {
      {{"label", "refund"}, {"rows_trimmed", 12}, {"rows_as_written", 30}},
      {{"label", "bug"}, {"rows_trimmed", 3}, {"rows_as_written", 0}}};
  std::string text = eval_table_text(eval);
  EXPECT_NE(text.find("note: trimming surrounding whitespace and invisible characters merged the "
                      "spellings of 1 label into "
                      "one: 'refund' (12 rows written with whitespace, 30 without)"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("'bug'"), std::string::npos) << text;
  EXPECT_NE(eval_markdown(eval).find("merged the spellings of 1 label"), std::string::npos);
}

// Rows skipped under skip_invalid are said beside the table, in report.md and by check, with the
// lines a stray quote's row took (they had been a count in report.md's data line only).
TEST(EvalTable, WarnsOfMalformedRowsSkippedAndTheLinesTheyTook) {
  nlohmann::json eval = sample_eval();
  eval["dataset"]["invalid_rows"] = 2;
  eval["dataset"]["invalid_lines"] = 20;
  eval["dataset"]["invalid_samples"] = {
      "t.csv:12: a quoted field opened on this line closes only "
      "on line 32",
      "t.csv:40: row has 3 fields"};
  std::string text = eval_table_text(eval);
  EXPECT_NE(text.find("warning: 2 malformed rows skipped (skip_invalid), 22 lines of the file"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("the first: t.csv:12: a quoted field"), std::string::npos) << text;
  EXPECT_NE(eval_markdown(eval).find("2 malformed rows skipped"), std::string::npos);
  eval["dataset"]["invalid_rows"] = 0;
  EXPECT_EQ(skipped_rows_warning(eval["dataset"]), "");
}

// On imbalanced data the floor is the most frequent label's share: said in report.md always, and
// beside the table when it is half the test split or more.
TEST(EvalTable, SaysTheMajorityBaseline) {
  nlohmann::json eval = sample_eval();
  eval["dataset"]["majority_baseline"] = {{"label", "other"}, {"accuracy", 0.3}};
  EXPECT_EQ(eval_table_text(eval).find("always answering"), std::string::npos);
  EXPECT_NE(eval_markdown(eval).find("Always answering 'other', the most frequent test label, "
                                     "scores 30.0%"),
            std::string::npos);
  EXPECT_EQ(eval_markdown(eval).find("Not cleared"), std::string::npos);
  // An approach at or under the floor is named with it.
  eval["approaches"][1]["accuracy"] = 0.25;
  EXPECT_NE(eval_markdown(eval).find("**Not cleared by gpt (25.0%)**"), std::string::npos)
      << eval_markdown(eval);
  eval["dataset"]["majority_baseline"]["accuracy"] = 0.9;
  EXPECT_NE(eval_table_text(eval).find("note: always answering 'other' (the most frequent test "
                                       "label) scores 90.0%"),
            std::string::npos)
      << eval_table_text(eval);
}

// A mistyped year: rows dated in the future are named, and the report says what period each
// split covers (a time split had put them in the test period without a word).
TEST(EvalTable, WarnsOfRowsDatedInTheFutureAndGivesEachSplitsTimes) {
  nlohmann::json eval = sample_eval();
  EXPECT_EQ(eval_markdown(eval).find("Times (UTC)"), std::string::npos);
  eval["dataset"]["time_spans"] = {
      {{"split", "train"}, {"first", "2025-01-01 00:00"}, {"last", "2025-03-01 10:00"}},
      {{"split", "test"}, {"first", "2025-03-02 08:00"}, {"last", "2031-02-03 09:00"}}};
  eval["dataset"]["future_rows"] = 1;
  eval["dataset"]["future_samples"] = {"2031-02-03T09:00:00Z (t.csv:9, test split)"};
  const std::string md = eval_markdown(eval);
  EXPECT_NE(md.find("Times (UTC): train 2025-01-01 00:00 to 2025-03-01 10:00; test 2025-03-02 "
                    "08:00 to 2031-02-03 09:00."),
            std::string::npos)
      << md;
  EXPECT_NE(eval_table_text(eval).find("warning: 1 row is dated after today (2031-02-03T09:00:00Z "
                                       "(t.csv:9, test split)): a mistyped year?"),
            std::string::npos)
      << eval_table_text(eval);
}

TEST(EvalTable, WarnsWhenRowsShareAnId) {
  nlohmann::json eval = sample_eval();
  eval["dataset"]["duplicate_ids"] = 0;
  EXPECT_EQ(eval_table_text(eval).find("warning"), std::string::npos);
  eval["dataset"]["duplicate_ids"] = 3;
  eval["dataset"]["duplicate_id_samples"] = {"T-1", "T-9"};
  std::string text = eval_table_text(eval);
  EXPECT_NE(text.find("warning: 3 rows have an id an earlier row of a different text already has "
                      "(e.g. 'T-1', 'T-9')"),
            std::string::npos)
      << text;
  EXPECT_NE(eval_markdown(eval).find("make the [data] id column unique"), std::string::npos);
}

TEST(EvalTable, WarnsWhenTheTestSplitDepartsFromTestFraction) {
  nlohmann::json eval = sample_eval();
  eval["dataset"]["test_fraction"] = 0.2;
  eval["dataset"]["test_share"] = 0.23;  // within the slack: rounding on ordinary data
  EXPECT_EQ(eval_table_text(eval).find("warning"), std::string::npos);
  eval["dataset"]["test_share"] = 0.5;
  std::string text = eval_table_text(eval);
  EXPECT_NE(text.find("warning: the test split holds 50% of the rows, not the 20% of [data] "
                      "test_fraction"),
            std::string::npos)
      << text;
  EXPECT_NE(eval_markdown(eval).find("more rows per label bring it back"), std::string::npos);
}

// A model that answers nearly everything with one label (fastText at its defaults on a few
// hundred rows) is named, with what to try; one that answers every label is not.
TEST(EvalTable, WarnsWhenAModelAnswersOnlyAFewOfTheLabels) {
  nlohmann::json eval = sample_eval();
  nlohmann::json& svm = eval["approaches"][0];
  svm["kind"] = "fasttext";
  svm["confusion"] = {
      {"labels", {"a", "b", "c", "d", "e"}},
      {"matrix",
       {{3, 0, 0, 0, 0}, {2, 0, 0, 0, 0}, {2, 0, 0, 0, 0}, {1, 0, 0, 0, 0}, {2, 0, 0, 0, 0}}}};
  std::string table = eval_table_text(eval);
  EXPECT_NE(table.find("warning: svm answers only 1 of the 5 labels in the test split ('a' for 10 "
                       "of 10 items)"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("more epochs"), std::string::npos) << table;
  EXPECT_NE(eval_markdown(eval).find("svm answers only 1 of the 5 labels"), std::string::npos);
  svm["confusion"]["matrix"] = {
      {3, 0, 0, 0, 0}, {0, 2, 0, 0, 0}, {0, 0, 2, 0, 0}, {0, 0, 0, 1, 0}, {0, 0, 0, 0, 2}};
  EXPECT_EQ(eval_table_text(eval).find("answers only"), std::string::npos);
}

// An LLM that mostly answered prose: the labels of the items its answers named no label for are
// in the test split too (it had said "1 of the 4 labels" of a split of 6).
TEST(EvalTable, CountsTheTestLabelsOfItemsThatGotNoLabel) {
  nlohmann::json eval = sample_eval();
  nlohmann::json& svm = eval["approaches"][0];
  svm["confusion"] = {{"labels", {"a", "b", "c", "d", "e", "f"}},
                      {"matrix",
                       {{3, 0, 0, 0, 0, 0},
                        {2, 0, 0, 0, 0, 0},
                        {2, 0, 0, 0, 0, 0},
                        {1, 0, 0, 0, 0, 0},
                        {0, 0, 0, 0, 0, 0},
                        {0, 0, 0, 0, 0, 0}}},
                      {"no_prediction", {1, 0, 0, 0, 4, 5}}};
  std::string table = eval_table_text(eval);
  EXPECT_NE(table.find("svm answers only 1 of the 6 labels in the test split ('a' for 8 of 8 "
                       "items; 10 more items got no label)"),
            std::string::npos)
      << table;
}

TEST(EvalMarkdown, SaysHowManyRowsHadNoLabel) {
  nlohmann::json eval = sample_eval();
  EXPECT_EQ(eval_markdown(eval).find("without a label"), std::string::npos);
  eval["dataset"]["unlabelled"] = 12;
  EXPECT_NE(eval_markdown(eval).find("Rows without a label (not trained on or scored): 12."),
            std::string::npos);
}

// A label as written, in a table or a sentence: the characters that would make emphasis, code,
// a link, an entity or a heading are escaped ("**integration** | `md`" had read as bold code);
// an underscore inside a word, a bracket that opens no link and our own "[data]" stay as written.
TEST(Markdown, ShowsALabelAsWritten) {
  EXPECT_EQ(markdown_text("**integration** | `md`"), "\\*\\*integration\\*\\* \\| \\`md\\`");
  EXPECT_EQ(markdown_text("alpha_alarm_query"), "alpha_alarm_query");
  EXPECT_EQ(markdown_text("_urgent_"), "\\_urgent\\_");
  EXPECT_EQ(markdown_text("[x](http://a.example)"), "\\[x](http://a.example)");
  EXPECT_EQ(markdown_text("make the [data] id column unique"), "make the [data] id column unique");
  EXPECT_EQ(markdown_text("a &lt; b & c"), "a \\&lt; b & c");
  EXPECT_EQ(markdown_text("# not a heading"), "\\# not a heading");
  EXPECT_EQ(markdown_text("two\nlines"), "two lines");
  EXPECT_EQ(code_span("billing, \"urgent\""), "`billing, \"urgent\"`");
  EXPECT_EQ(code_span("a`b"), "``a`b``");
  EXPECT_EQ(code_span("`x"), "`` `x ``");
  // Control characters are written as \u{...}: an escape sequence in a label had reached the
  // terminal of whoever read the file raw.
  EXPECT_EQ(markdown_text("\x1b]0;pwned\x07ship\u0085x"),
            "\\u{001B}]0;pwned\\u{0007}ship\\u{0085}x");
  EXPECT_EQ(code_span("a\x1b[2Jb"), "`a\\u{001B}[2Jb`");
  EXPECT_EQ(code_span("caf\u00e9\ttab"), "`caf\u00e9 tab`");
}

}  // namespace
}  // namespace tunecase

namespace tunecase {
namespace {

// A label holding '|', a line break and "<script>" stays one cell of one row and reads as
// written, in the per-class table and the confusions.
TEST(EvalMarkdown, EscapesLabelsInTablesAndSentences) {
  nlohmann::json eval = sample_eval();
  const std::string odd = "a|b\n<script>x</script>";
  for (auto& a : eval["approaches"]) {
    a["per_class"] = {{odd, {{"precision", 1.0}, {"recall", 0.5}, {"f1", 0.667}, {"support", 2}}}};
    a["confusion"] = {{"labels", {odd, "b"}}, {"matrix", {{1, 1}, {0, 8}}}};
  }
  std::string md = eval_markdown(eval);
  for (std::size_t at = md.find("<script>"); at != std::string::npos;
       at = md.find("<script>", at + 1))
    EXPECT_EQ(md[at - 1], '\\') << "a raw <script> at " << at << ":\n" << md;
  EXPECT_NE(md.find("| a\\|b \\<script>x\\</script> | 1.000 |"), std::string::npos) << md;
  EXPECT_NE(md.find("a\\|b \\<script>x\\</script> → b (1)"), std::string::npos) << md;
}

}  // namespace
}  // namespace tunecase
