#include "tunecase/data/synthetic.h"

#include <algorithm>
#include <chrono>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tunecase/core/error.h"

namespace tunecase {
namespace {

const std::vector<SyntheticTicket>& default_tickets() {
  static const auto tickets = generate_tickets(SyntheticOptions{});
  return tickets;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::size_t word_count(const std::string& s) {
  std::size_t words = 0;
  bool in_word = false;
  for (char c : s) {
    bool space = c == ' ';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

TEST(Synthetic, SameSeedGivesSameTickets) {
  SyntheticOptions o;
  o.tickets = 500;
  auto a = generate_tickets(o), b = generate_tickets(o);
  ASSERT_EQ(a.size(), 500u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].text, b[i].text);
    EXPECT_EQ(a[i].category, b[i].category);
    EXPECT_EQ(a[i].created_at, b[i].created_at);
    EXPECT_EQ(a[i].noisy_label, b[i].noisy_label);
  }
}

TEST(Synthetic, KnownSeedGivesKnownFirstTicket) {
  // Pins the stream: a change here means every user's demo data changed.
  const auto& t = default_tickets().front();
  EXPECT_EQ(t.id, "T000001");
  EXPECT_EQ(t.created_at.substr(0, 10), "2025-01-01");
  EXPECT_FALSE(t.text.empty());
}

TEST(Synthetic, DifferentSeedGivesDifferentTickets) {
  SyntheticOptions o;
  o.tickets = 200;
  auto a = generate_tickets(o);
  o.seed = 43;
  auto b = generate_tickets(o);
  std::size_t same = 0;
  for (std::size_t i = 0; i < a.size(); ++i) same += a[i].text == b[i].text ? 1 : 0;
  EXPECT_LT(same, 20u);
}

TEST(Synthetic, HasAtLeastTenImbalancedCategories) {
  std::map<std::string, std::size_t> counts;
  for (const auto& t : default_tickets()) ++counts[t.category];
  EXPECT_GE(counts.size(), 11u);  // 11 from the start + 1 launched
  auto [lo, hi] = std::minmax_element(counts.begin(), counts.end(),
                                      [](auto& x, auto& y) { return x.second < y.second; });
  EXPECT_GE(hi->second, 3 * lo->second);
}

TEST(Synthetic, NewCategoryOnlyFromDriftMonth) {
  std::size_t launched = 0;
  for (const auto& t : default_tickets()) {
    EXPECT_EQ(t.after_launch, t.created_at >= "2025-08-01") << t.id << " " << t.created_at;
    if (t.category == "smart_scheduling") {
      ++launched;
      EXPECT_TRUE(t.after_launch) << t.id;
    }
  }
  EXPECT_GT(launched, 100u);
}

TEST(Synthetic, LaunchVocabularyLeaksIntoOtherCategoriesAfterLaunchOnly) {
  std::size_t leaked = 0;
  for (const auto& t : default_tickets()) {
    bool mentions = lower(t.text).find("autopilot") != std::string::npos;
    if (!t.after_launch) {
      EXPECT_FALSE(mentions) << t.id << ": " << t.text;
    }
    if (t.after_launch && mentions && t.category != "smart_scheduling") ++leaked;
  }
  EXPECT_GT(leaked, 100u);
}

TEST(Synthetic, NoLaunchWhenDriftMonthIsAfterTheLastMonth) {
  SyntheticOptions o;
  o.tickets = 1000;
  o.drift_month = 13;
  for (const auto& t : generate_tickets(o)) {
    EXPECT_NE(t.category, "smart_scheduling");
    EXPECT_FALSE(t.after_launch);
  }
}

TEST(Synthetic, TimestampsOrderedWithinTwelveMonths) {
  const auto& tickets = default_tickets();
  for (std::size_t i = 0; i < tickets.size(); ++i) {
    const auto& t = tickets[i];
    ASSERT_EQ(t.created_at.size(), 20u) << t.created_at;  // YYYY-MM-DDTHH:MM:SSZ
    EXPECT_GE(t.created_at, "2025-01-01T00:00:00Z");
    EXPECT_LT(t.created_at, "2026-01-01T00:00:00Z");
    if (i > 0) {
      EXPECT_LE(tickets[i - 1].created_at, t.created_at);
    }
    EXPECT_EQ(t.id, fmt::format("T{:06}", i + 1));
  }
  EXPECT_LT(tickets.front().created_at, "2025-01-10");
  EXPECT_GT(tickets.back().created_at, "2025-12-20");
}

TEST(Synthetic, NoiseAndAmbiguitySharesNearTheOptions) {
  const auto& tickets = default_tickets();
  double noisy = 0, ambiguous = 0;
  for (const auto& t : tickets) noisy += t.noisy_label, ambiguous += t.ambiguous;
  EXPECT_NEAR(noisy / tickets.size(), 0.03, 0.01);
  EXPECT_NEAR(ambiguous / tickets.size(), 0.08, 0.015);
}

TEST(Synthetic, LabelNamesRarelyAppearVerbatim) {
  std::size_t verbatim = 0;
  for (const auto& t : default_tickets()) {
    std::string name = t.category;
    std::replace(name.begin(), name.end(), '_', ' ');
    verbatim += lower(t.text).find(name) != std::string::npos ? 1 : 0;
  }
  EXPECT_LT(verbatim, default_tickets().size() / 10);
}

TEST(Synthetic, TextsVaryInLengthAndWording) {
  std::set<std::string> distinct;
  std::size_t shortest = 1000, longest = 0;
  for (const auto& t : default_tickets()) {
    distinct.insert(t.text);
    shortest = std::min(shortest, word_count(t.text));
    longest = std::max(longest, word_count(t.text));
  }
  EXPECT_GT(distinct.size(), default_tickets().size() * 8 / 10);
  EXPECT_LE(shortest, 4u);
  EXPECT_GE(longest, 35u);
}

TEST(Synthetic, DescriptionsCoverEveryCategory) {
  auto descriptions = synthetic_label_descriptions();
  std::set<std::string> seen;
  for (const auto& t : default_tickets()) seen.insert(t.category);
  for (const auto& label : seen) {
    ASSERT_TRUE(descriptions.count(label)) << label;
    EXPECT_FALSE(descriptions[label].empty());
  }
  EXPECT_EQ(descriptions.size(), seen.size());
}

TEST(Synthetic, SixThousandTicketsWellUnderASecond) {
  auto start = std::chrono::steady_clock::now();
  auto tickets = generate_tickets(SyntheticOptions{});
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(tickets.size(), 6000u);
  EXPECT_LT(s, 3.0);  // ~0.1 s in a release build; slack for sanitizer builds
}

TEST(Synthetic, InvalidOptionsAreUserErrors) {
  SyntheticOptions o;
  o.months = 0;
  EXPECT_THROW(generate_tickets(o), UserError);
  o = SyntheticOptions{};
  o.start_date = "01/02/2025";
  EXPECT_THROW(generate_tickets(o), UserError);
  o = SyntheticOptions{};
  o.label_noise = 1.5;
  EXPECT_THROW(generate_tickets(o), UserError);
}

TEST(Synthetic, StartDateAndMonthsShapeTheCalendar) {
  SyntheticOptions o;
  o.tickets = 300;
  o.start_date = "2024-11-15";
  o.months = 3;
  for (const auto& t : generate_tickets(o)) {
    EXPECT_GE(t.created_at, "2024-11-15");
    EXPECT_LT(t.created_at, "2025-02-15");
  }
}

}  // namespace
}  // namespace tunecase
