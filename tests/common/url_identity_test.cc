// One URL identity: the canonical URL the fetcher keys its URL-seen set and
// Kafka messages on (ParseUrl/ResolveUrl + Canonicalize, as crawler.cc and
// discovery.cc do) is the extractor's Article.canonical_url, and the article
// id is Sha256Hex(that string, 16).
#include <gtest/gtest.h>

#include <string>

#include "services/common/sha256.h"
#include "services/common/url.h"
#include "services/extractor/extractor.h"

namespace crawlstream {
namespace {

enum class Link { kNone, kCanonical, kOgUrl };

struct IdentityCase {
  const char* page_url;  // what the extractor gets as PageInput.url
  Link link;             // <link rel=canonical> or og:url in the page head
  const char* href;      // its href / content, relative or absolute
  const char* expected;  // canonical URL, the same for both stages
};

const IdentityCase kCases[] = {
    // Tracking parameters, one table for both stages.
    {"https://news.example.cn/a/1.html?utm_source=wx&utm_medium=social", Link::kNone, "",
     "https://news.example.cn/a/1.html"},
    {"https://news.example.cn/a/1.html?id=7&gclid=abc&fbclid=def", Link::kNone, "",
     "https://news.example.cn/a/1.html?id=7"},
    {"https://news.example.cn/a/1.html?spm=a2c.1&from=timeline", Link::kNone, "",
     "https://news.example.cn/a/1.html"},
    {"https://example.com/a?mc_cid=1&p=2&share_token=x&MSCLKID=3", Link::kNone, "",
     "https://example.com/a?p=2"},
    // Default ports.
    {"http://example.com:80/a", Link::kNone, "", "http://example.com/a"},
    {"https://example.com:443/a", Link::kNone, "", "https://example.com/a"},
    {"https://example.com:8443/a", Link::kNone, "", "https://example.com:8443/a"},
    // Fragments.
    {"https://example.com/a#comments", Link::kNone, "", "https://example.com/a"},
    // Case: scheme and host lower-cased, path kept.
    {"HTTPS://News.Example.COM/Story/1", Link::kNone, "", "https://news.example.com/Story/1"},
    {"https://example.com./a", Link::kNone, "", "https://example.com/a"},
    // IDNA hosts: Unicode and punycode spellings are one identity.
    {"http://中国.cn/新闻/1.html", Link::kNone, "",
     "http://xn--fiqs8s.cn/%E6%96%B0%E9%97%BB/1.html"},
    {"http://xn--fiqs8s.cn/%E6%96%B0%E9%97%BB/1.html", Link::kNone, "",
     "http://xn--fiqs8s.cn/%E6%96%B0%E9%97%BB/1.html"},
    {"https://BÜCHER.de/artikel", Link::kNone, "", "https://xn--bcher-kva.de/artikel"},
    // Paths: empty becomes "/", a trailing slash is kept (another resource),
    // dot segments and percent-encoding normalised.
    {"https://example.com", Link::kNone, "", "https://example.com/"},
    {"https://example.com/a/", Link::kNone, "", "https://example.com/a/"},
    {"https://example.com/a/./b/../c.html", Link::kNone, "", "https://example.com/a/c.html"},
    {"https://example.com/%7Euser/a%2fb", Link::kNone, "", "https://example.com/~user/a%2Fb"},
    {"https://example.com/a b?q=%e4%b8%ad", Link::kNone, "",
     "https://example.com/a%20b?q=%E4%B8%AD"},
    // Query: order kept (it can matter), empty parameters dropped.
    {"https://example.com/a?b=2&a=1", Link::kNone, "", "https://example.com/a?b=2&a=1"},
    {"https://example.com/a?a=1&b=2", Link::kNone, "", "https://example.com/a?a=1&b=2"},
    {"https://example.com/a?x=1&&y=2&", Link::kNone, "", "https://example.com/a?x=1&y=2"},
    {"https://example.com/a?", Link::kNone, "", "https://example.com/a"},
    {"  https://example.com/a\n", Link::kNone, "", "https://example.com/a"},
    // Canonical links, relative and absolute: the fetcher meets the same
    // link as a discovered URL resolved against the page.
    {"https://m.example.cn/a/1.html?from=app", Link::kCanonical, "/a/1.html?utm_campaign=x#top",
     "https://m.example.cn/a/1.html"},
    {"https://example.com/news/2024/story.html?page=1", Link::kCanonical, "../2024/story.html",
     "https://example.com/news/2024/story.html"},
    {"https://example.com/a/b.html", Link::kCanonical, "//WWW.example.com/a/b.html",
     "https://www.example.com/a/b.html"},
    {"https://example.com/a/b.html", Link::kCanonical,
     "https://WWW.Example.com:443/a/./b.html?utm_source=rss", "https://www.example.com/a/b.html"},
    {"https://example.com/a?id=1&utm_source=x", Link::kOgUrl, "/a?id=1",
     "https://example.com/a?id=1"},
    // A canonical link that is not http(s): the page URL is the identity.
    {"https://Example.com/a?fbclid=1", Link::kCanonical, "javascript:void(0)",
     "https://example.com/a"},
};

// What the fetcher keys on for this page: the canonical form of the page URL
// or, when the page names another http(s) URL for itself, of that URL.
std::string FetcherCanonical(const IdentityCase& c) {
  auto page = ParseUrl(c.page_url);
  if (!page) return "unparsable page URL";
  Url url = *page;
  if (c.link != Link::kNone) {
    if (auto linked = ResolveUrl(*page, c.href)) url = *linked;
  }
  return Canonicalize(url).ToString();
}

std::string Html(const IdentityCase& c) {
  std::string head = "<title>工业和信息化部公布国家先进制造业集群名单</title>";
  if (c.link == Link::kCanonical) head += std::string("<link rel=canonical href=\"") + c.href + "\">";
  if (c.link == Link::kOgUrl) head += std::string("<meta property=\"og:url\" content=\"") + c.href + "\">";
  std::string body;
  for (int i = 0; i < 3; ++i) {
    body +=
        "<p>工业和信息化部正式公布45个国家先进制造业集群的名单，相关集群2021年主导产业产值达19万亿元，"
        "成为推动制造业高质量发展的重要载体。</p>";
  }
  return "<html><head>" + head + "</head><body><article>" + body + "</article></body></html>";
}

TEST(UrlIdentityTest, FetcherCanonicalIsArticleCanonicalAndId) {
  extractor::Extractor extractor;
  for (const auto& c : kCases) {
    SCOPED_TRACE(std::string("page: ") + c.page_url + " href: " + c.href);
    const std::string fetcher = FetcherCanonical(c);
    EXPECT_EQ(fetcher, c.expected);

    const std::string html = Html(c);
    extractor::PageInput in;
    in.body = html;
    in.content_type = "text/html; charset=utf-8";
    in.url = c.page_url;
    auto article = extractor.Extract(in);
    ASSERT_TRUE(article.has_value()) << article.error().ToString();
    EXPECT_EQ(article->canonical_url(), fetcher);
    EXPECT_EQ(article->id(), Sha256Hex(fetcher, 16));
    EXPECT_EQ(article->site(), RegistrableDomain(UrlHost(fetcher)));
  }
}

// A page the fetcher has already canonicalised (the usual case: the fetcher
// requests the canonical URL) keeps the same id: canonicalising is
// idempotent.
TEST(UrlIdentityTest, CanonicalUrlIsAFixedPoint) {
  for (const auto& c : kCases) {
    auto again = CanonicalizeUrl(c.expected);
    ASSERT_TRUE(again.has_value()) << c.expected;
    EXPECT_EQ(*again, c.expected);
  }
}

}  // namespace
}  // namespace crawlstream
