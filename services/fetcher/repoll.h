// Adaptive re-polling of feeds and sitemaps (issue 13 item 3).
//
// A listing (feed, sitemap, sitemap index) that keeps gaining items is
// polled more often, one that does not less often, always within
// [repoll_min, repoll_max]:
//
//   what the poll found          next interval
//   new items                    last / 2
//   nothing new (same entries)   last * 3 / 2
//   304 Not Modified             last * 3 / 2
//   failed (dead-lettered for a  last * 2
//   reason that may pass)
//
// (the rule is kRepollSteps in repoll.cc; the first poll of a listing has
// nothing to compare with and waits the starting interval, repoll_interval
// clamped into the bounds). Shrinking faster than growing follows news:
// items come in bursts, and a burst should be followed closely.
//
// "New items" are entries (URLs) not listed by the previous poll of the
// same listing. RepollSchedule remembers, per listing, a 64-bit hash of
// each entry of its last poll (8 bytes per entry); past
// max_remembered_entries in all, a listing is remembered by one
// fingerprint of its entry set instead, and any change of the set counts
// as new items. At most max_listings listings are remembered; past that,
// the least recently polled one is forgotten (it starts again from the
// starting interval).
//
// NextRepollInterval() is pure. RepollSchedule is not thread-safe (one per
// crawler, used on its thread).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace crawlstream::fetcher {

struct RepollOptions {
  // The first wait after a listing's first poll (fetcher.repoll_interval);
  // 0 = listings are never polled again.
  std::chrono::milliseconds initial{0};
  std::chrono::milliseconds min{60'000};       // fetcher.repoll_min
  std::chrono::milliseconds max{3'600'000};    // fetcher.repoll_max
  size_t max_listings = 100'000;
  size_t max_remembered_entries = 2'000'000;  // 16 MB of hashes
};

// What a poll of a listing found, compared with its previous poll.
enum class PollFinding {
  kFirst,        // nothing to compare with: the starting interval
  kNewItems,     // at least one entry the previous poll did not list
  kNothingNew,   // 2xx, every entry listed before
  kNotModified,  // 304 on the conditional GET
  kFailed,       // dead-lettered for a reason that may pass (the host down)
};
std::string_view PollFindingName(PollFinding finding);

// The wait before the next poll of a listing whose last wait was `last`
// and whose poll found `finding`, clamped into [min, max] (`last` out of
// the bounds is clamped first; kFirst leaves it as it is).
std::chrono::milliseconds NextRepollInterval(const RepollOptions& options,
                                             std::chrono::milliseconds last, PollFinding finding);

// The starting interval clamped into [min, max].
std::chrono::milliseconds InitialRepollInterval(const RepollOptions& options);

class RepollSchedule {
 public:
  explicit RepollSchedule(RepollOptions options);

  // A poll of `listing` (its canonical URL) answered 2xx with `entries`
  // (URLs, any order). Returns the wait before its next poll; `finding`,
  // when not null, receives what the poll found (kFirst for a listing not
  // remembered).
  std::chrono::milliseconds AfterListing(const std::string& listing,
                                         const std::vector<std::string>& entries,
                                         PollFinding* finding = nullptr);
  // A poll of `listing` answered 304 Not Modified.
  std::chrono::milliseconds AfterNotModified(const std::string& listing);
  // A poll of `listing` failed (kFailed); its entries stay remembered.
  std::chrono::milliseconds AfterFailure(const std::string& listing);
  // A listing this schedule does not remember had reached `interval`
  // (the crawl state of a previous owner): it goes on from there (clamped
  // into the bounds); its entries are not known, so its next 2xx poll
  // finds kFirst and keeps the interval. No effect on a remembered one.
  void Resume(const std::string& listing, std::chrono::milliseconds interval);

  size_t listings() const { return listings_.size(); }
  size_t remembered_entries() const { return remembered_; }

 private:
  struct Listing {
    std::chrono::milliseconds interval{0};
    bool first = true;
    // Sorted entry hashes, or (by_fingerprint) none and `fingerprint`.
    std::vector<uint64_t> hashes;
    bool by_fingerprint = false;
    uint64_t fingerprint = 0;
    std::list<std::string>::iterator lru;
  };
  Listing& Touch(const std::string& listing);

  RepollOptions options_;
  std::unordered_map<std::string, Listing> listings_;
  std::list<std::string> lru_;  // most recently polled first
  size_t remembered_ = 0;       // hashes held in all
};

}  // namespace crawlstream::fetcher
