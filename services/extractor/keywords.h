// Keyword tables written once, in Simplified Chinese (and any Latin
// entries): the Traditional forms are derived with OpenCC instead of being
// typed a second time.
//
// A KeywordTable holds every entry plus its Traditional variants: OpenCC's
// phrase-aware s2t, s2tw and s2hk conversions, and a character-by-
// character s2t conversion (which gives forms the phrase tables prefer
// otherwise, e.g. 发布时间 -> 發布時間 besides 發佈時間). Variants are
// de-duplicated. The converters are loaded once per process on first use
// (tables are function-local statics); without OpenCC data the table
// holds the entries as written. Contains/StartsWith are thread-safe.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crawlstream::extractor {

class KeywordTable {
 public:
  KeywordTable(std::initializer_list<std::string_view> entries);

  // True when any entry (or variant) occurs in `text`.
  bool ContainedIn(std::string_view text) const;
  // The entry (or variant) `text` starts with, or empty.
  std::string_view PrefixOf(std::string_view text) const;
  const std::vector<std::string>& entries() const { return entries_; }

 private:
  std::vector<std::string> entries_;
};

// Traditional variants of one Simplified string, as above, the string
// itself first.
std::vector<std::string> TraditionalVariants(std::string_view simplified);

// A keyword table whose entries carry data (flags, a strength): each entry
// followed by its Traditional variants with the same data, in the order
// given (tables whose first match wins keep their meaning).
template <typename Data>
std::vector<std::pair<std::string, Data>> WithTraditional(
    std::initializer_list<std::pair<std::string_view, Data>> entries) {
  std::vector<std::pair<std::string, Data>> out;
  for (const auto& [word, data] : entries)
    for (auto& v : TraditionalVariants(word)) out.emplace_back(std::move(v), data);
  return out;
}

}  // namespace crawlstream::extractor
