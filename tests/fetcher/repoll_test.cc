// Adaptive re-poll intervals: the rule (a table of cases) and the
// per-listing memory of what the previous poll listed.
#include "services/fetcher/repoll.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace crawlstream::fetcher {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

constexpr RepollOptions kOptions{.initial = 15min, .min = 1min, .max = 1h};

TEST(RepollTest, IntervalShrinksOnNewItemsAndGrowsOtherwiseWithinBounds) {
  struct Case {
    milliseconds last;
    PollFinding finding;
    milliseconds next;
  };
  const Case cases[] = {
      {15min, PollFinding::kNewItems, 7min + 30s},
      {15min, PollFinding::kNothingNew, 22min + 30s},
      {15min, PollFinding::kNotModified, 22min + 30s},
      {90s, PollFinding::kNewItems, 1min},        // not below repoll_min
      {1min, PollFinding::kNewItems, 1min},       // stays at the floor
      {50min, PollFinding::kNothingNew, 1h},      // not above repoll_max
      {1h, PollFinding::kNotModified, 1h},        // stays at the ceiling
      {10s, PollFinding::kNothingNew, 90s},       // below the floor: clamped first
      {3h, PollFinding::kNewItems, 30min},        // above the ceiling: clamped first
      {15min, PollFinding::kFirst, 15min},        // nothing to compare with
      {15min, PollFinding::kFailed, 30min},       // the host down: back off harder
      {40min, PollFinding::kFailed, 1h},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(NextRepollInterval(kOptions, c.last, c.finding), c.next)
        << c.last.count() << " ms, " << PollFindingName(c.finding);
  }
}

TEST(RepollTest, StartingIntervalIsClampedIntoTheBounds) {
  struct Case {
    milliseconds initial;
    milliseconds start;
  };
  const Case cases[] = {{15min, 15min}, {10s, 1min}, {5h, 1h}, {1min, 1min}, {1h, 1h}};
  for (const auto& c : cases) {
    RepollOptions o = kOptions;
    o.initial = c.initial;
    EXPECT_EQ(InitialRepollInterval(o), c.start) << c.initial.count();
  }
}

TEST(RepollTest, ScheduleComparesEachPollWithTheListingsPreviousOne) {
  RepollSchedule s(kOptions);
  PollFinding f{};
  const std::string feed = "https://news.example/rss";
  EXPECT_EQ(s.AfterListing(feed, {"a", "b"}, &f), 15min);
  EXPECT_EQ(f, PollFinding::kFirst);
  // Same entries in another order: nothing new.
  EXPECT_EQ(s.AfterListing(feed, {"b", "a"}, &f), 22min + 30s);
  EXPECT_EQ(f, PollFinding::kNothingNew);
  // An entry dropped off: still nothing new.
  EXPECT_EQ(s.AfterListing(feed, {"b"}, &f), 33min + 45s);
  EXPECT_EQ(f, PollFinding::kNothingNew);
  // "a" again is new compared with the previous poll; then "c".
  EXPECT_EQ(s.AfterListing(feed, {"a", "b"}, &f), 16min + 52s + 500ms);
  EXPECT_EQ(f, PollFinding::kNewItems);
  EXPECT_EQ(s.AfterListing(feed, {"c", "a", "b"}, &f), 8min + 26s + 250ms);
  EXPECT_EQ(f, PollFinding::kNewItems);
  // 304: grows; a failure: doubles.
  EXPECT_EQ(s.AfterNotModified(feed), 12min + 39s + 375ms);
  EXPECT_EQ(s.AfterFailure(feed), 25min + 18s + 750ms);
  EXPECT_EQ(s.listings(), 1u);
  EXPECT_EQ(s.remembered_entries(), 3u);
}

TEST(RepollTest, ListingsAreIndependent) {
  RepollSchedule s(kOptions);
  s.AfterListing("f1", {"a"});
  s.AfterListing("f2", {"a"});
  EXPECT_EQ(s.AfterListing("f1", {"a", "b"}), 7min + 30s);
  EXPECT_EQ(s.AfterListing("f2", {"a"}), 22min + 30s);
}

TEST(RepollTest, BusyFeedReachesTheFloorAndAQuietOneTheCeiling) {
  RepollSchedule s(kOptions);
  std::vector<std::string> busy;
  milliseconds wait{};
  for (int i = 0; i < 10; ++i) {
    busy.push_back("item" + std::to_string(i));
    wait = s.AfterListing("busy", busy);
  }
  EXPECT_EQ(wait, 1min);
  for (int i = 0; i < 10; ++i) wait = s.AfterNotModified("quiet");
  EXPECT_EQ(wait, 1h);
}

TEST(RepollTest, OverTheEntryBudgetAListingIsJudgedByItsFingerprint) {
  RepollOptions o = kOptions;
  o.max_remembered_entries = 2;
  RepollSchedule s(o);
  PollFinding f{};
  s.AfterListing("big", {"a", "b", "c"});
  EXPECT_EQ(s.remembered_entries(), 0u);
  s.AfterListing("big", {"c", "b", "a"}, &f);
  EXPECT_EQ(f, PollFinding::kNothingNew);
  s.AfterListing("big", {"c", "b", "d"}, &f);
  EXPECT_EQ(f, PollFinding::kNewItems);
  s.AfterListing("small", {"x", "y"});
  EXPECT_EQ(s.remembered_entries(), 2u);
}

TEST(RepollTest, LeastRecentlyPolledListingIsForgottenPastTheCap) {
  RepollOptions o = kOptions;
  o.max_listings = 2;
  RepollSchedule s(o);
  PollFinding f{};
  s.AfterListing("f1", {"a"});
  s.AfterListing("f2", {"a"});
  s.AfterListing("f1", {"a"});  // f2 is now the least recent
  s.AfterListing("f3", {"a"});
  EXPECT_EQ(s.listings(), 2u);
  s.AfterListing("f1", {"a"}, &f);
  EXPECT_EQ(f, PollFinding::kNothingNew);
  s.AfterListing("f2", {"a"}, &f);
  EXPECT_EQ(f, PollFinding::kFirst) << "f2 was forgotten";
}

// A listing taken over from another instance goes on from the interval it
// had reached there (crawl state), clamped; a remembered one is untouched.
TEST(RepollTest, ResumedListingGoesOnFromItsInterval) {
  RepollSchedule s(kOptions);
  PollFinding f{};
  s.Resume("moved", 40min);
  EXPECT_EQ(s.AfterNotModified("moved"), 1h);  // 40 min * 1.5, capped
  s.Resume("moved-2", 40min);
  EXPECT_EQ(s.AfterListing("moved-2", {"a"}, &f), 40min);  // no entries to compare
  EXPECT_EQ(f, PollFinding::kFirst);
  s.Resume("tiny", 1s);
  EXPECT_EQ(s.AfterFailure("tiny"), 2min);  // clamped up to 1 min, doubled
  s.Resume("moved", 5min);  // remembered: ignored
  EXPECT_EQ(s.AfterNotModified("moved"), 1h);
}

}  // namespace
}  // namespace crawlstream::fetcher
