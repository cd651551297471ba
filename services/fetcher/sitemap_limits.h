// Bounds on feed and sitemap discovery. A sitemap index lists more
// sitemaps; without bounds a hostile host has the crawler fetch indexes
// without end (an index listing the next one, or listing ten more each).
//
// Index depth: how many feeds and sitemaps stand above a request in its
// discovery chain. 0 for seeds, robots.txt Sitemap: lines and links found
// on HTML pages; the parent's index depth + 1 for whatever a feed or
// sitemap lists (see ToCrawlRequests in page.h). A feed or sitemap deeper
// than max_index_depth is refused; pages are not (they end the chain).
//
// Host budget: at most max_per_host feeds and sitemaps of one host are
// admitted per crawl cycle (`cycle`: fetcher.repoll_min while listings
// are re-polled, see SitemapCycle in fetcher_service.h; 0 = the whole
// life of the crawler, i.e. one cycle for a one-shot crawl). At most
// max_hosts hosts are tracked: hosts whose cycle ended are forgotten
// first, then arbitrary ones (a forgotten host starts a new budget).
//
// Not thread-safe (one per crawler); time comes from the injected Clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "services/fetcher/clock.h"

namespace crawlstream::fetcher {

struct SitemapLimitsOptions {
  uint32_t max_index_depth = 5;
  int64_t max_per_host = 1000;
  std::chrono::milliseconds cycle{0};
  size_t max_hosts = 20'000;
};

// Why a feed or sitemap was refused.
struct SitemapRefusal {
  std::string_view reason;  // dead-letter reason: "sitemap_too_deep", ...
  std::string_view limit;   // the bound's config key: "max_index_depth", ...
  std::string detail;       // for the dead letter and the log
};

class SitemapLimits {
 public:
  SitemapLimits(const Clock& clock, SitemapLimitsOptions options);

  // Decides on one feed or sitemap of `host` at `index_depth`; when
  // admitted it counts against the host's budget for this cycle.
  std::optional<SitemapRefusal> Admit(const std::string& host, uint32_t index_depth);

  size_t tracked_hosts() const { return hosts_.size(); }

 private:
  struct Budget {
    SteadyTime cycle_start;
    int64_t admitted = 0;
  };
  bool CycleOver(const Budget& budget, SteadyTime now) const;
  void MakeRoom(SteadyTime now);

  const Clock& clock_;
  SitemapLimitsOptions options_;
  std::unordered_map<std::string, Budget> hosts_;
};

}  // namespace crawlstream::fetcher
