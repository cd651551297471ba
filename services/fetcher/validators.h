// Bounded memory of what was fetched: conditional-GET validators per URL
// and a URL-seen set per host.
//
// ValidatorCache maps a canonical URL to its ETag / Last-Modified and keeps
// at most `max_entries`, evicting the least recently used. A 200 with
// validators stores them (Put), a 304 refreshes recency (Get), a 200
// without validators erases the entry.
//
// SeenUrls remembers 64-bit hashes of canonical URLs per host, at most
// `max_per_host` per host (oldest forgotten first), at most `max_hosts`
// hosts (least recently used forgotten first) and at most `max_urls` in
// all (the oldest URLs of the least recently used hosts forgotten first;
// about 60 bytes per URL). A forgotten URL may be fetched again, which is
// the safe direction. Hash collisions (about 1 in
// 2^64 per pair) make a URL look seen.
//
// Neither class is thread-safe: one per event loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace crawlstream::fetcher {

struct Validators {
  std::string etag;           // as received, quotes and W/ included
  std::string last_modified;  // as received (an HTTP-date)
  bool empty() const { return etag.empty() && last_modified.empty(); }
};

// "If-None-Match: <etag>" and/or "If-Modified-Since: <date>" header lines
// (without CRLF) for a conditional re-fetch.
std::vector<std::string> ConditionalHeaders(const Validators& validators);

class ValidatorCache {
 public:
  explicit ValidatorCache(size_t max_entries);

  // Stores validators for `url`; empty validators erase the entry.
  void Put(const std::string& url, Validators validators);
  // The validators for `url` (and marks it recently used), if any.
  std::optional<Validators> Get(const std::string& url);
  void Erase(const std::string& url);
  size_t size() const { return index_.size(); }

 private:
  using Entry = std::pair<std::string, Validators>;
  size_t max_entries_;
  std::list<Entry> lru_;  // front = most recent
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
};

// 64-bit FNV-1a with a final avalanche; stable across runs and builds.
uint64_t UrlHash(std::string_view url);

class SeenUrls {
 public:
  SeenUrls(size_t max_per_host, size_t max_hosts, size_t max_urls = SIZE_MAX);

  // Records `url` under `host`; true when it was not seen before.
  bool Insert(const std::string& host, std::string_view url);
  bool Contains(const std::string& host, std::string_view url) const;
  // Forgets `url` (e.g. a re-fetch was asked for and should pass again).
  void Erase(const std::string& host, std::string_view url);

  size_t hosts() const { return hosts_.size(); }
  // URLs held over all hosts (at most max_urls).
  size_t urls() const { return urls_; }
  size_t SizeFor(const std::string& host) const;

 private:
  struct HostSet {
    std::unordered_set<uint64_t> hashes;
    std::deque<uint64_t> order;  // insertion order, for eviction
    std::list<std::string>::iterator lru;
  };
  void EvictLeastRecentHost();

  size_t max_per_host_;
  size_t max_hosts_;
  size_t max_urls_;
  std::unordered_map<std::string, HostSet> hosts_;
  std::list<std::string> host_lru_;  // front = most recent
  size_t urls_ = 0;
};

}  // namespace crawlstream::fetcher
