// Conversions between the fetcher's results and the crawlstream.v1
// messages it publishes: FetchedPage (crawl.pages), DeadLetter reasons
// (crawl.deadletter) and CrawlRequest (discovered links fed back to
// crawl.requests). Kept apart from the other headers because it pulls in
// the generated protobuf code.
//
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "crawlstream/v1/crawl_request.pb.h"
#include "crawlstream/v1/dead_letter.pb.h"
#include "crawlstream/v1/fetched_page.pb.h"
#include "services/fetcher/discovery.h"
#include "services/fetcher/http_client.h"
#include "services/fetcher/robots.h"

namespace crawlstream::fetcher {

// The FetchedPage for a successful result (the body is moved, not copied). `requested_url` is the
// canonical URL that was fetched; `fetched_at` is wall-clock UTC.
crawlstream::v1::FetchedPage ToFetchedPage(FetchResult result,
                                           const crawlstream::v1::CrawlRequest& request,
                                           std::string_view requested_url,
                                           std::chrono::system_clock::time_point fetched_at);

// Machine-readable DeadLetter.reason for a failed result: "ssrf_refused",
// "oversize" (a body cap), "headers_too_large", "too_many_redirects", "http_<status>", "fetch_failed:<error>"
// ... (stable strings; dashboards key on them).
std::string DeadLetterReason(const FetchResult& result);

// How a robots.txt fetch ended, for RobotsFromFetch(). `result` must
// outlive the returned view of its body.
RobotsFetchOutcome ToRobotsOutcome(const FetchResult& result);

// CrawlRequests for links found on `parent` (a page, feed or sitemap):
// depth + 1 for pages linked from pages, same depth for entries of feeds
// and sitemaps (they list pages, they do not link to them); index_depth
// parent's + 1 for entries of feeds and sitemaps, 0 for links on pages
// (see sitemap_limits.h); origin set from the parent's kind.
std::vector<crawlstream::v1::CrawlRequest> ToCrawlRequests(
    const std::vector<DiscoveredLink>& links, const crawlstream::v1::CrawlRequest& parent,
    std::chrono::system_clock::time_point now);

crawlstream::v1::CrawlRequest::Kind ToRequestKind(LinkKind kind);

}  // namespace crawlstream::fetcher
