// The development broker: librdkafka's mock cluster on 127.0.0.1.
//
// FOR DEVELOPMENT AND TESTS ONLY. It speaks the real Kafka wire protocol
// (produce, fetch, consumer groups, offset commits, idempotent producers)
// and can inject faults, but keeps everything in memory, never compacts,
// does not support the CreateTopics admin API (topics are created here) and
// shows aborted transactional records to read_committed consumers, so no
// test may rely on transactions.
//
// Thread-safe as librdkafka's mock API is; the cluster lives until the
// DevBroker is destroyed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "services/common/result.h"

namespace crawlstream {

struct TopicSpec {
  std::string name;
  int partitions = 4;
};

class DevBroker {
 public:
  static Result<std::unique_ptr<DevBroker>> Start(int brokers,
                                                  const std::vector<TopicSpec>& topics);
  ~DevBroker();
  DevBroker(const DevBroker&) = delete;
  DevBroker& operator=(const DevBroker&) = delete;

  // "127.0.0.1:port,127.0.0.1:port,..."
  const std::string& bootstrap() const { return bootstrap_; }
  int brokers() const { return brokers_; }

  Status CreateTopic(const TopicSpec& topic);
  // Fault injection (ids are 1..brokers()).
  Status SetBrokerDown(int broker_id);
  Status SetBrokerUp(int broker_id);
  // The next `count` requests of Kafka API `api_key` (e.g. 0 = Produce,
  // 1 = Fetch, 8 = OffsetCommit) fail with `error_code`.
  void PushRequestErrors(int api_key, const std::vector<int>& error_codes);

 private:
  DevBroker() = default;
  void* rk_ = nullptr;       // rd_kafka_t* owning the cluster
  void* cluster_ = nullptr;  // rd_kafka_mock_cluster_t*
  int brokers_ = 0;
  std::string bootstrap_;
};

}  // namespace crawlstream
