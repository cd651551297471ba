// Repair of double-encoded UTF-8 ("mojibake"): text whose UTF-8 bytes were
// read once more as Latin-1 or Windows-1252 and encoded to UTF-8 again, so
// that "’" shows as "â€™" (via Windows-1252) or "â" + U+0080 U+0099 (via
// Latin-1), "é" as "Ã©". Publishing CMSs do this to whole pages; the page
// is then valid UTF-8 and every charset step is satisfied.
//
// A candidate is a character U+00C2-U+00F4 (a UTF-8 lead byte read as
// Latin-1) followed by the one to three characters its lead byte needs,
// each mapping back to a continuation byte 0x80-0xBF (U+0080-U+00BF as
// themselves, the Windows-1252 letters such as € ™ ’ to their byte), that
// together form valid shortest-form UTF-8. A text is repaired only when it
// has at least kMinMojibakeSequences candidates and they outnumber the
// Latin-1 letters U+00C0-U+00FF that are not part of one: a French page
// with correct "é" and one odd "Ã©" stays as it is.
// Pure functions, thread-safe; linear time.
#pragma once

#include <cstddef>
#include <string>

namespace crawlstream::extractor {

inline constexpr size_t kMinMojibakeSequences = 3;

// Repairs *utf8 in place when it is double-encoded as above; returns the
// number of sequences repaired (0: unchanged).
size_t RepairDoubleEncodedUtf8(std::string* utf8);

}  // namespace crawlstream::extractor
