// Main-content selection: which text of the page is the article.
//
// The document is first cut into text blocks (LinearizeBlocks): a block is
// the text between two block-level boundaries (p, div, td, li, br, ...),
// with its nearest block-level container, its token count (Han/kana/hangul
// characters count one each, other word runs one each — so the signals are
// the same for Chinese and English), the tokens inside links and its
// sentence punctuation.
//
// SelectContent then scores blocks (long, punctuated, few links: positive;
// link lists and short fragments: negative; anything under a boilerplate
// container such as nav/footer/aside or id/class naming share, related,
// recommend, comment, vote, copyright...: negative) and spreads each block's
// score to its container and the container's ancestors with decay, boosted
// by structural hints (<article>, itemprop=articleBody, content-like class
// names). The best container's blocks are kept, minus boilerplate lines
// (share prompts, breadcrumbs, bylines before the text, editor lines,
// copyright/contact footers, scraper disclaimers) and everything after an
// end-of-article marker (相关阅读, 推荐阅读, 责编, 版权所有, ...).
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "services/extractor/dom.h"
#include "services/extractor/unicode.h"

namespace crawlstream::extractor {

struct TextBlock {
  std::string text;        // white space collapsed, trimmed
  int32_t container = 0;   // nearest block-level element
  uint32_t tokens = 0;
  uint32_t link_tokens = 0;
  uint32_t punct = 0;
  bool heading = false;
  TextStats stats;         // CountText(text), kept for the line tests
};

std::vector<TextBlock> LinearizeBlocks(const Document& doc);

struct ContentSelection {
  int32_t root = -1;                 // chosen container element
  std::vector<size_t> kept;          // indices into blocks, in order
  size_t first_block = 0;            // first block inside root
  size_t last_block = 0;             // last block inside root
  std::vector<size_t> dropped;       // boilerplate blocks inside root
  // First block after an end-of-article marker (related lists, footers);
  // SIZE_MAX when no marker was seen.
  size_t tail_start = SIZE_MAX;
  double score = 0;
};

ContentSelection SelectContent(const Document& doc,
                               const std::vector<TextBlock>& blocks,
                               std::string_view title);

// True when `line` (normalised) is a boilerplate line on its own: page
// furniture (share prompts, navigation, copyright and contact lines, scraper
// disclaimers, paywall/newsletter/consent prompts) or a short unpunctuated
// fragment of three tokens or fewer (vote counters; also short headings,
// which SelectContent keeps inside the text).
bool IsBoilerplateLine(std::string_view line);
bool IsFurnitureLine(std::string_view line);
bool IsShortFragment(std::string_view line);
// True when `line` ends the article: everything after it is boilerplate.
bool IsEndOfArticleLine(std::string_view line);
// The same with CountText(line) already known (the selection's hot loop).
bool IsBoilerplateLine(std::string_view line, const TextStats& stats);
bool IsFurnitureLine(std::string_view line, const TextStats& stats);
bool IsEndOfArticleLine(std::string_view line, const TextStats& stats);

}  // namespace crawlstream::extractor
