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

}  // namespace
}  // namespace crawlstream::extractor
