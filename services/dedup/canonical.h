// Canonical election: which of two copies of one story is published.
//
// The rule is deterministic and uses only the compact CanonicalKey (so that
// an election against an indexed article, which keeps only its key, gives the
// same answer as one between two full articles):
//   1. earliest published_at (RFC 3339 with offset, compared as instants; an
//      empty or unparsable time, or one of month precision, is unknown and
//      loses to any known time);
//   2. the copy whose publisher or site is the outlet named in the other's
//      original_source (names compared after normalisation, as 12-bit hashes:
//      two outlets collide with probability 1/4096);
//   3. the shorter URL (canonical_url, else url; lengths saturate at 255);
//   4. the lexicographically smaller article id.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace crawlstream::v1 {
class Article;
}

namespace crawlstream::dedup {

class ScriptConverter;

inline constexpr uint32_t kUnknownTime = UINT32_MAX;

struct CanonicalKey {
  uint32_t published = kUnknownTime;  // seconds since 1970-01-01T00:00:00Z
  uint8_t url_length = 0;             // saturating at 255
  uint16_t publisher = 0;             // NameHash of the names; 0 = none
  uint16_t site = 0;
  uint16_t original_source = 0;
};

// Seconds since the epoch of an RFC 3339 date-time ("2024-07-05T13:53:00+08:00",
// "...Z", optional fraction, 't' or ' ' separator, seconds optional).
// nullopt when empty or malformed.
std::optional<int64_t> ParseRfc3339(std::string_view text);

inline constexpr int kNameHashBits = 12;

// 12-bit hash of an outlet name after folding (width, case, punctuation),
// Traditional->Simplified (converter may be null) and removal of a leading
// "www" and of suffixes such as 网/官网/客户端. 0 only for empty names.
uint16_t NameHash(std::string_view name, const ScriptConverter* converter);

CanonicalKey MakeCanonicalKey(const crawlstream::v1::Article& article,
                              const ScriptConverter* converter);

// True when copy `a` should be canonical rather than copy `b`.
bool PreferAsCanonical(const CanonicalKey& a, std::string_view a_id,
                       const CanonicalKey& b, std::string_view b_id);

}  // namespace crawlstream::dedup
