#include "services/extractor/normalise.h"

#include <gtest/gtest.h>

namespace crawlstream::extractor {
namespace {

TEST(NormaliseTest, CollapsesWhiteSpaceAndRemovesInvisibles) {
  EXPECT_EQ(NormaliseParagraph("  a \t\n b  "), "a b");
  EXPECT_EQ(NormaliseParagraph("\u3000\u3000光明网讯"), "光明网讯");
  EXPECT_EQ(NormaliseParagraph("a\u200Bb\u200Dc\uFEFFd\x01"), "abcd");
  EXPECT_EQ(NormaliseParagraph("a\u00A0\u00A0b"), "a b");
}

TEST(NormaliseTest, SourceLineBreakBetweenHanIsLayout) {
  EXPECT_EQ(NormaliseParagraph("中国\n  制造"), "中国制造");
  // An explicit space separates names and stays.
  EXPECT_EQ(NormaliseParagraph("记者 王建宏 张文攀"), "记者 王建宏 张文攀");
  EXPECT_EQ(NormaliseParagraph("Hello\nworld"), "Hello world");
}

TEST(NormaliseTest, AppliesNfc) {
  EXPECT_EQ(NormaliseParagraph("e\u0301"), "\u00E9");
}

TEST(NormaliseTest, KeepsFullWidthPunctuation) {
  EXPECT_EQ(NormaliseParagraph("你好，世界！"), "你好，世界！");
}

TEST(NormaliseTest, RemovesConverterPinyin) {
  const std::pair<const char*, const char*> cases[] = {
      {"創(chuàng)新引領(lǐng)", "創新引領"},
      {"中國產(chǎn)業(yè)經(jīng)濟信息網(wǎng)", "中國產業經濟信息網"},
      {"轉(zhuǎn)自:央視網(wǎng)", "轉自:央視網"},
      {"綠（lǜ）色", "綠色"},
      // Genuine parenthesised text stays.
      {"西部(重慶)科學城", "西部(重慶)科學城"},
      {"標準(ISO)發布", "標準(ISO)發布"},
      {"數據(2023)顯示", "數據(2023)顯示"},
      {"光明网讯(记者 金昱希)产业", "光明网讯(记者 金昱希)产业"},
      {"word(chuàng)", "word(chuàng)"},
      {"拼音(yínháng)注释", "拼音(yínháng)注释"},
      {"(chuàng)", "(chuàng)"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(RemoveConverterPinyin(in), want) << in;
}

TEST(NormaliseTest, JoinsParagraphsWithBlankLine) {
  EXPECT_EQ(JoinParagraphs({"a", "", "b"}), "a\n\nb");
}

TEST(NormaliseTest, ConvertsTraditionalToSimplified) {
  ScriptConverter t2s("t2s.json");
  ASSERT_TRUE(t2s.ok());
  EXPECT_EQ(t2s.Convert("創新引領 塑造發展新優勢"), "创新引领 塑造发展新优势");
  ScriptConverter missing("no-such-config.json");
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.Convert("發展"), "發展");
}

}  // namespace
}  // namespace crawlstream::extractor
