#include "services/fetcher/ssrf.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>
#include <string>
#include <vector>

#include "services/common/url.h"

namespace crawlstream::fetcher {
namespace {

TEST(SsrfTest, ClassifiesAddressesTable) {
  const struct {
    const char* ip;
    AddressClass expected;
  } cases[] = {
      {"8.8.8.8", AddressClass::kPublic},
      {"1.1.1.1", AddressClass::kPublic},
      {"127.0.0.1", AddressClass::kLoopback},
      {"127.255.255.254", AddressClass::kLoopback},
      {"10.0.0.1", AddressClass::kPrivate},
      {"172.16.0.1", AddressClass::kPrivate},
      {"172.31.255.255", AddressClass::kPrivate},
      {"172.32.0.1", AddressClass::kPublic},
      {"192.168.1.1", AddressClass::kPrivate},
      {"100.64.0.1", AddressClass::kSharedCgnat},
      {"100.127.255.255", AddressClass::kSharedCgnat},
      {"100.128.0.1", AddressClass::kPublic},
      {"169.254.1.1", AddressClass::kLinkLocal},
      {"169.254.169.254", AddressClass::kCloudMetadata},
      {"100.100.100.200", AddressClass::kCloudMetadata},
      {"224.0.0.1", AddressClass::kMulticast},
      {"239.255.255.250", AddressClass::kMulticast},
      {"0.0.0.0", AddressClass::kUnspecified},
      {"0.1.2.3", AddressClass::kUnspecified},
      {"255.255.255.255", AddressClass::kBroadcast},
      {"240.0.0.1", AddressClass::kReserved},
      {"198.18.0.1", AddressClass::kReserved},
      {"192.0.2.1", AddressClass::kDocumentation},
      {"2606:4700::1111", AddressClass::kPublic},
      {"::", AddressClass::kUnspecified},
      {"::1", AddressClass::kLoopback},
      {"[::1]", AddressClass::kLoopback},
      {"fe80::1", AddressClass::kLinkLocal},
      {"fc00::1", AddressClass::kUniqueLocal},
      {"fd12:3456::1", AddressClass::kUniqueLocal},
      {"fd00:ec2::254", AddressClass::kCloudMetadata},
      {"ff02::1", AddressClass::kMulticast},
      {"fec0::1", AddressClass::kPrivate},
      {"2001:db8::1", AddressClass::kDocumentation},
      {"::ffff:127.0.0.1", AddressClass::kLoopback},
      {"::ffff:10.0.0.1", AddressClass::kPrivate},
      {"::ffff:169.254.169.254", AddressClass::kCloudMetadata},
      {"::ffff:8.8.8.8", AddressClass::kPublic},
      {"64:ff9b::10.0.0.1", AddressClass::kPrivate},
      {"2002:7f00:1::", AddressClass::kLoopback},
      {"::127.0.0.1", AddressClass::kLoopback},
      {"100::1", AddressClass::kReserved},
      {"2001::1", AddressClass::kReserved},
      {"4000::1", AddressClass::kReserved},
  };
  for (const auto& c : cases) {
    auto ip = IpAddress::Parse(c.ip);
    ASSERT_TRUE(ip.has_value()) << c.ip;
    EXPECT_EQ(ClassifyAddress(*ip), c.expected)
        << c.ip << " classified as " << AddressClassName(ClassifyAddress(*ip));
  }
}

TEST(SsrfTest, RejectsNonStrictAddressForms) {
  for (const char* bad : {"", "1.2.3", "2130706433", "0x7f.0.0.1", "1.2.3.4.5", "::1%eth0",
                          "example.com", "256.1.1.1", "[::1"}) {
    EXPECT_FALSE(IpAddress::Parse(bad).has_value()) << bad;
  }
}

TEST(SsrfTest, ParsesCidrsTable) {
  const struct {
    const char* cidr;
    const char* inside;
    const char* outside;
  } cases[] = {
      {"127.0.0.0/8", "127.1.2.3", "128.0.0.1"},
      {"::1/128", "::1", "::2"},
      {"10.1.2.3", "10.1.2.3", "10.1.2.4"},
      {"0.0.0.0/0", "8.8.8.8", "::1"},
      {"fd00::/8", "fd12::1", "fe80::1"},
      {"192.168.0.0/17", "192.168.127.1", "192.168.128.1"},
      {"127.0.0.0/8", "::ffff:127.0.0.1", "::1"},
  };
  for (const auto& c : cases) {
    auto cidr = Cidr::Parse(c.cidr);
    ASSERT_TRUE(cidr.has_value()) << c.cidr << ": " << cidr.error().ToString();
    EXPECT_TRUE(cidr->Contains(*IpAddress::Parse(c.inside))) << c.cidr << " " << c.inside;
    EXPECT_FALSE(cidr->Contains(*IpAddress::Parse(c.outside))) << c.cidr << " " << c.outside;
  }
}

TEST(SsrfTest, InvalidCidrsGiveClearErrors) {
  const struct {
    const char* cidr;
    const char* reason;
  } cases[] = {
      {"127.0.0.0/33", "prefix must be 0..32"},
      {"::1/129", "prefix must be 0..128"},
      {"127.0.0.0/", "prefix is not a number"},
      {"127.0.0.0/x", "prefix is not a number"},
      {"127.0.0.0/-1", "prefix must be 0..32"},
      {"localhost/8", "bad address"},
      {"10.0.0.1/8", "host bits set"},
      {"", "bad address"},
  };
  for (const auto& c : cases) {
    auto cidr = Cidr::Parse(c.cidr);
    ASSERT_FALSE(cidr.has_value()) << c.cidr;
    EXPECT_EQ(cidr.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(cidr.error().message.find(c.reason), std::string::npos) << cidr.error().message;
    EXPECT_NE(cidr.error().message.find(std::string("'") + c.cidr + "'"), std::string::npos)
        << cidr.error().message;
  }
}

TEST(SsrfTest, GuardRefusesPrivateUnlessAllowlisted) {
  SsrfGuard strict;
  EXPECT_FALSE(strict.CheckAddress(*IpAddress::Parse("127.0.0.1")).has_value());
  EXPECT_TRUE(strict.CheckAddress(*IpAddress::Parse("8.8.8.8")).has_value());
  auto refusal = strict.CheckAddress(*IpAddress::Parse("10.0.0.1"));
  ASSERT_FALSE(refusal.has_value());
  EXPECT_EQ(refusal.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(refusal.error().message, "10.0.0.1 is private");

  std::vector<std::string> allow = {"127.0.0.0/8", "::1/128"};
  auto guard = SsrfGuard::Create(allow);
  ASSERT_TRUE(guard.has_value());
  EXPECT_TRUE(guard->CheckAddress(*IpAddress::Parse("127.0.0.1")).has_value());
  EXPECT_TRUE(guard->CheckAddress(*IpAddress::Parse("::1")).has_value());
  EXPECT_FALSE(guard->CheckAddress(*IpAddress::Parse("10.0.0.1")).has_value());
  EXPECT_FALSE(guard->CheckAddress(*IpAddress::Parse("169.254.169.254")).has_value());

  std::vector<std::string> bad = {"127.0.0.0/8", "nonsense"};
  EXPECT_FALSE(SsrfGuard::Create(bad).has_value());
}

TEST(SsrfTest, GuardChecksSchemeAndLiteralHosts) {
  SsrfGuard guard;
  EXPECT_TRUE(guard.CheckScheme("https").has_value());
  EXPECT_FALSE(guard.CheckScheme("file").has_value());
  EXPECT_FALSE(guard.CheckScheme("gopher").has_value());
  EXPECT_FALSE(guard.CheckUrl(*ParseUrl("http://10.0.0.1/")).has_value());
  EXPECT_FALSE(guard.CheckUrl(*ParseUrl("http://[::1]:8080/")).has_value());
  EXPECT_TRUE(guard.CheckUrl(*ParseUrl("http://example.com/")).has_value());
  EXPECT_TRUE(guard.CheckUrl(*ParseUrl("http://8.8.8.8/")).has_value());
}

TEST(SsrfTest, GuardChecksSockaddrs) {
  SsrfGuard guard;
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  inet_pton(AF_INET, "192.168.0.10", &v4.sin_addr);
  EXPECT_FALSE(guard.CheckSockaddr(reinterpret_cast<sockaddr*>(&v4), sizeof(v4)).has_value());
  inet_pton(AF_INET, "93.184.216.34", &v4.sin_addr);
  EXPECT_TRUE(guard.CheckSockaddr(reinterpret_cast<sockaddr*>(&v4), sizeof(v4)).has_value());
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:127.0.0.1", &v6.sin6_addr);
  EXPECT_FALSE(guard.CheckSockaddr(reinterpret_cast<sockaddr*>(&v6), sizeof(v6)).has_value());
  sockaddr unix_like{};
  unix_like.sa_family = AF_UNIX;
  EXPECT_FALSE(guard.CheckSockaddr(&unix_like, sizeof(unix_like)).has_value());
}

}  // namespace
}  // namespace crawlstream::fetcher
