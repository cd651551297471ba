// Decoding: raw page bytes -> UTF-8 HTML with scripts, styles and comments
// already cut (JSON-LD kept).
//
// ASCII-compatible encodings are prefiltered before decoding (less to
// decode, and the charset sniffers see the markup, not the scripts);
// UTF-16 (recognised by its byte-order mark) is decoded first. The charset
// comes from charset.h's order (BOM > HTTP > meta > uchardet > UTF-8); a
// UTF-8 byte-order mark always wins. A declared label the bytes contradict
// is overridden, with charset source "mislabel": bytes that are valid
// UTF-8 with 16 or more non-ASCII bytes are UTF-8 whatever the label says
// (legacy CJK encodings almost never form valid UTF-8), and a label whose
// decoding replaces more than 1 in 100 non-ASCII bytes gives way to
// uchardet's answer when that decodes with fewer replacements. Last,
// double-encoded UTF-8 ("â€™" for "’") is repaired (mojibake.h).
// Pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "services/extractor/charset.h"

namespace crawlstream::extractor {

struct DecodedPage {
  std::string html;       // UTF-8
  CharsetChoice choice;   // what it was decoded from, and why
  uint32_t replaced = 0;  // invalid sequences replaced with U+FFFD
  uint32_t repaired = 0;  // double-encoded sequences repaired (mojibake.h)
};

DecodedPage DecodePage(std::string_view body, std::string_view content_type);

}  // namespace crawlstream::extractor
