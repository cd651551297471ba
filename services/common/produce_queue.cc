#include "services/common/produce_queue.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <utility>

namespace crawlstream {
namespace {

int64_t Bytes(const OutRecord& r) { return static_cast<int64_t>(r.key.size() + r.value.size()); }

}  // namespace

ProduceQueue::ProduceQueue(Producer* producer, prometheus::Registry& registry)
    : producer_(producer),
      waiting_gauge_(&prometheus::BuildGauge()
                          .Name("crawlstream_kafka_produce_waiting_bytes")
                          .Help("Bytes of records waiting for room in the producer queue "
                                "(intake paused meanwhile)")
                          .Register(registry)
                          .Add({})),
      backpressure_(&prometheus::BuildCounter()
                         .Name("crawlstream_kafka_produce_backpressure_total")
                         .Help("Times the producer queue filled and intake paused")
                         .Register(registry)
                         .Add({})) {}

Status ProduceQueue::Send(OutRecord record, DeliveryCallback done, Refused refused) {
  if (waiting_.empty()) {
    auto enqueued = producer_->TryProduce(record, done);
    if (!enqueued) return std::unexpected(enqueued.error());
    if (*enqueued == Enqueued::kQueued) return Ok();
    backpressure_->Increment();
  }
  // Behind the queue or behind earlier waiting records. An oversize record
  // was refused above when nothing waited; here it is checked now so that
  // the caller can still divert it.
  if (Bytes(record) > producer_->max_message_bytes()) {
    return Fail(ErrorCode::kResourceExhausted,
                "record for " + record.topic + " is " + std::to_string(record.value.size()) +
                    " bytes, above kafka.max_message_bytes=" +
                    std::to_string(producer_->max_message_bytes()));
  }
  Push({std::move(record), std::move(done), std::move(refused)});
  return Ok();
}

size_t ProduceQueue::Pump() {
  size_t moved = 0;
  while (!waiting_.empty()) {
    Waiting& w = waiting_.front();
    auto enqueued = producer_->TryProduce(w.record, w.done);
    if (enqueued && *enqueued == Enqueued::kQueueFull) break;
    if (!enqueued && w.refused) w.refused(enqueued.error());
    if (enqueued) ++moved;
    Pop();
  }
  return moved;
}

size_t ProduceQueue::Abandon() {
  size_t n = waiting_.size();
  while (!waiting_.empty()) Pop();
  return n;
}

void ProduceQueue::Push(Waiting w) {
  waiting_bytes_ += Bytes(w.record);
  waiting_.push_back(std::move(w));
  waiting_gauge_->Set(static_cast<double>(waiting_bytes_));
}

void ProduceQueue::Pop() {
  waiting_bytes_ -= Bytes(waiting_.front().record);
  waiting_.pop_front();
  waiting_gauge_->Set(static_cast<double>(waiting_bytes_));
}

}  // namespace crawlstream
