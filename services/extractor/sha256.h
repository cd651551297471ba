// SHA-256 (FIPS 180-4) of a byte string. Used for the stable article id.
// Pure function, thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace crawlstream::extractor {

std::array<uint8_t, 32> Sha256(std::string_view data);

// Lower-case hex of the first `bytes` bytes of SHA-256(data).
std::string Sha256Hex(std::string_view data, size_t bytes = 32);

}  // namespace crawlstream::extractor
