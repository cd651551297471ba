// Byte-level pre-filter run before the HTML parser.
//
// Modern news pages are mostly scripts, styles, inline JSON and SVG; the
// parser would tokenise all of it only for the DOM pass to throw it away.
// PrefilterHtml copies `html` while cutting out, without parsing:
//   - comments <!-- ... --> (React's boundary end <!--/$--> becomes an
//     empty <template id="/$">, see dom.h "Streamed segments")
//   - the content of <script> (the element is dropped), EXCEPT
//     <script type="application/ld+json">, kept whole for metadata
//   - <style>, <noscript>, <template>, <svg>, <iframe>, <object> elements
//     with their content (a React slot, <template id="B:1"> or "P:1", is
//     kept as that empty element)
// keeps of each start tag only the attributes a later step reads
// (id, class, itemprop, href, rel, hidden, aria-hidden, style, datetime,
// content, name, property, type, lang, charset, http-equiv, role,
// aria-labelledby), at most
// kMaxKeptAttributes per tag and kMaxAttributeBytes of each value,
// and caps element nesting at kMaxOpenDepth (start tags beyond it are
// dropped, their text kept) so that pathological nesting cannot blow up
// the parser's recursion.
// Works on any ASCII-compatible encoding (UTF-8, GB18030, Big5, Shift_JIS,
// EUC-*): none of them uses bytes < 0x40 as trail bytes, so '<' and '>'
// are always markup. UTF-16 input must be decoded first. Never fails:
// unterminated constructs are cut to the end of input.
// Pure function, thread-safe; O(n) time.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace crawlstream::extractor {

inline constexpr int kMaxOpenDepth = 512;
inline constexpr size_t kMaxKeptAttributes = 16;
inline constexpr size_t kMaxAttributeBytes = 16 * 1024;

struct PrefilterStats {
  size_t bytes_in = 0;
  size_t bytes_out = 0;
  size_t elements_removed = 0;
  size_t json_ld_kept = 0;
  size_t depth_capped_tags = 0;
  size_t attributes_removed = 0;
};

std::string PrefilterHtml(std::string_view html, PrefilterStats* stats = nullptr);

}  // namespace crawlstream::extractor
