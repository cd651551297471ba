// A consumer-group member that commits an input offset only after the
// application says the record is done (its outputs acknowledged, or it was
// dead-lettered or deliberately skipped).
//
// Auto-commit is off. Poll() hands out records; Done() marks them; the
// committable position per partition (offset_tracker.h) is committed every
// commit_interval by MaybeCommit() (call it from the main loop) and
// synchronously on revoke and Close(). Records still in flight when their
// partition is revoked are redelivered to the new owner (at-least-once).
//
// Rebalances: partition.assignment.strategy is cooperative-sticky (a
// member joining or leaving moves only the partitions it must; the
// callback follows rd_kafka_rebalance_protocol(), so an eager assignor
// would work too). On assignment the OnAssign handler runs before the
// partitions are fetched. On revoke, inside Poll(), in this order:
//   1. the OnRevoke handler stops the application's work on those
//      partitions and waits for what can still finish (it must not call
//      Done() for the rest afterwards: such calls are ignored anyway),
//   2. what is done is committed synchronously (not when the partitions
//      were lost: the group has already moved on),
//   3. the tracker forgets them, librdkafka lets go
//      (incremental_unassign, or unassign when eager).
// Periodic commits wait while the group is rebalancing (librdkafka's join
// state, from its statistics every 250 ms, is not "steady"): librdkafka
// 2.0.2 takes a commit refused for a stale generation during a cooperative
// rebalance for a lost assignment, and the work done since the last
// commit would be fetched again by the next owner (librdkafka issue 4059).
//
// Metrics: crawlstream_kafka_consumed_total{topic},
//          crawlstream_kafka_commits_total{outcome},
//          crawlstream_kafka_consumer_errors_total{class},
//          crawlstream_kafka_consumer_skipped_records_total{topic} (input
//          the broker deleted before it was read: a gap in a partition's
//          offsets below its log start offset, not transaction markers or
//          aborted records; also logged as an error).
// Readiness: Health condition "partitions_assigned" is true once the group
// has given this member its (possibly empty) assignment.
//
// Poll/MaybeCommit/Close from one thread; Done() from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "services/common/kafka_options.h"
#include "services/common/kafka_producer.h"
#include "services/common/offset_tracker.h"
#include "services/common/result.h"

namespace prometheus {
class Registry;
}

namespace crawlstream {

class Health;

struct InRecord {
  TopicPartition tp;
  int64_t offset = 0;
  uint64_t generation = 0;
  std::string key;
  std::string value;
  KafkaHeaders headers;
  int64_t timestamp_ms = -1;  // producer or log-append time, -1 if none
};

class Consumer {
 public:
  static Result<std::unique_ptr<Consumer>> Create(
      const KafkaOptions& options, const std::vector<std::string>& topics,
      std::shared_ptr<prometheus::Registry> registry, Health* health);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Next record, std::nullopt on timeout, or an error classified kFatal
  // (anything else is logged, counted and retried internally).
  Result<std::optional<InRecord>> Poll(std::chrono::milliseconds timeout);
  void Done(const InRecord& record);
  // Called inside Poll(), on its thread, with the partitions being revoked
  // or lost, before their positions are committed (see above).
  using RevokeHandler = std::function<void(const std::vector<TopicPartition>&)>;
  void OnRevoke(RevokeHandler handler);
  // Called inside Poll(), on its thread, with newly assigned partitions
  // before librdkafka starts fetching them: the application restores what
  // it needs for them first (the fetcher: their crawl state). It blocks the
  // poll loop meanwhile (heartbeats go on; keep it under
  // max.poll.interval.ms).
  using AssignHandler = std::function<void(const std::vector<TopicPartition>&)>;
  void OnAssign(AssignHandler handler);
  // False once the record's partition was revoked (its outputs would race
  // the new owner's).
  bool Owns(const InRecord& record) const { return tracker_.Owns(record.tp, record.generation); }
  // Pauses (true) or resumes (false) fetching from every assigned
  // partition, those assigned later included. Poll() must still be called
  // while paused: it keeps the membership (heartbeats, rebalances,
  // max.poll.interval.ms); a record fetched before the pause may still
  // come out of it.
  void Pause(bool paused);
  // Commits advanced positions when commit_interval has passed (or `force`).
  Status MaybeCommit(bool force = false);
  // Exactly-once mode (kafka_transaction.h): from now on this consumer
  // commits nothing itself (MaybeCommit, Close and revocations leave the
  // offsets alone); the stage's transactions commit DonePositions().
  void CommitInTransactions();
  // Positions that advanced since the last MarkCommitted().
  std::vector<CommitPosition> DonePositions() const { return tracker_.Committable(false); }
  // A transaction committed these positions.
  void MarkCommitted(const std::vector<CommitPosition>& positions);
  // After an aborted transaction: every assigned partition goes back to its
  // committed offset (the beginning when none), records handed out before
  // no longer count (Owns() is false for them, Done() ignores them).
  Status Rewind(std::chrono::milliseconds timeout);
  // The underlying rd_kafka_t* (for the transaction's group metadata).
  void* handle() const { return rk_; }
  // Commits synchronously, leaves the group, closes. Idempotent.
  Status Close();

  size_t pending() const { return tracker_.pending(); }
  size_t assigned_partitions() const { return tracker_.assigned(); }
  // Input records lost to a gap in the offsets (see the metric above); any
  // thread.
  int64_t skipped_records() const;

  struct Impl;

 private:
  Consumer() = default;
  Status CommitPositions(const std::vector<CommitPosition>& positions, bool sync);

  void* rk_ = nullptr;
  OffsetTracker tracker_;
  std::unique_ptr<Impl> impl_;
  bool closed_ = false;
  friend struct Impl;
};

}  // namespace crawlstream
