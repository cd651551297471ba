#include "services/extractor/content.h"

#include <gtest/gtest.h>

#include <string>

namespace crawlstream::extractor {
namespace {

std::string Selected(std::string_view html) {
  Document doc = ParseDocument(html);
  auto blocks = LinearizeBlocks(doc);
  auto sel = SelectContent(doc, blocks, "");
  std::string out;
  for (size_t i : sel.kept) out += blocks[i].text + "\n";
  return out;
}

const char kPara[] =
    "工业和信息化部正式公布45个国家先进制造业集群的名单，相关集群2021年主导产业产值达19万亿元，"
    "成为推动制造业高质量发展的重要载体。";

TEST(ContentTest, LinearizesBlocksWithLinkCounts) {
  Document doc = ParseDocument("<div><p>一二三<a href=#>四五</a></p>六<br>七</div>");
  auto blocks = LinearizeBlocks(doc);
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[0].text, "一二三四五");
  EXPECT_EQ(blocks[0].tokens, 5u);
  EXPECT_EQ(blocks[0].link_tokens, 2u);
  EXPECT_EQ(blocks[1].text, "六");
  EXPECT_EQ(blocks[2].text, "七");
}

TEST(ContentTest, PicksDenseTextOverNavigation) {
  std::string html = "<div class=nav>";
  for (int i = 0; i < 30; ++i) html += "<a href=#>栏目链接" + std::to_string(i) + "</a> ";
  html += "</div><div class=main>";
  for (int i = 0; i < 4; ++i) html += std::string("<p>") + kPara + "</p>";
  html += "</div>";
  std::string got = Selected(html);
  EXPECT_NE(got.find("国家先进制造业集群"), std::string::npos);
  EXPECT_EQ(got.find("栏目链接"), std::string::npos);
}

TEST(ContentTest, DropsBoilerplateInsideTheArticle) {
  std::string html = "<div class=article><h1>标题</h1><p>来源：光明网 2024-07-05 13:53</p>";
  for (int i = 0; i < 3; ++i) html += std::string("<p>") + kPara + "</p>";
  html +=
      "<div class=share-box>分享到：微信 微博</div><p>[ 责编：杨亚楠 ]</p>"
      "<p>相关阅读</p><p>" + std::string(kPara) + "</p></div>";
  std::string got = Selected(html);
  EXPECT_EQ(got.find("来源"), std::string::npos);
  EXPECT_EQ(got.find("分享到"), std::string::npos);
  EXPECT_EQ(got.find("责编"), std::string::npos);
  EXPECT_EQ(got.find("相关阅读"), std::string::npos);
  // Only the three paragraphs before the end marker.
  size_t count = 0, pos = 0;
  while ((pos = got.find("国家先进制造业集群", pos)) != std::string::npos) {
    ++count;
    ++pos;
  }
  EXPECT_EQ(count, 3u);
}

TEST(ContentTest, ReadsBrSeparatedTableLayouts) {
  std::string html = "<table><tr><td><a href=#>首页</a> | <a href=#>新闻</a></td></tr><tr><td>";
  for (int i = 0; i < 4; ++i) html += std::string(kPara) + "<br><br>";
  html += "</td></tr></table>";
  std::string got = Selected(html);
  EXPECT_NE(got.find("国家先进制造业集群"), std::string::npos);
  EXPECT_EQ(got.find("首页"), std::string::npos);
}

TEST(ContentTest, RecognisesBoilerplateLines) {
  for (const char* line :
       {"点击右上角微信好友", "请使用浏览器分享功能进行分享", "首页> 经济频道> 正文",
        "版权所有：中国产业经济信息网京ICP备11041399号-2", "电话：010-88393520",
        "傳真：010-88393529", "快照生成时间：2024-02-14 08:45:06", "开心 0",
        "Copyright © 2019-2020", "微信公众号"})
    EXPECT_TRUE(IsBoilerplateLine(line)) << line;
  EXPECT_FALSE(IsBoilerplateLine(kPara));
  for (const char* line : {"相关阅读", "延伸閱讀", "推荐阅读", "[ 责编：杨亚楠 ]", "相關文章"})
    EXPECT_TRUE(IsEndOfArticleLine(line)) << line;
  EXPECT_FALSE(IsEndOfArticleLine(kPara));
}

// --- Selection rules added for pages nobody tuned for (wcxb-dev). ---

std::string EnglishPara(int i) {
  return "<p>Paragraph " + std::to_string(i) +
         " explains the story in plain words, with commas, full stops and enough length to "
         "read as prose. It goes on for a second sentence.</p>";
}

TEST(ContentTest, BoilerplateNamedWrapperHoldingTheTextIsNotBoilerplate) {
  // Body classes such as "has-sidebar" or a theme wrapper named "header-footer"
  // hold the whole page.
  std::string html = "<div class='site has-sidebar'><div class='inner'>";
  for (int i = 0; i < 4; ++i) html += EnglishPara(i);
  html += "</div></div><div class='sidebar'><a href=/a>Link one here</a></div>";
  std::string got = Selected(html);
  EXPECT_NE(got.find("Paragraph 0"), std::string::npos);
  EXPECT_NE(got.find("Paragraph 3"), std::string::npos);
}

TEST(ContentTest, ContentTokenOverridesANegativeOne) {
  std::string html = "<div class='elementor-widget elementor-widget-theme-post-content'>";
  for (int i = 0; i < 3; ++i) html += EnglishPara(i);
  html += "</div><div class='elementor-widget'><p>Short widget text</p></div>";
  for (int i = 3; i < 9; ++i) html += "<div class='widget'><a href=/x>Other link</a></div>";
  EXPECT_NE(Selected(html).find("Paragraph 2"), std::string::npos);
}

TEST(ContentTest, WeakWordDropsOnlyContainersWithoutProse) {
  // "c-product-widget" holds review prose inside the article; the share
  // widget holds none; a strong word (comments) drops even prose.
  std::string html = "<article>" + EnglishPara(0) +
                     "<div class='c-product-widget'>" + EnglishPara(1) + "</div>" +
                     "<div class='share-widget'><span>Tweet</span> <span>Share</span></div>" +
                     EnglishPara(2) + "<div class='comments'>" + EnglishPara(99) + "</div>" +
                     "</article>";
  std::string got = Selected(html);
  EXPECT_NE(got.find("Paragraph 1"), std::string::npos);
  EXPECT_EQ(got.find("Tweet"), std::string::npos);
  EXPECT_EQ(got.find("Paragraph 99"), std::string::npos);
}

TEST(ContentTest, WidensOverSiblingSectionsPastAReadMoreLink) {
  // A guide cut into jump-linked sections, each several levels deep, with a
  // "Read more" link between them.
  std::string html = "<main><div class='guide'>";
  for (int s = 0; s < 4; ++s) {
    html += "<section><div><div><h2>Section " + std::to_string(s) + "</h2>";
    for (int i = 0; i < (s == 0 ? 4 : 2); ++i) html += EnglishPara(s * 10 + i);
    html += "</div><p><a href='/more'>Read more</a></p></div></section>";
  }
  html += "</div></main><footer><a href=/a>About</a> <a href=/b>Contact</a></footer>";
  std::string got = Selected(html);
  for (int s = 0; s < 4; ++s)
    EXPECT_NE(got.find("Paragraph " + std::to_string(s * 10)), std::string::npos) << s;
  EXPECT_EQ(got.find("Read more"), std::string::npos);
  EXPECT_EQ(got.find("Contact"), std::string::npos);
}

TEST(ContentTest, SidebarNamedColumnHoldingTheArticleIsNotASidebar) {
  std::string html = "<nav>";
  for (int i = 0; i < 30; ++i) html += "<a href=/n>Menu entry number</a> ";
  html += "</nav><section class='col-sm-9 sidebar-first-only'><article>";
  for (int i = 0; i < 2; ++i) html += EnglishPara(i);
  html += "</article></section>";
  EXPECT_NE(Selected(html).find("Paragraph 1"), std::string::npos);
}

TEST(ContentTest, CommentsOutweighingTheArticleAreStillDropped) {
  std::string html = "<div class='site'><article class='post'>";
  for (int i = 0; i < 3; ++i) html += EnglishPara(i);
  html += "</article><div id='comments' class='comments-area'><h3>109 Comments</h3>";
  for (int i = 100; i < 112; ++i) html += EnglishPara(i);
  html += "</div></div>";
  std::string got = Selected(html);
  EXPECT_NE(got.find("Paragraph 2"), std::string::npos);
  EXPECT_EQ(got.find("Paragraph 100"), std::string::npos);
  EXPECT_TRUE(IsEndOfArticleLine("109 Comments"));
  EXPECT_TRUE(IsEndOfArticleLine("12 thoughts on \u201cOrganic spray\u201d"));
  EXPECT_TRUE(IsEndOfArticleLine("Reader Interactions"));
  EXPECT_FALSE(IsEndOfArticleLine("12 ways to cut costs"));
}

TEST(ContentTest, TableCellsAndListItemsInsideTheTextStay) {
  std::string html = "<article>" + EnglishPara(0) +
                     "<table><tr><th>School</th><th>Rank</th></tr>"
                     "<tr><td>UT Dallas</td><td>12</td></tr>"
                     "<tr><td>Rice University</td><td>27</td></tr></table>"
                     "<ul><li>Fast cycle times</li><li>Quiet</li></ul>" +
                     EnglishPara(1) + "</article>";
  std::string got = Selected(html);
  EXPECT_NE(got.find("UT Dallas"), std::string::npos);
  EXPECT_NE(got.find("Fast cycle times"), std::string::npos);
  EXPECT_NE(got.find("Paragraph 1"), std::string::npos);
}

TEST(ContentTest, WidensThroughDeepCssInJsNesting) {
  // The article's sections sit 12 levels below their common ancestor.
  auto nest = [](const std::string& inner) {
    std::string open, close;
    for (int i = 0; i < 11; ++i) {
      open += "<div class='css-" + std::to_string(i) + "'>";
      close += "</div>";
    }
    return open + inner + close;
  };
  std::string html = "<div class='col'>";
  for (int s = 0; s < 3; ++s) html += nest("<h2>Part</h2>" + EnglishPara(s * 10) + EnglishPara(s * 10 + 1));
  html += nest("<ul><li>Citation one, a journal, 2020; pages 1-10, with notes and more.</li>"
               "<li>Citation two, another journal, 2021; pages 11-20 and further notes.</li></ul>");
  html += "</div>";
  std::string got = Selected(html);
  EXPECT_NE(got.find("Paragraph 0"), std::string::npos);
  EXPECT_NE(got.find("Paragraph 20"), std::string::npos);
}

TEST(ContentTest, StampsCreditsAndAffiliateDisclosuresAreFurniture) {
  for (std::string_view line :
       {"Image: Milad Fakurian / Unsplash / Foundry", "OsakaWayne Studios//Getty Images",
        "Reviewed by Toni Golen, MD, Editor in Chief", "Published on March 02, 2025",
        "We may earn commission from links on this page, but we only recommend products we "
        "love.",
        "PCMag editors select and review products independently. If you buy through affiliate "
        "links, we may earn commissions."})
    EXPECT_TRUE(IsFurnitureLine(line)) << line;
  // Prose that merely mentions a photo or a review stays.
  EXPECT_FALSE(IsFurnitureLine(
      "The photo by the river was reviewed by the council, which said it showed the flooding "
      "clearly and would use it in the report."));
}

TEST(ContentTest, DateStampUnderTheDeckIsDropped) {
  std::string html = "<article>" + EnglishPara(0) + "<p>Feb 4, 2025</p>" + EnglishPara(1) +
                     EnglishPara(2) + "</article>";
  std::string got = Selected(html);
  EXPECT_EQ(got.find("Feb 4, 2025"), std::string::npos);
  EXPECT_NE(got.find("Paragraph 2"), std::string::npos);
}

const char kEnPara[] =
    "The council voted on Tuesday to expand the bus network, adding four routes that will "
    "connect the eastern suburbs with the hospital district, and officials said the first "
    "buses would run in the spring after drivers are hired and trained for the new lines.";

// Related or recent posts after the text: each a short summary and a date
// line. The run goes; the article stays.
TEST(ContentTest, DropsTrailingTeaserRun) {
  std::string html = "<article>";
  for (int i = 0; i < 5; ++i) html += std::string("<p>") + kEnPara + "</p>";
  for (int i = 0; i < 3; ++i)
    html += "<div class=card><p>Teaser number " + std::to_string(i) +
            " sums up another story in one short sentence.</p><p>Dec 1" +
            std::to_string(i) + ", 2025</p></div>";
  html += "</article>";
  const std::string got = Selected(html);
  EXPECT_NE(got.find("bus network"), std::string::npos);
  EXPECT_EQ(got.find("Teaser number"), std::string::npos) << got;
  EXPECT_EQ(got.find("2025"), std::string::npos) << got;
}

// Dated entries whose text is long (a timeline, a live blog) are the text.
TEST(ContentTest, KeepsDatedEntriesWithLongText) {
  std::string html = "<article>";
  for (int i = 0; i < 6; ++i) html += std::string("<p>") + kEnPara + "</p>";
  for (int i = 0; i < 3; ++i)
    html += "<p>March 2" + std::to_string(i) + ", 2025</p><p>" + kEnPara + " " + kEnPara +
            " Entry " + std::to_string(i) + ".</p>";
  html += "</article>";
  const std::string got = Selected(html);
  EXPECT_NE(got.find("Entry 2."), std::string::npos) << got;
  EXPECT_NE(got.find("March 22, 2025"), std::string::npos) << got;
}

// A "Related" promotion box in the middle of the text is dropped, and the
// text after it stays; an author bio heading still ends the article.
TEST(ContentTest, InlinePromoBoxDoesNotEndTheArticle) {
  std::string html = "<article>";
  for (int i = 0; i < 3; ++i) html += std::string("<p>") + kEnPara + "</p>";
  html += "<div class=box><p>Related</p><p>Ten ways to save on your bus pass this winter.</p></div>";
  for (int i = 0; i < 3; ++i) html += "<p>Later paragraph " + std::to_string(i) + ". " + kEnPara + "</p>";
  html += "</article>";
  const std::string got = Selected(html);
  EXPECT_NE(got.find("Later paragraph 2."), std::string::npos) << got;
  EXPECT_EQ(got.find("Ten ways"), std::string::npos) << got;

  std::string bio = "<article>";
  for (int i = 0; i < 3; ++i) bio += std::string("<p>") + kEnPara + "</p>";
  bio += "<div class=box><p>About the author</p><p>Jane writes about transport.</p></div>";
  for (int i = 0; i < 3; ++i) bio += "<p>Later paragraph " + std::to_string(i) + ". " + kEnPara + "</p>";
  bio += "</article>";
  EXPECT_EQ(Selected(bio).find("Later paragraph"), std::string::npos);
}

// A list whose class says it is a list ("wp-block-list", WordPress's
// class for every list in a post) is judged by its content like any list;
// "related-list" is still boilerplate.
TEST(ContentTest, ListNamedListIsContent) {
  std::string html = "<article>";
  for (int i = 0; i < 3; ++i) html += std::string("<p>") + kEnPara + "</p>";
  html += "<ul class=wp-block-list><li>Return the rentals</li><li>Collect the certificate</li>"
          "<li>Send the thank-you notes</li></ul>";
  html += "<ul class=related-list><li>Ten ways to save on your bus pass</li></ul>";
  html += std::string("<p>") + kEnPara + "</p></article>";
  const std::string got = Selected(html);
  EXPECT_NE(got.find("Collect the certificate"), std::string::npos) << got;
  EXPECT_EQ(got.find("Ten ways"), std::string::npos) << got;
}

}  // namespace
}  // namespace crawlstream::extractor
