// Byline context: the short lines around the article where bylines,
// dates, editors and source notes are printed, and the evidence every
// metadata resolver reads.
//
// CollectBylineLines gathers, converter pinyin removed:
//   - up to 15 blocks before the text, nearest first, then boilerplate
//     blocks of the chosen container further up than that, in document
//     order (`before_count` lines in all);
//   - boilerplate dropped inside the text (editor lines, source notes);
//   - up to 5 blocks after the text, stopping at an end-of-article marker
//     (inclusive) and never reaching into related lists.
// Pure and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "services/extractor/body.h"
#include "services/extractor/dom.h"
#include "services/extractor/json_ld.h"

namespace crawlstream::extractor {

struct BylineLines {
  std::vector<std::string> lines;
  size_t before_count = 0;  // lines[0, before_count) precede the text
};

BylineLines CollectBylineLines(const BodyText& body);

// What the metadata resolvers (published.h, people.h, outlet.h) read.
struct Evidence {
  const Document& doc;
  const JsonLdInfo& ld;
  const BodyText& body;
  const BylineLines& byline;
};

}  // namespace crawlstream::extractor
