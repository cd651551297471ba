#include "services/common/kafka_transaction.h"

#include <librdkafka/rdkafka.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include "services/common/kafka_consumer.h"
#include "services/common/kafka_producer.h"

namespace crawlstream {
namespace {

// Takes ownership of `error`.
TxnError Classify(rd_kafka_error_t* error, const char* what) {
  TxnError out;
  if (rd_kafka_error_is_fatal(error)) {
    out.kind = TxnFailure::kFatal;
  } else if (rd_kafka_error_txn_requires_abort(error)) {
    out.kind = TxnFailure::kAbortable;
  } else if (rd_kafka_error_is_retriable(error)) {
    out.kind = TxnFailure::kRetriable;
  } else {
    // Neither retriable nor abortable (a call in the wrong state, a bad
    // argument): nothing the stage could do about it.
    out.kind = TxnFailure::kFatal;
  }
  out.message = std::string(what) + ": " + rd_kafka_error_name(error) + ": " +
                rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
  return out;
}

int RemainingMs(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<int64_t>(left.count(), 1));
}

// Repeats `call` while it fails retriably and the deadline is ahead.
template <typename Call>
TxnStatus WithRetries(const char* what, std::chrono::steady_clock::time_point deadline,
                      Call call) {
  for (;;) {
    rd_kafka_error_t* error = call(RemainingMs(deadline));
    if (!error) return {};
    TxnError e = Classify(error, what);
    if (e.kind != TxnFailure::kRetriable || std::chrono::steady_clock::now() >= deadline) {
      return std::unexpected(std::move(e));
    }
    spdlog::warn("kafka transaction: {} (retrying)", e.message);
  }
}

}  // namespace

std::string_view TxnFailureName(TxnFailure kind) {
  switch (kind) {
    case TxnFailure::kRetriable: return "retriable";
    case TxnFailure::kAbortable: return "abortable";
    case TxnFailure::kFatal: return "fatal";
  }
  return "fatal";
}

struct StageTransaction::Metrics {
  prometheus::Counter* committed = nullptr;
  prometheus::Counter* aborted = nullptr;
  prometheus::Histogram* commit_seconds = nullptr;
};

StageTransaction::StageTransaction(Producer* producer, Consumer* consumer,
                                   std::chrono::milliseconds timeout,
                                   prometheus::Registry& registry)
    : producer_(producer), consumer_(consumer), timeout_(timeout),
      metrics_(std::make_unique<Metrics>()) {
  auto& outcomes = prometheus::BuildCounter()
                       .Name("crawlstream_kafka_transactions_total")
                       .Help("Stage transactions (kafka.exactly_once), by outcome")
                       .Register(registry);
  metrics_->committed = &outcomes.Add({{"outcome", "committed"}});
  metrics_->aborted = &outcomes.Add({{"outcome", "aborted"}});
  metrics_->commit_seconds =
      &prometheus::BuildHistogram()
           .Name("crawlstream_kafka_transaction_commit_seconds")
           .Help("Time to send a transaction's offsets and commit it (its outputs flushed)")
           .Register(registry)
           .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                            0.5, 1, 2.5, 5, 10});
}

StageTransaction::~StageTransaction() = default;

TxnStatus StageTransaction::Begin() {
  if (open_) return {};
  if (rd_kafka_error_t* error = rd_kafka_begin_transaction(static_cast<rd_kafka_t*>(producer_->handle()))) {
    return std::unexpected(Classify(error, "begin transaction"));
  }
  open_ = true;
  begun_ = std::chrono::steady_clock::now();
  return {};
}

std::chrono::milliseconds StageTransaction::age() const {
  if (!open_) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               begun_);
}

TxnStatus StageTransaction::Commit() {
  if (!open_) return {};
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + timeout_;
  auto* rk = static_cast<rd_kafka_t*>(producer_->handle());
  const auto positions = consumer_->DonePositions();
  if (!positions.empty()) {
    auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(positions.size()));
    for (const auto& p : positions) {
      rd_kafka_topic_partition_list_add(list, p.tp.topic.c_str(), p.tp.partition)->offset = p.offset;
    }
    rd_kafka_consumer_group_metadata_t* group =
        rd_kafka_consumer_group_metadata(static_cast<rd_kafka_t*>(consumer_->handle()));
    auto sent = WithRetries("send offsets to transaction", deadline, [&](int ms) {
      return rd_kafka_send_offsets_to_transaction(rk, list, group, ms);
    });
    rd_kafka_consumer_group_metadata_destroy(group);
    rd_kafka_topic_partition_list_destroy(list);
    if (!sent) return sent;
  }
  auto committed = WithRetries("commit transaction", deadline, [&](int ms) {
    return rd_kafka_commit_transaction(rk, ms);
  });
  if (!committed) return committed;
  open_ = false;
  consumer_->MarkCommitted(positions);
  metrics_->committed->Increment();
  metrics_->commit_seconds->Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return {};
}

TxnStatus StageTransaction::Abort() {
  if (!open_) return {};
  open_ = false;
  metrics_->aborted->Increment();
  auto* rk = static_cast<rd_kafka_t*>(producer_->handle());
  return WithRetries("abort transaction", std::chrono::steady_clock::now() + timeout_,
                     [&](int ms) { return rd_kafka_abort_transaction(rk, ms); });
}

}  // namespace crawlstream
