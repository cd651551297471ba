#include "services/extractor/dom.h"

#include <gtest/gtest.h>

#include <algorithm>
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

// Collapsed accordion panels (role=region/tabpanel labelled by a header)
// are content a reader opens; aria-hidden still hides.
TEST(DomTest, KeepsCollapsedAccordionPanels) {
  const std::string text = BodyText(
      "<h3 id=h1>Step one</h3>"
      "<div role=region aria-labelledby=h1 style=\"display:none\">open me</div>"
      "<div role=tabpanel aria-labelledby=t2 hidden>second tab</div>"
      "<div role=region aria-labelledby=h3 aria-hidden=true>transcript</div>"
      "<div style=\"display:none\">menu</div>");
  EXPECT_NE(text.find("open me"), std::string::npos) << text;
  EXPECT_NE(text.find("second tab"), std::string::npos) << text;
  EXPECT_EQ(text.find("transcript"), std::string::npos) << text;
  EXPECT_EQ(text.find("menu"), std::string::npos) << text;
}

// React's streamed segments (<div hidden id="S:1">) are revealed by a
// script: their text is content. Other hidden ids stay hidden.
TEST(DomTest, KeepsStreamedSegments) {
  const std::string text = BodyText(
      "<template id=\"B:0\"></template><div hidden id=\"S:0\"><p>streamed text</p></div>"
      "<div hidden id=\"S:1f\">more</div><div hidden id=\"Signup\">gone</div>"
      "<div hidden id=\"S:zz\">gone too</div>");
  EXPECT_NE(text.find("streamed text"), std::string::npos) << text;
  EXPECT_NE(text.find("more"), std::string::npos) << text;
  EXPECT_EQ(text.find("gone"), std::string::npos) << text;
}

// Each segment's content takes its slot's place, as React's scripts would
// move it ($RC, $RS), and a boundary's fallback goes: up to the boundary's
// end (<!--/$-->, which the prefilter turns into <template id="/$">), or
// without it only a short first sibling. Input as the prefilter leaves it.
TEST(DomTest, MovesStreamedSegmentsIntoTheirSlots) {
  struct Case {
    const char* html;
    const char* want;
  };
  const Case cases[] = {
      // Marked boundary: everything up to its end is fallback.
      {"<div><p>Before.</p><template id=\"B:0\"></template><p>Loading...</p><p>Still loading.</p>"
       "<template id=\"/$\"></template><p>After.</p></div>"
       "<div hidden id=\"S:0\"><p>One.</p><p>Two.</p></div>",
       "Before. One. Two. After."},
      // Unmarked (comments lost): a short first sibling only; segments
      // arriving out of order; a slot with no segment keeps its fallback.
      {"<div><template id=\"B:0\"></template><div>Loading paragraph...</div>"
       "<template id=\"B:1\"></template><div>Loading image...</div>"
       "<template id=\"B:2\"></template><div>Loading forever...</div></div>"
       "<div hidden id=\"S:1\"><p>Second.</p></div><div hidden id=\"S:0\"><p>First.</p></div>",
       "First. Second. Loading forever..."},
      // A long sibling is content, not a fallback.
      {"<div><template id=\"B:0\"></template><p>A paragraph of the article that is far longer "
       "than any loading message would ever be.</p></div><div hidden id=\"S:0\"><p>Lead.</p></div>",
       "Lead. A paragraph of the article that is far longer than any loading message would ever be."},
      // A placeholder inside a segment, filled by a later segment.
      {"<main><template id=\"B:0\"></template><template id=\"/$\"></template></main>"
       "<div hidden id=\"S:0\"><h1>Title.</h1><template id=\"P:1\"></template><p>End.</p></div>"
       "<div hidden id=\"S:1\"><p>Body.</p></div>",
       "Title. Body. End."},
      // A segment holding its own slot stays where it is.
      {"<div hidden id=\"S:0\"><p>Self.</p><template id=\"P:0\"></template></div>", "Self."},
  };
  for (const Case& c : cases) {
    Document doc = ParseDocument(c.html);
    std::string text = SubtreeText(doc, 0);
    // SubtreeText joins blocks with new lines: compare word by word.
    std::replace(text.begin(), text.end(), '\n', ' ');
    std::string squeezed;
    for (char ch : text)
      if (ch != ' ' || (!squeezed.empty() && squeezed.back() != ' ')) squeezed.push_back(ch);
    while (!squeezed.empty() && squeezed.back() == ' ') squeezed.pop_back();
    EXPECT_EQ(squeezed, c.want) << c.html;
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

// The tree under the root as "tag(child child)", text as 'text'.
std::string Shape(const Document& doc, int32_t index = 0) {
  static const std::pair<Tag, const char*> kNames[] = {
      {Tag::kP, "p"},       {Tag::kDiv, "div"},         {Tag::kA, "a"},
      {Tag::kLi, "li"},     {Tag::kUl, "ul"},           {Tag::kTd, "td"},
      {Tag::kTr, "tr"},     {Tag::kTable, "table"},     {Tag::kFigure, "figure"},
      {Tag::kB, "b"},       {Tag::kFigcaption, "figcaption"}, {Tag::kH1, "h1"},
      {Tag::kH2, "h2"},     {Tag::kSpan, "span"},       {Tag::kBody, "body"}};
  const Node& n = doc.nodes[index];
  if (n.tag == Tag::kText) return "'" + n.text + "'";
  std::string name = "x";
  for (const auto& [t, s] : kNames)
    if (t == n.tag) name = s;
  if (n.children.empty()) return name;
  std::string out = name + "(";
  for (size_t i = 0; i < n.children.size(); ++i) {
    if (i > 0) out += " ";
    out += Shape(doc, n.children[i]);
  }
  return out + ")";
}

std::string ShapeOf(std::string_view html) { return Shape(ParseDocument(html)); }

TEST(DomTest, ImpliedEndTags) {
  EXPECT_EQ(ShapeOf("<p>a<p>b<div>c</div>"), "body(p('a') p('b') div('c'))");
  EXPECT_EQ(ShapeOf("<ul><li>a<li>b<ul><li>c</ul><li>d</ul>"),
            "body(ul(li('a') li('b' ul(li('c'))) li('d')))");
  EXPECT_EQ(ShapeOf("<table><tr><td>a<td>b<tr><td>c</table>x"),
            "body(table(tr(td('a') td('b')) tr(td('c'))) 'x')");
  EXPECT_EQ(ShapeOf("<h1>a<h2>b</h1>c"), "body(h1('a') h2('b') 'c')");
  // An end tag with nothing to close is ignored; </br> is <br>.
  EXPECT_EQ(ShapeOf("<div>a</span></p>b</div>"), "body(div('ab'))");
  EXPECT_EQ(ShapeOf("a</br>b"), "body('a' x 'b')");
}

TEST(DomTest, NoHeadOrBodyTags) {
  Document doc = ParseDocument("<title>T</title><meta name=author content=A><p>text</p>");
  EXPECT_EQ(doc.head.title, "T");
  EXPECT_EQ(doc.Meta("author"), "A");
  EXPECT_EQ(Shape(doc), "body(p('text'))");
  // Text in an unclosed head starts the body.
  EXPECT_EQ(ShapeOf("<html><head><title>T</title>loose<p>x"), "body('loose' p('x'))");
}

TEST(DomTest, FormattingReopenedInsideBlocks) {
  // <figure> closes the <p>; the open link re-opens inside the figure, so the
  // caption stays link text, as in a browser.
  EXPECT_EQ(ShapeOf("<p><a href=/x><figure><figcaption>cap</figcaption></figure></a></p>"),
            "body(p(a) figure(figcaption(a('cap'))))");
  // An inline end tag does not close the block opened inside it.
  EXPECT_EQ(ShapeOf("<b><p>x</b>y</p>"), "body(b(p('xy')))");
}

TEST(DomTest, LinkClosedAroundABlockLetsTheBlockOut) {
  // </a> with a block open inside the link: the block moves out of it and
  // the text after the end tag is no link text.
  EXPECT_EQ(ShapeOf("<div><a href=/x>link<div>block</a>after</div></div>"),
            "body(div(a('link') div('blockafter')))");
  // An unclosed link re-opens in the next list item, as in a browser, until
  // the next link closes it.
  EXPECT_EQ(ShapeOf("<ul><li><a href=#>reply<li><p>text<a href=/y>y</a>more</ul>"),
            "body(ul(li(a('reply')) li(p(a('text') a('y') 'more'))))");
}

// Issue 14, item 2: memory is bounded by the element cap, not the page.
TEST(DomTest, ElementCapBoundsTheTreeAndKeepsTheText) {
  constexpr size_t kParagraphs = 300'000;
  std::string html;
  for (size_t i = 0; i < kParagraphs; ++i) html += "<p>a</p>";
  Document doc = ParseDocument(html);
  EXPECT_EQ(doc.elements_capped, kParagraphs - kMaxElements);
  EXPECT_LE(doc.nodes.size(), 2 * kMaxElements + 2);
  const std::string text = SubtreeText(doc, 0);
  EXPECT_EQ(static_cast<size_t>(std::count(text.begin(), text.end(), 'a')), kParagraphs);
}

// Misnested inline and block elements must not deepen the stack or the
// tree with every repetition (that made the build quadratic).
TEST(DomTest, MisnestingStaysShallow) {
  std::string html;
  for (int i = 0; i < 20'000; ++i) html += "<b><p>x</b>y</p><a href=/l><div>d</a>e</div>";
  Document doc = ParseDocument(html);
  int max_depth = 0;
  for (const auto& n : doc.nodes) max_depth = std::max(max_depth, n.depth);
  EXPECT_LE(max_depth, 4);
  EXPECT_EQ(doc.elements_capped, 0u);
}

TEST(DomTest, StopsAtTheDeadline) {
  std::string html;
  for (size_t i = 0; i < 4 * kDeadlineCheckTokens; ++i) html += "<p>x</p>";
  Document late = ParseDocument(
      html, ParseOptions{.keep_hidden = false, .deadline = std::chrono::steady_clock::now()});
  EXPECT_TRUE(late.timed_out);
  EXPECT_LT(late.nodes.size(), 2 * kDeadlineCheckTokens);
  Document in_time = ParseDocument(html);
  EXPECT_FALSE(in_time.timed_out);
}

TEST(DomTest, DropsFootnoteReferences) {
  EXPECT_EQ(ShapeOf("<p>losing<sup><a href=\"#fn1\">1</a></sup>.</p>"), "body(p('losing.'))");
  EXPECT_EQ(ShapeOf("<p>E = mc<sup>2</sup></p>"), "body(p('E = mc' x('2')))");
}

}  // namespace
}  // namespace crawlstream::extractor
