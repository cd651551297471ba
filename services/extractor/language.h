// The language and script of an article body.
//
// Language: CLD2 (Compact Language Detector 2, libcld2) on the body text;
// when CLD2 is not confident (short, mixed or unusual text) the page's
// <html lang> attribute; otherwise "und". The answer is a BCP 47 primary
// language subtag: "zh", "en", "ja", "de", "he" (never CLD2's legacy "iw"
// or its "zh-Hant": the script is reported separately).
//
// Script (ISO 15924): "zh" is "Hant" when `hant_chars` (characters that
// change under OpenCC t2s) outnumber `hans_chars` (characters that change
// under s2t), else "Hans"; "ja" is "Jpan", "ko" is "Kore"; any other
// language gets the script most of the body's letters are written in
// ("Latn", "Cyrl", "Arab", ...), "Zyyy" when the body has no letters.
//
// Pure and thread-safe (CLD2's tables are read-only).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace crawlstream::extractor {

struct LanguageGuess {
  std::string language;  // BCP 47 primary tag: "zh", "en", "ja", ... or "und"
  std::string script;    // ISO 15924: "Hans", "Hant", "Latn", ...
};

// `text` is the article body (valid UTF-8; only its first 20 000 bytes are
// read); `html_lang` the page's lang attribute ("zh-CN", "en_US", "").
LanguageGuess GuessLanguage(std::string_view text, size_t hant_chars,
                            size_t hans_chars, std::string_view html_lang);

}  // namespace crawlstream::extractor
