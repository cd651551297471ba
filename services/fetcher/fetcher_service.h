// The fetcher stage with Kafka around the crawl engine (crawler.h):
// crawl.requests (CrawlRequest, key = host) in; crawl.pages (FetchedPage,
// key = final URL), discovered crawl.requests and crawl.deadletter out.
//
// An input offset is committed only when its request is finished: page,
// discovered requests or dead letter acknowledged. When a crawl.requests
// partition is revoked, its unfinished requests are handed back first
// (Crawler::Revoke: queued dropped, in-flight transfers cancelled) and the
// acknowledgements of pages already fetched awaited (up to drain_timeout),
// so the new owner neither misses nor repeats them. Finished inputs are
// counted in crawlstream_stage_records_total{stage="fetcher"} as StageLoop
// counts the other stages' (crawler.h, CrawlOutcome). Garbage records on
// crawl.requests are dead-lettered ("undecodable"). Seeds from
// fetcher.seeds_file and fetcher.feeds are produced to crawl.requests at
// start (feeds and sitemaps are re-polled at an adaptive interval,
// fetcher.repoll_interval at first, within fetcher.repoll_min..repoll_max:
// repoll.h; by the instance that owns their host).
//
// Back-pressure: the loop never waits on Kafka. When the producer queue
// (kafka.producer_queue_bytes) is full, outputs wait in a ProduceQueue
// (produce_queue.h), the crawl.requests partitions are paused, no new
// transfer starts (Crawler::Hold), and the loop keeps beating, committing
// and serving transfers until the queue has room again.
// Metrics: crawlstream_fetcher_intake_paused (0/1),
// crawlstream_fetcher_intake_paused_seconds_total.
// Shutdown: the crawl drain and the producer flush share one
// drain_timeout; then the final commit and leaving the group.
//
// Crawl state (fetcher.state_dir set; crawler.h, state_keeper.h): each
// assigned crawl.requests partition's per-URL state is restored from
// topics.state (crawl.state, same partition number) before its requests
// are fetched (from a local checkpoint when the directory holds a good
// one), and dropped on revoke after the states of what was fetched are
// written (kept on disk at shutdown). A page fetched before (by this instance or an earlier
// owner, across SIGTERM and SIGKILL) is not fetched again until due, and
// then with its validators. A restore that fails stops the fetcher
// (exit 1).
//
// Run() is the main loop of crawlstream-fetcher and of the fetcher thread
// of `crawlstream run`.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "services/common/kafka_options.h"
#include "services/common/result.h"
#include "services/fetcher/crawler.h"

namespace prometheus {
class Registry;
}

namespace crawlstream {
class Config;
class Health;
class Producer;
}  // namespace crawlstream

namespace crawlstream::fetcher {

struct FetcherServiceOptions {
  CrawlerOptions crawler;
  std::string seeds_file;
  std::vector<std::string> feeds;
  int64_t max_queued = 50'000;  // stop taking input above this backlog
  int64_t max_seen_urls = 1'000'000;  // URL-seen set, all hosts
  // Crawl state (state_keeper.h); empty: none.
  std::string state_dir;
  std::chrono::milliseconds state_restore_timeout{120'000};
  // Text form of the keys that need parsing at start.
  int64_t max_body_bytes = 5 << 20;
  int64_t max_redirect_body_bytes = 64 << 10;
  int64_t max_header_bytes = 256 << 10;
  int64_t max_index_depth = 5;
  int64_t max_sitemaps_per_host = 1000;
  int64_t max_redirects = 5;
  int64_t low_speed_bytes = 1024;
  std::chrono::milliseconds low_speed_time{20'000};
  std::chrono::milliseconds dns_cache_ttl{300'000};
  std::chrono::milliseconds min_delay{1000};
  std::chrono::milliseconds max_crawl_delay{30'000};
  int64_t max_connections_per_host = 1;
  int64_t global_concurrency = 256;
  int64_t max_attempts = 5;
  std::chrono::milliseconds retry_base_delay{2000};
  std::chrono::milliseconds retry_max_delay{600'000};
  std::chrono::milliseconds robots_max_age{86'400'000};
  int64_t max_depth = 3;
};

void BindFetcherKeys(Config* config, FetcherServiceOptions* options);
// The crawl cycle of the per-host feed and sitemap budget
// (sitemap_limits.h): repoll_min while listings are re-polled (so that a
// listing polled as often as allowed takes one admission per cycle), the
// whole run (0) when they are not.
std::chrono::milliseconds SitemapCycle(const CrawlerOptions& crawler);
// Copies the flat keys into options->crawler and validates them.
Status FinishFetcherOptions(FetcherServiceOptions* options);

// Reads URLs (one per line; blank lines and # comments skipped) into
// CrawlRequests with kinds guessed from the URL.
Result<std::vector<crawlstream::v1::CrawlRequest>> ReadSeeds(const std::string& path);

// Produces `requests` to the requests topic (key = host) and waits for
// the acknowledgements.
Status PublishRequests(Producer* producer, const std::string& topic,
                       const std::vector<crawlstream::v1::CrawlRequest>& requests,
                       std::atomic<int64_t>* acked = nullptr);

class FetcherService {
 public:
  FetcherService(FetcherServiceOptions options, KafkaOptions kafka, TopicNames topics,
                 std::shared_ptr<prometheus::Registry> registry, Health* health);
  ~FetcherService();

  // Runs until Shutdown::Requested() or `*stop`; drains (crawl and
  // producer flush) up to drain_timeout in all; returns the exit code.
  int Run(const std::atomic<bool>* stop, std::chrono::milliseconds drain_timeout);
  // Asked on every turn of Run()'s loop: while it returns true no new fetch
  // starts (Crawler::Hold). `crawlstream run` holds the fetcher while the
  // extractor lags, so that the development broker never drops pages.
  // Call before Run().
  void SetHold(std::function<bool()> hold) { hold_ = std::move(hold); }

  // Progress for `crawlstream run`.
  const CrawlerStats* stats() const;
  bool idle() const { return idle_.load(); }
  int64_t inputs_taken() const { return inputs_.load(); }
  // Records acknowledged by the broker, by kind (seeds included in
  // requests_acked).
  int64_t pages_acked() const { return acked_->pages.load(); }
  int64_t requests_acked() const { return acked_->requests.load(); }
  int64_t dead_letters_acked() const { return acked_->dead_letters.load(); }

  struct Acked {
    std::atomic<int64_t> pages{0};
    std::atomic<int64_t> requests{0};
    std::atomic<int64_t> dead_letters{0};
  };

 private:
  FetcherServiceOptions options_;
  KafkaOptions kafka_;
  TopicNames topics_;
  std::shared_ptr<prometheus::Registry> registry_;
  Health* health_;
  std::atomic<const CrawlerStats*> stats_{nullptr};
  std::atomic<bool> idle_{false};
  std::function<bool()> hold_;
  std::atomic<int64_t> inputs_{0};
  std::shared_ptr<Acked> acked_ = std::make_shared<Acked>();
};

}  // namespace crawlstream::fetcher
