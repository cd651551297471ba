// The crawl engine against tests/fetcher/hostile_server.py: every hostile
// case ends with the right outcome (a page, or a dead letter naming the
// reason) and the request's `done` callback, so nothing is lost. Time for
// politeness and retries comes from a fake clock advanced by the test.
#include "services/fetcher/crawler.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <mutex>

#include "crawlstream/v1/crawl_state.pb.h"
#include "services/fetcher/state_store.h"
#include "tests/fetcher/hostile_server.h"

namespace crawlstream::fetcher {
namespace {

using test_support::HostileServer;
using namespace std::chrono_literals;
using crawlstream::v1::CrawlRequest;

// Records everything the crawler emits; acknowledges at once.
class RecordingOutput final : public CrawlOutput {
 public:
  std::string EmitPage(const crawlstream::v1::FetchedPage& page, Acked acked) override {
    std::lock_guard lock(mu);
    pages.push_back(page);
    acked(ack_pages);
    return "";
  }
  void EmitRequest(const CrawlRequest& request, Acked acked) override {
    std::lock_guard lock(mu);
    requests.push_back(request);
    acked(true);
  }
  void EmitDeadLetter(const CrawlRequest& request, const std::string& reason,
                      const std::string& detail, int attempts, Acked acked) override {
    std::lock_guard lock(mu);
    dead[request.url()] = reason;
    details[request.url()] = detail;
    dead_attempts[request.url()] = attempts;
    acked(true);
  }
  void EmitState(uint64_t source, const std::string& url, const std::string& value,
                 Acked acked) override {
    std::lock_guard lock(mu);
    changelog.push_back({source, url, value});
    if (ack_states) {
      acked(true);
    } else {
      state_acks.push_back(std::move(acked));
    }
  }
  struct StateRecord {
    uint64_t source;
    std::string url;
    std::string value;
  };
  std::vector<StateRecord> changelog;  // every EmitState, in order
  bool ack_states = true;              // false: kept in state_acks
  std::vector<Acked> state_acks;
  std::mutex mu;
  bool ack_pages = true;  // false: the broker "refuses" every page
  std::vector<crawlstream::v1::FetchedPage> pages;
  std::vector<CrawlRequest> requests;
  std::map<std::string, std::string> dead, details;
  std::map<std::string, int> dead_attempts;
};

class CrawlerTest : public ::testing::Test {
 protected:
  void Start(const std::string& robots_mode, int max_attempts = 3,
             const std::function<void(CrawlerOptions&)>& adjust = nullptr) {
    if (!server_) server_ = std::make_unique<HostileServer>(robots_mode);  // kept by restarts
    ASSERT_GT(server_->port(), 0);
    CrawlerOptions o;
    o.allow_cidrs = {"127.0.0.1/32"};
    o.http.total_timeout = 3s;
    o.http.low_speed_time = 2s;
    o.http.max_body_bytes = 1 << 20;
    o.retry.max_attempts = max_attempts;
    o.retry.base_delay = 1s;
    if (adjust) adjust(o);
    auto c = Crawler::Create(o, &out_, registry_, &clock_, state_);
    ASSERT_TRUE(c) << c.error().message;
    crawler_ = std::move(*c);
  }
  // The sum of a counter's series with label=value (all series when no
  // label is given), 0 when there are none.
  double CounterValue(const std::string& family, const std::string& label = "",
                      const std::string& value = "") {
    double sum = 0;
    for (const auto& f : registry_->Collect()) {
      if (f.name != family) continue;
      for (const auto& m : f.metric) {
        bool match = label.empty();
        for (const auto& l : m.label) match |= l.name == label && l.value == value;
        if (match) sum += m.counter.value;
      }
    }
    return sum;
  }
  // Submits a URL; returns a flag set when its request is finished. Its
  // outcome goes to outcomes_[url] ("outcome/reason").
  std::shared_ptr<bool> Submit(const std::string& url, bool refetch = false, uint64_t source = 0) {
    auto done = std::make_shared<bool>(false);
    CrawlRequest req;
    req.set_url(url);
    req.set_refetch(refetch);
    crawler_->Submit(
        req,
        [this, done, url](const CrawlOutcome& o) {
          std::lock_guard lock(outcomes_mu_);
          outcomes_[url].push_back(o.outcome + "/" + o.reason);
          *done = true;
        },
        source);
    return done;
  }
  double GaugeValue(const std::string& family) {
    for (const auto& f : registry_->Collect()) {
      if (f.name == family && !f.metric.empty()) return f.metric[0].gauge.value;
    }
    return -1;
  }
  std::vector<std::string> Outcomes(const std::string& url) {
    std::lock_guard lock(outcomes_mu_);
    return outcomes_[url];
  }
  // Runs the loop until idle, advancing the fake clock so that delays and
  // retries pass; the real-time bound only guards against a hang.
  void RunUntilIdle() {
    auto guard = std::chrono::steady_clock::now() + 60s;
    while (!crawler_->Idle() && std::chrono::steady_clock::now() < guard) {
      crawler_->Tick(10ms);
      clock_.Advance(2s);
    }
    ASSERT_TRUE(crawler_->Idle()) << "crawler did not drain";
  }

  FakeClock clock_;
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  RecordingOutput out_;
  std::mutex outcomes_mu_;
  std::map<std::string, std::vector<std::string>> outcomes_;
  std::unique_ptr<HostileServer> server_;
  StateStore* state_ = nullptr;  // crawl state for the crawler Start() makes
  std::unique_ptr<Crawler> crawler_;
};

// The crawl state across a restart: a store restored from the changelog
// the crawler wrote (crawler.h, crawl state).
class CrawlStateTest : public CrawlerTest {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("crawlstream-crawler-state-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override {
    crawler_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A new store (as a restarted fetcher opens it), partition 0 restored
  // from what the crawler emitted so far; a new crawler on it with fresh
  // metrics and no memory of its own.
  void Restart(const std::function<void(CrawlerOptions&)>& adjust = nullptr) {
    crawler_.reset();
    store_.reset();
    auto store = StateStore::Open(dir_.string());
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    store_->BeginRestore(0);
    for (const auto& r : out_.changelog) {
      ASSERT_EQ(r.source, 1u);  // source 1 = partition 0
      ASSERT_TRUE(store_->Restore(0, r.url, r.value, false));
    }
    ASSERT_TRUE(store_->FinishRestore(0));
    state_ = store_.get();
    registry_ = std::make_shared<prometheus::Registry>();
    Start("404", 3, adjust);
  }
  crawlstream::v1::UrlState LastState(const std::string& url) {
    crawlstream::v1::UrlState s;
    for (const auto& r : out_.changelog) {
      if (r.url == url) {
        EXPECT_TRUE(s.ParseFromString(r.value));
      }
    }
    return s;
  }

  std::filesystem::path dir_;
  std::unique_ptr<StateStore> store_;
};

TEST_F(CrawlStateTest, DoneRunsOnlyOnceTheStateIsAcknowledged) {
  Restart();
  out_.ack_states = false;
  const std::string url = server_->Url("/etag");
  auto done = Submit(url, false, 1);
  auto guard = std::chrono::steady_clock::now() + 30s;
  while (out_.state_acks.empty() && std::chrono::steady_clock::now() < guard) {
    crawler_->Tick(10ms);
    clock_.Advance(2s);
  }
  ASSERT_EQ(out_.state_acks.size(), 1u);
  ASSERT_EQ(out_.pages.size(), 1u);  // the page went out first
  EXPECT_FALSE(*done);
  EXPECT_FALSE(crawler_->Idle());
  out_.state_acks[0](true);
  EXPECT_TRUE(*done);
  EXPECT_TRUE(crawler_->Idle());
  EXPECT_EQ(crawler_->stats().states.load(), 1);
  auto s = LastState(url);
  EXPECT_EQ(s.outcome(), "processed");
  EXPECT_EQ(s.http_status(), 200u);
  EXPECT_EQ(s.etag(), "\"v1\"");
  EXPECT_EQ(s.last_modified(), "Fri, 05 Jul 2024 05:53:00 GMT");
  EXPECT_EQ(s.content_hash().size(), 64u);
  EXPECT_TRUE(s.has_first_seen());
  EXPECT_FALSE(s.has_next_due());  // revisit_interval 0: never due
}

TEST_F(CrawlStateTest, AFetchedPageIsNotFetchedAgainAfterARestartUntilDue) {
  Restart();
  const std::string url = server_->Url("/etag");
  Submit(url, false, 1);
  RunUntilIdle();
  ASSERT_EQ(out_.pages.size(), 1u);
  ASSERT_EQ(out_.changelog.size(), 1u);

  // Restarted: the state comes back from the changelog; no fetch at all.
  Restart();
  auto done = Submit(url, false, 1);
  RunUntilIdle();
  EXPECT_TRUE(*done);
  EXPECT_EQ(Outcomes(url).back(), "skipped/duplicate");
  EXPECT_EQ(CounterValue("crawlstream_fetch_requests_total", "outcome", "ok"), 0);
  EXPECT_EQ(crawler_->stats().known.load(), 1);
  EXPECT_EQ(out_.pages.size(), 1u);
  EXPECT_EQ(out_.changelog.size(), 1u);  // a skip writes no state

  // Due (revisit_interval passed): fetched with the stored validators; the
  // server answers 304 and the state keeps them, one revisit more.
  Restart([](CrawlerOptions& o) { o.revisit_interval = 1h; });
  Submit(url, false, 1);  // fetched seconds ago: not due yet
  RunUntilIdle();
  EXPECT_EQ(Outcomes(url).back(), "skipped/duplicate");
  clock_.Advance(2h);
  Submit(url, false, 1);
  RunUntilIdle();
  EXPECT_EQ(Outcomes(url).back(), "skipped/not_modified");  // 304: nothing sent again
  Submit(url, false, 1);  // fetched just now: not due yet
  RunUntilIdle();
  EXPECT_EQ(Outcomes(url).back(), "skipped/duplicate");
  EXPECT_EQ(CounterValue("crawlstream_fetch_not_modified_total"), 1);
  EXPECT_EQ(out_.pages.size(), 1u);
  auto s = LastState(url);
  EXPECT_EQ(s.revisit_count(), 1u);
  EXPECT_EQ(s.http_status(), 304u);
  EXPECT_EQ(s.etag(), "\"v1\"");
  EXPECT_EQ(s.content_hash().size(), 64u);
  EXPECT_TRUE(s.has_next_due());
}

TEST_F(CrawlStateTest, FeedsAreReadAgainAfterARestartWithTheirValidators) {
  Restart();
  const std::string url = server_->Url("/etag");
  auto submit_feed = [&] {
    CrawlRequest req;
    req.set_url(url);
    req.set_kind(CrawlRequest::KIND_FEED);
    crawler_->Submit(req, [this, url](const CrawlOutcome& o) {
      std::lock_guard lock(outcomes_mu_);
      outcomes_[url].push_back(o.outcome + "/" + o.reason);
    }, 1);
  };
  submit_feed();
  RunUntilIdle();
  ASSERT_EQ(out_.changelog.size(), 1u);  // fetched (not a feed after all: dead-lettered)
  Restart();
  submit_feed();  // a listing is never skipped for its state...
  RunUntilIdle();
  EXPECT_EQ(Outcomes(url).back(), "skipped/not_modified");  // ...and asks conditionally
  EXPECT_EQ(crawler_->stats().known.load(), 0);
  EXPECT_EQ(LastState(url).revisit_count(), 1u);
}

TEST_F(CrawlStateTest, AUrlThatRanOutOfRetriesIsTriedAgainButA404IsNot) {
  Restart();
  const std::string flaky = server_->Url("/500");
  const std::string gone = server_->Url("/missing-page");
  Submit(flaky, false, 1);
  Submit(gone, false, 1);
  RunUntilIdle();
  ASSERT_EQ(Outcomes(flaky).back(), "dead_letter/max_retries");
  ASSERT_EQ(Outcomes(gone).back(), "dead_letter/http_404");
  EXPECT_EQ(LastState(gone).http_status(), 404u);
  Restart();
  Submit(flaky, false, 1);
  Submit(gone, false, 1);
  RunUntilIdle();
  EXPECT_EQ(Outcomes(flaky).back(), "dead_letter/max_retries");  // tried again
  EXPECT_EQ(Outcomes(gone).back(), "skipped/duplicate");         // settled
}

TEST_F(CrawlStateTest, RefetchesAndRequestsWithoutAPartitionAreFetched) {
  Restart();
  const std::string url = server_->Url("/ok");
  Submit(url, false, 1);
  RunUntilIdle();
  ASSERT_EQ(out_.pages.size(), 1u);
  Restart();
  Submit(url, /*refetch=*/true, 1);  // asked for again (a repoll, a refetch)
  RunUntilIdle();
  EXPECT_EQ(out_.pages.size(), 2u);
  Restart();
  Submit(url, false, /*source=*/2);  // partition 1: not owned, no state
  RunUntilIdle();
  EXPECT_EQ(out_.pages.size(), 3u);
  EXPECT_EQ(out_.changelog.size(), 2u);  // nothing recorded for partition 1
}

// Issue 13 item 3: pages are revisited by the fetcher itself on a back-off
// (1h, then 2h after that), across a restart; a revisit that finds the
// same body sends nothing on, one that finds a correction sends the page
// again; then the revisits are used up.
TEST_F(CrawlStateTest, PagesAreRevisitedOnABackoffAndOnlyChangesGoOn) {
  auto options = [](CrawlerOptions& o) {
    o.revisit_interval = 1h;
    o.revisits = 2;
  };
  Restart(options);
  const std::string url = server_->Url("/edited");
  Submit(url, false, 1);
  RunUntilIdle();
  ASSERT_EQ(out_.pages.size(), 1u);
  EXPECT_TRUE(LastState(url).has_next_due());
  EXPECT_EQ(LastState(url).kind(), CrawlRequest::KIND_PAGE);
  auto fetches = [&] { return CounterValue("crawlstream_fetch_requests_total", "outcome", "ok"); };
  auto revisits = [&](const std::string& finding) {
    return CounterValue("crawlstream_fetch_revisits_total", "finding", finding);
  };
  // Passes a span of fake time in steps of a minute, ticking each time.
  auto pass = [&](std::chrono::minutes span) {
    for (auto t = 0min; t < span; t += 1min) {
      clock_.Advance(1min);
      crawler_->Tick(0ms);
    }
    RunUntilIdle();
  };

  Restart(options);  // the schedule comes back with the state
  EXPECT_EQ(state_->ScheduledUrls(), 1);
  pass(55min);
  EXPECT_EQ(fetches(), 0);
  pass(10min);  // first revisit, about 1 h after the fetch: same body
  EXPECT_EQ(fetches(), 1);
  EXPECT_EQ(revisits("unchanged"), 1);
  EXPECT_EQ(out_.pages.size(), 1u);
  EXPECT_EQ(LastState(url).revisit_count(), 1u);
  EXPECT_EQ(LastState(url).changes(), 0u);

  pass(110min);  // the next one waits 2 h
  EXPECT_EQ(fetches(), 1);
  pass(15min);  // second revisit: corrected
  EXPECT_EQ(fetches(), 2);
  EXPECT_EQ(revisits("changed"), 1);
  ASSERT_EQ(out_.pages.size(), 2u);
  EXPECT_NE(out_.pages[1].body().find("Version 2"), std::string::npos);
  auto s = LastState(url);
  EXPECT_EQ(s.revisit_count(), 2u);
  EXPECT_EQ(s.changes(), 1u);
  EXPECT_FALSE(s.has_next_due());  // revisits used up

  pass(600min);
  EXPECT_EQ(fetches(), 2);
  EXPECT_EQ(out_.pages.size(), 2u);
}

// A revisit in flight belongs to its state partition: revoked with it (the
// next owner has the same schedule), nothing emitted.
TEST_F(CrawlStateTest, RevisitsAreHandedBackWithTheirPartition) {
  auto options = [](CrawlerOptions& o) { o.revisit_interval = 1h; };
  Restart(options);
  const std::string url = server_->Url("/edited");
  Submit(url, false, 1);
  RunUntilIdle();
  ASSERT_EQ(out_.pages.size(), 1u);
  clock_.Advance(61min);
  crawler_->Hold(true);  // so that it stays queued (a local fetch is quick)
  crawler_->Tick(0ms);   // submits the revisit
  EXPECT_EQ(crawler_->outstanding(), 1);
  auto other = crawler_->Revoke({2});  // another partition: not touched
  EXPECT_EQ(other.queued + other.in_flight, 0u);
  auto r = crawler_->Revoke({1});
  EXPECT_EQ(r.queued, 1u);
  crawler_->Hold(false);
  RunUntilIdle();
  EXPECT_EQ(out_.pages.size(), 1u);
  EXPECT_EQ(CounterValue("crawlstream_fetch_revisits_total"), 0);
}

// A seed feed's next poll and its interval are kept in the crawl state: a
// restarted crawler (no schedule in memory) polls it when it is due, not
// before, and goes on from the interval it had reached.
TEST_F(CrawlStateTest, SeedFeedPollsAreScheduledInTheState) {
  auto options = [](CrawlerOptions& o) {
    o.repoll_interval = 10min;
    o.repoll_min = 1min;
    o.repoll_max = 1h;
  };
  Restart(options);
  CrawlRequest req;
  req.set_url(server_->Url("/news-feed"));
  req.set_kind(CrawlRequest::KIND_FEED);
  crawler_->Submit(req, nullptr, 1);
  RunUntilIdle();
  auto polls = [&] { return CounterValue("crawlstream_fetch_listing_polls_total"); };
  ASSERT_EQ(polls(), 1);
  ASSERT_TRUE(LastState(req.url()).has_next_due());
  EXPECT_EQ(LastState(req.url()).kind(), CrawlRequest::KIND_FEED);
  EXPECT_EQ(LastState(req.url()).repoll_interval_ms(), 600'000u);  // 10 min

  Restart(options);
  clock_.Advance(8min);
  for (int i = 0; i < 5; ++i) crawler_->Tick(0ms);
  EXPECT_EQ(polls(), 0);
  clock_.Advance(3min);
  crawler_->Tick(0ms);
  RunUntilIdle();
  EXPECT_EQ(polls(), 1);  // the second poll: 304, the interval grows by half
  EXPECT_EQ(CounterValue("crawlstream_fetch_listing_polls_total", "finding", "not_modified"), 1);
  EXPECT_EQ(LastState(req.url()).revisit_count(), 1u);
  EXPECT_EQ(LastState(req.url()).repoll_interval_ms(), 900'000u);

  // A third owner goes on from 15 min, not from 10: the feed gained an
  // item (a 200), which it cannot tell from the entries it never saw, so
  // the interval stays where the previous owner left it.
  Restart(options);
  clock_.Advance(16min);
  crawler_->Tick(0ms);
  RunUntilIdle();
  EXPECT_EQ(polls(), 1);
  EXPECT_EQ(CounterValue("crawlstream_fetch_listing_polls_total", "finding", "first"), 1);
  const auto s = LastState(req.url());
  EXPECT_EQ(s.repoll_interval_ms(), 900'000u);
  EXPECT_EQ(s.next_due().seconds() - s.last_fetched().seconds(), 900);
}

TEST_F(CrawlerTest, HostileCasesEndWithTheRightOutcome) {
  Start("404");
  struct Case {
    std::string path;
    std::string dead_reason;  // empty: a page is expected
  };
  const std::vector<Case> cases = {
      {"/ok", ""},
      {"/gbk", ""},
      {"/gzip", ""},
      {"/redirect-chain", ""},
      {"/redirect-private", "ssrf_refused"},
      {"/redirect-metadata", "ssrf_refused"},
      {"/redirect-loop", "too_many_redirects"},
      {"/gzip-bomb", "oversize"},
      {"/big", "oversize"},
      {"/slow", "max_retries"},
      {"/reset", "max_retries"},
      {"/broken-chunked", "fetch_failed:protocol"},  // malformed: not retried
      {"/500", "max_retries"},
      {"/429", "max_retries"},
      {"/nope", "http_404"},
      // Issue 14: oversize responses are permanent, never retried.
      {"/redirect-endless-body", "oversize"},
      {"/trailer-flood", "headers_too_large"},
      {"/header-flood", "headers_too_large"},
      {"/continue-flood", "headers_too_large"},
      {"/huge-header-line", "headers_too_large"},
  };
  std::vector<std::shared_ptr<bool>> done;
  for (const auto& c : cases) done.push_back(Submit(server_->Url(c.path)));
  RunUntilIdle();
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    std::string url = server_->Url(c.path);
    EXPECT_TRUE(*done[i]) << c.path << " never finished";
    // Issue 15: the outcome the fetcher counts in
    // crawlstream_stage_records_total, so the dead-letter alert sees it.
    ASSERT_EQ(Outcomes(url).size(), 1u) << c.path;
    if (c.dead_reason.empty()) {
      EXPECT_EQ(Outcomes(url)[0], "processed/") << c.path;
    } else {
      EXPECT_EQ(Outcomes(url)[0], "dead_letter/" + out_.dead[url]) << c.path;
    }
    if (c.dead_reason.empty()) {
      bool found = false;
      for (const auto& p : out_.pages) found |= p.requested_url() == url;
      EXPECT_TRUE(found) << c.path << ": no page; dead letter " << out_.dead[url] << " "
                         << out_.details[url];
    } else {
      EXPECT_EQ(out_.dead[url].substr(0, c.dead_reason.size()), c.dead_reason)
          << c.path << ": " << out_.details[url];
    }
  }
  // Transient failures were retried up to the configured attempts.
  EXPECT_EQ(out_.dead_attempts[server_->Url("/500")], 3);
  // Limits: one attempt each, counted by the limit they hit.
  for (const char* path : {"/redirect-endless-body", "/trailer-flood", "/header-flood",
                           "/continue-flood", "/huge-header-line"}) {
    EXPECT_EQ(out_.dead_attempts[server_->Url(path)], 1) << path;
  }
  EXPECT_EQ(CounterValue("crawlstream_fetch_limit_hits_total", "limit", "max_redirect_body_bytes"), 1);
  EXPECT_EQ(CounterValue("crawlstream_fetch_limit_hits_total", "limit", "max_header_bytes"), 4);
  EXPECT_EQ(CounterValue("crawlstream_fetch_limit_hits_total", "limit", "max_body_bytes"), 2);
  EXPECT_EQ(CounterValue("crawlstream_fetch_requests_total", "outcome", "headers_too_large"), 4);
  // The GBK page is passed on byte for byte (the extractor decodes it).
  for (const auto& p : out_.pages) {
    if (p.requested_url() == server_->Url("/gbk")) {
      EXPECT_EQ(p.content_type(), "text/html");
      EXPECT_NE(p.body().find("\xd0\xc2\xce\xc5"), std::string::npos);  // 新闻 in GBK
    }
    if (p.requested_url() == server_->Url("/redirect-chain")) {
      EXPECT_EQ(p.redirect_chain_size(), 2);
      EXPECT_EQ(p.final_url(), server_->Url("/ok"));
    }
  }
}

TEST_F(CrawlerTest, RobotsServerErrorDisallowsThenGivesUp) {
  Start("500", /*max_attempts=*/2);
  auto done = Submit(server_->Url("/ok"));
  RunUntilIdle();
  EXPECT_TRUE(*done);
  EXPECT_TRUE(out_.pages.empty());
  EXPECT_EQ(out_.dead[server_->Url("/ok")], "max_retries");
  EXPECT_NE(out_.details[server_->Url("/ok")].find("robots.txt unreachable"), std::string::npos);
}

TEST_F(CrawlerTest, RobotsRulesAreAppliedAfterARedirect) {
  Start("redirect");  // /robots.txt -> /robots-plain: Disallow: /private
  auto allowed = Submit(server_->Url("/ok"));
  auto denied = Submit(server_->Url("/private/x"));
  RunUntilIdle();
  EXPECT_TRUE(*allowed && *denied);
  ASSERT_EQ(out_.pages.size(), 1u);
  EXPECT_EQ(out_.dead[server_->Url("/private/x")], "robots_denied");
  EXPECT_EQ(Outcomes(server_->Url("/private/x")), std::vector<std::string>{"dead_letter/robots_denied"});
}

TEST_F(CrawlerTest, BigRobotsFileIsParsedUpToTheCap) {
  Start("big");  // 600 KiB: "/early" disallowed at the top, "/late" past 512 KiB
  auto early = Submit(server_->Url("/early"));
  auto ok = Submit(server_->Url("/ok"));
  RunUntilIdle();
  EXPECT_TRUE(*early && *ok);
  EXPECT_EQ(out_.dead[server_->Url("/early")], "robots_denied");
  EXPECT_EQ(out_.pages.size(), 1u);
}

TEST_F(CrawlerTest, SeenUrlIsFetchedOnceUnlessRefetchAsked) {
  Start("404");
  auto a = Submit(server_->Url("/ok?utm_source=x"));
  auto b = Submit(server_->Url("/ok"));  // same URL after canonicalisation
  RunUntilIdle();
  EXPECT_TRUE(*a && *b);
  EXPECT_EQ(out_.pages.size(), 1u);
  EXPECT_EQ(Outcomes(server_->Url("/ok?utm_source=x")), std::vector<std::string>{"processed/"});
  EXPECT_EQ(Outcomes(server_->Url("/ok")), std::vector<std::string>{"skipped/duplicate"});
  auto c = Submit(server_->Url("/ok"), /*refetch=*/true);
  RunUntilIdle();
  EXPECT_TRUE(*c);
  EXPECT_EQ(out_.pages.size(), 2u);
}

// A duplicate of a request still in flight (the same URL redelivered after
// a rebalance) is done only after the first one's page is acknowledged:
// committing its offset must not commit past work a crash would lose.
TEST_F(CrawlerTest, DuplicateOfARequestInFlightWaitsForIt) {
  Start("404");
  auto first = Submit(server_->Url("/ok"));
  auto dup = Submit(server_->Url("/ok"));
  EXPECT_FALSE(*first);
  EXPECT_FALSE(*dup) << "the duplicate must wait for the first instance";
  RunUntilIdle();
  EXPECT_TRUE(*first && *dup);
  EXPECT_EQ(out_.pages.size(), 1u);
  EXPECT_EQ(Outcomes(server_->Url("/ok")),
            (std::vector<std::string>{"processed/", "skipped/duplicate"}));
  // Once the first is done, a later duplicate is done at once.
  auto late = Submit(server_->Url("/ok"));
  EXPECT_TRUE(*late);
}

TEST_F(CrawlerTest, DuplicateOfAFailedRequestIsNotDone) {
  Start("404");
  out_.ack_pages = false;
  auto first = Submit(server_->Url("/ok"));
  auto dup = Submit(server_->Url("/ok"));
  RunUntilIdle();
  EXPECT_FALSE(*first);
  EXPECT_FALSE(*dup) << "the first page was never acknowledged";
  EXPECT_EQ(crawler_->stats().failed_emissions.load(), 2);
}

// A revoked partition's requests are handed back before Revoke() returns:
// the one in flight is cancelled (no page, ever), the queued ones dropped,
// none is reported done (their offsets stay uncommitted), and their URLs
// leave the seen set so that the redelivery is fetched, not skipped as a
// duplicate. Requests of other sources carry on.
TEST_F(CrawlerTest, RevokeHandsBackQueuedAndInFlightRequests) {
  Start("404");
  const uint64_t kRevoked = 1, kKept = 2;
  auto slow = Submit(server_->Url("/slow"), false, kRevoked);
  // Until /slow is on the wire (robots.txt first).
  auto guard = std::chrono::steady_clock::now() + 10s;
  while (!(CounterValue("crawlstream_fetch_requests_total", "outcome", "robots") == 1 &&
           GaugeValue("crawlstream_fetch_inflight") == 1) &&
         std::chrono::steady_clock::now() < guard) {
    crawler_->Tick(10ms);
    clock_.Advance(2s);
  }
  ASSERT_EQ(GaugeValue("crawlstream_fetch_inflight"), 1) << "/slow never started";
  // Queued behind it (one connection per host).
  auto a = Submit(server_->Url("/ok?n=1"), false, kRevoked);
  auto b = Submit(server_->Url("/ok?n=2"), false, kKept);
  auto c = Submit(server_->Url("/ok?n=3"), false, kRevoked);

  RevokeResult handed = crawler_->Revoke({kRevoked});
  EXPECT_EQ(handed.in_flight, 1u);
  EXPECT_EQ(handed.queued, 2u);
  EXPECT_EQ(handed.duplicates, 0u);
  EXPECT_EQ(CounterValue("crawlstream_fetch_revoked_total", "state", "queued"), 2);
  EXPECT_EQ(CounterValue("crawlstream_fetch_revoked_total", "state", "in_flight"), 1);
  EXPECT_EQ(CounterValue("crawlstream_fetch_requests_total", "outcome", "cancelled"), 1);
  RunUntilIdle();
  EXPECT_FALSE(*slow || *a || *c) << "a revoked request must never be reported done";
  EXPECT_TRUE(*b);
  ASSERT_EQ(out_.pages.size(), 1u) << "only the kept source's page";
  EXPECT_NE(out_.pages[0].final_url().find("n=2"), std::string::npos);
  EXPECT_EQ(crawler_->stats().revoked.load(), 3);
  EXPECT_EQ(crawler_->outstanding(), 0);

  // The partition comes back: the redelivered request is fetched again.
  auto again = Submit(server_->Url("/ok?n=1"), false, kRevoked);
  RunUntilIdle();
  EXPECT_TRUE(*again);
  EXPECT_EQ(Outcomes(server_->Url("/ok?n=1")), std::vector<std::string>{"processed/"});
  EXPECT_EQ(out_.pages.size(), 2u);
}

// Duplicates follow their first instance (DuplicateOfARequestInFlightWaitsForIt):
// when that one is revoked, a duplicate from the same source goes with it,
// one from a source still owned takes its place and is fetched.
TEST_F(CrawlerTest, RevokeDropsDuplicatesOfItsRequestsOrPromotesThem) {
  Start("404");
  const std::string url = server_->Url("/ok?n=7");
  auto leader = Submit(url, false, 1);
  auto same_source = Submit(url, false, 1);
  auto other_source = Submit(url, false, 2);
  RevokeResult handed = crawler_->Revoke({1});
  EXPECT_EQ(handed.queued, 1u);
  EXPECT_EQ(handed.duplicates, 1u);
  RunUntilIdle();
  EXPECT_FALSE(*leader || *same_source);
  EXPECT_TRUE(*other_source);
  EXPECT_EQ(Outcomes(url), std::vector<std::string>{"processed/"});
  EXPECT_EQ(out_.pages.size(), 1u);
}

// Sources never revoked (0: repolls, tests) and unknown sources are untouched.
TEST_F(CrawlerTest, RevokeOfOtherSourcesChangesNothing) {
  Start("404");
  auto a = Submit(server_->Url("/ok?n=8"));
  RevokeResult handed = crawler_->Revoke({0, 5});
  EXPECT_EQ(handed.queued + handed.in_flight + handed.duplicates, 0u);
  RunUntilIdle();
  EXPECT_TRUE(*a);
}

TEST_F(CrawlerTest, UnsupportedSchemeAndPrivateLiteralAreRefused) {
  Start("404");
  auto ftp = Submit("ftp://127.0.0.1/file");
  auto priv = Submit("http://10.1.2.3/secret");
  RunUntilIdle();
  EXPECT_TRUE(*ftp && *priv);
  EXPECT_EQ(out_.dead["ftp://127.0.0.1/file"], "bad_url");
  EXPECT_EQ(out_.dead["http://10.1.2.3/secret"], "ssrf_refused");
}

// Issue 14 item 9: host names and IPv4 forms that resolve to refused
// addresses. The robots.txt fetch is refused at connect; the request is
// dead-lettered as ssrf_refused at once, not retried as "robots.txt
// unreachable". No request reaches the server: nothing is allowlisted.
TEST_F(CrawlerTest, NamesResolvingToRefusedAddressesAreSsrfRefusedAtOnce) {
  Start("plain", /*max_attempts=*/3, [](CrawlerOptions& o) { o.allow_cidrs.clear(); });
  const std::string port = std::to_string(server_->port());
  const std::vector<std::string> urls = {
      "http://localhost:" + port + "/ok", "http://2130706433:" + port + "/ok",
      "http://0x7f.1:" + port + "/ok", "http://127.1:" + port + "/ok",
      "http://localhost:" + port + "/second-page-same-origin"};
  std::vector<std::shared_ptr<bool>> done;
  for (const auto& url : urls) done.push_back(Submit(url));
  RunUntilIdle();
  EXPECT_TRUE(out_.pages.empty());
  ASSERT_EQ(out_.dead.size(), urls.size());
  for (const auto& [url, reason] : out_.dead) {
    EXPECT_EQ(reason, "ssrf_refused") << url << ": " << out_.details[url];
    EXPECT_EQ(out_.dead_attempts[url], 1) << url;
    EXPECT_NE(out_.details[url].find("ssrf guard refused"), std::string::npos) << out_.details[url];
  }
  for (const auto& d : done) EXPECT_TRUE(*d);
  EXPECT_EQ(CounterValue("crawlstream_fetch_retries_total"), 0);
  EXPECT_EQ(CounterValue("crawlstream_fetch_requests_total", "outcome", "ssrf_refused"),
            static_cast<double>(urls.size()));
}

// Feeds the crawler's discovered requests back to it, as crawl.requests
// does, for at most `rounds` rounds.
class SitemapCrawlTest : public CrawlerTest {
 protected:
  void CrawlRounds(const std::string& seed, int rounds) {
    Submit(seed);
    RunUntilIdle();
    for (int i = 0; i < rounds; ++i) {
      std::vector<CrawlRequest> next;
      {
        std::lock_guard lock(out_.mu);
        next.swap(out_.requests);
      }
      if (next.empty()) return;
      for (auto& req : next) crawler_->Submit(std::move(req), nullptr);
      RunUntilIdle();
    }
  }
  int DeadWithReason(const std::string& reason) {
    int n = 0;
    for (const auto& [url, r] : out_.dead) n += r == reason;
    return n;
  }
};

// Issue 14 item 7: an index listing the next index, without end. Was
// fetched level after level (the children inherited depth 0).
TEST_F(SitemapCrawlTest, IndexChainStopsAtMaxIndexDepth) {
  Start("404", 3, [](CrawlerOptions& o) { o.sitemaps.max_index_depth = 5; });
  CrawlRounds(server_->Url("/sitemap-chain/0"), 20);
  // Levels 0..5 fetched; level 6 refused and dead-lettered; nothing after.
  std::string refused = server_->Url("/sitemap-chain/6");
  EXPECT_EQ(out_.dead[refused], "sitemap_too_deep") << out_.details[refused];
  EXPECT_NE(out_.details[refused].find("fetcher.max_index_depth"), std::string::npos);
  EXPECT_EQ(out_.dead.size(), 1u);
  EXPECT_EQ(CounterValue("crawlstream_fetch_limit_hits_total", "limit", "max_index_depth"), 1);
  EXPECT_EQ(CounterValue("crawlstream_fetch_requests_total", "outcome", "ok"), 6);
}

// A URL that looks like a page but serves an index: judged by what it is.
TEST_F(SitemapCrawlTest, PageServingAnIndexTooDeepIsRefused) {
  Start("404", 3, [](CrawlerOptions& o) { o.sitemaps.max_index_depth = 5; });
  CrawlRequest req;
  req.set_url(server_->Url("/index-as-page"));
  req.set_kind(CrawlRequest::KIND_PAGE);
  req.set_index_depth(6);  // listed by the deepest admitted index
  crawler_->Submit(req, nullptr);
  RunUntilIdle();
  EXPECT_EQ(out_.dead[server_->Url("/index-as-page")], "sitemap_too_deep");
  EXPECT_TRUE(out_.requests.empty());
}

// Issue 14 item 7: every index lists five more. Was fetched level after
// level (14,804 indexes in 90 s); now at most max_sitemaps_per_host per
// host per cycle, the rest dead-lettered.
TEST_F(SitemapCrawlTest, FanOutStopsAtSitemapsPerHost) {
  Start("404", 3, [](CrawlerOptions& o) {
    o.sitemaps.max_index_depth = 100;
    o.sitemaps.max_per_host = 20;
  });
  CrawlRounds(server_->Url("/sitemap-fanout/s"), 4);  // 1 + 5 + 25 + 125 + 625 offered
  EXPECT_EQ(CounterValue("crawlstream_fetch_requests_total", "outcome", "ok"), 20);
  int refused = DeadWithReason("sitemap_budget_exhausted");
  EXPECT_GT(refused, 0);
  EXPECT_EQ(static_cast<size_t>(refused), out_.dead.size());
  EXPECT_EQ(CounterValue("crawlstream_fetch_limit_hits_total", "limit", "max_sitemaps_per_host"), refused);
  // A new crawl cycle (repoll_interval, 0 here: one cycle) would reset it;
  // within this one a further index of the host is refused too.
  Submit(server_->Url("/sitemap-fanout/other"));
  RunUntilIdle();
  EXPECT_EQ(out_.dead[server_->Url("/sitemap-fanout/other")], "sitemap_budget_exhausted");
}

// Issue 13 item 3: a seed feed is polled again sooner after a poll that
// found new items and later after one that did not (304 here), within
// repoll_min..repoll_max; its entries go out newest first and those older
// than max_age not at all. /news-feed gains items at its 3rd and 4th poll.
class RepollCrawlTest : public CrawlerTest {
 protected:
  double Polls(const std::string& finding = "") {
    return finding.empty() ? CounterValue("crawlstream_fetch_listing_polls_total")
                           : CounterValue("crawlstream_fetch_listing_polls_total", "finding", finding);
  }
  std::vector<std::string> TakeRequestUrls() {
    std::lock_guard lock(out_.mu);
    std::vector<std::string> urls;
    for (const auto& r : out_.requests) urls.push_back(r.url());
    out_.requests.clear();
    return urls;
  }
  // The last poll finished before now; the next is due `wait` after it:
  // not polled 45 s before that, polled by 45 s after.
  void ExpectNextPollAfter(std::chrono::milliseconds wait) {
    const double before = Polls();
    clock_.Advance(wait - 45s);
    for (int i = 0; i < 5; ++i) crawler_->Tick(10ms);
    EXPECT_EQ(Polls(), before) << "polled before " << wait.count() << " ms";
    clock_.Advance(90s);
    crawler_->Tick(10ms);
    RunUntilIdle();
    EXPECT_EQ(Polls(), before + 1) << "not polled " << wait.count() << " ms after the last poll";
  }
  std::string News(int i) { return server_->Url("/news/" + std::to_string(i)); }
};

TEST_F(RepollCrawlTest, FeedIsPolledSoonerAfterNewItemsAndLaterAfterNone) {
  Start("404", 3, [](CrawlerOptions& o) {
    o.repoll_interval = 10min;
    o.repoll_min = 1min;
    o.repoll_max = 1h;
    o.max_age = 24h * 365;  // the fake clock says 2024-07-05: the 2001 item is too old
  });
  Submit(server_->Url("/news-feed"));
  RunUntilIdle();
  EXPECT_EQ(Polls("first"), 1);
  EXPECT_EQ(TakeRequestUrls(), std::vector<std::string>{News(1)});
  EXPECT_EQ(CounterValue("crawlstream_fetch_too_old_total"), 1);

  ExpectNextPollAfter(10min);  // repoll_interval; unchanged: 304, grows by half
  EXPECT_EQ(Polls("not_modified"), 1);
  EXPECT_TRUE(TakeRequestUrls().empty());

  ExpectNextPollAfter(15min);  // item 2 appeared: halves
  EXPECT_EQ(Polls("new_items"), 1);
  EXPECT_EQ(TakeRequestUrls(), (std::vector<std::string>{News(2), News(1)}));

  ExpectNextPollAfter(7min + 30s);  // item 3: halves again
  EXPECT_EQ(Polls("new_items"), 2);
  EXPECT_EQ(TakeRequestUrls(), (std::vector<std::string>{News(3), News(2), News(1)}));
  EXPECT_EQ(CounterValue("crawlstream_fetch_too_old_total"), 3);

  ExpectNextPollAfter(3min + 45s);  // 304 again: grows
  EXPECT_EQ(Polls("not_modified"), 2);
  ExpectNextPollAfter(5min + 37s + 500ms);
  EXPECT_EQ(Polls("not_modified"), 3);
}

// A feed whose host fails (500s until max_retries) is dead-lettered and
// still polled again, later: before, its re-polling ended there (and at
// its first 304).
TEST_F(RepollCrawlTest, FeedThatFailedIsPolledAgainLater) {
  Start("404", 2, [](CrawlerOptions& o) {
    o.repoll_interval = 10min;
    o.repoll_min = 1min;
    o.repoll_max = 1h;
  });
  CrawlRequest req;
  req.set_url(server_->Url("/500"));
  req.set_kind(CrawlRequest::KIND_FEED);
  crawler_->Submit(req, nullptr);
  RunUntilIdle();
  EXPECT_EQ(out_.dead[server_->Url("/500")], "max_retries");
  EXPECT_EQ(Polls("failed"), 1);
  ExpectNextPollAfter(20min);
  EXPECT_EQ(Polls("failed"), 2);
  ExpectNextPollAfter(40min);
  EXPECT_EQ(Polls("failed"), 3);
}

// Issue 15 item 5: while the fetcher's outputs wait for room in the
// producer queue it holds the crawler; a held crawler starts no transfer
// (robots.txt included) and does not busy-loop on a ready host, and,
// released, finishes the request as usual.
TEST_F(CrawlerTest, HeldCrawlerStartsNoTransferUntilReleased) {
  Start("404");
  crawler_->Hold(true);
  auto done = Submit(server_->Url("/ok"));
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) {
    crawler_->Tick(10ms);
    clock_.Advance(2s);
  }
  // Each held Tick waited instead of returning at once for the ready host.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 40ms);
  EXPECT_FALSE(*done);
  EXPECT_TRUE(out_.pages.empty());
  EXPECT_EQ(crawler_->queued(), 1u);
  EXPECT_EQ(CounterValue("crawlstream_fetch_requests_total"), 0);
  EXPECT_FALSE(crawler_->Idle()) << "held work is not idle: a run must not end on it";

  crawler_->Hold(false);
  RunUntilIdle();
  EXPECT_TRUE(*done);
  ASSERT_EQ(out_.pages.size(), 1u);
  EXPECT_EQ(Outcomes(server_->Url("/ok")), std::vector<std::string>{"processed/"});
}

}  // namespace
}  // namespace crawlstream::fetcher
