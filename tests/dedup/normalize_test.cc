#include "services/dedup/normalize.h"

#include <gtest/gtest.h>

#include "crawlstream/v1/article.pb.h"

namespace crawlstream::dedup {
namespace {

// Converts a few known Traditional strings; counts calls.
class FakeConverter : public ScriptConverter {
 public:
  std::string ToSimplified(std::string_view utf8) const override {
    ++calls;
    std::string s(utf8);
    for (auto [from, to] : {std::pair<std::string, std::string>{"國", "国"},
                            {"發", "发"}, {"經", "经"}, {"這", "这"},
                            {"產", "产"}, {"業", "业"}}) {
      for (size_t p; (p = s.find(from)) != std::string::npos;) {
        s.replace(p, from.size(), to);
      }
    }
    return s;
  }
  mutable int calls = 0;
};

TEST(NormalizeTest, FoldsWidthAndCaseAndDropsPunctuationAndSpace) {
  EXPECT_EQ(ToUtf8(FoldText("ＡＢＣ１２３ Hello, World！　中文。")),
            "abc123helloworld中文");
}

TEST(NormalizeTest, DropsConverterPinyinAnnotations) {
  EXPECT_EQ(ToUtf8(FoldText("創(chuàng)新引領(lǐng)")), "創新引領");
  // Ordinary parentheses stay (their content is kept, the marks go).
  EXPECT_EQ(ToUtf8(FoldText("新区(雄安)建设")), "新区雄安建设");
}

TEST(NormalizeTest, RecognisesBoilerplateParagraphs) {
  struct Case {
    const char* paragraph;
    bool boilerplate;
  };
  const Case cases[] = {
      {"来源:光明网2024-07-05 13:53", true},
      {"[ 责编:杨亚楠 ]", true},
      {"本文转自:经济日报", true},
      {"转自:央视网", true},
      {"【版权及免责声明】凡本网所属版权作品,转载时须获得授权并注明来源“中国产业经济信息网”,违者本网将保留追究其相关法律责任的权力。", true},
      {"Copyright © 2019-2020 版权所有:中国通用机械工业协会", true},
      {"电话:010-88393520", true},
      {"Reporting by Jane Doe; Editing by Mark Potter", true},
      {"金观平", true},  // a name alone
      {"光明网讯(记者 金昱希)产业科技创新对制造业来说发展意义重大。7月5日,在国务院新闻办公室举行的新闻发布会上。", false},
      {"记者从中国汽车工业协会获悉,今年1月至10月,我国新能源汽车产销分别完成1002万辆。", false},
      {"By contrast, the central bank said inflation remained elevated in most regions.", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsBoilerplateParagraph(FoldText(c.paragraph)), c.boilerplate)
        << c.paragraph;
  }
}

TEST(NormalizeTest, DropsBoilerplateAndEmailLinesFromBody) {
  const NormalizedText n = NormalizeBody(
      "工业和信息化部正式公布国家先进制造业集群名单,相关集群主导产业产值达19万亿元。\n\n"
      "来源:科技日报\n\n电子邮件:chenxi@cgmia.org.cn\n\nnews@example.com",
      nullptr);
  EXPECT_EQ(ToUtf8(n.text),
            "工业和信息化部正式公布国家先进制造业集群名单相关集群主导产业产值达19万亿元");
  EXPECT_EQ(n.dropped_paragraphs, 3);
}

TEST(NormalizeTest, KeepsBodyWhenEveryParagraphLooksLikeBoilerplate) {
  const NormalizedText n = NormalizeBody("来源:新华社", nullptr);
  EXPECT_EQ(ToUtf8(n.text), "来源新华社");
}

TEST(NormalizeTest, LooksTraditionalOnlyForTraditionalText) {
  EXPECT_TRUE(LooksTraditional("這個國家的經濟發展與產業"));
  EXPECT_FALSE(LooksTraditional("这个国家的经济发展与产业"));
  EXPECT_FALSE(LooksTraditional("plain English text"));
}

TEST(NormalizeTest, ConvertsTraditionalBodyWithTheConverter) {
  FakeConverter converter;
  crawlstream::v1::Article a;
  a.set_body("這國的經濟發展產業");
  EXPECT_EQ(ToUtf8(NormalizeForDedup(a, &converter).text), "这国的经濟发展产业");
  EXPECT_EQ(ToUtf8(NormalizeForDedup(a, nullptr).text), "這國的經濟發展產業");
}

TEST(NormalizeTest, ConvertsBodyMarkedHantEvenWhenItDoesNotLookIt) {
  FakeConverter converter;
  crawlstream::v1::Article a;
  a.set_body("國");  // too short to look Traditional
  a.set_script("Hant");
  EXPECT_EQ(ToUtf8(NormalizeForDedup(a, &converter).text), "国");
}

TEST(NormalizeTest, PrefersBodySimplifiedWithoutCallingTheConverter) {
  FakeConverter converter;
  crawlstream::v1::Article a;
  a.set_body("這個國家的經濟發展");
  a.set_body_simplified("这个国家的经济发展");
  EXPECT_EQ(ToUtf8(NormalizeForDedup(a, &converter).text), "这个国家的经济发展");
  EXPECT_EQ(converter.calls, 0);
}

TEST(NormalizeTest, SimplifiedTextIsNotSentToTheConverter) {
  FakeConverter converter;
  NormalizeBody("这个国家的经济发展与产业升级", &converter);
  EXPECT_EQ(converter.calls, 0);
}

TEST(NormalizeTest, OpenccConverterTurnsTraditionalIntoSimplified) {
  auto converter = MakeOpenccConverter("t2s.json");
  ASSERT_TRUE(converter.has_value()) << converter.error().ToString();
  EXPECT_EQ((*converter)->ToSimplified("創新引領 塑造發展新優勢"),
            "创新引领 塑造发展新优势");
}

TEST(NormalizeTest, OpenccConverterReportsAMissingConfig) {
  auto converter = MakeOpenccConverter("no-such-config.json");
  ASSERT_FALSE(converter.has_value());
  EXPECT_EQ(converter.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace crawlstream::dedup
