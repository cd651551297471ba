#include "services/fetcher/fetcher_service.h"

#include <google/protobuf/util/time_util.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <thread>

#include "crawlstream/v1/dead_letter.pb.h"
#include "services/common/config.h"
#include "services/common/health.h"
#include "services/common/kafka_consumer.h"
#include "services/common/kafka_producer.h"
#include "services/common/produce_queue.h"
#include "services/common/service_runtime.h"
#include "services/common/shutdown.h"
#include "services/common/stage_loop.h"
#include "services/common/url.h"
#include "services/fetcher/state_keeper.h"

namespace crawlstream::fetcher {

using crawlstream::v1::CrawlRequest;
using crawlstream::v1::FetchedPage;

namespace {

KafkaHeaders Headers(const char* schema) {
  return {{"content-type", "application/x-protobuf"},
          {"schema", schema},
          {"producer", std::string("crawlstream-fetcher/") + CrawlstreamVersion()}};
}

// The crawler source of a crawl.requests partition (crawler.h: 0 is
// "none").
uint64_t SourceOf(const TopicPartition& tp) { return static_cast<uint64_t>(tp.partition) + 1; }

std::string HostKey(const std::string& url) {
  auto u = ParseUrl(url);
  return u ? u->host : "";
}

// CrawlOutput on a Kafka producer that never blocks the event loop: a
// record that finds the producer queue full waits in a ProduceQueue
// (produce_queue.h) and the loop pauses intake until it went out.
class KafkaCrawlOutput final : public CrawlOutput {
 public:
  KafkaCrawlOutput(ProduceQueue* queue, const TopicNames& topics,
                   std::shared_ptr<FetcherService::Acked> acked)
      : queue_(queue), topics_(topics), acked_(std::move(acked)) {}

  std::string EmitPage(const FetchedPage& page, Acked acked) override {
    std::string value = page.SerializeAsString();
    auto st = queue_->Send({topics_.pages, page.final_url(), std::move(value),
                            Headers("crawlstream.v1.FetchedPage")},
                           [acked, counts = acked_](const DeliveryReport& r) {
                             if (r.ok()) counts->pages.fetch_add(1);
                             acked(r.ok());
                           },
                           Refuse("page", acked));
    if (st) return "";
    if (st.error().code == ErrorCode::kResourceExhausted) {
      // Too large for Kafka: keep everything but the body.
      EmitDeadLetter(page.request(), "oversize",
                     "page of " + std::to_string(page.body().size()) + " bytes from " +
                         page.final_url() + " exceeds kafka.max_message_bytes",
                     1, std::move(acked));
      return "oversize";
    }
    Refuse("page", acked)(st.error());
    return "";
  }

  void EmitRequest(const CrawlRequest& request, Acked acked) override {
    auto st = queue_->Send({topics_.requests, HostKey(request.url()), request.SerializeAsString(),
                            Headers("crawlstream.v1.CrawlRequest")},
                           [acked, counts = acked_](const DeliveryReport& r) {
                             if (r.ok()) counts->requests.fetch_add(1);
                             acked(r.ok());
                           },
                           Refuse("request", acked));
    if (!st) Refuse("request", acked)(st.error());
  }

  void EmitDeadLetter(const CrawlRequest& request, const std::string& reason,
                      const std::string& detail, int attempts, Acked acked) override {
    crawlstream::v1::DeadLetter dl;
    dl.set_stage("fetcher");
    dl.set_reason(reason);
    dl.set_detail(detail);
    dl.set_source_topic(topics_.requests);
    dl.set_original_key(HostKey(request.url()));
    dl.set_original_value(request.SerializeAsString());
    *dl.mutable_failed_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
    dl.set_attempts(static_cast<uint32_t>(attempts));
    dl.set_url(request.url());
    auto st = queue_->Send({topics_.deadletter, HostKey(request.url()), dl.SerializeAsString(),
                            Headers("crawlstream.v1.DeadLetter")},
                           [acked, counts = acked_](const DeliveryReport& r) {
                             if (r.ok()) counts->dead_letters.fetch_add(1);
                             acked(r.ok());
                           },
                           Refuse("dead letter", acked));
    if (!st) Refuse("dead letter", acked)(st.error());
  }

  void EmitState(uint64_t source, const std::string& url, const std::string& value,
                 Acked acked) override {
    OutRecord record{topics_.state, url, value, Headers("crawlstream.v1.UrlState")};
    record.partition = static_cast<int32_t>(source) - 1;  // SourceOf: co-partitioned
    auto st = queue_->Send(std::move(record), [acked](const DeliveryReport& r) { acked(r.ok()); },
                           Refuse("crawl state", acked));
    if (!st) Refuse("crawl state", acked)(st.error());
  }

 private:
  // A record the producer will never send: the request is not finished
  // and its input not committed (the loop stops, crawler.h).
  static ProduceQueue::Refused Refuse(std::string what, Acked acked) {
    return [what = std::move(what), acked = std::move(acked)](const Error& e) {
      spdlog::error("fetcher: produce {}: {}", what, e.message);
      acked(false);
    };
  }

  ProduceQueue* queue_;
  TopicNames topics_;
  std::shared_ptr<FetcherService::Acked> acked_;
};

// crawlstream_fetcher_intake_paused (1 while the producer queue is full
// and no crawl request is taken) and the time spent so.
class IntakePause {
 public:
  explicit IntakePause(prometheus::Registry& registry)
      : gauge_(&prometheus::BuildGauge()
                    .Name("crawlstream_fetcher_intake_paused")
                    .Help("1 while intake is paused because the producer queue is full")
                    .Register(registry)
                    .Add({})),
        seconds_(&prometheus::BuildCounter()
                      .Name("crawlstream_fetcher_intake_paused_seconds_total")
                      .Help("Time intake was paused because the producer queue was full")
                      .Register(registry)
                      .Add({})) {}

  // Returns true when the state changed.
  bool Set(bool paused) {
    auto now = std::chrono::steady_clock::now();
    if (paused_) seconds_->Increment(std::chrono::duration<double>(now - since_).count());
    since_ = now;
    if (paused == paused_) return false;
    paused_ = paused;
    gauge_->Set(paused ? 1 : 0);
    return true;
  }
  bool paused() const { return paused_; }

 private:
  prometheus::Gauge* gauge_;
  prometheus::Counter* seconds_;
  bool paused_ = false;
  std::chrono::steady_clock::time_point since_;
};

}  // namespace

void BindFetcherKeys(Config* c, FetcherServiceOptions* o) {
  using std::chrono::milliseconds;
  auto& cr = o->crawler;
  c->Bind("fetcher.user_agent", &cr.http.user_agent, "User-Agent header, with a contact URL");
  c->Bind("fetcher.product_token", &cr.product_token, "token matched against robots.txt User-agent");
  c->Bind("fetcher.connect_timeout", &cr.http.connect_timeout, "TCP+TLS connect timeout",
          milliseconds(100), milliseconds(300'000));
  c->Bind("fetcher.total_timeout", &cr.http.total_timeout, "whole-transfer timeout",
          milliseconds(100), milliseconds(3'600'000));
  c->Bind("fetcher.low_speed_bytes", &o->low_speed_bytes,
          "abort transfers slower than this many bytes/s for low_speed_time", 0, 1 << 30);
  c->Bind("fetcher.low_speed_time", &o->low_speed_time, "see low_speed_bytes",
          milliseconds(1000), milliseconds(3'600'000));
  c->BindBytes("fetcher.max_body_bytes", &o->max_body_bytes,
               "abort bodies larger than this (decoded)", 1024, int64_t{1} << 30);
  c->BindBytes("fetcher.max_redirect_body_bytes", &o->max_redirect_body_bytes,
               "abort a 3xx response whose body exceeds this (redirect bodies are never kept)",
               1024, int64_t{1} << 30);
  c->BindBytes("fetcher.max_header_bytes", &o->max_header_bytes,
               "abort a response whose headers and trailers (1xx responses included) exceed this "
               "(libcurl also stops at 300KiB in all and 100KB per line)",
               4096, 300 << 10);
  c->Bind("fetcher.max_redirects", &o->max_redirects, "redirect hops followed", 0, 20);
  c->Bind("fetcher.http2", &cr.http.http2, "offer HTTP/2 over TLS");
  c->Bind("fetcher.dns_cache_ttl", &o->dns_cache_ttl, "DNS cache lifetime",
          milliseconds(0), milliseconds(86'400'000));
  c->Bind("fetcher.min_delay", &o->min_delay, "minimum delay between requests to one host",
          milliseconds(0), milliseconds(3'600'000));
  c->Bind("fetcher.max_crawl_delay", &o->max_crawl_delay, "cap on robots.txt Crawl-delay",
          milliseconds(0), milliseconds(3'600'000));
  c->Bind("fetcher.max_connections_per_host", &o->max_connections_per_host,
          "concurrent connections per host", 1, 64);
  c->Bind("fetcher.global_concurrency", &o->global_concurrency, "concurrent transfers in all",
          1, 100'000);
  c->Bind("fetcher.max_attempts", &o->max_attempts,
          "attempts for transient failures before the dead-letter topic", 1, 100);
  c->Bind("fetcher.retry_base_delay", &o->retry_base_delay, "first retry delay (doubles)",
          milliseconds(1), milliseconds(3'600'000));
  c->Bind("fetcher.retry_max_delay", &o->retry_max_delay, "longest retry delay",
          milliseconds(1), milliseconds(86'400'000));
  c->Bind("fetcher.robots_max_age", &o->robots_max_age, "robots.txt cache lifetime (max 24h)",
          milliseconds(1000), milliseconds(86'400'000));
  c->Bind("fetcher.allow_cidrs", &cr.allow_cidrs,
          "addresses the SSRF guard lets through (e.g. 127.0.0.1/32 for tests)");
  c->Bind("fetcher.follow_links", &cr.follow_links, "follow in-scope links and robots Sitemap: lines");
  c->Bind("fetcher.max_depth", &o->max_depth, "link depth from the seed", 0, 100);
  c->Bind("fetcher.max_index_depth", &o->max_index_depth,
          "feeds/sitemaps nested deeper than this below a seed are dead-lettered", 0, 100);
  c->Bind("fetcher.max_sitemaps_per_host", &o->max_sitemaps_per_host,
          "feeds and sitemaps fetched per host per repoll_min (the whole run when repoll_interval "
          "is 0); "
          "the rest are dead-lettered", 1, 10'000'000);
  c->Bind("fetcher.scope_domains", &cr.scope.domains,
          "registrable domains in scope (empty: the parent's domain)");
  c->Bind("fetcher.allow_patterns", &cr.scope.allow_patterns, "URL regexes; one must match");
  c->Bind("fetcher.deny_patterns", &cr.scope.deny_patterns, "URL regexes that exclude");
  c->Bind("fetcher.seeds_file", &o->seeds_file, "file of seed URLs published at start");
  c->Bind("fetcher.feeds", &o->feeds, "feed and sitemap URLs published at start and re-polled");
  c->Bind("fetcher.repoll_interval", &cr.repoll_interval,
          "first re-poll interval of seed feeds and sitemaps (0 = never re-polled); then adaptive "
          "within repoll_min..repoll_max",
          milliseconds(0), milliseconds(86'400'000 * 7LL));
  c->Bind("fetcher.repoll_min", &cr.repoll_min,
          "shortest re-poll interval: a feed or sitemap that keeps gaining items is polled "
          "this often at most (the interval halves after a poll with new items)",
          milliseconds(1000), milliseconds(86'400'000 * 7LL));
  c->Bind("fetcher.repoll_max", &cr.repoll_max,
          "longest re-poll interval (the interval grows by half after a poll with nothing new "
          "or a 304, doubles after one dead-lettered as max_retries or sitemap_budget_exhausted)",
          milliseconds(1000), milliseconds(86'400'000 * 7LL));
  c->Bind("fetcher.max_age", &cr.max_age,
          "feed and sitemap entries dated (lastmod, news:publication_date, pubDate) before now "
          "minus this are not crawled (crawlstream_fetch_too_old_total); 0 = no limit",
          milliseconds(0), milliseconds(86'400'000 * 36'500LL));
  c->Bind("fetcher.state_dir", &o->state_dir,
          "directory of the local crawl-state store (RocksDB, restored from topics.state, from "
          "a local checkpoint when one is good); empty: no crawl state (URLs seen and "
          "validators in memory only)");
  c->Bind("fetcher.state_restore_timeout", &o->state_restore_timeout,
          "longest restore of an assignment's crawl state (stops the fetcher when exceeded)",
          milliseconds(1000), milliseconds(3'600'000));
  c->Bind("fetcher.revisit_interval", &cr.revisit_interval,
          "with fetcher.state_dir: a fetched page is fetched again (conditionally) this long after "
          "its first fetch, and each next revisit twice as long after the one before, to catch "
          "corrections (0 = never)",
          milliseconds(0), milliseconds(86'400'000 * 365LL));
  c->Bind("fetcher.revisits", &cr.revisits,
          "with fetcher.revisit_interval: how many times a page is revisited", 0, 30);
  c->Bind("fetcher.max_queued", &o->max_queued,
          "pause consuming above this backlog (the group membership is kept)", 1, 10'000'000);
  c->Bind("fetcher.max_seen_urls", &o->max_seen_urls,
          "URLs the in-memory seen set remembers in all hosts (about 60 bytes each; least "
          "recently used hosts forgotten first: a forgotten URL may be fetched again)",
          1'000, 100'000'000);
}

std::chrono::milliseconds SitemapCycle(const CrawlerOptions& crawler) {
  if (crawler.repoll_interval.count() <= 0) return std::chrono::milliseconds(0);
  return crawler.repoll_min;
}

Status FinishFetcherOptions(FetcherServiceOptions* o) {
  auto& cr = o->crawler;
  cr.http.max_body_bytes = static_cast<size_t>(o->max_body_bytes);
  cr.http.max_redirects = static_cast<int>(o->max_redirects);
  cr.http.max_redirect_body_bytes = static_cast<size_t>(o->max_redirect_body_bytes);
  cr.http.max_header_bytes = static_cast<size_t>(o->max_header_bytes);
  cr.sitemaps.max_index_depth = static_cast<uint32_t>(o->max_index_depth);
  cr.sitemaps.max_per_host = o->max_sitemaps_per_host;
  cr.sitemaps.cycle = SitemapCycle(cr);
  cr.sitemaps.max_hosts = cr.seen_hosts;
  cr.seen_urls = static_cast<size_t>(o->max_seen_urls);
  cr.http.low_speed_bytes = static_cast<long>(o->low_speed_bytes);
  cr.http.low_speed_time = std::chrono::duration_cast<std::chrono::seconds>(o->low_speed_time);
  cr.http.dns_cache_ttl = std::chrono::duration_cast<std::chrono::seconds>(o->dns_cache_ttl);
  cr.politeness.default_delay = o->min_delay;
  cr.politeness.max_crawl_delay = o->max_crawl_delay;
  cr.politeness.max_connections_per_host = static_cast<int>(o->max_connections_per_host);
  cr.politeness.global_concurrency = static_cast<int>(o->global_concurrency);
  cr.retry.max_attempts = static_cast<int>(o->max_attempts);
  cr.retry.base_delay = o->retry_base_delay;
  cr.retry.max_delay = o->retry_max_delay;
  cr.robots.max_age = o->robots_max_age;
  cr.scope.max_depth = static_cast<uint32_t>(o->max_depth);
  if (cr.repoll_min > cr.repoll_max) {
    return Fail(ErrorCode::kInvalidArgument,
                "fetcher.repoll_min: must not exceed fetcher.repoll_max");
  }
  if (cr.http.user_agent.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "fetcher.user_agent: must not be empty");
  }
  for (const auto& cidr : cr.allow_cidrs) {
    if (auto c = Cidr::Parse(cidr); !c) {
      return Fail(ErrorCode::kInvalidArgument, "fetcher.allow_cidrs: " + c.error().message);
    }
  }
  if (auto s = Scope::Create(cr.scope); !s) {
    return Fail(ErrorCode::kInvalidArgument, "fetcher scope: " + s.error().message);
  }
  return Ok();
}

Result<std::vector<CrawlRequest>> ReadSeeds(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Fail(ErrorCode::kNotFound, "seeds file " + path + ": cannot be read");
  std::vector<CrawlRequest> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    auto e = line.find_last_not_of(" \t\r");
    std::string url = line.substr(b, e - b + 1);
    auto parsed = ParseUrl(url);
    if (!parsed) {
      return Fail(ErrorCode::kInvalidArgument,
                  path + ":" + std::to_string(n) + ": \"" + url + "\": " + parsed.error().message);
    }
    CrawlRequest req;
    req.set_url(url);
    req.set_kind(GuessKind(url));
    req.set_origin("seed-file");
    *req.mutable_requested_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
    out.push_back(std::move(req));
  }
  return out;
}

Status PublishRequests(Producer* producer, const std::string& topic,
                       const std::vector<CrawlRequest>& requests, std::atomic<int64_t>* acked) {
  auto failures = std::make_shared<std::atomic<int>>(0);
  for (const auto& req : requests) {
    auto st = producer->Produce({topic, HostKey(req.url()), req.SerializeAsString(),
                                 Headers("crawlstream.v1.CrawlRequest")},
                                [failures, acked](const DeliveryReport& r) {
                                  if (!r.ok()) failures->fetch_add(1);
                                  else if (acked) acked->fetch_add(1);
                                });
    if (!st) return st;
  }
  if (auto st = producer->Flush(std::chrono::seconds(60)); !st) return st;
  if (failures->load() > 0) {
    return Fail(ErrorCode::kUnavailable, std::to_string(failures->load()) + " seed requests not delivered");
  }
  return Ok();
}

FetcherService::FetcherService(FetcherServiceOptions options, KafkaOptions kafka, TopicNames topics,
                               std::shared_ptr<prometheus::Registry> registry, Health* health)
    : options_(std::move(options)), kafka_(std::move(kafka)), topics_(std::move(topics)),
      registry_(std::move(registry)), health_(health) {}

FetcherService::~FetcherService() = default;

const CrawlerStats* FetcherService::stats() const { return stats_.load(); }

int FetcherService::Run(const std::atomic<bool>* stop, std::chrono::milliseconds drain_timeout) {
  auto producer = Producer::Create(kafka_, registry_, health_);
  if (!producer) {
    spdlog::critical("fetcher: {}", producer.error().message);
    return 2;
  }
  ProduceQueue queue(producer->get(), *registry_);
  KafkaCrawlOutput output(&queue, topics_, acked_);
  IntakePause pause(*registry_);
  std::unique_ptr<StateKeeper> state;
  if (!options_.state_dir.empty()) {
    auto keeper = StateKeeper::Create(options_.state_dir, kafka_, topics_, *registry_,
                                      options_.state_restore_timeout);
    if (!keeper) {
      spdlog::critical("fetcher: crawl state: {}", keeper.error().message);
      return 2;
    }
    state = std::move(*keeper);
    spdlog::info("fetcher: crawl state in {}, changelog {}", options_.state_dir, topics_.state);
  }
  auto crawler = Crawler::Create(options_.crawler, &output, registry_, nullptr,
                                 state ? state->store() : nullptr);
  if (!crawler) {
    spdlog::critical("fetcher: {}", crawler.error().message);
    return 2;
  }
  stats_.store(&(*crawler)->stats());

  std::vector<CrawlRequest> initial;
  if (!options_.seeds_file.empty()) {
    auto seeds = ReadSeeds(options_.seeds_file);
    if (!seeds) {
      spdlog::critical("fetcher: {}", seeds.error().message);
      return 2;
    }
    initial = std::move(*seeds);
  }
  for (const auto& feed : options_.feeds) {
    CrawlRequest req;
    req.set_url(feed);
    req.set_kind(GuessKind(feed));
    req.set_origin("config");
    req.set_refetch(true);
    initial.push_back(std::move(req));
  }
  if (!initial.empty()) {
    if (auto st = PublishRequests(producer->get(), topics_.requests, initial, &acked_->requests); !st) {
      spdlog::critical("fetcher: publishing seeds: {}", st.error().message);
      return 1;
    }
    spdlog::info("fetcher: published {} seed requests to {}", initial.size(), topics_.requests);
  }

  auto consumer = Consumer::Create(kafka_, {topics_.requests}, registry_, health_);
  if (!consumer) {
    spdlog::critical("fetcher: {}", consumer.error().message);
    return 2;
  }
  Consumer* c = consumer->get();
  // A revoked partition's requests are handed back before the revocation
  // completes (crawler.h, Revoke): nothing queued or in flight is fetched
  // by two owners, and what was fetched is committed first.
  c->OnRevoke([&](const std::vector<TopicPartition>& tps) {
    std::vector<uint64_t> sources;
    for (const auto& tp : tps) {
      if (tp.topic == topics_.requests) sources.push_back(SourceOf(tp));
    }
    RevokeResult handed = (*crawler)->Revoke(sources);
    // Pages already fetched: wait for their acknowledgements, so that
    // their offsets are committed now rather than fetched again by the
    // new owner (with crawl state: then their states, which come first).
    if (auto st = (*producer)->Flush(drain_timeout); !st) {
      spdlog::warn("fetcher: on revoke: {}", st.error().message);
    }
    if (state) {
      if ((*crawler)->RecordStates() > 0) {
        queue.Pump();
        if (auto st = (*producer)->Flush(drain_timeout); !st) {
          spdlog::warn("fetcher: on revoke: crawl state: {}", st.error().message);
        }
      }
      std::vector<int32_t> partitions;
      for (const auto& tp : tps) {
        if (tp.topic == topics_.requests) partitions.push_back(tp.partition);
      }
      // Stopping: kept on disk for the next process on this directory
      // (it reads only what crawl.state gained since); else dropped.
      if (Shutdown::Requested() || (stop && stop->load())) {
        state->Release(partitions);
      } else {
        state->Drop(partitions);
      }
    }
    spdlog::info("fetcher: {} partitions revoked: handed back {} queued and {} in-flight "
                 "requests ({} duplicates); {} requests still unfinished",
                 tps.size(), handed.queued, handed.in_flight, handed.duplicates,
                 (*crawler)->outstanding());
  });
  // Crawl state: an assigned partition's state is restored before any of
  // its requests is fetched (state_keeper.h). A failed restore stops the
  // fetcher (restarted, it tries again) rather than crawl without it.
  bool restore_failed = false;
  // Politeness across a hand-over: a host taken over waits one delay.
  c->OnAssign([&](const std::vector<TopicPartition>& tps) {
    (*crawler)->NoteAssignment();
    if (!state) return;
    std::vector<int32_t> partitions;
    for (const auto& tp : tps) {
      if (tp.topic == topics_.requests) partitions.push_back(tp.partition);
    }
    if (auto st = state->Restore(partitions); !st) {
      spdlog::critical("fetcher: crawl state: {}", st.error().message);
      restore_failed = true;
    }
  });
  auto records = std::make_shared<StageRecords>("fetcher", *registry_);
  auto stopping = [&] { return Shutdown::Requested() || (stop && stop->load()); };
  // Takes one polled crawl request (or dead-letters an undecodable one).
  auto take = [&](InRecord rec) {
    inputs_.fetch_add(1);
    idle_.store(false);
    CrawlRequest req;
    if (req.ParseFromString(rec.value) && !req.url().empty()) {
      const uint64_t source = SourceOf(rec.tp);
      (*crawler)->Submit(
          std::move(req),
          [c, rec, records](const CrawlOutcome& outcome) {
            records->Count(outcome.outcome, outcome.reason);
            c->Done(rec);
          },
          source);
      return;
    }
    std::string dl = MakeDeadLetter("fetcher", "undecodable",
                                    "value is not a crawlstream.v1.CrawlRequest with a URL", rec);
    auto st = queue.Send(
        {topics_.deadletter, rec.key, std::move(dl), Headers("crawlstream.v1.DeadLetter")},
        [c, rec, records, counts = acked_](const DeliveryReport& r) {
          if (r.ok()) {
            counts->dead_letters.fetch_add(1);
            records->Count("dead_letter", "undecodable");
            c->Done(rec);
          }
        },
        [](const Error& e) { spdlog::error("fetcher: dead letter: {}", e.message); });
    if (!st) spdlog::error("fetcher: dead letter: {}", st.error().message);
  };
  // Back-pressure: while outputs wait for room in the producer queue, no
  // crawl request is taken and no new transfer starts; the loop keeps
  // beating, committing and serving transfers and deliveries. At the
  // backlog cap (fetcher.max_queued) intake pauses too. Paused partitions
  // still see this member poll: Poll() serves heartbeats, rebalances and
  // max.poll.interval.ms (without it a backlog of slow hosts got the member
  // thrown out of the group, its fetched work uncommitted). The owner's
  // hold (SetHold: `crawlstream run` while the extractor lags) only stops
  // new transfers.
  auto update_pause = [&] {
    queue.Pump();
    const bool full = queue.backpressured();
    (*crawler)->Hold(full || (hold_ && hold_()));
    if (pause.Set(full)) {
      if (full) {
        spdlog::warn("fetcher: producer queue full (kafka.producer_queue_bytes): intake paused");
      } else {
        spdlog::info("fetcher: producer queue has room: intake resumed");
      }
    }
    c->Pause(full || (*crawler)->queued() >= static_cast<size_t>(options_.max_queued));
  };
  int exit_code = 0;
  auto next_state_metrics = std::chrono::steady_clock::now();
  while (!stopping()) {
    if (restore_failed) {
      exit_code = 1;
      break;
    }
    if (state && std::chrono::steady_clock::now() >= next_state_metrics) {
      state->UpdateMetrics();
      next_state_metrics = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    }
    if (health_) health_->Beat();
    if ((*crawler)->stats().failed_emissions.load() > 0) {
      spdlog::error("fetcher: an output could not be delivered; stopping without committing it");
      exit_code = 1;
      break;
    }
    if (auto st = c->MaybeCommit(); !st) spdlog::warn("fetcher: {}", st.error().message);
    update_pause();
    bool busy = !(*crawler)->Idle();
    {
      auto polled = c->Poll(busy || pause.paused() ? std::chrono::milliseconds(0)
                                                   : std::chrono::milliseconds(50));
      if (!polled) {
        spdlog::critical("fetcher: {}", polled.error().message);
        exit_code = 1;
        break;
      }
      if (polled->has_value()) {
        take(std::move(**polled));
        // Unpaused: take more input before waiting on the network. (A
        // record fetched before a pause may still come out of Poll().)
        if (!pause.paused()) continue;
      }
    }
    (*crawler)->Tick(std::chrono::milliseconds(busy || pause.paused() ? 20 : 0));
    idle_.store((*crawler)->Idle() && !queue.backpressured());
  }
  // Drain, within one drain_timeout for the crawl and the producer flush:
  // finish what is in flight (no new input), then give up on the rest;
  // unfinished inputs are not committed and come back after restart.
  auto deadline = std::chrono::steady_clock::now() + drain_timeout;
  while ((!(*crawler)->Idle() || queue.backpressured()) &&
         std::chrono::steady_clock::now() < deadline) {
    if (health_) health_->Beat();
    update_pause();
    (*crawler)->Tick(std::chrono::milliseconds(20));
  }
  if (!(*crawler)->Idle() || queue.backpressured()) {
    const int64_t unfinished = (*crawler)->outstanding();
    const size_t cancelled = (*crawler)->Abandon();
    spdlog::warn("fetcher: abandoned {} unfinished requests ({} transfers in flight cancelled), "
                 "{} outputs waiting for the producer queue (redelivered after restart)",
                 unfinished, cancelled, queue.waiting());
    queue.Abandon();
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (auto st = (*producer)->Flush(std::max(left, std::chrono::milliseconds(0))); !st) {
    spdlog::warn("fetcher: {}", st.error().message);
  }
  if (auto st = c->Close(); !st) spdlog::warn("fetcher: final commit: {}", st.error().message);
  stats_.store(nullptr);
  spdlog::info("fetcher: stopped");
  return exit_code;
}

}  // namespace crawlstream::fetcher
