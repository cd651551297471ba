// Helpers for integration tests against the in-process development broker
// or a real Kafka (scripts/kafka.sh): an outside view of a topic, a group's
// committed offsets, topic creation through the admin API.
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

// `isolation`: read_committed (librdkafka's default: what downstream sees)
// or read_uncommitted (aborted transactions' records too).
inline std::vector<RawRecord> ReadAll(const std::string& bootstrap, const std::string& topic,
                                      int partitions,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(20),
                                      const char* isolation = "read_committed") {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "isolation.level", isolation, err, sizeof err);
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

// Creates `topic` through the admin API (a real broker; the development
// broker creates its topics itself). Returns "" on success, else the error.
// `configs`: topic configs (name, value), e.g. cleanup.policy=compact.
inline std::string CreateTopic(const std::string& bootstrap, const std::string& topic,
                               int partitions, int replication_factor = 1,
                               std::chrono::milliseconds timeout = std::chrono::seconds(30),
                               const std::vector<std::pair<std::string, std::string>>& configs = {}) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) return err;
  rd_kafka_NewTopic_t* spec =
      rd_kafka_NewTopic_new(topic.c_str(), partitions, replication_factor, err, sizeof err);
  std::string error = spec ? "" : err;
  for (const auto& [name, value] : configs) {
    if (spec && rd_kafka_NewTopic_set_config(spec, name.c_str(), value.c_str())) {
      error = "config " + name;
    }
  }
  if (spec && error.empty()) {
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(options, static_cast<int>(timeout.count()), err,
                                                sizeof err);
    rd_kafka_CreateTopics(rk, &spec, 1, options, queue);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()) + 5000);
    if (!ev) {
      error = "CreateTopics: no answer";
    } else if (rd_kafka_event_error(ev)) {
      error = rd_kafka_event_error_string(ev);
    } else {
      size_t n = 0;
      const rd_kafka_topic_result_t** results =
          rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
      for (size_t i = 0; i < n; ++i) {
        if (rd_kafka_topic_result_error(results[i])) {
          error = rd_kafka_topic_result_error_string(results[i]);
        }
      }
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_queue_destroy(queue);
  }
  if (spec) rd_kafka_NewTopic_destroy(spec);
  rd_kafka_destroy(rk);
  return error;
}

}  // namespace crawlstream::testing_util
