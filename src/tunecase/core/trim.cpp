#include "tunecase/core/trim.h"

namespace tunecase {

std::string_view trim(std::string_view text, std::string_view whitespace) {
  std::size_t begin = text.find_first_not_of(whitespace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(whitespace) - begin + 1);
}

std::string trimmed(std::string_view text, std::string_view whitespace) {
  return std::string(trim(text, whitespace));
}

}  // namespace tunecase
