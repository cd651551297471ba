// Host names in their ASCII form (IDNA2008 with UTS #46 mapping, libidn2),
// so that a Unicode host and its punycode spelling are one identity for
// the URL-seen set, politeness, robots, the SSRF check and article ids:
//   "中国政府网.cn" -> "xn--fiqs8sirgfmh.cn", "BÜCHER.de" -> "xn--bcher-kva.de".
// An ASCII host is only lower-cased. nullopt when IDNA rejects the name
// (a disallowed code point, an over-long label).
// Pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace crawlstream {

std::optional<std::string> HostToAscii(std::string_view host);

}  // namespace crawlstream
