// Body assembly: the article's paragraphs from a parsed page.
//
//   segment  LinearizeBlocks cuts the tree into text blocks (content.h);
//   select   SelectContent scores blocks and containers and keeps the
//            article's blocks (content.h);
//   assemble each kept block is cleaned (NFC, white space, converter
//            pinyin); a paragraph of 20 tokens or more printed twice (a
//            responsive layout's hidden copy) is kept once; hard-wrapped
//            lines are rejoined (normalise.h).
// Fallbacks, in order, when the text has fewer than `min_tokens` tokens:
//   1. the page hid elements: parse again keeping them (streaming server
//      renderers park the whole page in a hidden element); the document is
//      replaced when that gives more text;
//   2. the JSON-LD articleBody, one paragraph per line.
// Pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "services/extractor/content.h"
#include "services/extractor/dom.h"

namespace crawlstream::extractor {

struct BodyText {
  std::vector<TextBlock> blocks;   // every block of the page
  ContentSelection selection;      // which blocks are the article
  std::vector<std::string> paragraphs;
  uint32_t tokens = 0;             // tokens in `paragraphs`
  enum class Source { kBlocks, kRevealedBlocks, kJsonLd } source = Source::kBlocks;

  // Index of the first article block (or of the chosen container's first
  // block when nothing was kept).
  size_t FirstBlock() const;
  size_t LastBlock() const;
};

// `doc` may be replaced by a parse that keeps hidden elements (fallback 1).
BodyText ExtractBody(std::string_view html, std::string_view title,
                     std::string_view json_ld_body, uint32_t min_tokens, Document* doc);

}  // namespace crawlstream::extractor
