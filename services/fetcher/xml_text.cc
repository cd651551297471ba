#include "services/fetcher/xml_text.h"

#include <iconv.h>

#include <cerrno>
#include <string>

namespace crawlstream::fetcher {
namespace {

// What the first bytes say, most specific first (a UTF-32LE mark starts
// like a UTF-16LE one).
struct ByteSignature {
  std::string_view bytes;
  std::string_view encoding;  // empty: refused
  size_t mark_length;         // bytes of a byte-order mark to drop
};
constexpr ByteSignature kByteSignatures[] = {
    {std::string_view("\x00\x00\xFE\xFF", 4), "UTF-32BE", 4},
    {std::string_view("\xFF\xFE\x00\x00", 4), "UTF-32LE", 4},
    {"\xEF\xBB\xBF", "UTF-8", 3},
    {"\xFE\xFF", "UTF-16BE", 2},
    {"\xFF\xFE", "UTF-16LE", 2},
    {std::string_view("\x00\x00\x00\x3C", 4), "UTF-32BE", 0},
    {std::string_view("\x3C\x00\x00\x00", 4), "UTF-32LE", 0},
    {std::string_view("\x00\x3C\x00\x3F", 4), "UTF-16BE", 0},
    {std::string_view("\x3C\x00\x3F\x00", 4), "UTF-16LE", 0},
    {"\x4C\x6F\xA7\x94", "", 0},  // "<?xm" in EBCDIC
};

// Declared labels read differently from their name.
constexpr std::pair<std::string_view, std::string_view> kLabelAliases[] = {
    {"utf8", "UTF-8"},       {"gb2312", "GB18030"}, {"gbk", "GB18030"},
    {"x-gbk", "GB18030"},    {"cp936", "GB18030"},  {"gb_2312-80", "GB18030"},
    {"utf-16", "UTF-8"},     {"utf-16le", "UTF-8"}, {"utf-16be", "UTF-8"},
    {"utf-32", "UTF-8"},     {"ucs-2", "UTF-8"},    {"ucs-4", "UTF-8"},
    {"iso-10646-ucs-2", "UTF-8"},
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The encoding="..." of an XML declaration at the very start, or empty.
std::string DeclaredEncoding(std::string_view text) {
  if (!text.starts_with("<?xml")) return "";
  size_t end = text.find("?>");
  if (end == std::string_view::npos || end > 1024) return "";
  std::string_view decl = text.substr(0, end);
  size_t at = decl.find("encoding");
  if (at == std::string_view::npos) return "";
  size_t eq = decl.find('=', at);
  if (eq == std::string_view::npos) return "";
  size_t q = decl.find_first_of("\"'", eq);
  if (q == std::string_view::npos) return "";
  size_t close = decl.find(decl[q], q + 1);
  if (close == std::string_view::npos) return "";
  return std::string(decl.substr(q + 1, close - q - 1));
}

std::string IconvName(const std::string& declared) {
  std::string label = Lower(declared);
  if (label.empty() || label == "utf-8") return "UTF-8";
  for (const auto& [alias, name] : kLabelAliases) {
    if (label == alias) return std::string(name);
  }
  return declared;
}

// Converts to UTF-8, stopping at the first invalid or truncated sequence.
Result<XmlText> Convert(std::string_view bytes, const std::string& encoding) {
  XmlText out;
  out.encoding = encoding;
  iconv_t cd = iconv_open("UTF-8", encoding.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    return Fail(ErrorCode::kParse, "unsupported XML encoding \"" + encoding + "\"");
  }
  out.utf8.resize(bytes.size() * 2 + 16);
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  size_t written = 0;
  while (in_left > 0) {
    char* dst = out.utf8.data() + written;
    size_t dst_left = out.utf8.size() - written;
    size_t rc = iconv(cd, &in, &in_left, &dst, &dst_left);
    written = static_cast<size_t>(dst - out.utf8.data());
    if (rc != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) {
      out.utf8.resize(out.utf8.size() * 2);
      continue;
    }
    out.error = "invalid " + encoding + " bytes at offset " +
                std::to_string(bytes.size() - in_left) + "; the document ends there";
    break;
  }
  iconv_close(cd);
  out.utf8.resize(written);
  return out;
}

}  // namespace

Result<XmlText> DecodeXmlText(std::string_view bytes) {
  for (const auto& sig : kByteSignatures) {
    if (!bytes.starts_with(sig.bytes)) continue;
    if (sig.encoding.empty()) return Fail(ErrorCode::kParse, "EBCDIC XML is not supported");
    std::string_view rest = bytes.substr(sig.mark_length);
    // A UTF-8 mark wins over the declaration, as in libxml2.
    if (sig.encoding == "UTF-8") return XmlText{std::string(rest), "UTF-8", ""};
    return Convert(rest, std::string(sig.encoding));
  }
  std::string encoding = IconvName(DeclaredEncoding(bytes));
  if (encoding == "UTF-8") {
    // Nothing to convert; invalid UTF-8 is libxml2's to report.
    return XmlText{std::string(bytes), "UTF-8", ""};
  }
  return Convert(bytes, encoding);
}

}  // namespace crawlstream::fetcher
