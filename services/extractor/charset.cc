#include "services/extractor/charset.h"

#include <uchardet/uchardet.h>
#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <memory>
#include <vector>

#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (IsAsciiSpace(s.front()) || s.front() == '"' ||
                        s.front() == '\''))
    s.remove_prefix(1);
  while (!s.empty() &&
         (IsAsciiSpace(s.back()) || s.back() == '"' || s.back() == '\''))
    s.remove_suffix(1);
  return s;
}

// Value after "charset=" in s, up to ; " ' space or >.
std::optional<std::string> CharsetParam(std::string_view s) {
  std::string lower = AsciiLower(s);
  size_t pos = lower.find("charset");
  while (pos != std::string::npos) {
    size_t i = pos + 7;
    while (i < lower.size() && IsAsciiSpace(lower[i])) ++i;
    if (i < lower.size() && lower[i] == '=') {
      ++i;
      while (i < lower.size() && (IsAsciiSpace(lower[i]) || lower[i] == '"' ||
                                  lower[i] == '\''))
        ++i;
      size_t j = i;
      while (j < lower.size() && lower[j] != ';' && lower[j] != '"' &&
             lower[j] != '\'' && lower[j] != '>' && lower[j] != '/' &&
             !IsAsciiSpace(lower[j]))
        ++j;
      if (j > i) return std::string(s.substr(i, j - i));
    }
    pos = lower.find("charset", pos + 7);
  }
  return std::nullopt;
}

struct UConverterCloser {
  void operator()(UConverter* c) const { ucnv_close(c); }
};

struct ReplaceCounter {
  uint32_t count = 0;
};

// ICU to-Unicode callback: substitute U+FFFD and count.
void CountingSubstitute(const void* context, UConverterToUnicodeArgs* args,
                        const char* codeUnits, int32_t length,
                        UConverterCallbackReason reason, UErrorCode* err) {
  if (reason == UCNV_ILLEGAL || reason == UCNV_IRREGULAR ||
      reason == UCNV_UNASSIGNED) {
    const_cast<ReplaceCounter*>(static_cast<const ReplaceCounter*>(context))
        ->count++;
  }
  UCNV_TO_U_CALLBACK_SUBSTITUTE(nullptr, args, codeUnits, length, reason, err);
}

// Copies valid UTF-8, replacing each invalid sequence with U+FFFD.
std::string SanitizeUtf8(std::string_view in, uint32_t* replaced) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  const size_t n = in.size();
  while (i < n) {
    auto b0 = static_cast<unsigned char>(in[i]);
    if (b0 < 0x80) {
      // Fast path over ASCII runs.
      size_t j = i + 1;
      while (j < n && static_cast<unsigned char>(in[j]) < 0x80) ++j;
      out.append(in.data() + i, j - i);
      i = j;
      continue;
    }
    int len = 0;
    char32_t min = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
      min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      min = 0x10000;
    }
    bool ok = len > 0 && i + len <= n;
    char32_t cp = 0;
    if (ok) {
      cp = b0 & (0x7F >> len);
      for (int k = 1; k < len; ++k) {
        auto b = static_cast<unsigned char>(in[i + k]);
        if ((b & 0xC0) != 0x80) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (b & 0x3F);
      }
      if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)))
        ok = false;
    }
    if (ok) {
      out.append(in.data() + i, len);
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++*replaced;
      // Skip the lead byte and any continuation bytes that follow it.
      ++i;
      while (i < n && (static_cast<unsigned char>(in[i]) & 0xC0) == 0x80 &&
             len > 1) {
        ++i;
        --len;
      }
    }
  }
  return out;
}

}  // namespace

size_t CountInvalidUtf8(std::string_view bytes, size_t stop_after) {
  size_t count = 0;
  size_t i = 0;
  while (i < bytes.size() && count < stop_after) {
    auto b0 = static_cast<unsigned char>(bytes[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    int len = (b0 >= 0xC2 && b0 <= 0xDF)   ? 2
              : (b0 >= 0xE0 && b0 <= 0xEF) ? 3
              : (b0 >= 0xF0 && b0 <= 0xF4) ? 4
                                           : 0;
    bool ok = len > 0 && i + len <= bytes.size();
    for (int k = 1; ok && k < len; ++k) {
      if ((static_cast<unsigned char>(bytes[i + k]) & 0xC0) != 0x80) ok = false;
    }
    if (ok) {
      i += len;
    } else {
      ++count;
      ++i;
    }
  }
  return count;
}

std::string CanonicalCharset(std::string_view label) {
  std::string l = AsciiLower(Trim(label));
  if (l.empty()) return "";
  if (l == "utf-8" || l == "utf8" || l == "unicode-1-1-utf-8") return "UTF-8";
  if (l == "gb2312" || l == "gbk" || l == "x-gbk" || l == "cp936" ||
      l == "gb18030" || l == "gb_2312-80" || l == "chinese" ||
      l == "csgb2312" || l == "windows-936" || l == "euc-cn" || l == "hz-gb-2312")
    return "GB18030";
  if (l == "big5" || l == "big-5" || l == "cn-big5" || l == "x-x-big5" ||
      l == "csbig5" || l == "big5-hkscs" || l == "cp950")
    return "Big5-HKSCS";
  if (l == "iso-8859-1" || l == "latin1" || l == "us-ascii" || l == "ascii" ||
      l == "iso8859-1" || l == "windows-1252" || l == "cp1252")
    return "windows-1252";
  if (l == "utf-16" || l == "utf-16le") return "UTF-16LE";
  if (l == "utf-16be") return "UTF-16BE";
  // Anything ICU knows (shift_jis, euc-kr, koi8-r, windows-125x, ...).
  UErrorCode status = U_ZERO_ERROR;
  const char* name = ucnv_getCanonicalName(l.c_str(), "", &status);
  if (U_FAILURE(status) || name == nullptr || *name == '\0') {
    status = U_ZERO_ERROR;
    name = ucnv_getCanonicalName(l.c_str(), "IANA", &status);
  }
  if (U_SUCCESS(status) && name != nullptr && *name != '\0') {
    return std::string(Trim(label));
  }
  return "";
}

std::optional<std::string> CharsetFromContentType(std::string_view content_type) {
  auto param = CharsetParam(content_type);
  if (!param) return std::nullopt;
  std::string c = CanonicalCharset(*param);
  if (c.empty()) return std::nullopt;
  return c;
}

std::optional<std::string> CharsetFromMeta(std::string_view html) {
  std::string_view head = html.substr(0, kMetaScanBytes);
  size_t pos = 0;
  while (true) {
    pos = head.find('<', pos);
    if (pos == std::string_view::npos || pos + 5 >= head.size()) break;
    if ((head[pos + 1] | 0x20) == 'm' && (head[pos + 2] | 0x20) == 'e' &&
        (head[pos + 3] | 0x20) == 't' && (head[pos + 4] | 0x20) == 'a') {
      size_t end = head.find('>', pos);
      if (end == std::string_view::npos) end = head.size();
      auto tag = head.substr(pos, end - pos);
      if (auto param = CharsetParam(tag)) {
        std::string c = CanonicalCharset(*param);
        // A page that is bytes on the wire cannot be UTF-16 (HTML spec).
        if (c == "UTF-16LE" || c == "UTF-16BE") c = "UTF-8";
        if (!c.empty()) return c;
      }
    }
    ++pos;
  }
  return std::nullopt;
}

CharsetChoice DetectCharset(std::string_view bytes, std::string_view content_type) {
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF")
    return {"UTF-8", "bom"};
  if (bytes.size() >= 2 && bytes.substr(0, 2) == "\xFF\xFE")
    return {"UTF-16LE", "bom"};
  if (bytes.size() >= 2 && bytes.substr(0, 2) == "\xFE\xFF")
    return {"UTF-16BE", "bom"};
  auto mislabelled_utf8 = [&](const std::string& c) {
    if (c != "UTF-8") return false;
    size_t sample = std::min<size_t>(bytes.size(), 256 * 1024);
    size_t bad = CountInvalidUtf8(bytes.substr(0, sample), 64);
    return bad >= 8;
  };
  if (auto c = CharsetFromContentType(content_type); c && !mislabelled_utf8(*c))
    return {*c, "http"};
  if (auto c = CharsetFromMeta(bytes); c && !mislabelled_utf8(*c))
    return {*c, "meta"};
  return DetectFromBytes(bytes);
}

CharsetChoice DetectFromBytes(std::string_view bytes) {
  // Pure ASCII or valid UTF-8 with some non-ASCII: no need for statistics.
  std::string_view s = Utf8SafePrefix(bytes, 512 * 1024);
  bool any_high = false;
  for (char ch : s) {
    if (static_cast<unsigned char>(ch) >= 0x80) {
      any_high = true;
      break;
    }
  }
  if (!any_high) return {"UTF-8", "default"};
  if (CountInvalidUtf8(s, 1) == 0) return {"UTF-8", "detected"};
  uchardet_t ud = uchardet_new();
  uchardet_handle_data(ud, s.data(), s.size());
  uchardet_data_end(ud);
  std::string detected = uchardet_get_charset(ud);
  uchardet_delete(ud);
  std::string c = CanonicalCharset(detected);
  if (c.empty() || c == "UTF-16LE" || c == "UTF-16BE") return {"UTF-8", "default"};
  return {c, "detected"};
}

DecodedText DecodeAs(std::string_view bytes, const CharsetChoice& choice) {
  DecodedText out;
  out.choice = choice;
  if (choice.charset == "UTF-8" || choice.charset.empty()) {
    if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF")
      bytes.remove_prefix(3);
    out.choice.charset = "UTF-8";
    out.utf8 = SanitizeUtf8(bytes, &out.replaced);
    return out;
  }
  if ((choice.charset == "UTF-16LE" || choice.charset == "UTF-16BE") &&
      bytes.size() >= 2 &&
      (bytes.substr(0, 2) == "\xFF\xFE" || bytes.substr(0, 2) == "\xFE\xFF"))
    bytes.remove_prefix(2);
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<UConverter, UConverterCloser> conv(
      ucnv_open(choice.charset.c_str(), &status));
  if (U_FAILURE(status) || !conv) {
    CharsetChoice fallback{"UTF-8", "default"};
    return DecodeAs(bytes, fallback);
  }
  ReplaceCounter counter;
  ucnv_setToUCallBack(conv.get(), CountingSubstitute, &counter, nullptr,
                      nullptr, &status);
  // Convert in chunks: source bytes -> UTF-16 -> UTF-8.
  std::vector<UChar> buf(64 * 1024);
  const char* src = bytes.data();
  const char* src_end = bytes.data() + bytes.size();
  out.utf8.reserve(bytes.size() * 3 / 2);
  std::string chunk8;
  size_t carry = 0;  // a lead surrogate left from the previous chunk
  while (true) {
    UChar* target = buf.data() + carry;
    status = U_ZERO_ERROR;
    ucnv_toUnicode(conv.get(), &target, buf.data() + buf.size(), &src, src_end,
                   nullptr, /*flush=*/true, &status);
    int32_t n16 = static_cast<int32_t>(target - buf.data());
    carry = 0;
    if (status == U_BUFFER_OVERFLOW_ERROR && n16 > 0 && U16_IS_LEAD(buf[n16 - 1])) {
      carry = 1;
      --n16;
    }
    if (n16 > 0) {
      int32_t need = 0;
      UErrorCode s2 = U_ZERO_ERROR;
      u_strToUTF8WithSub(nullptr, 0, &need, buf.data(), n16, 0xFFFD, nullptr,
                         &s2);
      chunk8.resize(static_cast<size_t>(need));
      s2 = U_ZERO_ERROR;
      u_strToUTF8WithSub(chunk8.data(), need, &need, buf.data(), n16, 0xFFFD,
                         nullptr, &s2);
      out.utf8.append(chunk8.data(), static_cast<size_t>(need));
    }
    if (carry) buf[0] = buf[n16];
    if (status == U_BUFFER_OVERFLOW_ERROR) continue;
    break;
  }
  out.replaced = counter.count;
  return out;
}

DecodedText DecodeToUtf8(std::string_view bytes, std::string_view content_type) {
  return DecodeAs(bytes, DetectCharset(bytes, content_type));
}

}  // namespace crawlstream::extractor
