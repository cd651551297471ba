// SSRF guard: decides whether the crawler may connect to an address.
//
// Only http and https are allowed. An address may be connected to when it is
// public (global unicast) or inside a configured allowlist CIDR; loopback,
// private (RFC 1918), CGNAT, link-local, multicast, unspecified, broadcast,
// documentation/reserved ranges, IPv6 ULA and cloud metadata endpoints are
// refused. IPv4 embedded in IPv6 (mapped ::ffff:0:0/96, NAT64 64:ff9b::/96,
// 6to4 2002::/16, deprecated compatible ::/96) is judged by the embedded
// IPv4 address.
//
// The check must run on the address actually connected to, after DNS, at
// every redirect hop: the http client installs SsrfOpenSocket() (see
// ssrf_curl.h) as libcurl's CURLOPT_OPENSOCKETFUNCTION, and disables
// proxies so that the socket address is the origin's. CheckUrl() is a
// cheap early refusal for schemes and literal IP hosts only.
//
// SsrfGuard is immutable after construction and thread-safe.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "services/common/result.h"

namespace crawlstream {
struct Url;  // services/common/url.h
}  // namespace crawlstream

namespace crawlstream::fetcher {

struct IpAddress {
  bool is_v6 = false;
  // IPv4 uses bytes[0..3]; IPv6 uses all 16. Network byte order.
  std::array<uint8_t, 16> bytes{};

  // Strict textual forms only (dotted quad, RFC 4291 IPv6, optionally in
  // brackets). Zone ids ("%eth0") are refused.
  static Result<IpAddress> Parse(std::string_view text);
  // From a sockaddr_in / sockaddr_in6; kInvalidArgument for other families.
  static Result<IpAddress> FromSockaddr(const sockaddr* addr, socklen_t len);
  static IpAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  std::string ToString() const;
  bool operator==(const IpAddress&) const = default;
};

enum class AddressClass {
  kPublic,
  kLoopback,        // 127/8, ::1
  kPrivate,         // 10/8, 172.16/12, 192.168/16, fec0::/10
  kSharedCgnat,     // 100.64/10
  kLinkLocal,       // 169.254/16, fe80::/10
  kMulticast,       // 224/4, ff00::/8
  kUnspecified,     // 0/8, ::
  kBroadcast,       // 255.255.255.255
  kCloudMetadata,   // 169.254.169.254, 169.254.170.2, 100.100.100.200, fd00:ec2::254
  kUniqueLocal,     // fc00::/7
  kDocumentation,   // 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32
  kReserved,        // 240/4, 192.0.0/24, 198.18/15, 100::/64, 2001::/23, outside 2000::/3
};

std::string_view AddressClassName(AddressClass c);
AddressClass ClassifyAddress(const IpAddress& address);

class Cidr {
 public:
  // "127.0.0.0/8", "::1/128", "10.1.2.3" (a host: /32 or /128). Errors
  // name the input and the reason (bad address, bad or too long prefix,
  // host bits set).
  static Result<Cidr> Parse(std::string_view text);
  bool Contains(const IpAddress& address) const;
  std::string ToString() const;

 private:
  IpAddress network_;
  int prefix_ = 0;
};

class SsrfGuard {
 public:
  // A guard with no allowlist: only public addresses pass.
  SsrfGuard() = default;
  explicit SsrfGuard(std::vector<Cidr> allow) : allow_(std::move(allow)) {}
  // Parses every CIDR; fails on the first invalid one, naming it.
  static Result<SsrfGuard> Create(std::span<const std::string> allow_cidrs);

  // kPermissionDenied unless scheme is "http" or "https".
  Status CheckScheme(std::string_view scheme) const;
  // Scheme, plus the host when it is an IP literal (names are checked at
  // connect time).
  Status CheckUrl(const Url& url) const;
  // kPermissionDenied naming the address and its class unless it is public
  // or allowlisted.
  Status CheckAddress(const IpAddress& address) const;
  Status CheckSockaddr(const sockaddr* addr, socklen_t len) const;

 private:
  std::vector<Cidr> allow_;
};

}  // namespace crawlstream::fetcher
