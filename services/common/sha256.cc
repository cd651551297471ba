#include "services/common/sha256.h"

#include <openssl/evp.h>

#include <algorithm>

namespace crawlstream {

std::string Sha256Hex(std::string_view data, size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  bytes = std::min<size_t>(bytes, size);
  std::string out;
  out.reserve(bytes * 2);
  for (size_t i = 0; i < bytes; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

}  // namespace crawlstream
