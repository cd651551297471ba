#include "services/extractor/html_tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace crawlstream::extractor {
namespace {

// Tokens as compact strings: "<div class=a>", "</div>", "'text'".
std::vector<std::string> Tokens(std::string_view html) {
  HtmlTokenizer tokenizer(html);
  HtmlToken t;
  std::vector<std::string> out;
  for (tokenizer.Next(&t); t.type != HtmlToken::Type::kEnd; tokenizer.Next(&t)) {
    switch (t.type) {
      case HtmlToken::Type::kStartTag: {
        std::string s = "<" + t.name;
        for (size_t i = 0; i < t.attribute_count; ++i)
          s += " " + t.attributes[i].name + "=" + t.attributes[i].value;
        out.push_back(s + (t.self_closing ? "/>" : ">"));
        break;
      }
      case HtmlToken::Type::kEndTag: out.push_back("</" + t.name + ">"); break;
      case HtmlToken::Type::kText: out.push_back("'" + t.text + "'"); break;
      case HtmlToken::Type::kEnd: break;
    }
  }
  return out;
}

using V = std::vector<std::string>;

TEST(HtmlTokenizerTest, TagsAttributesAndText) {
  EXPECT_EQ(Tokens("<DIV Class=\"a b\" id='x' hidden data-x=1>hi</Div>"),
            (V{"<div class=a b id=x hidden= data-x=1>", "'hi'", "</div>"}));
  EXPECT_EQ(Tokens("<br/><img src=a.png />"), (V{"<br/>", "<img src=a.png/>"}));
  // A duplicate attribute keeps its first value; '>' inside quotes is data.
  EXPECT_EQ(Tokens("<a href=\"x>y\" href=z>t</a>"), (V{"<a href=x>y>", "'t'", "</a>"}));
}

TEST(HtmlTokenizerTest, CharacterReferences) {
  EXPECT_EQ(Tokens("a&amp;b &lt;c&gt; &nbsp;&eacute;&#233;&#xE9;&#x1F600;"),
            (V{"'a&b <c> \u00a0\u00e9\u00e9\u00e9\U0001F600'"}));
  // Legacy references work without ';' in text; unknown ones stay literal.
  EXPECT_EQ(Tokens("&copy 2024 &notit; &bogus; & x"), (V{"'\u00a9 2024 \u00acit; &bogus; & x'"}));
  // Windows-1252 remap of 0x80-0x9F, and invalid code points.
  EXPECT_EQ(Tokens("&#146;&#x80;&#0;&#xD800;&#99999999;"),
            (V{"'\u2019\u20ac\ufffd\ufffd\ufffd'"}));
  // In attributes a legacy reference before '=' or a letter is left alone.
  EXPECT_EQ(Tokens("<a href=\"?a=1&copy=2&amp;b=3&copyx\">"), (V{"<a href=?a=1&copy=2&b=3&copyx>"}));
}

TEST(HtmlTokenizerTest, CommentsDoctypeAndStrayAngles) {
  EXPECT_EQ(Tokens("<!DOCTYPE html><!-- c -->a < b<![CDATA[x]]><?pi?>c</ x>d</>e"),
            (V{"'a < b'", "'c'", "'d'", "'e'"}));
  EXPECT_EQ(Tokens("x <3 y"), (V{"'x <3 y'"}));
  // A tag cut off by the end of input is dropped.
  EXPECT_EQ(Tokens("text<div class=\"unterminated"), (V{"'text'"}));
}

TEST(HtmlTokenizerTest, RawTextElements) {
  EXPECT_EQ(Tokens("<script>if (a<b) x='</div>';</script>t"),
            (V{"<script>", "'if (a<b) x='</div>';'", "</script>", "'t'"}));
  EXPECT_EQ(Tokens("<title>A &amp; <b>B</b></title>"),
            (V{"<title>", "'A & <b>B</b>'", "</title>"}));
  EXPECT_EQ(Tokens("<style>p{}</STYLE >x"), (V{"<style>", "'p{}'", "</style>", "'x'"}));
  // Unclosed: the rest of the input is its text.
  EXPECT_EQ(Tokens("<textarea>a<p>b"), (V{"<textarea>", "'a<p>b'"}));
  EXPECT_EQ(Tokens("<plaintext><p>x</p>"), (V{"<plaintext>", "'<p>x</p>'"}));
}

TEST(HtmlTokenizerTest, NewlinesAndNul) {
  EXPECT_EQ(Tokens(std::string_view("a\r\nb\rc\0d", 9)), (V{"'a\nb\ncd'"}));
}

}  // namespace
}  // namespace crawlstream::extractor
