// Small UTF-8 and character-class helpers shared by the extractor modules.
// All functions are pure and thread-safe. Input is assumed to be valid UTF-8
// (the charset module guarantees it); malformed bytes decode as U+FFFD.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace crawlstream::extractor {

// Decodes the code point at s[*i] and advances *i past it.
char32_t NextCodePoint(std::string_view s, size_t* i);
void AppendUtf8(char32_t cp, std::string* out);
// The longest prefix of `s` of at most `max_bytes` that does not cut a
// UTF-8 sequence in half.
std::string_view Utf8SafePrefix(std::string_view s, size_t max_bytes);

// Han ideographs (CJK unified + extensions + compatibility).
bool IsHan(char32_t cp);
// Han, kana or hangul: one token per character when scoring.
bool IsCjkToken(char32_t cp);
bool IsKana(char32_t cp);
bool IsHangul(char32_t cp);
// Letters/digits outside the CJK-token range (Latin, Cyrillic, ...).
bool IsWordChar(char32_t cp);
// Unicode white space including U+3000 and U+00A0.
bool IsSpace(char32_t cp);
// Sentence punctuation, Chinese (。，；：！？、) and ASCII (.,;:!?).
bool IsSentencePunct(char32_t cp);

// Counts of the text's characters by class.
struct TextStats {
  uint32_t tokens = 0;   // CJK characters + runs of word characters
  uint32_t han = 0;
  uint32_t kana = 0;
  uint32_t hangul = 0;
  uint32_t latin = 0;    // Latin letters
  uint32_t punct = 0;    // sentence punctuation
  uint32_t chars = 0;    // non-space code points
};
TextStats CountText(std::string_view s);

// ASCII lower-casing.
std::string AsciiLower(std::string_view s);
bool ContainsAsciiCaseless(std::string_view hay, std::string_view needle);

}  // namespace crawlstream::extractor
