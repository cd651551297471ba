#include "services/extractor/decode.h"

#include "services/extractor/prefilter.h"

namespace crawlstream::extractor {

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
    decoded = DecodeAs(filtered, out.choice);
    out.html = std::move(decoded.utf8);
  }
  out.replaced = decoded.replaced;
  return out;
}

}  // namespace crawlstream::extractor
