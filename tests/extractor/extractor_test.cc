#include "services/extractor/extractor.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "crawlstream/v1/fetched_page.pb.h"
#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

const char kPara[] =
    "工业和信息化部正式公布45个国家先进制造业集群的名单，相关集群2021年主导产业产值达19万亿元，"
    "成为推动制造业高质量发展的重要载体。";

std::string Page(const std::string& head, const std::string& body) {
  return "<html><head>" + head + "</head><body>" + body + "</body></html>";
}

std::string Paras(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += std::string("<p>") + kPara + "</p>";
  return out;
}

Result<crawlstream::v1::Article> Extract(const std::string& html,
                                     std::string url = "https://news.example.cn/a/1.html",
                                     ExtractorOptions options = {}) {
  Extractor ex(std::move(options));
  PageInput in;
  in.body = html;
  in.url = std::move(url);
  return ex.Extract(in);
}

TEST(ExtractorTest, UsesJsonLdMetadata) {
  std::string html = Page(
      "<title>站内标题_示例网</title><script type=\"application/ld+json\">"
      "{\"@context\":\"https://schema.org\",\"@graph\":[{\"@type\":\"NewsArticle\","
      "\"headline\":\"JSON标题\",\"datePublished\":\"2024-03-01T08:00:00+08:00\","
      "\"author\":[{\"@type\":\"Person\",\"name\":\"张三\"}],"
      "\"publisher\":{\"@type\":\"Organization\",\"name\":\"示例新闻\"}}]}</script>",
      Paras(3));
  auto a = Extract(html);
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(a->title(), "JSON标题");
  EXPECT_EQ(a->published_at(), "2024-03-01T08:00:00+08:00");
  ASSERT_EQ(a->authors_size(), 1);
  EXPECT_EQ(a->authors(0), "张三");
  EXPECT_EQ(a->publisher(), "示例新闻");
}

// A page dated only by a magazine issue gets a month-precision date; a
// page that also has a complete date keeps the complete one; a year and
// month inside a sentence are not a date of the page.
TEST(ExtractorTest, MonthPrecisionOnlyWhenThePageHasNoCompleteDate) {
  using A = crawlstream::v1::Article;
  auto issue = Extract(Page("", "<h1>论群众参与</h1>" + Paras(4) +
                                    "<p>——《北京之春》1996年6月号</p>"));
  ASSERT_TRUE(issue.has_value()) << issue.error().message;
  EXPECT_EQ(issue->published_at(), "1996-06-01T00:00:00+08:00");
  EXPECT_EQ(issue->published_precision(), A::TIME_PRECISION_MONTH);

  auto dated = Extract(Page("", "<h1>论群众参与</h1><div>发布时间：2005-03-06 16:17</div>" +
                                    Paras(4) + "<p>2003年5月</p>"));
  ASSERT_TRUE(dated.has_value());
  EXPECT_EQ(dated->published_at(), "2005-03-06T16:17:00+08:00");
  EXPECT_EQ(dated->published_precision(), A::TIME_PRECISION_TIME);

  auto day = Extract(Page("", "<h1>论群众参与</h1><div>2005年3月6日</div>" + Paras(4)));
  ASSERT_TRUE(day.has_value());
  EXPECT_EQ(day->published_at(), "2005-03-06T00:00:00+08:00");
  EXPECT_EQ(day->published_precision(), A::TIME_PRECISION_DAY);

  auto sentence = Extract(Page("", "<h1>论群众参与</h1>" + Paras(4) +
                                       "<p>2003年5月，调查组进入社区。</p>"));
  ASSERT_TRUE(sentence.has_value());
  EXPECT_EQ(sentence->published_at(), "");
  EXPECT_EQ(sentence->published_precision(), A::TIME_PRECISION_UNSPECIFIED);
}

// An author link (rel=author, an /author/ page, itemprop=author) names the
// writer when no byline text does; a sidebar of many author links does not.
TEST(ExtractorTest, AuthorLinksNameTheWriterUnlessTheyListMany) {
  auto linked = Extract(Page("", "<h1>Port strike ends</h1><div class=meta>"
                                 "<a rel=\"author\" href=\"/profile/9\">Jane Doe</a></div>" +
                                     Paras(4)));
  ASSERT_TRUE(linked.has_value());
  EXPECT_EQ(std::vector<std::string>(linked->authors().begin(), linked->authors().end()),
            (std::vector<std::string>{"Jane Doe"}));

  auto blog = Extract(Page("", "<h1>标题</h1><div><a href=\"http://blog.example.com/?author=102\">"
                               "<font><u>太小心</u></font></a></div>" + Paras(4)));
  ASSERT_TRUE(blog.has_value());
  EXPECT_EQ(std::vector<std::string>(blog->authors().begin(), blog->authors().end()),
            (std::vector<std::string>{"太小心"}));

  std::string sidebar = "<ul>";
  for (const char* n : {"王小明", "李华", "张伟", "刘洋", "陈静"})
    sidebar += std::string("<li><a href=\"/author/") + n + "\">" + n + "</a></li>";
  sidebar += "</ul>";
  auto listed = Extract(Page("", "<h1>标题</h1>" + Paras(4) + sidebar));
  ASSERT_TRUE(listed.has_value());
  EXPECT_TRUE(listed->authors().empty());

  // Archive links filtered by author are not author pages.
  auto archive = Extract(Page("", "<h1>标题</h1>" + Paras(4) +
                                      "<a href=\"/?pc=85&author=102\">历史</a>"));
  ASSERT_TRUE(archive.has_value());
  EXPECT_TRUE(archive->authors().empty());
}

TEST(ExtractorTest, MalformedJsonLdIsIgnored) {
  auto a = Extract(Page("<script type=\"application/ld+json\">{\"headline\": [}</script>",
                    Paras(3)));
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
}

TEST(ExtractorTest, UsesJsonLdArticleBodyWhenDomIsEmpty) {
  std::string body;
  for (int i = 0; i < 3; ++i) body += std::string(kPara) + "\\n";
  auto a = Extract(Page("<script type=\"application/ld+json\">{\"@type\":\"Article\","
                    "\"articleBody\":\"" + body + "\"}</script>",
                    "<div id=app></div>"));
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_NE(a->body().find("国家先进制造业集群"), std::string::npos);
  EXPECT_NE(a->body().find("\n\n"), std::string::npos);
}

TEST(ExtractorTest, IdIsSha256OfCanonicalUrl) {
  auto a = Extract(Page("<link rel=canonical href=\"/a/1.html?utm_source=x#c\">", Paras(3)),
               "https://News.Example.cn/a/1.html?from=feed");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->canonical_url(), "https://news.example.cn/a/1.html");
  EXPECT_EQ(a->url(), "https://News.Example.cn/a/1.html?from=feed");
  EXPECT_EQ(a->id().size(), 32u);
  auto b = Extract(Page("", Paras(3)), "https://news.example.cn/a/1.html");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(a->id(), b->id());
  EXPECT_EQ(a->site(), "example.cn");
}

TEST(ExtractorTest, NotAnArticleReasons) {
  auto empty = Extract("");
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code, ErrorCode::kNotAnArticle);
  EXPECT_EQ(empty.error().message, "empty_document");

  auto nav_only = Extract(Page("", "<ul><li><a href=#>首页</a></li><li><a href=#>新闻</a></li></ul>"));
  ASSERT_FALSE(nav_only.has_value());
  EXPECT_EQ(nav_only.error().code, ErrorCode::kNotAnArticle);

  auto short_page = Extract(Page("", "<p>你好，世界。</p>"));
  ASSERT_FALSE(short_page.has_value());
  EXPECT_EQ(short_page.error().message, "body_too_short");
}

TEST(ExtractorTest, DeclaredNonHtmlIsNotAnArticle) {
  Extractor ex{ExtractorOptions{}};
  std::string json = "{\"items\":[\"" + std::string(kPara) + "\"]}";
  PageInput in;
  in.body = json;
  in.content_type = "application/json; charset=utf-8";
  in.url = "https://a.cn/api";
  auto a = ex.Extract(in);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().message, "not_html");
  // A mislabelled HTML page still works.
  std::string html = Page("", Paras(3));
  in.body = html;
  in.content_type = "application/octet-stream";
  EXPECT_TRUE(ex.Extract(in).has_value());
}

TEST(ExtractorTest, OversizeIsResourceExhausted) {
  ExtractorOptions options;
  options.max_input_bytes = 100;
  auto a = Extract(Page("", Paras(3)), "https://a.cn/", options);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(a.error().message, "oversize");
}

// Issue 14, item 1: a page past the time budget fails at the next
// checkpoint instead of holding a worker.
TEST(ExtractorTest, PastTheTimeBudgetIsResourceExhausted) {
  std::string html = "<html><body>";
  for (int i = 0; i < 200'000; ++i) html += "<div><p>word</p></div>";
  html += "</body></html>";
  ExtractorOptions options;
  options.max_input_bytes = 64u << 20;
  options.extract_timeout = std::chrono::milliseconds(1);
  auto a = Extract(html, "https://a.cn/", options);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(a.error().message, "extract_timeout");
  // Without a budget the same page is judged on its content.
  options.extract_timeout = std::chrono::milliseconds(0);
  a = Extract(html, "https://a.cn/", options);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code, ErrorCode::kNotAnArticle);
}

TEST(ExtractorTest, SiteZoneAndNonChineseDefaults) {
  ExtractorOptions options;
  options.site_utc_offset_minutes["example.tw"] = 480;
  options.default_utc_offset_minutes = 60;
  std::string en_para =
      "<p>The minister said on Friday that the new plan would be published in the "
      "spring, and that the budget for it is larger than in any year before.</p>";
  std::string en = Page("<meta property=\"article:published_time\" content=\"2024-05-06 10:00\">",
                        en_para + en_para);
  auto a = Extract(en, "https://www.example.fr/x", options);
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(a->published_at(), "2024-05-06T10:00:00+01:00");
  EXPECT_EQ(a->language(), "en");
  EXPECT_EQ(a->script(), "Latn");
  EXPECT_TRUE(a->body_simplified().empty());
}

TEST(ExtractorTest, RecordsCharsetAndVersion) {
  std::string gbk = "<html><head><meta charset=gbk></head><body>";
  for (int i = 0; i < 5; ++i)
    gbk += "<p>\xD6\xD0\xB9\xFA\xB9\xA4\xD2\xB5\xBA\xCD\xD0\xC5\xCF\xA2\xBB\xAF\xB2\xBF"
           "\xD5\xFD\xCA\xBD\xB9\xAB\xB2\xBC\xC3\xFB\xB5\xA5\xA3\xAC\xCF\xE0\xB9\xD8"
           "\xBC\xAF\xC8\xBA\xB2\xFA\xD6\xB5\xB4\xEF\xCA\xAE\xBE\xC5\xCD\xF2\xD2\xDA"
           "\xD4\xAA\xA1\xA3</p>";
  gbk += "</body></html>";
  auto a = Extract(gbk);
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(a->source_charset(), "GB18030");
  EXPECT_EQ(a->charset_source(), "meta");
  EXPECT_EQ(a->replaced_sequences(), 0u);
  EXPECT_EQ(a->extractor_version(), kExtractorVersion);
  EXPECT_NE(a->body().find("中国工业和信息化部"), std::string::npos);
}

TEST(ExtractorTest, AdaptsFetchedPage) {
  crawlstream::v1::FetchedPage page;
  page.set_final_url("https://news.example.cn/b.html");
  page.set_content_type("text/html; charset=utf-8");
  page.set_body(Page("", Paras(3)));
  page.mutable_fetched_at()->set_seconds(1700000000);
  Extractor ex{ExtractorOptions{}};
  auto a = ex.Extract(PageInputFromFetchedPage(page));
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(a->url(), "https://news.example.cn/b.html");
  EXPECT_EQ(a->charset_source(), "http");
  EXPECT_EQ(a->fetched_at().seconds(), 1700000000);
}

TEST(ExtractorTest, ClockSetsExtractedAt) {
  ExtractorOptions options;
  options.clock = [] {
    return std::chrono::system_clock::time_point(std::chrono::seconds(1234));
  };
  auto a = Extract(Page("", Paras(3)), "https://a.cn/", options);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->extracted_at().seconds(), 1234);
}

TEST(ExtractorTest, OneExtractorServesManyThreads) {
  Extractor ex{ExtractorOptions{}};
  std::string hans = Page("<title>简体_网</title>", Paras(4));
  std::string hant = Page("<title>繁體_網</title>",
                          "<p>工業和信息化部正式公布45個國家先進製造業集群的名單，相關集群2021年主導"
                          "產業產值達19萬億元，成為推動製造業高質量發展的重要載體。</p>"
                          "<p>這是國家級集群，對於區域經濟發展來說，具有重要的帶動作用。</p>");
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        PageInput in;
        in.body = (i + t) % 2 ? hant : hans;
        in.url = "https://a.cn/" + std::to_string(i);
        auto a = ex.Extract(in);
        if (a && a->script() == ((i + t) % 2 ? "Hant" : "Hans")) ++ok[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(ok[t], 25) << t;
}

// Issue 14 #3: a byte-order mark must not hide binary data.
TEST(ExtractorTest, RandomBytesBehindAUtf16BomAreBinary) {
  std::string body = "\xFF\xFE";
  uint32_t x = 12345;
  for (int i = 0; i < 100000; ++i) {
    x = x * 1103515245u + 12345u;
    body.push_back(static_cast<char>(x >> 16));
  }
  Extractor ex;
  PageInput in;
  in.body = body;
  auto a = ex.Extract(in);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().message, "binary");
}

// A real UTF-16 page with a BOM still extracts.
TEST(ExtractorTest, Utf16PageWithBomExtracts) {
  std::string html = Page("<title>t</title>", Paras(3));
  // Encode ASCII + CJK as UTF-16LE by hand.
  std::string le = "\xFF\xFE";
  size_t i = 0;
  while (i < html.size()) {
    char32_t cp = NextCodePoint(html, &i);
    le.push_back(static_cast<char>(cp & 0xFF));
    le.push_back(static_cast<char>((cp >> 8) & 0xFF));
  }
  Extractor ex;
  PageInput in;
  in.body = le;
  auto a = ex.Extract(in);
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_NE(a->body().find("先进制造业集群"), std::string::npos);
}

// Issue 14 #4: a wrong charset label loses nothing.
TEST(ExtractorTest, Utf8PageLabelledShiftJisIsReadAsUtf8) {
  Extractor ex;
  PageInput in;
  std::string html = Page("<meta charset=\"shift_jis\">", Paras(3));
  in.body = html;
  in.content_type = "text/html; charset=shift_jis";
  auto a = ex.Extract(in);
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(a->source_charset(), "UTF-8");
  EXPECT_EQ(a->charset_source(), "mislabel");
  EXPECT_NE(a->body().find("先进制造业集群"), std::string::npos);
}

TEST(ExtractorTest, LargeUtf8PageLabelledGbkIsReadAsUtf8) {
  // Over the 256 KiB sample, whatever character the cut falls in.
  for (size_t pad : {0u, 1u, 2u}) {
    Extractor ex;
    PageInput in;
    std::string html = Page("<meta charset=\"gbk\">", std::string(pad, 'x') + Paras(1500));
    ASSERT_GT(html.size(), 256u * 1024);
    in.body = html;
    auto a = ex.Extract(in);
    ASSERT_TRUE(a.has_value()) << a.error().ToString();
    EXPECT_EQ(a->charset_source(), "mislabel") << pad;
    EXPECT_NE(a->body().find("先进制造业集群"), std::string::npos);
  }
}

TEST(ExtractorTest, GbkPageLabelledBig5FallsBackToDetection) {
  // "中国制造业高质量发展" and more, in GBK, under a Big5 label.
  const std::string gbk_para =
      "\xD6\xD0\xB9\xFA\xD6\xC6\xD4\xEC\xD2\xB5\xB8\xDF\xD6\xCA\xC1\xBF\xB7\xA2"
      "\xD5\xB9\xA3\xAC\xB9\xA4\xD2\xB5\xBA\xCD\xD0\xC5\xCF\xA2\xBB\xAF\xB2\xBF"
      "\xD5\xFD\xCA\xBD\xB9\xAB\xB2\xBC\xB9\xFA\xBC\xD2\xCF\xC8\xBD\xF8\xD6\xC6"
      "\xD4\xEC\xD2\xB5\xBC\xAF\xC8\xBA\xA1\xA3";
  std::string body;
  for (int i = 0; i < 6; ++i) body += "<p>" + gbk_para + gbk_para + "</p>";
  Extractor ex;
  PageInput in;
  // Labelled by the server, and by a meta tag that agrees with it.
  for (std::string head : {std::string(), std::string("<meta charset=\"big5\">")}) {
    std::string html = Page(head, body);
    in.body = html;
    in.content_type = "text/html; charset=big5";
    auto a = ex.Extract(in);
    ASSERT_TRUE(a.has_value()) << a.error().ToString();
    EXPECT_EQ(a->charset_source(), "mislabel") << head;
    EXPECT_EQ(a->source_charset(), "GB18030");
    EXPECT_NE(a->body().find("中国制造业"), std::string::npos);
  }
}

}  // namespace
}  // namespace crawlstream::extractor
