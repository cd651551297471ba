// One Kafka transaction at a time for a consume -> process -> produce
// stage: exactly-once per stage (kafka.exactly_once).
//
// The stage's Producer is transactional (Producer::Create with a
// transactional.id; init_transactions ran there) and its Consumer commits
// nothing itself (Consumer::CommitInTransactions). Begin() opens a
// transaction; every output produced meanwhile belongs to it; Commit()
// adds the consumer's done positions (send_offsets_to_transaction with the
// group's metadata, so a member fenced by a rebalance cannot commit) and
// commits: outputs and input offsets become visible to read_committed
// consumers together, or, after Abort(), never. After an abort the
// consumer must be rewound to the committed positions (Consumer::Rewind)
// and the stage's in-memory state must not keep anything from the aborted
// transaction.
//
// Failures are classified from librdkafka's error flags:
//   kRetriable  the call may be repeated (a timeout; the operation goes on
//               in the background)
//   kAbortable  the transaction must be aborted (an output failed for
//               good, the coordinator aborted it, the group generation
//               moved on); the stage goes on afterwards
//   kFatal      the producer is unusable (fenced by another instance with
//               the same transactional.id, ...): the stage must stop
//
// Metrics: crawlstream_kafka_transactions_total{outcome="committed|aborted"},
//          crawlstream_kafka_transaction_commit_seconds (histogram).
// Not thread-safe: the stage loop's thread.
#pragma once

#include <chrono>
#include <expected>
#include <memory>
#include <string>

namespace prometheus {
class Registry;
}

namespace crawlstream {

class Consumer;
class Producer;

enum class TxnFailure { kRetriable, kAbortable, kFatal };

struct TxnError {
  TxnFailure kind = TxnFailure::kFatal;
  std::string message;
};

using TxnStatus = std::expected<void, TxnError>;

std::string_view TxnFailureName(TxnFailure kind);

class StageTransaction {
 public:
  StageTransaction(Producer* producer, Consumer* consumer,
                   std::chrono::milliseconds timeout, prometheus::Registry& registry);
  ~StageTransaction();

  // Opens a transaction unless one is open.
  TxnStatus Begin();
  bool open() const { return open_; }
  // Time since Begin() (zero when none is open).
  std::chrono::milliseconds age() const;
  // Sends the consumer's done positions (if any moved) and commits,
  // retrying retriable failures within the timeout. On success the
  // positions are the consumer's committed ones and no transaction is open.
  TxnStatus Commit();
  // Aborts the open transaction (its outputs are discarded: their
  // deliveries report a purge error).
  TxnStatus Abort();

  struct Metrics;

 private:
  Producer* producer_;
  Consumer* consumer_;
  std::chrono::milliseconds timeout_;
  bool open_ = false;
  std::chrono::steady_clock::time_point begun_;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace crawlstream
