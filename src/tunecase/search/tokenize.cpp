#include "tunecase/search/tokenize.h"

#include "tunecase/data/normalize.h"

namespace tunecase {
namespace {
bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}
}  // namespace

std::vector<std::string> word_tokens(std::string_view text) {
  std::string folded = normalize_text(text);
  std::vector<std::string> tokens;
  std::string current;
  for (size_t i = 0; i < folded.size(); ++i) {
    auto c = static_cast<unsigned char>(folded[i]);
    bool inner_apostrophe = c == '\'' && !current.empty() && i + 1 < folded.size() &&
                            is_word_byte(static_cast<unsigned char>(folded[i + 1]));
    if (is_word_byte(c) || inner_apostrophe) {
      current.push_back(static_cast<char>(c));
    } else if (!current.empty()) {
      tokens.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

}  // namespace tunecase
