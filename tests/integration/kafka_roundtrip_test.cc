// A record goes producer -> development broker -> consumer group, and the
// offset the group committed is read back by an independent client.
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <thread>

#include "services/common/dev_broker.h"
#include "services/common/health.h"
#include "services/common/kafka_consumer.h"
#include "services/common/kafka_producer.h"
#include "tests/integration/test_util.h"

namespace crawlstream {
namespace {

using namespace std::chrono_literals;

TEST(KafkaRoundTripTest, ProducedRecordIsConsumedAndItsOffsetCommitted) {
  auto broker = DevBroker::Start(3, {{"rt.in", 2}});
  ASSERT_TRUE(broker) << broker.error().message;
  KafkaOptions opts;
  opts.brokers = (*broker)->bootstrap();
  opts.group_id = "rt-group";
  opts.commit_interval = 10ms;
  auto registry = std::make_shared<prometheus::Registry>();
  Health health;

  auto producer = Producer::Create(opts, registry, &health);
  ASSERT_TRUE(producer) << producer.error().message;
  std::atomic<int> acked{0};
  for (int i = 0; i < 10; ++i) {
    auto st = (*producer)->Produce(
        {"rt.in", "key-" + std::to_string(i), "value-" + std::to_string(i),
         {{"schema", "test"}}},
        [&](const DeliveryReport& r) {
          EXPECT_TRUE(r.ok()) << r.error_message;
          EXPECT_GE(r.offset, 0);
          acked.fetch_add(1);
        });
    ASSERT_TRUE(st) << st.error().message;
  }
  ASSERT_TRUE((*producer)->Flush(10s));
  EXPECT_EQ(acked.load(), 10);

  auto consumer = Consumer::Create(opts, {"rt.in"}, registry, &health);
  ASSERT_TRUE(consumer) << consumer.error().message;
  std::vector<InRecord> got;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (got.size() < 10 && std::chrono::steady_clock::now() < deadline) {
    auto r = (*consumer)->Poll(200ms);
    ASSERT_TRUE(r);
    if (r->has_value()) got.push_back(**r);
  }
  ASSERT_EQ(got.size(), 10u);
  EXPECT_EQ(got[0].headers.size(), 1u);
  EXPECT_EQ(got[0].headers[0].second, "test");
  EXPECT_TRUE(health.Ready());  // broker probe + assignment

  // Only the records marked done count: leave the last record of
  // partition 0 (by offset) pending.
  int64_t max_p0 = -1;
  for (const auto& r : got) {
    if (r.tp.partition == 0) max_p0 = std::max(max_p0, r.offset);
  }
  for (const auto& r : got) {
    if (!(r.tp.partition == 0 && r.offset == max_p0)) (*consumer)->Done(r);
  }
  ASSERT_TRUE((*consumer)->Close());

  auto committed = testing_util::CommittedOffsets(opts.brokers, "rt-group", "rt.in", 2);
  int64_t count_p1 = 0;
  for (const auto& r : got) count_p1 += r.tp.partition == 1;
  if (max_p0 >= 0) {
    EXPECT_EQ(committed[0], max_p0);  // the pending one is not committed
  }
  if (count_p1 > 0) {
    EXPECT_EQ(committed[1], count_p1);
  }

  prometheus::TextSerializer s;
  std::string metrics = s.Serialize(registry->Collect());
  EXPECT_NE(metrics.find("crawlstream_kafka_produced_total{outcome=\"ok\",topic=\"rt.in\"} 10"),
            std::string::npos) << metrics;
}

TEST(KafkaRoundTripTest, RestartedConsumerResumesAfterCommittedOffset) {
  auto broker = DevBroker::Start(1, {{"resume.in", 1}});
  ASSERT_TRUE(broker);
  KafkaOptions opts;
  opts.brokers = (*broker)->bootstrap();
  opts.group_id = "resume-group";
  auto registry = std::make_shared<prometheus::Registry>();
  auto producer = Producer::Create(opts, registry, nullptr);
  ASSERT_TRUE(producer);
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE((*producer)->Produce({"resume.in", "", std::to_string(i), {}}, nullptr));
  }
  ASSERT_TRUE((*producer)->Flush(10s));

  auto consume = [&](int n, bool done) {
    auto c = Consumer::Create(opts, {"resume.in"}, std::make_shared<prometheus::Registry>(), nullptr);
    EXPECT_TRUE(c);
    std::vector<std::string> values;
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (static_cast<int>(values.size()) < n && std::chrono::steady_clock::now() < deadline) {
      auto r = (*c)->Poll(200ms);
      if (r && r->has_value()) {
        values.push_back((*r)->value);
        if (done) (*c)->Done(**r);
      }
    }
    EXPECT_TRUE((*c)->Close());
    return values;
  };
  EXPECT_EQ(consume(4, true), (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_EQ(consume(2, true), (std::vector<std::string>{"4", "5"}));
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
