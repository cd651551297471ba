#include "services/extractor/prefilter.h"

#include <gtest/gtest.h>

#include <string>

namespace crawlstream::extractor {
namespace {

TEST(PrefilterTest, CutsScriptsStylesAndComments) {
  PrefilterStats st;
  std::string out = PrefilterHtml(
      "<p>a</p><script>if (a < b) { x = '</p>'; }</script><style>p{}</style>"
      "<!-- <p>c</p> --><noscript><p>n</p></noscript><p>b</p>",
      &st);
  EXPECT_EQ(out, "<p>a</p><p>b</p>");
  EXPECT_EQ(st.elements_removed, 4u);
}

// React's slots and boundary ends survive as empty templates (dom.h,
// "Streamed segments"); other templates and comments go.
TEST(PrefilterTest, KeepsReactSlotsAsEmptyTemplates) {
  const std::string out = PrefilterHtml(
      "<!--$?--><template id=\"B:0\"></template><div>Loading</div><!--/$-->"
      "<template id='P:1f'><p>junk</p></template><template><p>gone</p></template>"
      "<template id=\"Signup\">gone</template><!-- note -->");
  EXPECT_EQ(out,
            "<template id=\"B:0\"></template><div>Loading</div><template id=\"/$\"></template>"
            "<template id=\"P:1f\"></template>");
}

TEST(PrefilterTest, KeepsJsonLd) {
  std::string in =
      "<script type=\"application/ld+json\">{\"headline\":\"H\"}</script><p>x</p>";
  PrefilterStats st;
  EXPECT_EQ(PrefilterHtml(in, &st), in);
  EXPECT_EQ(st.json_ld_kept, 1u);
}

TEST(PrefilterTest, IsCaseInsensitiveAndHandlesQuotedGt) {
  EXPECT_EQ(PrefilterHtml("<SCRIPT src=\"a>b\">x</ScRiPt><p>y</p>"), "<p>y</p>");
  EXPECT_EQ(PrefilterHtml("<Style>a</STYLE >z"), "z");
}

TEST(PrefilterTest, UnterminatedConstructsCutToEnd) {
  EXPECT_EQ(PrefilterHtml("<p>a</p><script>never closed"), "<p>a</p>");
  EXPECT_EQ(PrefilterHtml("<p>a</p><!-- never closed"), "<p>a</p>");
}

TEST(PrefilterTest, UnclosedNonRawElementDropsOnlyItsTag) {
  EXPECT_EQ(PrefilterHtml("<p>a</p><svg width=1><p>b</p>"), "<p>a</p><p>b</p>");
  EXPECT_EQ(PrefilterHtml("<select name=x><p>b</p>"), "<p>b</p>");
  EXPECT_EQ(PrefilterHtml("<p>a</p><iframe src=x><p>b</p>"), "<p>a</p>");
}

TEST(PrefilterTest, KeepsTextThatLooksLikeTags) {
  EXPECT_EQ(PrefilterHtml("1 < 2 and <3"), "1 < 2 and <3");
  EXPECT_EQ(PrefilterHtml("<scripts>x</scripts>"), "<scripts>x</scripts>");
}

TEST(PrefilterTest, CapsNesting) {
  std::string deep;
  for (int i = 0; i < kMaxOpenDepth + 100; ++i) deep += "<div>";
  deep += "text";
  PrefilterStats st;
  std::string out = PrefilterHtml(deep, &st);
  EXPECT_EQ(st.depth_capped_tags, 100u);
  EXPECT_NE(out.find("text"), std::string::npos);
}

TEST(PrefilterTest, GbkBytesPassThrough) {
  std::string gbk = "<p>\xD6\xD0\xCE\xC4</p>";
  EXPECT_EQ(PrefilterHtml(gbk), gbk);
}

TEST(PrefilterTest, KeepsOnlyAttributesLaterStepsRead) {
  const std::pair<std::string, std::string> cases[] = {
      {"<div class=\"a b\" data-x='{\"k\":1}' onclick=go() id=main>t</div>",
       "<div class=\"a b\" id=\"main\">t</div>"},
      {"<a href='/x' srcset=\"a 1x, b 2x\" REL=author>n</a>",
       "<a href=\"/x\" REL=\"author\">n</a>"},
      {"<meta property=og:title content='Say \"hi\"'/>",
       "<meta property=\"og:title\" content=\"Say &quot;hi&quot;\"/>"},
      {"<p hidden aria-hidden=\"true\" style='display:none'>x</p>",
       "<p hidden aria-hidden=\"true\" style=\"display:none\">x</p>"},
      {"<img src=a.png alt=\"x > y\">", "<img>"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(PrefilterHtml(in), want) << in;
}

TEST(PrefilterTest, BoundsAttributesPerTag) {
  // A hostile tag with 100,000 attributes (gumbo is quadratic in them).
  std::string tag = "<div";
  for (int i = 0; i < 100000; ++i) tag += " a" + std::to_string(i) + "=b";
  for (int i = 0; i < 40; ++i) tag += " class=c" + std::to_string(i);
  tag += " id='" + std::string(100000, 'x') + "'>text</div>";
  PrefilterStats st;
  std::string out = PrefilterHtml(tag, &st);
  EXPECT_EQ(st.attributes_removed, 100000u + 41u - kMaxKeptAttributes);  // 40 class + id
  EXPECT_LT(out.size(), kMaxKeptAttributes * 16 + 64);
  EXPECT_NE(out.find(">text</div>"), std::string::npos);
}

TEST(PrefilterTest, CapsEachAttributeValueAndKeepsLongTagNames) {
  const std::string id(kMaxAttributeBytes + 500, 'x');
  std::string out = PrefilterHtml("<div id='" + id + "'>t</div>");
  EXPECT_EQ(out, "<div id=\"" + std::string(kMaxAttributeBytes, 'x') + "\">t</div>");
  EXPECT_EQ(PrefilterHtml("<site-navigation-menu class=x data-y=1>m</site-navigation-menu>"),
            "<site-navigation-menu class=\"x\">m</site-navigation-menu>");
}

}  // namespace
}  // namespace crawlstream::extractor
