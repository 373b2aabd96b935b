#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace tunecase {

// 0-based offset of the first byte that is not part of well-formed UTF-8, or nullopt when
// `bytes` is valid. The readers use it to tell the user where in a line the bad byte sits.
std::optional<std::size_t> invalid_utf8_offset(std::string_view bytes);

}  // namespace tunecase
