#include "services/extractor/mojibake.h"

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

// Windows-1252 letters in 0x80-0x9F and the byte each stands for.
constexpr std::pair<char32_t, uint8_t> kWindows1252Bytes[] = {
    {0x20AC, 0x80}, {0x201A, 0x82}, {0x0192, 0x83}, {0x201E, 0x84}, {0x2026, 0x85},
    {0x2020, 0x86}, {0x2021, 0x87}, {0x02C6, 0x88}, {0x2030, 0x89}, {0x0160, 0x8A},
    {0x2039, 0x8B}, {0x0152, 0x8C}, {0x017D, 0x8E}, {0x2018, 0x91}, {0x2019, 0x92},
    {0x201C, 0x93}, {0x201D, 0x94}, {0x2022, 0x95}, {0x2013, 0x96}, {0x2014, 0x97},
    {0x02DC, 0x98}, {0x2122, 0x99}, {0x0161, 0x9A}, {0x203A, 0x9B}, {0x0153, 0x9C},
    {0x017E, 0x9E}, {0x0178, 0x9F}};

// The continuation byte a character stands for, if any.
std::optional<uint8_t> ContinuationByte(char32_t cp) {
  if (cp >= 0x80 && cp <= 0xBF) return static_cast<uint8_t>(cp);
  for (const auto& [c, b] : kWindows1252Bytes)
    if (c == cp) return b;
  return std::nullopt;
}

// Continuation bytes a lead byte needs, and the range its first one must
// fall in (shortest form, no surrogates, at most U+10FFFF).
struct LeadRule {
  int continuations;
  uint8_t first_min;
  uint8_t first_max;
};

std::optional<LeadRule> RuleFor(uint8_t lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return LeadRule{1, 0x80, 0xBF};
  if (lead == 0xE0) return LeadRule{2, 0xA0, 0xBF};
  if (lead == 0xED) return LeadRule{2, 0x80, 0x9F};
  if (lead >= 0xE1 && lead <= 0xEF) return LeadRule{2, 0x80, 0xBF};
  if (lead == 0xF0) return LeadRule{3, 0x90, 0xBF};
  if (lead >= 0xF1 && lead <= 0xF3) return LeadRule{3, 0x80, 0xBF};
  if (lead == 0xF4) return LeadRule{3, 0x80, 0x8F};
  return std::nullopt;
}

// If a candidate starts at text[i] (a character U+00C2-U+00F4), returns
// the repaired character and sets *end past the candidate.
std::optional<char32_t> Candidate(std::string_view text, size_t i, size_t* end) {
  size_t j = i;
  const char32_t lead_cp = NextCodePoint(text, &j);
  if (lead_cp < 0xC2 || lead_cp > 0xF4) return std::nullopt;
  const auto rule = RuleFor(static_cast<uint8_t>(lead_cp));
  if (!rule) return std::nullopt;
  char32_t cp = lead_cp & (rule->continuations == 1 ? 0x1F : rule->continuations == 2 ? 0x0F : 0x07);
  for (int k = 0; k < rule->continuations; ++k) {
    if (j >= text.size()) return std::nullopt;
    const auto byte = ContinuationByte(NextCodePoint(text, &j));
    if (!byte) return std::nullopt;
    if (k == 0 && (*byte < rule->first_min || *byte > rule->first_max)) return std::nullopt;
    cp = (cp << 6) | (*byte & 0x3F);
  }
  *end = j;
  return cp;
}

// Characters U+00C0-U+00FF are C3 80-C3 BF in UTF-8: every candidate and
// every Latin-1 letter starts with the byte 0xC3.
constexpr char kLatin1LetterLead = '\xC3';

}  // namespace

size_t RepairDoubleEncodedUtf8(std::string* utf8) {
  const std::string_view text(*utf8);
  size_t candidates = 0;
  size_t letters = 0;
  for (size_t i = text.find(kLatin1LetterLead); i != std::string_view::npos;
       i = text.find(kLatin1LetterLead, i)) {
    size_t end = i;
    if (Candidate(text, i, &end)) {
      ++candidates;
      i = end;
    } else {
      ++letters;
      i += 2;
    }
  }
  if (candidates < kMinMojibakeSequences || candidates <= letters) return 0;
  std::string out;
  out.reserve(text.size());
  size_t copied = 0;
  for (size_t i = text.find(kLatin1LetterLead); i != std::string_view::npos;
       i = text.find(kLatin1LetterLead, i)) {
    size_t end = i;
    if (const auto cp = Candidate(text, i, &end)) {
      out.append(text.substr(copied, i - copied));
      AppendUtf8(*cp, &out);
      copied = i = end;
    } else {
      i += 2;
    }
  }
  out.append(text.substr(copied));
  *utf8 = std::move(out);
  return candidates;
}

}  // namespace crawlstream::extractor
