// The consume → process → produce → commit loop shared by the extractor
// and dedup services (the fetcher has its own event loop).
//
// For each input record the Processor returns outputs, a dead-letter
// reason, or a skip reason. The input offset is marked done only when every
// output is acknowledged by the broker (or the dead letter is); offsets are
// committed in order per partition (offset_tracker.h). Hence every stage is
// at-least-once; duplicates from redelivery are absorbed downstream by the
// article id (dedup) and the compacted `articles` topic.
//
// Failures:
//   - processor says dead-letter (undecodable, oversize, ...): a DeadLetter
//     with the stage, reason, detail and the original record goes to the
//     dead-letter topic; the partition moves on.
//   - an output is refused as too large, or its delivery fails with a
//     record-level error: the input is dead-lettered ("output_rejected").
//   - delivery fails for any other reason after the producer's own retries
//     (kafka.delivery_timeout): the loop stops with exit code 1 without
//     committing that input, so a restart redelivers it.
// Back-pressure: no input is polled while max_inflight outputs await
// acknowledgement or the producer queue has no room for a record of
// kafka.max_message_bytes; the loop sleeps 1-2 ms per turn meanwhile and
// keeps beating. Outputs of records already processed still go out with
// Producer::Produce, which waits for room (up to kafka.delivery_timeout)
// in the rare case that the queue is full then.
// Stop: Shutdown::Requested() stops intake; in-flight outputs are flushed
// (up to drain_timeout), done offsets are committed synchronously, the
// consumer leaves the group; Run() returns 0.
//
// Exactly-once (kafka.exactly_once; the Producer is transactional): the
// loop runs one transaction at a time (kafka_transaction.h). Outputs and
// dead letters of the records processed during a transaction are produced
// in it; the records count as done when their outputs are queued; the
// transaction commits with their offsets every transaction_interval (or
// after max_inflight records, or when a revocation comes: before the
// partitions go), and the outcomes are counted then. An aborted
// transaction (an output failed for good, the coordinator or the group
// moved on) discards its outputs and rewinds the consumer to the committed
// offsets: a record whose output the broker refused is dead-lettered the
// second time ("output_rejected"); a stateful stage (dedup: its index
// already holds the aborted decisions) stops with exit code 1 instead, so
// that a restart restores its state from the committed log. A fatal
// transaction error (fenced by another producer with the same
// transactional.id) stops the loop with exit code 1.
//
// Metrics: crawlstream_stage_records_total{stage,outcome,reason},
//          crawlstream_stage_process_seconds{stage} (histogram).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "services/common/kafka_consumer.h"
#include "services/common/kafka_producer.h"
#include "services/common/kafka_transaction.h"

namespace prometheus {
class Counter;
template <typename T>
class Family;
class Registry;
}  // namespace prometheus

namespace crawlstream {

class Health;

struct StageResult {
  std::vector<OutRecord> outputs;
  // Set to dead-letter the input (machine-readable reason + detail).
  std::string dead_letter_reason;
  std::string dead_letter_detail;
  // Set (with no outputs) to skip the input; counted by reason.
  std::string skip_reason;

  static StageResult DeadLetter(std::string reason, std::string detail) {
    StageResult r;
    r.dead_letter_reason = std::move(reason);
    r.dead_letter_detail = std::move(detail);
    return r;
  }
  static StageResult Skip(std::string reason) {
    StageResult r;
    r.skip_reason = std::move(reason);
    return r;
  }
};

using Processor = std::function<StageResult(const InRecord&)>;

struct StageLoopOptions {
  std::string stage;             // "extractor", "dedup"
  std::string deadletter_topic;  // e.g. "crawl.deadletter"
  int64_t max_inflight = 2000;   // outputs awaiting acknowledgement
  std::chrono::milliseconds drain_timeout{10'000};
  // For tests and `crawlstream run`: stop once this many inputs are done
  // and nothing is in flight (0 = never).
  int64_t stop_after = 0;
  // For `crawlstream run`: also stop when this flag is set (null = only
  // on Shutdown::Requested()).
  const std::atomic<bool>* stop = nullptr;
  // Called on the loop's thread once per iteration (dedup tails the
  // articles topic here); may be empty.
  std::function<void()> on_tick = nullptr;
  // Threads that run the Processor (> 1 only for a thread-safe, stateless
  // Processor: the extractor). Records with the same key (else the same
  // partition) go to the same thread, so their outputs keep their order;
  // producing, dead-lettering and committing stay on the loop's thread. At
  // most 8 x workers records wait for processing; on stop, records not yet
  // processed are left uncommitted (redelivered after a restart); a record
  // whose partition was revoked meanwhile is not produced (the new owner
  // reprocesses it); an exception from the Processor dead-letters the
  // record ("processor_exception").
  int workers = 1;
  // Exactly-once mode only (see above): how long a transaction collects
  // records (kafka.commit_interval) and how long a commit may take
  // (kafka.transaction_timeout).
  std::chrono::milliseconds transaction_interval{1'000};
  std::chrono::milliseconds transaction_timeout{30'000};
  // The Processor keeps state derived from what it produced (dedup): an
  // aborted transaction stops the loop instead of rewinding.
  bool stateful = false;
};

// crawlstream_stage_records_total{stage,outcome,reason}: input records of
// one stage by how they ended, counted once the outputs (or the dead
// letter) are acknowledged. Outcomes: "processed" (reason empty),
// "skipped" (reason: why nothing went out, e.g. "duplicate"),
// "dead_letter" (reason: the dead letter's). The extractor and dedup
// count through StageLoop, the fetcher through its own loop; the
// dead-letter alert divides by the sum of all outcomes. Thread-safe.
class StageRecords {
 public:
  StageRecords(std::string stage, prometheus::Registry& registry);
  void Count(const std::string& outcome, const std::string& reason);

 private:
  std::string stage_;
  prometheus::Family<prometheus::Counter>* family_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, prometheus::Counter*> counters_;
};

// Builds the serialized crawlstream.v1.DeadLetter for `input`.
std::string MakeDeadLetter(const std::string& stage, const std::string& reason,
                           const std::string& detail, const InRecord& input);

class StageLoop {
 public:
  StageLoop(StageLoopOptions options, Consumer* consumer, Producer* producer,
            Health* health, std::shared_ptr<prometheus::Registry> registry);
  ~StageLoop();

  // Runs until a stop is requested or a fatal error; returns the exit code.
  int Run(const Processor& process);
  // Processes one polled record (exposed for the in-process pipeline).
  void Handle(const InRecord& record, const Processor& process);
  // Produces the outputs (or the dead letter) of a processed record.
  void Finish(const InRecord& record, StageResult result);

  // Inputs finished (processed, skipped or dead-lettered, and acknowledged).
  int64_t inputs_done() const;
  // Outputs acknowledged by the broker, per topic name.
  int64_t outputs_acked(const std::string& topic) const;

  struct State;
  class WorkerPool;

 private:
  void FinishInTransaction(const InRecord& record, StageResult result);
  // Commits the open transaction, or aborts it (then rewinds, unless
  // `rewind` is false: the caller does it later). False when the loop must
  // stop (state_->failed is set).
  bool CommitOrAbort(bool rewind, bool stopping);
  // Rewinds when a revocation aborted, commits when the transaction is
  // due; false when the loop must stop.
  bool CommitWhenDue();
  // Opens a transaction when none is; false on a fatal error.
  bool EnsureTransaction();

  std::shared_ptr<State> state_;
  std::unique_ptr<StageTransaction> txn_;  // exactly-once mode only
  StageLoopOptions options_;
  Consumer* consumer_;
  Producer* producer_;
  Health* health_;
};

}  // namespace crawlstream
