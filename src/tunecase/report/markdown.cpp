#include "tunecase/report/markdown.h"

#include <algorithm>

#include <fmt/format.h>

namespace tunecase {
namespace {

// Bytes of `text` at `i` that are a control character other than a line break or tab (C0, DEL,
// or a C1 control's two bytes), appended to `out` as \u{001B}; 0 when there is none: raw, they
// reached whoever opened the file in a terminal.
std::size_t append_control(std::string& out, std::string_view text, std::size_t i) {
  const auto b = static_cast<unsigned char>(text[i]);
  const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
  if ((b < 0x20 && b != '\n' && b != '\r' && b != '\t') || b == 0x7f) {
    out += fmt::format("\\u{{{:04X}}}", b);
    return 1;
  }
  if (b == 0xc2 && next >= 0x80 && next <= 0x9f) {
    out += fmt::format("\\u{{{:04X}}}", next);
    return 2;
  }
  return 0;
}

// A byte of a word: an ASCII letter or digit, or any byte of a non-ASCII character.
bool word_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z');
}

}  // namespace

std::string markdown_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    bool escape = false;
    switch (c) {
      case '|':
      case '<':
      case '\\':
      case '*':
      case '`':
      case '~':
        escape = true;
        break;
      case '_':  // emphasis opens or closes only at a word's edge
        escape = !(i > 0 && word_byte(text[i - 1]) && word_byte(next));
        break;
      case '[':  // a link or an image: "[text](url)", "[text][ref]"
        escape = text.find("](", i) != std::string_view::npos ||
                 text.find("][", i) != std::string_view::npos;
        break;
      case '&':  // an entity: "&lt;", "&#60;"
        escape = word_byte(next) || next == '#';
        break;
      case '#':  // a heading, at the start of a line
        escape = i == 0;
        break;
      default:
        break;
    }
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
      continue;
    }
    if (std::size_t n = append_control(out, text, i)) {  // an escape sequence in a label
      i += n - 1;
      continue;
    }
    if (escape) out += '\\';
    out += c;
  }
  return out;
}

std::string code_span(std::string_view text) {
  // Line breaks as spaces; other control characters (C0, DEL, C1) as \u{001B}, as markdown_text
  // writes them (a code span shows its bytes raw).
  std::string body;
  body.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || text[i] == '\r' || text[i] == '\t')
      body += ' ';
    else if (std::size_t n = append_control(body, text, i))
      i += n - 1;
    else
      body += text[i];
  }
  std::size_t longest = 0, run = 0;
  for (char c : body) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(longest + 1, '`');
  // A span that starts or ends with a backtick (or a space) is padded: the padding is stripped.
  const bool pad = !body.empty() && (body.front() == '`' || body.back() == '`' ||
                                     (body.front() == ' ' && body.back() == ' '));
  return pad ? fence + " " + body + " " + fence : fence + body + fence;
}

}  // namespace tunecase
