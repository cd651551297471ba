// Revisits of article pages (issue 13 item 3): with crawl state on
// (fetcher.state_dir), a page is fetched again by the fetcher itself to
// catch corrections and updates, on a back-off schedule:
//
//   revisit k (k = 0, 1, ... revisits - 1) comes interval * 2^k after the
//   fetch before it: 1h, 2h, 4h ... for interval 1h
//
// (fetcher.revisit_interval, fetcher.revisits; interval 0 = never). A page
// whose last fetch was dead-lettered for good (404, robots, too large ...)
// is not revisited. Each revisit is conditional (the stored validators) and
// ends in one of the findings below, counted in
// crawlstream_fetch_revisits_total{finding}; only a "changed" page goes on
// to the extractor (dedup publishes it again under the same id as a new
// revision, article.proto `revision`); an "unchanged" 200 (the same body
// hash) is skipped as "unchanged".
//
// Pure functions; the schedule lives in UrlState.next_due (state_store.h
// indexes it).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace crawlstream::v1 {
class UrlState;
}

namespace crawlstream::fetcher {

struct RevisitOptions {
  std::chrono::milliseconds interval{0};  // fetcher.revisit_interval; 0 = never
  int64_t revisits = 3;                   // fetcher.revisits
};

// When the page whose state is `s` is next due (from its last fetch and
// its revisit count), or nullopt: never (the revisits are used up, the
// interval is 0, it was never fetched, or its last fetch was
// dead-lettered for good).
std::optional<std::chrono::system_clock::time_point> NextRevisit(const crawlstream::v1::UrlState& s,
                                                                 const RevisitOptions& options);

enum class RevisitFinding {
  kChanged,      // 200 with a body other than the last one
  kUnchanged,    // 200 with the same body (hash)
  kNotModified,  // 304 on the conditional GET
  kFailed,       // dead-lettered (404, gone, retries used up ...)
};
std::string_view RevisitFindingName(RevisitFinding f);

// What a fetch of a page fetched before (`prior_hash`: content_hash of its
// last 200, may be empty) found: `ok` a 2xx with body hash `hash`,
// `not_modified` a 304, neither: failed.
RevisitFinding ClassifyRevisit(std::string_view prior_hash, bool ok, std::string_view hash,
                               bool not_modified);

}  // namespace crawlstream::fetcher
