#include "tunecase/privacy/detectors.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

#include <utf8proc.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "tunecase/core/ascii_case.h"
#include "tunecase/privacy/checksums.h"

namespace tunecase {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_alpha(char c) {
  return is_lower(c) || is_upper(c);
}
bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_word(char c) {
  return is_alnum(c) || c == '_';
}

bool email_local_char(char c) {
  return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
bool domain_char(char c) {
  return is_alnum(c) || c == '.' || c == '-';
}

// The length in bytes of a non-ASCII letter, digit or combining mark at `i` (a host of an
// internationalised domain: firma-müller.de, bücher.example), or 0.
// Scripts written without spaces between words (Han, kana, Thai, Lao, Khmer, Myanmar, Tibetan):
// a run of them beside an address is most often the sentence, not the address.
bool unspaced_script(utf8proc_int32_t cp) {
  return (cp >= 0x0E00 && cp <= 0x0EFF) || (cp >= 0x0F00 && cp <= 0x109F) ||
         (cp >= 0x1780 && cp <= 0x17FF) || (cp >= 0x3040 && cp <= 0x30FF) ||
         (cp >= 0x31F0 && cp <= 0x31FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFF66 && cp <= 0xFF9F) || (cp >= 0x20000 && cp <= 0x3FFFF);
}

// The length in bytes of a non-ASCII letter, digit or mark at `i` (an address of an
// internationalised domain: firma-müller.de, bücher.example), or 0; `unspaced` says whether it
// belongs to a script written without spaces.
std::size_t intl_char_at(std::string_view t, std::size_t i, bool* unspaced = nullptr) {
  if (i >= t.size() || static_cast<unsigned char>(t[i]) < 0x80) return 0;
  utf8proc_int32_t cp = 0;
  utf8proc_ssize_t n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(t.data() + i),
                                        static_cast<utf8proc_ssize_t>(t.size() - i), &cp);
  if (n <= 0) return 0;
  if (unspaced) *unspaced = unspaced_script(cp);
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ND:
      return static_cast<std::size_t>(n);
    default:
      return 0;
  }
}

// The length in bytes of a non-ASCII letter, digit or mark that ends just before `e` and is of
// a script without spaces (`unspaced`) or of a spaced one, or 0.
std::size_t intl_char_before(std::string_view t, std::size_t e, bool unspaced) {
  if (e == 0 || static_cast<unsigned char>(t[e - 1]) < 0x80) return 0;
  std::size_t b = e - 1;
  while (b > 0 && e - b < 4 && (static_cast<unsigned char>(t[b]) & 0xC0) == 0x80) --b;
  bool found_unspaced = false;
  std::size_t n = intl_char_at(t, b, &found_unspaced);
  return b + n == e && found_unspaced == unspaced ? n : 0;
}

// A mailbox's local part runs back over letters of spaced scripts (José.García@...); into a
// script without spaces only as far as kMaxUnspacedLocalPart, since where it would start is
// unknown there (請聯繫張偉@... would take the whole sentence).
std::size_t intl_char_before(std::string_view t, std::size_t e) {
  return intl_char_before(t, e, /*unspaced=*/false);
}
std::size_t unspaced_char_before(std::string_view t, std::size_t e) {
  return intl_char_before(t, e, /*unspaced=*/true);
}

// The most letters of a script without spaces taken as a mailbox's local part (山田@...): where
// the name starts in the sentence is unknown, so the words before it in the same run may go with
// it; a name is rarely longer.
constexpr int kMaxUnspacedLocalPart = 8;

// The end of a domain's characters from `e` on: ASCII letters, digits, '.', '-' and non-ASCII
// letters (an internationalised domain). A run of a script without spaces belongs to the domain
// only when a '.', '-', '/', ':' or '?' follows it (例え.jp, 例え.テスト/); otherwise it is the
// sentence going on (qq.com请回复).
std::size_t domain_end(std::string_view t, std::size_t e) {
  while (e < t.size()) {
    bool unspaced = false;
    if (domain_char(t[e])) {
      ++e;
    } else if (std::size_t n = intl_char_at(t, e, &unspaced); n > 0 && !unspaced) {
      e += n;
    } else if (n > 0) {
      std::size_t r = e;
      for (std::size_t m; (m = intl_char_at(t, r, &unspaced)) > 0 && unspaced;) r += m;
      if (r >= t.size() || std::strchr(".-/:?", t[r]) == nullptr) break;
      e = r;
    } else {
      break;
    }
  }
  return e;
}

// True when a match may start at `i`: the byte before is not part of a word or a number.
bool starts_word(std::string_view t, std::size_t i) {
  return i == 0 || !is_word(t[i - 1]);
}
bool ends_word(std::string_view t, std::size_t i) {
  return i >= t.size() || !is_word(t[i]);
}

// local@domain.tld; the domain's labels non-empty, its last label 2+ letters.
bool valid_domain(std::string_view d) {
  if (d.empty() || d.front() == '.' || d.find("..") != std::string_view::npos) return false;
  std::size_t dot = d.rfind('.');
  if (dot == std::string_view::npos || d.size() - dot - 1 < 2) return false;
  for (char c : d.substr(dot + 1))  // non-ASCII bytes are letters here (domain_end)
    if (!is_alpha(c) && static_cast<unsigned char>(c) < 0x80) return false;
  // A file name, not a domain: "icon@2x.png", "截图@2x.png" (no such top-level domains).
  static constexpr std::array<std::string_view, 40> kFileTypes = {
      "png", "jpg",  "jpeg", "gif", "svg",  "webp", "bmp",  "ico",  "heic", "heif",
      "tif", "tiff", "pdf",  "doc", "docx", "xls",  "xlsx", "ppt",  "pptx", "odt",
      "ods", "odp",  "rtf",  "txt", "csv",  "json", "xml",  "html", "htm",  "css",
      "js",  "gz",   "tgz",  "rar", "wav",  "avi",  "mkv",  "log",  "yaml", "yml"};
  const std::string tld = ascii_lower(d.substr(dot + 1));
  return std::find(kFileTypes.begin(), kFileTypes.end(), tld) == kFileTypes.end();
}

// The groups of a run of digits (or letters and digits) separated by single separator bytes:
// [begin, end) of each group, in order.
struct Group {
  std::size_t begin, end, digits;
};

// At most 64 bytes of groups and single separators: 33 groups at most, kept on the stack (a
// detector reads groups at every number in a text).
class Groups {
 public:
  void push_back(const Group& g) { items_[size_++] = g; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Group& operator[](std::size_t k) const { return items_[k]; }
  const Group& front() const { return items_[0]; }
  const Group& back() const { return items_[size_ - 1]; }

 private:
  std::array<Group, 33> items_;
  std::size_t size_ = 0;
};

// Groups of `accept` bytes from `i`, separated by one byte of `separators`; stops before a
// separator not followed by an accepted byte. With `line_breaks`, a separator may also be one of
// them with up to two spaces around it, or two or three spaces: a number broken over two lines
// reaches the detectors with its line break read as spaces ("4111 1111\r\n1111" as three
// spaces, "4111-\n1111" as "- ").
template <class Accept>
Groups groups_from(std::string_view t, std::size_t i, Accept accept, const char* separators,
                   std::size_t max_chars, bool line_breaks = false) {
  Groups out;
  std::size_t n = t.size(), start = i;
  auto is_separator = [&](char c) { return c != '\0' && std::strchr(separators, c) != nullptr; };
  while (i < n && i - start < max_chars) {
    std::size_t b = i, digits = 0;
    while (i < n && accept(t[i])) digits += is_digit(t[i++]) ? 1 : 0;
    if (i == b) break;
    out.push_back({b, i, digits});
    if (i + 1 < n && is_separator(t[i]) && accept(t[i + 1])) {
      ++i;
      continue;
    }
    if (!line_breaks) break;
    std::size_t k = i, others = 0;
    while (k < n && k - i < 3 && (t[k] == ' ' || is_separator(t[k]))) others += t[k++] != ' ';
    if (k - i < 2 || others > 1 || k >= n || !accept(t[k])) break;
    i = k;
  }
  return out;
}

void add(std::vector<PiiSpan>& out, std::size_t b, std::size_t e, const char* kind) {
  out.push_back({b, e, kind});
}

// Walks a text's digit-run starts forward: next(i) is the first start at or after i, or npos.
// Positions only grow, so the walk is linear over the whole scan.
class RunCursor {
 public:
  explicit RunCursor(const DigitRuns& runs) : starts_(runs.starts()) {}
  std::size_t next(std::size_t i) {
    while (k_ < starts_.size() && starts_[k_] < i) ++k_;
    return k_ < starts_.size() ? starts_[k_] : std::string_view::npos;
  }

 private:
  const std::vector<uint32_t>& starts_;
  std::size_t k_ = 0;
};

// True when the number at i continues an IBAN-shaped code ("NL02 NWBK 6781 5706 30"): walking
// back over 4-character groups of capitals and digits reaches a country code and check digits.
// Such a code that failed the IBAN check is an account or reference number, not a phone or card.
bool continues_iban_shape(std::string_view t, std::size_t i) {
  for (int groups = 0; groups < 8 && i >= 5 && t[i - 1] == ' '; ++groups) {
    std::size_t b = i - 5;
    std::string_view g = t.substr(b, 4);
    bool upper_alnum = true;
    for (char c : g) upper_alnum = upper_alnum && (is_upper(c) || is_digit(c));
    if (!upper_alnum || (b > 0 && is_word(t[b - 1]))) return false;
    if (is_upper(g[0]) && is_upper(g[1]) && is_digit(g[2]) && is_digit(g[3])) return true;
    i = b;
  }
  return false;
}

// IBAN lengths of the ISO 13616 registry; 0 for a country not listed (any 15..34 is read).
std::size_t iban_length(std::string_view country) {
  static const std::pair<const char*, std::size_t> lengths[] = {
      {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
      {"BG", 22}, {"BH", 22}, {"BR", 29}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24},
      {"DE", 22}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
      {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27},
      {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IS", 26}, {"IT", 27},
      {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LI", 21}, {"LT", 20}, {"LU", 20},
      {"LV", 21}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31},
      {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25},
      {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24}, {"SE", 24}, {"SI", 19}, {"SK", 24},
      {"SM", 27}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VG", 24}, {"XK", 20}};
  if (country.size() != 2) return 0;
  const char upper[2] = {static_cast<char>(std::toupper(static_cast<unsigned char>(country[0]))),
                         static_cast<char>(std::toupper(static_cast<unsigned char>(country[1])))};
  for (const auto& [code, length] : lengths)
    if (std::string_view(upper, 2) == code) return length;
  return 0;
}

}  // namespace

const std::vector<std::string>& builtin_pii_kinds() {
  static const std::vector<std::string> kinds = {"url", "email", "iban", "card", "ip", "phone"};
  return kinds;
}

DigitRuns::DigitRuns(std::string_view text) {
  const char* t = text.data();
  std::size_t n = text.size(), i = 0;
  bool in_run = false;  // the byte before i is a digit
  starts_.reserve(32);
#ifdef __SSE2__
  // 16 bytes at a time: a mask of their digits, of which the starts of runs are the digits whose
  // previous byte is not one. Most of a ticket is letters, so most blocks have no start at all.
  const __m128i below = _mm_set1_epi8('0' - 1), above = _mm_set1_epi8('9' + 1);
  for (; i + 16 <= n; i += 16) {
    __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + i));
    // Signed compares: bytes from 0x80 up read as negative, below '0', so never as digits.
    __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(bytes, below), _mm_cmplt_epi8(bytes, above));
    auto mask = static_cast<uint32_t>(_mm_movemask_epi8(digit));
    uint32_t starts = mask & ~((mask << 1) | (in_run ? 1u : 0u));
    while (starts != 0) {
      starts_.push_back(static_cast<uint32_t>(i) + static_cast<uint32_t>(__builtin_ctz(starts)));
      starts &= starts - 1;
    }
    in_run = (mask & 0x8000u) != 0;
  }
#endif
  for (; i < n; ++i) {
    bool digit = is_digit(t[i]);
    if (digit && !in_run) starts_.push_back(static_cast<uint32_t>(i));
    in_run = digit;
  }
}

void find_pii(std::string_view kind, std::string_view text, std::vector<PiiSpan>& out) {
  find_pii(kind, text, DigitRuns(text), out);
}

void find_pii(std::string_view kind, std::string_view text, const DigitRuns& runs,
              std::vector<PiiSpan>& out) {
  if (kind == "email") return find_emails(text, out);
  if (kind == "url") return find_urls(text, out);
  if (kind == "ip") return find_ips(text, runs, out);
  if (kind == "card") return find_cards(text, runs, out);
  if (kind == "iban") return find_ibans(text, runs, out);
  if (kind == "phone") return find_phones(text, runs, out);
  throw std::invalid_argument("not a built-in kind of personal data: " + std::string(kind));
}

void find_emails(std::string_view t, std::vector<PiiSpan>& out) {
  std::size_t at = t.find('@');
  while (at != std::string_view::npos) {
    // The local part: ASCII mailbox characters and the letters of other scripts
    // (José.García@..., 山田@...); stopping at the first non-ASCII byte had sent the name before
    // it out as "José.Garcí<EMAIL_1>".
    std::size_t b = at;
    while (b > 0) {
      if (email_local_char(t[b - 1])) {
        --b;
      } else if (t[b - 1] == '\'' && b >= 2 && is_alnum(t[b - 2])) {
        --b;  // inside a name (o'brien@...), not a quote opened before the address
      } else if (std::size_t n = intl_char_before(t, b); n > 0) {
        b -= n;
      } else {
        break;
      }
    }
    while (b < at && t[b] == '.') ++b;
    if (b == at) {
      // No local part of a spaced script: one written in a script without spaces (山田@...)
      // is taken back over at most kMaxUnspacedLocalPart of its letters. Without it nothing
      // was redacted, and the domain went out too.
      for (int letters = 0; letters < kMaxUnspacedLocalPart; ++letters) {
        std::size_t n = unspaced_char_before(t, b);
        if (n == 0) break;
        b -= n;
      }
    }
    std::size_t e = domain_end(t, at + 1);
    while (e > at + 1 && (t[e - 1] == '.' || t[e - 1] == '-')) --e;
    if (b < at && valid_domain(t.substr(at + 1, e - at - 1))) add(out, b, e, "email");
    at = t.find('@', std::max(e, at + 1));
  }
}

namespace {

// The next "www." at or after `from`, in any case ("Www." as a phone keyboard writes it at a
// sentence's start): a search for its last "w." (either case), the two bytes before checked.
std::size_t find_www(std::string_view t, std::size_t from) {
  constexpr std::size_t npos = std::string_view::npos;
  std::size_t lower = t.find("w.", from + 2), upper = t.find("W.", from + 2);
  while (lower != npos || upper != npos) {
    std::size_t p = std::min(lower, upper);
    if (ascii_starts_with_lower(t.substr(p - 2), "www.")) return p - 2;
    if (p == lower) lower = t.find("w.", p + 1);
    if (p == upper) upper = t.find("W.", p + 1);
  }
  return npos;
}

}  // namespace

bool contains_www(std::string_view text) {
  return find_www(text, 0) != std::string_view::npos;
}

void find_urls(std::string_view t, std::vector<PiiSpan>& out) {
  // A URL can start only 5 or 4 bytes before a "://", or where "www." begins (in any case: URL
  // schemes and hosts have none). The next of each is found with a string search, and searched
  // for again once the scan has passed it, so the text is read a few times at memchr speed
  // instead of byte by byte.
  constexpr std::size_t npos = std::string_view::npos;
  std::size_t colon = t.find("://"), www = find_www(t, 0);
  std::size_t i = 0;
  while (i < t.size()) {
    // A scheme starting at i or later has its "://" at i + 4 on.
    if (colon != npos && colon < i + 4) colon = t.find("://", i + 4);
    if (www != npos && www < i) www = find_www(t, i);
    std::size_t scheme = colon == npos ? npos : colon >= i + 5 ? colon - 5 : colon - 4;
    i = std::min(scheme, www);
    if (i == npos) return;
    std::size_t prefix = 0;
    std::string_view rest = t.substr(i);
    if (ascii_starts_with_lower(rest, "https://"))
      prefix = 8;
    else if (ascii_starts_with_lower(rest, "http://"))
      prefix = 7;
    else if (ascii_starts_with_lower(rest, "www."))
      prefix = 4;
    // A scheme starts a URL wherever it is ("see:https://..."); "www." only at a word start.
    if (prefix == 0 || (prefix == 4 && !starts_word(t, i))) {
      ++i;
      continue;
    }
    // The host (domain_end: letters of other scripts included), then the rest up to the next
    // space; a letter of a spaced script goes on, "…" or a script without spaces ends it.
    std::size_t e = domain_end(t, i + prefix);
    while (e < t.size()) {
      unsigned char c = static_cast<unsigned char>(t[e]);
      if (c >= 0x80) {
        bool unspaced = false;
        std::size_t n = intl_char_at(t, e, &unspaced);
        if (n == 0 || unspaced) break;
        e += n;
        continue;
      }
      if (c <= ' ' || c == '<' || c == '>' || c == '"' || c == '`') break;
      ++e;
    }
    while (e > i + prefix && std::strchr(".,;:!?)]}'", t[e - 1]) != nullptr) --e;
    if (e > i + prefix && (domain_char(t[i + prefix]) || intl_char_at(t, i + prefix) > 0))
      add(out, i, e, "url");
    i = std::max(e, i + 1);
  }
}

namespace {

// A dotted quad at i (each part 1..3 digits, 0..255); its end, or 0.
std::size_t ipv4_at(std::string_view t, std::size_t i) {
  std::size_t p = i;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (p >= t.size() || t[p] != '.') return 0;
      ++p;
    }
    std::size_t b = p;
    int value = 0;
    while (p < t.size() && is_digit(t[p]) && p - b < 4) value = value * 10 + (t[p++] - '0');
    if (p == b || p - b > 3 || value > 255) return 0;
  }
  if (p < t.size() && (is_word(t[p]) || (t[p] == '.' && p + 1 < t.size() && is_digit(t[p + 1]))))
    return 0;
  return p;
}

// IPv6 at i: 8 hex groups with 7 colons, or fewer groups with one "::". Its end, or 0.
std::size_t ipv6_at(std::string_view t, std::size_t i) {
  std::size_t p = i, groups = 0, colons = 0;
  bool compressed = false, v4_tail = false;
  while (p < t.size()) {
    std::size_t b = p;
    while (p < t.size() && is_hex(t[p]) && p - b < 5) ++p;
    // The last 32 bits as a dotted quad (::ffff:203.0.113.7, 64:ff9b::198.51.100.7): two
    // groups' worth. It had ended the address at its first dot and sent three parts out.
    if (p < t.size() && t[p] == '.' && colons > 0) {
      if (std::size_t e4 = ipv4_at(t, b); e4 != 0) {
        groups += 2;
        p = e4;
        v4_tail = true;
        break;
      }
      // No dotted quad: the dot ends the address ("::1." at a sentence's end).
    }
    if (p - b > 4) return 0;
    if (p > b) ++groups;
    if (p < t.size() && t[p] == ':') {
      if (p + 1 < t.size() && t[p + 1] == ':') {
        if (compressed) return 0;
        compressed = true;
        colons += 2;
        p += 2;
        continue;
      }
      if (p == b) return 0;  // ":::" or a leading single colon
      if (p + 1 < t.size() && is_hex(t[p + 1])) {
        ++colons;
        ++p;
        continue;
      }
    }
    break;
  }
  // A colon after a dotted tail starts a port (::ffff:203.0.113.7:443): the address ends here.
  if (p < t.size() && (is_word(t[p]) || (t[p] == ':' && !v4_tail))) return 0;
  bool full = !compressed && groups == 8 && colons == (v4_tail ? 6 : 7);
  bool short_form = compressed && groups >= 2 && groups <= 7;
  return full || short_form ? p : 0;
}

}  // namespace

void find_ips(std::string_view t, const DigitRuns& runs, std::vector<PiiSpan>& out) {
  // An IPv6 address holds "::" or seven colons; a text without them (most) is read for IPv4
  // addresses only, at the starts of its runs of digits.
  bool v6 = false;
  int colons = 0;
  for (std::size_t c = t.find(':'); c != std::string_view::npos && !v6; c = t.find(':', c + 1))
    v6 = ++colons >= 7 || (c + 1 < t.size() && t[c + 1] == ':');
  if (!v6) {
    // IPv4 only: an address starts a run of digits at a boundary. (The scan below reaches the
    // same positions by skipping words; a digit inside a word or a run is never a start.)
    RunCursor runs_from(runs);
    for (std::size_t i = runs_from.next(0); i != std::string_view::npos; i = runs_from.next(i)) {
      bool boundary = i == 0 || !(is_word(t[i - 1]) || t[i - 1] == '.' || t[i - 1] == ':');
      std::size_t e = boundary ? ipv4_at(t, i) : 0;
      if (e != 0) add(out, i, e, "ip");
      i = e != 0 ? e : i + 1;
    }
    return;
  }
  // An IPv4 address holds a digit, a dot and a digit.
  bool v4 = false;
  for (std::size_t d = t.find('.'); d != std::string_view::npos && !v4; d = t.find('.', d + 1))
    v4 = d > 0 && d + 1 < t.size() && is_digit(t[d - 1]) && is_digit(t[d + 1]);
  std::size_t i = 0;
  while (i < t.size()) {
    char c = t[i];
    if (v6 ? !is_hex(c) && c != ':' : !is_digit(c)) {  // no address starts here: next word
      if (!is_word(c)) {
        ++i;
        continue;
      }
      while (i < t.size() && is_word(t[i])) ++i;
      continue;
    }
    bool boundary = i == 0 || !(is_word(t[i - 1]) || t[i - 1] == '.' || t[i - 1] == ':');
    if (boundary && v4 && is_digit(c)) {
      if (std::size_t e = ipv4_at(t, i)) {
        add(out, i, e, "ip");
        i = e;
        continue;
      }
    }
    if (boundary && v6 && (is_hex(c) || c == ':')) {
      if (std::size_t e = ipv6_at(t, i)) {
        add(out, i, e, "ip");
        i = e;
        continue;
      }
    }
    // Skip the rest of this word: a match starts at a boundary only.
    if (!is_word(t[i])) {
      ++i;
      continue;
    }
    while (i < t.size() && is_word(t[i])) ++i;
  }
}

void find_cards(std::string_view t, const DigitRuns& runs, std::vector<PiiSpan>& out) {
  // A card starts a word, so only a run's first digit can start one.
  RunCursor runs_from(runs);
  std::size_t i = 0;
  while ((i = runs_from.next(i)) != std::string_view::npos) {
    if (!starts_word(t, i) ||
        (i >= 2 && (t[i - 1] == ' ' || t[i - 1] == '-') && is_digit(t[i - 2])) ||
        continues_iban_shape(t, i)) {
      ++i;
      continue;
    }
    Groups g = groups_from(t, i, is_digit, " -", 64, /*line_breaks=*/true);
    std::size_t run_end = g.back().end;
    // The longest group-aligned window of 13..19 digits that passes Luhn, leftmost first.
    bool found = false;
    for (std::size_t s = 0; s < g.size() && !found; ++s) {
      if (s > 0 && g[s].begin > i + 40) break;
      std::size_t digits = 0;
      std::size_t best = g.size();
      for (std::size_t e = s; e < g.size(); ++e) {
        digits += g[e].digits;
        // Cards are printed in groups of 3 to 6 digits (the last may be shorter): a run of
        // single digits is not one.
        if (digits > 19 || (e > s && g[e - 1].digits < 3)) break;
        if (digits >= 13 && ends_word(t, g[e].end) &&
            luhn_valid(t.substr(g[s].begin, g[e].end - g[s].begin)))
          best = e;
      }
      if (best < g.size()) {
        // The rest of the run of groups goes with it: digits after the Luhn window in the same
        // run (a second phone number whose first digits completed the window, an expiry date)
        // would otherwise go out beside the placeholder as a fragment of what it replaced.
        add(out, g[s].begin, g.back().end, "card");
        run_end = g.back().end;
        found = true;
      }
    }
    i = std::max(run_end, i + 1);
    while (i < t.size() && is_digit(t[i])) ++i;
  }
}

namespace {

// The end of the IBAN whose country code is at i, reading its groups as runs of characters
// `accept` takes; npos when there is none. The group-aligned prefix of the country's length
// (`want`; of the whole run when 0, a country not in the registry) with a valid checksum:
// trying every prefix length would let one of them pass mod 97 by chance.
// `max_letters` bounds the letters after the country code and check digits: read in lower case,
// an account number's letters are a short bank code ("abna", "west"), where words of a sentence
// ("no38 will not open", 15 characters that passed mod 97) are mostly letters.
template <class Accept>
std::size_t iban_end(std::string_view t, std::size_t i, Accept accept, std::size_t want,
                     std::size_t& first_group_end, std::size_t max_letters = 34) {
  Groups g = groups_from(t, i, accept, " -", 64, /*line_breaks=*/true);
  first_group_end = g.front().end;
  std::size_t chars = 0, best = g.size(), letters = 0;
  for (std::size_t e = 0; e < g.size(); ++e) {
    for (std::size_t k = std::max(g[e].begin, i + 4); k < g[e].end; ++k)
      letters += is_alpha(t[k]) ? 1 : 0;
    if (letters > max_letters) break;
    chars += g[e].end - g[e].begin;
    if (chars > 34) break;
    bool length_ok = want != 0 ? chars == want : e + 1 == g.size();
    if (length_ok && chars >= 15 && ends_word(t, g[e].end) &&
        iban_valid(t.substr(g[0].begin, g[e].end - g[0].begin)))
      best = e;
  }
  return best < g.size() ? g[best].end : std::string_view::npos;
}

}  // namespace

void find_ibans(std::string_view t, const DigitRuns& runs, std::vector<PiiSpan>& out) {
  auto upper_alnum = [](char c) { return is_upper(c) || is_digit(c); };
  // "NL02...": the check digits start a run of digits, two letters before it. In capitals, the
  // code's groups are capitals and digits. Typed in lower or mixed case ("nl91 abna 0417 ...")
  // it is the same account and the checksum does not depend on case, so it is read with letters
  // of either case, for a country of the registry at its exact length only: a lower-case word
  // before a number is common text where a capital country code is not.
  RunCursor runs_from(runs);
  std::size_t i = 0;
  for (std::size_t r; (r = runs_from.next(i + 2)) != std::string_view::npos;) {
    i = r - 2;
    if (i + 15 > t.size()) break;
    bool shape = is_alpha(t[i]) && is_alpha(t[i + 1]) && is_digit(t[i + 3]);
    if (!shape || !starts_word(t, i)) {
      ++i;
      continue;
    }
    const std::size_t want = iban_length(t.substr(i, 2));
    const bool capitals = is_upper(t[i]) && is_upper(t[i + 1]);
    std::size_t first_group_end = 0, end = std::string_view::npos;
    if (capitals) end = iban_end(t, i, upper_alnum, want, first_group_end);
    constexpr std::size_t kBankCodeLetters = 4;
    if (end == std::string_view::npos && want != 0)
      end = iban_end(t, i, is_alnum, want, first_group_end, kBankCodeLetters);
    if (end != std::string_view::npos) {
      add(out, i, end, "iban");
      i = end;
    } else {
      i = std::max(first_group_end, i + 1);
    }
  }
}

namespace {

// "x123", "ext123" or "ext.123" (any case) right at `e`, ending a word: its end. "x" or "ext"
// with no digits after it (any word that starts so): `e` itself. Otherwise 0.
std::size_t glued_extension_end(std::string_view t, std::size_t e) {
  std::string_view rest = t.substr(e);
  std::size_t p = ascii_starts_with_lower(rest, "ext.")  ? 4
                  : ascii_starts_with_lower(rest, "ext") ? 3
                  : ascii_starts_with_lower(rest, "x")   ? 1
                                                         : 0;
  if (p == 0) return 0;
  std::size_t digits = 0;
  while (p < rest.size() && is_digit(rest[p]) && digits < 6) ++p, ++digits;
  if (digits > 0 && ends_word(t, e + p)) return e + p;
  return digits == 0 ? e : 0;  // "ext", "extra": the number ends where they begin
}

// 2024-01-15, 2024/01/15, 15.01.2024, 15-01-2024: dates, not phone numbers.
bool looks_like_date(std::string_view t, const Groups& g) {
  if (g.size() < 3) return false;
  auto len = [&](std::size_t k) { return g[k].end - g[k].begin; };
  char s1 = t[g[0].end], s2 = t[g[1].end];
  if (s1 != s2 || s1 == ' ') return false;
  return (len(0) == 4 && len(1) <= 2 && len(2) <= 2) || (len(0) <= 2 && len(1) <= 2 && len(2) == 4);
}

}  // namespace

namespace {

// Whether the word ending at `end` is of letters only ("tel", "No"), not a code with digits
// ("UP1A.231005.007", a build number).
bool letters_only_word_before(std::string_view t, std::size_t end) {
  std::size_t k = end;
  while (k > 0 && is_alpha(t[k - 1])) --k;
  return k < end && (k == 0 || !is_word(t[k - 1]));
}

// A '(' at p inside a number opens an area code or a trunk digit: 1 to 5 digits and a ')'
// ("+1 (555) 123", "+49 (0)30"). Otherwise the number ends before it: "10:30 (15.01.2025)",
// "order 12345678 (2x)" are a number and a bracketed remark.
bool opens_area_code(std::string_view t, std::size_t p) {
  std::size_t k = p + 1, digits = 0;
  while (k < t.size() && is_digit(t[k]) && digits < 6) ++k, ++digits;
  if (digits < 1 || digits > 5 || k >= t.size() || t[k] != ')') return false;
  // ... and the number goes on after it: "(2) missing" after an order number is a quantity.
  ++k;
  if (k < t.size() && t[k] == ' ') ++k;
  return k < t.size() && is_digit(t[k]);
}

// The end of a card's layout from i, 13 to 19 digits in groups of four (the last may be
// shorter: "4539 2914 1777 6315"), or npos. Cards are found before phones, so such a number
// here failed Luhn: an order or reference number, whose last groups are no phone number.
std::size_t card_layout_end(std::string_view t, std::size_t i) {
  Groups g = groups_from(t, i, is_digit, " -", 40);
  std::size_t digits = 0, end = std::string_view::npos;
  for (std::size_t k = 0; k < g.size(); ++k) {
    if (g[k].digits > 4 || (g[k].digits < 4 && k < 3)) break;
    if (k > 0 && t[g[k].begin - 1] != t[g[0].end]) break;  // one separator throughout
    digits += g[k].digits;
    if (digits > 19) break;
    if (digits >= 13) end = g[k].end;
    if (g[k].digits < 4) break;
  }
  return end;
}

// Whether the digits at i start as a phone number is written: a '+' or an area code in
// brackets before them, a trunk 0, or a dash or a dot right between digits in the first 12
// characters ("415-555-2671", "0171.1234567").
bool starts_like_a_phone(std::string_view t, std::size_t i, bool plus, bool paren) {
  if (plus || paren || t[i] == '0') return true;
  for (std::size_t k = i + 1; k + 1 < t.size() && k < i + 12; ++k) {
    if (!is_digit(t[k]) && t[k] != '-' && t[k] != '.') break;
    if ((t[k] == '-' || t[k] == '.') && is_digit(t[k - 1]) && is_digit(t[k + 1])) return true;
  }
  return false;
}

}  // namespace

void find_phones(std::string_view t, const DigitRuns& runs, std::vector<PiiSpan>& out) {
  // A number starts at a run's first digit (a digit after a digit is no boundary), or at the
  // "+" or "(" right before it.
  RunCursor runs_from(runs);
  std::size_t i = 0;
  for (std::size_t r; (r = runs_from.next(i)) != std::string_view::npos;) {
    i = r > i && (t[r - 1] == '+' || t[r - 1] == '(') ? r - 1 : r;
    char c = t[i];
    bool plus = c == '+' && i + 1 < t.size() && is_digit(t[i + 1]);
    bool paren = c == '(' && i + 1 < t.size() && is_digit(t[i + 1]);
    // "+44..." may follow a letter ("tel:+44", "anna+44..."); a bare number starts a word.
    // A '.' after a word's letter is an abbreviation's ("tel.415.555.2671", "No.0171 1234567"),
    // not a number's decimal point or a version's part.
    const bool abbreviation_dot = i >= 2 && t[i - 1] == '.' && is_alpha(t[i - 2]) &&
                                  letters_only_word_before(t, i - 1) && !continues_iban_shape(t, i);
    bool boundary = i == 0 || abbreviation_dot ||
                    (plus ? !(is_digit(t[i - 1]) || t[i - 1] == '+')
                          : !(is_word(t[i - 1]) || t[i - 1] == '+' || t[i - 1] == '.' ||
                              t[i - 1] == '-' || t[i - 1] == '/'));
    if (!boundary || !(plus || paren || is_digit(c)) || continues_iban_shape(t, i)) {
      ++i;
      continue;
    }
    // The number from i, read up to `limit` (a cut before digits that follow it, below).
    struct Scan {
      bool ok = false;
      std::size_t e = 0, retry_at = 0;
      std::size_t skip_to = 0;  // > 0: no number here; look again from there
    };
    auto scan = [&](std::size_t limit) {
      Scan r;
      // Digits and single separators; "(0)", "(555) " and ") " are allowed inside.
      std::size_t p = i + (plus ? 1 : 0), digits = 0, groups = 0, last_digit_end = p;
      std::size_t group_digits = 0, slashes = 0, spaced_dashes = 0, longest_group = 0;
      std::size_t group_start = p, retry_at = 0;
      bool in_group = false;
      bool all_years = true;  // every group so far a year, 19xx or 20xx ("2019 - 2020 - 2021")
      auto year_group = [&] {
        return group_digits == 4 &&
               (t.compare(group_start, 2, "19") == 0 || t.compare(group_start, 2, "20") == 0);
      };
      while (p < limit && p - i < 40) {
        char d = t[p];
        if (is_digit(d)) {
          if (!in_group) {
            ++groups, group_digits = 0, group_start = p;
            // The first group that starts a new word: where to look again if this is no number.
            // (Not after a spaced dash: "2003 - 2004" is one word of a range.)
            if (groups > 1 && retry_at == 0 && (t[p - 1] == ' ' || t[p - 1] == ')') &&
                !(p >= 2 && t[p - 2] == '-'))
              retry_at = p;
          }
          in_group = true;
          ++digits, ++group_digits;
          longest_group = std::max(longest_group, group_digits);
          last_digit_end = ++p;
          continue;
        }
        // One slash, after an area code of 2-5 digits, in a number written with its trunk 0 or
        // its country code ("0171/1234567", "+49 171/1234567", "+49 (0)30/12345678", as German and
        // Austrian numbers are written): in other numbers it is a date, a period or a reference
        // ("10/2024", "PO 2024/123456").
        bool slash = d == '/' && slashes == 0 && (plus || t[i] == '0' || paren) &&
                     group_digits >= (plus && groups > 1 ? 1 : 2) && group_digits <= 5 &&
                     (plus || groups > 1 || digits >= 3);
        slashes += slash;
        bool sep = d == ' ' || d == '-' || d == '.' || (d == '(' && opens_area_code(t, p)) ||
                   d == ')' || slash;
        if (!sep) break;
        if (in_group) all_years = all_years && year_group();
        in_group = false;
        // At most two separators in a row (") " or " ("), or a dash with a space either side
        // ("415 - 555 - 2671", judged below), and a digit must follow them.
        std::size_t q = p + 1;
        if (d == ' ' && q + 1 < t.size() && t[q] == '-' && t[q + 1] == ' ') {
          q += 2;
          ++spaced_dashes;
        } else if (q < t.size() && (t[q] == ' ' || t[q] == '-') && t[q] != d) {
          ++q;
        } else if (q < t.size() && t[q] == '(' && d != '(') {
          if (!opens_area_code(t, q)) break;
          ++q;
        }
        if (q >= t.size() || !is_digit(t[q])) break;
        p = q;
      }
      if (in_group) all_years = all_years && year_group();
      std::size_t e = last_digit_end;
      // An extension written against the number ("415-555-2671x123", "ext123", "ext.12") is part
      // of it; "x" or "ext" against it without digits ends the number there ("2671ext now").
      // With a space before it, the number already ends at a word's end.
      bool glued = false;
      if (std::size_t x = glued_extension_end(t, e); x != 0) e = x, glued = true;
      if (paren && (e <= i + 1)) {
        r.skip_to = i + 1;
        return r;
      }
      if ((!glued && !ends_word(t, e)) ||
          (e < t.size() && t[e] == '.' && e + 1 < t.size() && is_digit(t[e + 1]))) {
        r.skip_to = e + 1;
        return r;
      }
      bool ok = false;
      if (plus) {
        ok = digits >= 8 && digits <= 15;
      } else if (spaced_dashes > 0) {
        // Groups joined by " - " are a range or a sum ("100000 - 200000") unless they have a
        // phone number's layout: three or more groups of at most 4 digits, not all of them years.
        ok = groups >= 3 && longest_group <= 4 && !all_years && digits >= 9 && digits <= 15;
      } else if (groups >= 2) {
        // (Single digits apart are no phone number: "1 2 3 4 5 6 7 8 9".)
        Groups g = groups_from(t, paren ? i + 1 : i, is_digit, "-./ ", 40);
        ok = digits >= 9 && digits <= 15 && longest_group >= 2 && !looks_like_date(t, g);
      } else {
        // One run: 10 or 11 digits with a trunk 0; or 11 digits in a mobile's layout written
        // without its '+': China's 1[3-9]..., a country code 1 before a North American area code
        // (1[2-9]...), Russia's 8 9... and 7 9... (13812345678, 14155552671, 89123456789).
        const std::size_t s0 = paren ? i + 1 : i;
        const char a = t[s0], b1 = digits >= 2 ? t[s0 + 1] : '0';
        ok = ((digits == 10 || digits == 11) && a == '0') ||
             (digits == 11 && ((a == '1' && b1 >= '2') || ((a == '8' || a == '7') && b1 == '9')));
      }
      r.ok = ok;
      r.e = e;
      r.retry_at = retry_at;
      return r;
    };
    Scan whole = scan(t.size());
    if (whole.skip_to > 0) {
      i = whole.skip_to;
      continue;
    }
    const std::size_t b = i;
    bool ok = whole.ok;
    std::size_t e = whole.e, retry_at = whole.retry_at;
    // Too many digits for one number: a phone number followed by another number after a space
    // ("+1 415 555 2671 1234 5678 9012 3456", an order number after it) had been sent as
    // written. When the digits start as a phone number is written (a '+', an area code in
    // brackets, a trunk 0, or a dash or dot inside its first groups), the longest part from the
    // start that reads as one is replaced, and what follows is looked at on its own; a run of
    // plain groups (a reference, "2003 - 2004 - 2005") is looked into as before.
    const bool card_like_here = card_layout_end(t, i) != std::string_view::npos;
    if (!ok && !card_like_here && starts_like_a_phone(t, i, plus, paren)) {
      for (std::size_t q = e; q > i + 2 && !ok; --q) {
        if (!(t[q - 1] == ' ' && is_digit(t[q]) && is_digit(t[q - 2]))) continue;
        Scan part = scan(q - 1);
        if (part.skip_to == 0 && part.ok) ok = true, e = part.e;
      }
    }
    const std::size_t card_like =
        ok || !card_like_here ? std::string_view::npos : card_layout_end(t, i);
    if (ok) {
      add(out, b, e, "phone");
    } else if (card_like != std::string_view::npos) {
      // Looked at again after the reference number, not inside it ("ref 4539 2914 1777 6315"
      // had had its last twelve digits replaced as a phone number).
      i = card_like;
      continue;
    } else if (retry_at != 0) {
      // Not a number as a whole, but a word of it may start one: a phone number written right
      // after a date, an order number or a bracket ("order 12345678 415-555-2671") had been
      // skipped with the digits before it and sent out as written.
      i = retry_at;
      continue;
    }
    i = std::max(e, i + 1);
  }
}

}  // namespace tunecase
