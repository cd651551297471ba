#include "services/fetcher/ssrf.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

#include "services/common/url.h"

namespace crawlstream::fetcher {
namespace {

bool InV4(const uint8_t* a, uint8_t n0, uint8_t n1, uint8_t n2, uint8_t n3, int prefix) {
  uint32_t addr = (uint32_t{a[0]} << 24) | (uint32_t{a[1]} << 16) | (uint32_t{a[2]} << 8) | a[3];
  uint32_t net = (uint32_t{n0} << 24) | (uint32_t{n1} << 16) | (uint32_t{n2} << 8) | n3;
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return (addr & mask) == (net & mask);
}

bool PrefixEqual(const uint8_t* a, const uint8_t* b, int prefix_bits) {
  int full = prefix_bits / 8;
  if (std::memcmp(a, b, static_cast<size_t>(full)) != 0) return false;
  int rest = prefix_bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

AddressClass ClassifyV4(const uint8_t* a) {
  if (InV4(a, 169, 254, 169, 254, 32) || InV4(a, 169, 254, 170, 2, 32) ||
      InV4(a, 100, 100, 100, 200, 32)) {
    return AddressClass::kCloudMetadata;
  }
  if (InV4(a, 255, 255, 255, 255, 32)) return AddressClass::kBroadcast;
  if (InV4(a, 0, 0, 0, 0, 8)) return AddressClass::kUnspecified;
  if (InV4(a, 127, 0, 0, 0, 8)) return AddressClass::kLoopback;
  if (InV4(a, 10, 0, 0, 0, 8) || InV4(a, 172, 16, 0, 0, 12) || InV4(a, 192, 168, 0, 0, 16)) {
    return AddressClass::kPrivate;
  }
  if (InV4(a, 100, 64, 0, 0, 10)) return AddressClass::kSharedCgnat;
  if (InV4(a, 169, 254, 0, 0, 16)) return AddressClass::kLinkLocal;
  if (InV4(a, 224, 0, 0, 0, 4)) return AddressClass::kMulticast;
  if (InV4(a, 192, 0, 2, 0, 24) || InV4(a, 198, 51, 100, 0, 24) || InV4(a, 203, 0, 113, 0, 24)) {
    return AddressClass::kDocumentation;
  }
  if (InV4(a, 240, 0, 0, 0, 4) || InV4(a, 192, 0, 0, 0, 24) || InV4(a, 198, 18, 0, 0, 15) ||
      InV4(a, 192, 88, 99, 0, 24)) {
    return AddressClass::kReserved;
  }
  return AddressClass::kPublic;
}

constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
constexpr uint8_t kNat64[12] = {0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0};
constexpr uint8_t kZero12[12] = {};
constexpr uint8_t kMetadataV6[16] = {0xFD, 0x00, 0x0E, 0xC2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};

AddressClass ClassifyV6(const uint8_t* a) {
  static constexpr uint8_t kZero16[16] = {};
  if (std::memcmp(a, kZero16, 16) == 0) return AddressClass::kUnspecified;
  if (std::memcmp(a, kZero16, 15) == 0 && a[15] == 1) return AddressClass::kLoopback;
  if (std::memcmp(a, kMetadataV6, 16) == 0) return AddressClass::kCloudMetadata;
  if (std::memcmp(a, kMapped, 12) == 0 || std::memcmp(a, kNat64, 12) == 0 ||
      std::memcmp(a, kZero12, 12) == 0) {
    return ClassifyV4(a + 12);
  }
  if (a[0] == 0x20 && a[1] == 0x02) {  // 6to4: 2002:V4ADDR::/48
    AddressClass embedded = ClassifyV4(a + 2);
    return embedded;
  }
  if (a[0] == 0xFF) return AddressClass::kMulticast;
  if (a[0] == 0xFE && (a[1] & 0xC0) == 0x80) return AddressClass::kLinkLocal;
  if (a[0] == 0xFE && (a[1] & 0xC0) == 0xC0) return AddressClass::kPrivate;  // site-local
  if ((a[0] & 0xFE) == 0xFC) return AddressClass::kUniqueLocal;
  if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0D && a[3] == 0xB8) return AddressClass::kDocumentation;
  static constexpr uint8_t kDiscard[8] = {0x01, 0x00, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(a, kDiscard, 8) == 0) return AddressClass::kReserved;
  if (a[0] == 0x20 && a[1] == 0x01 && a[2] < 0x02) return AddressClass::kReserved;  // 2001::/23
  if ((a[0] & 0xE0) != 0x20) return AddressClass::kReserved;  // outside 2000::/3
  return AddressClass::kPublic;
}

}  // namespace

IpAddress IpAddress::V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress ip;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

Result<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() > 45) {
    return Fail(ErrorCode::kInvalidArgument, "not an IP address: '" + std::string(text) + "'");
  }
  std::string s(text);
  IpAddress ip;
  if (s.find(':') != std::string::npos) {
    ip.is_v6 = true;
    if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) return ip;
  } else if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) {
    return ip;
  }
  return Fail(ErrorCode::kInvalidArgument, "not an IP address: '" + s + "'");
}

Result<IpAddress> IpAddress::FromSockaddr(const sockaddr* addr, socklen_t len) {
  IpAddress ip;
  if (addr != nullptr && addr->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    std::memcpy(ip.bytes.data(), &in->sin_addr, 4);
    return ip;
  }
  if (addr != nullptr && addr->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    ip.is_v6 = true;
    std::memcpy(ip.bytes.data(), &in6->sin6_addr, 16);
    return ip;
  }
  return Fail(ErrorCode::kInvalidArgument, "socket address is neither IPv4 nor IPv6");
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof(buf));
  return buf;
}

std::string_view AddressClassName(AddressClass c) {
  switch (c) {
    case AddressClass::kPublic: return "public";
    case AddressClass::kLoopback: return "loopback";
    case AddressClass::kPrivate: return "private";
    case AddressClass::kSharedCgnat: return "shared (CGNAT)";
    case AddressClass::kLinkLocal: return "link-local";
    case AddressClass::kMulticast: return "multicast";
    case AddressClass::kUnspecified: return "unspecified";
    case AddressClass::kBroadcast: return "broadcast";
    case AddressClass::kCloudMetadata: return "cloud metadata";
    case AddressClass::kUniqueLocal: return "unique-local";
    case AddressClass::kDocumentation: return "documentation";
    case AddressClass::kReserved: return "reserved";
  }
  return "unknown";
}

AddressClass ClassifyAddress(const IpAddress& address) {
  return address.is_v6 ? ClassifyV6(address.bytes.data()) : ClassifyV4(address.bytes.data());
}

Result<Cidr> Cidr::Parse(std::string_view text) {
  std::string input(text);
  size_t slash = text.find('/');
  auto ip = IpAddress::Parse(text.substr(0, slash));
  if (!ip) {
    return Fail(ErrorCode::kInvalidArgument, "invalid CIDR '" + input + "': bad address");
  }
  int max_prefix = ip->is_v6 ? 128 : 32;
  int prefix = max_prefix;
  if (slash != std::string_view::npos) {
    std::string_view p = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || ec != std::errc() || ptr != p.data() + p.size()) {
      return Fail(ErrorCode::kInvalidArgument, "invalid CIDR '" + input + "': prefix is not a number");
    }
    if (prefix < 0 || prefix > max_prefix) {
      return Fail(ErrorCode::kInvalidArgument, "invalid CIDR '" + input + "': prefix must be 0.." +
                                                   std::to_string(max_prefix));
    }
  }
  // Host bits must be zero: "10.0.0.1/8" is probably a typo.
  int bits = max_prefix;
  for (int i = prefix; i < bits; ++i) {
    if (ip->bytes[static_cast<size_t>(i / 8)] & (0x80 >> (i % 8))) {
      return Fail(ErrorCode::kInvalidArgument,
                  "invalid CIDR '" + input + "': host bits set (did you mean a /" +
                      std::to_string(max_prefix) + " or the network address?)");
    }
  }
  Cidr cidr;
  cidr.network_ = *ip;
  cidr.prefix_ = prefix;
  return cidr;
}

bool Cidr::Contains(const IpAddress& address) const {
  IpAddress a = address;
  // An IPv4-mapped IPv6 address matches IPv4 CIDRs.
  if (a.is_v6 && !network_.is_v6 && std::memcmp(a.bytes.data(), kMapped, 12) == 0) {
    a = IpAddress::V4(a.bytes[12], a.bytes[13], a.bytes[14], a.bytes[15]);
  }
  if (a.is_v6 != network_.is_v6) return false;
  return PrefixEqual(a.bytes.data(), network_.bytes.data(), prefix_);
}

std::string Cidr::ToString() const { return network_.ToString() + "/" + std::to_string(prefix_); }

Result<SsrfGuard> SsrfGuard::Create(std::span<const std::string> allow_cidrs) {
  std::vector<Cidr> allow;
  for (const auto& text : allow_cidrs) {
    auto cidr = Cidr::Parse(text);
    if (!cidr) return std::unexpected(cidr.error());
    allow.push_back(*cidr);
  }
  return SsrfGuard(std::move(allow));
}

Status SsrfGuard::CheckScheme(std::string_view scheme) const {
  if (scheme == "http" || scheme == "https") return Ok();
  return Fail(ErrorCode::kPermissionDenied, "scheme '" + std::string(scheme) + "' is not allowed");
}

Status SsrfGuard::CheckUrl(const Url& url) const {
  if (auto s = CheckScheme(url.scheme); !s) return s;
  auto ip = IpAddress::Parse(url.host);
  if (!ip) return Ok();  // a name: checked after DNS, at connect time
  return CheckAddress(*ip);
}

Status SsrfGuard::CheckAddress(const IpAddress& address) const {
  AddressClass c = ClassifyAddress(address);
  if (c == AddressClass::kPublic) return Ok();
  for (const auto& cidr : allow_) {
    if (cidr.Contains(address)) return Ok();
  }
  return Fail(ErrorCode::kPermissionDenied,
              address.ToString() + " is " + std::string(AddressClassName(c)));
}

Status SsrfGuard::CheckSockaddr(const sockaddr* addr, socklen_t len) const {
  auto ip = IpAddress::FromSockaddr(addr, len);
  if (!ip) return Fail(ErrorCode::kPermissionDenied, ip.error().message);
  return CheckAddress(*ip);
}

}  // namespace crawlstream::fetcher
