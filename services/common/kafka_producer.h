// An idempotent Kafka producer whose delivery reports reach the caller.
//
// Every Produce() gets exactly one callback, on the producer's background
// poll thread, telling whether the broker acknowledged the record and, if
// not, how the error is classified (kafka_errors.h). Callers commit their
// input only from an acknowledged delivery. Records larger than
// max_message_bytes are refused synchronously (kResourceExhausted) so that
// the caller can dead-letter them.
//
// Back-pressure: records wait in librdkafka's queue, bounded by
// kafka.producer_queue_bytes, until acknowledged. TryProduce never waits:
// on a full queue it returns kQueueFull and the caller keeps the record,
// stops taking input and retries once deliveries made room (the fetcher,
// through ProduceQueue, produce_queue.h). Produce waits for room (up to
// kafka.delivery_timeout), for callers that may block.
//
// Metrics (registered in the given registry):
//   crawlstream_kafka_produced_total{topic,outcome="ok|error"}
//   crawlstream_kafka_produce_inflight
//   crawlstream_kafka_produce_queue_full_total (enqueue attempts refused:
//   queue full; Produce's retries count too)
// Readiness: sets Health condition "broker" from a metadata probe every few
// seconds.
//
// Thread-safe: Produce() may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "services/common/kafka_errors.h"
#include "services/common/kafka_options.h"
#include "services/common/result.h"

namespace prometheus {
class Registry;
}

namespace crawlstream {

class Health;

using KafkaHeaders = std::vector<std::pair<std::string, std::string>>;

struct OutRecord {
  std::string topic;
  std::string key;
  std::string value;  // empty = a tombstone (sent as a null value)
  KafkaHeaders headers;
  // -1: the partitioner picks one from the key; else this partition (the
  // fetcher's crawl.state records go to their crawl.requests partition).
  int32_t partition = -1;
};

struct DeliveryReport {
  int error_code = 0;  // rd_kafka_resp_err_t; 0 = acknowledged
  KafkaErrorClass error_class = KafkaErrorClass::kNone;
  std::string error_message;
  int32_t partition = -1;
  int64_t offset = -1;
  bool ok() const { return error_code == 0; }
};

using DeliveryCallback = std::function<void(const DeliveryReport&)>;

// What TryProduce did with a record it accepted for sending.
enum class Enqueued {
  kQueued,     // queued; its callback will come
  kQueueFull,  // not queued (queue full): retry after deliveries
};

class Producer {
 public:
  // Creates the producer (enable.idempotence=true, acks=all). With a
  // `transactional_id` (TransactionalId(options)) the producer is
  // transactional: init_transactions runs here (fencing any earlier
  // producer with that id and aborting its open transaction), and every
  // record must be produced inside a transaction (kafka_transaction.h).
  static Result<std::unique_ptr<Producer>> Create(
      const KafkaOptions& options, std::shared_ptr<prometheus::Registry> registry,
      Health* health, const std::string& transactional_id = "");
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues a record. On success `done` will be called exactly once. On
  // failure (oversize, unknown topic name, queue full past the delivery
  // timeout) `done` is not called and the error says why. Waits while the
  // queue is full: not for an event loop (use TryProduce there).
  Status Produce(OutRecord record, DeliveryCallback done);
  // Never waits. kQueued: `done` (copied) will be called exactly once.
  // kQueueFull: nothing was kept; retry later. Errors as for Produce
  // (kResourceExhausted for an oversize record, checked first).
  Result<Enqueued> TryProduce(const OutRecord& record, const DeliveryCallback& done);

  // Waits until every queued record got its callback, or the timeout.
  Status Flush(std::chrono::milliseconds timeout);

  int64_t inflight() const { return inflight_.load(); }
  // Key and value bytes queued and not yet acknowledged, and their bound
  // (kafka.producer_queue_bytes).
  int64_t queued_bytes() const { return queued_bytes_.load(); }
  int64_t queue_bytes() const { return queue_bytes_; }
  // Whether a record of max_message_bytes would fit in the queue now.
  bool HasRoomForLargest() const {
    return queued_bytes() + max_message_bytes_ <= queue_bytes_;
  }
  int64_t max_message_bytes() const { return max_message_bytes_; }
  bool transactional() const { return transactional_; }
  // The underlying rd_kafka_t* (for tests and the dev broker).
  void* handle() const { return rk_; }

  struct MetricHandles;

 private:
  Producer() = default;
  void PollLoop();

  void* rk_ = nullptr;  // rd_kafka_t*
  int64_t max_message_bytes_ = 0;
  int64_t queue_bytes_ = 0;
  bool transactional_ = false;
  std::chrono::milliseconds delivery_timeout_{0};
  Health* health_ = nullptr;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<MetricHandles> metrics_;
  std::atomic<int64_t> inflight_{0};
  std::atomic<int64_t> queued_bytes_{0};
  std::atomic<bool> stop_{false};
  std::thread poller_;
};

// Builds an rd_kafka_conf_t* from options plus `overrides` (name, value).
// Returns the conf as void* (owned by the caller until passed to
// rd_kafka_new) or an error naming our key and the bad property.
Result<void*> MakeKafkaConf(const KafkaOptions& options,
                            const std::vector<std::pair<std::string, std::string>>& overrides);
// (name, value) pairs for MakeKafkaConf.
std::vector<std::pair<std::string, std::string>> AsOverrides(
    const std::vector<KafkaProperty>& props);

}  // namespace crawlstream
