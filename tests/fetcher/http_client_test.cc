// Drives HttpClient against tests/fetcher/hostile_server.py on 127.0.0.1.
// No traffic leaves loopback: redirects to private addresses must be
// refused by the SSRF guard before any connect().
#include "services/fetcher/http_client.h"
#include "tests/fetcher/hostile_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "services/fetcher/page.h"
#include "services/fetcher/politeness.h"
#include "services/fetcher/robots.h"

namespace crawlstream::fetcher {
namespace {

using std::chrono::milliseconds;

using test_support::HostileServer;

class HttpClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new HostileServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_GT(server_->port(), 0) << "hostile server did not start";
    std::vector<std::string> allow = {"127.0.0.0/8"};
    guard_ = *SsrfGuard::Create(allow);
    options_.connect_timeout = milliseconds(2000);
    options_.total_timeout = milliseconds(10000);
    options_.low_speed_time = std::chrono::seconds(5);
    options_.max_body_bytes = 1024 * 1024;
    options_.max_redirects = 5;
  }

  FetchResult Fetch(const std::string& url, std::vector<std::string> headers = {},
                    const SsrfGuard* guard = nullptr) {
    auto client = HttpClient::Create(options_, guard ? *guard : guard_);
    EXPECT_TRUE(client.has_value());
    std::optional<FetchResult> result;
    auto started = (*client)->Start(FetchRequest{url, std::move(headers), 0},
                                    [&](FetchResult r) { result = std::move(r); });
    EXPECT_TRUE(started.has_value());
    (*client)->RunUntilIdle();
    EXPECT_TRUE(result.has_value());
    return result ? std::move(*result) : FetchResult{};
  }

  static HostileServer* server_;
  SsrfGuard guard_;
  HttpClientOptions options_;
};

HostileServer* HttpClientTest::server_ = nullptr;

TEST_F(HttpClientTest, FetchesPageWithMetadata) {
  FetchResult r = Fetch(server_->Url("/ok"));
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello from hostile server");
  EXPECT_EQ(r.final_url, server_->Url("/ok"));
  EXPECT_TRUE(r.redirect_chain.empty());
  EXPECT_EQ(r.remote_ip, "127.0.0.1");
  EXPECT_EQ(r.http_version, "1.1");
  EXPECT_EQ(r.Header("content-type"), "text/plain");
  EXPECT_EQ(ClassifyFetch(r), FetchDisposition::kSuccess);
}

TEST_F(HttpClientTest, SendsUserAgentAcceptEncodingAndExtraHeaders) {
  options_.user_agent = "crawlstream-test/1 (+http://example.invalid/bot)";
  FetchResult r = Fetch(server_->Url("/echo-headers"), {"If-None-Match: \"v0\""});
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_NE(r.body.find("User-Agent: crawlstream-test/1 (+http://example.invalid/bot)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("Accept-Encoding: "), std::string::npos);
  EXPECT_NE(r.body.find("gzip"), std::string::npos);
  EXPECT_NE(r.body.find("If-None-Match: \"v0\""), std::string::npos);
}

TEST_F(HttpClientTest, ConditionalGetGives304) {
  FetchResult first = Fetch(server_->Url("/etag"));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.Header("ETag"), "\"v1\"");
  FetchResult again = Fetch(server_->Url("/etag"), {"If-None-Match: \"v1\""});
  ASSERT_TRUE(again.ok()) << again.error_message;
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(ClassifyFetch(again), FetchDisposition::kNotModified);
}

// The fetcher never decodes charsets: a GBK page without a charset in its
// headers arrives byte for byte for the extractor to detect.
TEST_F(HttpClientTest, GbkPageWithoutCharsetKeepsRawBytes) {
  FetchResult r = Fetch(server_->Url("/gbk"));
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.Header("Content-Type"), "text/html");
  // "中文" in GBK is D6 D0 CE C4.
  EXPECT_NE(r.body.find("\xD6\xD0\xCE\xC4"), std::string::npos);
  EXPECT_EQ(r.body.find("\xE4\xB8\xAD"), std::string::npos);  // not UTF-8
}

TEST_F(HttpClientTest, DecodesGzipAndCountsWireBytes) {
  FetchResult r = Fetch(server_->Url("/gzip"));
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.body.size(), std::string("压缩的正文").size() * 100);
  EXPECT_GT(r.wire_bytes, 0u);
  EXPECT_LT(r.wire_bytes, r.body.size());
}

TEST_F(HttpClientTest, GzipBombStopsAtBodyCap) {
  FetchResult r = Fetch(server_->Url("/gzip-bomb"));
  EXPECT_EQ(r.error, FetchError::kTooLarge) << FetchErrorName(r.error) << ": " << r.error_message;
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(ClassifyFetch(r), FetchDisposition::kPermanent);
}

TEST_F(HttpClientTest, UndeclaredLargeBodyStopsAtCap) {
  FetchResult r = Fetch(server_->Url("/big"));
  EXPECT_EQ(r.error, FetchError::kTooLarge) << r.error_message;
}

TEST_F(HttpClientTest, DeclaredLargeBodyRefusedEarly) {
  FetchResult r = Fetch(server_->Url("/big-declared"));
  EXPECT_EQ(r.error, FetchError::kTooLarge) << r.error_message;
}

TEST_F(HttpClientTest, SlowNeverEndingBodyTimesOut) {
  options_.total_timeout = milliseconds(1500);
  FetchResult r = Fetch(server_->Url("/slow"));
  EXPECT_EQ(r.error, FetchError::kTimeout) << r.error_message;
  EXPECT_LT(r.total_time, std::chrono::seconds(5));
  EXPECT_EQ(ClassifyFetch(r), FetchDisposition::kRetry);
}

TEST_F(HttpClientTest, RecordsRedirectChain) {
  FetchResult r = Fetch(server_->Url("/redirect-chain"));
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.final_url, server_->Url("/ok"));
  EXPECT_EQ(r.redirect_chain,
            (std::vector<std::string>{server_->Url("/redirect-chain"), server_->Url("/redirect-chain-2")}));
  EXPECT_EQ(r.body, "hello from hostile server");
}

TEST_F(HttpClientTest, RedirectLoopStops) {
  FetchResult r = Fetch(server_->Url("/redirect-loop"));
  EXPECT_EQ(r.error, FetchError::kTooManyRedirects) << r.error_message;
  EXPECT_EQ(ClassifyFetch(r), FetchDisposition::kPermanent);
}

TEST_F(HttpClientTest, RedirectToPrivateAddressRefusedBeforeConnect) {
  FetchResult r = Fetch(server_->Url("/redirect-private"));
  EXPECT_EQ(r.error, FetchError::kSsrf) << FetchErrorName(r.error) << ": " << r.error_message;
  EXPECT_NE(r.error_message.find("10.0.0.1 is private"), std::string::npos) << r.error_message;
  EXPECT_EQ(r.redirect_chain, (std::vector<std::string>{server_->Url("/redirect-private")}));
}

TEST_F(HttpClientTest, RedirectToCloudMetadataRefused) {
  FetchResult r = Fetch(server_->Url("/redirect-metadata"));
  EXPECT_EQ(r.error, FetchError::kSsrf) << r.error_message;
  EXPECT_NE(r.error_message.find("cloud metadata"), std::string::npos) << r.error_message;
}

TEST_F(HttpClientTest, RedirectToOtherSchemeRefused) {
  FetchResult r = Fetch(server_->Url("/redirect-ftp"));
  EXPECT_EQ(r.error, FetchError::kSsrf) << FetchErrorName(r.error) << ": " << r.error_message;
}

TEST_F(HttpClientTest, LoopbackRefusedWithoutAllowlist) {
  SsrfGuard strict;
  FetchResult r = Fetch(server_->Url("/ok"), {}, &strict);
  EXPECT_EQ(r.error, FetchError::kSsrf) << r.error_message;
  EXPECT_NE(r.error_message.find("127.0.0.1 is loopback"), std::string::npos) << r.error_message;
}

TEST_F(HttpClientTest, TooManyRequestsCarriesRetryAfter) {
  FetchResult r = Fetch(server_->Url("/429"));
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(ClassifyFetch(r), FetchDisposition::kRetry);
  auto wait = ParseRetryAfter(r.Header("Retry-After"), std::chrono::system_clock::now());
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, std::chrono::seconds(120));
}

TEST_F(HttpClientTest, ServiceUnavailableWithHttpDate) {
  FetchResult r = Fetch(server_->Url("/503-date"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.status, 503);
  auto wait = ParseRetryAfter(r.Header("Retry-After"),
                              std::chrono::sys_days(std::chrono::year(2100) / 12 / 31));
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, std::chrono::seconds(23 * 3600 + 59 * 60 + 59));
}

TEST_F(HttpClientTest, ResetMidBodyIsRetriable) {
  FetchResult r = Fetch(server_->Url("/reset"));
  EXPECT_EQ(r.error, FetchError::kReset) << FetchErrorName(r.error) << ": " << r.error_message;
  EXPECT_EQ(ClassifyFetch(r), FetchDisposition::kRetry);
}

TEST_F(HttpClientTest, BrokenChunkedEncodingIsProtocolError) {
  FetchResult r = Fetch(server_->Url("/broken-chunked"));
  EXPECT_EQ(r.error, FetchError::kProtocol) << FetchErrorName(r.error) << ": " << r.error_message;
}

TEST_F(HttpClientTest, ConnectionRefused) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);  // nothing listens there now
  FetchResult r = Fetch("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/");
  EXPECT_EQ(r.error, FetchError::kConnect) << FetchErrorName(r.error) << ": " << r.error_message;
}

TEST_F(HttpClientTest, ManyTransfersOnOneThread) {
  auto client = HttpClient::Create(options_, guard_);
  ASSERT_TRUE(client.has_value());
  int done = 0, ok = 0;
  for (int i = 0; i < 40; ++i) {
    std::string path = i % 10 == 0 ? "/redirect-chain" : "/ok";
    ASSERT_TRUE((*client)->Start(FetchRequest{server_->Url(path), {}, 0}, [&](FetchResult r) {
      ++done;
      if (r.ok() && r.status == 200) ++ok;
    }).has_value());
  }
  EXPECT_EQ((*client)->in_flight(), 40u);
  (*client)->RunUntilIdle();
  EXPECT_EQ(done, 40);
  EXPECT_EQ(ok, 40);
}

TEST_F(HttpClientTest, CancelAllCompletesEveryTransfer) {
  auto client = HttpClient::Create(options_, guard_);
  ASSERT_TRUE(client.has_value());
  std::vector<FetchError> errors;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*client)->Start(FetchRequest{server_->Url("/slow"), {}, 0},
                                 [&](FetchResult r) { errors.push_back(r.error); })
                    .has_value());
  }
  (*client)->Poll(milliseconds(50));
  (*client)->CancelAll();
  EXPECT_EQ((*client)->in_flight(), 0u);
  EXPECT_EQ(errors, std::vector<FetchError>(3, FetchError::kCancelled));
}

}  // namespace
}  // namespace crawlstream::fetcher

namespace crawlstream::fetcher {
namespace {

TEST_F(HttpClientTest, TruncateAtCapKeepsPrefix) {
  auto client = HttpClient::Create(options_, guard_);
  ASSERT_TRUE(client.has_value());
  std::optional<FetchResult> result;
  FetchRequest request{server_->Url("/big"), {}, 100000, true};
  ASSERT_TRUE((*client)->Start(request, [&](FetchResult r) { result = std::move(r); }).has_value());
  (*client)->RunUntilIdle();
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok()) << result->error_message;
  EXPECT_TRUE(result->truncated);
  EXPECT_EQ(result->body.size(), 100000u);
}

// The robots.txt cases of the issue, end to end: fetch, map the outcome,
// apply the RFC 9309 policy.
class RobotsFetchTest : public HttpClientTest {
 protected:
  RobotsDecision FetchRobots(const std::string& path) {
    auto client = HttpClient::Create(options_, guard_);
    EXPECT_TRUE(client.has_value());
    std::optional<FetchResult> result;
    FetchRequest request{server_->Url(path), {}, RobotsTxt::kDefaultMaxBytes, true};
    EXPECT_TRUE((*client)->Start(request, [&](FetchResult r) { result = std::move(r); }).has_value());
    (*client)->RunUntilIdle();
    fetched_ = std::move(*result);
    return RobotsFromFetch(ToRobotsOutcome(fetched_));
  }
  FetchResult fetched_;
};

TEST_F(RobotsFetchTest, ServerErrorDisallowsAll) {
  RobotsDecision d = FetchRobots("/500");
  EXPECT_EQ(d.verdict, RobotsVerdict::kDisallowAll);
  EXPECT_FALSE(d.robots.IsAllowed("crawlstream", "/a"));
}

TEST_F(RobotsFetchTest, NotFoundAllowsAll) {
  RobotsDecision d = FetchRobots("/no-such-robots.txt");
  EXPECT_EQ(d.verdict, RobotsVerdict::kAllowAll);
  EXPECT_TRUE(d.robots.IsAllowed("crawlstream", "/a"));
}

TEST_F(RobotsFetchTest, RedirectIsFollowed) {
  RobotsDecision d = FetchRobots("/robots-redirect");
  EXPECT_EQ(d.verdict, RobotsVerdict::kParsed);
  EXPECT_FALSE(d.robots.IsAllowed("crawlstream", "/private/x"));
  EXPECT_EQ(d.robots.CrawlDelay("crawlstream"), 2.0);
  EXPECT_EQ(d.robots.Sitemaps().size(), 1u);
}

TEST_F(RobotsFetchTest, RedirectLoopMeansUnavailable) {
  RobotsDecision d = FetchRobots("/redirect-loop");
  EXPECT_EQ(d.verdict, RobotsVerdict::kAllowAll);
}

TEST_F(RobotsFetchTest, UnreachableDisallowsAll) {
  SsrfGuard strict;  // refuses 127.0.0.1: as good as unreachable
  guard_ = strict;
  RobotsDecision d = FetchRobots("/robots-plain");
  EXPECT_EQ(d.verdict, RobotsVerdict::kDisallowAll);
}

TEST_F(RobotsFetchTest, BigFileParsesFirst512KiB) {
  RobotsDecision d = FetchRobots("/robots-big");
  EXPECT_EQ(d.verdict, RobotsVerdict::kParsed);
  EXPECT_TRUE(fetched_.truncated);
  EXPECT_FALSE(d.robots.IsAllowed("crawlstream", "/early"));
  EXPECT_TRUE(d.robots.IsAllowed("crawlstream", "/late"));
  // The line cut by the cap did not turn into a broad rule.
  EXPECT_TRUE(d.robots.IsAllowed("crawlstream", "/f"));
}

}  // namespace
}  // namespace crawlstream::fetcher

namespace crawlstream::fetcher {
namespace {

// Poll() must return as soon as a transfer finishes, not sleep its full
// timeout on idle sockets (a bug that once cost up to one timeout per
// request). With the bug this test hangs until the ctest timeout.
TEST_F(HttpClientTest, PollReturnsWhenATransferFinishes) {
  auto client = HttpClient::Create(options_, guard_);
  ASSERT_TRUE(client.has_value());
  for (int i = 0; i < 20; ++i) {
    bool done = false;
    ASSERT_TRUE((*client)->Start(FetchRequest{server_->Url("/ok"), {}, 0, false},
                                 [&](FetchResult r) {
                                   EXPECT_TRUE(r.ok());
                                   done = true;
                                 })
                    .has_value());
    while (!done) (*client)->Poll(std::chrono::hours(24));
  }
}

}  // namespace
}  // namespace crawlstream::fetcher

namespace crawlstream::fetcher {
namespace {

// Hostile responses that must end fast, as a permanent failure naming the
// limit they hit, never as a retriable error or a huge result (issue 14,
// items 5, 6 and 8).
TEST_F(HttpClientTest, OversizeResponsesFailPermanentlyNamingTheLimit) {
  struct Case {
    std::string path;
    FetchError error;
    FetchLimit limit;
  };
  const Case cases[] = {
      // A 302 with an endless chunked body: was read to the total timeout.
      {"/redirect-endless-body", FetchError::kTooLarge, FetchLimit::kRedirectBody},
      // 2-byte body, then 4 MiB of trailer lines: was a 4 MiB header list.
      {"/trailer-flood", FetchError::kHeadersTooLarge, FetchLimit::kHeaders},
      // 400 KB of headers, 40,000 "100 Continue": were classed as resets.
      {"/header-flood", FetchError::kHeadersTooLarge, FetchLimit::kHeaders},
      {"/continue-flood", FetchError::kHeadersTooLarge, FetchLimit::kHeaders},
      // One 4 MB header line: was "internal: Out of memory".
      {"/huge-header-line", FetchError::kHeadersTooLarge, FetchLimit::kHeaders},
  };
  for (const auto& c : cases) {
    FetchResult r = Fetch(server_->Url(c.path));
    EXPECT_EQ(r.error, c.error) << c.path << ": " << FetchErrorName(r.error) << ": " << r.error_message;
    EXPECT_EQ(r.limit, c.limit) << c.path;
    EXPECT_EQ(ClassifyFetch(r), FetchDisposition::kPermanent) << c.path;
    EXPECT_LT(r.total_time, std::chrono::seconds(5)) << c.path;
    EXPECT_TRUE(r.headers.size() < 300) << c.path << ": " << r.headers.size() << " headers kept";
  }
}

TEST_F(HttpClientTest, HeaderCapIsConfigurable) {
  options_.max_header_bytes = 1024 * 1024;  // above libcurl's own 300 KB total
  FetchResult flood = Fetch(server_->Url("/header-flood"));
  EXPECT_EQ(flood.error, FetchError::kHeadersTooLarge) << flood.error_message;
  options_.max_header_bytes = 512;
  FetchResult ok = Fetch(server_->Url("/ok"));
  EXPECT_TRUE(ok.ok()) << ok.error_message;  // ~100 bytes of headers
  options_.max_header_bytes = 64;
  FetchResult small = Fetch(server_->Url("/ok"));
  EXPECT_EQ(small.error, FetchError::kHeadersTooLarge) << small.error_message;
}

// A redirect with an ordinary small body is still followed.
TEST_F(HttpClientTest, RedirectWithSmallBodyIsFollowed) {
  FetchResult r = Fetch(server_->Url("/redirect-with-body"));
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.final_url, server_->Url("/ok"));
  EXPECT_EQ(r.body, "hello from hostile server");
  options_.max_redirect_body_bytes = 1024;  // the body is ~2 KB
  FetchResult capped = Fetch(server_->Url("/redirect-with-body"));
  EXPECT_EQ(capped.error, FetchError::kTooLarge) << capped.error_message;
  EXPECT_EQ(capped.limit, FetchLimit::kRedirectBody);
}

}  // namespace
}  // namespace crawlstream::fetcher
