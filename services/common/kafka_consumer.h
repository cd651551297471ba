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
// Metrics: crawlstream_kafka_consumed_total{topic},
//          crawlstream_kafka_commits_total{outcome},
//          crawlstream_kafka_consumer_errors_total{class},
//          crawlstream_kafka_consumer_skipped_records_total{topic} (input
//          the broker deleted before it was read: a gap in a partition's
//          offsets; also logged as an error).
// Readiness: Health condition "partitions_assigned" is true once the group
// has given this member its (possibly empty) assignment.
//
// Poll/MaybeCommit/Close from one thread; Done() from any thread.
#pragma once

#include <chrono>
#include <cstdint>
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
  // False once the record's partition was revoked (its outputs would race
  // the new owner's).
  bool Owns(const InRecord& record) const { return tracker_.Owns(record.tp, record.generation); }
  // Commits advanced positions when commit_interval has passed (or `force`).
  Status MaybeCommit(bool force = false);
  // Stops (pause) or restarts fetching from the partitions assigned now;
  // Poll() keeps serving the group (rebalances, the poll interval)
  // meanwhile. Records fetched but not yet polled are dropped and fetched
  // again on resume, from the position after the last one polled.
  // Partitions assigned later start unpaused: a caller that polls a record
  // while it wants a pause pauses again.
  Status PauseAssigned(bool pause);
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
