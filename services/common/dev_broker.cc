#include "services/common/dev_broker.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

namespace crawlstream {

Result<std::unique_ptr<DevBroker>> DevBroker::Start(int brokers,
                                                    const std::vector<TopicSpec>& topics) {
  if (brokers < 1 || brokers > 32) {
    return Fail(ErrorCode::kInvalidArgument,
                "development broker count " + std::to_string(brokers) + ": must be 1..32");
  }
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return Fail(ErrorCode::kInternal, std::string("development broker: ") + err);
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (!cluster) {
    rd_kafka_destroy(rk);
    return Fail(ErrorCode::kIo, "development broker: cannot start the mock cluster");
  }
  std::unique_ptr<DevBroker> b(new DevBroker());
  b->rk_ = rk;
  b->cluster_ = cluster;
  b->brokers_ = brokers;
  b->bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster);
  for (const auto& t : topics) {
    if (auto st = b->CreateTopic(t); !st) return std::unexpected(st.error());
  }
  return b;
}

DevBroker::~DevBroker() {
  if (cluster_) rd_kafka_mock_cluster_destroy(static_cast<rd_kafka_mock_cluster_t*>(cluster_));
  if (rk_) rd_kafka_destroy(static_cast<rd_kafka_t*>(rk_));
}

Status DevBroker::CreateTopic(const TopicSpec& topic) {
  if (topic.partitions < 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "topic " + topic.name + ": partitions must be at least 1");
  }
  auto err = rd_kafka_mock_topic_create(static_cast<rd_kafka_mock_cluster_t*>(cluster_),
                                        topic.name.c_str(), topic.partitions,
                                        std::min(brokers_, 3));
  if (err) {
    return Fail(ErrorCode::kInternal, "create topic " + topic.name + ": " + rd_kafka_err2str(err));
  }
  return Ok();
}

Status DevBroker::SetBrokerDown(int broker_id) {
  auto err = rd_kafka_mock_broker_set_down(static_cast<rd_kafka_mock_cluster_t*>(cluster_), broker_id);
  if (err) return Fail(ErrorCode::kInvalidArgument, rd_kafka_err2str(err));
  return Ok();
}

Status DevBroker::SetBrokerUp(int broker_id) {
  auto err = rd_kafka_mock_broker_set_up(static_cast<rd_kafka_mock_cluster_t*>(cluster_), broker_id);
  if (err) return Fail(ErrorCode::kInvalidArgument, rd_kafka_err2str(err));
  return Ok();
}

void DevBroker::PushRequestErrors(int api_key, const std::vector<int>& error_codes) {
  std::vector<rd_kafka_resp_err_t> errs;
  for (int e : error_codes) errs.push_back(static_cast<rd_kafka_resp_err_t>(e));
  rd_kafka_mock_push_request_errors_array(static_cast<rd_kafka_mock_cluster_t*>(cluster_),
                                          static_cast<int16_t>(api_key), errs.size(), errs.data());
}

}  // namespace crawlstream
