// Records waiting for room in the producer's queue, for an event loop that
// must never block on Kafka (the fetcher's).
//
// Send() hands a record to Producer::TryProduce; when librdkafka's queue
// (kafka.producer_queue_bytes) is full, the record and its callback wait
// here, in order, and every later Send() waits behind them so that records
// of one key keep their order. Pump() (call it every loop iteration)
// moves waiting records into the producer as deliveries free room.
// While anything waits, backpressured() is true: the owner stops taking
// input and starting new work, so this list holds at most what was
// already in flight when the queue filled (the fetcher: at most
// fetcher.global_concurrency pages). Nothing is dropped here; a record
// whose retry fails for another reason than a full queue gets
// `refused(message)` (as for a failed Send).
//
// Metrics: crawlstream_kafka_produce_waiting_bytes (gauge; bytes held
// here), crawlstream_kafka_produce_backpressure_total (times the queue
// filled and the owner paused).
//
// Not thread-safe: one thread (the loop's) calls everything; delivery
// callbacks run on the producer's poll thread as usual.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "services/common/kafka_producer.h"
#include "services/common/result.h"

namespace prometheus {
class Counter;
class Gauge;
class Registry;
}  // namespace prometheus

namespace crawlstream {

class ProduceQueue {
 public:
  // Called when a record is refused for good (oversize, unknown topic):
  // its delivery callback will never run.
  using Refused = std::function<void(const Error& error)>;

  ProduceQueue(Producer* producer, prometheus::Registry& registry);

  // Queues `record` now or keeps it until there is room. Returns the error
  // (and keeps nothing) when the producer refuses it at once for another
  // reason than a full queue, e.g. kResourceExhausted for an oversize
  // record. `refused` runs if a later retry is refused.
  Status Send(OutRecord record, DeliveryCallback done, Refused refused);
  // Moves waiting records into the producer while it has room; returns
  // how many moved.
  size_t Pump();
  // Drops what still waits (shutdown: their inputs are not committed and
  // come back after a restart); returns how many.
  size_t Abandon();

  bool backpressured() const { return !waiting_.empty(); }
  size_t waiting() const { return waiting_.size(); }
  int64_t waiting_bytes() const { return waiting_bytes_; }

 private:
  struct Waiting {
    OutRecord record;
    DeliveryCallback done;
    Refused refused;
  };
  void Push(Waiting w);
  void Pop();

  Producer* producer_;
  std::deque<Waiting> waiting_;
  int64_t waiting_bytes_ = 0;
  prometheus::Gauge* waiting_gauge_;
  prometheus::Counter* backpressure_;
};

}  // namespace crawlstream
