#include "tunecase/data/synthetic.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <random>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/data/shuffle.h"
#include "tunecase/data/synthetic_templates.h"

namespace tunecase {
namespace {

using synthetic::Category;

// Where agents' labels disagree in real queues: a share of each category's tickets reads like a
// neighbouring category's (a disputed charge filed as billing or as refund). This keeps a trained
// model honest (not 100%) in the way real traffic does, unlike uniform label noise.
constexpr double kBorderlineShare = 0.06;

const std::vector<std::string> kMonths = {"January",   "February", "March",    "April",
                                          "May",       "June",     "July",     "August",
                                          "September", "October",  "November", "December"};

// Our own draws from raw mt19937_64 output so that the tickets are identical everywhere.
struct Rng {
  std::mt19937_64 engine;
  uint64_t below(uint64_t n) { return uniform_below(engine, n); }
  double unit() { return static_cast<double>(engine() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
  template <class T>
  const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }
};

std::string slot_value(std::string_view slot, Rng& rng) {
  static const std::map<std::string_view, std::vector<std::string>> kSlots = {
      {"plan", {"Starter", "Team", "Business", "Enterprise"}},
      {"device",
       {"iPhone 14", "Pixel 7", "Galaxy S23", "iPad", "MacBook", "Windows laptop", "Chromebook",
        "Android tablet"}},
      {"browser", {"Chrome", "Firefox", "Safari", "Edge"}},
      {"app",
       {"Slack", "Google Calendar", "Outlook", "Microsoft Teams", "Salesforce", "HubSpot", "Zoom",
        "Zapier"}},
      {"email", {"it-admin@acme.com", "maria@globex.com", "ops@initech.com", "tom.b@hooli.com"}},
      {"idp", {"Okta", "Azure AD", "Google Workspace", "OneLogin"}},
      {"hw", {"room display", "desk sensor kit", "Hub", "door sign"}},
      {"name",
       {"Maria", "Tom", "Priya", "Lukas", "Aisha", "Chen", "Sofia", "David", "Emeka", "Yuki"}},
      {"company",
       {"Acme Logistics", "Northwind", "Globex", "Initech", "Umbrella Health", "Vandelay Imports",
        "Hooli", "Stark Legal", "Wayne Foods", "Pied Piper"}},
      {"address",
       {"12 Market Street, Leeds", "400 Harbor Blvd, Oakland", "Karl-Marx-Allee 90, Berlin",
        "7 Rue Cler, Paris", "55 King St W, Toronto"}},
  };
  if (auto it = kSlots.find(slot); it != kSlots.end()) return rng.pick(it->second);
  if (slot == "month") return rng.pick(kMonths);
  // Draws are sequenced one statement at a time: the order in which function arguments are
  // evaluated is unspecified, and the tickets must not depend on the compiler.
  if (slot == "date") {
    const std::string& month = rng.pick(kMonths);
    return fmt::format("{} {}", month, 1 + rng.below(28));
  }
  if (slot == "amount") {
    uint64_t dollars = 19 + rng.below(2400);
    return fmt::format("${}.{:02}", dollars, rng.chance(0.5) ? 0 : rng.below(100));
  }
  if (slot == "n") return std::to_string(2 + rng.below(39));
  if (slot == "order") return fmt::format("BD-{}", 10000 + rng.below(90000));
  if (slot == "invoice") return fmt::format("INV-{}", 100000 + rng.below(900000));
  if (slot == "po") return fmt::format("PO-{}", 1000 + rng.below(9000));
  if (slot == "vat") return fmt::format("EU{}", 100000000 + rng.below(900000000));
  if (slot == "code") return fmt::format("E{}", 100 + rng.below(9900));
  if (slot == "room") {
    uint64_t floor = 1 + rng.below(6);
    return fmt::format("{}.{:02}", floor, rng.below(40));
  }
  return std::string(slot);
}

// Expands "[a|b]" alternatives and "{slot}" fills; alternatives may hold slots.
std::string expand(std::string_view tpl, Rng& rng) {
  std::string out;
  for (std::size_t i = 0; i < tpl.size(); ++i) {
    char c = tpl[i];
    if (c == '[') {
      std::size_t end = tpl.find(']', i);
      std::vector<std::string_view> options;
      std::size_t start = i + 1;
      for (std::size_t j = start; j <= end; ++j)
        if (j == end || tpl[j] == '|')
          options.push_back(tpl.substr(start, j - start)), start = j + 1;
      out += expand(options[rng.below(options.size())], rng);
      i = end;
    } else if (c == '{') {
      std::size_t end = tpl.find('}', i);
      out += slot_value(tpl.substr(i + 1, end - i - 1), rng);
      i = end;
    } else {
      out += c;
    }
  }
  return out;
}

// A typo in a word: two letters swapped, one dropped, or one doubled.
void add_typos(std::string& text, double rate, Rng& rng) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && std::isalpha(static_cast<unsigned char>(text[j]))) ++j;
    std::string word = text.substr(i, j - i);
    if (word.size() >= 4 && rng.chance(rate)) {
      std::size_t p = 1 + rng.below(word.size() - 2);
      switch (rng.below(3)) {
        case 0:
          std::swap(word[p], word[p + 1]);
          break;
        case 1:
          word.erase(p, 1);
          break;
        default:
          word.insert(p, 1, word[p]);
          break;
      }
    }
    out += word;
    if (j < text.size()) out += text[j];
    i = j + 1;
  }
  text = std::move(out);
}

std::string lower_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

// The body of one ticket of `cat`; `leaky` makes it speak of the launched feature.
std::string compose(const Category& cat, bool leaky, Rng& rng) {
  if (!leaky && rng.chance(0.15)) return expand(rng.pick(cat.brief), rng);
  std::vector<std::string> parts;
  if (rng.chance(0.5)) parts.push_back(expand(rng.pick(synthetic::openers()), rng));
  parts.push_back(expand(leaky ? rng.pick(cat.leak) : rng.pick(cat.main), rng));
  if (rng.chance(0.45)) parts.push_back(expand(rng.pick(cat.detail), rng));
  if (rng.chance(0.25)) parts.push_back(expand(rng.pick(synthetic::common_details()), rng));
  if (rng.chance(0.45)) parts.push_back(expand(rng.pick(synthetic::closers()), rng));
  std::string text;
  for (const auto& p : parts) text += (text.empty() ? "" : " ") + p;
  return text;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

std::string civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return fmt::format("{:04}-{:02}-{:02}", yoe + era * 400 + (m <= 2), m, d);
}

struct Date {
  int64_t y, m, d;
};

Date parse_start(const std::string& s) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 ||
      d > 28)
    throw UserError(
        fmt::format("synthetic tickets: start date '{}' is not YYYY-MM-DD with a day from 1 to 28; "
                    "use e.g. 2025-01-01",
                    s));
  return {y, m, d};
}

// Day number of the first day of month `k` after `start`.
int64_t month_start(const Date& start, int k) {
  int64_t months = start.m - 1 + k;
  return days_from_civil(start.y + months / 12, months % 12 + 1, start.d);
}

void check(const SyntheticOptions& o) {
  auto share = [](double x) { return x >= 0 && x <= 1; };
  if (o.months < 1 || !share(o.label_noise) || !share(o.ambiguous_share))
    throw UserError(fmt::format(
        "synthetic tickets: need months >= 1 and label_noise, ambiguous_share in [0, 1] (got {}, "
        "{}, {})",
        o.months, o.label_noise, o.ambiguous_share));
}

}  // namespace

std::vector<SyntheticTicket> generate_tickets(const SyntheticOptions& options) {
  check(options);
  const Date start = parse_start(options.start_date);
  Rng rng{std::mt19937_64(options.seed)};
  const auto& base = synthetic::base_categories();

  // Traffic grows a little month over month; the month decides which categories exist.
  std::vector<double> month_weight;
  for (int k = 0; k < options.months; ++k) month_weight.push_back(1.0 + 0.04 * k);
  double month_total = 0;
  for (double w : month_weight) month_total += w;

  std::vector<SyntheticTicket> tickets;
  tickets.reserve(options.tickets);
  for (std::size_t i = 0; i < options.tickets; ++i) {
    double r = rng.unit() * month_total;
    int month = 0;
    while (month + 1 < options.months && r >= month_weight[month]) r -= month_weight[month++];
    const bool launched = month + 1 >= options.drift_month;

    std::vector<const Category*> live;
    for (const auto& c : base) live.push_back(&c);
    if (launched) live.push_back(&synthetic::launch_category());
    double total = 0;
    for (auto* c : live) total += c->weight;
    double x = rng.unit() * total;
    std::size_t ci = 0;
    while (ci + 1 < live.size() && x >= live[ci]->weight) x -= live[ci++]->weight;
    const Category& cat = *live[ci];

    SyntheticTicket t;
    t.after_launch = launched;
    bool leaky = launched && !cat.leak.empty() && rng.chance(0.25);
    const Category* voice = &cat;
    if (!leaky && rng.chance(kBorderlineShare))
      voice = &synthetic::category_named(rng.pick(synthetic::neighbours(cat.name)));
    t.text = compose(*voice, leaky, rng);
    if (rng.chance(options.ambiguous_share)) {
      const Category* other = live[rng.below(live.size())];
      if (other == &cat) other = live[(ci + 1) % live.size()];
      std::string prefix = expand(rng.pick(synthetic::also_prefixes()), rng);
      std::string second = lower_first(expand(rng.pick(other->main), rng));
      t.text.append(" ").append(prefix).append(second);
      t.ambiguous = true;
    }
    add_typos(t.text, 0.02, rng);
    if (rng.chance(0.12)) {
      for (char& ch : t.text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    t.category = cat.name;
    if (rng.chance(options.label_noise)) {
      std::size_t wrong = rng.below(live.size() - 1);
      t.category = live[wrong >= ci ? wrong + 1 : wrong]->name;
      t.noisy_label = true;
    }
    int64_t d0 = month_start(start, month), d1 = month_start(start, month + 1);
    int64_t day = d0 + static_cast<int64_t>(rng.below(static_cast<uint64_t>(d1 - d0)));
    uint64_t hour = rng.chance(0.8) ? 8 + rng.below(11) : rng.below(24);
    uint64_t minute = rng.below(60);
    uint64_t second = rng.below(60);
    t.created_at = fmt::format("{}T{:02}:{:02}:{:02}Z", civil_from_days(day), hour, minute, second);
    tickets.push_back(std::move(t));
  }
  std::stable_sort(tickets.begin(), tickets.end(),
                   [](const auto& a, const auto& b) { return a.created_at < b.created_at; });
  for (std::size_t i = 0; i < tickets.size(); ++i) tickets[i].id = fmt::format("T{:06}", i + 1);
  return tickets;
}

std::map<std::string, std::string> synthetic_label_descriptions() {
  std::map<std::string, std::string> out;
  for (const auto& c : synthetic::base_categories()) out[c.name] = c.description;
  out[synthetic::launch_category().name] = synthetic::launch_category().description;
  return out;
}

}  // namespace tunecase
