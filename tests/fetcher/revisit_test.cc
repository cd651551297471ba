#include "services/fetcher/revisit.h"

#include <gtest/gtest.h>

#include "crawlstream/v1/crawl_state.pb.h"

namespace crawlstream::fetcher {
namespace {

using namespace std::chrono_literals;
using crawlstream::v1::UrlState;
using TimePoint = std::chrono::system_clock::time_point;

constexpr int64_t kFetchedAt = 1'720'000'000;

UrlState FetchedState(uint32_t revisits_done, std::string outcome = "processed",
                      std::string reason = "") {
  UrlState s;
  s.mutable_last_fetched()->set_seconds(kFetchedAt);
  s.set_outcome(std::move(outcome));
  s.set_reason(std::move(reason));
  s.set_revisit_count(revisits_done);
  return s;
}

TimePoint After(std::chrono::seconds d) { return TimePoint(std::chrono::seconds(kFetchedAt) + d); }

TEST(NextRevisitTest, DoublesTheIntervalAfterEachRevisitUntilTheyAreUsedUp) {
  const RevisitOptions o{.interval = 1h, .revisits = 3};
  struct Case {
    uint32_t done;
    std::optional<TimePoint> next;
  };
  const Case cases[] = {
      {0, After(1h)},
      {1, After(2h)},
      {2, After(4h)},
      {3, std::nullopt},
      {10, std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(NextRevisit(FetchedState(c.done), o), c.next) << c.done << " revisits done";
  }
}

TEST(NextRevisitTest, NeverWithoutAnIntervalAFetchOrAfterAPermanentFailure) {
  const RevisitOptions o{.interval = 30min, .revisits = 2};
  EXPECT_EQ(NextRevisit(FetchedState(0), {.interval = 0ms, .revisits = 2}), std::nullopt);
  EXPECT_EQ(NextRevisit(UrlState(), o), std::nullopt);  // never fetched
  EXPECT_EQ(NextRevisit(FetchedState(0, "dead_letter", "http_404"), o), std::nullopt);
  EXPECT_EQ(NextRevisit(FetchedState(0, "dead_letter", "robots_denied"), o), std::nullopt);
  // A failure that may pass, and a 304 or an unchanged body, keep the schedule.
  EXPECT_EQ(NextRevisit(FetchedState(0, "dead_letter", "max_retries"), o), After(30min));
  EXPECT_EQ(NextRevisit(FetchedState(1, "skipped", "not_modified"), o), After(60min));
  EXPECT_EQ(NextRevisit(FetchedState(1, "skipped", "unchanged"), o), After(60min));
}

// The longest schedule the configuration allows (a year, doubled up to 29
// times) stays a wait of at most ten years, never an overflow.
TEST(NextRevisitTest, LongBackoffsAreCappedNotOverflowed) {
  const RevisitOptions o{.interval = std::chrono::hours(24 * 365), .revisits = 30};
  for (uint32_t done : {0u, 3u, 4u, 20u, 29u}) {
    auto next = NextRevisit(FetchedState(done), o);
    ASSERT_TRUE(next) << done;
    EXPECT_GT(*next, After(0s)) << done;
    EXPECT_LE(*next, After(std::chrono::hours(24 * 365 * 10))) << done;
  }
  EXPECT_EQ(NextRevisit(FetchedState(29), o), After(std::chrono::hours(24 * 365 * 10)));
}

TEST(ClassifyRevisitTest, ComparesTheBodyHashOfTheLastFetch) {
  struct Case {
    std::string_view prior;
    bool ok;
    std::string_view hash;
    bool not_modified;
    RevisitFinding want;
  };
  const Case cases[] = {
      {"aa", true, "aa", false, RevisitFinding::kUnchanged},
      {"aa", true, "bb", false, RevisitFinding::kChanged},
      {"", true, "bb", false, RevisitFinding::kChanged},  // nothing to compare: sent on
      {"aa", false, "", true, RevisitFinding::kNotModified},
      {"aa", false, "", false, RevisitFinding::kFailed},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ClassifyRevisit(c.prior, c.ok, c.hash, c.not_modified), c.want)
        << c.prior << " -> " << c.hash;
  }
  EXPECT_EQ(RevisitFindingName(RevisitFinding::kNotModified), "not_modified");
}

}  // namespace
}  // namespace crawlstream::fetcher
