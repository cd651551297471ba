// Unit tests of the pipeline's named steps: gate, entities, title,
// json_ld, people, page_meta, published, body.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "services/extractor/body.h"
#include "services/extractor/byline.h"
#include "services/extractor/entities.h"
#include "services/extractor/gate.h"
#include "services/extractor/json_ld.h"
#include "services/extractor/keywords.h"
#include "services/extractor/page_meta.h"
#include "services/extractor/page_type.h"
#include "services/extractor/people.h"
#include "services/extractor/published.h"
#include "services/extractor/title.h"

namespace crawlstream::extractor {
namespace {

// --- gate ---

TEST(GateTest, RejectsInOrderWithMetricReasons) {
  struct Case {
    std::string body;
    std::string content_type;
    size_t max;
    std::string reason;  // empty: accepted
  };
  const Case cases[] = {
      {"<html>x</html>", "text/html", 5, "oversize"},
      {"", "text/html", 100, "empty_document"},
      {"{\"a\": 1}", "application/json", 100, "not_html"},
      {"<!DOCTYPE html><html><p>x</p>", "application/json", 100, ""},  // mislabelled
      {std::string("\x01\x02\x03\x04\x05\x06<p>", 9), "", 100, "binary"},
      // UTF-16 with a BOM is text here (its NULs are judged after decoding).
      {std::string("\xFF\xFE<\0h\0t\0m\0l\0>\0", 14), "", 100, ""},
      {"<p>hello</p>", "text/html; charset=utf-8", 100, ""},
  };
  for (const Case& c : cases) {
    auto verdict = ScreenInput(c.body, c.content_type, c.max);
    if (c.reason.empty()) {
      EXPECT_FALSE(verdict.has_value()) << c.body;
    } else {
      ASSERT_TRUE(verdict.has_value()) << c.reason;
      EXPECT_EQ(verdict->message, c.reason);
    }
  }
}

// --- entities ---

TEST(EntitiesTest, DecodesNumericNamedAndDoubleEscaped) {
  EXPECT_EQ(DecodeCharacterReferences("Trends &#8211; 2025"), "Trends \u2013 2025");
  EXPECT_EQ(DecodeCharacterReferences("A &#x2014; B"), "A \u2014 B");
  EXPECT_EQ(DecodeCharacterReferences("Long-Distance &#038; Cross-Country"),
            "Long-Distance & Cross-Country");
  EXPECT_EQ(DecodeCharacterReferences("Rates &amp;amp; Prices"), "Rates & Prices");
  EXPECT_EQ(DecodeCharacterReferences("Maria &amp; Katerina"), "Maria & Katerina");
  EXPECT_EQ(DecodeCharacterReferences("&ldquo;Hi&rdquo;"), "\u201cHi\u201d");
}

TEST(EntitiesTest, LeavesWhatIsNotAReference) {
  EXPECT_EQ(DecodeCharacterReferences("AT&T and R&D"), "AT&T and R&D");
  EXPECT_EQ(DecodeCharacterReferences("&unknown; &#xD800; &#0; &#99999999;"),
            "&unknown; &#xD800; &#0; &#99999999;");
  EXPECT_EQ(DecodeCharacterReferences("trailing &"), "trailing &");
  EXPECT_EQ(DecodeCharacterReferences("光明网"), "光明网");
}

// --- title ---

TEST(TitleTest, SourcesInOrder) {
  const std::vector<std::string> one_h1 = {"Top 10 Health Trends to Watch"};
  const std::vector<std::string> logo_and_headline = {"Acme", "How We Test Movers"};
  const std::vector<std::string> two_long = {"Newsletter sign up today", "Other big heading"};
  struct Case {
    TitleSources in;
    std::string want;
  } cases[] = {
      // An h1 the <title> repeats.
      {{"How We Test Movers | Acme", "", "", &logo_and_headline}, "How We Test Movers"},
      // The only long h1, though the <title> differs.
      {{"Health Trends For 2026 - Tastewise", "Health Trends For 2026", "", &one_h1},
       "Top 10 Health Trends to Watch"},
      // Several long h1s: structured headline, references decoded.
      {{"X", "", "Movers &#038; Packers", &two_long}, "Movers & Packers"},
      // og:title.
      {{"Page | Site", "Story &amp;amp; more", "", nullptr}, "Story & more"},
      // <title> without its site suffix.
      {{"标题文字_光明网", "", "", nullptr}, "标题文字"},
  };
  for (const Case& c : cases) EXPECT_EQ(ResolveTitle(c.in).title, c.want);
  // A Chinese logo <h1> inside a title without a separator, and a host
  // name <h1>, are not headlines.
  const std::vector<std::string> logo = {"松花江网"};
  EXPECT_EQ(ResolveTitle({"土豆不“土” 土豆无“土” 松花江网", "", "", &logo}).title,
            "土豆不“土” 土豆无“土” 松花江网");
  const std::vector<std::string> host = {"blog.wenxuecity.com"};
  EXPECT_EQ(ResolveTitle({"海姑娘 | blog.wenxuecity.com", "", "", &host}).title, "海姑娘");
  EXPECT_EQ(ResolveTitle({"标题文字_光明网", "", "", nullptr}).site_name, "光明网");
}

// --- json_ld ---

TEST(JsonLdTest, ResolvesGraphReferencesAndReadsNewFields) {
  const std::string script = R"({"@context":"https://schema.org","@graph":[
    {"@type":"NewsArticle","@id":"#a","headline":"H","description":"D",
     "datePublished":"2025-01-02T03:04:05Z","dateModified":"2025-02-03",
     "author":{"@id":"#/schema/person/1"},"articleSection":["Politics","World"],
     "keywords":"rail, transport ,UK","image":{"@type":"ImageObject","url":"/i.jpg"}},
    {"@type":"Person","@id":"#/schema/person/1","name":"Jane Doe"},
    {"@type":"BreadcrumbList","@id":"#bc"}]})";
  JsonLdInfo ld = ParseJsonLd({script, "{not json"});
  EXPECT_EQ(ld.headline, "H");
  EXPECT_EQ(ld.description, "D");
  EXPECT_EQ(ld.date_modified, "2025-02-03");
  ASSERT_EQ(ld.authors.size(), 1u);
  EXPECT_EQ(ld.authors[0], "Jane Doe");
  EXPECT_EQ(ld.section, "Politics");
  EXPECT_EQ(ld.keywords, (std::vector<std::string>{"rail", "transport", "UK"}));
  EXPECT_EQ(ld.image, "/i.jpg");
  // Nested types (the image object) are recorded too.
  EXPECT_EQ(ld.types, (std::vector<std::string>{"NewsArticle", "ImageObject", "Person",
                                                "BreadcrumbList"}));
}

TEST(JsonLdTest, MainEntityIsTheArticleListItemsAreNot) {
  JsonLdInfo page = ParseJsonLd({R"({"@type":"WebPage","mainEntity":{"@type":"NewsArticle",
      "headline":"Inner","author":{"@type":"Person","name":"Ann Lee"}}})"});
  EXPECT_EQ(page.headline, "Inner");
  EXPECT_EQ(page.authors, std::vector<std::string>{"Ann Lee"});
  JsonLdInfo list = ParseJsonLd({R"({"@type":"ItemList","itemListElement":[
      {"@type":"ListItem","item":{"@type":"NewsArticle","headline":"Teaser",
       "author":"Bob Roe"}}]})"});
  EXPECT_EQ(list.headline, "");
  EXPECT_TRUE(list.authors.empty());
  EXPECT_EQ(list.types, (std::vector<std::string>{"ItemList", "ListItem", "NewsArticle"}));
  // Non-string values are skipped, never thrown on.
  JsonLdInfo odd = ParseJsonLd({R"({"@type":"Article","headline":7,"author":[1,null,{}],
      "keywords":{"a":1},"image":[null],"datePublished":["x"]})"});
  EXPECT_EQ(odd.headline, "");
  EXPECT_TRUE(odd.authors.empty());
}

// --- people ---

TEST(PeopleTest, LatinPersonName) {
  const std::pair<std::string, std::string> cases[] = {
      {"Stephen Jesudunsin", "Stephen Jesudunsin"},
      {"By Sara Brown", "Sara Brown"},
      {"Written By Mary-Jo O'Neil", "Mary-Jo O'Neil"},
      {"Author: Ludwig van Beethoven", "Ludwig van Beethoven"},
      {"By", ""},
      {"Read more", ""},
      {"posted 3 days ago", ""},
      {"The Best Electric Scooters Of The Year Tested Here", ""},
      {"Jane", ""},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(LatinPersonName(in), want) << in;
}

TEST(PeopleTest, NotOutletsNorThePublisher) {
  EXPECT_TRUE(LooksLikePersonName("王建宏", ""));
  EXPECT_FALSE(LooksLikePersonName("光明网", ""));
  EXPECT_FALSE(LooksLikePersonName("www.example.com", ""));
  EXPECT_FALSE(LooksLikePersonName("Acme", "Acme"));
}

// The whole chain on a page: an author-named element with a Latin name
// and a "By" lead-in block that names nobody.
TEST(PeopleTest, AuthorElementBeforeTheText) {
  const std::string html =
      "<html><body><h1>A headline of some length</h1>"
      "<p class='authors--byline'>By</p>"
      "<div class='author-name'>Stephen Jesudunsin</div>"
      "<div class='content'><p>" +
      std::string(40, 'x') + " first sentence of the article, with commas, here.</p>"
      "<p>Second paragraph of the article keeps going, with more words. And more.</p></div>"
      "</body></html>";
  Document doc = ParseDocument(html);
  JsonLdInfo ld;
  BodyText body = ExtractBody(html, "A headline of some length", "", 5, &doc);
  BylineLines byline = CollectBylineLines(body);
  Evidence evidence{doc, ld, body, byline};
  EXPECT_EQ(ResolveAuthors(evidence, ""), (std::vector<std::string>{"Stephen Jesudunsin"}));
}

// --- page_meta ---

TEST(PageMetaTest, SourceTablesAndCleaning) {
  const std::string html =
      "<html><head>"
      "<meta property='og:description' content='Summary &amp;amp; more'>"
      "<meta property='og:image' content='/img/lead.jpg'>"
      "<meta property='article:section' content='国内'>"
      "<meta property='article:tag' content='Rail'>"
      "<meta property='article:tag' content='rail'>"
      "<meta property='article:tag' content='交通、铁路'>"
      "<meta name='keywords' content='seo, spam'>"
      "</head><body><p>x</p></body></html>";
  Document doc = ParseDocument(html);
  PageMeta meta = ResolvePageMeta(doc, JsonLdInfo{}, "https://news.example.com/a/b.html");
  EXPECT_EQ(meta.description, "Summary & more");
  EXPECT_EQ(meta.image_url, "https://news.example.com/img/lead.jpg");
  EXPECT_EQ(meta.section, "国内");
  // Editors' tags win over SEO keywords; duplicates (any case) dropped.
  EXPECT_EQ(meta.tags, (std::vector<std::string>{"Rail", "交通", "铁路"}));
}

TEST(PageMetaTest, ImageMustBeHttp) {
  Document doc = ParseDocument(
      "<html><head><meta property='og:image' content='javascript:alert(1)'></head></html>");
  EXPECT_EQ(ResolvePageMeta(doc, JsonLdInfo{}, "https://a.example/").image_url, "");
}

// --- published ---

TEST(PublishedTest, StructuredBeforeBylineAndModifiedSeparately) {
  const std::string html =
      "<html><head><meta property='article:published_time' content='2024-07-05T05:53:00Z'>"
      "<meta property='article:modified_time' content='2024-07-06T08:00:00Z'></head>"
      "<body><div>发布时间：2024-07-05 13:53</div><div class='content'><p>" +
      std::string(60, 'y') + "，第一段正文内容在这里。第二句话。</p></div></body></html>";
  Document doc = ParseDocument(html);
  JsonLdInfo ld;
  BodyText body = ExtractBody(html, "", "", 5, &doc);
  BylineLines byline = CollectBylineLines(body);
  Evidence evidence{doc, ld, body, byline};
  PublishedTime p = ResolvePublished(evidence);
  ASSERT_TRUE(p.date.has_value());
  // The UTC instant re-expressed in the zone the byline shows.
  EXPECT_EQ(FormatRfc3339(*p.date, 0), "2024-07-05T13:53:00+08:00");
  EXPECT_EQ(p.precision, crawlstream::v1::Article::TIME_PRECISION_TIME);
  auto modified = ResolveModified(evidence);
  ASSERT_TRUE(modified.has_value());
  EXPECT_EQ(FormatRfc3339(*modified, 0), "2024-07-06T08:00:00+00:00");
}

// --- body ---

TEST(BodyTest, HiddenStreamedPageIsReadAgain) {
  // A streaming renderer parks the page in <div hidden> until a script
  // moves it: nothing visible is an article, so the page is read again
  // with hidden elements. React's own segments (id="S:0") are read at once.
  for (const char* id : {"app-root", "S:0"}) {
    std::string html = "<html><body><div>Loading…</div><div hidden id='" + std::string(id) +
                       "'><article>";
    for (int i = 0; i < 5; ++i)
      html += "<p>The demands of modern applications keep growing, and databases must keep up" +
              std::string(static_cast<size_t>(i) * 12, '!') + ". Paragraph " + std::to_string(i) +
              " of the article.</p>";
    html += "</article></div></body></html>";
    Document doc = ParseDocument(html);
    BodyText body = ExtractBody(html, "", "", 25, &doc);
    EXPECT_EQ(body.source, std::string_view(id) == "S:0" ? BodyText::Source::kBlocks
                                                         : BodyText::Source::kRevealedBlocks)
        << id;
    EXPECT_EQ(body.paragraphs.size(), 5u) << id;
  }
}

TEST(BodyTest, RepeatedLongParagraphKeptOnce) {
  const std::string p =
      "<p>Home remodeling in California is a significant investment, with costs varying widely "
      "by region, scope and the materials chosen for the work.</p>";
  const std::string html = "<html><body><article>" + p + p +
                           "<p>Pros</p><p>Cons</p><p>Pros</p>"
                           "<p>Another paragraph of prose follows here, with a comma.</p>"
                           "</article></body></html>";
  Document doc = ParseDocument(html);
  BodyText body = ExtractBody(html, "", "", 5, &doc);
  size_t copies = 0;
  for (const auto& para : body.paragraphs) copies += para.starts_with("Home remodeling");
  EXPECT_EQ(copies, 1u);
}

TEST(BodyTest, JsonLdArticleBodyWhenThePageHasNoText) {
  const std::string html = "<html><body><div id='app'></div></body></html>";
  Document doc = ParseDocument(html);
  BodyText body = ExtractBody(html, "", "First line of the text.\nSecond line of it.", 5, &doc);
  EXPECT_EQ(body.source, BodyText::Source::kJsonLd);
  EXPECT_EQ(body.paragraphs.size(), 2u);
}

}  // namespace
}  // namespace crawlstream::extractor

// --- page_type ---

namespace crawlstream::extractor {
namespace {

PageFeatures FeaturesOf(const std::string& html, const std::string& url) {
  Document doc = ParseDocument(html);
  JsonLdInfo ld = ParseJsonLd(doc.head.json_ld);
  BodyText body = ExtractBody(html, "", ld.article_body, 25, &doc);
  return ComputePageFeatures(doc, ld, body, url);
}

double Feature(const PageFeatures& f, std::string_view name) {
  for (size_t i = 0; i < kPageFeatureCount; ++i)
    if (PageFeatureNames()[i] == name) return f.values[i];
  ADD_FAILURE() << "no feature " << name;
  return 0;
}

TEST(PageTypeTest, ProductGridScoresBelowANewsStory) {
  std::string story =
      "<html><head><meta property='og:type' content='article'>"
      "<script type='application/ld+json'>{\"@type\":\"NewsArticle\",\"headline\":\"H\","
      "\"author\":\"Jane Doe\",\"datePublished\":\"2024-05-12\"}</script></head><body><article>";
  for (int i = 0; i < 8; ++i)
    story += "<p>The council voted on Tuesday to extend the permit, and residents said they "
             "welcomed the decision after months of debate number " + std::to_string(i) + ".</p>";
  story += "</article></body></html>";
  std::string grid =
      "<html><head><script type='application/ld+json'>{\"@type\":\"ItemList\"}</script>"
      "</head><body>";
  for (int i = 0; i < 12; ++i)
    grid += "<div class='card'><h3><a href='/p/" + std::to_string(i) +
            "'>Garden chair model</a></h3><p>Sturdy chair for patios, in three colours. "
            "Now $" + std::to_string(20 + i) + ".99</p></div>";
  grid += "</body></html>";
  PageFeatures a = FeaturesOf(story, "https://news.example.com/2024/05/12/council-votes");
  PageFeatures p = FeaturesOf(grid, "https://shop.example.com/chairs");
  EXPECT_EQ(Feature(a, "ld_article"), 1);
  EXPECT_EQ(Feature(a, "url_has_date"), 1);
  EXPECT_EQ(Feature(p, "ld_non_article"), 1);
  EXPECT_EQ(Feature(p, "teaser_heading_share"), 1);
  EXPECT_GT(Feature(p, "log_prices"), 2);
  EXPECT_GT(ArticleProbability(a), DefaultArticleThreshold());
  EXPECT_LT(ArticleProbability(p), ArticleProbability(a));
  // The grid is a clear non-article: below the publishing threshold.
  EXPECT_LT(ArticleProbability(p), DefaultArticleThreshold());
}

TEST(PageTypeTest, UrlDateForms) {
  const std::pair<std::string, double> cases[] = {
      {"https://a.example/2024/05/12/story", 1},
      {"https://a.example/news/20240512/abc.html", 1},
      {"https://a.example/2024-05-12-story", 1},
      {"http://www.people.com.cn/n1/2024/0512/c1001-4012.html", 1},
      {"https://a.example/products/12345", 0},
      {"https://a.example/top-10-of-2024", 0},
  };
  for (const auto& [url, want] : cases)
    EXPECT_EQ(Feature(FeaturesOf("<p>x</p>", url), "url_has_date"), want) << url;
}

}  // namespace
}  // namespace crawlstream::extractor

// --- keywords ---

namespace crawlstream::extractor {
namespace {

TEST(KeywordsTest, TraditionalFormsAreDerived) {
  auto has = [](const std::vector<std::string>& v, std::string_view s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  auto v = TraditionalVariants("发布时间");
  EXPECT_EQ(v.front(), "发布时间");
  EXPECT_TRUE(has(v, "發佈時間"));  // phrase tables
  EXPECT_TRUE(has(v, "發布時間"));  // character by character (Taiwan usage)
  EXPECT_TRUE(has(TraditionalVariants("微信公众号"), "微信公眾號"));
  EXPECT_EQ(TraditionalVariants("Copyright"), std::vector<std::string>{"Copyright"});

  KeywordTable t{"责任编辑", "来源：", "Related"};
  EXPECT_TRUE(t.ContainedIn("（責任編輯：王小明）"));
  EXPECT_TRUE(t.ContainedIn("來源：中央社"));
  EXPECT_TRUE(t.ContainedIn("Related stories"));
  EXPECT_FALSE(t.ContainedIn("编辑部"));
  EXPECT_EQ(t.PrefixOf("來源：中央社"), "來源：");
}

}  // namespace
}  // namespace crawlstream::extractor

namespace crawlstream::extractor {
namespace {

std::vector<std::string> AuthorsOf(const std::string& html) {
  Document doc = ParseDocument(html);
  JsonLdInfo ld = ParseJsonLd(doc.head.json_ld);
  BodyText body = ExtractBody(html, "", ld.article_body, 5, &doc);
  BylineLines byline = CollectBylineLines(body);
  return ResolveAuthors(Evidence{doc, ld, body, byline}, "");
}

const char kArticleText[] =
    "<div class='content'><p>The council voted on Tuesday to extend the permit, and residents "
    "said they welcomed it.</p><p>Another paragraph of the story follows, with more detail, "
    "and it ends here.</p></div>";

TEST(PeopleTest, TwitterLabelLeadInLineAndAccountNames) {
  EXPECT_EQ(AuthorsOf("<html><head><meta name='twitter:label1' content='Written by'>"
                      "<meta name='twitter:data1' content='Kristian Larsen'></head><body>" +
                      std::string(kArticleText) + "</body></html>"),
            (std::vector<std::string>{"Kristian Larsen"}));
  EXPECT_EQ(AuthorsOf("<html><body><div>Written by</div><div>Jack Shepherd</div>" +
                      std::string(kArticleText) + "</body></html>"),
            (std::vector<std::string>{"Jack Shepherd"}));
  // "admin" is an account, not a person; "Researched by" is no name.
  EXPECT_TRUE(AuthorsOf("<html><head><meta name='twitter:label1' content='Written by'>"
                        "<meta name='twitter:data1' content='admin'></head><body>"
                        "<div>By</div><div>Researched by</div>" +
                        std::string(kArticleText) + "</body></html>")
                  .empty());
  EXPECT_FALSE(LooksLikePersonName("2", ""));
}

}  // namespace
}  // namespace crawlstream::extractor

namespace crawlstream::extractor {
namespace {

TEST(GateTest, DecodedTextIsJudged) {
  const std::pair<std::string, bool> cases[] = {
      {"<html><p>plain text page</p></html>", false},
      {"<p>\t\r\n\f fine</p>", false},
      {std::string(200, 'a') + "\uFFFD", false},           // a stray replacement
      {std::string(40, 'a') + "\uFFFD\uFFFD\uFFFD", true},  // > 5 % garbage
      {std::string(20, 'a') + "\uE000\uE001", true},         // private use
      {std::string(10, 'a') + std::string(2, '\x01'), true},  // C0 controls
  };
  for (const auto& [text, binary] : cases)
    EXPECT_EQ(ScreenDecoded(text).has_value(), binary) << text.size();
}

TEST(EntitiesTest, HostileAmpersandRunsStayLinear) {
  // A million '&' without ';' must come back unchanged (and quickly: the
  // search for ';' is bounded).
  const std::string amps(1000000, '&');
  EXPECT_EQ(DecodeCharacterReferences(amps), amps);
}

}  // namespace
}  // namespace crawlstream::extractor

namespace crawlstream::extractor {
namespace {

TEST(PeopleTest, AuthorBioAtTheEndIsDropped) {
  std::vector<std::string> paragraphs = {
      "The council voted on Tuesday.", "Residents welcomed it.",
      "Megan Berry is a writer with ten years of experience in local news.",
      "Megan has covered the council since 2019."};
  EXPECT_EQ(DropAuthorBio({"Megan Berry"}, &paragraphs), 2u);
  EXPECT_EQ(paragraphs.size(), 2u);
  // Not at either end, another person, or a handle: kept.
  std::vector<std::string> middle = {"The vote was close.", "Megan Berry is a witness.",
                                     "It passed."};
  EXPECT_EQ(DropAuthorBio({"Megan Berry"}, &middle), 0u);
  std::vector<std::string> other = {"Text.", "Paul Roe is a councillor."};
  EXPECT_EQ(DropAuthorBio({"Megan Berry"}, &other), 0u);
  std::vector<std::string> handle = {"Text.", "duscha is a handle here."};
  EXPECT_EQ(DropAuthorBio({"duscha"}, &handle), 0u);
  EXPECT_TRUE(IsEndOfArticleLine("Was this page helpful?"));
  // A bio printed before the text goes too.
  std::vector<std::string> lead = {"John Goreham is an expert vehicle tester.",
                                   "The new model arrives in March.", "It costs less."};
  EXPECT_EQ(DropAuthorBio({"John Goreham"}, &lead), 1u);
  EXPECT_EQ(lead.front(), "The new model arrives in March.");
}

}  // namespace
}  // namespace crawlstream::extractor
