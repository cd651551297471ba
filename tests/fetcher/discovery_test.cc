#include "services/fetcher/discovery.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace crawlstream::fetcher {
namespace {

std::string Fixture(const std::string& name) {
  const char* root = std::getenv("CRAWLSTREAM_SOURCE_DIR");
  std::string path = std::string(root ? root : ".") + "/tests/fixtures/fetcher/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string GzipCompress(std::string_view data) {
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

Url U(const char* text) { return *ParseUrl(text); }

std::vector<std::string> Urls(const Discovery& d) {
  std::vector<std::string> out;
  for (const auto& l : d.links) out.push_back(l.url);
  return out;
}

TEST(DiscoveryTest, ParsesRss) {
  auto d = ParseDiscoveryDocument(Fixture("rss.xml"), U("http://www.news.example.cn/rss.xml"));
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->kind, DocumentKind::kRss);
  EXPECT_EQ(Urls(*d), (std::vector<std::string>{
                          "http://www.news.example.cn/2024-07/05/c_1.htm",
                          "http://www.news.example.cn/2024-07/05/c_2.htm?utm_source=rss",
                          "http://www.news.example.cn/2024-07/05/c_3.htm"}));
  EXPECT_EQ(d->links[0].modified, "Fri, 05 Jul 2024 13:53:00 +0800");
  EXPECT_EQ(d->links[0].kind, LinkKind::kPage);
  EXPECT_EQ(d->skipped, 2u);  // non-permalink guid, javascript: link
}

// Chinese feeds are often GB2312/GBK and use HTML entities libxml2 does not
// know; neither may lose items.
TEST(DiscoveryTest, ParsesGb2312FeedWithUndefinedEntity) {
  auto d = ParseDiscoveryDocument(Fixture("rss_gb2312.xml"), U("http://gb.example.cn/rss.xml"));
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(Urls(*d), (std::vector<std::string>{"http://gb.example.cn/%E6%96%B0%E9%97%BB/1.html",
                                                "http://gb.example.cn/2.html"}))
      << d->parse_error;
}

TEST(DiscoveryTest, RepairsRawAmpersandsAndHtmlEntities) {
  auto d = ParseDiscoveryDocument(Fixture("rss_raw_ampersand.xml"), U("http://e.com/rss"));
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(Urls(*d), (std::vector<std::string>{"http://e.com/show?id=1&page=2",
                                                "http://e.com/show?id=3&page=4"}))
      << d->parse_error;
  EXPECT_TRUE(d->parse_error.empty()) << d->parse_error;
}

TEST(DiscoveryTest, ParsesAtomAlternateLinks) {
  auto d = ParseDiscoveryDocument(Fixture("atom.xml"), U("http://atom.example.com/feed.xml"));
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->kind, DocumentKind::kAtom);
  EXPECT_EQ(Urls(*d), (std::vector<std::string>{"http://atom.example.com/posts/1",
                                                "http://atom.example.com/posts/2"}));
  EXPECT_EQ(d->links[0].modified, "2024-07-05T05:53:00Z");
}

TEST(DiscoveryTest, ParsesUrlsetIgnoringImageLocs) {
  auto d = ParseDiscoveryDocument(Fixture("sitemap.xml"), U("http://site.example.com/sitemap.xml"));
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->kind, DocumentKind::kUrlset);
  EXPECT_EQ(Urls(*d), (std::vector<std::string>{"http://site.example.com/a.html",
                                                "http://site.example.com/b.html"}));
  EXPECT_EQ(d->links[0].modified, "2024-07-05");
  EXPECT_EQ(d->skipped, 1u);
}

TEST(DiscoveryTest, ParsesNewsSitemapPublicationDate) {
  auto d = ParseDiscoveryDocument(Fixture("news_sitemap.xml"), U("http://news.example.com/n.xml"));
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  ASSERT_EQ(d->links.size(), 1u);
  EXPECT_EQ(d->links[0].url, "http://news.example.com/2024/07/05/story.html");
  EXPECT_EQ(d->links[0].modified, "2024-07-05T13:53:00+08:00");
}

TEST(DiscoveryTest, SitemapIndexYieldsSitemaps) {
  auto d = ParseDiscoveryDocument(Fixture("sitemap_index.xml"), U("http://site.example.com/i.xml"));
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->kind, DocumentKind::kSitemapIndex);
  ASSERT_EQ(d->links.size(), 2u);
  EXPECT_EQ(d->links[0].kind, LinkKind::kSitemap);
  EXPECT_EQ(d->links[0].url, "http://site.example.com/sitemap-1.xml.gz");
}

TEST(DiscoveryTest, InflatesGzipSitemaps) {
  std::string gz = GzipCompress(Fixture("sitemap.xml"));
  ASSERT_TRUE(LooksGzipped(gz));
  auto d = ParseDiscoveryDocument(gz, U("http://site.example.com/sitemap.xml.gz"));
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->links.size(), 2u);
}

TEST(DiscoveryTest, GzipBombIsCapped) {
  std::string zeros(20 * 1024 * 1024, '\0');
  std::string bomb = GzipCompress(zeros);
  EXPECT_LT(bomb.size(), 100u * 1024);
  DiscoveryOptions options;
  options.max_bytes = 1024 * 1024;
  auto d = ParseDiscoveryDocument(bomb, U("http://e.com/s.xml.gz"), options);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code, ErrorCode::kResourceExhausted);
}

TEST(DiscoveryTest, CorruptGzipIsAParseError) {
  std::string gz = GzipCompress(Fixture("sitemap.xml"));
  auto truncated = Gunzip(gz.substr(0, gz.size() / 2), 1 << 20);
  ASSERT_FALSE(truncated.has_value());
  EXPECT_EQ(truncated.error().code, ErrorCode::kParse);
}

TEST(DiscoveryTest, RefusesEntityDeclarations) {
  auto d = ParseDiscoveryDocument(Fixture("billion_laughs.xml"), U("http://e.com/s.xml"));
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code, ErrorCode::kPermissionDenied);
}

// Issue 14 item 16: the entity check and the '&' repair run on the text
// libxml2 reads, not on raw bytes.
std::string Utf16Le(std::string_view ascii) {
  std::string out;
  for (char c : ascii) {
    out.push_back(c);
    out.push_back('\0');
  }
  return out;
}

std::string Utf16Be(std::string_view ascii) {
  std::string out;
  for (char c : ascii) {
    out.push_back('\0');
    out.push_back(c);
  }
  return out;
}

TEST(DiscoveryTest, EntityDeclarationsAreRefusedInEveryEncoding) {
  const std::string doc =
      "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n"
      "<!DOCTYPE rss [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]>\n"
      "<rss><channel><item><link>http://e.com/&b;</link></item></channel></rss>\n";
  struct Case {
    const char* name;
    std::string body;
  };
  const Case cases[] = {
      {"UTF-16LE without a byte-order mark", Utf16Le(doc)},
      {"UTF-16BE without a byte-order mark", Utf16Be(doc)},
      {"UTF-16LE with a byte-order mark", "\xFF\xFE" + Utf16Le(doc)},
      {"UTF-8 with a byte-order mark", "\xEF\xBB\xBF" + doc},
  };
  for (const auto& tc : cases) {
    auto d = ParseDiscoveryDocument(tc.body, U("http://e.com/rss.xml"));
    ASSERT_FALSE(d.has_value()) << tc.name << ": " << d->links.size() << " links";
    EXPECT_EQ(d.error().code, ErrorCode::kPermissionDenied) << tc.name << ": " << d.error().ToString();
  }
}

TEST(DiscoveryTest, Utf16FeedWithoutByteOrderMarkIsRead) {
  const std::string doc =
      "<?xml version=\"1.0\" encoding=\"UTF-16\"?>"
      "<rss><channel><item><link>http://e.com/show?id=1&page=2</link></item></channel></rss>";
  auto d = ParseDiscoveryDocument(Utf16Le(doc), U("http://e.com/rss.xml"));
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(Urls(*d), std::vector<std::string>{"http://e.com/show?id=1&page=2"}) << d->parse_error;
}

TEST(DiscoveryTest, CdataOpenerInsideACommentDoesNotStopTheAmpersandRepair) {
  const std::string doc =
      "<?xml version=\"1.0\"?><rss><channel><!-- old template: <![CDATA[ -->"
      "<item><link>http://e.com/show?id=1&page=2</link></item>"
      "<item><link>http://e.com/show?id=3&amp;page=4&nbsp;</link></item>"
      "<item><description><![CDATA[a & b <!-- ]]></description>"
      "<link>http://e.com/show?id=5&page=6</link></item>"
      "</channel></rss>";
  auto d = ParseDiscoveryDocument(doc, U("http://e.com/rss.xml"));
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(Urls(*d), (std::vector<std::string>{"http://e.com/show?id=1&page=2",
                                                "http://e.com/show?id=3&page=4%C2%A0",
                                                "http://e.com/show?id=5&page=6"}))
      << d->parse_error;
  EXPECT_TRUE(d->parse_error.empty()) << d->parse_error;
}

TEST(DiscoveryTest, DeclaredLegacyEncodingIsDecodedOnce) {
  // "caf\xE9" in ISO-8859-1 is "café": one decoding, not two.
  const std::string doc =
      "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
      "<rss><channel><item><link>http://e.com/caf\xE9</link></item></channel></rss>";
  auto d = ParseDiscoveryDocument(doc, U("http://e.com/rss.xml"));
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(Urls(*d), std::vector<std::string>{"http://e.com/caf%C3%A9"}) << d->parse_error;
}

TEST(DiscoveryTest, EbcdicAndUnknownEncodingsAreParseErrors) {
  auto ebcdic = ParseDiscoveryDocument(std::string("\x4C\x6F\xA7\x94\x93\x40", 6), U("http://e.com/s.xml"));
  ASSERT_FALSE(ebcdic.has_value());
  EXPECT_EQ(ebcdic.error().code, ErrorCode::kParse);
  auto unknown = ParseDiscoveryDocument(
      "<?xml version=\"1.0\" encoding=\"x-no-such-charset\"?><rss/>", U("http://e.com/s.xml"));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kParse);
}

TEST(DiscoveryTest, DoesNotLoadExternalDtd) {
  // The DTD URL points at a closed local port; with network access or DTD
  // loading this would fail or hang. The document itself is still read.
  auto d = ParseDiscoveryDocument(Fixture("external_entity.xml"), U("http://e.com/s.xml"));
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(Urls(*d), (std::vector<std::string>{"http://e.com/a"}));
}

TEST(DiscoveryTest, BrokenXmlKeepsLinksReadSoFar) {
  auto d = ParseDiscoveryDocument(Fixture("broken.xml"), U("http://e.com/s.xml"));
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(Urls(*d), (std::vector<std::string>{"http://e.com/1", "http://e.com/2"}));
  EXPECT_FALSE(d->parse_error.empty());
}

TEST(DiscoveryTest, RejectsNonDiscoveryDocumentsTable) {
  const struct {
    const char* body;
    ErrorCode code;
  } cases[] = {
      {"<html><body>hi</body></html>", ErrorCode::kParse},
      {"<urlset><url><loc>http://e.com/a</loc>", ErrorCode::kParse},
      {"", ErrorCode::kParse},
      {"not xml and not urls", ErrorCode::kParse},
  };
  for (const auto& c : cases) {
    auto d = ParseDiscoveryDocument(c.body, U("http://e.com/s"));
    if (d.has_value()) {
      // A truncated urlset with no complete entry has no links.
      EXPECT_TRUE(d->links.empty()) << c.body;
      continue;
    }
    EXPECT_EQ(d.error().code, c.code) << c.body;
  }
}

TEST(DiscoveryTest, ParsesTextSitemap) {
  auto d = ParseDiscoveryDocument("http://e.com/a\n\nhttps://e.com/b\r\nnot-a-url\n", U("http://e.com/s.txt"));
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->kind, DocumentKind::kTextSitemap);
  EXPECT_EQ(Urls(*d), (std::vector<std::string>{"http://e.com/a", "https://e.com/b"}));
  EXPECT_EQ(d->skipped, 1u);
}

TEST(DiscoveryTest, StopsAtMaxLinks) {
  std::string body = "<urlset>";
  for (int i = 0; i < 10; ++i) body += "<url><loc>http://e.com/" + std::to_string(i) + "</loc></url>";
  body += "</urlset>";
  DiscoveryOptions options;
  options.max_links = 3;
  auto d = ParseDiscoveryDocument(body, U("http://e.com/s.xml"), options);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->links.size(), 3u);
  EXPECT_TRUE(d->truncated);
}

TEST(DiscoveryTest, ExtractsHtmlLinks) {
  auto links = ExtractHtmlLinks(Fixture("links.html"), U("http://links.example.com/news/index.html"));
  std::vector<std::string> urls;
  for (const auto& l : links) urls.push_back(std::string(LinkKindName(l.kind)) + " " + l.url);
  EXPECT_EQ(urls, (std::vector<std::string>{
                      "feed http://links.example.com/rss.xml",
                      "page http://links.example.com/news/2024/1.html",
                      "page http://links.example.com/about",
                      "page https://other.example.org/x",
                      "page http://links.example.com/news/area.html",
                  }));
}

TEST(DiscoveryTest, HtmlLinkTokenizerTable) {
  const struct {
    const char* html;
    std::vector<std::string> expected;
  } cases[] = {
      {"<A HREF=/x>x</A>", {"http://h.com/x"}},
      {"<a href='/q?a=1&amp;b=2&#38;c=3&#x26;d'>", {"http://h.com/q?a=1&b=2&c=3&d"}},
      {"<a title=\"a > b\" href=\"/after-gt\">", {"http://h.com/after-gt"}},
      {"<!-- <a href=/commented> --><a href=/real>", {"http://h.com/real"}},
      {"<script>var s = '<a href=/in-script>';</script><a href=/out>", {"http://h.com/out"}},
      {"<style>a[href='/css']{}</style><textarea><a href=/ta></textarea>", {}},
      {"<a href=\"  /spaced  \">", {"http://h.com/spaced"}},
      {"<a href=\"\">self</a>", {"http://h.com/dir/page.html"}},
      {"<a href=\"#top\">", {"http://h.com/dir/page.html"}},
      {"<a href=rel.html><a href=../up.html>", {"http://h.com/dir/rel.html", "http://h.com/up.html"}},
      {"<a name=x>no href</a><a href=/1 href=/2>", {"http://h.com/1"}},
      {"<link rel=\"Alternate stylesheet\" type=\"application/atom+xml\" href=/atom>",
       {"http://h.com/atom"}},
      {"<link rel=canonical href=/canon>", {}},
      {"<a href=\"javascript:void(0)\"><a href=\"tel:123\"><a href=\"//cdn.h.com/x\">",
       {"http://cdn.h.com/x"}},
      {"<a href=/unterminated", {"http://h.com/unterminated"}},
      {"<a href=\"/新闻/1.html\">", {"http://h.com/%E6%96%B0%E9%97%BB/1.html"}},
      {"1 < 2 and <a href=/ok>", {"http://h.com/ok"}},
  };
  Url page = U("http://h.com/dir/page.html");
  for (const auto& c : cases) {
    std::vector<std::string> got;
    for (const auto& link : ExtractHtmlLinks(c.html, page)) got.push_back(link.url);
    EXPECT_EQ(got, c.expected) << c.html;
  }
}

TEST(ScopeTest, DecisionsTable) {
  ScopeOptions options;
  options.domains = {"news.example.cn"};
  options.max_depth = 2;
  options.deny_patterns = {R"(\.(jpg|png|pdf)$)", "/login"};
  auto scope = Scope::Create(options);
  ASSERT_TRUE(scope.has_value());
  const struct {
    const char* url;
    uint32_t depth;
    ScopeDecision expected;
  } cases[] = {
      {"http://www.news.example.cn/a.html", 1, ScopeDecision::kInScope},
      {"http://news.example.cn/a.html", 2, ScopeDecision::kInScope},
      {"http://www.news.example.cn/a.html", 3, ScopeDecision::kTooDeep},
      {"http://example.cn/a.html", 1, ScopeDecision::kInScope},  // same eTLD+1
      {"http://example.com.cn/a.html", 1, ScopeDecision::kOffDomain},
      {"http://evil.com/news.example.cn", 1, ScopeDecision::kOffDomain},
      {"http://www.news.example.cn/a.jpg", 1, ScopeDecision::kDenied},
      {"http://www.news.example.cn/login?next=/", 1, ScopeDecision::kDenied},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(scope->Check(U(c.url), c.depth), c.expected) << c.url;
  }
}

TEST(ScopeTest, SameDomainAsParentWhenNoDomainsConfigured) {
  auto scope = Scope::Create(ScopeOptions{});
  ASSERT_TRUE(scope.has_value());
  Url parent = U("http://www.sina.com.cn/");
  EXPECT_EQ(scope->Check(U("http://news.sina.com.cn/x"), 1, &parent), ScopeDecision::kInScope);
  EXPECT_EQ(scope->Check(U("http://www.sohu.com/x"), 1, &parent), ScopeDecision::kOffDomain);
}

TEST(ScopeTest, AllowPatternsMustMatch) {
  ScopeOptions options;
  options.same_domain = false;
  options.allow_patterns = {R"(/20\d\d-\d\d/)"};
  auto scope = Scope::Create(options);
  ASSERT_TRUE(scope.has_value());
  EXPECT_EQ(scope->Check(U("http://a.com/2024-07/1.htm"), 0), ScopeDecision::kInScope);
  EXPECT_EQ(scope->Check(U("http://a.com/about"), 0), ScopeDecision::kNotAllowed);
}

TEST(ScopeTest, InvalidPatternIsAnError) {
  ScopeOptions options;
  options.deny_patterns = {"(unclosed"};
  auto scope = Scope::Create(options);
  ASSERT_FALSE(scope.has_value());
  EXPECT_EQ(scope.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(scope.error().message.find("deny_patterns"), std::string::npos);
  EXPECT_NE(scope.error().message.find("(unclosed"), std::string::npos);
}

}  // namespace
}  // namespace crawlstream::fetcher
