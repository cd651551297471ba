// The fetcher's per-URL crawl state (crawlstream.v1.UrlState) for the
// crawl.requests partitions this instance owns, on local disk (RocksDB), so
// that 100 million URLs need no more RAM than RocksDB's bounded caches.
//
// The local store is a cache of the compacted changelog topic
// `crawl.state` (co-partitioned with crawl.requests, key = canonical URL),
// the model of a Kafka Streams state store:
//   Open()          wipes the directory: what a previous process left there
//                   may miss records it never wrote to the changelog (or
//                   hold partitions another instance owns now);
//   BeginRestore(p) -> Restore(p, key, value)... -> FinishRestore(p)
//                   when partition p is assigned, from the changelog,
//                   before any request of p is fetched; p is owned after;
//   Get / Put       while p is owned (Put returns the changelog value);
//   Drop(p)         when p is revoked: forgotten locally (the changelog
//                   keeps it for the next owner).
// Writes skip RocksDB's write-ahead log: after a crash the changelog, not
// the local files, is the truth.
//
// Key in RocksDB: 4-byte big-endian partition, then the URL, so a
// partition is one key range (dropped with one DeleteRange).
//
// Not thread-safe: the fetcher's loop thread owns it (the consumer's
// rebalance callback runs there too).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "services/common/result.h"

namespace crawlstream::v1 {
class UrlState;
}

namespace crawlstream::fetcher {

class StateStore {
 public:
  // Creates `dir` if needed and opens an empty store there (see above).
  static Result<std::unique_ptr<StateStore>> Open(const std::string& dir);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // Forgets what the store held for `partition` and starts restoring it;
  // the partition is not owned until FinishRestore().
  void BeginRestore(int32_t partition);
  // Applies one changelog record of a partition being restored: a
  // tombstone (or an undecodable value, counted in undecodable()) erases
  // the URL. Written in batches.
  Status Restore(int32_t partition, std::string_view url, std::string_view value, bool tombstone);
  // Writes the last batch; the partition is owned from now on. Returns the
  // records applied since BeginRestore.
  Result<int64_t> FinishRestore(int32_t partition);
  // Forgets `partition` (revoked): no longer owned, its keys deleted.
  Status Drop(int32_t partition);
  bool Owns(int32_t partition) const { return owned_.contains(partition); }

  // The state of `url` in an owned `partition`; nullopt when there is none
  // (or the partition is not owned).
  std::optional<crawlstream::v1::UrlState> Get(int32_t partition, std::string_view url) const;
  // Stores the state of `url`; returns the serialized value, which the
  // caller writes to crawl.state (key = url, same partition). An error
  // when the partition is not owned (nothing stored).
  Result<std::string> Put(int32_t partition, std::string_view url,
                          const crawlstream::v1::UrlState& state);

  // Estimates from RocksDB, cheap enough for every metrics update:
  // URLs held (all owned partitions), bytes on disk (SST files and the
  // log), bytes of memory (memtables, index and filter blocks, block
  // cache).
  int64_t EstimatedUrls() const;
  int64_t DiskBytes() const;
  int64_t MemoryBytes() const;
  size_t owned_partitions() const { return owned_.size(); }
  // Writes the memtables to SST files, so that DiskBytes() counts
  // everything (benchmarks; the fetcher never needs it).
  Status Flush();
  int64_t undecodable() const { return undecodable_; }

  struct Impl;

 private:
  explicit StateStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::set<int32_t> owned_;
  int64_t undecodable_ = 0;
};

}  // namespace crawlstream::fetcher
