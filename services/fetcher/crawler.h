// The crawl engine: CrawlRequests in, FetchedPages, discovered
// CrawlRequests and dead letters out, politely.
//
// For each submitted request the Crawler canonicalises the URL, drops it if
// already seen (unless `refetch`), queues it per origin behind the
// politeness scheduler, fetches and caches robots.txt for the origin
// first (RFC 9309 verdicts: 4xx allow all, 5xx/unreachable disallow all
// for a while), applies the rules, fetches with validators for a
// conditional GET, and then:
//   2xx HTML           -> EmitPage; in-scope links -> EmitRequest (when
//                         follow_links)
//   2xx feed / sitemap -> every entry -> EmitRequest (robots Sitemap: lines
//                         too), newest first by the entries' dates, those
//                         older than max_age skipped and counted in
//                         crawlstream_fetch_too_old_total
//                         (listing_order.h); no page. Feeds and sitemaps nested too deep
//                         or over the host's budget are refused before the
//                         fetch, or after it when a page turns out to be
//                         one (sitemap_limits.h): EmitDeadLetter(
//                         "sitemap_too_deep" / "sitemap_budget_exhausted")
//   304                -> nothing (counted)
// A seed feed or sitemap (depth 0) is polled again (refetch, with its
// validators) after an adaptive interval: shorter after a poll that found
// entries the previous poll did not list, longer after one that did not
// or answered 304, longer still after one dead-lettered for a reason that
// may pass ("max_retries", "sitemap_budget_exhausted"; repoll.h). Each
// poll is counted in crawlstream_fetch_listing_polls_total{finding=
// "first"|"new_items"|"nothing_new"|"not_modified"|"failed"}.
//   429/503/5xx/timeout/reset/DNS/connect -> retried with exponential
//                         backoff and jitter (Retry-After pauses the host),
//                         then EmitDeadLetter("max_retries")
//   4xx, too large (body or headers), SSRF refusal, redirect loop, TLS,
//   protocol, robots   -> EmitDeadLetter(reason)
//   origin refused by the SSRF guard when fetching its robots.txt (a name
//   or IPv4 form resolving to a refused address) -> EmitDeadLetter(
//                         "ssrf_refused") for every request of the origin,
//                         at once, while the robots.txt verdict is cached
// Every bound hit (http_client.h, sitemap_limits.h) is counted in
// crawlstream_fetch_limit_hits_total{limit="<config key>"}.
// A request is finished when all its emissions are acknowledged; then its
// `done` callback runs with the request's CrawlOutcome (the Kafka adapter
// counts it in crawlstream_stage_records_total and commits the input
// offset there).
//
// Each request names its `source` (the Kafka adapter: its input
// partition). Revoke(sources) hands back every unfinished request of those
// sources at once, before it returns, so that a rebalance loses nothing:
//   queued / waiting for robots.txt or a retry -> dropped
//   in flight (HTTP transfer running)          -> transfer cancelled
//   duplicate following one of those          -> dropped with it (a
//                                                 duplicate from a source
//                                                 not revoked is submitted
//                                                 again in its place)
// Their `done` never runs (the input stays uncommitted and is redelivered
// to the partition's new owner), nothing they started emits a page later,
// and their URLs leave the seen set (a redelivery to this instance is
// fetched, not skipped as a duplicate). Requests already fetched and
// awaiting acknowledgements are not touched: they finish normally.
// Counted in crawlstream_fetch_revoked_total{state}.
//
// Crawl state (optional, state_store.h): with a StateStore, a request from
// source s > 0 belongs to state partition s - 1 (the Kafka adapter's
// crawl.requests partition). While that partition is owned:
//   - a PAGE request (not `refetch`) whose URL has a state with a last
//     fetch is skipped as "duplicate" without a fetch unless it is due
//     (revisit.h, as configured now):
//     it was fetched before, by this instance or a previous owner of the
//     partition (feeds, sitemaps and refetches are fetched always, and so
//     is a URL whose last attempt was dead-lettered "max_retries");
//   - a fetch sends the stored validators (a 304 keeps the stored ones);
//   - a finished request (not a duplicate) writes its new state: once its
//     emissions are acknowledged, Tick() (or RecordStates()) stores it and
//     EmitState()s it to the changelog, and only that acknowledgement runs
//     `done`; so a committed input always has its state in the changelog,
//     and a state in the changelog always has its page in Kafka. A fetcher
//     killed in between fetches that URL again (at most the in-flight
//     ones). Repolls of a feed or sitemap keep their first source's state
//     partition.
//   - next_due: a page's next revisit (revisit.h: revisit_interval doubled
//     after each revisit, `revisits` of them), a seed feed's or sitemap's
//     next poll (the adaptive interval). Tick() takes what has come due
//     from the store's due index (state_store.h; at most 256 per owned
//     partition a second, none while 10,000 requests are queued) and submits it with no
//     source (no input offset) and the state's partition: a page as a
//     PAGE request fetched conditionally (a 200 with the body of the last
//     fetch is skipped "unchanged" and sends nothing to the extractor; a
//     changed one goes on as a page), a listing as a refetch. These
//     requests are handed back by Revoke(sources) with the partition (the
//     next owner has the same schedule from the changelog), so the
//     schedule of a partition is followed by exactly its owner. Without a
//     StateStore (or for a request with no partition) feeds are re-polled
//     from memory by the instance that polled them first, whatever the
//     rebalances, and pages are not revisited.
//
// Threading: a Crawler belongs to one thread, which calls Submit() and
// Tick(). CrawlOutput callbacks may complete on any thread; `done`
// callbacks run on the thread that completes the last emission.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "crawlstream/v1/crawl_request.pb.h"
#include "crawlstream/v1/fetched_page.pb.h"
#include "services/common/result.h"
#include "services/fetcher/clock.h"
#include "services/fetcher/discovery.h"
#include "services/fetcher/http_client.h"
#include "services/fetcher/politeness.h"
#include "services/fetcher/robots.h"
#include "services/fetcher/sitemap_limits.h"

namespace prometheus {
class Registry;
}

namespace crawlstream::fetcher {

// Where the crawler's results go. Every call must eventually call
// `acked(true)` once delivered, or `acked(false)` if it never will be.
class CrawlOutput {
 public:
  using Acked = std::function<void(bool ok)>;
  virtual ~CrawlOutput() = default;
  // Returns the dead-letter reason when the page went to the dead-letter
  // topic instead (e.g. "oversize": too large for Kafka), else empty.
  virtual std::string EmitPage(const crawlstream::v1::FetchedPage& page, Acked acked) = 0;
  virtual void EmitRequest(const crawlstream::v1::CrawlRequest& request, Acked acked) = 0;
  virtual void EmitDeadLetter(const crawlstream::v1::CrawlRequest& request,
                              const std::string& reason, const std::string& detail,
                              int attempts, Acked acked) = 0;
  // Writes `value` (a serialized crawlstream.v1.UrlState) for `url` to the
  // changelog partition of `source` (only with a StateStore). Without a
  // changelog: acknowledged at once.
  virtual void EmitState(uint64_t source, const std::string& url, const std::string& value,
                         Acked acked) {
    (void)source, (void)url, (void)value;
    acked(true);
  }
};

// How a submitted request ended, in the terms of
// crawlstream_stage_records_total (stage_loop.h): "processed" (a page or
// discovered requests went out; reason empty), "skipped" (nothing went
// out: "duplicate", "not_modified", "no_output"), "dead_letter" (reason as
// in the dead letter: "robots_denied", "max_retries", "http_404", ...).
struct CrawlOutcome {
  std::string outcome = "processed";
  std::string reason;
};
using CrawlDone = std::function<void(const CrawlOutcome&)>;

struct CrawlerOptions {
  HttpClientOptions http;
  PolitenessOptions politeness;
  RetryOptions retry;
  RobotsCacheOptions robots;
  // Product token matched against robots.txt User-agent lines.
  std::string product_token = "crawlstream";
  bool follow_links = false;
  ScopeOptions scope;
  SitemapLimitsOptions sitemaps;
  std::vector<std::string> allow_cidrs;  // SSRF allowlist
  size_t max_validators = 200'000;
  size_t seen_per_host = 200'000;
  size_t seen_hosts = 20'000;
  size_t seen_urls = 1'000'000;  // in all (validators.h SeenUrls)
  // Seed feeds and sitemaps (depth 0) are polled again: first after
  // repoll_interval (0 = never), then adaptively within [repoll_min,
  // repoll_max] (repoll.h).
  std::chrono::milliseconds repoll_interval{0};
  std::chrono::milliseconds repoll_min{60'000};
  std::chrono::milliseconds repoll_max{3'600'000};
  // Feed and sitemap entries dated before now - max_age are not crawled
  // (0 = no limit; listing_order.h).
  std::chrono::milliseconds max_age{0};
  // With a StateStore: a fetched page is revisited `revisits` times, the
  // first revisit_interval after its first fetch, each next one twice as
  // long after the one before (revisit.h; 0 = never).
  std::chrono::milliseconds revisit_interval{0};
  int64_t revisits = 3;
};

struct CrawlerStats {
  std::atomic<int64_t> submitted{0};
  std::atomic<int64_t> finished{0};
  std::atomic<int64_t> pages{0};
  std::atomic<int64_t> discovered{0};
  std::atomic<int64_t> dead_letters{0};
  std::atomic<int64_t> duplicates{0};
  std::atomic<int64_t> not_modified{0};
  std::atomic<int64_t> failed_emissions{0};
  std::atomic<int64_t> revoked{0};  // handed back by Revoke(), duplicates included
  std::atomic<int64_t> known{0};    // skipped: the state store says fetched, not due
  std::atomic<int64_t> states{0};   // states written to the changelog and acknowledged
};

// What Revoke() handed back.
struct RevokeResult {
  size_t queued = 0;      // not started (politeness queue, robots, retry wait)
  size_t in_flight = 0;   // transfer cancelled
  size_t duplicates = 0;  // followers of those, dropped with them
};

class StateStore;

class Crawler {
 public:
  // `state` (may be null: no crawl state) must outlive the Crawler and is
  // used on the crawler's thread only.
  static Result<std::unique_ptr<Crawler>> Create(CrawlerOptions options, CrawlOutput* output,
                                                 std::shared_ptr<prometheus::Registry> registry,
                                                 const Clock* clock = nullptr,
                                                 StateStore* state = nullptr);
  ~Crawler();

  // Accepts a request from `source` (0: none, never revoked); `done` runs
  // once it is finished (see above).
  void Submit(crawlstream::v1::CrawlRequest request, CrawlDone done, uint64_t source = 0);
  // Hands back the unfinished requests of `sources` (see above). Call from
  // the crawler's thread.
  RevokeResult Revoke(const std::vector<uint64_t>& sources);
  // Partitions were assigned to this instance: hosts it has not contacted
  // since wait one politeness delay from now (politeness.h). Call from the
  // crawler's thread.
  void NoteAssignment();
  // Stores and emits the states of the requests whose outputs were
  // acknowledged since (Tick() does it too): call before a state partition
  // is dropped, then wait for the producer. Returns how many.
  size_t RecordStates();
  // Runs the event loop once (waits at most `max_wait`).
  void Tick(std::chrono::milliseconds max_wait);
  // While held, Tick() starts no new transfer (robots.txt included):
  // ready requests wait in their queues, transfers already running finish
  // and emit as usual. The fetcher holds while its outputs wait for room
  // in the producer queue, so those outputs stay bounded by
  // global_concurrency.
  void Hold(bool hold);
  // Nothing queued, waiting for a retry, fetching or awaiting acks.
  bool Idle() const;
  // Requests accepted and not yet finished.
  int64_t outstanding() const;
  size_t queued() const;
  // Abandons queued and in-flight work (their `done` is not called: the
  // input is redelivered after restart); returns how many transfers were
  // cancelled.
  size_t Abandon();
  const CrawlerStats& stats() const;

  struct Impl;

 private:
  explicit Crawler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Guesses a request kind from a seed URL ("...rss...", "...feed...",
// "...atom..." -> FEED; "...sitemap..." or ending in .xml/.xml.gz ->
// SITEMAP; else PAGE). The response decides in the end.
crawlstream::v1::CrawlRequest::Kind GuessKind(const std::string& url);

}  // namespace crawlstream::fetcher
