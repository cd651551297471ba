// HTML character references left in text that was not parsed as HTML:
// JSON-LD strings and double-escaped meta values ("Movers &amp;#038;
// Packers", "Trends &#8211; 2025") carry them literally.
//
// DecodeCharacterReferences replaces numeric references (&#8211; &#x2013;)
// and the named references that occur in such text (the XML five, nbsp,
// dashes, quotes, ellipsis, a few symbols) with their UTF-8 characters.
// Decoding repeats while the text changes, at most three rounds, so
// "&amp;#038;" becomes "&". Unknown names, invalid code points (surrogates,
// above U+10FFFF, NUL) and unterminated references are left as they are.
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace crawlstream::extractor {

std::string DecodeCharacterReferences(std::string_view text);

}  // namespace crawlstream::extractor
