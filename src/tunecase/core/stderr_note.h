#pragma once

#include <cstdio>
#include <string_view>

namespace tunecase {

// Writes `text` to stderr and never throws (fmt::print throws when stderr cannot be written, as
// on a full disk): for notes printed where an exception would leave work unfinished, such as an
// HTTP response handler or the store's writer.
inline void note_on_stderr(std::string_view text) noexcept {
  std::fwrite(text.data(), 1, text.size(), stderr);
}

}  // namespace tunecase
