// Charset detection and decoding of raw page bytes to UTF-8.
//
// Order of evidence (first that applies wins):
//   1. a byte-order mark (UTF-8, UTF-16LE/BE)            -> source "bom"
//   2. charset= in the HTTP Content-Type header           -> source "http"
//   3. <meta charset> / <meta http-equiv content=...>     -> source "meta"
//      within the first kMetaScanBytes bytes
//   4. uchardet statistical detection over the bytes      -> source "detected"
//   5. UTF-8                                              -> source "default"
// A declared UTF-8 (http/meta) that is clearly not UTF-8 (many invalid
// sequences) falls through to detection, since that mislabel is common.
// Labels are mapped to the superset ICU decodes best: GB2312/GBK/CP936 ->
// GB18030, Big5 -> Big5-HKSCS, ISO-8859-1/ASCII -> windows-1252.
// Invalid sequences are replaced with U+FFFD and counted, never fatal.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crawlstream::extractor {

inline constexpr size_t kMetaScanBytes = 16 * 1024;

struct CharsetChoice {
  std::string charset;  // canonical name, e.g. "GB18030", "UTF-8"
  std::string source;   // "bom", "http", "meta", "detected", "default"
};

struct DecodedText {
  std::string utf8;
  CharsetChoice choice;
  uint32_t replaced = 0;  // invalid sequences replaced with U+FFFD
};

// Maps a label from a header or meta tag to the charset we decode with;
// empty when the label is unknown to ICU.
std::string CanonicalCharset(std::string_view label);

// charset= parameter of a Content-Type value, already canonicalised.
std::optional<std::string> CharsetFromContentType(std::string_view content_type);

// Charset declared by <meta charset> or <meta http-equiv="Content-Type">
// in the first kMetaScanBytes of `html`, canonicalised.
std::optional<std::string> CharsetFromMeta(std::string_view html);

// Applies the order of evidence above (without decoding).
CharsetChoice DetectCharset(std::string_view bytes, std::string_view content_type);
// Steps 4-5 only: what the bytes themselves say (valid UTF-8, else
// uchardet, else UTF-8), ignoring any label.
CharsetChoice DetectFromBytes(std::string_view bytes);


// Converts `bytes` from `charset` to UTF-8 (BOM stripped). Unknown charsets
// decode as UTF-8.
DecodedText DecodeAs(std::string_view bytes, const CharsetChoice& choice);

// DetectCharset + DecodeAs.
DecodedText DecodeToUtf8(std::string_view bytes, std::string_view content_type);

// Number of invalid UTF-8 sequences in `bytes`.
size_t CountInvalidUtf8(std::string_view bytes, size_t stop_after = SIZE_MAX);

}  // namespace crawlstream::extractor
