#include "services/extractor/byline.h"

#include <algorithm>

#include "services/extractor/normalise.h"

namespace crawlstream::extractor {
namespace {

constexpr size_t kLinesBefore = 15;
constexpr size_t kLinesAfter = 5;

}  // namespace

BylineLines CollectBylineLines(const BodyText& body) {
  BylineLines out;
  const auto& blocks = body.blocks;
  const auto& sel = body.selection;
  const size_t first = body.FirstBlock();
  const size_t last = body.LastBlock();
  const size_t from = first > kLinesBefore ? first - kLinesBefore : 0;
  for (size_t i = first; i > from; --i) out.lines.push_back(blocks[i - 1].text);
  // Dropped blocks further up than the window (bylines inside the chosen
  // container), in document order.
  for (size_t i : sel.dropped)
    if (i < from) out.lines.push_back(blocks[i].text);
  out.before_count = out.lines.size();
  for (size_t i : sel.dropped)
    if (i > first && i <= last && i < sel.tail_start) out.lines.push_back(blocks[i].text);
  for (size_t i = last + 1; i < std::min(blocks.size(), last + 1 + kLinesAfter); ++i) {
    if (i >= sel.tail_start) break;
    out.lines.push_back(blocks[i].text);
    if (IsEndOfArticleLine(blocks[i].text)) break;
  }
  for (auto& l : out.lines) l = RemoveConverterPinyin(l);
  return out;
}

}  // namespace crawlstream::extractor
