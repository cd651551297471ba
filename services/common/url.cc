#include "services/common/url.h"

#include <libpsl.h>

#include <algorithm>
#include <charconv>

#include "services/common/idna.h"

namespace crawlstream {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

// Query parameters that say how a reader arrived, never which page: dropped
// from every canonical URL, so they never split one page into two ids.
// Lower-case; matched case-insensitively; a name ending in '_' is a prefix.
struct TrackingParam {
  std::string_view name;
  std::string_view set_by;
};
constexpr TrackingParam kTrackingParams[] = {
    {"utm_", "campaign tags (utm_source, utm_medium, utm_campaign, ...)"},
    {"gclid", "Google Ads click"},
    {"gclsrc", "Google Ads click source"},
    {"dclid", "Google Display & Video click"},
    {"gbraid", "Google Ads, iOS app"},
    {"wbraid", "Google Ads, iOS web"},
    {"_ga", "Google Analytics cross-domain"},
    {"_gl", "Google Analytics linker"},
    {"fbclid", "Facebook click"},
    {"igshid", "Instagram share"},
    {"msclkid", "Microsoft Advertising click"},
    {"yclid", "Yandex click"},
    {"twclid", "X (Twitter) click"},
    {"ttclid", "TikTok click"},
    {"li_fat_id", "LinkedIn ad click"},
    {"rb_clickid", "ad click id"},
    {"mc_cid", "Mailchimp campaign"},
    {"mc_eid", "Mailchimp subscriber"},
    {"_hsenc", "HubSpot email"},
    {"_hsmi", "HubSpot email"},
    {"mkt_tok", "Marketo email"},
    {"oly_anon_id", "Omeda email"},
    {"oly_enc_id", "Omeda email"},
    {"vero_id", "Vero email"},
    {"wickedid", "Wicked Reports"},
    {"spm", "Alibaba position tag (Taobao, Youku, Chinese portals)"},
    {"share_token", "share buttons"},
    // Chinese portals and apps: the referring surface (from=timeline,
    // from=singlemessage). Also a real parameter on some listing pages.
    {"from", "referring surface"},
};

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsUnreserved(unsigned char c) {
  return IsAlpha(static_cast<char>(c)) || IsDigit(static_cast<char>(c)) ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

bool MustEncode(unsigned char c) {
  if (c <= 0x20 || c >= 0x7F) return true;
  switch (c) {
    case '"': case '<': case '>': case '\\': case '^': case '`':
    case '{': case '|': case '}':
      return true;
    default:
      return false;
  }
}

void AppendEncoded(std::string& out, unsigned char c) {
  out.push_back('%');
  out.push_back(kHex[c >> 4]);
  out.push_back(kHex[c & 0xF]);
}

// Encodes only the octets that may not appear raw; leaves '%' alone.
std::string EncodeInvalid(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (MustEncode(c)) {
      AppendEncoded(out, c);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

// Trims C0 controls and space at both ends and removes tab/CR/LF inside.
std::string CleanInput(std::string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && static_cast<unsigned char>(text[begin]) <= 0x20) ++begin;
  while (end > begin && static_cast<unsigned char>(text[end - 1]) <= 0x20) --end;
  std::string out;
  out.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    char c = text[i];
    if (c == '\t' || c == '\n' || c == '\r') continue;
    out.push_back(c);
  }
  return out;
}

// Length of a leading "scheme:" (excluding ':'), or 0 when there is none.
size_t SchemeLength(std::string_view s) {
  if (s.empty() || !IsAlpha(s[0])) return 0;
  for (size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == ':') return i;
    if (!(IsAlpha(c) || IsDigit(c) || c == '+' || c == '-' || c == '.')) return 0;
  }
  return 0;
}

int DefaultPort(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

bool ValidHostChar(unsigned char c) {
  if (c <= 0x20 || c == 0x7F) return false;
  switch (c) {
    case '#': case '/': case ':': case '<': case '>': case '?': case '@':
    case '[': case '\\': case ']': case '^': case '|': case '"': case '`':
    case '{': case '}':
      return false;
    default:
      return true;
  }
}

// Splits "path?query#fragment" into the Url's fields (backslashes in the
// path become '/').
void SetPathQueryFragment(Url& url, std::string_view rest) {
  size_t hash = rest.find('#');
  if (hash != std::string_view::npos) {
    url.has_fragment = true;
    url.fragment = EncodeInvalid(rest.substr(hash + 1));
    rest = rest.substr(0, hash);
  }
  size_t q = rest.find('?');
  if (q != std::string_view::npos) {
    url.has_query = true;
    url.query = EncodeInvalid(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  std::string path(rest);
  std::replace(path.begin(), path.end(), '\\', '/');
  if (path.empty() || path[0] != '/') path.insert(path.begin(), '/');
  url.path = EncodeInvalid(path);
}

Result<Url> ParseCleaned(const std::string& text) {
  size_t scheme_len = SchemeLength(text);
  if (scheme_len == 0) {
    return Fail(ErrorCode::kInvalidArgument, "not an absolute URL: " + text);
  }
  Url url;
  url.scheme = ToLower(std::string_view(text).substr(0, scheme_len));
  if (url.scheme != "http" && url.scheme != "https") {
    return Fail(ErrorCode::kInvalidArgument,
                "unsupported scheme '" + url.scheme + "' in " + text);
  }
  std::string_view rest = std::string_view(text).substr(scheme_len + 1);
  while (!rest.empty() && (rest[0] == '/' || rest[0] == '\\')) rest.remove_prefix(1);
  size_t auth_end = rest.find_first_of("/\\?#");
  std::string_view authority = rest.substr(0, auth_end);
  rest = auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);

  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    url.userinfo = EncodeInvalid(authority.substr(0, at));
    authority = authority.substr(at + 1);
  }
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Fail(ErrorCode::kInvalidArgument, "unterminated IPv6 literal in " + text);
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Fail(ErrorCode::kInvalidArgument, "bad authority in " + text);
      port = after.substr(1);
    }
    if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
      return Fail(ErrorCode::kInvalidArgument, "bad IPv6 literal in " + text);
    }
  } else {
    size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    for (char c : host) {
      if (!ValidHostChar(static_cast<unsigned char>(c))) {
        return Fail(ErrorCode::kInvalidArgument, "invalid character in host of " + text);
      }
    }
    while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  }
  if (host.empty()) return Fail(ErrorCode::kInvalidArgument, "empty host in " + text);
  if (auto ascii = HostToAscii(host)) {
    url.host = std::move(*ascii);
  } else {
    return Fail(ErrorCode::kInvalidArgument, "host is not a valid IDNA name in " + text);
  }
  if (!port.empty()) {
    int value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || ptr != port.data() + port.size() || value <= 0 || value > 65535) {
      return Fail(ErrorCode::kInvalidArgument, "bad port in " + text);
    }
    url.port = value;
  }
  SetPathQueryFragment(url, rest);
  return url;
}

bool IsIpLiteral(std::string_view host) {
  if (host.find(':') != std::string_view::npos) return true;
  return !host.empty() && host.find_first_not_of("0123456789.") == std::string_view::npos;
}

}  // namespace

int Url::EffectivePort() const { return port > 0 ? port : DefaultPort(scheme); }

std::string Url::HostPort() const {
  std::string out;
  if (host.find(':') != std::string::npos) {
    out = "[" + host + "]";
  } else {
    out = host;
  }
  if (port > 0) out += ":" + std::to_string(port);
  return out;
}

std::string Url::Origin() const { return scheme + "://" + HostPort(); }

std::string Url::PathAndQuery() const {
  if (!has_query) return path;
  return path + "?" + query;
}

std::string Url::ToString() const {
  std::string out = scheme + "://";
  if (!userinfo.empty()) out += userinfo + "@";
  out += HostPort();
  out += path;
  if (has_query) out += "?" + query;
  if (has_fragment) out += "#" + fragment;
  return out;
}

Result<Url> ParseUrl(std::string_view text) { return ParseCleaned(CleanInput(text)); }

std::string RemoveDotSegments(std::string_view path) {
  std::string input(path);
  std::string output;
  std::string_view in = input;
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./")) {
      in.remove_prefix(2);
    } else if (in.starts_with("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.starts_with("/../") || in == "/..") {
      if (in == "/..") {
        in = "/";
      } else {
        in.remove_prefix(3);
      }
      size_t last = output.rfind('/');
      output.erase(last == std::string::npos ? 0 : last);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      size_t start = in[0] == '/' ? 1 : 0;
      size_t next = in.find('/', start);
      if (next == std::string_view::npos) next = in.size();
      output.append(in.substr(0, next));
      in.remove_prefix(next);
    }
  }
  return output;
}

Result<Url> ResolveUrl(const Url& base, std::string_view reference) {
  std::string ref = CleanInput(reference);
  // Backslashes act as '/' before the query for http(s), as in browsers.
  size_t qpos = ref.find_first_of("?#");
  std::replace(ref.begin(), qpos == std::string::npos ? ref.end() : ref.begin() + static_cast<std::ptrdiff_t>(qpos), '\\', '/');

  size_t scheme_len = SchemeLength(ref);
  if (scheme_len > 0) {
    std::string scheme = ToLower(std::string_view(ref).substr(0, scheme_len));
    std::string_view after = std::string_view(ref).substr(scheme_len + 1);
    // "http:foo" and "http:/foo" with the base's scheme are relative, as in
    // browsers (WHATWG URL): only "http://" starts an authority.
    if (scheme == base.scheme && !after.starts_with("//")) {
      ref = std::string(after);
    } else {
      return ParseCleaned(ref);
    }
  }
  if (ref.starts_with("//")) return ParseCleaned(base.scheme + ":" + ref);

  Url out = base;
  out.has_fragment = false;
  out.fragment.clear();
  std::string_view rest = ref;
  std::string_view fragment;
  bool has_fragment = false;
  if (size_t h = rest.find('#'); h != std::string_view::npos) {
    has_fragment = true;
    fragment = rest.substr(h + 1);
    rest = rest.substr(0, h);
  }
  std::string_view query;
  bool has_query = false;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    has_query = true;
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (rest.empty()) {
    if (has_query) {
      out.has_query = true;
      out.query = EncodeInvalid(query);
    }
  } else {
    std::string merged;
    if (rest[0] == '/') {
      merged = std::string(rest);
    } else {
      size_t slash = base.path.rfind('/');
      merged = base.path.substr(0, slash == std::string::npos ? 0 : slash + 1);
      merged += rest;
    }
    out.path = EncodeInvalid(RemoveDotSegments(merged));
    if (out.path.empty() || out.path[0] != '/') out.path.insert(out.path.begin(), '/');
    out.has_query = has_query;
    out.query = has_query ? EncodeInvalid(query) : std::string();
  }
  if (has_fragment) {
    out.has_fragment = true;
    out.fragment = EncodeInvalid(fragment);
  }
  return out;
}

std::string NormalizePercentEncoding(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '%') {
      int hi = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (hi >= 0 && lo >= 0) {
        auto decoded = static_cast<unsigned char>(hi * 16 + lo);
        if (IsUnreserved(decoded)) {
          out.push_back(static_cast<char>(decoded));
        } else {
          AppendEncoded(out, decoded);
        }
        i += 2;
      } else {
        out += "%25";
      }
    } else if (MustEncode(c)) {
      AppendEncoded(out, c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

bool IsTrackingParam(std::string_view name) {
  std::string lower = ToLower(name);
  for (const TrackingParam& p : kTrackingParams) {
    if (p.name.ends_with('_') ? lower.starts_with(p.name) : lower == p.name) return true;
  }
  return false;
}

Url Canonicalize(Url url, const CanonicalizeOptions& options) {
  url.scheme = ToLower(url.scheme);
  url.host = ToLower(url.host);
  while (!url.host.empty() && url.host.back() == '.') url.host.pop_back();
  if (url.port == DefaultPort(url.scheme)) url.port = -1;
  url.path = RemoveDotSegments(NormalizePercentEncoding(url.path));
  if (url.path.empty()) url.path = "/";
  if (url.has_query) {
    std::string normalized = NormalizePercentEncoding(url.query);
    std::string kept;
    std::string_view rest = normalized;
    while (true) {
      size_t amp = rest.find('&');
      std::string_view param = rest.substr(0, amp);
      if (!param.empty()) {
        std::string_view name = param.substr(0, param.find('='));
        bool drop = false;
        if (options.strip_tracking_params) {
          drop = IsTrackingParam(name);
          for (const auto& extra : options.extra_tracking_params) {
            if (ToLower(extra) == ToLower(name)) drop = true;
          }
        }
        if (!drop) {
          if (!kept.empty()) kept.push_back('&');
          kept.append(param);
        }
      }
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
    url.query = kept;
    url.has_query = !kept.empty();
  }
  if (options.drop_fragment) {
    url.fragment.clear();
    url.has_fragment = false;
  } else if (url.has_fragment) {
    url.fragment = NormalizePercentEncoding(url.fragment);
  }
  return url;
}

Result<std::string> CanonicalizeUrl(std::string_view text, const CanonicalizeOptions& options) {
  auto url = ParseUrl(text);
  if (!url) return std::unexpected(url.error());
  return Canonicalize(std::move(*url), options).ToString();
}

std::string RegistrableDomain(std::string_view host) {
  if (host.empty() || IsIpLiteral(host)) return std::string(host);
  static const psl_ctx_t* const kPsl = [] {
    const psl_ctx_t* ctx = psl_latest(nullptr);
    if (ctx == nullptr) ctx = psl_builtin();
    return ctx;
  }();
  std::string lower = ToLower(host);
  if (kPsl == nullptr) return lower;
  const char* domain = psl_registrable_domain(kPsl, lower.c_str());
  if (domain == nullptr) return lower;
  return std::string(domain);
}

std::string CanonicalUrlOrText(std::string_view text) {
  std::string cleaned = CleanInput(text);
  auto url = ParseCleaned(cleaned);
  if (!url) return cleaned;
  return Canonicalize(std::move(*url)).ToString();
}

std::string ResolveUrlText(std::string_view base, std::string_view reference) {
  auto parsed_base = ParseUrl(base);
  auto resolved = parsed_base ? ResolveUrl(*parsed_base, reference) : ParseUrl(reference);
  return resolved ? resolved->ToString() : std::string();
}

std::string UrlHost(std::string_view text) {
  auto url = ParseUrl(text);
  return url ? url->host : std::string();
}

}  // namespace crawlstream
