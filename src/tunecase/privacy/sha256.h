#pragma once

#include <string>
#include <string_view>

namespace tunecase {

// SHA-256 (FIPS 180-4) of `bytes` as 64 lowercase hex digits. The audit stores it for each
// outbound body: a reviewer holding a body can prove it left (or did not), and the hash cannot
// be turned back into the text.
std::string sha256_hex(std::string_view bytes);

}  // namespace tunecase
