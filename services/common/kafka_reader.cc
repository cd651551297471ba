#include "services/common/kafka_reader.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "services/common/kafka_errors.h"
#include "services/common/kafka_producer.h"

namespace crawlstream {
namespace {

using Clock = std::chrono::steady_clock;

struct PartitionList {
  explicit PartitionList(int size) : list(rd_kafka_topic_partition_list_new(size)) {}
  ~PartitionList() { rd_kafka_topic_partition_list_destroy(list); }
  PartitionList(const PartitionList&) = delete;
  PartitionList& operator=(const PartitionList&) = delete;
  rd_kafka_topic_partition_list_t* list;
};

struct Message {
  explicit Message(rd_kafka_message_t* msg) : m(msg) {}
  ~Message() {
    if (m) rd_kafka_message_destroy(m);
  }
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  rd_kafka_message_t* m;
};

ReadRecord View(const rd_kafka_message_t* m) {
  ReadRecord r;
  r.topic = rd_kafka_topic_name(m->rkt);
  r.partition = m->partition;
  r.offset = m->offset;
  if (m->key) r.key = {static_cast<const char*>(m->key), m->key_len};
  if (m->payload) {
    r.value = {static_cast<const char*>(m->payload), m->len};
  } else {
    r.tombstone = true;
  }
  return r;
}

// How long a metadata question may take before `deadline`: at most 30 s,
// so that a topic that really is missing fails soon.
std::chrono::milliseconds Within(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return std::clamp(left, std::chrono::milliseconds(0), std::chrono::milliseconds(30'000));
}

bool IsFatal(rd_kafka_resp_err_t e) { return ClassifyKafkaError(e) == KafkaErrorClass::kFatal; }

}  // namespace

std::vector<PartitionOffset> StartAt(const std::string& topic, const std::vector<int64_t>& end) {
  std::vector<PartitionOffset> out;
  for (size_t p = 0; p < end.size(); ++p) out.push_back({topic, static_cast<int32_t>(p), end[p]});
  return out;
}

Result<std::unique_ptr<TopicReader>> TopicReader::Create(const KafkaOptions& kafka,
                                                         const std::string& label) {
  auto conf = MakeKafkaConf(kafka, {{"group.id", label},
                                    {"enable.auto.commit", "false"},
                                    {"enable.auto.offset.store", "false"},
                                    {"enable.partition.eof", "true"},
                                    {"fetch.message.max.bytes",
                                     std::to_string(kafka.max_message_bytes + kKafkaFramingBytes)}});
  if (!conf) return std::unexpected(conf.error());
  char err[512];
  auto* c = static_cast<rd_kafka_conf_t*>(*conf);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(c);
    return Fail(ErrorCode::kInvalidArgument, label + ": " + err);
  }
  return std::unique_ptr<TopicReader>(new TopicReader(rk));
}

TopicReader::~TopicReader() {
  rd_kafka_consumer_close(rk_);
  rd_kafka_destroy(rk_);
}

Result<int> TopicReader::PartitionCount(const std::string& topic,
                                        std::chrono::milliseconds timeout) {
  // A topic created a moment ago may not be known to the broker asked yet
  // (metadata spreads across a cluster), and a partition may lack a leader
  // while a broker restarts: asked again every 500 ms within `timeout`.
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
    const auto e = rd_kafka_metadata(rk_, 0, rkt, &md, 10000);
    rd_kafka_topic_destroy(rkt);
    std::unique_ptr<const rd_kafka_metadata_t, void (*)(const rd_kafka_metadata_t*)> guard(
        md, rd_kafka_metadata_destroy);
    rd_kafka_resp_err_t why = e;
    if (!why && (!md || md->topic_cnt != 1)) why = RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
    if (!why) why = md->topics[0].err;
    if (!why) return md->topics[0].partition_cnt;
    if (Clock::now() + std::chrono::milliseconds(500) > deadline) {
      return Fail(ErrorCode::kUnavailable,
                  "no metadata for topic " + topic + ": " + rd_kafka_err2str(why));
    }
    spdlog::warn("kafka reader: metadata of {}: {}; asking again", topic, rd_kafka_err2str(why));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

Result<std::pair<int64_t, int64_t>> TopicReader::Watermarks(const std::string& topic,
                                                            int32_t partition,
                                                            Clock::time_point deadline) {
  constexpr auto kBackoff = std::chrono::milliseconds(500);
  for (;;) {
    int64_t lo = 0, hi = 0;
    const auto e = rd_kafka_query_watermark_offsets(rk_, topic.c_str(), partition, &lo, &hi, 10000);
    if (!e) return std::pair{lo, hi};
    if (ClassifyKafkaError(e) != KafkaErrorClass::kRetry || Clock::now() + kBackoff > deadline) {
      return Fail(ErrorCode::kUnavailable, "watermarks of " + topic + "/" +
                                               std::to_string(partition) + ": " +
                                               rd_kafka_err2str(e));
    }
    spdlog::warn("kafka reader: watermarks of {}/{}: {}; retrying", topic, partition,
                 rd_kafka_err2str(e));
    std::this_thread::sleep_for(kBackoff);
  }
}

Status TopicReader::ReadRange(const std::string& topic, int32_t partition, int64_t from, int64_t to,
                              Clock::time_point deadline, const RecordFn& fn) {
  if (partition < 0) {
    return Fail(ErrorCode::kInvalidArgument, topic + ": no partition " + std::to_string(partition));
  }
  if (to <= from) return Ok();
  std::vector<int64_t> end(static_cast<size_t>(partition) + 1, 0);
  end[static_cast<size_t>(partition)] = to;
  return ReadRanges(topic, {{topic, partition, from}}, end, deadline, fn);
}

Status TopicReader::ReadRanges(const std::string& topic, const std::vector<PartitionOffset>& from,
                               const std::vector<int64_t>& end, Clock::time_point deadline,
                               const RecordFn& fn) {
  if (auto st = Assign(from); !st) return st;
  struct Unassign {
    TopicReader* r;
    ~Unassign() { (void)r->Assign({}); }
  } unassign{this};

  std::vector<bool> open(end.size(), false);
  std::vector<int64_t> begin(end.size(), 0);
  for (const auto& p : from) {
    open[static_cast<size_t>(p.partition)] = true;
    begin[static_cast<size_t>(p.partition)] = p.offset;
  }
  size_t remaining = from.size();
  int64_t read = 0;
  while (remaining > 0) {
    if (Clock::now() > deadline) {
      return Fail(ErrorCode::kUnavailable, "timed out reading " + topic + " after " +
                                               std::to_string(read) + " records");
    }
    Message msg(rd_kafka_consumer_poll(rk_, 200));
    const rd_kafka_message_t* m = msg.m;
    if (!m) continue;
    if (!m->rkt) {  // a consumer-level error, no partition
      if (m->err && IsFatal(m->err)) {
        return Fail(ErrorCode::kInternal, topic + ": " + rd_kafka_message_errstr(m));
      }
      continue;
    }
    const auto p = static_cast<size_t>(m->partition);
    if (m->partition < 0 || p >= end.size() || topic != rd_kafka_topic_name(m->rkt)) {
      continue;  // a late message of an earlier assignment
    }
    if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (IsFatal(m->err)) {
        return Fail(ErrorCode::kInternal, topic + ": " + rd_kafka_message_errstr(m));
      }
      continue;
    }
    if (!m->err && m->offset < begin[p]) continue;  // a late message of an earlier read
    if (!m->err && m->offset < end[p]) {
      fn(View(m));
      ++read;
    }
    const bool at_end = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF || m->offset + 1 >= end[p];
    if (at_end && open[p]) {
      open[p] = false;
      --remaining;
    }
  }
  return Ok();
}

Status TopicReader::Assign(const std::vector<PartitionOffset>& from) {
  PartitionList list(static_cast<int>(from.size()));
  for (const auto& p : from) {
    rd_kafka_topic_partition_list_add(list.list, p.topic.c_str(), p.partition)->offset = p.offset;
  }
  if (auto e = rd_kafka_assign(rk_, from.empty() ? nullptr : list.list)) {
    return Fail(ErrorCode::kInternal, std::string("assign: ") + rd_kafka_err2str(e));
  }
  return Ok();
}

Status TopicReader::AssignAtEnd(const std::vector<std::string>& topics,
                                Clock::time_point deadline) {
  std::vector<PartitionOffset> from;
  for (const auto& topic : topics) {
    auto n = PartitionCount(topic, Within(deadline));
    if (!n) return std::unexpected(n.error());
    for (int32_t p = 0; p < *n; ++p) {
      auto w = Watermarks(topic, p, deadline);
      if (!w) return std::unexpected(w.error());
      from.push_back({topic, p, w->second});
    }
  }
  return Assign(from);
}

Result<std::vector<int64_t>> TopicReader::ReadToEnd(const std::string& topic,
                                                    Clock::time_point deadline,
                                                    const RecordFn& fn) {
  return ReadToEnd(topic, {}, deadline, fn);
}

Result<std::vector<int64_t>> TopicReader::ReadToEnd(const std::string& topic,
                                                    const std::vector<int32_t>& only,
                                                    Clock::time_point deadline,
                                                    const RecordFn& fn) {
  auto partitions = PartitionCount(topic, Within(deadline));
  if (!partitions) return std::unexpected(partitions.error());
  std::vector<int64_t> end(static_cast<size_t>(*partitions), 0);
  std::vector<PartitionOffset> from;
  for (int32_t p : only) {
    if (p < 0 || p >= *partitions) {
      return Fail(ErrorCode::kInvalidArgument, topic + " has no partition " + std::to_string(p) +
                                                   " (" + std::to_string(*partitions) + " partitions)");
    }
  }
  for (int32_t p = 0; p < *partitions; ++p) {
    if (!only.empty() && std::find(only.begin(), only.end(), p) == only.end()) continue;
    auto w = Watermarks(topic, p, deadline);
    if (!w) return std::unexpected(w.error());
    end[static_cast<size_t>(p)] = w->second;
    if (w->second > w->first) from.push_back({topic, p, w->first});
  }
  if (from.empty()) return end;
  if (auto st = ReadRanges(topic, from, end, deadline, fn); !st) return std::unexpected(st.error());
  return end;
}

int TopicReader::Poll(int max_records, std::chrono::milliseconds timeout, const RecordFn& fn) {
  int n = 0;
  for (int i = 0; i < max_records; ++i) {
    Message msg(rd_kafka_consumer_poll(rk_, i == 0 ? static_cast<int>(timeout.count()) : 0));
    if (!msg.m) break;
    if (msg.m->err || !msg.m->rkt) continue;
    fn(View(msg.m));
    ++n;
  }
  return n;
}

}  // namespace crawlstream
