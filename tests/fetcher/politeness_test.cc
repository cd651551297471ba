#include "services/fetcher/politeness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <vector>

namespace crawlstream::fetcher {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(PolitenessTest, MinDelayBetweenRequestsToOneHost) {
  FakeClock clock;
  PolitenessScheduler s(clock);
  s.Enqueue("a", 1);
  s.Enqueue("a", 2);
  auto first = s.PopReady();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->id, 1u);
  EXPECT_FALSE(s.PopReady());  // one connection per host
  clock.Advance(milliseconds(200));
  s.Complete("a");
  EXPECT_FALSE(s.PopReady());
  ASSERT_TRUE(s.NextWakeup());
  EXPECT_EQ(*s.NextWakeup(), clock.Now() + seconds(1));  // delay counts from completion
  clock.Advance(milliseconds(999));
  EXPECT_FALSE(s.PopReady());
  clock.Advance(milliseconds(1));
  auto second = s.PopReady();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, 2u);
}

// After partitions move to this instance, a host it has not contacted
// since waits one delay from the assignment (its previous owner may have
// just contacted it); hosts contacted since, and hosts with work queued
// across the assignment, keep their own clocks; without an assignment a
// new host is served at once.
TEST(PolitenessTest, HostsTakenOverWaitOneDelayFromTheAssignment) {
  FakeClock clock;
  PolitenessScheduler s(clock);
  s.Enqueue("known", 1);  // contacted long before the assignment
  ASSERT_TRUE(s.PopReady());
  s.Complete("known");
  s.Enqueue("busy", 2);
  s.Enqueue("busy", 3);
  ASSERT_TRUE(s.PopReady());  // busy/2 in flight, busy/3 queued
  clock.Advance(seconds(10));
  s.Complete("busy");  // busy/3 may go at 11 s: its own delay

  s.NoteAssignment();  // at 10 s
  s.Enqueue("new", 4);
  s.Enqueue("known", 5);
  std::vector<uint64_t> at10;
  while (auto r = s.PopReady()) at10.push_back(r->id);
  EXPECT_TRUE(at10.empty()) << at10.size() << " served at the assignment";
  clock.Advance(milliseconds(999));
  EXPECT_FALSE(s.PopReady());
  clock.Advance(milliseconds(1));  // 11 s: one delay after the assignment
  std::vector<uint64_t> at11;
  while (auto r = s.PopReady()) at11.push_back(r->id);
  std::sort(at11.begin(), at11.end());
  EXPECT_EQ(at11, (std::vector<uint64_t>{3, 4, 5}));

  // Contacted since the assignment: the usual delay only.
  s.Complete("new");
  clock.Advance(seconds(1));
  s.Enqueue("new", 6);
  auto again = s.PopReady();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, 6u);

  // A host first seen well after the assignment is served at once.
  clock.Advance(seconds(5));
  s.Enqueue("later", 7);
  auto later = s.PopReady();
  ASSERT_TRUE(later);
  EXPECT_EQ(later->id, 7u);

  // No assignment noted: a new host at once (the scheduler's default).
  FakeClock fresh_clock;
  PolitenessScheduler fresh(fresh_clock);
  fresh.Enqueue("x", 8);
  EXPECT_TRUE(fresh.PopReady());
}

TEST(PolitenessTest, HostsAreIndependent) {
  FakeClock clock;
  PolitenessScheduler s(clock);
  s.Enqueue("a", 1);
  s.Enqueue("a", 2);
  s.Enqueue("b", 3);
  auto x = s.PopReady();
  auto y = s.PopReady();
  ASSERT_TRUE(x && y);
  EXPECT_NE(x->host, y->host);
  EXPECT_FALSE(s.PopReady());
  EXPECT_EQ(s.in_flight(), 2u);
  EXPECT_EQ(s.queued(), 1u);
}

TEST(PolitenessTest, CrawlDelayIsHonouredAndCapped) {
  FakeClock clock;
  PolitenessOptions options;
  options.max_crawl_delay = seconds(10);
  PolitenessScheduler s(clock, options);
  s.SetCrawlDelay("a", 5.0);
  s.SetCrawlDelay("b", 3600.0);
  s.SetCrawlDelay("c", 0.25);
  EXPECT_EQ(s.DelayFor("a"), seconds(5));
  EXPECT_EQ(s.DelayFor("b"), seconds(10));
  EXPECT_EQ(s.DelayFor("c"), milliseconds(250));
  EXPECT_EQ(s.DelayFor("unknown"), seconds(1));
  s.SetCrawlDelay("a", std::nullopt);
  EXPECT_EQ(s.DelayFor("a"), seconds(1));

  s.Enqueue("b", 1);
  s.Enqueue("b", 2);
  ASSERT_TRUE(s.PopReady());
  s.Complete("b");
  clock.Advance(seconds(9));
  EXPECT_FALSE(s.PopReady());
  clock.Advance(seconds(1));
  EXPECT_TRUE(s.PopReady());
}

TEST(PolitenessTest, MaxConnectionsPerHost) {
  FakeClock clock;
  PolitenessOptions options;
  options.max_connections_per_host = 2;
  options.default_delay = seconds(0);
  PolitenessScheduler s(clock, options);
  for (uint64_t i = 0; i < 5; ++i) s.Enqueue("a", i);
  EXPECT_TRUE(s.PopReady());
  EXPECT_TRUE(s.PopReady());
  EXPECT_FALSE(s.PopReady());
  s.Complete("a");
  EXPECT_TRUE(s.PopReady());
  EXPECT_FALSE(s.PopReady());
}

TEST(PolitenessTest, GlobalConcurrencyLimit) {
  FakeClock clock;
  PolitenessOptions options;
  options.global_concurrency = 2;
  PolitenessScheduler s(clock, options);
  s.Enqueue("a", 1);
  s.Enqueue("b", 2);
  s.Enqueue("c", 3);
  EXPECT_TRUE(s.PopReady());
  EXPECT_TRUE(s.PopReady());
  EXPECT_FALSE(s.PopReady());
  EXPECT_FALSE(s.NextWakeup());  // woken by a completion, not by time
  s.Complete("a");
  auto third = s.PopReady();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->host, "c");
}

TEST(PolitenessTest, PauseUntilRetryAfter) {
  FakeClock clock;
  PolitenessScheduler s(clock);
  s.Enqueue("a", 1);
  s.PauseUntil("a", clock.Now() + seconds(120));
  EXPECT_FALSE(s.PopReady());
  EXPECT_EQ(*s.NextWakeup(), clock.Now() + seconds(120));
  s.PauseUntil("a", clock.Now() + seconds(10));  // never shortens
  clock.Advance(seconds(119));
  EXPECT_FALSE(s.PopReady());
  clock.Advance(seconds(1));
  EXPECT_TRUE(s.PopReady());
}

TEST(PolitenessTest, PauseIsCapped) {
  FakeClock clock;
  PolitenessOptions options;
  options.max_pause = seconds(60);
  PolitenessScheduler s(clock, options);
  s.Enqueue("a", 1);
  s.PauseUntil("a", clock.Now() + std::chrono::hours(48));
  EXPECT_EQ(*s.NextWakeup(), clock.Now() + seconds(60));
}

TEST(PolitenessTest, ServesHostsInReadyOrder) {
  FakeClock clock;
  PolitenessScheduler s(clock);
  s.Enqueue("late", 1);
  s.PauseUntil("late", clock.Now() + seconds(5));
  s.Enqueue("early", 2);
  s.PauseUntil("early", clock.Now() + seconds(2));
  clock.Advance(seconds(10));
  EXPECT_EQ(s.PopReady()->host, "early");
  EXPECT_EQ(s.PopReady()->host, "late");
}

TEST(PolitenessTest, PruneForgetsIdleHosts) {
  FakeClock clock;
  PolitenessScheduler s(clock);
  s.Enqueue("a", 1);
  ASSERT_TRUE(s.PopReady());
  s.Complete("a");
  s.Prune();
  s.Enqueue("a", 2);
  EXPECT_FALSE(s.PopReady());  // delay still remembered
  clock.Advance(seconds(2));
  ASSERT_TRUE(s.PopReady());
  s.Complete("a");
  clock.Advance(seconds(2));
  s.Prune();
  EXPECT_EQ(s.QueuedFor("a"), 0u);
}

TEST(RetryPolicyTest, ExponentialBackoffWithJitterUpToMaxAttempts) {
  RetryOptions options;
  options.max_attempts = 4;
  options.base_delay = seconds(2);
  options.max_delay = seconds(6);
  double next = 0.0;
  RetryPolicy policy(options, [&] { return next; });
  // Lower bound of the jitter: d/2.
  EXPECT_EQ(*policy.NextDelay(1), seconds(1));
  EXPECT_EQ(*policy.NextDelay(2), seconds(2));
  EXPECT_EQ(*policy.NextDelay(3), seconds(3));  // capped d = 6
  EXPECT_FALSE(policy.NextDelay(4));
  next = 0.999999;
  EXPECT_NEAR(std::chrono::duration<double>(*policy.NextDelay(2)).count(), 4.0, 1e-3);
}

TEST(RetryPolicyTest, JitterStaysWithinBounds) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  RetryPolicy policy({10, seconds(1), seconds(60)}, [&] { return dist(rng); });
  for (int attempt = 1; attempt < 10; ++attempt) {
    double d = std::min(std::ldexp(1.0, attempt - 1), 60.0);
    double got = std::chrono::duration<double>(*policy.NextDelay(attempt)).count();
    EXPECT_GE(got, d / 2 - 1e-9);
    EXPECT_LE(got, d + 1e-9);
  }
}

TEST(RetryAfterTest, ParsesDeltaSecondsAndHttpDates) {
  using namespace std::chrono;
  const system_clock::time_point now = sys_days(year(1994) / 11 / 6) + hours(8) + minutes(49);
  const struct {
    const char* value;
    std::optional<seconds> expected;
  } cases[] = {
      {"120", seconds(120)},
      {" 0 ", seconds(0)},
      {"Sun, 06 Nov 1994 08:49:37 GMT", seconds(37)},
      {"Sunday, 06-Nov-94 08:49:37 GMT", seconds(37)},
      {"Sun Nov  6 08:49:37 1994", seconds(37)},
      {"Sun, 06 Nov 1994 09:49:00 GMT", seconds(3600)},
      {"Sat, 05 Nov 1994 08:00:00 GMT", seconds(0)},  // past
      {"-5", std::nullopt},
      {"1.5", std::nullopt},
      {"soon", std::nullopt},
      {"", std::nullopt},
      {"Sun, 31 Feb 1994 08:49:37 GMT", std::nullopt},
      {"Sun, 06 Nov 1994 25:49:37 GMT", std::nullopt},
      {"Sun, 06 Foo 1994 08:49:37 GMT", std::nullopt},
      {"Sun, 06 Nov 9999 08:49:37 GMT", std::nullopt},  // would overflow system_clock
      {"Sun, 06 Nov 0001 08:49:37 GMT", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ParseRetryAfter(c.value, now), c.expected) << "value: '" << c.value << "'";
  }
}

}  // namespace
}  // namespace crawlstream::fetcher

namespace crawlstream::fetcher {
namespace {

TEST(PolitenessTest, ReleaseDoesNotRestartDelay) {
  FakeClock clock;
  PolitenessScheduler s(clock);
  s.Enqueue("a", 1);
  s.Enqueue("a", 2);
  ASSERT_TRUE(s.PopReady());
  s.Release("a");  // e.g. refused by robots.txt: nothing was sent
  EXPECT_TRUE(s.PopReady());
}

TEST(PolitenessTest, EnqueueFrontGoesFirst) {
  FakeClock clock;
  PolitenessOptions options;
  options.default_delay = std::chrono::seconds(0);
  PolitenessScheduler s(clock, options);
  s.Enqueue("a", 1);
  s.EnqueueFront("a", 2);
  EXPECT_EQ(s.PopReady()->id, 2u);
}

// Work handed back (its partition revoked) leaves the queues; the rest is
// served in order and a host left empty is no longer scheduled.
TEST(PolitenessTest, RemoveIfTakesWorkOutOfTheQueues) {
  FakeClock clock;
  PolitenessScheduler s(clock);
  s.Enqueue("a", 1);
  s.Enqueue("a", 2);
  s.Enqueue("a", 3);
  s.Enqueue("b", 4);
  EXPECT_EQ(s.RemoveIf([](uint64_t id) { return id == 1 || id == 4; }), 2u);
  EXPECT_EQ(s.queued(), 2u);
  EXPECT_EQ(s.QueuedFor("b"), 0u);
  auto first = s.PopReady();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->id, 2u);
  EXPECT_FALSE(s.PopReady()) << "b has nothing left";
}

// Due-queue age: zero while there is a free slot, then how long the most
// overdue host has waited for one.
TEST(PolitenessTest, OverdueGrowsOnlyWhileSlotsAreUsedUp) {
  FakeClock clock;
  PolitenessOptions options;
  options.global_concurrency = 1;
  PolitenessScheduler s(clock, options);
  s.Enqueue("a", 1);
  s.Enqueue("b", 2);
  EXPECT_EQ(s.Overdue(), Duration::zero());
  ASSERT_TRUE(s.PopReady());
  clock.Advance(seconds(3));
  EXPECT_EQ(s.Overdue(), seconds(3)) << "b has been due for 3 s without a slot";
  s.Complete("a");
  ASSERT_TRUE(s.PopReady());
  EXPECT_EQ(s.Overdue(), Duration::zero());
}

}  // namespace
}  // namespace crawlstream::fetcher
