#include "tunecase/llm/label_parser.h"

#include <gtest/gtest.h>

namespace tunecase {
namespace {

const std::vector<std::string> kLabels = {"billing", "technical_issue", "account", "account access",
                                          "shipping"};

struct Case {
  const char* answer;
  const char* label;
  const char* method;
};

void expect_all(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    ParsedLabel p = parse_label(c.answer, kLabels);
    EXPECT_EQ(p.label, c.label) << "answer: " << c.answer;
    EXPECT_EQ(p.method, c.method) << "answer: " << c.answer;
  }
}

TEST(LabelParser, ReadsTheJsonLabelField) {
  expect_all({
      {R"({"label": "billing"})", "billing", "json"},
      {R"({"reasoning": "mentions a refund", "label": "billing"})", "billing", "json"},
      {"```json\n{\"label\": \"shipping\"}\n```", "shipping", "json"},
      {"Sure! Here is the answer: {\"label\": \"account\"} Hope it helps.", "account", "json"},
      {R"({"reasoning": "braces {inside} strings", "label": "account access"})", "account access",
       "json"},
  });
}

TEST(LabelParser, JsonLabelGoesThroughTheLooserSteps) {
  expect_all({
      {R"({"label": "Technical Issue"})", "technical_issue", "json_normalized"},
      {R"({"label": "billng"})", "billing", "json_edit_distance"},
  });
}

TEST(LabelParser, JsonLabelThatNamesNoLabelIsInvalidEvenIfTheProseDoes) {
  ParsedLabel p = parse_label(R"(billing? no: {"label": "weather"})", kLabels);
  EXPECT_EQ(p.label, "");
  EXPECT_EQ(p.method, "invalid");
}

TEST(LabelParser, PrefersExactMatch) {
  expect_all({
      {"billing", "billing", "exact"},
      {"  shipping\n", "shipping", "exact"},
      {"\"account access\"", "account access", "exact"},
      {"**billing**", "billing", "exact"},
      {"billing.", "billing", "exact"},
      {"account", "account", "exact"},
  });
}

// A label that starts or ends with marks a model's answer may carry ("**x**", "_urgent_") is
// matched as written first: the marks had been taken off, and the exact answer was invalid.
TEST(LabelParser, ALabelWithMarksAtItsEndsMatchesAsWritten) {
  const std::vector<std::string> labels = {"**x**", "**X**", "_urgent_", "x y"};
  EXPECT_EQ(parse_label("**x**", labels).label, "**x**");
  EXPECT_EQ(parse_label("**X**", labels).label, "**X**");
  EXPECT_EQ(parse_label("**x**.", labels).label, "**x**");
  EXPECT_EQ(parse_label("_urgent_", labels).label, "_urgent_");
  EXPECT_EQ(parse_label("**x y**", labels).label, "x y");
}

TEST(LabelParser, IgnoresCaseSpacesAndPunctuation) {
  expect_all({
      {"Billing", "billing", "normalized"},
      {"TECHNICAL ISSUE", "technical_issue", "normalized"},
      {"technical-issue", "technical_issue", "normalized"},
      {"Account_Access", "account access", "normalized"},
  });
}

TEST(LabelParser, StripsLabelAndCategoryPrefixes) {
  expect_all({
      {"Label: billing", "billing", "stripped"},
      {"Category: Technical issue", "technical_issue", "stripped"},
      {"label - shipping", "shipping", "stripped"},
      {"**Answer:** account", "account", "stripped"},
  });
}

// A model that echoes the prompt's "Label:" gets the looser steps as one that does not: the
// start of a label, or a near miss, after the prefix (both had been invalid).
TEST(LabelParser, TheLooserStepsReadAnAnswerWithoutItsPrefix) {
  expect_all({
      {"Label: tech", "technical_issue", "substring"},
      {"Label: shiping", "shipping", "edit_distance"},
      {"Category: ship", "shipping", "substring"},
  });
  std::vector<std::string> labels = {"billing issue", "Team 4: ops, tier \"1\"", "other"};
  EXPECT_EQ(parse_label("Label: billing", labels).label, "billing issue");
  EXPECT_EQ(parse_label("Label: Team 4", labels).label, "Team 4: ops, tier \"1\"");
  EXPECT_EQ(parse_label("billing", labels).label, "billing issue");
}

// A prompt that quotes its labels gets quoted answers, escapes and all.
TEST(LabelParser, ReadsAnAnswerWrittenAsAJsonString) {
  std::vector<std::string> labels = {"multi\nline", "Team 4: ops", "plain"};
  EXPECT_EQ(parse_label("\"multi\\nline\"", labels).label, "multi\nline");
  EXPECT_EQ(parse_label("\"Team 4: ops\"", labels).label, "Team 4: ops");
  EXPECT_EQ(parse_label(" \"plain\"\n", labels).label, "plain");
  EXPECT_EQ(parse_label("multi\nline", labels).label, "multi\nline");
  auto s = leading_json_string("  \"a\\\"b\": rest");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->value, "a\"b");
  EXPECT_EQ(s->end, 8u);
  EXPECT_FALSE(leading_json_string("plain").has_value());
  EXPECT_FALSE(leading_json_string("\"unterminated").has_value());
}

TEST(LabelParser, UsesTheFirstLineWhenTheModelExplains) {
  expect_all({
      {"shipping\n\nThe customer asks where the parcel is.", "shipping", "exact"},
  });
}

TEST(LabelParser, FindsTheOnlyLabelNamedInProse) {
  expect_all({
      {"The category is billing because a refund is requested.", "billing", "substring"},
      {"I would say it is an account access problem", "account access", "substring"},
      {"tech", "technical_issue", "substring"},
      {"ship", "shipping", "substring"},
  });
}

// Labels kept apart that differ only in case, width or folding: a sentence that writes one of them
// byte for byte names that one; one that writes none of them exactly stays ambiguous.
TEST(LabelParser, ASentenceNamingOneOfLabelsThatDifferInCaseNamesThatOne) {
  const std::vector<std::string> labels = {"YES", "Yes", "yes", "Café", "café", "ß", "ss", "no"};
  for (const std::string& label : labels) {
    ParsedLabel p = parse_label("The ticket belongs to the category \"" + label + "\".", labels);
    EXPECT_EQ(p.label, label);
    EXPECT_EQ(p.method, "substring");
  }
  EXPECT_EQ(parse_label("The category is yES.", labels).label, "");
  EXPECT_EQ(parse_label("It is YES or yes.", labels).label, "");
  // Inside a longer word is not naming it: "Yesterday" holds "Yes".
  EXPECT_EQ(parse_label("Yesterday it was yes", labels).label, "yes");
}

// "bug reports" beside the labels "bug" and "bug report" names the longer one, misspelt, not
// the shorter one inside it (it had been read as "bug": a wrong answer, not an invalid one).
TEST(LabelParser, ANearMissOfALongerLabelIsThatLabel) {
  const std::vector<std::string> labels = {"bug", "bug report", "delivery", "delivery delays",
                                           "refund"};
  for (const auto& [answer, label] : std::vector<std::pair<std::string, std::string>>{
           {"bug reports", "bug report"},
           {"Bug Reports", "bug report"},
           {"delivery delay", "delivery delays"},
           {"Label: delivery delay", "delivery delays"},
           {"bug", "bug"},
           {"The category is bug.", "bug"},
           {"delivery", "delivery"},
           {"It is about a delivery, I think", "delivery"},
           {"The category is bug reports.", "bug report"},
           {"bug reports (it crashes)", "bug report"},
           {"This is about a delivery delay", "delivery delays"},
           {"The delivery dates changed", "delivery"},
           {"a bug, reported twice", "bug"}})
    EXPECT_EQ(parse_label(answer, labels).label, label) << answer;
}

// Labels kept apart that full case folding makes equal ("straße" and "strasse" both fold to
// "strasse"): an answer that differs from one only in case names that one.
TEST(LabelParser, LabelsEqualOnceFoldedAreToldApartByCase) {
  const std::vector<std::string> labels = {"straße", "strasse", "weg"};
  EXPECT_EQ(parse_label("Strasse", labels).label, "strasse");
  EXPECT_EQ(parse_label("Straße", labels).label, "straße");
  EXPECT_EQ(parse_label("Die Antwort ist Strasse.", labels).label, "strasse");
  EXPECT_EQ(parse_label("STRASSE", labels).label, "strasse");
}

TEST(LabelParser, SubstringDoesNotMatchInsideWords) {
  std::vector<std::string> labels = {"art", "music"};
  EXPECT_EQ(parse_label("let us start over", labels).label, "");
}

TEST(LabelParser, AmbiguousAnswersAreInvalid) {
  expect_all({
      {"billing or shipping", "", "invalid"},
      {"acc", "", "invalid"},  // prefix of both "account" and "account access"
      {"", "", "invalid"},
      {"I don't know", "", "invalid"},
      {"te", "", "invalid"},
  });
}

TEST(LabelParser, ToleratesTwoEditsToExactlyOneLabel) {
  expect_all({
      {"biling", "billing", "edit_distance"},
      {"shiping", "shipping", "edit_distance"},
      {"accuont", "account", "edit_distance"},
  });
}

TEST(LabelParser, ThreeEditsAreTooMany) {
  EXPECT_EQ(parse_label("bxlxnx", kLabels).label, "");
}

TEST(LabelParser, EditDistanceMustPointToOneLabel) {
  std::vector<std::string> labels = {"cat", "car"};
  EXPECT_EQ(parse_label("caz", labels).label, "");
  EXPECT_EQ(parse_label("cat", labels).label, "cat");
}

TEST(LabelParser, EmptyLabelSetMakesEverythingInvalid) {
  EXPECT_EQ(parse_label("billing", {}).method, "invalid");
}

TEST(LabelParser, HandlesNonAsciiLabelsAndInvalidUtf8) {
  std::vector<std::string> labels = {"Facturación", "Envío"};
  EXPECT_EQ(parse_label("facturación", labels).label, "Facturación");
  EXPECT_EQ(parse_label("ENVÍO", labels).label, "Envío");
  EXPECT_EQ(parse_label(std::string("\xff\xfe"), labels).label, "");
}

TEST(LabelParser, MalformedJsonFallsBackToText) {
  expect_all({
      {R"({"label": "billing")", "billing", "substring"},
      {R"({"category": "shipping"})", "shipping", "substring"},
  });
}

TEST(LabelParser, AShorterLabelWrittenOutsideTheLongerOneIsASecondLabel) {
  // "billing, not a billing dispute" names both; it had been read as the longer one.
  const std::vector<std::string> labels = {"billing", "billing_dispute", "refund", "no refund"};
  EXPECT_EQ(parse_label("It is billing, not a billing dispute.", labels).label, "");
  EXPECT_EQ(parse_label("billing (not billing_dispute)", labels).label, "");
  EXPECT_EQ(parse_label("Category: refund (no refund was issued yet)", labels).label, "");
  // Written only inside the longer label, it still yields to it.
  EXPECT_EQ(parse_label("This is a billing dispute.", labels).label, "billing_dispute");
  EXPECT_EQ(parse_label("no refund", labels).label, "no refund");
  EXPECT_EQ(parse_label("refund", labels).label, "refund");
}

TEST(LabelParser, AWordAddedOrALetterOnAShortWordIsNotAMisspelling) {
  // Without a label "refund", the answer "refund" had been read as "no refund" (two letters
  // apart once spaces are dropped), and "one" as "none".
  const std::vector<std::string> labels = {"billing", "no refund", "none", "1", "2", "bug"};
  for (const char* answer : {"refund", "Label: refund", R"({"label": "refund"})", "one"}) {
    ParsedLabel p = parse_label(answer, labels);
    EXPECT_EQ(p.label, "") << answer << " -> " << p.label << " (" << p.method << ")";
  }
  EXPECT_EQ(parse_label("no refnd", labels).label, "no refund");
  EXPECT_EQ(parse_label("bugs", labels).label, "bug");
  EXPECT_EQ(parse_label("biling", labels).label, "billing");
}

TEST(LabelParser, AReasoningBlockIsNotTheAnswer) {
  // A reasoning model served by Ollama or vLLM writes its thinking into the content first.
  expect_all({
      {"<think>\nDraft: {\"label\": \"account\"}? No, wrong.\n</think>\n\n{\"label\": "
       "\"shipping\"}",
       "shipping", "json"},
      {"<think>\nIs it billing or shipping? No.\n</think>\n\naccount", "account", "exact"},
      {"<think>\nIs it billing? Let me think about shipping too", "", "invalid"},
      {"  <think>a</think><think>billing</think> shipping", "shipping", "exact"},
  });
}

TEST(LabelParser, ReasoningInAnySpellingIsNotTheAnswer) {
  // <thinking>, <reasoning>, upper case, a byte-order mark first, or only the closing tag (a chat
  // template that supplies the opening one): the label after the reasoning is the answer.
  for (const char* answer :
       {"<thinking>maybe shipping</thinking>\nbilling", "<Think>maybe shipping</Think>\nbilling",
        "<THINK>maybe shipping</THINK>billing", "<reasoning>shipping?</reasoning>billing",
        "maybe shipping</think>\nbilling",
        "The user mentions a parcel, so maybe shipping... no, an invoice.\n</think>\n\nbilling",
        "\xEF\xBB\xBF<think>maybe shipping</think>billing"}) {
    EXPECT_EQ(parse_label(answer, kLabels).label, "billing") << answer;
  }
  EXPECT_EQ(parse_label("<thinking>\nIs it shipping", kLabels).label, "");
}

TEST(LabelParser, AnAnswerBeforeItsReasoningIsTheAnswer) {
  // Some models answer first and explain after; nothing after the reasoning leaves the text
  // before it. Reasoning with only its closing tag and nothing after it has no answer.
  expect_all({
      {"billing <think>the invoice was charged twice</think>", "billing", "exact"},
      {"billing\n<Thinking>\nmaybe shipping\n</Thinking>\n", "billing", "exact"},
      {"<think>shipping?</think>\n", "", "invalid"},
      {"maybe shipping</think>\n", "", "invalid"},
  });
}

TEST(LabelParser, AnAnswerLineAfterReasoningLinesIsTheAnswer) {
  expect_all({
      {"Reasoning: mentions shipping\nAnswer: billing", "billing", "stripped"},
      {"Reason: not a shipping issue but billing.\nLabel: billing", "billing", "stripped"},
      {"Not shipping.\nbilling", "billing", "exact"},
      // Two lines that are each a label are two answers; two answer lines naming two labels too.
      {"shipping\nbilling", "", "invalid"},
      {"Answer: shipping\nAnswer: billing", "", "invalid"},
      // A label first, then an explanation naming another: the first line is the answer.
      {"billing\nThe invoice also mentions shipping costs.", "billing", "exact"},
  });
}

TEST(LabelParser, PunctuationOfAnyScriptSeparatesWords) {
  const std::vector<std::string> labels = {"billing", "billing dispute", "shipping", "account"};
  for (auto [answer, label] :
       {std::pair{"Label: \u201cbilling dispute\u201d", "billing dispute"},
        std::pair{"The category is \u201cshipping\u201d.", "shipping"},
        std::pair{"\u2018account\u2019", "account"},
        std::pair{"Categor\u00eda: \u00abshipping\u00bb", "shipping"},
        std::pair{"\u3010billing\u3011", "billing"}, std::pair{"billing\u3002", "billing"},
        std::pair{"billing dispute\u201d", "billing dispute"}}) {
    EXPECT_EQ(parse_label(answer, labels).label, label) << answer;
  }
  // A label of a script without spaces is found inside a sentence of it.
  EXPECT_EQ(parse_label("\u8fd9\u662f\u8d26\u5355\u3002", {"\u8d26\u5355", "\u7269\u6d41"}).label,
            "\u8d26\u5355");
}

TEST(LabelParser, MisspellingsAreCountedInCharactersNotBytes) {
  // A two-character Chinese label and a three-letter Cyrillic one get no edit: another word is
  // not a slip (they had been allowed two byte edits).
  const std::vector<std::string> labels = {"\u8d26\u5355", "\u0431\u0430\u0433",
                                           "\u043e\u043f\u043b\u0430\u0442\u0430"};
  EXPECT_EQ(parse_label("\u8d26\u53f7", labels).label, "");        // "account", not "bill"
  EXPECT_EQ(parse_label("\u0431\u0430\u043a", labels).label, "");  // "tank", not "bug"
  EXPECT_EQ(parse_label("\u043e\u043f\u043b\u0430\u0442\u044b", labels).label,
            "\u043e\u043f\u043b\u0430\u0442\u0430");
}

TEST(LabelParser, ALabelInsideALongerOneWrittenByteForByteYieldsToIt) {
  const std::vector<std::string> labels = {"C", "C++", "C#", "Go"};
  EXPECT_EQ(parse_label("The language is C++.", labels).label, "C++");
  EXPECT_EQ(parse_label("The language is C#.", labels).label, "C#");
  EXPECT_EQ(parse_label("The language is C.", labels).label, "C");
  EXPECT_EQ(parse_label("C or C++", labels).label, "");
}

TEST(LabelParser, JsonGivingTwoLabelsIsInvalid) {
  EXPECT_EQ(parse_label(R"({"label": "billing", "label": "shipping"})", kLabels).label, "");
  EXPECT_EQ(parse_label(R"({"label": "billing"} or maybe {"label": "shipping"})", kLabels).label,
            "");
  EXPECT_EQ(parse_label(R"({"label": "billing"} {"label": "billing"})", kLabels).label, "billing");
  EXPECT_EQ(parse_label(R"({"reason": {"label": "shipping"}, "label": "billing"})", kLabels).label,
            "billing");
}

TEST(LabelParser, AConcludingLastLineAfterReasoningIsTheAnswer) {
  for (const char* answer :
       {"Reasoning: the ticket mentions shipping\nSo the answer is billing",
        "The customer mentions a parcel, which suggests shipping.\nBut the real issue is a "
        "double charge, so billing.",
        "Let me think. The text mentions shipping fees.\nThe complaint is a double charge.\n"
        "Therefore: billing",
        "Thought: the parcel arrived late (shipping).\nConclusion: billing",
        "Label:\nbilling\nReason: the customer also mentions shipping",
        "billing\nCategory: finance-related, not shipping"}) {
    EXPECT_EQ(parse_label(answer, kLabels).label, "billing") << answer;
  }
  // An answer first, then an explanation naming another label without concluding: the answer.
  EXPECT_EQ(parse_label("The answer is billing.\nShipping was not relevant.", kLabels).label,
            "billing");
  // A list of two labels is two answers.
  EXPECT_EQ(parse_label("1. billing\n2. shipping", kLabels).label, "");
}

TEST(LabelParser, ALabelOfAScriptWithoutSpacesStaysInsideItsRun) {
  const std::vector<std::string> labels = {"\u8d26\u5355", "\u7269\u6d41", "\u9000\u6b3e",
                                           "\u9000\u6b3e\u5931\u8d25"};
  // Inside a longer label written in the sentence, the shorter one yields to it.
  EXPECT_EQ(parse_label("\u8fd9\u662f\u9000\u6b3e\u5931\u8d25\u3002", labels).label,
            "\u9000\u6b3e\u5931\u8d25");
  // Across a comma or a space it is not written ("\u8d2d\u7269\uff0c\u6d41\u7a0b").
  EXPECT_EQ(parse_label("\u6211\u5728\u8d2d\u7269\uff0c\u6d41\u7a0b\u592a\u6162", labels).label,
            "");
  // A prefix of one character is too short, as of two letters in any script.
  EXPECT_EQ(parse_label("\u8d26", labels).label, "");
}

TEST(LabelParser, LowerCaseAnswersNameCPlusPlus) {
  const std::vector<std::string> labels = {"C", "C++", "C#", "Java"};
  EXPECT_EQ(parse_label("the language is c++.", labels).label, "C++");
  EXPECT_EQ(parse_label("It's written in c#", labels).label, "C#");
}

TEST(LabelParser, JsonGivingOneLabelInTwoSpellingsIsThatLabel) {
  EXPECT_EQ(parse_label(R"({"label": "billing", "label": "Billing"})", kLabels).label, "billing");
}

}  // namespace
}  // namespace tunecase
