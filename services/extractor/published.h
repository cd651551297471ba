// Publication time: which date on the page is when the article appeared.
//
// Sources, in order (the first that yields a complete date wins):
//   1. structured data: JSON-LD datePublished, then <meta> keys
//      (kPublishedMetaKeys in published.cc: article:published_time,
//      datePublished, pubdate, DC.date.issued, parsely-pub-date, ...);
//   2. <time datetime> values, in document order;
//   3. byline lines before the text that carry a date keyword
//      (发布时间, 日期, Published, Posted, ...), then any short line
//      before the text, then keyword lines after it;
//   4. any short keyword line before the text in the page;
//   5. the nearest line of at most 8 tokens that holds a date ("Dec 12,
//      2025", "Last updated: Dec 12, 2025") before the text, else among
//      its first 10 lines (a byline under the deck).
// A structured time with a zone is re-expressed in the page's own zone
// when a byline shows the same instant as local time. When none of these
// gives a complete date, a line that is only a year and month (a report's
// "2003年5月", a magazine issue) gives month precision.
// Modified time: JSON-LD dateModified, then article:modified_time,
// og:updated_time, dateModified, last-modified metas.
// Pure and thread-safe.
#pragma once

#include <optional>

#include "crawlstream/v1/article.pb.h"
#include "services/extractor/byline.h"
#include "services/extractor/metadata.h"

namespace crawlstream::extractor {

struct PublishedTime {
  std::optional<DateTime> date;
  crawlstream::v1::Article::TimePrecision precision =
      crawlstream::v1::Article::TIME_PRECISION_UNSPECIFIED;
};

PublishedTime ResolvePublished(const Evidence& evidence);
std::optional<DateTime> ResolveModified(const Evidence& evidence);

}  // namespace crawlstream::extractor
