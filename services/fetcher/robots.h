// robots.txt per RFC 9309: parser, matcher, fetch-outcome policy and cache.
//
// RobotsTxt::Parse() never fails: unknown lines and garbage are ignored, as
// the RFC asks. Only the first `max_bytes` (default 512 KiB, the RFC asks
// for at least 500 KiB) are parsed; the rest is ignored. Groups start with
// one or more consecutive `user-agent` lines; groups naming the same agent
// are merged; an agent matches the crawler's product token
// case-insensitively (the value's leading [A-Za-z_-] run is compared, so
// "Googlebot/2.1" names "googlebot"); when no group names the crawler the
// `*` groups apply; when there are none everything is allowed.
// Paths are matched after percent-encoding normalisation (both sides);
// `*` matches any run of octets, a trailing `$` anchors at the end; the
// longest matching pattern (in octets) wins, Allow wins a tie. "/robots.txt"
// is always allowed. `Sitemap:` lines are collected whatever the group.
//
// RobotsFromFetch() is the RFC's policy on fetch outcomes as a pure
// function. RobotsCache keeps one entry per origin for at most 24 h (server
// errors for less, so they are retried soon); it reads time from the
// injected Clock.
//
// RobotsTxt is immutable after parsing and thread-safe for reads.
// RobotsCache is not thread-safe (one per event loop).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "services/fetcher/clock.h"

namespace crawlstream::fetcher {

struct RobotsRule {
  std::string pattern;  // normalised, starts with '/' or '*'
  bool allow = false;
};

class RobotsTxt {
 public:
  static constexpr size_t kDefaultMaxBytes = 512 * 1024;

  static RobotsTxt Parse(std::string_view body, size_t max_bytes = kDefaultMaxBytes);
  static RobotsTxt AllowAll();
  static RobotsTxt DisallowAll();

  // `product_token` is the crawler's token (e.g. "crawlstream"), not the
  // whole User-Agent header. `path_and_query` is the URL's path plus
  // "?query" (see Url::PathAndQuery()).
  bool IsAllowed(std::string_view product_token, std::string_view path_and_query) const;

  // Crawl-delay in seconds of the group that applies, if any (not capped;
  // the politeness scheduler caps it).
  std::optional<double> CrawlDelay(std::string_view product_token) const;

  // Absolute URLs from `Sitemap:` lines, in order.
  const std::vector<std::string>& Sitemaps() const { return sitemaps_; }

  // True when the file was truncated at max_bytes.
  bool truncated() const { return truncated_; }

  // True for DisallowAll(), the stand-in for an unreachable robots.txt
  // (RFC 9309: a temporary state; callers retry rather than give up).
  bool disallows_all() const { return mode_ == Mode::kDisallowAll; }

 private:
  struct Group {
    std::vector<std::string> agents;  // lower-case product tokens, "*" too
    std::vector<RobotsRule> rules;
    std::optional<double> crawl_delay;
  };
  enum class Mode { kRules, kAllowAll, kDisallowAll };

  // The merged rules applying to a token; null for "no group applies".
  const Group* GroupFor(std::string_view product_token) const;

  Mode mode_ = Mode::kRules;
  // Merged groups keyed by agent: every group naming an agent is merged.
  std::unordered_map<std::string, Group> by_agent_;
  std::vector<std::string> sitemaps_;
  bool truncated_ = false;
};

// True when `pattern` (robots syntax, normalised) matches `path`
// (normalised); exposed for tests.
bool RobotsPatternMatches(std::string_view pattern, std::string_view path);

// How fetching robots.txt ended, after following up to 5 redirects.
struct RobotsFetchOutcome {
  // False when the host could not be reached (DNS, connect, timeout,
  // reset) or the redirect limit was exceeded.
  bool reachable = false;
  bool too_many_redirects = false;
  int status = 0;  // final HTTP status when reachable
  std::string_view body;
  // The body was cut by the client's size cap: its last, partial line is
  // dropped (a cut "Disallow: /private" must not become "Disallow: /").
  bool truncated = false;
};

enum class RobotsVerdict {
  kParsed,       // 2xx: rules from the body
  kAllowAll,     // 4xx (except 429) or too many redirects: unavailable
  kDisallowAll,  // 5xx, 429 or unreachable: unreachable, retry later
};

struct RobotsDecision {
  RobotsVerdict verdict;
  RobotsTxt robots;
};

// RFC 9309 section 2.3.1: 2xx -> parse; 4xx -> allow all ("unavailable");
// 5xx or unreachable -> disallow all ("unreachable"). 429 is treated as a
// server error (the server asks us to slow down). More than 5 redirects ->
// unavailable (allow all).
RobotsDecision RobotsFromFetch(const RobotsFetchOutcome& outcome,
                               size_t max_bytes = RobotsTxt::kDefaultMaxBytes);

struct RobotsCacheOptions {
  Duration max_age = std::chrono::hours(24);
  // Disallow-all entries from server errors expire sooner so the file is
  // fetched again; meanwhile the host is not crawled.
  Duration error_max_age = std::chrono::minutes(10);
  size_t max_entries = 100000;
};

class RobotsCache {
 public:
  RobotsCache(const Clock& clock, RobotsCacheOptions options = {});

  // The fresh entry for `origin` ("scheme://host[:port]"), or null when
  // absent or expired (then the caller fetches robots.txt again). The
  // pointer is valid until the next Put().
  const RobotsTxt* Get(const std::string& origin) const;

  // Stores a decision; its verdict decides the entry's lifetime.
  void Put(const std::string& origin, RobotsDecision decision);

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    RobotsTxt robots;
    SteadyTime expires;
    SteadyTime stored;
  };
  void EvictOne();

  const Clock& clock_;
  RobotsCacheOptions options_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace crawlstream::fetcher
