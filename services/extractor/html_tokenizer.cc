#include "services/extractor/html_tokenizer.h"

#include <algorithm>
#include <cstring>

#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

struct NamedReference {
  std::string_view name;   // without '&'; with ';' unless a legacy form
  std::string_view value;  // UTF-8
};

constexpr NamedReference kNamedReferences[] = {
#include "services/extractor/html_entities.inc"
};

// Longest name in the table ("CounterClockwiseContourIntegral;").
constexpr size_t kMaxReferenceName = 32;
// Longest legacy name that works without ';' ("middot", "frac12").
constexpr size_t kMaxLegacyName = 6;
// Attributes kept per tag; later duplicates and extras are skipped (the
// prefilter already keeps at most 16, this bounds direct callers).
constexpr size_t kMaxAttributes = 64;

// Windows-1252 meanings of numeric references 0x80-0x9F (WHATWG).
constexpr char16_t kWindows1252[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

const NamedReference* FindReference(std::string_view name) {
  const auto* end = std::end(kNamedReferences);
  const auto* it = std::lower_bound(
      std::begin(kNamedReferences), end, name,
      [](const NamedReference& r, std::string_view n) { return r.name < n; });
  return it != end && it->name == name ? it : nullptr;
}

inline bool IsAsciiAlpha(char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
inline bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAsciiAlnum(char c) { return IsAsciiAlpha(c) || IsAsciiDigit(c); }
inline bool IsHexDigit(char c) {
  return IsAsciiDigit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}
inline bool IsTagSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}
inline char LowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

char32_t NumericValue(uint32_t v) {
  if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0xFFFD;
  if (v >= 0x80 && v <= 0x9F) return kWindows1252[v - 0x80];
  return v;
}

// Decodes the reference at raw[amp] ('&') into *out and returns the index
// just past it; amp + 1 with a literal '&' when nothing matches.
size_t DecodeReference(std::string_view raw, size_t amp, bool in_attribute, std::string* out) {
  size_t i = amp + 1;
  if (i < raw.size() && raw[i] == '#') {
    size_t k = i + 1;
    const bool hex = k < raw.size() && (raw[k] == 'x' || raw[k] == 'X');
    if (hex) ++k;
    const size_t digits = k;
    uint32_t v = 0;
    while (k < raw.size() && (hex ? IsHexDigit(raw[k]) : IsAsciiDigit(raw[k]))) {
      const char c = LowerAscii(raw[k]);
      const uint32_t d = IsAsciiDigit(c) ? static_cast<uint32_t>(c - '0')
                                         : static_cast<uint32_t>(c - 'a' + 10);
      v = std::min<uint32_t>(v * (hex ? 16 : 10) + d, 0x110000);
      ++k;
    }
    if (k == digits) {
      out->push_back('&');
      return amp + 1;
    }
    if (k < raw.size() && raw[k] == ';') ++k;
    AppendUtf8(NumericValue(v), out);
    return k;
  }
  size_t k = i;
  while (k < raw.size() && k - i < kMaxReferenceName && IsAsciiAlnum(raw[k])) ++k;
  const std::string_view run = raw.substr(i, k - i);
  if (run.empty()) {
    out->push_back('&');
    return amp + 1;
  }
  if (k < raw.size() && raw[k] == ';') {
    if (const NamedReference* r = FindReference(raw.substr(i, k + 1 - i))) {
      out->append(r->value);
      return k + 1;
    }
  }
  // Legacy references work without ';': the longest that prefixes the run.
  for (size_t len = std::min(run.size(), kMaxLegacyName); len >= 2; --len) {
    const NamedReference* r = FindReference(run.substr(0, len));
    if (r == nullptr) continue;
    const size_t after = i + len;
    if (in_attribute && after < raw.size() && (IsAsciiAlnum(raw[after]) || raw[after] == '='))
      break;
    out->append(r->value);
    return after;
  }
  out->push_back('&');
  return amp + 1;
}

// Finds "</name" (case-insensitive) followed by space, '/' or '>' at or
// after `from`; npos if absent.
size_t FindEndTag(std::string_view html, size_t from, std::string_view name) {
  while (true) {
    const size_t p = html.find("</", from);
    if (p == std::string_view::npos) return p;
    size_t k = 0;
    while (k < name.size() && p + 2 + k < html.size() && LowerAscii(html[p + 2 + k]) == name[k])
      ++k;
    const size_t after = p + 2 + k;
    if (k == name.size() &&
        (after >= html.size() || IsTagSpace(html[after]) || html[after] == '/' ||
         html[after] == '>'))
      return p;
    from = p + 2;
  }
}

// Elements whose content is raw text up to their end tag, and whether
// references in it are decoded.
struct RawTextElement {
  std::string_view name;
  bool decode;
};
constexpr RawTextElement kRawTextElements[] = {
    {"script", false}, {"style", false},    {"xmp", false},     {"iframe", false},
    {"noembed", false}, {"noframes", false}, {"noscript", false}, {"title", true},
    {"textarea", true},
};

}  // namespace

std::string_view HtmlToken::Attr(std::string_view attr_name) const {
  for (size_t i = 0; i < attribute_count; ++i)
    if (attributes[i].name == attr_name) return attributes[i].value;
  return {};
}

bool HtmlToken::HasAttr(std::string_view attr_name) const {
  for (size_t i = 0; i < attribute_count; ++i)
    if (attributes[i].name == attr_name) return true;
  return false;
}

void AppendDecodedHtml(std::string_view raw, bool in_attribute, std::string* out) {
  size_t start = 0;
  size_t i = 0;
  const size_t n = raw.size();
  while (i < n) {
    const char c = raw[i];
    if (c != '&' && c != '\r' && c != '\0') {
      ++i;
      continue;
    }
    out->append(raw.data() + start, i - start);
    if (c == '&') {
      i = DecodeReference(raw, i, in_attribute, out);
    } else if (c == '\r') {
      out->push_back('\n');
      ++i;
      if (i < n && raw[i] == '\n') ++i;
    } else {
      ++i;  // NUL
    }
    start = i;
  }
  out->append(raw.data() + start, n - start);
}

void HtmlTokenizer::Next(HtmlToken* token) {
  token->text.clear();
  token->attribute_count = 0;
  token->self_closing = false;
  const size_t n = html_.size();
  if (plaintext_ && pos_ < n) {
    token->type = HtmlToken::Type::kText;
    AppendDecodedHtml(html_.substr(pos_), false, &token->text);
    pos_ = n;
    return;
  }
  if (!raw_end_.empty()) {
    ReadRawText(token);
    if (token->type == HtmlToken::Type::kText) return;
  }
  size_t text_start = pos_;
  while (true) {
    const void* hit = pos_ < n ? std::memchr(html_.data() + pos_, '<', n - pos_) : nullptr;
    if (hit == nullptr) {
      pos_ = n;
      break;
    }
    const size_t lt = static_cast<size_t>(static_cast<const char*>(hit) - html_.data());
    const char c1 = lt + 1 < n ? html_[lt + 1] : '\0';
    const char c2 = lt + 2 < n ? html_[lt + 2] : '\0';
    const bool start_tag = IsAsciiAlpha(c1);
    const bool end_tag = c1 == '/' && IsAsciiAlpha(c2);
    const bool skipped = c1 == '!' || c1 == '?' || (c1 == '/' && !IsAsciiAlpha(c2) && lt + 2 < n);
    if (!start_tag && !end_tag && !skipped) {
      pos_ = lt + 1;  // a '<' that starts nothing is text
      continue;
    }
    if (lt > text_start) {
      // Emit the text first; the markup is read on the next call.
      pos_ = lt;
      token->type = HtmlToken::Type::kText;
      AppendDecodedHtml(html_.substr(text_start, lt - text_start), false, &token->text);
      return;
    }
    if (skipped) {
      // Comment, doctype, CDATA, processing instruction, "</ ...>".
      size_t end;
      if (html_.substr(lt, 4) == "<!--") {
        end = html_.find("-->", lt + 4);
        end = end == std::string_view::npos ? n : end + 3;
      } else {
        end = html_.find('>', lt + 2);
        end = end == std::string_view::npos ? n : end + 1;
      }
      pos_ = text_start = end;
      continue;
    }
    ReadTag(lt, token);
    return;
  }
  if (n > text_start) {
    token->type = HtmlToken::Type::kText;
    AppendDecodedHtml(html_.substr(text_start, n - text_start), false, &token->text);
    return;
  }
  token->type = HtmlToken::Type::kEnd;
}

void HtmlTokenizer::ReadTag(size_t lt, HtmlToken* token) {
  const size_t n = html_.size();
  const bool closing = html_[lt + 1] == '/';
  size_t i = lt + (closing ? 2 : 1);
  token->name.clear();
  while (i < n && !IsTagSpace(html_[i]) && html_[i] != '/' && html_[i] != '>') {
    token->name.push_back(LowerAscii(html_[i]));
    ++i;
  }
  while (true) {
    while (i < n && IsTagSpace(html_[i])) ++i;
    if (i >= n) {
      // Cut off by the end of input: dropped.
      pos_ = n;
      token->type = HtmlToken::Type::kEnd;
      return;
    }
    const char c = html_[i];
    if (c == '>') {
      ++i;
      break;
    }
    if (c == '/') {
      ++i;
      if (i < n && html_[i] == '>') {
        token->self_closing = true;
        ++i;
        break;
      }
      continue;
    }
    const size_t name_start = i++;
    while (i < n && !IsTagSpace(html_[i]) && html_[i] != '/' && html_[i] != '>' &&
           html_[i] != '=')
      ++i;
    const std::string_view name = html_.substr(name_start, i - name_start);
    size_t j = i;
    while (j < n && IsTagSpace(html_[j])) ++j;
    std::string_view value;
    if (j < n && html_[j] == '=') {
      ++j;
      while (j < n && IsTagSpace(html_[j])) ++j;
      if (j < n && (html_[j] == '"' || html_[j] == '\'')) {
        const size_t close = html_.find(html_[j], j + 1);
        if (close == std::string_view::npos) {
          pos_ = n;
          token->type = HtmlToken::Type::kEnd;
          return;
        }
        value = html_.substr(j + 1, close - j - 1);
        i = close + 1;
      } else {
        size_t k = j;
        while (k < n && !IsTagSpace(html_[k]) && html_[k] != '>') ++k;
        value = html_.substr(j, k - j);
        i = k;
      }
    }
    if (closing || token->attribute_count >= kMaxAttributes) continue;
    std::string lower = AsciiLower(name);
    if (token->HasAttr(lower)) continue;
    if (token->attributes.size() <= token->attribute_count) token->attributes.emplace_back();
    HtmlAttribute& a = token->attributes[token->attribute_count++];
    a.name = std::move(lower);
    a.value.clear();
    AppendDecodedHtml(value, true, &a.value);
  }
  pos_ = i;
  token->type = closing ? HtmlToken::Type::kEndTag : HtmlToken::Type::kStartTag;
  if (closing) return;
  if (token->name == "plaintext") {
    plaintext_ = true;
    return;
  }
  for (const RawTextElement& r : kRawTextElements)
    if (token->name == r.name) {  // a '/>' does not close these (WHATWG)
      raw_end_ = r.name;
      raw_decode_ = r.decode;
      return;
    }
}

void HtmlTokenizer::ReadRawText(HtmlToken* token) {
  const size_t n = html_.size();
  size_t close = FindEndTag(html_, pos_, raw_end_);
  if (close == std::string_view::npos) close = n;
  const std::string_view content = html_.substr(pos_, close - pos_);
  pos_ = close;
  raw_end_.clear();
  if (content.empty()) {
    token->type = HtmlToken::Type::kEnd;  // caller goes on with the end tag
    return;
  }
  token->type = HtmlToken::Type::kText;
  if (raw_decode_) {
    AppendDecodedHtml(content, false, &token->text);
  } else {
    token->text.assign(content);
  }
}

}  // namespace crawlstream::extractor
