#include "services/extractor/normalise.h"

#include <opencc/opencc.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

bool IsInvisible(char32_t cp) {
  if (cp == 0x200B || cp == 0x200C || cp == 0x200D || cp == 0x2060 ||
      cp == 0xFEFF || cp == 0xAD || cp == 0x200E || cp == 0x200F)
    return true;
  if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') return true;
  if (cp == 0x7F || (cp >= 0x80 && cp < 0xA0 && cp != 0x85)) return true;
  return false;
}

bool IsToneVowel(char32_t cp) {
  switch (cp) {
    case U'ā': case U'á': case U'ǎ': case U'à': case U'ē': case U'é':
    case U'ě': case U'è': case U'ī': case U'í': case U'ǐ': case U'ì':
    case U'ō': case U'ó': case U'ǒ': case U'ò': case U'ū': case U'ú':
    case U'ǔ': case U'ù': case U'ǖ': case U'ǘ': case U'ǚ': case U'ǜ':
      return true;
    default:
      return false;
  }
}

bool NeedsNfc(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0xCC) return true;
  return false;
}

std::string Nfc(std::string_view s) {
  if (!NeedsNfc(s)) return std::string(s);
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return std::string(s);
  icu::StringPiece piece(s.data(), static_cast<int32_t>(s.size()));
  // Fast path straight on UTF-8: nearly all text is already NFC.
  if (nfc->isNormalizedUTF8(piece, status) && U_SUCCESS(status))
    return std::string(s);
  status = U_ZERO_ERROR;
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(piece);
  icu::UnicodeString n = nfc->normalize(u, status);
  if (U_FAILURE(status)) return std::string(s);
  std::string out;
  n.toUTF8String(out);
  return out;
}

}  // namespace

std::string NormaliseParagraph(std::string_view text) {
  std::string nfc = Nfc(text);
  std::string out;
  out.reserve(nfc.size());
  size_t i = 0;
  bool pending_space = false;
  bool source_break = false;
  char32_t prev = 0;
  while (i < nfc.size()) {
    char32_t cp = NextCodePoint(nfc, &i);
    if (IsSpace(cp)) {
      pending_space = true;
      if (cp == '\n' || cp == '\r' || cp == '\t') source_break = true;
      continue;
    }
    if (IsInvisible(cp)) continue;
    if (pending_space && !out.empty()) {
      // A source line break between two CJK characters (or full-width
      // punctuation) is layout, not text. Explicit spaces separate names.
      bool cjk_gap = source_break && (IsCjkToken(prev) || (prev >= 0x3000 && prev <= 0x303F) ||
                      (prev >= 0xFF00 && prev <= 0xFFEF)) &&
                     (IsCjkToken(cp) || (cp >= 0x3000 && cp <= 0x303F) ||
                      (cp >= 0xFF00 && cp <= 0xFFEF));
      if (!cjk_gap) out.push_back(' ');
    }
    pending_space = false;
    source_break = false;
    AppendUtf8(cp, &out);
    prev = cp;
  }
  return out;
}

std::string RemoveConverterPinyin(std::string_view text) {
  if (text.find('(') == std::string_view::npos &&
      text.find("\xEF\xBC\x88") == std::string_view::npos)
    return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  char32_t prev = 0;
  while (i < text.size()) {
    size_t start = i;
    char32_t cp = NextCodePoint(text, &i);
    if ((cp == '(' || cp == 0xFF08) && IsHan(prev)) {
      // Scan a candidate syllable.
      size_t j = i;
      int letters = 0, tones = 0;
      bool ok = true;
      char32_t close = 0;
      while (j < text.size()) {
        char32_t c = NextCodePoint(text, &j);
        if (c == ')' || c == 0xFF09) {
          close = c;
          break;
        }
        if (IsToneVowel(c)) {
          ++tones;
          ++letters;
        } else if ((c >= 'a' && c <= 'z') || c == U'ü') {
          ++letters;
        } else {
          ok = false;
          break;
        }
        if (letters > 7) {
          ok = false;
          break;
        }
      }
      if (ok && close != 0 && tones == 1 && letters >= 1) {
        i = j;  // drop "(syllable)"
        continue;
      }
    }
    out.append(text.substr(start, i - start));
    prev = cp;
  }
  return out;
}

std::string JoinParagraphs(const std::vector<std::string>& paragraphs) {
  std::string out;
  for (const auto& p : paragraphs) {
    if (p.empty()) continue;
    if (!out.empty()) out += "\n\n";
    out += p;
  }
  return out;
}

namespace {

bool IsWide(char32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || cp >= 0x20000;
}

size_t DisplayWidth(std::string_view s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) width += IsWide(NextCodePoint(s, &i)) ? 2 : 1;
  return width;
}

char32_t LastCodePoint(std::string_view s) {
  size_t start = s.size();
  while (start > 0 && (static_cast<unsigned char>(s[start - 1]) & 0xC0) == 0x80) --start;
  if (start > 0) --start;
  size_t i = start;
  return s.empty() ? 0 : NextCodePoint(s, &i);
}

bool EndsSentence(std::string_view s) {
  switch (LastCodePoint(s)) {
    case U'。': case U'！': case U'？': case U'…': case U'”': case U'」':
    case U'』': case U'.': case U'!': case U'?': case U'"': case U':': case U'：':
    case U'□': case U'）': case U')':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::vector<std::string> JoinHardWrappedLines(std::vector<std::string> lines) {
  constexpr size_t kMinWidth = 30, kSlack = 3;
  std::vector<size_t> width(lines.size());
  size_t long_lines = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    width[i] = DisplayWidth(lines[i]);
    long_lines += width[i] >= kMinWidth;
  }
  // W: the width whose window [W - 3, W] holds the most lines (linear in
  // the lines: a histogram of widths up to kMaxWidth, a wrap column no
  // terminal-era page exceeds).
  constexpr size_t kMaxWidth = 400;
  std::vector<size_t> histogram(kMaxWidth + 1, 0);
  for (size_t w : width)
    if (w >= kMinWidth && w <= kMaxWidth) ++histogram[w];
  size_t best_w = 0, best_count = 0;
  for (size_t w = kMinWidth; w <= kMaxWidth; ++w) {
    size_t count = 0;
    for (size_t v = w - kSlack; v <= w; ++v) count += histogram[v];
    if (count > best_count) {
      best_w = w;
      best_count = count;
    }
  }
  // W is the widest line inside the winning window.
  for (size_t v = best_w; v >= kMinWidth && v + kSlack >= best_w && best_count > 0; --v) {
    if (histogram[v] > 0) {
      best_w = v;
      break;
    }
  }
  if (best_count < 5 || best_count * 10 < long_lines * 4) return lines;
  std::vector<std::string> out;
  bool open = false;  // the last output paragraph continues
  for (size_t i = 0; i < lines.size(); ++i) {
    if (open && !out.back().empty() && !lines[i].empty()) {
      const char32_t before = LastCodePoint(out.back());
      size_t at = 0;
      const char32_t after = NextCodePoint(lines[i], &at);
      if (!IsWide(before) && !IsWide(after)) out.back() += ' ';
      out.back() += lines[i];
    } else {
      out.push_back(std::move(lines[i]));
    }
    const size_t w = width[i];
    // A line well over W is a real paragraph, not a wrapped one.
    const bool full = w + kSlack >= best_w && w <= best_w + 2;
    if (w > best_w + 2) {
      open = false;
      continue;
    }
    open = full || (4 * w >= 3 * best_w && !EndsSentence(out.back()));
  }
  return out;
}

ScriptConverter::ScriptConverter(const std::string& config) {
  opencc_t od = opencc_open(config.c_str());
  if (od != reinterpret_cast<opencc_t>(-1)) handle_ = od;
}

ScriptConverter::~ScriptConverter() {
  if (handle_ != nullptr) opencc_close(static_cast<opencc_t>(handle_));
}

std::string ScriptConverter::Convert(std::string_view text) const {
  if (handle_ == nullptr || text.empty()) return std::string(text);
  char* converted = opencc_convert_utf8(static_cast<opencc_t>(handle_),
                                        text.data(), text.size());
  if (converted == nullptr) return std::string(text);
  std::string out(converted);
  opencc_convert_utf8_free(converted);
  return out;
}

}  // namespace crawlstream::extractor
