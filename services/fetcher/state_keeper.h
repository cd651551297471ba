// The fetcher's crawl state around Kafka: a StateStore (state_store.h) in
// fetcher.state_dir holding the state of exactly the crawl.requests
// partitions this instance is assigned, restored from the changelog topic
// topics.state (same partition number) when a partition is assigned and
// dropped when it is revoked; at shutdown released instead (kept on disk
// with its checkpoint), so that the next process on the same directory
// reads only what the changelog gained since.
//
//   consumer.OnAssign -> keeper.Restore(partitions)   before fetching them
//   consumer.OnRevoke -> crawler.Revoke, producer flush,
//                        crawler.RecordStates, producer flush,
//                        keeper.Drop(partitions)  (Release when stopping)
//
// Metrics (gauges updated by UpdateMetrics(), counters by Restore()):
//   crawlstream_fetch_state_restored_urls_total   changelog records applied
//   crawlstream_fetch_state_restore_seconds       the last assignment's restore
//   crawlstream_fetch_state_urls                  URLs held (estimate)
//   crawlstream_fetch_state_disk_bytes            RocksDB SST files
//   crawlstream_fetch_state_memory_bytes          RocksDB memtables + caches
//   crawlstream_fetch_state_partitions            partitions held
//   crawlstream_fetch_state_scheduled             due-index entries (the due
//                                                 queue: revisits, re-polls)
//
// Not thread-safe: the fetcher's loop thread (where the consumer's
// rebalance callbacks run) owns it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "services/common/kafka_options.h"
#include "services/common/result.h"

namespace prometheus {
class Registry;
}

namespace crawlstream {
class TopicReader;
}

namespace crawlstream::fetcher {

class StateStore;

class StateKeeper {
 public:
  // Opens the store in `dir` (state_store.h) and a reader of
  // topics.state; checks that topics.state has as many partitions as
  // topics.requests (the error names both keys).
  static Result<std::unique_ptr<StateKeeper>> Create(const std::string& dir,
                                                     const KafkaOptions& kafka,
                                                     const TopicNames& topics,
                                                     prometheus::Registry& registry,
                                                     std::chrono::milliseconds timeout);
  ~StateKeeper();

  StateStore* store() const { return store_.get(); }
  // Restores `partitions` from topics.state to its current end (from the
  // local checkpoint when it is still good), within `timeout` for all. An error leaves the failed partition not owned
  // (the fetcher stops on it rather than crawl without its state).
  Status Restore(const std::vector<int32_t>& partitions);
  void Drop(const std::vector<int32_t>& partitions);
  void Release(const std::vector<int32_t>& partitions);
  void UpdateMetrics();

  struct Metrics;

 private:
  StateKeeper() = default;
  std::string topic_;
  std::chrono::milliseconds timeout_{0};
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<TopicReader> reader_;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace crawlstream::fetcher
