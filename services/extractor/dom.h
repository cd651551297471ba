// A compact document tree, built straight from HtmlTokenizer's tokens.
//
// ParseDocument tokenizes UTF-8 HTML (html_tokenizer.h) and builds the tree
// with the WHATWG "in body" rules, simplified (html_tags.h says how: implied
// end tags for p/li/dd/dt/cells/rows/headings, scopes, formatting elements
// re-opened inside the next block, a block moved out of a link whose end
// tag comes while the block is open; no foster parenting, no implied
// <tbody>). Only what the extractor needs goes into a flat arena
// (Document::nodes, index 0 = <body> or the root), dropping on the way
// everything that is never article text:
//   - script, style, noscript, template, svg, iframe, object, form controls
//     (input, select, option, textarea, button, label), comments, footnote
//     references (<sup><a href="#fn1">1</a></sup>);
//   - hidden content: the `hidden` attribute, aria-hidden="true", inline
//     style display:none / visibility:hidden;
//   - injected spam markup: empty elements with no text (harmless) and text
//     that is itself escaped markup (e.g. `<li id="omoqo"></li>` as text).
// Streamed segments: a page server-rendered by React 18+ with Suspense
// (Next.js and others) sends a boundary's content late, in
// <div hidden id="S:1"> near the end of the body, and an inline script
// moves it to where <template id="B:1"> (or "P:1") stands, replacing the
// fallback ("Loading...") up to the boundary's end comment <!--/$-->. The
// builder keeps those segments (not hidden content) and does the move
// itself: the segment's content takes the slot's place, and a boundary's
// fallback goes (up to <!--/$-->, or without that comment only a first
// sibling of at most kMaxUnmarkedFallbackBytes of text). Slots without a
// segment, or whose move would break the arena's order or depth, are
// left as they are.
// <head> data (title, meta, link rel=canonical, JSON-LD, html lang) is
// collected into Document::head. Nesting deeper than kMaxTreeDepth is
// flattened into the deepest allowed ancestor, so every later pass can
// recurse safely. Linear in the input except for a bounded number of
// block moves (kMaxMovedBlocks). Thread-safe: no shared state.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crawlstream::extractor {

inline constexpr int kMaxTreeDepth = 200;
// Elements per document; start tags past it add no node (their text goes
// to the open element), which bounds memory at about 120 bytes per element
// whatever the page holds. Real pages of the dev sets stay far below.
inline constexpr size_t kMaxElements = 100'000;

enum class Tag : uint8_t {
  kOther, kText, kBody, kA, kP, kDiv, kTd, kTh, kTr, kTable, kLi, kUl, kOl,
  kDl, kDt, kDd, kBr, kHr, kH1, kH2, kH3, kH4, kH5, kH6, kArticle, kSection,
  kMain, kNav, kAside, kHeader, kFooter, kBlockquote, kPre, kCenter, kSpan,
  kFont, kStrong, kB, kEm, kI, kU, kImg, kTime, kFigure, kFigcaption, kForm,
  kAddress, kCaption, kTbody, kThead, kTfoot, kFieldset, kDetails, kMenu,
  kButton, kLabel, kH_Group,
};

struct Node {
  Tag tag = Tag::kOther;
  int32_t parent = -1;
  int32_t depth = 0;
  std::vector<int32_t> children;
  std::string text;      // text nodes only (raw, not yet normalised)
  std::string hint;      // lower-cased "id class" for structural hints
  bool is_block = false;
  bool article_body = false;  // itemprop="articleBody"
};

struct HeadInfo {
  std::string title;                   // <title> text
  std::string lang;                    // <html lang>
  std::string canonical;               // <link rel=canonical href>
  std::vector<std::pair<std::string, std::string>> meta;  // name/property -> content (key lower-cased)
  std::vector<std::string> json_ld;    // raw JSON-LD script texts
  std::vector<std::string> h1;         // texts of <h1> elements
  std::vector<std::string> times;      // <time datetime> values in order
  // Texts of author links and marks in document order: <a rel="author">,
  // <a href> to an author page (/author/, /authors/, /by/, or ?author= as the
  // only query parameter), and
  // elements with itemprop="author".
  std::vector<std::string> author_links;
};

struct Document {
  std::vector<Node> nodes;  // nodes[0] is the root (body)
  HeadInfo head;
  size_t removed_hidden = 0;
  size_t removed_junk = 0;
  size_t elements_capped = 0;  // start tags past kMaxElements
  bool timed_out = false;      // ParseOptions::deadline passed: tree incomplete

  // First meta value for `key` (lower-case), or empty.
  std::string_view Meta(std::string_view key) const;
};

struct ParseOptions {
  // Keep elements marked hidden (hidden attribute, aria-hidden, inline
  // display:none). Streaming server renderers park the whole page in a
  // hidden element that a script reveals; the extractor parses again with
  // this set when the first parse finds no article.
  bool keep_hidden = false;
  // Parsing stops (Document::timed_out) once this time has passed; checked
  // every kDeadlineCheckTokens tokens.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

inline constexpr size_t kDeadlineCheckTokens = 4096;

// Parses `utf8_html`. Never fails: any input yields at least an empty root.
Document ParseDocument(std::string_view utf8_html, ParseOptions options = {});

// Text of the subtree rooted at `index`, with blocks separated by '\n'.
std::string SubtreeText(const Document& doc, int32_t index);

bool IsBlockTag(Tag t);
bool IsHeading(Tag t);

}  // namespace crawlstream::extractor
