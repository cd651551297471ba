// The fetcher's per-URL crawl state (crawlstream.v1.UrlState) for the
// crawl.requests partitions this instance owns, on local disk (RocksDB), so
// that 100 million URLs need no more RAM than RocksDB's bounded caches.
//
// The local store is a cache of the compacted changelog topic
// `crawl.state` (co-partitioned with crawl.requests, key = canonical URL),
// the model of a Kafka Streams state store:
//   Open()          keeps what the directory holds: partitions a previous
//                   process released (or held when it died), each with its
//                   checkpoint; nothing is owned yet;
//   BeginRestore(p, resume) -> Restore(p, key, value)... ->
//   FinishRestore(p, checkpoint)
//                   when partition p is assigned, before any request of p
//                   is fetched: from the start of the changelog into an
//                   emptied range, or (resume) from the checkpoint on top
//                   of what the range holds; p is owned after;
//   Get / Put       while p is owned (Put returns the changelog value);
//   Drop(p)         when p is revoked: forgotten locally, checkpoint too
//                   (the changelog keeps it for the next owner);
//   Release(p)      at shutdown: no longer owned, kept with its checkpoint
//                   for the next process on this directory.
// A checkpoint is the changelog offset after the last record a restore
// applied (next_offset) and that record's key: the caller resumes only
// when the record at next_offset - 1 still has that key (the topic was
// not recreated nor the record compacted away), otherwise it restores
// from the start. Resuming is safe although the range may hold states
// written after the checkpoint: every one of them is also in the
// changelog after it (or was never acknowledged there, and then its page
// is in Kafka all the same). Writes skip RocksDB's write-ahead log: a
// crash loses the writes not yet flushed, a checkpoint with them, and
// the older checkpoint that survives makes the next restore read them
// again from the changelog.
//
// Schedule: a state with next_due (a page's next revisit, a seed feed's
// next poll) is also filed under that time in the partition's due index,
// written with the state (Put, Restore). TakeDue() hands out the URLs
// whose time has come, oldest first; each handed out is filed again at
// now + lease, so that a process that dies (or loses the partition)
// before the revisit is written finds it again; an entry whose URL's
// state no longer has it due (a later fetch moved next_due, or the URL
// was forgotten) is deleted when its time comes. So the index holds at
// most one live entry per URL plus superseded ones until their time.
//
// Key in RocksDB: 4-byte big-endian partition, then the URL, so a
// partition is one key range (dropped with one DeleteRange); the due
// index under FF FF FF FE, partition, 8-byte big-endian milliseconds since
// the epoch, URL; checkpoints under FF FF FF FF, partition: both above
// every partition.
//
// Not thread-safe: the fetcher's loop thread owns it (the consumer's
// rebalance callback runs there too).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "services/common/result.h"

namespace crawlstream::v1 {
class UrlState;
}

namespace crawlstream::fetcher {

// A URL TakeDue() handed out, with its state.
struct DueUrl;

struct StateCheckpoint {
  int64_t next_offset = 0;  // changelog offset after the last record applied
  std::string last_key;     // that record's key
  int64_t urls = 0;         // URLs held then (estimate)
};

class StateStore {
 public:
  // Creates `dir` if needed and opens the store there (see above).
  static Result<std::unique_ptr<StateStore>> Open(const std::string& dir);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // The checkpoint of a partition held before (see above), if any.
  std::optional<StateCheckpoint> Checkpoint(int32_t partition) const;
  // Starts restoring `partition`: forgets what the store held for it,
  // unless `resume` (its checkpoint was checked). The partition is not
  // owned until FinishRestore().
  void BeginRestore(int32_t partition, bool resume = false);
  // Applies one changelog record of a partition being restored: a
  // tombstone (or an undecodable value, counted in undecodable()) erases
  // the URL. Written in batches.
  Status Restore(int32_t partition, std::string_view url, std::string_view value, bool tombstone);
  // Writes the last batch with `checkpoint` (none: the next restore starts
  // from the beginning); the partition is owned from now on. Returns the
  // records applied since BeginRestore.
  Result<int64_t> FinishRestore(int32_t partition,
                                std::optional<StateCheckpoint> checkpoint = std::nullopt);
  // Forgets `partition` (revoked): no longer owned, its keys and its
  // checkpoint deleted.
  Status Drop(int32_t partition);
  // No longer owned, kept on disk with its checkpoint (shutdown).
  void Release(int32_t partition);
  bool Owns(int32_t partition) const { return owned_.contains(partition); }
  const std::set<int32_t>& owned() const { return owned_; }

  // The state of `url` in an owned `partition`; nullopt when there is none
  // (or the partition is not owned).
  std::optional<crawlstream::v1::UrlState> Get(int32_t partition, std::string_view url) const;
  // Stores the state of `url`; returns the serialized value, which the
  // caller writes to crawl.state (key = url, same partition). An error
  // when the partition is not owned (nothing stored).
  Result<std::string> Put(int32_t partition, std::string_view url,
                          const crawlstream::v1::UrlState& state);

  // Up to `max` URLs of owned `partition` filed at or before `now` whose
  // state is due by `due_time` (the caller's rule: when the URL is next
  // due, nullopt = never), oldest first (see Schedule above). An entry
  // whose URL is due later is filed again at that time; one never due, or
  // without a state, is deleted. Looks at most 4 * max entries per call.
  using DueTime = std::function<std::optional<std::chrono::system_clock::time_point>(
      const crawlstream::v1::UrlState&)>;
  Result<std::vector<DueUrl>> TakeDue(int32_t partition, std::chrono::system_clock::time_point now,
                                      size_t max, std::chrono::milliseconds lease,
                                      const DueTime& due_time);
  // Entries in the due indexes of the owned partitions (an estimate:
  // superseded entries count until their time comes).
  int64_t ScheduledUrls() const;

  // Cheap enough for every metrics update: URLs held in the owned
  // partitions (an estimate: restored records, new URLs put), and from
  // RocksDB bytes on disk (SST files, released partitions included) and
  // bytes of memory (memtables, index and filter blocks, block cache).
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

struct DueUrl {
  std::string url;
  std::unique_ptr<crawlstream::v1::UrlState> state;
};

}  // namespace crawlstream::fetcher
