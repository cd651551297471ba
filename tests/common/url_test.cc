#include "services/common/url.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace crawlstream {
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
      {"http://example.com/a?spm=a2c.b&id=1&from=timeline", "http://example.com/a?id=1"},
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

// References that RFC 3986 reads one way and browsers (WHATWG URL) another;
// pages are written for browsers.
TEST(UrlTest, ResolvesLikeBrowsers) {
  auto base = ParseUrl("https://www.example.com/a/b.html");
  ASSERT_TRUE(base.has_value());
  const ResolveCase cases[] = {
      {"https:img.jpg", "https://www.example.com/a/img.jpg"},
      {"https:/cdn/img.jpg", "https://www.example.com/cdn/img.jpg"},
      {"https:\\cdn\\img.jpg", "https://www.example.com/cdn/img.jpg"},
      {"https:///cdn/img.jpg", "https://cdn/img.jpg"},
      {"http:/cdn/img.jpg", "http://cdn/img.jpg"},
      {"\\\\cdn.example.com\\img.jpg", "https://cdn.example.com/img.jpg"},
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
      {"economy.gmw.cn", "gmw.cn"},
      {"www.bbc.co.uk", "bbc.co.uk"},
      {"127.0.0.1", "127.0.0.1"},
      {"::1", "::1"},
      {"localhost", "localhost"},
  };
  for (const auto& [host, expected] : cases) {
    EXPECT_EQ(RegistrableDomain(host), expected) << "host: " << host;
  }
}

TEST(UrlTest, TrackingParamsAreRecognised) {
  const std::pair<const char*, bool> cases[] = {
      {"utm_source", true}, {"UTM_TERM", true}, {"utm_", true},
      {"fbclid", true},     {"gclid", true},    {"msclkid", true},
      {"spm", true},        {"from", true},     {"share_token", true},
      {"mc_cid", true},     {"_hsenc", true},   {"id", false},
      {"utm", false},       {"page", false},    {"spmx", false},
      {"from_date", false}, {"q", false},       {"ga", false},
  };
  for (const auto& [name, tracking] : cases) {
    EXPECT_EQ(IsTrackingParam(name), tracking) << "name: " << name;
  }
}

TEST(UrlTest, ExtraTrackingParamsAreStripped) {
  CanonicalizeOptions options;
  options.extra_tracking_params = {"Ref"};
  auto got = CanonicalizeUrl("http://e.com/a?ref=home&id=3&spm=1.2", options);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, "http://e.com/a?id=3");
}

TEST(UrlTest, CanonicalUrlOrTextKeepsWhatIsNotHttp) {
  const CanonCase cases[] = {
      {"HTTPS://News.GMW.cn:443/a?utm_source=x&id=3&spm=1#frag", "https://news.gmw.cn/a?id=3"},
      {"http://a.com", "http://a.com/"},
      {"http://user@中国.cn:8080/a", "http://user@xn--fiqs8s.cn:8080/a"},
      {"  https://a.com/x?from=feed \n", "https://a.com/x"},
      {"", ""},
      {"file:///tmp/page.html", "file:///tmp/page.html"},
      {" file:///tmp/page.html\n", "file:///tmp/page.html"},
      {"not a url", "not a url"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(CanonicalUrlOrText(c.input), c.expected) << "input: " << c.input;
  }
}

struct ResolveTextCase {
  const char* base;
  const char* reference;
  const char* expected;
};

TEST(UrlTest, ResolvesTextTable) {
  const ResolveTextCase cases[] = {
      {"https://a.com/x/y.html", "/z", "https://a.com/z"},
      {"https://a.com/x/y.html", "z.html", "https://a.com/x/z.html"},
      {"https://a.com/x/y.html", "../z.html", "https://a.com/z.html"},
      {"https://a.com/x/y.html", "//b.com/q", "https://b.com/q"},
      {"https://a.com/x", "http://c.com/", "http://c.com/"},
      {"https://a.com/x", " https://c.com/y#top ", "https://c.com/y#top"},
      {"https://a.com/x", "", "https://a.com/x"},
      {"https://a.com/x", "javascript:void(0)", ""},
      // A page read from disk: only an absolute reference resolves.
      {"file:///tmp/a.html", "https://c.com/y", "https://c.com/y"},
      {"file:///tmp/a.html", "/y", ""},
      {"", "https://c.com/y", "https://c.com/y"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ResolveUrlText(c.base, c.reference), c.expected)
        << "base: " << c.base << " reference: " << c.reference;
  }
}

TEST(UrlTest, UrlHostIsLowerCaseAscii) {
  EXPECT_EQ(UrlHost("https://user@News.Example.com:8080/x"), "news.example.com");
  EXPECT_EQ(UrlHost("http://中国.cn/a"), "xn--fiqs8s.cn");
  EXPECT_EQ(UrlHost("http://[2001:db8::1]/"), "2001:db8::1");
  EXPECT_EQ(UrlHost("file:///tmp/a.html"), "");
  EXPECT_EQ(UrlHost(""), "");
}

}  // namespace
}  // namespace crawlstream
