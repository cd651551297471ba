// A record goes producer -> development broker -> consumer group, and the
// offset the group committed is read back by an independent client. The
// same round trips run on a real Kafka in real_kafka_test.cc; the size
// and configuration checks need no broker and stay here.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "services/common/dev_broker.h"
#include "services/common/kafka_consumer.h"
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

// The development broker keeps about 5 MB per partition and drops the
// oldest records beyond that. A consumer that falls further behind loses
// them; librdkafka resets to the earliest offset and would carry on
// silently. The consumer notices the gap in the offsets, counts the lost
// records (crawlstream_kafka_consumer_skipped_records_total, which makes
// `crawlstream run` fail naming the count) and logs them as an error.
TEST(KafkaRoundTripTest, RecordsDeletedAheadOfTheConsumerAreCountedAsLost) {
  auto broker = DevBroker::Start(1, {{"lag.in", 1}});
  ASSERT_TRUE(broker) << broker.error().message;
  KafkaOptions opts;
  opts.brokers = (*broker)->bootstrap();
  opts.group_id = "lag-group";
  auto registry = std::make_shared<prometheus::Registry>();
  auto producer = Producer::Create(opts, registry, nullptr);
  ASSERT_TRUE(producer) << producer.error().message;
  // A small prefetch, so that the consumer really is behind the log.
  KafkaOptions small = opts;
  small.max_message_bytes = 65536;
  small.extra = {"queued.max.messages.kbytes=256", "fetch.max.bytes=262144",
                 "message.max.bytes=200000"};
  auto consumer = Consumer::Create(small, {"lag.in"}, registry, nullptr);
  ASSERT_TRUE(consumer) << consumer.error().message;
  // Incompressible, like a compressed page body: the broker's limit is on
  // stored (compressed) bytes.
  std::string page(50 * 1024, '\0');
  uint64_t x = 88172645463325252ULL;
  for (char& c : page) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  auto produce = [&](int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE((*producer)->Produce({"lag.in", "k", page, {}}, nullptr));
    ASSERT_TRUE((*producer)->Flush(30s));
  };
  produce(10);
  std::vector<int64_t> offsets;
  auto consume = [&](size_t until, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (offsets.size() < until && std::chrono::steady_clock::now() < deadline) {
      auto r = (*consumer)->Poll(100ms);
      ASSERT_TRUE(r) << r.error().message;
      if (*r) {
        offsets.push_back((**r).offset);
        (*consumer)->Done(**r);
      }
    }
  };
  consume(5, 20s);
  ASSERT_EQ(offsets.size(), 5u);
  EXPECT_EQ((*consumer)->skipped_records(), 0);
  // 12 MB more while the consumer stands still: the head of the log goes.
  produce(240);
  consume(static_cast<size_t>(1e9), 10s);  // read whatever is left
  ASSERT_FALSE(offsets.empty());
  EXPECT_EQ(offsets.back(), 249);
  const int64_t read = static_cast<int64_t>(offsets.size());
  EXPECT_LT(read, 250);  // some were lost, or the test did not test anything
  EXPECT_EQ((*consumer)->skipped_records(), 250 - read);
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
