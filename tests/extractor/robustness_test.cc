// Hostile inputs finish with a clear result. Not timed (performance is the
// benchmark's job); they must simply complete without crashing.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "services/extractor/extractor.h"

namespace crawlstream::extractor {
namespace {

// Inputs up to 32 MiB and no time budget: these pages must finish on
// their own (the 8 MiB default cap and the budget are tested elsewhere).
ExtractorOptions RobustnessOptions() {
  ExtractorOptions o;
  o.max_input_bytes = 32u << 20;
  o.extract_timeout = std::chrono::milliseconds(0);
  return o;
}

Result<crawlstream::v1::Article> Extract(const std::string& body) {
  static const Extractor* ex = new Extractor(RobustnessOptions());
  PageInput in;
  in.body = body;
  in.url = "https://hostile.example/";
  return ex->Extract(in);
}

const char kPara[] =
    "工业和信息化部正式公布45个国家先进制造业集群的名单，相关集群2021年主导产业产值达19万亿元，"
    "成为推动制造业高质量发展的重要载体。";

TEST(RobustnessTest, TenMegabytePageOnOneLine) {
  std::string page = "<html><body><div class=content>";
  while (page.size() < 10u << 20) page += std::string("<span>") + kPara + "</span>";
  page += "</div></body></html>";
  ASSERT_EQ(page.find('\n'), std::string::npos);
  auto a = Extract(page);
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_GT(a->body().size(), 1u << 20);
}

TEST(RobustnessTest, TenMegabyteScriptOnOneLine) {
  std::string page = "<html><body><script>var a='";
  page += std::string(10u << 20, 'x');
  page += "';</script><p>" + std::string(kPara) + "</p></body></html>";
  auto a = Extract(page);
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(a->body().find("xxxx"), std::string::npos);
}

TEST(RobustnessTest, HundredThousandNestedElements) {
  std::string page = "<html><body>";
  for (int i = 0; i < 100000; ++i) page += "<div>";
  page += std::string("<p>") + kPara + "</p>";
  for (int i = 0; i < 100000; ++i) page += "</div>";
  page += "</body></html>";
  auto a = Extract(page);
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_NE(a->body().find("国家先进制造业集群"), std::string::npos);
}

TEST(RobustnessTest, HundredThousandNestedInlineElements) {
  std::string page;
  for (int i = 0; i < 100000; ++i) page += "<b><i>";
  page += kPara;
  auto a = Extract(page);
  // Either an article or a clear "not an article": just never a crash.
  if (!a) {
    EXPECT_EQ(a.error().code, ErrorCode::kNotAnArticle);
  }
}

TEST(RobustnessTest, BinaryGarbage) {
  std::mt19937 rng(42);
  std::string junk(1u << 20, '\0');
  for (char& c : junk) c = static_cast<char>(rng());
  auto a = Extract(junk);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code, ErrorCode::kNotAnArticle);
  EXPECT_EQ(a.error().message, "binary");
}

TEST(RobustnessTest, HighBytesWithoutControls) {
  std::mt19937 rng(7);
  std::string junk(1u << 20, '\0');
  for (char& c : junk) c = static_cast<char>(0x80 | (rng() & 0x7F));
  auto a = Extract(junk);
  if (!a) {
    EXPECT_EQ(a.error().code, ErrorCode::kNotAnArticle);
  } else {
    EXPECT_GT(a->replaced_sequences(), 0u);
  }
}

TEST(RobustnessTest, UnterminatedMarkup) {
  for (const char* page : {"<", "<!--", "<script>", "<p", "<div class=\"", "<![CDATA[",
                           "</", "<a href='x", "\xEF\xBB\xBF", "\xFF\xFE"}) {
    auto a = Extract(page);
    EXPECT_FALSE(a.has_value()) << page;
  }
}

}  // namespace
}  // namespace crawlstream::extractor
