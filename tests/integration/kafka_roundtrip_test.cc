// A record goes producer -> development broker -> consumer group, and the
// offset the group committed is read back by an independent client. The
// same round trips run on a real Kafka in real_kafka_test.cc; the size
// and configuration checks need no broker and stay here.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "services/common/dev_broker.h"
#include "services/common/kafka_producer.h"
#include "tests/integration/roundtrip_cases.h"

namespace crawlstream {
namespace {

using namespace std::chrono_literals;

TEST(KafkaRoundTripTest, ProducedRecordIsConsumedAndItsOffsetCommitted) {
  auto broker = DevBroker::Start(3, {{"rt.in", 2}});
  ASSERT_TRUE(broker) << broker.error().message;
  roundtrip_cases::ProducedRecordIsConsumedAndItsOffsetCommitted((*broker)->bootstrap(), "rt.in",
                                                                 "rt-group");
}

TEST(KafkaRoundTripTest, RestartedConsumerResumesAfterCommittedOffset) {
  auto broker = DevBroker::Start(1, {{"resume.in", 1}});
  ASSERT_TRUE(broker) << broker.error().message;
  roundtrip_cases::RestartedConsumerResumesAfterCommittedOffset((*broker)->bootstrap(),
                                                                "resume.in", "resume-group");
}

TEST(KafkaRoundTripTest, OversizeRecordIsRefusedBeforeSending) {
  auto broker = DevBroker::Start(1, {{"big", 1}});
  ASSERT_TRUE(broker);
  KafkaOptions opts;
  opts.brokers = (*broker)->bootstrap();
  opts.max_message_bytes = 1024;
  auto producer = Producer::Create(opts, std::make_shared<prometheus::Registry>(), nullptr);
  ASSERT_TRUE(producer);
  auto st = (*producer)->Produce({"big", "k", std::string(5000, 'x'), {}}, nullptr);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(st.error().message.find("kafka.max_message_bytes"), std::string::npos);
}

TEST(KafkaRoundTripTest, InvalidKafkaPropertyIsAClearError) {
  KafkaOptions opts;
  opts.brokers = "127.0.0.1:1";
  opts.extra = {"socket.timeout.ms=soon"};
  auto producer = Producer::Create(opts, std::make_shared<prometheus::Registry>(), nullptr);
  ASSERT_FALSE(producer);
  EXPECT_NE(producer.error().message.find("socket.timeout.ms"), std::string::npos);
}

}  // namespace
}  // namespace crawlstream
