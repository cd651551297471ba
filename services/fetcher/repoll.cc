#include "services/fetcher/repoll.h"

#include <algorithm>
#include <functional>

namespace crawlstream::fetcher {

namespace {

// How the interval changes after a poll: next = last * numerator /
// denominator, then clamped (repoll.h).
struct RepollStep {
  PollFinding finding;
  int64_t numerator;
  int64_t denominator;
};

constexpr RepollStep kRepollSteps[] = {
    {PollFinding::kNewItems, 1, 2},
    {PollFinding::kNothingNew, 3, 2},
    {PollFinding::kNotModified, 3, 2},
    {PollFinding::kFailed, 2, 1},
};

std::chrono::milliseconds Clamp(const RepollOptions& o, std::chrono::milliseconds d) {
  return std::clamp(d, o.min, std::max(o.min, o.max));
}

uint64_t Mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::string_view PollFindingName(PollFinding finding) {
  switch (finding) {
    case PollFinding::kFirst: return "first";
    case PollFinding::kNewItems: return "new_items";
    case PollFinding::kNothingNew: return "nothing_new";
    case PollFinding::kNotModified: return "not_modified";
    case PollFinding::kFailed: return "failed";
  }
  return "unknown";
}

std::chrono::milliseconds InitialRepollInterval(const RepollOptions& options) {
  return Clamp(options, options.initial);
}

std::chrono::milliseconds NextRepollInterval(const RepollOptions& options,
                                             std::chrono::milliseconds last, PollFinding finding) {
  last = Clamp(options, last);
  for (const auto& step : kRepollSteps) {
    if (step.finding == finding) {
      return Clamp(options, std::chrono::milliseconds(last.count() * step.numerator / step.denominator));
    }
  }
  return last;
}

RepollSchedule::RepollSchedule(RepollOptions options) : options_(options) {}

RepollSchedule::Listing& RepollSchedule::Touch(const std::string& listing) {
  auto it = listings_.find(listing);
  if (it != listings_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second;
  }
  while (!listings_.empty() && listings_.size() >= std::max<size_t>(1, options_.max_listings)) {
    auto victim = listings_.find(lru_.back());
    remembered_ -= victim->second.hashes.size();
    listings_.erase(victim);
    lru_.pop_back();
  }
  lru_.push_front(listing);
  Listing& l = listings_[listing];
  l.interval = InitialRepollInterval(options_);
  l.lru = lru_.begin();
  return l;
}

std::chrono::milliseconds RepollSchedule::AfterListing(const std::string& listing,
                                                       const std::vector<std::string>& entries,
                                                       PollFinding* finding) {
  std::vector<uint64_t> hashes;
  hashes.reserve(entries.size());
  for (const auto& e : entries) hashes.push_back(std::hash<std::string>{}(e));
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  uint64_t fingerprint = hashes.size();
  for (uint64_t h : hashes) fingerprint += Mix(h);

  Listing& l = Touch(listing);
  PollFinding found = PollFinding::kFirst;
  if (!l.first) {
    bool any_new = false;
    if (l.by_fingerprint) {
      any_new = fingerprint != l.fingerprint;
    } else {
      for (uint64_t h : hashes) {
        if (!std::binary_search(l.hashes.begin(), l.hashes.end(), h)) {
          any_new = true;
          break;
        }
      }
    }
    found = any_new ? PollFinding::kNewItems : PollFinding::kNothingNew;
    l.interval = NextRepollInterval(options_, l.interval, found);
  }
  l.first = false;
  l.fingerprint = fingerprint;
  remembered_ -= l.hashes.size();
  if (remembered_ + hashes.size() <= options_.max_remembered_entries) {
    l.by_fingerprint = false;
    remembered_ += hashes.size();
    l.hashes = std::move(hashes);
  } else {
    l.by_fingerprint = true;
    l.hashes = {};
  }
  if (finding) *finding = found;
  return l.interval;
}

std::chrono::milliseconds RepollSchedule::AfterNotModified(const std::string& listing) {
  // Unchanged since the previous fetch, even when that one is not
  // remembered here (validators from the crawl state after a restart).
  Listing& l = Touch(listing);
  l.interval = NextRepollInterval(options_, l.interval, PollFinding::kNotModified);
  return l.interval;
}

void RepollSchedule::Resume(const std::string& listing, std::chrono::milliseconds interval) {
  if (listings_.contains(listing) || interval.count() <= 0) return;
  Listing& l = Touch(listing);
  l.interval = std::clamp(interval, options_.min, std::max(options_.min, options_.max));
}

std::chrono::milliseconds RepollSchedule::AfterFailure(const std::string& listing) {
  Listing& l = Touch(listing);
  l.interval = NextRepollInterval(options_, l.interval, PollFinding::kFailed);
  return l.interval;
}

}  // namespace crawlstream::fetcher
