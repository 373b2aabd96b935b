#include "tunecase/privacy/pii_generator.h"

#include <algorithm>
#include <random>
#include <set>

#include <fmt/format.h>

#include "tunecase/privacy/checksums.h"

namespace tunecase {
namespace {

using Rng = std::mt19937_64;

// Portable draws (std::uniform_int_distribution differs between standard libraries).
uint64_t below(Rng& rng, uint64_t n) {
  return rng() % n;
}
template <class T>
const T& pick(Rng& rng, const std::vector<T>& v) {
  return v[below(rng, v.size())];
}
std::string digits(Rng& rng, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += static_cast<char>('0' + below(rng, 10));
  return out;
}

const std::vector<std::string> kFirst = {"anna",  "john", "maria", "li",    "omar",
                                         "sofia", "jan",  "priya", "lukas", "chloe"};
const std::vector<std::string> kLast = {"smith", "garcia", "mueller", "chen",
                                        "khan",  "rossi",  "novak",   "dubois"};
const std::vector<std::string> kDomains = {"example.com", "mail.example.org", "corp.example.net",
                                           "example.co.uk", "post.example.de"};

std::string email(Rng& rng) {
  std::string sep = pick(rng, std::vector<std::string>{".", "_", "", "-"});
  std::string local = pick(rng, kFirst) + sep + pick(rng, kLast);
  if (below(rng, 3) == 0) local += digits(rng, 2);
  if (below(rng, 6) == 0) local += "+tickets";
  std::string out = local + "@" + pick(rng, kDomains);
  if (below(rng, 8) == 0)
    std::transform(out.begin(), out.end(), out.begin(), [](char c) { return std::toupper(c); });
  return out;
}

std::string card(Rng& rng) {
  std::string prefix = pick(rng, std::vector<std::string>{"4", "51", "55", "37", "6011"});
  int length = prefix == "37" ? 15 : 16;
  std::string body = prefix + digits(rng, length - 1 - static_cast<int>(prefix.size()));
  for (char check = '0'; check <= '9'; ++check)
    if (luhn_valid(body + check)) {
      body += check;
      break;
    }
  int style = static_cast<int>(below(rng, 3));
  if (style == 0) return body;
  std::string out;
  char sep = style == 1 ? ' ' : '-';
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (i > 0 && i % 4 == 0) out += sep;
    out += body[i];
  }
  return out;
}

std::string iban(Rng& rng, bool valid) {
  struct Country {
    const char* code;
    int length;
  };
  static const std::vector<Country> countries = {{"DE", 22}, {"FR", 27}, {"GB", 22},
                                                 {"NL", 18}, {"ES", 24}, {"IT", 27}};
  Country c = pick(rng, countries);
  std::string bban = c.code == std::string("GB") || c.code == std::string("NL")
                         ? std::string("NWBK").substr(0, 4) + digits(rng, c.length - 8)
                         : digits(rng, c.length - 4);
  std::string out;
  for (int check = 2; check <= 98; ++check) {
    out = fmt::format("{}{:02d}{}", c.code, check, bban);
    if (iban_valid(out) == valid) break;
  }
  if (below(rng, 2) == 0) {
    std::string spaced;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (i > 0 && i % 4 == 0) spaced += ' ';
      spaced += out[i];
    }
    return spaced;
  }
  return out;
}

std::string phone(Rng& rng) {
  switch (below(rng, 6)) {
    case 0:
      return fmt::format("+44 20 {} {}", digits(rng, 4), digits(rng, 4));
    case 1:
      return fmt::format("({}) {}-{}", 200 + below(rng, 700), digits(rng, 3), digits(rng, 4));
    case 2:
      return fmt::format("+1-{}-{}-{}", 200 + below(rng, 700), digits(rng, 3), digits(rng, 4));
    case 3:
      return fmt::format("0{} {}", 30 + below(rng, 60), digits(rng, 7));
    case 4:
      return fmt::format("+49{}", digits(rng, 10));
    default:
      return fmt::format("07{}", digits(rng, 9));
  }
}

std::string ip(Rng& rng) {
  if (below(rng, 4) == 0)
    return fmt::format("2001:db8:{:x}::{:x}", below(rng, 65536), 1 + below(rng, 65535));
  return fmt::format("{}.{}.{}.{}", 1 + below(rng, 223), below(rng, 256), below(rng, 256),
                     1 + below(rng, 254));
}

std::string url(Rng& rng) {
  std::string host =
      pick(rng, std::vector<std::string>{"https://", "http://", "www."}) + pick(rng, kDomains);
  return host + pick(rng, std::vector<std::string>{"", "/account", "/orders/" + digits(rng, 6),
                                                   "/reset?token=" + digits(rng, 8)});
}

// Look-alikes that are not personal data.
std::string distractor(Rng& rng) {
  switch (below(rng, 10)) {
    case 0:
      return "order " + digits(rng, 8);
    case 1:
      return fmt::format("2024-{:02d}-{:02d}", 1 + below(rng, 12), 1 + below(rng, 28));
    case 2:
      return fmt::format("{}.{:02d}.2025", 1 + below(rng, 28), 1 + below(rng, 12));
    case 3:
      return fmt::format("${}.{:02d}", below(rng, 2000), below(rng, 100));
    case 4:
      return fmt::format("version {}.{}.{}", below(rng, 10), below(rng, 20), below(rng, 50));
    case 5:
      return fmt::format("at {:02d}:{:02d}", below(rng, 24), below(rng, 60));
    case 6:
      return "tracking 1Z" + digits(rng, 16);
    case 7: {  // a 16-digit reference that fails Luhn
      std::string ref = digits(rng, 16);
      while (luhn_valid(ref)) ref = digits(rng, 16);
      return "reference " + ref;
    }
    case 8:
      return "account " + iban(rng, false);
    default:
      return "ticket #" + digits(rng, 6);
  }
}

struct Slot {
  const char* kind;
  const char* before;
  const char* after;
};

const std::vector<Slot> kSlots = {
    {"email", "Please reply to ", " as soon as you can."},
    {"email", "My e-mail changed to ", "."},
    {"phone", "Call me back on ", " after 5pm."},
    {"phone", "my number is ", ", thanks"},
    {"card", "I was charged twice on card ", " yesterday."},
    {"card", "card number: ", "\n"},
    {"iban", "Refund to IBAN ", " please."},
    {"iban", "bank account ", " (business)."},
    {"ip", "Login blocked from ", " again."},
    {"ip", "the server at ", " times out"},
    {"url", "See ", " for the screenshot."},
    {"url", "the link (", ") is broken"},
};

std::string value_of(Rng& rng, const std::string& kind) {
  if (kind == "email") return email(rng);
  if (kind == "phone") return phone(rng);
  if (kind == "card") return card(rng);
  if (kind == "iban") return iban(rng, true);
  if (kind == "ip") return ip(rng);
  return url(rng);
}

}  // namespace

std::vector<LabelledPiiText> generate_pii_tickets(std::size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<LabelledPiiText> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    LabelledPiiText t;
    t.text = pick(rng, std::vector<std::string>{"Hello, ", "Hi team. ", "", "Urgent: "});
    int parts = 1 + static_cast<int>(below(rng, 3));
    for (int p = 0; p < parts; ++p) {
      t.text += "Regarding " + distractor(rng) + ". ";
      const Slot& slot = pick(rng, kSlots);
      std::string value = value_of(rng, slot.kind);
      t.text += slot.before;
      t.spans.push_back({t.text.size(), t.text.size() + value.size(), slot.kind});
      t.text += value;
      t.text += slot.after;
      t.text += " ";
    }
    t.text += "Thanks, " + pick(rng, kFirst);
    out.push_back(std::move(t));
  }
  return out;
}

double DetectorScore::precision() const {
  int64_t flagged = true_positives + false_positives;
  return flagged == 0 ? 1.0 : static_cast<double>(true_positives) / flagged;
}

double DetectorScore::recall() const {
  int64_t truth = true_positives + false_negatives;
  return truth == 0 ? 1.0 : static_cast<double>(true_positives) / truth;
}

std::vector<DetectorScore> score_detectors(const std::vector<LabelledPiiText>& texts,
                                           const std::vector<std::vector<PiiSpan>>& found,
                                           const std::vector<std::string>& kinds) {
  std::vector<DetectorScore> out;
  for (const auto& kind : kinds) {
    DetectorScore s{kind};
    for (std::size_t i = 0; i < texts.size(); ++i) {
      std::set<std::pair<std::size_t, std::size_t>> truth, got;
      for (const auto& span : texts[i].spans)
        if (span.kind == kind) truth.insert({span.begin, span.end});
      for (const auto& span : found[i])
        if (span.kind == kind) got.insert({span.begin, span.end});
      for (const auto& g : got) (truth.count(g) ? s.true_positives : s.false_positives) += 1;
      for (const auto& t : truth) s.false_negatives += got.count(t) ? 0 : 1;
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace tunecase
