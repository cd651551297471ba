#include "services/fetcher/sitemap_limits.h"

#include <string>


namespace crawlstream::fetcher {

SitemapLimits::SitemapLimits(const Clock& clock, SitemapLimitsOptions options)
    : clock_(clock), options_(options) {}

bool SitemapLimits::CycleOver(const Budget& budget, SteadyTime now) const {
  return options_.cycle.count() > 0 && now - budget.cycle_start >= options_.cycle;
}

void SitemapLimits::MakeRoom(SteadyTime now) {
  std::erase_if(hosts_, [&](const auto& entry) { return CycleOver(entry.second, now); });
  while (hosts_.size() >= options_.max_hosts && !hosts_.empty()) hosts_.erase(hosts_.begin());
}

std::optional<SitemapRefusal> SitemapLimits::Admit(const std::string& host, uint32_t index_depth) {
  if (index_depth > options_.max_index_depth) {
    return SitemapRefusal{"sitemap_too_deep", "max_index_depth",
                          "index depth " + std::to_string(index_depth) +
                              " exceeds fetcher.max_index_depth (" +
                              std::to_string(options_.max_index_depth) + ")"};
  }
  SteadyTime now = clock_.Now();
  auto it = hosts_.find(host);
  if (it == hosts_.end()) {
    if (hosts_.size() >= options_.max_hosts) MakeRoom(now);
    it = hosts_.emplace(host, Budget{now, 0}).first;
  } else if (CycleOver(it->second, now)) {
    it->second = Budget{now, 0};
  }
  if (it->second.admitted >= options_.max_per_host) {
    return SitemapRefusal{"sitemap_budget_exhausted", "max_sitemaps_per_host",
                          "host " + host + " already had " + std::to_string(it->second.admitted) +
                              " feeds and sitemaps this crawl cycle (fetcher.max_sitemaps_per_host)"};
  }
  ++it->second.admitted;
  return std::nullopt;
}

}  // namespace crawlstream::fetcher
