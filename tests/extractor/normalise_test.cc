#include "services/extractor/normalise.h"

#include <gtest/gtest.h>

#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

// Splits `text` every `n` code points, as an old page's <br> wrapping does;
// the first line is shorter by `indent` (the paragraph indentation).
std::vector<std::string> Wrap(const std::u32string& text, size_t n, size_t indent) {
  std::vector<std::string> out;
  size_t at = 0, len = n - indent;
  while (at < text.size()) {
    std::string line;
    for (char32_t c : text.substr(at, len)) AppendUtf8(c, &line);
    out.push_back(line);
    at += len;
    len = n;
  }
  return out;
}

TEST(NormaliseTest, HardWrappedLinesBecomeParagraphsAgain) {
  const std::u32string sentences =
      U"文化革命是一场有着极为广泛的群众参与的政治运动。因此，如何理解这种广泛的群众参与，"
      U"就成为理解文革的一个重要内容。本文试图从政治心理学的角度，对文革中的群众参与给出解释。"
      U"在我看来，群众参加文化革命的基本动机是为了争取承认，为了争取声望。";
  const std::u32string p1 = sentences + sentences + sentences;
  const std::u32string p2 =
      U"这当然不是说，在文革中，群众的思想和行为都是一模一样的。这只是说，各种不同的思想行"
      U"为大致都可归之於一个相同的心理动机。由於人们的处境不同，性格不同，对革命的理解也不同。";
  std::vector<std::string> lines = Wrap(p1, 36, 3);
  lines.insert(lines.begin(), "一、引言");  // a heading stays on its own
  for (auto& l : Wrap(p2, 36, 3)) lines.push_back(l);
  lines.push_back("——《北京之春》1996年6月号");
  ASSERT_GE(lines.size(), 8u);
  const auto joined = JoinHardWrappedLines(lines);
  ASSERT_EQ(joined.size(), 4u);
  std::string want1, want2;
  for (char32_t c : p1) AppendUtf8(c, &want1);
  for (char32_t c : p2) AppendUtf8(c, &want2);
  EXPECT_EQ(joined[0], "一、引言");
  EXPECT_EQ(joined[1], want1);
  EXPECT_EQ(joined[2], want2);
  EXPECT_EQ(joined[3], "——《北京之春》1996年6月号");
}

TEST(NormaliseTest, OrdinaryParagraphsAreNotJoined) {
  const std::vector<std::string> paragraphs = {
      "工业和信息化部正式公布45个国家先进制造业集群的名单。",
      "相关集群2021年主导产业产值达19万亿元，成为推动制造业高质量发展的重要载体，也是建设现代化产业体系的有力支撑。",
      "专家表示，集群发展还需要在创新、协同和开放等方面持续发力。",
      "据介绍，工信部将加强对集群的动态管理。",
      "记者 张三",
      "This paragraph is written in English and has a different length from the others around it.",
  };
  EXPECT_EQ(JoinHardWrappedLines(paragraphs), paragraphs);
}

TEST(NormaliseTest, WrappedLatinLinesJoinWithASpace) {
  std::vector<std::string> lines;
  for (int i = 0; i < 6; ++i) lines.push_back("the quick brown fox jumps over the lazy dog " + std::to_string(i) + "x");
  lines.push_back("end.");
  const auto joined = JoinHardWrappedLines(lines);
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_NE(joined[0].find("0x the quick"), std::string::npos);
}

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
