#include "services/fetcher/crawler.h"

#include <google/protobuf/util/time_util.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "crawlstream/v1/crawl_state.pb.h"
#include "services/common/sha256.h"
#include "services/common/url.h"
#include "services/fetcher/listing_order.h"
#include "services/fetcher/page.h"
#include "services/fetcher/repoll.h"
#include "services/fetcher/revisit.h"
#include "services/fetcher/ssrf.h"
#include "services/fetcher/state_store.h"
#include "services/fetcher/validators.h"

namespace crawlstream::fetcher {

using crawlstream::v1::CrawlRequest;
using crawlstream::v1::FetchedPage;
using crawlstream::v1::UrlState;

namespace {

struct Tracker;

// Requests whose emissions are acknowledged and whose state is still to be
// written (crawler.h, crawl state): filled by any thread, emptied by the
// crawler's (Crawler::RecordStates). `pending` counts them until their
// state is acknowledged.
struct Recorder {
  std::mutex mu;
  std::vector<std::shared_ptr<Tracker>> ready;  // guarded by mu
  std::atomic<int64_t> pending{0};

  void Push(std::shared_ptr<Tracker> t) {
    pending.fetch_add(1);
    std::lock_guard lock(mu);
    ready.push_back(std::move(t));
  }
  std::vector<std::shared_ptr<Tracker>> Take() {
    std::lock_guard lock(mu);
    return std::exchange(ready, {});
  }
};

// Counts the emissions of one request; runs `done` when the last one is
// acknowledged and the crawler has released its own token.
// The outcome is written by the crawler's thread while it holds its own
// token, so the thread that releases the last one reads it complete.
//
// A duplicate of a request still in flight (the same URL delivered again,
// e.g. after a rebalance handed the partition back) follows the first one:
// it is done only when the first one's pages are acknowledged, so that
// committing the duplicate's offset never commits past work that a crash
// would lose.
//
// A request whose input was handed back (Crawler::Revoke) is `revoked`:
// its `done` never runs, whatever completes later.
struct Tracker {
  std::atomic<int> pending{1};
  std::atomic<bool> failed{false};
  std::atomic<bool> revoked{false};
  CrawlOutcome outcome;
  int emitted = 0;  // emissions held; crawler thread only
  CrawlDone done;
  uint64_t source = 0;
  // A follower's request, to submit it again if its leader is revoked
  // while it is not (crawler thread only).
  std::optional<CrawlRequest> request;
  CrawlerStats* stats = nullptr;
  std::atomic<int64_t>* outstanding = nullptr;
  std::mutex mu;
  bool completed = false;     // guarded by mu
  bool completed_ok = false;  // guarded by mu
  std::vector<std::shared_ptr<Tracker>> followers;  // guarded by mu
  // With crawl state: the state to write once the emissions are
  // acknowledged, before `done` (set by the crawler's thread while it
  // holds its own token, like `outcome`).
  std::unique_ptr<UrlState> state;
  std::string state_url;
  uint64_t state_source = 0;
  std::shared_ptr<Recorder> recorder;

  static void Release(const std::shared_ptr<Tracker>& t) {
    if (t->pending.fetch_sub(1) != 1) return;
    if (t->revoked.load()) {
      t->outstanding->fetch_sub(1);
      std::lock_guard lock(t->mu);
      t->completed = true;  // not ok: followers were taken over by Revoke
      return;
    }
    const bool ok = !t->failed.load();
    if (ok && t->state && t->recorder) {
      t->recorder->Push(t);  // counted there before it leaves `outstanding`
      t->outstanding->fetch_sub(1);
      return;
    }
    t->outstanding->fetch_sub(1);
    Complete(t, ok);
  }
  // Runs `done` (when ok) and releases the followers.
  static void Complete(const std::shared_ptr<Tracker>& t, bool ok) {
    t->stats->finished.fetch_add(1);
    std::vector<std::shared_ptr<Tracker>> followers;
    {
      std::lock_guard lock(t->mu);
      t->completed = true;
      t->completed_ok = ok;
      followers.swap(t->followers);
    }
    if (!ok) {
      t->stats->failed_emissions.fetch_add(1);  // not acknowledged: not committed
    } else if (t->done) {
      t->done(t->outcome);
    }
    for (const auto& f : followers) {
      if (!ok) f->failed.store(true);
      Release(f);
    }
  }
  // `follower` is done no sooner than `leader` (released with it).
  // Returns false when the leader had already completed.
  static bool Follow(const std::shared_ptr<Tracker>& leader,
                     const std::shared_ptr<Tracker>& follower) {
    follower->pending.fetch_add(1);
    bool now = false;
    bool ok = true;
    {
      std::lock_guard lock(leader->mu);
      now = leader->completed;
      ok = leader->completed_ok;
      if (!now) leader->followers.push_back(follower);
    }
    if (now) {
      if (!ok) follower->failed.store(true);
      Release(follower);
    }
    return !now;
  }
  static bool Completed(const std::shared_ptr<Tracker>& t) {
    std::lock_guard lock(t->mu);
    return t->completed;
  }
  // Takes the followers over (their leader is being revoked).
  static std::vector<std::shared_ptr<Tracker>> TakeFollowers(const std::shared_ptr<Tracker>& t) {
    std::lock_guard lock(t->mu);
    return std::exchange(t->followers, {});
  }
  static CrawlOutput::Acked Hold(const std::shared_ptr<Tracker>& t) {
    t->pending.fetch_add(1);
    ++t->emitted;
    return [t](bool ok) {
      if (!ok) t->failed.store(true);
      Release(t);
    };
  }
};

std::string StatusClass(int status) {
  if (status <= 0) return "none";
  return std::to_string(status / 100) + "xx";
}

bool ContainsCi(std::string_view hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) ==
                                                    std::tolower(static_cast<unsigned char>(b)); });
  return it != hay.end();
}

// Feed or sitemap by content type or by the first bytes of the body.
bool LooksLikeDiscoveryDocument(const CrawlRequest& req, std::string_view content_type,
                                std::string_view body) {
  if (req.kind() == CrawlRequest::KIND_FEED || req.kind() == CrawlRequest::KIND_SITEMAP) return true;
  if (ContainsCi(content_type, "html")) return false;
  if (ContainsCi(content_type, "rss") || ContainsCi(content_type, "atom") ||
      ContainsCi(content_type, "xml")) {
    return true;
  }
  if (LooksGzipped(body)) return true;
  std::string_view head = body.substr(0, 512);
  return ContainsCi(head, "<rss") || ContainsCi(head, "<feed") || ContainsCi(head, "<urlset") ||
         ContainsCi(head, "<sitemapindex") || ContainsCi(head, "<rdf:RDF");
}

bool IsListing(const CrawlRequest& req) {
  return req.kind() == CrawlRequest::KIND_FEED || req.kind() == CrawlRequest::KIND_SITEMAP;
}

google::protobuf::Timestamp ToTimestamp(std::chrono::system_clock::time_point t) {
  const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  google::protobuf::Timestamp ts;
  ts.set_seconds(ns / 1'000'000'000);
  ts.set_nanos(static_cast<int32_t>(ns % 1'000'000'000));
  return ts;
}

std::chrono::system_clock::time_point FromTimestamp(const google::protobuf::Timestamp& ts) {
  return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::seconds(ts.seconds()) + std::chrono::nanoseconds(ts.nanos())));
}

// Dead-letter reasons after which a URL asked for again is fetched again,
// due or not: the failure may have passed (crawler.h, crawl state).
constexpr std::string_view kRetriedDeadLetters[] = {"max_retries"};

// The last fetch settled the URL until it is due.
bool Settled(const UrlState& s) {
  if (!s.has_last_fetched()) return false;
  if (s.outcome() != "dead_letter") return true;
  return std::find(std::begin(kRetriedDeadLetters), std::end(kRetriedDeadLetters), s.reason()) ==
         std::end(kRetriedDeadLetters);
}

// Dead-letter reasons after which a seed feed or sitemap is still polled
// again (later: repoll.h, kFailed): the failure may pass.
constexpr std::string_view kRepolledDeadLetters[] = {"max_retries", "sitemap_budget_exhausted"};

bool RepolledAfter(std::string_view reason) {
  return std::find(std::begin(kRepolledDeadLetters), std::end(kRepolledDeadLetters), reason) !=
         std::end(kRepolledDeadLetters);
}

// The state partition of a request's source (crawler.h: s - 1).
int32_t StatePartition(uint64_t source) { return static_cast<int32_t>(source - 1); }

bool IsFeedDocument(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::kRss:
    case DocumentKind::kRdf:
    case DocumentKind::kAtom:
      return true;
    case DocumentKind::kUrlset:
    case DocumentKind::kSitemapIndex:
    case DocumentKind::kTextSitemap:
      return false;
  }
  return false;
}

}  // namespace

CrawlRequest::Kind GuessKind(const std::string& url) {
  auto parsed = ParseUrl(url);
  std::string path = parsed ? parsed->path : url;
  for (char& c : path) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (path.find("sitemap") != std::string::npos || path.ends_with(".xml.gz")) {
    return CrawlRequest::KIND_SITEMAP;
  }
  if (path.find("rss") != std::string::npos || path.find("feed") != std::string::npos ||
      path.find("atom") != std::string::npos) {
    return CrawlRequest::KIND_FEED;
  }
  if (path.ends_with(".xml")) return CrawlRequest::KIND_SITEMAP;
  return CrawlRequest::KIND_PAGE;
}

struct Crawler::Impl {
  struct Work {
    CrawlRequest req;
    Url url;
    std::string origin;
    std::string host;
    int attempts = 0;
    std::shared_ptr<Tracker> tracker;
    SteadyTime enqueued{};
    std::string last_error;
    bool in_seen = false;    // this request put its URL in the seen set
    bool in_flight = false;  // its transfer (tag = id) is running
    // Crawl state: the source whose partition holds it (0: none), what it
    // held before this fetch, and what this fetch learnt.
    uint64_t state_source = 0;
    std::optional<UrlState> prior;
    int status = 0;
    bool got_ok = false;  // a 2xx: fresh validators and content hash
    Validators fresh;
    std::string content_hash;
    // A listing's next poll, when the crawl state schedules it (NoteState).
    std::optional<std::chrono::milliseconds> repoll_wait;
  };

  CrawlerOptions options;
  CrawlOutput* output = nullptr;
  std::unique_ptr<Clock> owned_clock;
  const Clock* clock = nullptr;
  std::shared_ptr<prometheus::Registry> registry;
  SsrfGuard guard;
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<PolitenessScheduler> politeness;
  std::unique_ptr<RobotsCache> robots;
  std::unique_ptr<RetryPolicy> retry;
  std::unique_ptr<ValidatorCache> validators;
  std::unique_ptr<SeenUrls> seen;
  StateStore* state_store = nullptr;   // crawl state (may be null)
  std::shared_ptr<Recorder> recorder;  // set with state_store
  // The tracker of each URL's first instance while it may be in flight
  // (Tracker: duplicates follow it).
  std::unordered_map<std::string, std::weak_ptr<Tracker>> first_instance;
  size_t prune_at = 1024;
  std::unique_ptr<SitemapLimits> sitemap_limits;
  std::unique_ptr<RepollSchedule> repoll_schedule;
  std::optional<Scope> scope;
  std::mt19937_64 rng{0x5eed};
  std::uniform_real_distribution<double> uniform{0.0, 1.0};

  uint64_t next_id = 1;
  std::unordered_map<uint64_t, Work> work;
  std::unordered_map<std::string, std::vector<uint64_t>> robots_waiting;
  std::unordered_set<std::string> robots_fetching;
  std::unordered_map<std::string, bool> robots_unreachable;  // origin -> last verdict
  // Origins whose robots.txt fetch the SSRF guard refused on the first hop
  // (the origin itself resolves to a refused address) -> the refusal;
  // kept as long as that robots.txt verdict is cached.
  std::unordered_map<std::string, std::string> ssrf_refused_origins;
  std::multimap<SteadyTime, uint64_t> timers;
  std::multimap<SteadyTime, std::pair<CrawlRequest, uint64_t>> repolls;  // + state source
  SteadyTime next_due_scan{};  // of the state store's due index
  size_t fetching = 0;
  bool held = false;  // Crawler::Hold: start no new transfer
  std::atomic<int64_t> outstanding{0};
  CrawlerStats stats;

  // Metrics.
  prometheus::Family<prometheus::Counter>* requests_family = nullptr;
  std::map<std::pair<std::string, std::string>, prometheus::Counter*> requests;
  prometheus::Counter* bytes = nullptr;
  prometheus::Counter* wire_bytes = nullptr;
  prometheus::Histogram* latency = nullptr;
  prometheus::Histogram* politeness_wait = nullptr;
  prometheus::Counter* robots_denied = nullptr;
  prometheus::Family<prometheus::Counter>* limit_hits_family = nullptr;
  prometheus::Counter* retries = nullptr;
  prometheus::Counter* not_modified = nullptr;
  prometheus::Counter* discovered = nullptr;
  prometheus::Counter* too_old = nullptr;
  prometheus::Family<prometheus::Counter>* listing_polls_family = nullptr;
  prometheus::Gauge* inflight = nullptr;
  prometheus::Gauge* queued_hosts = nullptr;
  prometheus::Gauge* queued = nullptr;
  prometheus::Gauge* due_age = nullptr;
  // crawlstream_fetch_cache_entries{cache}: the per-instance caches.
  prometheus::Gauge* seen_urls = nullptr;
  prometheus::Gauge* seen_hosts = nullptr;
  prometheus::Gauge* validator_entries = nullptr;
  prometheus::Gauge* robots_entries = nullptr;
  prometheus::Gauge* politeness_hosts = nullptr;
  prometheus::Family<prometheus::Counter>* revoked_family = nullptr;
  prometheus::Family<prometheus::Counter>* revisits_family = nullptr;

  void Count(const std::string& outcome, int status) {
    auto key = std::make_pair(outcome, StatusClass(status));
    auto& c = requests[key];
    if (!c) c = &requests_family->Add({{"outcome", key.first}, {"status_class", key.second}});
    c->Increment();
  }

  // Counts a hit of the bound set by config key `limit`.
  void CountLimit(std::string_view limit) {
    limit_hits_family->Add({{"limit", std::string(limit)}}).Increment();
  }

  void InitMetrics() {
    auto& r = *registry;
    requests_family = &prometheus::BuildCounter()
                           .Name("crawlstream_fetch_requests_total")
                           .Help("Fetch attempts by outcome and HTTP status class")
                           .Register(r);
    bytes = &prometheus::BuildCounter().Name("crawlstream_fetch_bytes_total")
                 .Help("Body bytes fetched after content decoding").Register(r).Add({});
    wire_bytes = &prometheus::BuildCounter().Name("crawlstream_fetch_wire_bytes_total")
                      .Help("Body bytes received on the wire").Register(r).Add({});
    latency = &prometheus::BuildHistogram().Name("crawlstream_fetch_duration_seconds")
                   .Help("Time from request start to last body byte").Register(r)
                   .Add({}, prometheus::Histogram::BucketBoundaries{
                                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30});
    politeness_wait = &prometheus::BuildHistogram().Name("crawlstream_fetch_politeness_wait_seconds")
                           .Help("Time a request waited in its host queue").Register(r)
                           .Add({}, prometheus::Histogram::BucketBoundaries{
                                        0.001, 0.01, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300});
    robots_denied = &prometheus::BuildCounter().Name("crawlstream_fetch_robots_denied_total")
                         .Help("Requests refused by robots.txt").Register(r).Add({});
    limit_hits_family = &prometheus::BuildCounter()
                             .Name("crawlstream_fetch_limit_hits_total")
                             .Help("Responses and discovered feeds/sitemaps refused by a bound, "
                                   "by the config key that sets it")
                             .Register(r);
    for (auto limit : {FetchLimit::kBody, FetchLimit::kRedirectBody, FetchLimit::kHeaders}) {
      limit_hits_family->Add({{"limit", std::string(FetchLimitName(limit))}});
    }
    for (const char* limit : {"max_index_depth", "max_sitemaps_per_host"}) {
      limit_hits_family->Add({{"limit", limit}});
    }
    retries = &prometheus::BuildCounter().Name("crawlstream_fetch_retries_total")
                   .Help("Fetches scheduled again after a transient failure").Register(r).Add({});
    not_modified = &prometheus::BuildCounter().Name("crawlstream_fetch_not_modified_total")
                        .Help("Conditional GETs answered 304").Register(r).Add({});
    discovered = &prometheus::BuildCounter().Name("crawlstream_fetch_discovered_total")
                      .Help("Requests discovered in feeds, sitemaps and links").Register(r).Add({});
    too_old = &prometheus::BuildCounter().Name("crawlstream_fetch_too_old_total")
                   .Help("Feed and sitemap entries not crawled: dated before now - fetcher.max_age")
                   .Register(r).Add({});
    listing_polls_family = &prometheus::BuildCounter()
                                .Name("crawlstream_fetch_listing_polls_total")
                                .Help("Polls of seed feeds and sitemaps by what they found compared "
                                      "with the previous poll (first, new_items, nothing_new, not_modified, failed); "
                                      "they set the adaptive re-poll interval")
                                .Register(r);
    for (auto f : {PollFinding::kFirst, PollFinding::kNewItems, PollFinding::kNothingNew,
                   PollFinding::kNotModified, PollFinding::kFailed}) {
      listing_polls_family->Add({{"finding", std::string(PollFindingName(f))}});
    }
    inflight = &prometheus::BuildGauge().Name("crawlstream_fetch_inflight")
                    .Help("Transfers in progress").Register(r).Add({});
    queued_hosts = &prometheus::BuildGauge().Name("crawlstream_fetch_queued_hosts")
                        .Help("Hosts with queued requests").Register(r).Add({});
    queued = &prometheus::BuildGauge().Name("crawlstream_fetch_queued")
                  .Help("Requests waiting for their host").Register(r).Add({});
    due_age = &prometheus::BuildGauge().Name("crawlstream_fetch_due_queue_age_seconds")
                   .Help("How long the most overdue host has been due (its politeness delay "
                         "passed) without a fetch slot: 0 while the fetcher keeps up")
                   .Register(r).Add({});
    auto& caches = prometheus::BuildGauge()
                       .Name("crawlstream_fetch_cache_entries")
                       .Help("Entries of the fetcher's in-memory caches, each bounded: seen_urls "
                             "(200,000 per host, oldest evicted; fetcher.max_seen_urls in all, "
                             "least recently used hosts evicted), seen_hosts (20,000, least "
                             "recently used evicted), validators (200,000, LRU), robots (one "
                             "per origin, 24 h at most), politeness_hosts (idle hosts pruned)")
                       .Register(r);
    seen_urls = &caches.Add({{"cache", "seen_urls"}});
    seen_hosts = &caches.Add({{"cache", "seen_hosts"}});
    validator_entries = &caches.Add({{"cache", "validators"}});
    robots_entries = &caches.Add({{"cache", "robots"}});
    politeness_hosts = &caches.Add({{"cache", "politeness_hosts"}});
    revoked_family = &prometheus::BuildCounter()
                          .Name("crawlstream_fetch_revoked_total")
                          .Help("Requests handed back unfinished when their input partition "
                                "was revoked, by state (queued, in_flight, duplicate)")
                          .Register(r);
    for (const char* state : {"queued", "in_flight", "duplicate"}) revoked_family->Add({{"state", state}});
    revisits_family = &prometheus::BuildCounter()
                           .Name("crawlstream_fetch_revisits_total")
                           .Help("Fetches of pages fetched before (crawl state on) by finding: "
                                 "changed (sent on as a new revision), unchanged (same body, "
                                 "skipped), not_modified (304), failed")
                           .Register(r);
    for (auto f : {RevisitFinding::kChanged, RevisitFinding::kUnchanged,
                   RevisitFinding::kNotModified, RevisitFinding::kFailed}) {
      revisits_family->Add({{"finding", std::string(RevisitFindingName(f))}});
    }
  }

  void Finish(uint64_t id) {
    auto it = work.find(id);
    if (it == work.end()) return;
    auto tracker = it->second.tracker;
    if (tracker->outcome.outcome == "processed" && tracker->emitted == 0) {
      tracker->outcome = {"skipped", "no_output"};  // e.g. an empty feed
    }
    NoteState(it->second);
    work.erase(it);
    Tracker::Release(tracker);
  }

  RevisitOptions Revisits() const { return {options.revisit_interval, options.revisits}; }

  // A page due for a revisit (revisit.h, as configured now).
  bool Due(const UrlState& s) const {
    auto next = NextRevisit(s, Revisits());
    return next && *next <= clock->WallNow();
  }

  // When the due index should hand a URL out: a listing at its next poll,
  // a page at its next revisit (as configured now); nullopt: never.
  std::optional<std::chrono::system_clock::time_point> DueTimeOf(const UrlState& s) const {
    const bool listing = s.kind() == CrawlRequest::KIND_FEED || s.kind() == CrawlRequest::KIND_SITEMAP;
    if (listing) {
      if (!s.has_next_due()) return std::nullopt;
      return FromTimestamp(s.next_due());
    }
    return NextRevisit(s, Revisits());
  }

  // Submits what has come due in the owned state partitions (crawler.h:
  // next_due), at most once a second.
  void SubmitDue() {
    constexpr auto kScanPeriod = std::chrono::seconds(1);
    constexpr size_t kPerScan = 256;
    constexpr size_t kMaxBacklog = 10'000;
    constexpr auto kLease = std::chrono::minutes(15);
    if (!state_store || clock->Now() < next_due_scan) return;
    next_due_scan = clock->Now() + kScanPeriod;
    if (politeness->queued() + timers.size() >= kMaxBacklog) return;
    const auto wall = clock->WallNow();
    for (int32_t partition : state_store->owned()) {
      auto due = state_store->TakeDue(partition, wall, kPerScan, kLease,
                                      [this](const UrlState& s) { return DueTimeOf(s); });
      if (!due) {
        spdlog::warn("fetcher: state partition {}: {}", partition, due.error().message);
        continue;
      }
      for (auto& d : *due) {
        CrawlRequest req;
        req.set_url(d.url);
        req.set_kind(d.state->kind() == CrawlRequest::KIND_UNSPECIFIED ? CrawlRequest::KIND_PAGE
                                                                        : d.state->kind());
        req.set_depth(d.state->depth());
        req.set_index_depth(d.state->index_depth());
        req.set_refetch(IsListing(req));
        req.set_origin(IsListing(req) ? "repoll" : "revisit");
        *req.mutable_requested_at() = ToTimestamp(wall);
        Submit(std::move(req), nullptr, 0, static_cast<uint64_t>(partition) + 1);
      }
    }
  }

  // The state a finished request leaves (crawler.h, crawl state), written
  // once its emissions are acknowledged (RecordStates).
  void NoteState(Work& w) {
    // Early dead letters (bad_url, ssrf_refused before the origin is known)
    // are recorded too: a due URL whose state is never written would be
    // handed out again at every lease.
    if (!state_store || w.state_source == 0 || w.req.url().empty()) return;
    const CrawlOutcome& outcome = w.tracker->outcome;
    if (outcome.outcome == "skipped" && outcome.reason == "duplicate") return;
    if (!state_store->Owns(StatePartition(w.state_source))) return;
    auto s = std::make_unique<UrlState>(w.prior ? *w.prior : UrlState());
    const auto wall = clock->WallNow();
    if (w.prior && w.prior->has_last_fetched() && !IsListing(w.req)) {
      const auto finding = ClassifyRevisit(w.prior->content_hash(), w.got_ok, w.content_hash,
                                           w.status == 304);
      revisits_family->Add({{"finding", std::string(RevisitFindingName(finding))}}).Increment();
      if (finding == RevisitFinding::kChanged && !w.prior->content_hash().empty()) {
        s->set_changes(s->changes() + 1);
      }
    }
    s->set_kind(w.req.kind());
    s->set_depth(w.req.depth());
    s->set_index_depth(w.req.index_depth());
    if (w.prior) {
      s->set_revisit_count(s->revisit_count() + 1);
    } else {
      *s->mutable_first_seen() = ToTimestamp(wall);
    }
    *s->mutable_last_fetched() = ToTimestamp(wall);
    s->set_outcome(outcome.outcome);
    s->set_reason(outcome.reason);
    s->set_http_status(static_cast<uint32_t>(std::max(0, w.status)));
    if (w.got_ok) {
      s->set_etag(w.fresh.etag);
      s->set_last_modified(w.fresh.last_modified);
      s->set_content_hash(w.content_hash);
    }
    s->clear_next_due();
    if (IsListing(w.req)) {
      if (w.repoll_wait) {
        *s->mutable_next_due() = ToTimestamp(
            wall + std::chrono::duration_cast<std::chrono::system_clock::duration>(*w.repoll_wait));
        s->set_repoll_interval_ms(static_cast<uint64_t>(w.repoll_wait->count()));
      }
    } else if (auto next = NextRevisit(*s, Revisits())) {
      *s->mutable_next_due() = ToTimestamp(*next);
    }
    w.tracker->state = std::move(s);
    w.tracker->state_url = w.req.url();
    w.tracker->state_source = w.state_source;
    w.tracker->recorder = recorder;
  }

  // Stores and emits the states of requests whose emissions are
  // acknowledged; `done` runs when the state is acknowledged.
  size_t RecordStates() {
    if (!recorder) return 0;
    auto ready = recorder->Take();
    for (auto& t : ready) {
      auto value = state_store->Put(StatePartition(t->state_source), t->state_url, *t->state);
      if (!value) {
        // Revoked while its outputs were on their way: done without a
        // state (the next owner may fetch it again: the safe side).
        spdlog::debug("fetcher: no state written for {}: {}", t->state_url, value.error().message);
        Tracker::Complete(t, true);
        recorder->pending.fetch_sub(1);
        continue;
      }
      auto rec = recorder;
      output->EmitState(t->state_source, t->state_url, *value, [t, rec](bool ok) {
        if (ok) t->stats->states.fetch_add(1);
        Tracker::Complete(t, ok);
        rec->pending.fetch_sub(1);
      });
    }
    return ready.size();
  }

  // Finishes a request that emits nothing, for `reason`.
  void Skip(uint64_t id, const std::string& reason) {
    work.at(id).tracker->outcome = {"skipped", reason};
    Finish(id);
  }

  void DeadLetter(uint64_t id, const std::string& reason, const std::string& detail) {
    auto& w = work.at(id);
    w.tracker->outcome = {"dead_letter", reason};
    stats.dead_letters.fetch_add(1);
    spdlog::info("fetcher: giving up on {}: {}: {}", w.req.url(), reason, detail);
    if (IsListing(w.req) && RepolledAfter(reason)) {
      MaybeRepoll(w, w.req, nullptr, PollFinding::kFailed);
    }
    output->EmitDeadLetter(w.req, reason, detail, std::max(1, w.attempts), Tracker::Hold(w.tracker));
    Finish(id);
  }

  // A feed or sitemap refused by SitemapLimits.
  void RefuseSitemap(uint64_t id, const SitemapRefusal& refusal) {
    CountLimit(refusal.limit);
    Count(std::string(refusal.reason), 0);
    DeadLetter(id, std::string(refusal.reason), refusal.detail);
  }

  void Enqueue(uint64_t id, bool front = false) {
    auto& w = work.at(id);
    w.enqueued = clock->Now();
    if (front) {
      politeness->EnqueueFront(w.origin, id);
    } else {
      politeness->Enqueue(w.origin, id);
    }
  }

  void Submit(CrawlRequest req, CrawlDone done, uint64_t source, uint64_t state_source) {
    stats.submitted.fetch_add(1);
    outstanding.fetch_add(1);
    auto tracker = std::make_shared<Tracker>();
    tracker->done = std::move(done);
    tracker->source = source;
    tracker->state_source = state_source;
    tracker->stats = &stats;
    tracker->outstanding = &outstanding;
    uint64_t id = next_id++;
    Work& w = work[id];
    w.tracker = tracker;
    w.attempts = static_cast<int>(req.attempt());
    w.req = std::move(req);
    auto parsed = ParseUrl(w.req.url());
    if (!parsed) {
      DeadLetter(id, "bad_url", parsed.error().message);
      return;
    }
    w.url = Canonicalize(*parsed);
    w.req.set_url(w.url.ToString());
    if (auto st = guard.CheckUrl(w.url); !st) {
      DeadLetter(id, "ssrf_refused", st.error().message);
      return;
    }
    w.origin = w.url.Origin();
    w.host = w.url.host;
    if (w.req.kind() == CrawlRequest::KIND_UNSPECIFIED) w.req.set_kind(GuessKind(w.req.url()));
    w.state_source = state_source;
    if (state_store && state_source > 0) w.prior = state_store->Get(StatePartition(state_source), w.req.url());
    if (!w.req.refetch() && !seen->Insert(w.host, w.req.url())) {
      std::shared_ptr<Tracker> leader;
      if (auto it = first_instance.find(w.req.url()); it != first_instance.end()) {
        leader = it->second.lock();
      }
      // Seen, but with crawl state a page is fetched again once due (and
      // its last fetch is over).
      const bool due_again = w.prior && !IsListing(w.req) && Due(*w.prior) &&
                             (!leader || Tracker::Completed(leader));
      if (!due_again) {
        stats.duplicates.fetch_add(1);
        if (leader && Tracker::Follow(leader, w.tracker)) w.tracker->request = w.req;
        Skip(id, "duplicate");
        return;
      }
    }
    // Fetched before (by this process or an earlier owner of the partition)
    // and not due: nothing to do.
    if (w.prior && Settled(*w.prior) && !w.req.refetch() && !IsListing(w.req) && !Due(*w.prior)) {
      stats.duplicates.fetch_add(1);
      stats.known.fetch_add(1);
      Skip(id, "duplicate");
      return;
    }
    w.in_seen = !w.req.refetch();
    first_instance[w.req.url()] = w.tracker;
    PruneFirstInstances();
    if (IsListing(w.req)) {
      if (auto refusal = sitemap_limits->Admit(w.host, w.req.index_depth())) {
        RefuseSitemap(id, *refusal);
        return;
      }
    }
    Enqueue(id);
  }

  // Drops the entries of first_instance whose request is done (expired or
  // completed), now and then: the map holds only requests in flight.
  void PruneFirstInstances() {
    if (first_instance.size() < prune_at) return;
    std::erase_if(first_instance, [](const auto& kv) {
      auto t = kv.second.lock();
      if (!t) return true;
      std::lock_guard lock(t->mu);
      return t->completed;
    });
    prune_at = std::max<size_t>(1024, 2 * first_instance.size());
  }

  void StartRobots(const std::string& origin) {
    robots_fetching.insert(origin);
    FetchRequest fr;
    fr.url = origin + "/robots.txt";
    fr.max_body_bytes = RobotsTxt::kDefaultMaxBytes;
    fr.truncate_at_cap = true;
    ++fetching;
    auto st = http->Start(std::move(fr), [this, origin](FetchResult r) { OnRobots(origin, std::move(r)); });
    if (!st) {
      --fetching;
      FetchResult r;
      r.error = FetchError::kBadUrl;
      r.error_message = st.error().message;
      OnRobots(origin, std::move(r));
    }
  }

  void OnRobots(const std::string& origin, FetchResult r) {
    --fetching;
    robots_fetching.erase(origin);
    if (r.limit != FetchLimit::kNone) CountLimit(FetchLimitName(r.limit));
    // Refused before any byte reached the origin: its name resolves to a
    // refused address. Not "robots.txt unreachable" (retried): every
    // request of the origin is refused at once.
    if (r.error == FetchError::kSsrf && r.redirect_chain.empty()) {
      ssrf_refused_origins[origin] = r.error_message;
    } else {
      ssrf_refused_origins.erase(origin);
    }
    RobotsDecision decision = RobotsFromFetch(ToRobotsOutcome(r));
    robots_unreachable[origin] = decision.verdict == RobotsVerdict::kDisallowAll;
    std::optional<double> delay = decision.robots.CrawlDelay(options.product_token);
    std::vector<std::string> sitemaps = decision.robots.Sitemaps();
    robots->Put(origin, std::move(decision));
    politeness->SetCrawlDelay(origin, delay);
    politeness->Complete(origin);
    Count(r.ok() ? "robots" : "robots_error", r.status);
    auto waiting = std::move(robots_waiting[origin]);
    robots_waiting.erase(origin);
    if (options.follow_links && !waiting.empty()) {
      auto& first = work.at(waiting.front());
      for (const auto& sm : sitemaps) {
        CrawlRequest req;
        req.set_url(sm);
        req.set_kind(CrawlRequest::KIND_SITEMAP);
        req.set_depth(first.req.depth());
        req.set_parent_url(origin + "/robots.txt");
        req.set_origin("robots");
        *req.mutable_requested_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
        discovered->Increment();
        stats.discovered.fetch_add(1);
        output->EmitRequest(req, Tracker::Hold(first.tracker));
      }
    }
    // Back at the head of the origin's queue, in their order: requests are
    // fetched in the order they came (a partition's offsets are then
    // committed as they are fetched, not all at the end).
    for (auto it = waiting.rbegin(); it != waiting.rend(); ++it) Enqueue(*it, /*front=*/true);
  }

  void StartFetch(uint64_t id) {
    auto& w = work.at(id);
    politeness_wait->Observe(std::chrono::duration<double>(clock->Now() - w.enqueued).count());
    FetchRequest fr;
    fr.url = w.req.url();
    if (w.prior && (!w.prior->etag().empty() || !w.prior->last_modified().empty())) {
      fr.headers = ConditionalHeaders({w.prior->etag(), w.prior->last_modified()});
    } else if (auto v = validators->Get(w.req.url())) {
      fr.headers = ConditionalHeaders(*v);
    }
    fr.tag = id;
    ++fetching;
    ++w.attempts;
    w.in_flight = true;
    auto st = http->Start(std::move(fr), [this, id](FetchResult r) { OnFetched(id, std::move(r)); });
    if (!st) {
      w.in_flight = false;
      --fetching;
      politeness->Complete(w.origin);
      DeadLetter(id, "bad_url", st.error().message);
    }
  }

  void Dispatch(const PolitenessScheduler::Ready& ready) {
    uint64_t id = ready.id;
    auto it = work.find(id);
    if (it == work.end()) {
      politeness->Complete(ready.host);
      return;
    }
    Work& w = it->second;
    const RobotsTxt* rules = robots->Get(w.origin);
    if (!rules) {
      robots_waiting[w.origin].push_back(id);
      if (robots_fetching.contains(w.origin)) {
        politeness->Complete(w.origin);
      } else {
        StartRobots(w.origin);  // uses this slot
      }
      return;
    }
    if (auto refused = ssrf_refused_origins.find(w.origin); refused != ssrf_refused_origins.end()) {
      politeness->Release(w.origin);  // nothing was sent to the host
      Count("ssrf_refused", 0);
      DeadLetter(id, "ssrf_refused", refused->second);
      return;
    }
    // /robots.txt itself is always allowed.
    if (w.url.path != "/robots.txt" && !rules->IsAllowed(options.product_token, w.url.PathAndQuery())) {
      politeness->Complete(w.origin);
      if (robots_unreachable[w.origin]) {
        // robots.txt unreachable (5xx): disallow for now, try again later;
        // each such round counts as an attempt.
        ++w.attempts;
        w.last_error = "robots.txt unreachable";
        ScheduleRetry(id, std::nullopt);
        return;
      }
      robots_denied->Increment();
      Count("robots_denied", 0);
      DeadLetter(id, "robots_denied", "disallowed by " + w.origin + "/robots.txt");
      return;
    }
    StartFetch(id);
  }

  void ScheduleRetry(uint64_t id, std::optional<std::chrono::seconds> retry_after) {
    auto& w = work.at(id);
    auto delay = retry->NextDelay(std::max(1, w.attempts));
    if (!delay) {
      DeadLetter(id, "max_retries",
                 "gave up after " + std::to_string(w.attempts) + " attempts: " + w.last_error);
      return;
    }
    Duration wait = *delay;
    if (retry_after && *retry_after > wait) wait = *retry_after;
    retries->Increment();
    if (w.attempts == 0) w.attempts = 1;
    timers.emplace(clock->Now() + wait, id);
  }

  void OnFetched(uint64_t id, FetchResult r) {
    --fetching;
    auto it = work.find(id);
    if (it == work.end()) return;
    Work& w = it->second;
    w.in_flight = false;
    w.status = r.status;
    politeness->Complete(w.origin);
    latency->Observe(std::chrono::duration<double>(r.total_time).count());
    bytes->Increment(static_cast<double>(r.body.size()));
    wire_bytes->Increment(static_cast<double>(r.wire_bytes));
    FetchDisposition d = ClassifyFetch(r);
    switch (d) {
      case FetchDisposition::kSuccess:
        Count("ok", r.status);
        OnSuccess(id, std::move(r));
        return;
      case FetchDisposition::kNotModified:
        Count("not_modified", r.status);
        not_modified->Increment();
        stats.not_modified.fetch_add(1);
        if (IsListing(w.req)) MaybeRepoll(w, w.req, nullptr);
        Skip(id, "not_modified");
        return;
      case FetchDisposition::kRetry: {
        Count(r.ok() ? "retry_status" : std::string("retry_") + std::string(FetchErrorName(r.error)), r.status);
        std::optional<std::chrono::seconds> ra;
        if (r.status == 429 || r.status == 503) {
          auto value = r.Header("Retry-After");
          if (!value.empty()) ra = ParseRetryAfter(value, clock->WallNow());
          if (ra) politeness->PauseUntil(w.origin, clock->Now() + *ra);
        }
        w.last_error = r.ok() ? "HTTP " + std::to_string(r.status)
                              : std::string(FetchErrorName(r.error)) + ": " + r.error_message;
        ScheduleRetry(id, ra);
        return;
      }
      case FetchDisposition::kPermanent: {
        if (r.limit != FetchLimit::kNone) CountLimit(FetchLimitName(r.limit));
        std::string reason = DeadLetterReason(r);
        Count(reason, r.status);
        std::string detail = r.ok() ? "HTTP " + std::to_string(r.status) + " from " + r.final_url
                                    : r.error_message;
        DeadLetter(id, reason, detail);
        return;
      }
      case FetchDisposition::kCancelled:
        Count("cancelled", r.status);
        return;  // abandoned or revoked: not finished, not committed
    }
  }

  void OnSuccess(uint64_t id, FetchResult r) {
    Work& w = work.at(id);
    Validators v;
    v.etag = std::string(r.Header("ETag"));
    v.last_modified = std::string(r.Header("Last-Modified"));
    if (state_store) {
      w.got_ok = true;
      w.fresh = v;
      w.content_hash = Sha256Hex(r.body);
    }
    validators->Put(w.req.url(), v);
    std::string content_type(r.Header("Content-Type"));

    if (LooksLikeDiscoveryDocument(w.req, content_type, r.body)) {
      auto final_url = ParseUrl(r.final_url.empty() ? w.req.url() : r.final_url);
      std::string body = std::move(r.body);
      if (LooksGzipped(body)) {
        auto plain = Gunzip(body, DiscoveryOptions{}.max_bytes);
        if (!plain) {
          DeadLetter(id, "bad_document", plain.error().message);
          return;
        }
        body = std::move(*plain);
      }
      auto doc = ParseDiscoveryDocument(body, final_url ? *final_url : w.url);
      if (doc) {
        // The response decides: a "page" that is a feed or sitemap lists
        // entries like one, within the same bounds.
        CrawlRequest listing = w.req;
        if (!IsListing(listing)) {
          if (auto refusal = sitemap_limits->Admit(w.host, listing.index_depth())) {
            RefuseSitemap(id, *refusal);
            return;
          }
          listing.set_kind(IsFeedDocument(doc->kind) ? CrawlRequest::KIND_FEED : CrawlRequest::KIND_SITEMAP);
        }
        OrderedListing entries = NewestFirst(std::move(doc->links), clock->WallNow(), options.max_age);
        if (entries.too_old > 0) too_old->Increment(static_cast<double>(entries.too_old));
        for (const auto& req : ToCrawlRequests(entries.links, listing, clock->WallNow())) {
          discovered->Increment();
          stats.discovered.fetch_add(1);
          output->EmitRequest(req, Tracker::Hold(w.tracker));
        }
        w.req.set_kind(listing.kind());  // recorded as what it turned out to be
        MaybeRepoll(w, listing, &entries.links);
        Finish(id);
        return;
      }
      if (w.req.kind() == CrawlRequest::KIND_FEED || w.req.kind() == CrawlRequest::KIND_SITEMAP) {
        DeadLetter(id, "bad_document", doc.error().message);
        return;
      }
      r.body = std::move(body);  // not a feed after all: treat as a page
    }

    // A revisit that found the body of the last fetch: nothing new for the
    // extractor (revisit.h). An explicit refetch goes on all the same.
    if (w.prior && !w.req.refetch() && !w.prior->content_hash().empty() &&
        w.prior->content_hash() == w.content_hash) {
      Skip(id, "unchanged");
      return;
    }
    FetchedPage page = ToFetchedPage(std::move(r), w.req, w.req.url(), clock->WallNow());
    if (options.follow_links && scope && ContainsCi(content_type, "html")) {
      auto base = ParseUrl(page.final_url());
      if (base) {
        std::vector<DiscoveredLink> in_scope;
        for (auto& link : ExtractHtmlLinks(page.body(), *base)) {
          auto url = ParseUrl(link.url);
          if (!url) continue;
          if (scope->Check(*url, w.req.depth() + 1, &*base) != ScopeDecision::kInScope) continue;
          link.url = Canonicalize(*url).ToString();
          in_scope.push_back(std::move(link));
        }
        for (const auto& req : ToCrawlRequests(in_scope, w.req, clock->WallNow())) {
          discovered->Increment();
          stats.discovered.fetch_add(1);
          output->EmitRequest(req, Tracker::Hold(w.tracker));
        }
      }
    }
    stats.pages.fetch_add(1);
    std::string diverted = output->EmitPage(page, Tracker::Hold(w.tracker));
    if (!diverted.empty()) w.tracker->outcome = {"dead_letter", diverted};
    Finish(id);
  }

  // Schedules the next poll of a seed feed or sitemap that listed `entries`
  // (null: none, `unlisted` says why: kNotModified or kFailed), after the
  // adaptive interval (repoll.h): in the crawl state when it has a
  // partition (NoteState writes it as next_due), else in memory.
  void MaybeRepoll(Work& w, const CrawlRequest& listing, const std::vector<DiscoveredLink>* entries,
                   PollFinding unlisted = PollFinding::kNotModified) {
    if (options.repoll_interval.count() <= 0 || listing.depth() != 0) return;
    if (w.prior && w.prior->repoll_interval_ms() > 0) {
      repoll_schedule->Resume(listing.url(),
                              std::chrono::milliseconds(w.prior->repoll_interval_ms()));
    }
    PollFinding finding = unlisted;
    std::chrono::milliseconds wait{0};
    if (entries) {
      std::vector<std::string> urls;
      urls.reserve(entries->size());
      for (const auto& e : *entries) urls.push_back(e.url);
      wait = repoll_schedule->AfterListing(listing.url(), urls, &finding);
    } else if (unlisted == PollFinding::kFailed) {
      wait = repoll_schedule->AfterFailure(listing.url());
    } else {
      wait = repoll_schedule->AfterNotModified(listing.url());
    }
    listing_polls_family->Add({{"finding", std::string(PollFindingName(finding))}}).Increment();
    spdlog::debug("fetcher: {} polled ({}), next poll in {} ms", listing.url(), PollFindingName(finding),
                  wait.count());
    if (state_store && w.state_source != 0) {
      w.repoll_wait = wait;
      return;
    }
    CrawlRequest again = listing;
    again.set_refetch(true);
    again.set_attempt(0);
    repolls.emplace(clock->Now() + wait, std::make_pair(std::move(again), w.state_source));
  }

  void Tick(std::chrono::milliseconds max_wait) {
    RecordStates();
    auto now = clock->Now();
    while (!timers.empty() && timers.begin()->first <= now) {
      uint64_t id = timers.begin()->second;
      timers.erase(timers.begin());
      if (work.contains(id)) Enqueue(id);
    }
    while (!repolls.empty() && repolls.begin()->first <= now) {
      auto [req, state_source] = std::move(repolls.begin()->second);
      repolls.erase(repolls.begin());
      Submit(std::move(req), nullptr, 0, state_source);
    }
    SubmitDue();
    if (!held) {
      while (auto ready = politeness->PopReady()) Dispatch(*ready);
    }

    auto wait = max_wait;
    auto until = [&](SteadyTime t) {
      auto d = std::chrono::duration_cast<std::chrono::milliseconds>(t - clock->Now());
      if (d < wait) wait = std::max(d, std::chrono::milliseconds(0));
    };
    // Held: a host ready now must not make this a busy loop.
    if (auto next = politeness->NextWakeup(); next && !held) until(*next);
    if (!timers.empty()) until(timers.begin()->first);
    if (!repolls.empty()) until(repolls.begin()->first);
    if (fetching > 0 || wait.count() > 0) http->Poll(fetching > 0 ? wait : std::chrono::milliseconds(0));
    if (fetching == 0 && wait.count() > 0) {
      // Nothing on the wire: HttpClient::Poll returns at once, so sleep here.
      std::this_thread::sleep_for(std::min(wait, std::chrono::milliseconds(5)));
    }
    inflight->Set(static_cast<double>(fetching));
    queued_hosts->Set(static_cast<double>(politeness->queued_hosts()));
    queued->Set(static_cast<double>(politeness->queued()));
    auto overdue = politeness->Overdue();
    due_age->Set(std::chrono::duration<double>(overdue).count());
    seen_urls->Set(static_cast<double>(seen->urls()));
    seen_hosts->Set(static_cast<double>(seen->hosts()));
    validator_entries->Set(static_cast<double>(validators->size()));
    robots_entries->Set(static_cast<double>(robots->size()));
    politeness_hosts->Set(static_cast<double>(politeness->hosts()));
  }

  RevokeResult Revoke(const std::vector<uint64_t>& sources) {
    RevokeResult result;
    const std::unordered_set<uint64_t> from(sources.begin(), sources.end());
    std::unordered_set<uint64_t> ids;
    for (const auto& [id, w] : work) {
      // Its input's partition, or (a revisit or re-poll from the crawl
      // state) its state partition: the next owner schedules it again.
      const bool scheduled = state_store && w.tracker->source == 0 && w.state_source != 0;
      const uint64_t owner = scheduled ? w.state_source : w.tracker->source;
      if (owner != 0 && from.contains(owner)) ids.insert(id);
    }
    if (ids.empty()) return result;
    // In flight: cancelled now (OnFetched frees the politeness slot); an
    // uncommitted request is simply redelivered to the new owner.
    for (uint64_t id : ids) {
      if (work.at(id).in_flight && http->Cancel(id) > 0) ++result.in_flight;
    }
    auto dropping = [&ids](uint64_t id) { return ids.contains(id); };
    politeness->RemoveIf(dropping);
    std::erase_if(timers, [&](const auto& kv) { return dropping(kv.second); });
    for (auto& [origin, waiting] : robots_waiting) std::erase_if(waiting, dropping);
    result.queued = ids.size() - result.in_flight;

    std::vector<std::shared_ptr<Tracker>> resubmit;
    for (uint64_t id : ids) {
      auto node = work.extract(id);
      Work& w = node.mapped();
      // Forgotten, so that the new owner's redelivery (to this instance or
      // another) is fetched rather than taken for a duplicate.
      if (w.in_seen) seen->Erase(w.host, w.req.url());
      if (auto it = first_instance.find(w.req.url());
          it != first_instance.end() && it->second.lock() == w.tracker) {
        first_instance.erase(it);
      }
      w.tracker->revoked.store(true);
      for (auto& f : Tracker::TakeFollowers(w.tracker)) {
        const bool scheduled = state_store && f->source == 0 && f->state_source != 0;
        if (from.contains(scheduled ? f->state_source : f->source) || !f->request) {
          ++result.duplicates;
          f->revoked.store(true);
          Tracker::Release(f);  // its follow token: nothing else holds it
        } else {
          resubmit.push_back(std::move(f));
        }
      }
      Tracker::Release(w.tracker);  // the crawler's token
    }
    // A follower from a partition still owned takes its leader's place.
    for (auto& f : resubmit) {
      CrawlDone done = std::move(f->done);
      CrawlRequest req = std::move(*f->request);
      f->revoked.store(true);
      Tracker::Release(f);
      Submit(std::move(req), std::move(done), f->source, f->state_source);
    }
    stats.revoked.fetch_add(static_cast<int64_t>(ids.size() + result.duplicates));
    revoked_family->Add({{"state", "queued"}}).Increment(static_cast<double>(result.queued));
    revoked_family->Add({{"state", "in_flight"}}).Increment(static_cast<double>(result.in_flight));
    revoked_family->Add({{"state", "duplicate"}}).Increment(static_cast<double>(result.duplicates));
    queued->Set(static_cast<double>(politeness->queued()));
    return result;
  }
};

Crawler::Crawler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Crawler::~Crawler() {
  if (impl_ && impl_->http) impl_->http->CancelAll();
}

Result<std::unique_ptr<Crawler>> Crawler::Create(CrawlerOptions options, CrawlOutput* output,
                                                 std::shared_ptr<prometheus::Registry> registry,
                                                 const Clock* clock, StateStore* state) {
  auto impl = std::make_unique<Impl>();
  impl->state_store = state;
  if (state) impl->recorder = std::make_shared<Recorder>();
  impl->options = std::move(options);
  impl->output = output;
  impl->registry = std::move(registry);
  if (!clock) {
    impl->owned_clock = std::make_unique<SystemClock>();
    clock = impl->owned_clock.get();
  }
  impl->clock = clock;
  auto guard = SsrfGuard::Create(impl->options.allow_cidrs);
  if (!guard) return std::unexpected(guard.error());
  impl->guard = std::move(*guard);
  auto http = HttpClient::Create(impl->options.http, impl->guard);
  if (!http) return std::unexpected(http.error());
  impl->http = std::move(*http);
  impl->politeness = std::make_unique<PolitenessScheduler>(*clock, impl->options.politeness);
  impl->robots = std::make_unique<RobotsCache>(*clock, impl->options.robots);
  Impl* raw = impl.get();
  impl->retry = std::make_unique<RetryPolicy>(impl->options.retry,
                                              [raw] { return raw->uniform(raw->rng); });
  impl->validators = std::make_unique<ValidatorCache>(impl->options.max_validators);
  impl->seen = std::make_unique<SeenUrls>(impl->options.seen_per_host, impl->options.seen_hosts,
                                          impl->options.seen_urls);
  impl->sitemap_limits = std::make_unique<SitemapLimits>(*clock, impl->options.sitemaps);
  impl->repoll_schedule = std::make_unique<RepollSchedule>(RepollOptions{
      .initial = impl->options.repoll_interval,
      .min = impl->options.repoll_min,
      .max = impl->options.repoll_max,
  });
  if (impl->options.follow_links) {
    auto scope = Scope::Create(impl->options.scope);
    if (!scope) return std::unexpected(scope.error());
    impl->scope = std::move(*scope);
  }
  impl->InitMetrics();
  return std::unique_ptr<Crawler>(new Crawler(std::move(impl)));
}

void Crawler::Submit(CrawlRequest request, CrawlDone done, uint64_t source) {
  impl_->Submit(std::move(request), std::move(done), source, source);
}

size_t Crawler::RecordStates() { return impl_->RecordStates(); }

void Crawler::NoteAssignment() { impl_->politeness->NoteAssignment(); }

RevokeResult Crawler::Revoke(const std::vector<uint64_t>& sources) {
  return impl_->Revoke(sources);
}

void Crawler::Tick(std::chrono::milliseconds max_wait) { impl_->Tick(max_wait); }

void Crawler::Hold(bool hold) { impl_->held = hold; }

bool Crawler::Idle() const {
  return impl_->work.empty() && impl_->timers.empty() && impl_->fetching == 0 &&
         impl_->outstanding.load() == 0 &&
         (!impl_->recorder || impl_->recorder->pending.load() == 0);
}

int64_t Crawler::outstanding() const { return impl_->outstanding.load(); }
size_t Crawler::queued() const { return impl_->politeness->queued() + impl_->timers.size(); }

size_t Crawler::Abandon() {
  size_t transfers = impl_->http->in_flight();
  impl_->http->CancelAll();
  impl_->work.clear();
  impl_->timers.clear();
  impl_->repolls.clear();
  if (impl_->recorder) {
    // Acknowledged outputs whose state is not written: their inputs stay
    // uncommitted (fetched again after restart).
    impl_->recorder->pending.fetch_sub(static_cast<int64_t>(impl_->recorder->Take().size()));
  }
  return transfers;
}

const CrawlerStats& Crawler::stats() const { return impl_->stats; }

}  // namespace crawlstream::fetcher
