#include "services/extractor/decode.h"

#include <optional>

#include "services/extractor/mojibake.h"
#include "services/extractor/prefilter.h"
#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

// Non-ASCII bytes a sample needs before its UTF-8 validity proves anything.
constexpr size_t kMinHighBytes = 16;
constexpr size_t kSampleBytes = 256 * 1024;
// A declared charset that replaces more than 1 in this many non-ASCII
// characters is suspect.
constexpr size_t kReplacedPerHigh = 100;

size_t CountHighBytes(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += static_cast<unsigned char>(c) >= 0x80;
  return n;
}

// Valid UTF-8 with enough multi-byte sequences: legacy CJK encodings
// almost never form valid UTF-8 by chance, so the label is wrong.
bool ProvablyUtf8(std::string_view bytes) {
  std::string_view sample = Utf8SafePrefix(bytes, kSampleBytes);
  return CountHighBytes(sample) >= kMinHighBytes && CountInvalidUtf8(sample, 1) == 0;
}

bool Declared(const CharsetChoice& c) { return c.source == "http" || c.source == "meta"; }

// The declared label decoded badly: what uchardet says, when that decodes
// with fewer replacements.
std::optional<DecodedText> BetterThanDeclared(std::string_view bytes,
                                              const DecodedText& declared) {
  const size_t high = CountHighBytes(bytes);
  if (declared.replaced == 0 || declared.replaced * kReplacedPerHigh <= high) return std::nullopt;
  CharsetChoice detected = DetectFromBytes(bytes);
  if (detected.charset == declared.choice.charset) return std::nullopt;
  DecodedText alt = DecodeAs(bytes, detected);
  if (alt.replaced >= declared.replaced) return std::nullopt;
  alt.choice.source = "mislabel";
  return alt;
}

}  // namespace

DecodedPage DecodePage(std::string_view body, std::string_view content_type) {
  DecodedPage out;
  DecodedText decoded;
  if (body.starts_with("\xFF\xFE") || body.starts_with("\xFE\xFF")) {
    decoded = DecodeToUtf8(body, content_type);
    out.choice = decoded.choice;
    out.html = PrefilterHtml(decoded.utf8);
  } else {
    std::string filtered = PrefilterHtml(body);
    out.choice = DetectCharset(filtered, content_type);
    if (body.starts_with("\xEF\xBB\xBF")) out.choice = {"UTF-8", "bom"};
    if (Declared(out.choice) && out.choice.charset != "UTF-8" && ProvablyUtf8(filtered))
      out.choice = {"UTF-8", "mislabel"};
    decoded = DecodeAs(filtered, out.choice);
    if (Declared(out.choice))
      if (auto better = BetterThanDeclared(filtered, decoded)) decoded = std::move(*better);
    out.choice = decoded.choice;
    out.html = std::move(decoded.utf8);
  }
  out.replaced = decoded.replaced;
  out.repaired = static_cast<uint32_t>(RepairDoubleEncodedUtf8(&out.html));
  return out;
}

}  // namespace crawlstream::extractor
