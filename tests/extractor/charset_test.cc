#include "services/extractor/charset.h"

#include <gtest/gtest.h>

#include <string>

namespace crawlstream::extractor {
namespace {

struct DetectCase {
  const char* name;
  std::string bytes;
  std::string content_type;
  std::string charset;
  std::string source;
};

// "中文" in several encodings.
const std::string kZhUtf8 = "\xE4\xB8\xAD\xE6\x96\x87";
const std::string kZhGbk = "\xD6\xD0\xCE\xC4";
const std::string kZhBig5 = "\xA4\xA4\xA4\xE5";

TEST(CharsetTest, OrderOfEvidence) {
  const DetectCase cases[] = {
      {"bom wins over http", "\xEF\xBB\xBF<p>" + kZhUtf8, "text/html; charset=gbk",
       "UTF-8", "bom"},
      {"utf16le bom", std::string("\xFF\xFE<\0p\0", 6), "", "UTF-16LE", "bom"},
      {"http wins over meta", "<meta charset=utf-8><p>" + kZhGbk,
       "text/html; charset=GBK", "GB18030", "http"},
      {"meta charset", "<meta charset=\"gb2312\"><p>" + kZhGbk, "text/html",
       "GB18030", "meta"},
      {"meta http-equiv", "<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=big5\"><p>" + kZhBig5,
       "", "Big5-HKSCS", "meta"},
      {"quoted http charset", "<p>x", "text/html; charset=\"utf-8\"", "UTF-8", "http"},
      {"ascii defaults", "<p>hello</p>", "", "UTF-8", "default"},
      {"valid utf8 detected", "<p>" + kZhUtf8 + kZhUtf8 + "</p>", "", "UTF-8", "detected"},
      {"declared utf8 but gbk", "<meta charset=utf-8><p>" + std::string(40, ' ') +
           [] { std::string s; for (int i = 0; i < 40; ++i) s += "\xD6\xD0\xB9\xFA\xC8\xCB"; return s; }(),
       "", "GB18030", "detected"},
  };
  for (const auto& c : cases) {
    CharsetChoice got = DetectCharset(c.bytes, c.content_type);
    EXPECT_EQ(got.charset, c.charset) << c.name;
    EXPECT_EQ(got.source, c.source) << c.name;
  }
}

TEST(CharsetTest, CanonicalNames) {
  const std::pair<const char*, const char*> cases[] = {
      {"gb2312", "GB18030"}, {"GBK", "GB18030"}, {"x-gbk", "GB18030"},
      {"cp936", "GB18030"},  {"gb18030", "GB18030"}, {"Big5", "Big5-HKSCS"},
      {"big5-hkscs", "Big5-HKSCS"}, {"UTF8", "UTF-8"}, {"iso-8859-1", "windows-1252"},
      {"no-such-charset", ""},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(CanonicalCharset(in), want) << in;
  EXPECT_EQ(CanonicalCharset("shift_jis"), "shift_jis");
}

TEST(CharsetTest, DecodesGbkAndBig5) {
  auto gbk = DecodeAs(kZhGbk, {"GB18030", "meta"});
  EXPECT_EQ(gbk.utf8, kZhUtf8);
  EXPECT_EQ(gbk.replaced, 0u);
  auto big5 = DecodeAs(kZhBig5, {"Big5-HKSCS", "meta"});
  EXPECT_EQ(big5.utf8, kZhUtf8);
}

TEST(CharsetTest, InvalidSequencesAreReplacedAndCounted) {
  auto utf8 = DecodeAs("a\xFF" "b\xE4\xB8" "c", {"UTF-8", "default"});
  EXPECT_EQ(utf8.utf8, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c");
  EXPECT_EQ(utf8.replaced, 2u);
  auto gbk = DecodeAs("\xD6\xD0\xFF", {"GB18030", "meta"});
  EXPECT_GE(gbk.replaced, 1u);
  EXPECT_EQ(gbk.utf8.substr(0, 3), "\xE4\xB8\xAD");
}

TEST(CharsetTest, StripsBomAndDecodesUtf16) {
  EXPECT_EQ(DecodeToUtf8("\xEF\xBB\xBFhi", "").utf8, "hi");
  std::string le("\xFF\xFE" "h\0i\0", 6);
  auto d = DecodeToUtf8(le, "");
  EXPECT_EQ(d.utf8, "hi");
  EXPECT_EQ(d.choice.source, "bom");
}

TEST(CharsetTest, DetectsUndeclaredGbk) {
  std::string page = "<html><body><p>";
  for (int i = 0; i < 30; ++i)
    page += "\xD6\xD0\xB9\xFA\xB9\xA4\xD2\xB5\xBA\xCD\xD0\xC5\xCF\xA2\xBB\xAF\xB2\xBF\xA3\xAC";
  page += "</p></body></html>";
  auto choice = DetectCharset(page, "");
  EXPECT_EQ(choice.source, "detected");
  EXPECT_EQ(choice.charset, "GB18030");
}

}  // namespace
}  // namespace crawlstream::extractor
