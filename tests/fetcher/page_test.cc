#include "services/fetcher/page.h"

#include <gtest/gtest.h>

namespace crawlstream::fetcher {
namespace {

using crawlstream::v1::CrawlRequest;

TEST(PageTest, FetchedPageCarriesEverything) {
  FetchResult r;
  r.status = 200;
  r.headers = {{"Content-Type", "text/html; charset=gbk"}, {"ETag", "\"x\""}};
  r.body = "<html>";
  r.final_url = "http://e.com/b";
  r.redirect_chain = {"http://e.com/a"};
  r.remote_ip = "93.184.216.34";
  r.http_version = "2";
  r.wire_bytes = 3;
  r.total_time = std::chrono::milliseconds(42);
  CrawlRequest request;
  request.set_url("http://e.com/a?utm_source=x");
  request.set_depth(2);
  auto when = std::chrono::sys_days(std::chrono::year(2024) / 7 / 5) + std::chrono::milliseconds(1500);
  auto page = ToFetchedPage(r, request, "http://e.com/a", when);
  EXPECT_EQ(page.requested_url(), "http://e.com/a");
  EXPECT_EQ(page.final_url(), "http://e.com/b");
  ASSERT_EQ(page.redirect_chain_size(), 1);
  EXPECT_EQ(page.status_code(), 200);
  EXPECT_EQ(page.content_type(), "text/html; charset=gbk");
  ASSERT_EQ(page.headers_size(), 2);
  EXPECT_EQ(page.headers(1).name(), "ETag");
  EXPECT_EQ(page.body(), "<html>");
  EXPECT_EQ(page.fetch_duration_ms(), 42u);
  EXPECT_EQ(page.request().depth(), 2u);
  EXPECT_EQ(page.remote_ip(), "93.184.216.34");
  EXPECT_EQ(page.http_version(), "2");
  EXPECT_EQ(page.wire_bytes(), 3u);
  EXPECT_EQ(page.fetched_at().nanos(), 500000000);
}

TEST(PageTest, DeadLetterReasonsTable) {
  const struct {
    FetchError error;
    int status;
    const char* reason;
  } cases[] = {
      {FetchError::kSsrf, 0, "ssrf_refused"},
      {FetchError::kTooLarge, 200, "oversize"},
      {FetchError::kTooManyRedirects, 302, "too_many_redirects"},
      {FetchError::kTimeout, 0, "fetch_failed:timeout"},
      {FetchError::kReset, 200, "fetch_failed:reset"},
      {FetchError::kNone, 404, "http_404"},
      {FetchError::kNone, 503, "http_503"},
  };
  for (const auto& c : cases) {
    FetchResult r;
    r.error = c.error;
    r.status = c.status;
    EXPECT_EQ(DeadLetterReason(r), c.reason);
  }
}

TEST(PageTest, ClassifiesOutcomesTable) {
  const struct {
    FetchError error;
    int status;
    FetchDisposition expected;
  } cases[] = {
      {FetchError::kNone, 200, FetchDisposition::kSuccess},
      {FetchError::kNone, 204, FetchDisposition::kSuccess},
      {FetchError::kNone, 304, FetchDisposition::kNotModified},
      {FetchError::kNone, 404, FetchDisposition::kPermanent},
      {FetchError::kNone, 410, FetchDisposition::kPermanent},
      {FetchError::kNone, 408, FetchDisposition::kRetry},
      {FetchError::kNone, 429, FetchDisposition::kRetry},
      {FetchError::kNone, 500, FetchDisposition::kRetry},
      {FetchError::kNone, 503, FetchDisposition::kRetry},
      {FetchError::kTimeout, 0, FetchDisposition::kRetry},
      {FetchError::kReset, 200, FetchDisposition::kRetry},
      {FetchError::kConnect, 0, FetchDisposition::kRetry},
      {FetchError::kDns, 0, FetchDisposition::kRetry},
      {FetchError::kSsrf, 0, FetchDisposition::kPermanent},
      {FetchError::kTooLarge, 200, FetchDisposition::kPermanent},
      {FetchError::kProtocol, 200, FetchDisposition::kPermanent},
      {FetchError::kCancelled, 0, FetchDisposition::kCancelled},
  };
  for (const auto& c : cases) {
    FetchResult r;
    r.error = c.error;
    r.status = c.status;
    EXPECT_EQ(ClassifyFetch(r), c.expected) << FetchErrorName(c.error) << " " << c.status;
  }
}

TEST(PageTest, RobotsOutcomeFromResult) {
  FetchResult ok;
  ok.status = 200;
  ok.body = "user-agent: *\ndisallow: /x\nDisallow: /cut-her";
  ok.truncated = true;
  RobotsDecision d = RobotsFromFetch(ToRobotsOutcome(ok));
  EXPECT_EQ(d.verdict, RobotsVerdict::kParsed);
  EXPECT_FALSE(d.robots.IsAllowed("bot", "/x"));
  EXPECT_TRUE(d.robots.IsAllowed("bot", "/cut-here"));  // partial line dropped

  FetchResult timeout;
  timeout.error = FetchError::kTimeout;
  EXPECT_EQ(RobotsFromFetch(ToRobotsOutcome(timeout)).verdict, RobotsVerdict::kDisallowAll);
  FetchResult loop;
  loop.error = FetchError::kTooManyRedirects;
  EXPECT_EQ(RobotsFromFetch(ToRobotsOutcome(loop)).verdict, RobotsVerdict::kAllowAll);
}

TEST(PageTest, DiscoveredLinksBecomeRequests) {
  CrawlRequest feed;
  feed.set_url("http://e.com/rss.xml");
  feed.set_kind(CrawlRequest::KIND_FEED);
  feed.set_depth(1);
  feed.set_index_depth(2);
  CrawlRequest page;
  page.set_url("http://e.com/index.html");
  page.set_kind(CrawlRequest::KIND_PAGE);
  page.set_depth(1);
  std::vector<DiscoveredLink> links = {{"http://e.com/a", LinkKind::kPage, ""},
                                       {"http://e.com/s.xml", LinkKind::kSitemap, ""}};
  auto now = std::chrono::sys_days(std::chrono::year(2024) / 7 / 5);
  auto from_feed = ToCrawlRequests(links, feed, now);
  ASSERT_EQ(from_feed.size(), 2u);
  EXPECT_EQ(from_feed[0].depth(), 1u);
  EXPECT_EQ(from_feed[0].origin(), "feed");
  EXPECT_EQ(from_feed[0].parent_url(), "http://e.com/rss.xml");
  EXPECT_EQ(from_feed[1].kind(), CrawlRequest::KIND_SITEMAP);
  // Entries of a listing are one index level deeper; links on a page start
  // a new chain.
  EXPECT_EQ(from_feed[0].index_depth(), 3u);
  EXPECT_EQ(from_feed[1].index_depth(), 3u);
  auto from_page = ToCrawlRequests(links, page, now);
  EXPECT_EQ(from_page[0].depth(), 2u);
  EXPECT_EQ(from_page[1].index_depth(), 0u);
  EXPECT_EQ(from_page[0].origin(), "link");
}

}  // namespace
}  // namespace crawlstream::fetcher
