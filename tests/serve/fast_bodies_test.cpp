// The classify route reads its body and writes its answer without a JSON document; both give
// exactly what the document gives.

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "tunecase/serve/dispatcher.h"
#include "tunecase/serve/request_body.h"

namespace tunecase::serve {
namespace {

using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// Top-level objects over the keys the route reads (and others), with values of every type and
// keys repeated, so every check and its order is exercised.
class ClassifyBodies {
 public:
  explicit ClassifyBodies(uint64_t seed) : rng_(seed) {}

  std::string next() {
    static const std::vector<std::string> keys = {"text", "id", "segment", "at", "label", "x"};
    std::string out = "{";
    std::size_t n = rng_() % 6;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string& k = keys[rng_() % keys.size()];
      out += (i ? "," : "") + json(k).dump() + ":" + value(0);
    }
    return out + "}";
  }

 private:
  std::string value(int depth) {
    static const std::vector<std::string> strings = {"the courier is late",
                                                     " \t\r\n ",
                                                     "",
                                                     "T-1",
                                                     "2025-08-14",
                                                     "2025-08-14T09:30:00Z",
                                                     "1700000000000",
                                                     "caf\xc3\xa9 \\\"quoted\\\""};
    switch (rng_() % (depth > 1 ? 8 : 10)) {
      case 0:
        return "null";
      case 1:
        return rng_() % 2 ? "true" : "false";
      case 2:
        return std::to_string(static_cast<int64_t>(rng_() % 4000000000000LL) - 1000);
      case 3:
        return "18446744073709551615";
      case 4:
        return "2.5";
      case 5:
      case 6:
      case 7:
        return "\"" + strings[rng_() % strings.size()] + "\"";
      case 8:
        return "[" + value(depth + 1) + "]";
      default:
        return "{\"text\":" + value(depth + 1) + "}";
    }
  }

  std::mt19937_64 rng_;
};

// The same body with "metadata": null, which the route reads through the document.
std::string through_document(const std::string& body) {
  return body == "{}" ? R"({"metadata":null})"
                      : body.substr(0, body.size() - 1) + R"(,"metadata":null})";
}

// Reads `body` as the route does and `document` (the same fields, read through the document)
// and expects one outcome; `wording`: the errors' messages too. True when the body was read.
bool reads_alike(const std::string& body, const std::string& document, bool wording) {
  auto fast = parse_classify(body);
  auto doc = parse_classify(document);
  EXPECT_EQ(fast.index(), doc.index()) << body;
  if (fast.index() != doc.index()) return false;
  if (auto* e = std::get_if<BodyError>(&fast)) {
    EXPECT_EQ(e->status, std::get<BodyError>(doc).status) << body;
    if (wording) {
      EXPECT_EQ(e->message, std::get<BodyError>(doc).message) << body;
    }
    return false;
  }
  const auto& a = std::get<ClassifyBody>(fast);
  const auto& b = std::get<ClassifyBody>(doc);
  EXPECT_EQ(a.text, b.text) << body;
  EXPECT_EQ(a.id, b.id) << body;
  EXPECT_EQ(a.segment, b.segment) << body;
  EXPECT_EQ(a.at_ms, b.at_ms) << body;
  EXPECT_EQ(a.metadata, json::object()) << body;
  return true;
}

TEST(ClassifyBody, ReadWithoutADocumentAsWithOne) {
  ClassifyBodies gen(3);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string body = gen.next();
    if (reads_alike(body, through_document(body), true)) ++accepted;
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(accepted, 100);
}

// Flat objects of plain strings (what clients send), often broken a little: the scan that
// reads them, and what it declines, give what the document gives.
TEST(ClassifyBody, FlatBodiesAndNearMissesReadAsWithADocument) {
  const std::vector<std::string> keys = {"text", "id", "segment", "at", "x", "", "t\\u0065xt"};
  const std::vector<std::string> values = {
      "the courier is late",  "T-1",   "",          " ",         "caf\xc3\xa9",
      "2025-08-14T09:30:00Z", "a\\nb", "tab\there", "raw\nline", "ctl\x01"};
  const std::vector<std::string> spaces = {"", " ", "\n", "\t ", "\r\n"};
  std::mt19937_64 rng(5);
  auto pick = [&](const std::vector<std::string>& from) { return from[rng() % from.size()]; };
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string body = pick(spaces) + "{" + pick(spaces);
    std::size_t n = rng() % 4;
    for (std::size_t k = 0; k < n; ++k) {
      body += (k ? "," + pick(spaces) : "") + "\"" + pick(keys) + "\"" + pick(spaces) + ":" +
              pick(spaces) + "\"" + pick(values) + "\"" + pick(spaces);
    }
    body += "}" + pick(spaces);
    switch (rng() % 8) {  // a near miss now and then
      case 0:
        body.erase(rng() % body.size(), 1);
        break;
      case 1:
        body.insert(rng() % (body.size() + 1), 1, "\",:{}[]0"[rng() % 8]);
        break;
      default:
        break;
    }
    // "metadata": null before the last brace sends the body through the document.
    std::string document = body;
    std::size_t close = document.rfind('}');
    if (close != std::string::npos) {
      bool empty = document.find_first_not_of(" \t\r\n", document.find('{') + 1) == close;
      document.insert(close, empty ? R"("metadata":null)" : R"(,"metadata":null)");
    }
    // A body that is not an object has no place for "metadata": its error's wording differs.
    if (reads_alike(body, document, false)) ++accepted;
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(accepted, 1000);
}

// A key given twice at the top of a body is refused on every path (the flat scan, the parser's
// events, the document): parsers disagree on which one counts, and the gateway had read the
// last. Inside "metadata", the client's own document, it is not looked for.
TEST(ClassifyBody, AKeyGivenTwiceIsA400OnEveryPath) {
  for (const std::string body : {R"({"text":"a","text":"b"})", R"({"text":"a","id":1,"id":2})",
                                 R"({"text":"a","x":[1],"x":2})",
                                 R"({"text":"a","metadata":{},"segment":"s","segment":"t"})",
                                 R"({"":"a","text":"b","":"c"})"}) {
    auto parsed = parse_classify(body);
    ASSERT_TRUE(std::holds_alternative<BodyError>(parsed)) << body;
    EXPECT_EQ(std::get<BodyError>(parsed).status, 400) << body;
    EXPECT_THAT(std::get<BodyError>(parsed).message,
                HasSubstr("more than once; send each key once"))
        << body;
  }
  EXPECT_EQ(std::get<BodyError>(parse_classify(R"({"text":"a","text":"b"})")).message,
            "the body gives \"text\" more than once; send each key once");
  EXPECT_TRUE(std::holds_alternative<ClassifyBody>(
      parse_classify(R"({"text":"a","metadata":{"k":1,"k":2}})")));
  auto feedback = parse_feedback(R"({"id":"T-1","label":"a","label":"b"})", {"a", "b"});
  ASSERT_TRUE(std::holds_alternative<BodyError>(feedback));
  EXPECT_EQ(std::get<BodyError>(feedback).message,
            "the body gives \"label\" more than once; send each key once");
}

TEST(ClassifyBody, MetadataAndMalformedBodiesStillReadThroughTheDocument) {
  auto with = parse_classify(R"({"text":"late parcel","metadata":{"plan":"pro"},"id":12})");
  ASSERT_TRUE(std::holds_alternative<ClassifyBody>(with));
  EXPECT_EQ(std::get<ClassifyBody>(with).metadata, json({{"plan", "pro"}}));
  EXPECT_EQ(std::get<ClassifyBody>(with).id, "12");
  auto bad = parse_classify(R"({"text":"late parcel",})");
  ASSERT_TRUE(std::holds_alternative<BodyError>(bad));
  EXPECT_TRUE(std::get<BodyError>(bad).message.starts_with("the body is not valid JSON (line 1, "))
      << std::get<BodyError>(bad).message;
  // A lone surrogate escape is valid grammar no string can hold: the message says so, and where,
  // without echoing the text.
  auto surrogate = parse_classify(R"({"text":"refund \ud800 please"})");
  ASSERT_TRUE(std::holds_alternative<BodyError>(surrogate));
  const std::string why = std::get<BodyError>(surrogate).message;
  EXPECT_NE(why.find("surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF"),
            std::string::npos)
      << why;
  EXPECT_NE(why.find("column "), std::string::npos) << why;
  EXPECT_EQ(why.find("refund"), std::string::npos) << why;
  // A number no double holds is said as such, not thrown past the gateway as a 500.
  auto huge = parse_classify(R"({"text":"late parcel","n":1e999})");
  ASSERT_TRUE(std::holds_alternative<BodyError>(huge));
  EXPECT_EQ(std::get<BodyError>(huge).message,
            "the body is not valid JSON (number overflow parsing '1e999'); send a JSON object");
  auto array = parse_classify(R"(["text"])");
  ASSERT_TRUE(std::holds_alternative<BodyError>(array));
  EXPECT_EQ(std::get<BodyError>(array).message,
            "the body is a JSON array, not an object; send a JSON object");
}

// A "metadata" nested thousands deep would exhaust a loop's stack when it is copied or written
// out: refused before it is parsed, at any depth past 64, brackets in strings not counted.
TEST(ClassifyBody, MetadataNestedTooDeeplyIsRefusedBeforeItIsRead) {
  auto nested = [](int depth, const std::string& key) {
    std::string open, close;
    for (int i = 0; i < depth; ++i) {
      open += R"({"a":)";
      close += "}";
    }
    return R"({"text":"late parcel",")" + key + "\":" + open + "1" + close + "}";
  };
  auto deep = parse_classify(nested(60000, "metadata"));
  ASSERT_TRUE(std::holds_alternative<BodyError>(deep));
  EXPECT_EQ(std::get<BodyError>(deep).status, 400);
  EXPECT_NE(std::get<BodyError>(deep).message.find("more than 64 levels"), std::string::npos);
  EXPECT_TRUE(std::holds_alternative<BodyError>(parse_classify(nested(64, "metadata"))));
  // A key the route does not read is skipped as it is read, never kept: any depth is harmless.
  EXPECT_TRUE(std::holds_alternative<ClassifyBody>(parse_classify(nested(60000, "x"))));
  auto allowed = parse_classify(nested(63, "metadata"));
  ASSERT_TRUE(std::holds_alternative<ClassifyBody>(allowed));
  auto brackets = parse_classify(R"({"text":"[[[[{{{{","metadata":{"note":"}}]]"}})");
  ASSERT_TRUE(std::holds_alternative<ClassifyBody>(brackets));
  EXPECT_EQ(std::get<ClassifyBody>(brackets).text, "[[[[{{{{");
  auto deep_feedback = parse_feedback(nested(100, "metadata"), {"billing"});
  ASSERT_TRUE(std::holds_alternative<BodyError>(deep_feedback));
}

// A text of nothing but whitespace is empty whichever whitespace it is: ASCII's, or the no-break,
// em and ideographic spaces, zero-width space and byte-order mark that show nothing either.
TEST(ClassifyBody, ATextOfOnlyUnicodeWhitespaceIsEmpty) {
  // Bidi marks, the combining grapheme joiner and a variation selector show nothing either
  // (they had been classified, and logged, as a text).
  for (const char* text : {" \t\r\n", "\u00a0\u2003", "\u3000 \u200b\ufeff", "\u2028",
                           "\u200e\u200f", "\u034f", "\u2066 \u2069\ufe0f", "\u00ad\u2800",
                           // control characters alone (an escape had been a text, and paid for)
                           "\x0b\x0c\x1b", "\u0085\u009b", "\x7f"}) {
    auto r = parse_classify(json({{"text", text}}).dump());
    ASSERT_TRUE(std::holds_alternative<BodyError>(r)) << json(text).dump();
    EXPECT_EQ(std::get<BodyError>(r).status, 422);
  }
  for (const char* text :
       {"\u00a0late\u00a0", "\u00e9", "\u2003x", "\u4e2d", "\u200ex", "\U0001F600", "\x01x"})
    EXPECT_TRUE(std::holds_alternative<ClassifyBody>(parse_classify(json({{"text", text}}).dump())))
        << json(text).dump();
}

// A prediction_id that cannot be one the gateway gave is a 400 saying so, not a 404.
TEST(FeedbackBody, APredictionIdThatIsNotOneIsA400) {
  for (const char* bad :
       {"zz", "0123456789abcdef0123456789abcde", "T-1042", "0123456789abcdef0123456789abcdeg"}) {
    auto r = parse_feedback(json({{"prediction_id", bad}, {"label", "login"}}).dump(), {"login"});
    ASSERT_TRUE(std::holds_alternative<BodyError>(r)) << bad;
    EXPECT_EQ(std::get<BodyError>(r).status, 400);
    EXPECT_NE(std::get<BodyError>(r).message.find("is not a prediction id (32 hex digits"),
              std::string::npos);
  }
  auto upper = parse_feedback(
      R"({"prediction_id":"0123456789ABCDEF0123456789abcdef","label":"login"})", {"login"});
  ASSERT_TRUE(std::holds_alternative<FeedbackBody>(upper));
  EXPECT_EQ(std::get<FeedbackBody>(upper).id, "0123456789abcdef0123456789abcdef");
}

// A label with surrounding spaces is the label, as the data reader and `tunecase feedback` read
// a padded cell (the gateway had refused it with a 422).
TEST(FeedbackBody, SurroundingSpacesOfALabelGo) {
  auto r = parse_feedback(R"({"id":"T-1","label":" bug_report\t"})", {"bug_report"});
  ASSERT_TRUE(std::holds_alternative<FeedbackBody>(r));
  EXPECT_EQ(std::get<FeedbackBody>(r).label, "bug_report");
  auto blank = parse_feedback(R"({"id":"T-1","label":"  "})", {"bug_report"});
  ASSERT_TRUE(std::holds_alternative<BodyError>(blank));
  EXPECT_EQ(std::get<BodyError>(blank).status, 400);
  // Unicode's spaces and characters that show nothing go too (a no-break space had been refused
  // as an invisible character; a label of nothing else had replaced a real one from a file).
  for (const char* padded : {"\u00a0bug_report\u3000", "bug_report\u2028", "\u200bbug_report"}) {
    auto p =
        parse_feedback(nlohmann::json{{"id", "T-1"}, {"label", padded}}.dump(), {"bug_report"});
    ASSERT_TRUE(std::holds_alternative<FeedbackBody>(p)) << padded;
    EXPECT_EQ(std::get<FeedbackBody>(p).label, "bug_report");
  }
  for (const char* invisible : {"\u00a0", "\u200b", "\u200e\u200f", "\x1b", "\u009b", "\x7f"}) {
    auto p =
        parse_feedback(nlohmann::json{{"id", "T-1"}, {"label", invisible}}.dump(), {"bug_report"});
    ASSERT_TRUE(std::holds_alternative<BodyError>(p)) << invisible;
    EXPECT_EQ(std::get<BodyError>(p).status, 400);
    EXPECT_EQ(std::get<BodyError>(p).message,
              "\"label\" holds only spaces or characters that do not show; send the correct "
              "label of the item");
  }
}

// A label written decomposed ("u" + U+0308, as macOS clients send it) is the label "ü": it had
// been refused with a "did you mean" that looked exactly like what was sent. The same letters in
// a compatibility form (half-width katakana) or another case are named as such, not guessed at.
TEST(FeedbackBody, ALabelInAnotherUnicodeFormIsReadOrNamed) {
  auto nfd = parse_feedback(R"({"id":"T-1","label":"Ku\u0308ndigung"})", {"K\u00fcndigung"});
  ASSERT_TRUE(std::holds_alternative<FeedbackBody>(nfd));
  EXPECT_EQ(std::get<FeedbackBody>(nfd).label, "K\u00fcndigung");
  // A set recorded by a model trained on the decomposed spelling keeps it.
  auto kept = parse_feedback(R"({"id":"T-1","label":"Ku\u0308ndigung"})", {"Ku\u0308ndigung"});
  ASSERT_TRUE(std::holds_alternative<FeedbackBody>(kept));
  EXPECT_EQ(std::get<FeedbackBody>(kept).label, "Ku\u0308ndigung");
  auto half = parse_feedback(R"({"id":"T-1","label":"\uff9b\uff78\uff9e\uff72\uff9d"})",
                             {"\u30ed\u30b0\u30a4\u30f3", "billing"});
  ASSERT_TRUE(std::holds_alternative<BodyError>(half));
  EXPECT_EQ(std::get<BodyError>(half).status, 422);
  EXPECT_THAT(std::get<BodyError>(half).message,
              HasSubstr("(did you mean '\u30ed\u30b0\u30a4\u30f3'? The same letters in another "
                        "Unicode form"));
  // Spacing and letter case are named as what differs (two spaces had been called a Unicode
  // form), and a label with a character that does not show is given as it is spelt too.
  auto spaced = parse_feedback(R"({"id":"T-1","label":"Bug  report"})", {"Bug report"});
  ASSERT_TRUE(std::holds_alternative<BodyError>(spaced));
  EXPECT_THAT(std::get<BodyError>(spaced).message, HasSubstr("spaced otherwise"));
  auto cased = parse_feedback(R"({"id":"T-1","label":"BILLING"})", {"billing"});
  ASSERT_TRUE(std::holds_alternative<BodyError>(cased));
  EXPECT_THAT(std::get<BodyError>(cased).message, HasSubstr("another letter case"));
  auto umlaut = parse_feedback(R"({"id":"T-1","label":"R\u00dcCKGABE"})", {"R\u00fcckgabe"});
  ASSERT_TRUE(std::holds_alternative<BodyError>(umlaut));
  EXPECT_THAT(std::get<BodyError>(umlaut).message, HasSubstr("another letter case"));
  auto hidden = parse_feedback(R"({"id":"T-1","label":"bill\u200bing"})", {"billing"});
  ASSERT_TRUE(std::holds_alternative<BodyError>(hidden));
  EXPECT_THAT(std::get<BodyError>(hidden).message,
              HasSubstr("It holds a character that does not show"));
  const std::string coder = "\U0001F469\u200D\U0001F4BB perf";
  auto joined = parse_feedback(
      nlohmann::json{{"id", "T-1"}, {"label", "\U0001F469\u200D\U0001F4BB PERF"}}.dump(), {coder});
  ASSERT_TRUE(std::holds_alternative<BodyError>(joined));
  EXPECT_THAT(std::get<BodyError>(joined).message,
              HasSubstr("did you mean '" + coder + "' (written"));
}

// A slip of spelling and case at once ("BILING") is one letter from "billing": it had got no
// suggestion and an invitation to keep it as a new category.
TEST(FeedbackBody, ASpellingSlipInAnotherCaseIsSuggested) {
  const std::vector<std::string> labels = {"billing", "bug_report", "login"};
  for (auto [sent, meant] : {std::pair{"BILING", "billing"}, std::pair{"Bug_Reprt", "bug_report"},
                             std::pair{"Logn", "login"}}) {
    auto r = parse_feedback(nlohmann::json{{"id", "T-1"}, {"label", sent}}.dump(), labels);
    ASSERT_TRUE(std::holds_alternative<BodyError>(r)) << sent;
    EXPECT_THAT(
        std::get<BodyError>(r).message,
        AllOf(HasSubstr(fmt::format("did you mean '{}'?", meant)), Not(HasSubstr("--new-labels"))))
        << sent;
  }
}

// Two labels as near as each other: both named ("account access" and "account-access" are two
// teams' labels), not the first one met.
TEST(FeedbackBody, LabelsEquallyNearAreAllSuggested) {
  const std::vector<std::string> labels = {"account access", "account-access", "billing"};
  auto r =
      parse_feedback(nlohmann::json{{"id", "T-1"}, {"label", "account_access"}}.dump(), labels);
  ASSERT_TRUE(std::holds_alternative<BodyError>(r));
  EXPECT_THAT(std::get<BodyError>(r).message,
              HasSubstr("did you mean 'account access' or 'account-access'?"));
}

// An "at" in Unix seconds (1740830400, 2025-03-01) read as milliseconds is January 1970: a
// replay clock that never goes back had moved every such request to its own time, all on one
// day, without a word. Refused, saying what was probably meant.
TEST(ClassifyBody, AnAtInSecondsIsRefusedWithTheMillisecondsMeant) {
  auto seconds = parse_classify(R"({"text":"late parcel","at":1740830400})");
  ASSERT_TRUE(std::holds_alternative<BodyError>(seconds));
  EXPECT_EQ(std::get<BodyError>(seconds).status, 400);
  EXPECT_THAT(std::get<BodyError>(seconds).message, HasSubstr("send 1740830400000"));
  auto ms = parse_classify(R"({"text":"late parcel","at":1740830400000})");
  ASSERT_TRUE(std::holds_alternative<ClassifyBody>(ms));
  EXPECT_EQ(std::get<ClassifyBody>(ms).at_ms, 1740830400000);
  auto feedback = parse_feedback(R"({"id":"T-1","label":"billing","at":1740830400})", {"billing"});
  ASSERT_TRUE(std::holds_alternative<BodyError>(feedback));
  // Each other refusal says why for what was sent (0 had been told to send 0).
  for (auto [at, why] :
       {std::pair{"0", "0 is no time of a request"}, std::pair{"-1", "a time before 1970 is none"},
        std::pair{"1e12", "no fraction or exponent"},
        std::pair{"1740830400000.5", "no fraction or exponent"},
        std::pair{"\"03/01/2025\"", "'03/01/2025' is not one"}}) {
    auto r = parse_classify(fmt::format(R"({{"text":"late parcel","at":{}}})", at));
    ASSERT_TRUE(std::holds_alternative<BodyError>(r)) << at;
    EXPECT_THAT(std::get<BodyError>(r).message, HasSubstr(why)) << at;
    EXPECT_THAT(std::get<BodyError>(r).message, Not(HasSubstr("send 0"))) << at;
  }
  // A fraction of a second keeps its milliseconds; a lower-case z is RFC 3339's too.
  auto fraction = parse_classify(R"({"text":"late parcel","at":"2025-03-08T01:00:00.250z"})");
  ASSERT_TRUE(std::holds_alternative<ClassifyBody>(fraction));
  EXPECT_EQ(std::get<ClassifyBody>(fraction).at_ms, 1741395600250);
}

// An id's surrounding whitespace goes in classify and feedback alike, as `tunecase feedback`
// trims an id cell: a padded id from one system and the export's plain one name one item (the
// classify id had been kept padded, and the export's feedback found nothing: 404).
TEST(FeedbackBody, SurroundingSpacesOfAnIdGoInClassifyAndFeedback) {
  auto classify = parse_classify(R"({"text":"late parcel","id":" T-1\t"})");
  ASSERT_TRUE(std::holds_alternative<ClassifyBody>(classify));
  EXPECT_EQ(std::get<ClassifyBody>(classify).id, "T-1");
  auto feedback = parse_feedback(R"({"id":"T-1 ","label":"bug_report"})", {"bug_report"});
  ASSERT_TRUE(std::holds_alternative<FeedbackBody>(feedback));
  EXPECT_EQ(std::get<FeedbackBody>(feedback).id, "T-1");
  auto by_prediction = parse_feedback(
      R"({"prediction_id":" 0123456789abcdef0123456789abcdef\n","label":"bug_report"})",
      {"bug_report"});
  ASSERT_TRUE(std::holds_alternative<FeedbackBody>(by_prediction));
  EXPECT_EQ(std::get<FeedbackBody>(by_prediction).id, "0123456789abcdef0123456789abcdef");
  // Inner spaces are the id's own; an id of spaces alone is no id.
  EXPECT_EQ(std::get<ClassifyBody>(parse_classify(R"({"text":"a","id":"T 1"})")).id, "T 1");
  EXPECT_EQ(std::get<ClassifyBody>(parse_classify(R"({"text":"a","id":"  "})")).id, "");
}

// A NUL character in a field the store keeps is refused: PostgreSQL cuts text at it, and two ids
// that differ after it had become one item there (SQLite kept them apart).
TEST(ClassifyBody, ANulCharacterInAKeptFieldIsA400) {
  for (const char* body :
       {R"({"text":"late","id":"CASE-7\u0000a"})", R"({"text":"late","segment":"s\u0000eg"})",
        R"({"text":"late\u0000parcel"})"}) {
    auto r = parse_classify(body);
    ASSERT_TRUE(std::holds_alternative<BodyError>(r)) << body;
    EXPECT_EQ(std::get<BodyError>(r).status, 400);
    EXPECT_THAT(std::get<BodyError>(r).message, HasSubstr("holds a NUL character")) << body;
  }
  auto fb = parse_feedback(R"({"id":"CASE-7\u0000a","label":"bug"})", {"bug"});
  ASSERT_TRUE(std::holds_alternative<BodyError>(fb));
  EXPECT_THAT(std::get<BodyError>(fb).message, HasSubstr("holds a NUL character"));
  // An empty id is said to be empty (it had read "send exactly one of id and prediction_id").
  auto empty = parse_feedback(R"({"id":"","label":"bug"})", {"bug"});
  ASSERT_TRUE(std::holds_alternative<BodyError>(empty));
  EXPECT_THAT(std::get<BodyError>(empty).message, HasSubstr("\"id\" is empty"));
}

// An id past 64 bits reads as a floating-point number: said so, with what to send instead.
TEST(ClassifyBody, AnIdTooLargeForAnIntegerSaysToSendAString) {
  for (const char* body :
       {R"({"text":"late","id":123456789012345678901234567890})", R"({"text":"late","id":1.5})"}) {
    auto r = parse_classify(body);
    ASSERT_TRUE(std::holds_alternative<BodyError>(r)) << body;
    EXPECT_EQ(std::get<BodyError>(r).message,
              "\"id\" is a number that is not a whole number of at most 64 bits; send the id as "
              "a string");
  }
  auto big = parse_classify(R"({"text":"late","id":18446744073709551615})");
  ASSERT_TRUE(std::holds_alternative<ClassifyBody>(big));
  EXPECT_EQ(std::get<ClassifyBody>(big).id, "18446744073709551615");
}

TEST(AnswerBody, IsTheDumpOfItsDocument) {
  std::mt19937_64 rng(9);
  const std::vector<std::string> texts = {"billing", "caf\xc3\xa9 \"q\"", "", "line\nbreak"};
  for (int i = 0; i < 2000; ++i) {
    ClassifyAnswer a;
    if (rng() % 4) a.label = texts[rng() % texts.size()];
    a.needs_human = rng() % 2;
    if (rng() % 2) a.confidence = (rng() % 1000) / 997.0;
    a.approach = texts[rng() % texts.size()];
    a.arm = rng() % 2 ? Arm::champion : Arm::challenger;
    a.prediction_id = "0123456789abcdef";
    a.model_version = texts[rng() % texts.size()];
    a.latency_ms = (rng() % 100000) / 7.0;
    if (rng() % 5 == 0) a.latency_ms = 0;
    a.simulated = rng() % 2;
    a.fallback = rng() % 2;
    ASSERT_EQ(answer_body(a), to_json(a).dump()) << "case #" << i;
  }
}

}  // namespace
}  // namespace tunecase::serve
