#include "services/extractor/published.h"

#include <algorithm>
#include <string_view>

#include "services/extractor/keywords.h"
#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

using Article = crawlstream::v1::Article;

constexpr std::string_view kPublishedMetaKeys[] = {
    "article:published_time", "datepublished", "pubdate", "publishdate", "publish_date",
    "og:published_time", "dc.date.issued", "dc.date", "parsely-pub-date", "sailthru.date"};
constexpr std::string_view kModifiedMetaKeys[] = {
    "article:modified_time", "og:updated_time", "datemodified", "last-modified",
    "dc.date.modified"};
// Words that mark a line as a date line (Traditional forms derived).
const KeywordTable& DateKeywords() {
  static const KeywordTable t{"发布时间", "时间", "日期", "发表于", "发表", "更新", "来源",
                              "Published", "Posted", "Updated"};
  return t;
}
// Byline lines longer than this are prose, not bylines.
constexpr uint32_t kMaxBylineTokens = 60;
// A date line holds at most this many tokens besides nothing much else.
constexpr uint32_t kMaxDateLineTokens = 8;
// Lines at the start of the text searched for a byline date.
constexpr size_t kTextStartBlocks = 10;
// Month-precision dates are looked for this many paragraphs from either end.
constexpr size_t kEdgeParagraphs = 3;

bool IsDateKeywordLine(std::string_view line) { return DateKeywords().ContainedIn(line); }

std::optional<DateTime> FromStructuredData(const Evidence& e) {
  if (auto d = FindDate(e.ld.date_published)) return d;
  for (std::string_view key : kPublishedMetaKeys)
    if (std::string_view v = e.doc.Meta(key); !v.empty())
      if (auto d = FindDate(v)) return d;
  return std::nullopt;
}

std::optional<DateTime> FromTimeElements(const Evidence& e) {
  for (const auto& t : e.doc.head.times)
    if (auto d = FindDate(t)) return d;
  return std::nullopt;
}

std::optional<DateTime> FromBylines(const Evidence& e) {
  const auto& lines = e.byline.lines;
  const size_t before = e.byline.before_count;
  for (size_t k = 0; k < before; ++k)
    if (IsDateKeywordLine(lines[k]))
      if (auto d = FindDate(lines[k])) return d;
  for (size_t k = 0; k < before; ++k)
    if (CountText(lines[k]).tokens < kMaxBylineTokens)
      if (auto d = FindDate(lines[k])) return d;
  for (size_t k = before; k < lines.size(); ++k)
    if (IsDateKeywordLine(lines[k]))
      if (auto d = FindDate(lines[k])) return d;
  return std::nullopt;
}

// Bylines precede the text; dates after it belong to related lists.
std::optional<DateTime> FromKeywordLinesBeforeText(const Evidence& e) {
  const auto& blocks = e.body.blocks;
  const size_t first = e.body.FirstBlock();
  for (size_t i = 0; i < first && i < blocks.size(); ++i)
    if (blocks[i].tokens < kMaxBylineTokens && IsDateKeywordLine(blocks[i].text))
      if (auto d = FindDate(blocks[i].text)) return d;
  return std::nullopt;
}

// The nearest line that is little more than a date ("Dec 12, 2025",
// "Last updated: Dec 12, 2025", "By X - June 12, 2025"), before the text
// (page headers put the date there, however far from the text), else among
// the first lines of the text (a byline under the deck).
bool IsDateLine(const TextBlock& b) {
  return b.tokens > 0 && b.tokens <= kMaxDateLineTokens && b.link_tokens * 2 <= b.tokens;
}

std::optional<DateTime> FromDateLineNearTextStart(const Evidence& e) {
  const auto& blocks = e.body.blocks;
  const size_t first = std::min(e.body.FirstBlock(), blocks.size());
  for (size_t i = first; i > 0; --i)
    if (IsDateLine(blocks[i - 1]))
      if (auto d = FindDate(blocks[i - 1].text)) return d;
  for (size_t i = first; i < blocks.size() && i < first + kTextStartBlocks; ++i)
    if (IsDateLine(blocks[i]))
      if (auto d = FindDate(blocks[i].text)) return d;
  return std::nullopt;
}

using DateSource = std::optional<DateTime> (*)(const Evidence&);
constexpr DateSource kDateSources[] = {FromStructuredData, FromTimeElements, FromBylines,
                                       FromKeywordLinesBeforeText, FromDateLineNearTextStart};

// Structured times are often UTC; the byline shows the page's zone.
DateTime InPageZone(const DateTime& date, const Evidence& e) {
  if (!date.has_zone) return date;
  for (size_t k = 0; k < e.byline.before_count; ++k) {
    auto local = FindDate(e.byline.lines[k]);
    if (local && local->has_time && !local->has_zone) return ReexpressInPageZone(date, *local);
  }
  return date;
}

std::optional<DateTime> MonthOnly(const Evidence& e) {
  for (const auto& l : e.byline.lines)
    if (auto d = FindMonthDate(l)) return d;
  const auto& paragraphs = e.body.paragraphs;
  for (size_t k = 0; k < paragraphs.size(); ++k)
    if (k < kEdgeParagraphs || k + kEdgeParagraphs >= paragraphs.size())
      if (auto d = FindMonthDate(paragraphs[k])) return d;
  return std::nullopt;
}

}  // namespace

PublishedTime ResolvePublished(const Evidence& evidence) {
  PublishedTime out;
  for (DateSource source : kDateSources) {
    if (auto d = source(evidence)) {
      out.date = InPageZone(*d, evidence);
      out.precision = out.date->has_time ? Article::TIME_PRECISION_TIME
                                         : Article::TIME_PRECISION_DAY;
      return out;
    }
  }
  if ((out.date = MonthOnly(evidence))) out.precision = Article::TIME_PRECISION_MONTH;
  return out;
}

std::optional<DateTime> ResolveModified(const Evidence& evidence) {
  if (auto d = FindDate(evidence.ld.date_modified)) return d;
  for (std::string_view key : kModifiedMetaKeys)
    if (std::string_view v = evidence.doc.Meta(key); !v.empty())
      if (auto d = FindDate(v)) return d;
  return std::nullopt;
}

}  // namespace crawlstream::extractor
