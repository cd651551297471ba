// Text normalisation for extracted article text.
//
//   NormaliseParagraph: NFC; zero-width (U+200B..U+200D, U+2060, U+FEFF),
//     soft hyphen and control characters removed; every run of white space
//     (including U+3000 and NBSP) collapsed to one ASCII space, and dropped
//     entirely when it holds a source line break between two CJK
//     characters (HTML source wrapping); trimmed. Full-width Chinese
//     punctuation is kept as is.
//   RemoveConverterPinyin: deletes the tone-marked pinyin that broken
//     Simplified->Traditional converters insert after a Han character
//     (`創(chuàng)新` -> `創新`). Only a parenthesised single lower-case
//     syllable with exactly one tone mark that directly follows a Han
//     character is removed; `(ISO)`, `(2023)`, `（记者 张三）` stay.
//   JoinParagraphs: non-empty paragraphs joined by "\n\n".
//   JoinHardWrappedLines: undoes fixed-width wrapping (old pages that put a
//     <br> every ~36 Han characters). Only when at least 5 lines, and 40 %
//     of the lines of 30 columns or more, have nearly the same display
//     width W (Han and full-width characters are two columns): a line then
//     continues into the next when it is full (>= W - 3 columns), or when it
//     is at least 3/4 of W (a paragraph's indented first line) and does not
//     end a sentence. Short lines and headings stay paragraphs. Latin text
//     joins with a space, Han text without.
// ScriptConverter wraps OpenCC (t2s/s2t); it is expensive to build, cheap to
// use, and const methods are safe to call from many threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace crawlstream::extractor {

std::string NormaliseParagraph(std::string_view text);
std::string RemoveConverterPinyin(std::string_view text);
std::string JoinParagraphs(const std::vector<std::string>& paragraphs);
std::vector<std::string> JoinHardWrappedLines(std::vector<std::string> lines);

class ScriptConverter {
 public:
  // `config` is an OpenCC config name such as "t2s.json". When OpenCC or
  // its data is missing, ok() is false and Convert returns the input.
  explicit ScriptConverter(const std::string& config);
  ~ScriptConverter();
  ScriptConverter(const ScriptConverter&) = delete;
  ScriptConverter& operator=(const ScriptConverter&) = delete;

  bool ok() const { return handle_ != nullptr; }
  std::string Convert(std::string_view text) const;

 private:
  void* handle_ = nullptr;
};

}  // namespace crawlstream::extractor
