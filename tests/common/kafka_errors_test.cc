#include "services/common/kafka_errors.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

namespace crawlstream {
namespace {

TEST(KafkaErrorsTest, ClassifiesRepresentativeCodes) {
  struct Case {
    rd_kafka_resp_err_t err;
    KafkaErrorClass want;
  };
  const Case cases[] = {
      {RD_KAFKA_RESP_ERR_NO_ERROR, KafkaErrorClass::kNone},
      {RD_KAFKA_RESP_ERR__PARTITION_EOF, KafkaErrorClass::kNone},
      {RD_KAFKA_RESP_ERR__TRANSPORT, KafkaErrorClass::kRetry},
      {RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, KafkaErrorClass::kRetry},
      {RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, KafkaErrorClass::kRetry},
      {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, KafkaErrorClass::kRetry},
      {RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, KafkaErrorClass::kRetry},
      {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, KafkaErrorClass::kDeadLetter},
      {RD_KAFKA_RESP_ERR_INVALID_RECORD, KafkaErrorClass::kDeadLetter},
      {RD_KAFKA_RESP_ERR__BAD_MSG, KafkaErrorClass::kDeadLetter},
      {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, KafkaErrorClass::kFatal},
      {RD_KAFKA_RESP_ERR__FENCED, KafkaErrorClass::kFatal},
      {RD_KAFKA_RESP_ERR__FATAL, KafkaErrorClass::kFatal},
      {RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED, KafkaErrorClass::kFatal},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ClassifyKafkaError(c.err), c.want) << rd_kafka_err2name(c.err);
  }
}

TEST(KafkaErrorsTest, EveryKnownCodeHasAClass) {
  const rd_kafka_err_desc* descs = nullptr;
  size_t n = 0;
  rd_kafka_get_err_descs(&descs, &n);
  size_t seen = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!descs[i].name) continue;
    auto cls = ClassifyKafkaError(descs[i].code);
    EXPECT_FALSE(KafkaErrorClassName(cls).empty());
    ++seen;
  }
  EXPECT_GT(seen, 100u);
}

}  // namespace
}  // namespace crawlstream
