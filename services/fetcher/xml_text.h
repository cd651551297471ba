// Decodes a feed or sitemap to UTF-8 the way an XML parser reads it, so
// that checks on the text (entity declarations, the '&' repair in
// discovery.cc) see the characters the parser will see, not raw bytes: a
// UTF-16 document without a byte-order mark has no "<!ENTITY" among its
// bytes, yet libxml2 reads one.
//
// The encoding comes from, in order (kByteSignatures, then the
// declaration): a byte-order mark; the first bytes of "<?xml" in UTF-16 or
// UTF-32 (XML 1.0 appendix F); the encoding declaration
// <?xml ... encoding="..."?>; otherwise UTF-8. GB2312 and GBK labels are
// read as GB18030 (their superset, as browsers do); a UTF-16/32 label on
// ASCII-compatible bytes is ignored, as libxml2 ignores it. EBCDIC and
// encodings iconv does not know are refused (kParse). Bytes invalid in the
// encoding end the text there; `error` says where.
//
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "services/common/result.h"

namespace crawlstream::fetcher {

struct XmlText {
  std::string utf8;      // without a byte-order mark
  std::string encoding;  // as given to iconv, e.g. "UTF-16LE", "GB18030", "UTF-8"
  std::string error;     // non-empty when invalid bytes cut the text short
};

Result<XmlText> DecodeXmlText(std::string_view bytes);

}  // namespace crawlstream::fetcher
