#include "services/fetcher/validators.h"

#include <algorithm>

namespace crawlstream::fetcher {

std::vector<std::string> ConditionalHeaders(const Validators& validators) {
  std::vector<std::string> headers;
  if (!validators.etag.empty()) headers.push_back("If-None-Match: " + validators.etag);
  if (!validators.last_modified.empty()) {
    headers.push_back("If-Modified-Since: " + validators.last_modified);
  }
  return headers;
}

ValidatorCache::ValidatorCache(size_t max_entries) : max_entries_(std::max<size_t>(1, max_entries)) {}

void ValidatorCache::Put(const std::string& url, Validators validators) {
  if (validators.empty()) {
    Erase(url);
    return;
  }
  if (auto it = index_.find(url); it != index_.end()) {
    it->second->second = std::move(validators);
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  if (index_.size() >= max_entries_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  lru_.emplace_front(url, std::move(validators));
  index_.emplace(lru_.front().first, lru_.begin());
}

std::optional<Validators> ValidatorCache::Get(const std::string& url) {
  auto it = index_.find(url);
  if (it == index_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void ValidatorCache::Erase(const std::string& url) {
  auto it = index_.find(url);
  if (it == index_.end()) return;
  auto node = it->second;
  index_.erase(it);
  lru_.erase(node);
}

uint64_t UrlHash(std::string_view url) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : url) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  // splitmix64 finaliser: FNV's low bits are weak.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

SeenUrls::SeenUrls(size_t max_per_host, size_t max_hosts, size_t max_urls)
    : max_per_host_(std::clamp<size_t>(max_per_host, 1, std::max<size_t>(1, max_urls))),
      max_hosts_(std::max<size_t>(1, max_hosts)),
      max_urls_(std::max<size_t>(1, max_urls)) {}

void SeenUrls::EvictLeastRecentHost() {
  auto evicted = hosts_.find(host_lru_.back());
  urls_ -= evicted->second.hashes.size();
  hosts_.erase(evicted);
  host_lru_.pop_back();
}

bool SeenUrls::Insert(const std::string& host, std::string_view url) {
  auto it = hosts_.find(host);
  if (it == hosts_.end()) {
    if (hosts_.size() >= max_hosts_) EvictLeastRecentHost();
    host_lru_.push_front(host);
    it = hosts_.emplace(host, HostSet{}).first;
    it->second.lru = host_lru_.begin();
  } else {
    host_lru_.splice(host_lru_.begin(), host_lru_, it->second.lru);
  }
  HostSet& set = it->second;
  uint64_t h = UrlHash(url);
  if (!set.hashes.insert(h).second) return false;
  ++urls_;
  set.order.push_back(h);
  // Evict the oldest; entries left behind by Erase() are dropped on the
  // way (one may take a re-inserted URL with it: forgetting is safe).
  while (set.hashes.size() > max_per_host_ || set.order.size() > 2 * max_per_host_) {
    urls_ -= set.hashes.erase(set.order.front());
    set.order.pop_front();
  }
  // Over the total: the oldest URLs of the least recently used host go
  // (the host too once empty); this host is the most recent, and alone it
  // stays within max_per_host <= max_urls.
  while (urls_ > max_urls_ && hosts_.size() > 1) {
    HostSet& victim = hosts_.find(host_lru_.back())->second;
    while (!victim.order.empty() && urls_ > max_urls_) {
      urls_ -= victim.hashes.erase(victim.order.front());
      victim.order.pop_front();
    }
    if (victim.hashes.empty()) EvictLeastRecentHost();
  }
  return true;
}

bool SeenUrls::Contains(const std::string& host, std::string_view url) const {
  auto it = hosts_.find(host);
  return it != hosts_.end() && it->second.hashes.contains(UrlHash(url));
}

void SeenUrls::Erase(const std::string& host, std::string_view url) {
  // O(1): the hash stays in `order` and is skipped when its turn to be
  // evicted comes (see Insert).
  auto it = hosts_.find(host);
  if (it != hosts_.end()) urls_ -= it->second.hashes.erase(UrlHash(url));
}

size_t SeenUrls::SizeFor(const std::string& host) const {
  auto it = hosts_.find(host);
  return it == hosts_.end() ? 0 : it->second.hashes.size();
}

}  // namespace crawlstream::fetcher
