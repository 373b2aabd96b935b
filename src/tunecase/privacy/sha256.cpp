#include "tunecase/privacy/sha256.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "tunecase/core/hash.h"

namespace tunecase {

// OpenSSL's libcrypto: it uses the CPU's SHA extensions where there are some, several times
// faster than portable code on the gateway's path, where every outbound body is hashed.
std::string sha256_hex(std::string_view bytes) {
  // Fetched once: an implicit fetch on every call costs more than hashing a short body.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (sha256 == nullptr ||
      EVP_Digest(bytes.data(), bytes.size(), digest, &length, sha256, nullptr) != 1 ||
      length != 32) {
    throw std::runtime_error("SHA-256 failed in OpenSSL's libcrypto");
  }
  std::string out;
  out.reserve(64);
  for (unsigned int i = 0; i < length; ++i) append_hex(out, digest[i], 2);
  return out;
}

}  // namespace tunecase
