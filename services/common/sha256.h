// SHA-256 (FIPS 180-4) of a byte string, computed by OpenSSL's libcrypto.
// The extractor's article id is Sha256Hex(canonical URL, 16).
// Pure function, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace crawlstream {

// Lower-case hex of the first `bytes` bytes (at most 32) of SHA-256(data).
// Empty only if libcrypto fails, which it does not for SHA-256 in a
// working installation.
std::string Sha256Hex(std::string_view data, size_t bytes = 32);

}  // namespace crawlstream
