#include "services/extractor/dom.h"

#include <gtest/gtest.h>

#include <string>

namespace crawlstream::extractor {
namespace {

std::string BodyText(std::string_view html) {
  Document doc = ParseDocument(html);
  return SubtreeText(doc, 0);
}

TEST(DomTest, DropsHiddenContent) {
  const char* cases[] = {
      "<p>keep</p><div hidden>gone</div>",
      "<p>keep</p><div aria-hidden=\"true\">gone</div>",
      "<p>keep</p><div style=\"display: none\">gone</div>",
      "<p>keep</p><div style=\"color:red;VISIBILITY:hidden\">gone</div>",
      "<p>keep</p><form><input value=gone><select><option>gone</option></select></form>",
      "<p>keep</p><template><p>gone</p></template>",
  };
  for (const char* c : cases) {
    std::string text = BodyText(c);
    EXPECT_NE(text.find("keep"), std::string::npos) << c;
    EXPECT_EQ(text.find("gone"), std::string::npos) << c;
  }
}

TEST(DomTest, DropsEscapedMarkupSpam) {
  Document doc = ParseDocument(
      "<div>&lt;li id=\"omoqo\"&gt;&lt;/li&gt;</div><p>real text</p>");
  std::string text = SubtreeText(doc, 0);
  EXPECT_EQ(text.find("omoqo"), std::string::npos);
  EXPECT_NE(text.find("real text"), std::string::npos);
  EXPECT_EQ(doc.removed_junk, 1u);
}

TEST(DomTest, CollectsHeadMetadata) {
  Document doc = ParseDocument(
      "<html lang=zh-CN><head><title>T_站</title>"
      "<meta property=\"og:site_name\" content=\"站\">"
      "<link rel=\"canonical\" href=\"/a\">"
      "<script type=\"application/ld+json\">{\"a\":1}</script></head>"
      "<body><h1>T</h1><time datetime=\"2024-01-02\">x</time></body></html>");
  EXPECT_EQ(doc.head.title, "T_站");
  EXPECT_EQ(doc.head.lang, "zh-CN");
  EXPECT_EQ(doc.head.canonical, "/a");
  EXPECT_EQ(doc.Meta("og:site_name"), "站");
  ASSERT_EQ(doc.head.json_ld.size(), 1u);
  ASSERT_EQ(doc.head.h1.size(), 1u);
  EXPECT_EQ(doc.head.times.front(), "2024-01-02");
}

TEST(DomTest, FlattensDeepNesting) {
  std::string html;
  for (int i = 0; i < 400; ++i) html += "<div>";
  html += "deep";
  Document doc = ParseDocument(html);
  int max_depth = 0;
  for (const auto& n : doc.nodes) max_depth = std::max(max_depth, n.depth);
  EXPECT_LE(max_depth, kMaxTreeDepth + 1);
  EXPECT_NE(SubtreeText(doc, 0).find("deep"), std::string::npos);
}

}  // namespace
}  // namespace crawlstream::extractor
