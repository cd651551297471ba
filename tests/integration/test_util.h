// Helpers for integration tests against the in-process development broker.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <string>
#include <vector>

namespace crawlstream::testing_util {

// Reads every record of `topic` from the beginning to the current end with
// a group-less consumer (an outside view of the log).
struct RawRecord {
  int32_t partition;
  int64_t offset;
  std::string key;
  std::string value;
};

inline std::vector<RawRecord> ReadAll(const std::string& bootstrap, const std::string& topic,
                                      int partitions,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", "test-reader", err, sizeof err);
  rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  auto* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  std::vector<RawRecord> out;
  int eofs = 0;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (eofs < partitions && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      ++eofs;
    } else if (!m->err) {
      out.push_back({m->partition, m->offset,
                     m->key ? std::string(static_cast<char*>(m->key), m->key_len) : "",
                     std::string(static_cast<char*>(m->payload), m->len)});
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

// Committed offsets of `group` for partitions 0..partitions-1 (-1001 when
// none).
inline std::vector<int64_t> CommittedOffsets(const std::string& bootstrap, const std::string& group,
                                             const std::string& topic, int partitions) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", group.c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  auto* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  std::vector<int64_t> out(static_cast<size_t>(partitions), -1001);
  if (rd_kafka_committed(rk, list, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < list->cnt; ++i) {
      out[static_cast<size_t>(list->elems[i].partition)] = list->elems[i].offset;
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_destroy(rk);
  return out;
}

}  // namespace crawlstream::testing_util
