// URL identity for every stage: parsing, resolution and the canonical form
// the fetcher keys its URL-seen set and Kafka messages on and the extractor
// hashes into the article id (Sha256Hex(canonical, 16)). One module, so the
// two cannot disagree (tests/common/url_identity_test.cc checks it).
//
// ParseUrl() accepts only absolute http/https URLs and splits them into
// components; ResolveUrl() applies RFC 3986 section 5.2 to a reference found
// in a page, feed or sitemap; Canonicalize() produces the identity form:
//   - scheme and host lower-cased, a trailing dot on the host removed,
//   - default ports (80 for http, 443 for https) removed,
//   - percent-encoding normalised (unreserved octets decoded, hex digits
//     upper-cased, octets that may not appear raw encoded),
//   - dot segments removed, an empty path becomes "/",
//   - the fragment dropped,
//   - tracking query parameters removed (the table kTrackingParams in
//     url.cc: utm_*, gclid, fbclid, spm, from, ...); the order of the
//     remaining parameters is kept (order can be meaningful).
// Internationalised host names are converted to their ASCII (punycode) form
// when parsed (services/common/idna.h): "中国.cn" and "xn--fiqs8s.cn" are the
// same host.
//
// The *Text() helpers and UrlHost() take and return strings, for callers
// that hold URLs as text (the extractor's page URL, <link rel=canonical>,
// og:url).
//
// RegistrableDomain() uses the public suffix list (libpsl, loaded once from
// the system copy and then read-only). Everything here is pure and
// thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "services/common/result.h"

namespace crawlstream {

struct Url {
  std::string scheme;    // "http" or "https", lower-case
  std::string userinfo;  // "user:pass" without '@'; usually empty
  std::string host;      // lower-case; IPv6 literals without brackets
  int port = -1;         // -1 when absent (the scheme's default)
  std::string path;      // always starts with '/'
  std::string query;     // without the leading '?'
  bool has_query = false;
  std::string fragment;  // without the leading '#'
  bool has_fragment = false;

  // The port actually used: `port`, or 80/443 by scheme.
  int EffectivePort() const;
  // "host" or "host:port", IPv6 literal in brackets. No userinfo.
  std::string HostPort() const;
  // "scheme://host[:port]": the origin robots.txt and politeness key on.
  std::string Origin() const;
  // Path plus "?query" when present: what robots.txt rules match against.
  std::string PathAndQuery() const;
  // The full URL.
  std::string ToString() const;
};

// Parses an absolute http or https URL. Leading/trailing whitespace is
// trimmed and tabs/newlines inside are removed (as browsers do). Fails with
// kInvalidArgument for other schemes, relative references, an empty or
// malformed host, or a bad port.
Result<Url> ParseUrl(std::string_view text);

// Resolves `reference` (absolute, scheme-relative, absolute-path or
// relative) against `base` per RFC 3986 section 5.2. Backslashes are taken
// as '/' as browsers do for http(s). Fails when the result is not a valid
// http/https URL (e.g. "mailto:", "javascript:").
Result<Url> ResolveUrl(const Url& base, std::string_view reference);

struct CanonicalizeOptions {
  bool drop_fragment = true;
  bool strip_tracking_params = true;
  // Extra parameter names (exact, case-insensitive) to strip, e.g. "spm".
  std::vector<std::string> extra_tracking_params;
};

// Returns the canonical form of `url` (see the file comment).
Url Canonicalize(Url url, const CanonicalizeOptions& options = {});

// ParseUrl + Canonicalize + ToString.
Result<std::string> CanonicalizeUrl(std::string_view text,
                                    const CanonicalizeOptions& options = {});

// CanonicalizeUrl(text) with the default options. Text that is not an
// absolute http(s) URL ("", "file:///tmp/a.html") comes back as ParseUrl
// cleans it (outer white space trimmed, tabs and newlines removed), so the
// caller still has a stable key.
std::string CanonicalUrlOrText(std::string_view text);

// `reference` resolved against `base` and rendered (not canonicalised). An
// absolute http(s) reference needs no valid base. Empty when the result is
// not an http(s) URL (a "javascript:" reference, a relative one against a
// "file:" base).
std::string ResolveUrlText(std::string_view base, std::string_view reference);

// The host of an absolute http(s) URL as ParseUrl gives it (lower-case,
// ASCII, no port or userinfo); empty when `text` does not parse.
std::string UrlHost(std::string_view text);

// True when a query parameter name is in the tracking table (utm_*, gclid,
// fbclid, msclkid, spm, from, ...). Case-insensitive.
bool IsTrackingParam(std::string_view name);

// Normalises percent-encoding in a path or query: decodes %XX of unreserved
// characters (ALPHA DIGIT - . _ ~), upper-cases the hex of the others and
// encodes octets that may not appear raw (controls, space, non-ASCII, '"',
// '<', '>', '\\', '^', '`', '{', '|', '}'). Reserved characters are kept.
std::string NormalizePercentEncoding(std::string_view text);

// RFC 3986 section 5.2.4.
std::string RemoveDotSegments(std::string_view path);

// The registrable domain ("eTLD+1") of a host, e.g. "news.sina.com.cn" ->
// "sina.com.cn". For IP literals, single labels and public suffixes
// themselves the host is returned unchanged.
std::string RegistrableDomain(std::string_view host);

}  // namespace crawlstream
