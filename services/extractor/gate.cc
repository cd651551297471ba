#include "services/extractor/gate.h"

#include <string>

#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

constexpr std::string_view kHtmlMediaTypes[] = {"", "text/html", "application/xhtml+xml",
                                                "text/plain"};
constexpr std::string_view kHtmlMarkers[] = {"<html", "<!doctype html", "<head", "<body"};
constexpr size_t kSniffBytes = 1024;
constexpr size_t kBinaryProbeBytes = 4096;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

bool DeclaredNonHtml(std::string_view body, std::string_view content_type) {
  const std::string media = AsciiLower(Trim(content_type.substr(0, content_type.find(';'))));
  for (std::string_view t : kHtmlMediaTypes)
    if (media == t) return false;
  const std::string head = AsciiLower(body.substr(0, kSniffBytes));
  for (std::string_view m : kHtmlMarkers)
    if (head.find(m) != std::string::npos) return false;
  return true;
}

bool LooksBinary(std::string_view body) {
  std::string_view head = body.substr(0, kBinaryProbeBytes);
  if (head.starts_with("\xFF\xFE") || head.starts_with("\xFE\xFF")) return false;
  size_t control = 0;
  for (char c : head) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x09 || (u > 0x0D && u < 0x20 && u != 0x1B)) ++control;
  }
  return control * 20 > head.size();
}

constexpr size_t kDecodedProbeBytes = 16 * 1024;

bool Garbage(char32_t cp) {
  if (cp == 0xFFFD) return true;
  if (cp < 0x20) return cp != '\t' && cp != '\n' && cp != '\r' && cp != '\f';
  if (cp >= 0x7F && cp < 0xA0) return true;
  return cp >= 0xE000 && cp <= 0xF8FF;
}

}  // namespace

std::optional<Error> ScreenDecoded(std::string_view utf8) {
  std::string_view probe = utf8.substr(0, kDecodedProbeBytes);
  size_t i = 0, total = 0, garbage = 0;
  while (i < probe.size()) {
    char32_t cp = NextCodePoint(probe, &i);
    ++total;
    garbage += Garbage(cp);
  }
  if (total > 0 && garbage * 20 > total) return Error{ErrorCode::kNotAnArticle, "binary"};
  return std::nullopt;
}

std::optional<Error> ScreenInput(std::string_view body, std::string_view content_type,
                                 size_t max_input_bytes) {
  if (body.size() > max_input_bytes) return Error{ErrorCode::kResourceExhausted, "oversize"};
  if (body.empty()) return Error{ErrorCode::kNotAnArticle, "empty_document"};
  if (DeclaredNonHtml(body, content_type)) return Error{ErrorCode::kNotAnArticle, "not_html"};
  if (LooksBinary(body)) return Error{ErrorCode::kNotAnArticle, "binary"};
  return std::nullopt;
}

}  // namespace crawlstream::extractor
