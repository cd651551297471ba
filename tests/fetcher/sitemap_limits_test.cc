// SitemapLimits: index depth and the per-host budget per crawl cycle,
// with a fake clock.
#include "services/fetcher/sitemap_limits.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace crawlstream::fetcher {
namespace {

using namespace std::chrono_literals;

TEST(SitemapLimitsTest, RefusesIndexesDeeperThanTheLimit) {
  FakeClock clock;
  SitemapLimits limits(clock, {.max_index_depth = 5, .max_per_host = 100});
  struct Case {
    uint32_t depth;
    bool admitted;
  };
  const Case cases[] = {{0, true}, {4, true}, {5, true}, {6, false}, {172, false}};
  for (const auto& c : cases) {
    auto refusal = limits.Admit("e.com", c.depth);
    EXPECT_EQ(!refusal.has_value(), c.admitted) << "depth " << c.depth;
    if (refusal) {
      EXPECT_EQ(refusal->reason, "sitemap_too_deep");
      EXPECT_EQ(refusal->limit, "max_index_depth");
      EXPECT_NE(refusal->detail.find("index depth " + std::to_string(c.depth)), std::string::npos);
    }
  }
}

TEST(SitemapLimitsTest, BudgetPerHostResetsEachCycle) {
  FakeClock clock;
  SitemapLimits limits(clock, {.max_index_depth = 5, .max_per_host = 3, .cycle = 15min});
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limits.Admit("a.com", 1).has_value()) << i;
  auto refusal = limits.Admit("a.com", 1);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->reason, "sitemap_budget_exhausted");
  EXPECT_EQ(refusal->limit, "max_sitemaps_per_host");
  EXPECT_NE(refusal->detail.find("a.com"), std::string::npos);
  // Another host has its own budget.
  EXPECT_FALSE(limits.Admit("b.com", 0).has_value());
  // Refusals do not use the budget; a new cycle restores it.
  clock.Advance(14min);
  EXPECT_TRUE(limits.Admit("a.com", 0).has_value());
  clock.Advance(1min);
  EXPECT_FALSE(limits.Admit("a.com", 0).has_value());
}

TEST(SitemapLimitsTest, WithoutCycleTheBudgetLastsTheWholeRun) {
  FakeClock clock;
  SitemapLimits limits(clock, {.max_index_depth = 5, .max_per_host = 1});
  EXPECT_FALSE(limits.Admit("a.com", 0).has_value());
  clock.Advance(24h * 365);
  EXPECT_TRUE(limits.Admit("a.com", 0).has_value());
}

TEST(SitemapLimitsTest, TracksAtMostMaxHosts) {
  FakeClock clock;
  SitemapLimits limits(clock, {.max_index_depth = 5, .max_per_host = 1, .cycle = 1min, .max_hosts = 3});
  for (const char* host : {"a", "b", "c"}) EXPECT_FALSE(limits.Admit(host, 0).has_value());
  EXPECT_EQ(limits.tracked_hosts(), 3u);
  EXPECT_FALSE(limits.Admit("d", 0).has_value());  // one host forgotten for it
  EXPECT_EQ(limits.tracked_hosts(), 3u);
  clock.Advance(1min);  // every cycle over: all forgotten before evicting
  EXPECT_FALSE(limits.Admit("e", 0).has_value());
  EXPECT_EQ(limits.tracked_hosts(), 1u);
}

}  // namespace
}  // namespace crawlstream::fetcher
