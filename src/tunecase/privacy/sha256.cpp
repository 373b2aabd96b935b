#include "tunecase/privacy/sha256.h"

#include <openssl/evp.h>

#include <fstream>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/core/hash.h"

namespace tunecase {

namespace {

// One digest context per thread, made once and reset by each digest: EVP_Digest() allocates
// and frees a context (and its provider state) on every call, which costs more than hashing a
// short body with the CPU's SHA extensions.
struct DigestContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  DigestContext() = default;
  DigestContext(const DigestContext&) = delete;
  DigestContext& operator=(const DigestContext&) = delete;
  ~DigestContext() { EVP_MD_CTX_free(ctx); }
};

}  // namespace

// OpenSSL's libcrypto: it uses the CPU's SHA extensions where there are some, several times
// faster than portable code on the gateway's path, where every outbound body is hashed.
std::string sha256_hex(std::string_view bytes) {
  // Fetched once: an implicit fetch on every call costs more than hashing a short body.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local DigestContext context;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_MD_CTX* ctx = context.ctx;
  if (sha256 == nullptr || ctx == nullptr || EVP_DigestInit_ex2(ctx, sha256, nullptr) != 1 ||
      EVP_DigestUpdate(ctx, bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, digest, &length) != 1 || length != 32) {
    throw std::runtime_error("SHA-256 failed in OpenSSL's libcrypto");
  }
  std::string out;
  out.reserve(64);
  for (unsigned int i = 0; i < length; ++i) append_hex(out, digest[i], 2);
  return out;
}

FileDigest sha256_file(const std::filesystem::path& file) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  std::ifstream in(file, std::ios::binary);
  if (!in) throw UserError(fmt::format("{}: cannot be read", file.string()));
  thread_local DigestContext context;
  EVP_MD_CTX* ctx = context.ctx;
  if (sha256 == nullptr || ctx == nullptr || EVP_DigestInit_ex2(ctx, sha256, nullptr) != 1)
    throw std::runtime_error("SHA-256 failed in OpenSSL's libcrypto");
  FileDigest out;
  std::vector<char> block(1 << 20);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    out.bytes += n;
    if (EVP_DigestUpdate(ctx, block.data(), n) != 1)
      throw std::runtime_error("SHA-256 failed in OpenSSL's libcrypto");
  }
  if (in.bad()) throw UserError(fmt::format("{}: cannot be read", file.string()));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx, digest, &length) != 1 || length != 32)
    throw std::runtime_error("SHA-256 failed in OpenSSL's libcrypto");
  out.sha256.reserve(64);
  for (unsigned int i = 0; i < length; ++i) append_hex(out.sha256, digest[i], 2);
  return out;
}

}  // namespace tunecase
