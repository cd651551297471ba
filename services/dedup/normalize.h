// Text normalised for duplicate detection.
//
// NormalizeForDedup() turns an article body into the sequence of code points
// that fingerprints are computed from:
//   1. script: Article.body_simplified when present; else the body, converted
//      Traditional -> Simplified by the injected ScriptConverter when the body
//      looks Traditional (LooksTraditional) or Article.script is "Hant". Without a converter, Traditional
//      text is used as is (cross-script duplicates are then missed).
//   2. paragraphs (split on line breaks); converter pinyin annotations such as
//      "創(chuàng)新" are dropped; short boilerplate paragraphs (bylines,
//      来源/责编/转自, copyright and disclaimer lines, phone/fax/e-mail lines)
//      are dropped (IsBoilerplateParagraph).
//   3. per code point: full-width ASCII folded to half-width, case folded,
//      everything that is not a letter or a digit (punctuation, symbols,
//      white space) removed.
// Pure functions; thread-safe as long as the converter is.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "services/common/result.h"

namespace crawlstream::v1 {
class Article;
}

namespace crawlstream::dedup {

// Converts Traditional Chinese to Simplified. Implementations must be safe to
// call from several threads.
class ScriptConverter {
 public:
  virtual ~ScriptConverter() = default;
  virtual std::string ToSimplified(std::string_view utf8) const = 0;
};

// OpenCC-backed converter ("t2s.json" by default, found in OpenCC's data
// directory). Returns an error naming the config when OpenCC cannot load it.
Result<std::unique_ptr<ScriptConverter>> MakeOpenccConverter(
    const std::string& config = "t2s.json");

// True when the text holds clearly more Traditional-only than Simplified-only
// characters among a fixed list of frequent ones (at least 3 hits).
bool LooksTraditional(std::string_view utf8);

// Folds one paragraph: width, case, punctuation and white space, pinyin
// annotations. Returns code points.
std::u32string FoldText(std::string_view utf8);

// `folded` is FoldText() of a paragraph. True for bylines, source lines,
// copyright/disclaimer and contact lines.
bool IsBoilerplateParagraph(std::u32string_view folded);

struct NormalizedText {
  std::u32string text;       // folded code points of the kept paragraphs
  uint32_t numbers = 0;      // DigitRunMask of the kept paragraphs, OR-ed
  int dropped_paragraphs = 0;
  bool converted = false;    // the converter was applied
};

// `converter` may be null. It must outlive the call. With `traditional`
// the converter is applied without looking at the text (script "Hant").
NormalizedText NormalizeBody(std::string_view body,
                             const ScriptConverter* converter,
                             bool traditional = false);
NormalizedText NormalizeForDedup(const crawlstream::v1::Article& article,
                                 const ScriptConverter* converter);

// UTF-8 rendering of folded text (tests, debugging).
std::string ToUtf8(std::u32string_view text);

}  // namespace crawlstream::dedup
