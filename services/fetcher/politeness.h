// Per-host politeness: who may be fetched now, and when to retry.
//
// PolitenessScheduler holds one FIFO queue of opaque work ids per host key
// (use the URL's origin or host; the same key for robots and fetches) and
// hands out work only when:
//   - at least `delay` has passed since the host's previous request started
//     and since it finished (delay = Crawl-delay capped at
//     max_crawl_delay, else default_delay),
//   - the host has fewer than max_connections_per_host requests in flight,
//   - fewer than global_concurrency requests are in flight overall,
//   - the host is not paused (Retry-After on 429/503),
//   - after NoteAssignment() (this instance took over partitions of hosts
//     from another), a host not contacted since waits one delay from the
//     assignment: its previous owner may have contacted it just before
//     handing it over, and the two instances' clocks are not shared. (A
//     Crawl-delay longer than default_delay is learnt from robots.txt
//     again, so the first request after a hand-over, robots.txt itself,
//     waits default_delay only.)
// The event loop calls PopReady() until it returns nothing, then sleeps
// until NextWakeup() (or until a completion). Each PopReady() must be
// matched by exactly one Complete() for that host.
//
// RetryPolicy computes exponential backoff with equal jitter from an
// injected random source; ParseRetryAfter() reads the Retry-After header.
//
// Time comes from the injected Clock; nothing here sleeps. Not thread-safe:
// owned by the single event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <deque>
#include <utility>

#include "services/fetcher/clock.h"

namespace crawlstream::fetcher {

struct PolitenessOptions {
  Duration default_delay = std::chrono::seconds(1);
  // Crawl-delay from robots.txt is honoured up to this cap.
  Duration max_crawl_delay = std::chrono::seconds(30);
  int max_connections_per_host = 1;
  int global_concurrency = 256;
  // Retry-After values longer than this are capped.
  Duration max_pause = std::chrono::hours(1);
};

class PolitenessScheduler {
 public:
  struct Ready {
    std::string host;
    uint64_t id;
  };

  PolitenessScheduler(const Clock& clock, PolitenessOptions options = {});

  // Queues work `id` for `host` (FIFO per host).
  void Enqueue(const std::string& host, uint64_t id);

  // The next work whose host may be contacted now; marks one connection
  // of that host and one global slot in use. Hosts are served in order of
  // the time they became ready.
  std::optional<Ready> PopReady();

  // A request popped for `host` finished (any outcome); frees its slots
  // and starts the host's delay from now.
  void Complete(const std::string& host);

  // Frees the slots of work popped for `host` that never contacted it
  // (e.g. refused by robots.txt): the host's delay is not restarted.
  void Release(const std::string& host);

  // Queues `id` ahead of the host's other work (work put back after the
  // host's robots.txt was fetched with its slot).
  void EnqueueFront(const std::string& host, uint64_t id);

  // Takes every queued id for which `drop` is true out of its queue (work
  // handed back, e.g. its Kafka partition was revoked); returns how many.
  // Slots in use and host delays are untouched.
  size_t RemoveIf(const std::function<bool(uint64_t)>& drop);

  // The earliest time PopReady() may return something, when nothing is
  // ready now; nullopt when no work is queued or all slots are in use.
  std::optional<SteadyTime> NextWakeup() const;

  // Crawl-delay from robots.txt in seconds (nullopt: use default_delay).
  void SetCrawlDelay(const std::string& host, std::optional<double> seconds);
  // The delay in force for `host`.
  Duration DelayFor(const std::string& host) const;

  // No new request to `host` before `until` (Retry-After; capped at
  // max_pause from now). Never shortens an existing pause.
  void PauseUntil(const std::string& host, SteadyTime until);

  // How long the most overdue host has been ready (delay passed, not
  // paused, a connection free) without being popped: zero unless the
  // global concurrency is used up or PopReady() is called late.
  Duration Overdue() const;

  size_t queued() const { return queued_; }
  size_t in_flight() const { return in_flight_; }
  size_t queued_hosts() const { return ready_.size(); }
  // Hosts with a clock (bounded by Prune()).
  size_t hosts() const { return hosts_.size(); }
  size_t QueuedFor(const std::string& host) const;

  // Forgets idle hosts whose delay and pause have passed (bounded memory;
  // call now and then).
  void Prune();

  // Partitions were assigned to this instance now (see above).
  void NoteAssignment();

 private:
  struct Host {
    std::deque<uint64_t> queue;
    int active = 0;
    SteadyTime next_start{};
    SteadyTime next_start_before_pop{};  // restored by Release()
    SteadyTime paused_until{};
    Duration delay{};
    bool has_crawl_delay = false;
    bool scheduled = false;
    SteadyTime scheduled_at{};
  };

  Host& HostState(const std::string& host);
  void MarkReadySince(Host& host);
  void Reschedule(const std::string& name, Host& host);

  const Clock& clock_;
  PolitenessOptions options_;
  std::unordered_map<std::string, Host> hosts_;
  std::set<std::pair<SteadyTime, std::string>> ready_;  // hosts with work and a free slot
  size_t queued_ = 0;
  size_t in_flight_ = 0;
  std::optional<SteadyTime> assigned_at_;  // the latest NoteAssignment()
};

struct RetryOptions {
  int max_attempts = 5;  // attempts in total, the first one included
  Duration base_delay = std::chrono::seconds(2);
  Duration max_delay = std::chrono::minutes(10);
};

class RetryPolicy {
 public:
  // `uniform01` returns values in [0, 1); inject a seeded engine in tests.
  RetryPolicy(RetryOptions options, std::function<double()> uniform01);

  // Delay before attempt `attempts_made + 1`, or nullopt when
  // `attempts_made` already reached max_attempts (give up: dead letter).
  // Equal jitter: d/2 + U*d/2 with d = min(base * 2^(attempts_made-1), max).
  std::optional<Duration> NextDelay(int attempts_made);

 private:
  RetryOptions options_;
  std::function<double()> uniform01_;
};

// Parses a Retry-After value: delta-seconds ("120") or an HTTP-date
// (IMF-fixdate, RFC 850 or asctime). Returns the wait relative to `now`
// (zero for dates in the past), or nullopt when unparseable.
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value,
                                                    std::chrono::system_clock::time_point now);

// Parses an HTTP-date (RFC 9110 section 5.6.7); nullopt when invalid.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view value);

}  // namespace crawlstream::fetcher
