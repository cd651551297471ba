#include "services/extractor/language.h"

#include <unicode/uscript.h>

// compact_lang_det.h uses FILE without including <cstdio>.
#include <cstdio>

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

#include <map>
#include <utility>

#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

constexpr size_t kMaxSampleBytes = 20000;

// Tags CLD2 or old pages use that BCP 47 has replaced.
constexpr std::pair<std::string_view, std::string_view> kReplacedTags[] = {
    {"iw", "he"},  // Hebrew
    {"in", "id"},  // Indonesian
    {"ji", "yi"},  // Yiddish
    {"jw", "jv"},  // Javanese (CLD2)
    {"mo", "ro"},  // Moldavian
};

// Tags that name no language: CLD2's unknown ("un", "xxx") and its
// script-only answers ("xx-Latn"), BCP 47's undetermined and no content.
constexpr std::string_view kNoLanguage[] = {"un", "xx", "xxx", "und", "zxx", "mul"};

// The primary subtag of a language tag ("zh-Hant" -> "zh", "en_US" ->
// "en"), lower-case and with replaced tags updated; empty when `tag` names
// no language.
std::string PrimaryTag(std::string_view tag) {
  std::string primary = AsciiLower(tag.substr(0, tag.find_first_of("-_")));
  if (primary.size() < 2 || primary.size() > 3) return {};
  for (char c : primary) {
    if (c < 'a' || c > 'z') return {};
  }
  for (std::string_view none : kNoLanguage) {
    if (primary == none) return {};
  }
  for (const auto& [old_tag, new_tag] : kReplacedTags) {
    if (primary == old_tag) return std::string(new_tag);
  }
  return primary;
}

// At most kMaxSampleBytes of `text`, not cutting a UTF-8 sequence.
std::string_view Sample(std::string_view text) {
  if (text.size() <= kMaxSampleBytes) return text;
  size_t end = kMaxSampleBytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

struct LanguageEvidence {
  std::string_view text;       // the body sample
  std::string_view html_lang;  // <html lang>
};

// CLD2 on the body; only a reliable answer counts. The answer is the
// language of the largest share of the text (top3[0]), not CLD2's summary
// language: that one passes over a leading English (or French, Italian,
// German, Spanish) for a second language holding 17-20 % of the text,
// taking the first for navigation boilerplate. Here the boilerplate is
// gone, and an English review page quoting one German review is English.
std::string FromCld2(const LanguageEvidence& e) {
  if (e.text.empty()) return {};
  CLD2::Language top3[3];
  int percent3[3];
  double normalized_score3[3];
  int text_bytes = 0;
  bool reliable = false;
  int valid_prefix_bytes = 0;
  const CLD2::CLDHints no_hints = {nullptr, nullptr, CLD2::UNKNOWN_ENCODING,
                                   CLD2::UNKNOWN_LANGUAGE};
  CLD2::Language language = CLD2::ExtDetectLanguageSummaryCheckUTF8(
      e.text.data(), static_cast<int>(e.text.size()), /*is_plain_text=*/true, &no_hints,
      /*flags=*/0, top3, percent3, normalized_score3, /*resultchunkvector=*/nullptr,
      &text_bytes, &reliable, &valid_prefix_bytes);
  if (!reliable) return {};
  return PrimaryTag(CLD2::LanguageCode(top3[0] != CLD2::UNKNOWN_LANGUAGE ? top3[0] : language));
}

std::string FromHtmlLang(const LanguageEvidence& e) { return PrimaryTag(e.html_lang); }

// Where the language can come from, most trusted first; the first that
// answers wins, "und" when none does.
struct LanguageSource {
  std::string_view name;
  std::string (*find)(const LanguageEvidence&);
};
constexpr LanguageSource kLanguageSources[] = {
    {"cld2", FromCld2},            // reliable on a paragraph or more of text
    {"html_lang", FromHtmlLang},   // <html lang="de-DE">: often a template default
};

// Scripts a language is always written in, whatever the letters say.
constexpr std::pair<std::string_view, std::string_view> kLanguageScripts[] = {
    {"ja", "Jpan"},  // kana + kanji
    {"ko", "Kore"},  // hangul + hanja
};

// ISO 15924 code of the script most letters of `text` belong to; "Zyyy"
// (common) when there are none.
std::string DominantScript(std::string_view text) {
  std::map<UScriptCode, size_t> counts;
  for (size_t i = 0; i < text.size();) {
    const char32_t cp = NextCodePoint(text, &i);
    UErrorCode status = U_ZERO_ERROR;
    const UScriptCode script = uscript_getScript(static_cast<UChar32>(cp), &status);
    if (U_FAILURE(status) || script == USCRIPT_COMMON || script == USCRIPT_INHERITED ||
        script == USCRIPT_UNKNOWN) {
      continue;
    }
    ++counts[script];
  }
  UScriptCode best = USCRIPT_COMMON;
  size_t best_count = 0;
  for (const auto& [script, count] : counts) {
    if (count > best_count) {
      best = script;
      best_count = count;
    }
  }
  const char* name = uscript_getShortName(best);
  return name != nullptr ? std::string(name) : std::string("Zyyy");
}

}  // namespace

LanguageGuess GuessLanguage(std::string_view text, size_t hant_chars,
                            size_t hans_chars, std::string_view html_lang) {
  const LanguageEvidence evidence{Sample(text), html_lang};
  LanguageGuess guess{"und", ""};
  for (const LanguageSource& source : kLanguageSources) {
    if (std::string found = source.find(evidence); !found.empty()) {
      guess.language = std::move(found);
      break;
    }
  }
  if (guess.language == "zh") {
    guess.script = hant_chars > hans_chars ? "Hant" : "Hans";
    return guess;
  }
  for (const auto& [language, script] : kLanguageScripts) {
    if (guess.language == language) {
      guess.script = std::string(script);
      return guess;
    }
  }
  guess.script = DominantScript(evidence.text);
  return guess;
}

}  // namespace crawlstream::extractor
