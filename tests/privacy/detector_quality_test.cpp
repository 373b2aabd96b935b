// Precision and recall of every detector on the synthetic labelled tickets (pii_generator.h):
// the figures of docs/privacy.md. Reproduce them with
//   build/tests/test_privacy --gtest_filter='DetectorQuality.*'
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "tunecase/privacy/pii_generator.h"
#include "tunecase/privacy/redactor.h"

namespace tunecase {
namespace {

TEST(DetectorQuality, PrecisionAndRecallOnSyntheticTicketsAreHigh) {
  auto tickets = generate_pii_tickets(5000, 2026);
  Redactor r(RedactionRules{builtin_pii_kinds(), {}});
  std::vector<std::vector<PiiSpan>> found;
  std::size_t spans = 0;
  for (const auto& t : tickets) {
    found.push_back(r.detect(t.text));
    spans += t.spans.size();
  }
  std::string table = fmt::format(
      "{} tickets, {} true spans\n| kind | precision | recall | TP | FP | FN "
      "|\n|---|---|---|---|---|---|\n",
      tickets.size(), spans);
  for (const auto& s : score_detectors(tickets, found, builtin_pii_kinds())) {
    table += fmt::format("| {} | {:.4f} | {:.4f} | {} | {} | {} |\n", s.kind, s.precision(),
                         s.recall(), s.true_positives, s.false_positives, s.false_negatives);
    EXPECT_GE(s.precision(), 0.95) << s.kind;
    EXPECT_GE(s.recall(), 0.95) << s.kind;
  }
  std::cout << table;
}

TEST(DetectorQuality, GeneratorIsDeterministicAndItsSpansHoldTheValues) {
  auto a = generate_pii_tickets(50, 1), b = generate_pii_tickets(50, 1);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].text, b[i].text);
    for (const auto& s : a[i].spans) {
      EXPECT_LT(s.begin, s.end);
      EXPECT_LE(s.end, a[i].text.size());
    }
  }
}

}  // namespace
}  // namespace tunecase
