#include "services/fetcher/url.h"

#include <gtest/gtest.h>

#include <string>

namespace crawlstream::fetcher {
namespace {

struct CanonCase {
  const char* input;
  const char* expected;
};

TEST(UrlTest, CanonicalizesTable) {
  const CanonCase cases[] = {
      {"HTTP://Example.COM/", "http://example.com/"},
      // IDNA: Unicode hosts become their ASCII form; one identity for both.
      {"http://中国.cn/a", "http://xn--fiqs8s.cn/a"},
      {"http://xn--fiqs8s.cn/a", "http://xn--fiqs8s.cn/a"},
      {"https://BÜCHER.de/", "https://xn--bcher-kva.de/"},
      {"http://example.com", "http://example.com/"},
      {"http://example.com:80/a", "http://example.com/a"},
      {"https://example.com:443/a", "https://example.com/a"},
      {"https://example.com:8443/a", "https://example.com:8443/a"},
      {"http://example.com:443/a", "http://example.com:443/a"},
      {"http://example.com./a", "http://example.com/a"},
      {"http://example.com/a/./b/../c", "http://example.com/a/c"},
      {"http://example.com/../../a", "http://example.com/a"},
      {"http://example.com/a/b/..", "http://example.com/a/"},
      {"http://example.com/%7Euser/%7ename", "http://example.com/~user/~name"},
      {"http://example.com/a%2fb", "http://example.com/a%2Fb"},
      {"http://example.com/%41%42c", "http://example.com/ABc"},
      {"http://example.com/%2E%2E/x", "http://example.com/x"},
      {"http://example.com/a b", "http://example.com/a%20b"},
      {"http://example.com/%zz", "http://example.com/%25zz"},
      {"http://example.com/新闻/1.html", "http://example.com/%E6%96%B0%E9%97%BB/1.html"},
      {"http://example.com/a#frag", "http://example.com/a"},
      {"http://example.com/a?", "http://example.com/a"},
      {"http://example.com/a?utm_source=x&id=1&utm_medium=y", "http://example.com/a?id=1"},
      {"http://example.com/a?gclid=1&fbclid=2&msclkid=3", "http://example.com/a"},
      {"http://example.com/a?b=2&a=1", "http://example.com/a?b=2&a=1"},
      {"http://example.com/a?x=1&&y=2", "http://example.com/a?x=1&y=2"},
      {"http://example.com/a?q=%e4%b8%ad", "http://example.com/a?q=%E4%B8%AD"},
      {"http://example.com/a?UTM_Campaign=z&k", "http://example.com/a?k"},
      {"  http://example.com/a\n  ", "http://example.com/a"},
      {"http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"},
      {"http://user:pw@example.com/", "http://user:pw@example.com/"},
      {"http:\\\\example.com\\a\\b", "http://example.com/a/b"},
      {"http://新华网.cn/", "http://xn--xkrr14bows.cn/"},
      // Extra slashes after the scheme are skipped, as browsers do.
      {"http:///a", "http://a/"},
  };
  for (const auto& c : cases) {
    auto got = CanonicalizeUrl(c.input);
    ASSERT_TRUE(got.has_value()) << c.input << ": " << got.error().ToString();
    EXPECT_EQ(*got, c.expected) << "input: " << c.input;
  }
}

TEST(UrlTest, RejectsInvalidTable) {
  const char* cases[] = {
      "",
      "example.com/a",
      "/relative/path",
      "ftp://example.com/",
      "mailto:a@example.com",
      "javascript:alert(1)",
      "http://",
      "http://exa mple.com/",
      "http://example.com:0/",
      "http://example.com:65536/",
      "http://example.com:8x/",
      "http://exa\xC3mple.com/",  // not UTF-8: no IDNA name
      "http://[::1/",
      "http://[zz::1]/",
  };
  for (const char* c : cases) {
    EXPECT_FALSE(ParseUrl(c).has_value()) << "input: " << c;
  }
}

TEST(UrlTest, ParsesComponents) {
  auto url = ParseUrl("https://User@News.Example.com:8443/a/b?x=1#top");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->userinfo, "User");
  EXPECT_EQ(url->host, "news.example.com");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->path, "/a/b");
  EXPECT_EQ(url->query, "x=1");
  EXPECT_EQ(url->fragment, "top");
  EXPECT_EQ(url->Origin(), "https://news.example.com:8443");
  EXPECT_EQ(url->PathAndQuery(), "/a/b?x=1");
  EXPECT_EQ(url->EffectivePort(), 8443);
  auto plain = ParseUrl("http://a.example/");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->EffectivePort(), 80);
}

struct ResolveCase {
  const char* reference;
  const char* expected;
};

// RFC 3986 section 5.4 examples, base "http://a/b/c/d;p?q".
TEST(UrlTest, ResolvesRfc3986Examples) {
  auto base = ParseUrl("http://a/b/c/d;p?q");
  ASSERT_TRUE(base.has_value());
  const ResolveCase cases[] = {
      {"g", "http://a/b/c/g"},          {"./g", "http://a/b/c/g"},
      {"g/", "http://a/b/c/g/"},        {"/g", "http://a/g"},
      {"//g", "http://g/"},             {"?y", "http://a/b/c/d;p?y"},
      {"g?y", "http://a/b/c/g?y"},      {"#s", "http://a/b/c/d;p?q#s"},
      {"g#s", "http://a/b/c/g#s"},      {"g?y#s", "http://a/b/c/g?y#s"},
      {";x", "http://a/b/c/;x"},        {"g;x", "http://a/b/c/g;x"},
      {"", "http://a/b/c/d;p?q"},       {".", "http://a/b/c/"},
      {"./", "http://a/b/c/"},          {"..", "http://a/b/"},
      {"../", "http://a/b/"},           {"../g", "http://a/b/g"},
      {"../..", "http://a/"},           {"../../", "http://a/"},
      {"../../g", "http://a/g"},        {"../../../g", "http://a/g"},
      {"../../../../g", "http://a/g"},  {"/./g", "http://a/g"},
      {"/../g", "http://a/g"},          {"g.", "http://a/b/c/g."},
      {".g", "http://a/b/c/.g"},        {"g..", "http://a/b/c/g.."},
      {"..g", "http://a/b/c/..g"},      {"./../g", "http://a/b/g"},
      {"./g/.", "http://a/b/c/g/"},     {"g/./h", "http://a/b/c/g/h"},
      {"g/../h", "http://a/b/c/h"},     {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
      {"g;x=1/../y", "http://a/b/c/y"}, {"http:g", "http://a/b/c/g"},
      {"https://other.example/x", "https://other.example/x"},
  };
  for (const auto& c : cases) {
    auto got = ResolveUrl(*base, c.reference);
    ASSERT_TRUE(got.has_value()) << c.reference << ": " << got.error().ToString();
    EXPECT_EQ(got->ToString(), c.expected) << "reference: " << c.reference;
  }
}

TEST(UrlTest, ResolveRejectsNonHttpReferences) {
  auto base = ParseUrl("http://a/b");
  ASSERT_TRUE(base.has_value());
  EXPECT_FALSE(ResolveUrl(*base, "mailto:x@y").has_value());
  EXPECT_FALSE(ResolveUrl(*base, "javascript:void(0)").has_value());
  EXPECT_FALSE(ResolveUrl(*base, "data:text/html,hi").has_value());
}

TEST(UrlTest, RegistrableDomainUsesPublicSuffixList) {
  const std::pair<const char*, const char*> cases[] = {
      {"news.sina.com.cn", "sina.com.cn"},
      {"www.xinhuanet.com", "xinhuanet.com"},
      {"a.b.example.co.uk", "example.co.uk"},
      {"example.com", "example.com"},
      {"foo.github.io", "foo.github.io"},
      {"127.0.0.1", "127.0.0.1"},
      {"::1", "::1"},
      {"localhost", "localhost"},
  };
  for (const auto& [host, expected] : cases) {
    EXPECT_EQ(RegistrableDomain(host), expected) << "host: " << host;
  }
}

TEST(UrlTest, TrackingParamsAreRecognised) {
  EXPECT_TRUE(IsTrackingParam("utm_source"));
  EXPECT_TRUE(IsTrackingParam("UTM_TERM"));
  EXPECT_TRUE(IsTrackingParam("fbclid"));
  EXPECT_FALSE(IsTrackingParam("id"));
  EXPECT_FALSE(IsTrackingParam("utm"));
  CanonicalizeOptions options;
  options.extra_tracking_params = {"spm"};
  auto got = CanonicalizeUrl("http://e.com/a?spm=1.2&id=3", options);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, "http://e.com/a?id=3");
}

}  // namespace
}  // namespace crawlstream::fetcher
