// TopicReader: reads topics by explicit partition assignment, outside any
// consumer group's balancing: the dedup stage's restore and tail of
// `articles` (a global table), the fetcher's restore of an assigned
// partition's crawl state from `crawl.state`, and `crawlstream run`'s
// collector of the output topics. The stage consumers (kafka_consumer.h) are the ones in a
// group.
//
// One RAII owner of an rd_kafka_t consumer: the destructor closes and
// destroys it, so no early return leaks a handle, a metadata block or a
// partition list. group.id is only a label here (offsets are never
// committed: enable.auto.commit=false, nothing calls commit).
//
//   auto reader = TopicReader::Create(kafka, "crawlstream-dedup-restore");
//   auto end = (*reader)->ReadToEnd("articles", deadline, apply);  // restore
//   (*reader)->Assign(StartAt("articles", *end));                  // then tail
//   (*reader)->Poll(256, 0ms, apply);
//
// Transient errors (a partition without a leader while a broker restarts)
// are retried until the caller's deadline; fatal consumer errors end a
// ReadToEnd with an error. Not thread-safe: one thread uses a reader.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "services/common/kafka_options.h"
#include "services/common/result.h"

struct rd_kafka_s;

namespace crawlstream {

struct ReadRecord {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string_view key;
  std::string_view value;
  bool tombstone = false;  // no value at all (a null payload)
};
using RecordFn = std::function<void(const ReadRecord&)>;

struct PartitionOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
};

// Where a tail continues: `topic`'s partitions at `end` (ReadToEnd's result).
std::vector<PartitionOffset> StartAt(const std::string& topic, const std::vector<int64_t>& end);

class TopicReader {
 public:
  // `label` is the client's group.id (never committed).
  static Result<std::unique_ptr<TopicReader>> Create(const KafkaOptions& kafka,
                                                     const std::string& label);
  ~TopicReader();
  TopicReader(const TopicReader&) = delete;
  TopicReader& operator=(const TopicReader&) = delete;

  // Asks again within `timeout` while the topic is unknown or leaderless
  // (just created, a broker restarting); then the error names the topic.
  Result<int> PartitionCount(const std::string& topic,
                             std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Low and high watermarks, transient errors retried until `deadline`.
  Result<std::pair<int64_t, int64_t>> Watermarks(const std::string& topic, int32_t partition,
                                                 std::chrono::steady_clock::time_point deadline);

  // Reads every partition of `topic` from its low watermark to the high
  // watermark seen now, calling `fn` per record; returns the end offsets
  // per partition (where a tail continues). Leaves nothing assigned.
  Result<std::vector<int64_t>> ReadToEnd(const std::string& topic,
                                         std::chrono::steady_clock::time_point deadline,
                                         const RecordFn& fn);
  // The same for the partitions `only` of `topic` (all when empty); the
  // end offsets of the others are 0.
  Result<std::vector<int64_t>> ReadToEnd(const std::string& topic, const std::vector<int32_t>& only,
                                         std::chrono::steady_clock::time_point deadline,
                                         const RecordFn& fn);
  // Reads offsets [from, to) of one partition (from at or above its low
  // watermark; offsets compacted away are simply missing). Leaves nothing
  // assigned.
  Status ReadRange(const std::string& topic, int32_t partition, int64_t from, int64_t to,
                   std::chrono::steady_clock::time_point deadline, const RecordFn& fn);
  // Assigns exactly these partitions (replacing any assignment).
  Status Assign(const std::vector<PartitionOffset>& from);
  // Assigns every partition of each topic at its current end: records
  // produced from now on.
  Status AssignAtEnd(const std::vector<std::string>& topics,
                     std::chrono::steady_clock::time_point deadline);
  // Calls `fn` for up to `max_records` records, waiting up to `timeout` for
  // the first; returns how many. Errors of single records are skipped.
  int Poll(int max_records, std::chrono::milliseconds timeout, const RecordFn& fn);

 private:
  explicit TopicReader(rd_kafka_s* rk) : rk_(rk) {}
  // Reads each partition of `from` from its offset up to its `end`.
  Status ReadRanges(const std::string& topic, const std::vector<PartitionOffset>& from,
                    const std::vector<int64_t>& end, std::chrono::steady_clock::time_point deadline,
                    const RecordFn& fn);
  rd_kafka_s* rk_;
};

}  // namespace crawlstream
