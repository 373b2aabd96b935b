#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace tunecase {

// SHA-256 (FIPS 180-4) of `bytes` as 64 lowercase hex digits. The audit stores it for each
// outbound body: a reviewer holding a body can prove it left (or did not), and the hash cannot
// be turned back into the text.
std::string sha256_hex(std::string_view bytes);

// SHA-256 of a file's bytes, read in blocks (a model file may be hundreds of MB), and how many
// bytes it has. UserError naming the file when it cannot be read.
struct FileDigest {
  std::string sha256;
  std::uintmax_t bytes = 0;
};
FileDigest sha256_file(const std::filesystem::path& file);

}  // namespace tunecase
