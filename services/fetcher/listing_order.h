// The order in which the entries of a feed or sitemap are crawled, and
// which are too old to crawl at all (issue 13 item 3).
//
// Each entry may carry a date (DiscoveredLink::modified: sitemap
// <news:publication_date>, else <lastmod>; feed pubDate / updated /
// published / dc:date). NewestFirst() puts dated entries newest first
// (ties keep document order), then undated ones in document order, and
// drops entries dated before now - max_age (max_age 0: no limit; undated
// and unparseable dates are never dropped). Entries of a sitemap index
// (child sitemaps) are judged the same way: a child sitemap last changed
// before the limit lists nothing newer.
//
// ParseListingDate() reads the date forms found in feeds and sitemaps, in
// the order of kListingDateForms (listing_order.cc):
//   W3C datetime (sitemaps, Atom): 2024-07-05, 2024-07, 2024,
//     2024-07-05T13:53Z, 2024-07-05T13:53:10+08:00, 2024-07-05T13:53:10.5-05:00,
//     also with a space for T, +0800 offsets, no zone (UTC);
//   RFC 822 / 2822 (RSS pubDate): Fri, 05 Jul 2024 13:53:00 +0800,
//     5 Jul 24 13:53 GMT, zones UT/GMT/Z/EST/EDT/CST/CDT/MST/MDT/PST/PDT.
//
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "services/fetcher/discovery.h"

namespace crawlstream::fetcher {

// The instant `text` names (UTC), or nullopt when it is no date form of
// the table.
std::optional<std::chrono::system_clock::time_point> ParseListingDate(std::string_view text);

struct OrderedListing {
  std::vector<DiscoveredLink> links;  // newest first, then undated
  size_t too_old = 0;                 // dropped: dated before now - max_age
};

OrderedListing NewestFirst(std::vector<DiscoveredLink> links,
                           std::chrono::system_clock::time_point now,
                           std::chrono::milliseconds max_age);

}  // namespace crawlstream::fetcher
