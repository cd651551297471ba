// Which input offsets may be committed, given that outputs are acknowledged
// out of order.
//
// For each partition the tracker remembers the offsets handed out and not
// yet done. The committable position is the lowest offset still pending,
// or one past the highest offset handed out when nothing is pending: a
// record is never committed before every earlier record of its partition
// is done. Partitions belong to a generation (one per assignment); Done()
// calls for an older generation are ignored, so work finishing after a
// rebalance cannot move a new owner's offsets.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace crawlstream {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

struct CommitPosition {
  TopicPartition tp;
  int64_t offset = 0;  // the next offset to consume
};

class OffsetTracker {
 public:
  // Starts tracking the partitions of a new (possibly incremental)
  // assignment, others untouched; returns its generation.
  uint64_t Assign(const std::vector<TopicPartition>& partitions);
  // The generation `tp` was assigned in, 0 when it is not assigned.
  uint64_t GenerationOf(const TopicPartition& tp) const;
  // Stops tracking these partitions (revoked or lost).
  void Revoke(const std::vector<TopicPartition>& partitions);
  void RevokeAll();

  // A record was handed to the application.
  void Started(const TopicPartition& tp, int64_t offset, uint64_t generation);
  // Its outputs are acknowledged (or it was dead-lettered / skipped).
  void Done(const TopicPartition& tp, int64_t offset, uint64_t generation);

  // Positions that advanced since the last call to MarkCommitted(), or
  // every known position when `all` (used by synchronous commits, which
  // must also repeat an asynchronous commit that may have failed).
  std::vector<CommitPosition> Committable(bool all = false) const;
  // Positions for the given partitions regardless of what was committed
  // (a revoke commits them even if an asynchronous commit of the same
  // position may have failed).
  std::vector<CommitPosition> PositionsFor(const std::vector<TopicPartition>& tps) const;
  void MarkCommitted(const std::vector<CommitPosition>& positions);
  // The broker acknowledged `offset` as tp's committed position.
  void Confirm(const TopicPartition& tp, int64_t offset);
  // Records of these partitions done since the broker's last acknowledged
  // commit (or since the assignment): what the next owner processes
  // again when these partitions are lost uncommitted.
  int64_t DoneSinceConfirmed(const std::vector<TopicPartition>& tps) const;

  size_t pending() const;
  size_t assigned() const;
  // True while the record's partition is still assigned in its generation
  // (false after a revoke: another consumer owns and reprocesses it).
  bool Owns(const TopicPartition& tp, uint64_t generation) const;

 private:
  struct State {
    uint64_t generation = 0;
    std::set<int64_t> pending;
    int64_t next = -1;       // one past the highest offset started
    int64_t committed = -1;  // last committed position
    int64_t first = -1;      // first offset started in this generation
    int64_t confirmed = -1;  // last position the broker acknowledged
  };
  static int64_t Position(const State& s);

  mutable std::mutex mu_;
  uint64_t generation_ = 0;
  std::map<TopicPartition, State> parts_;
};

}  // namespace crawlstream
