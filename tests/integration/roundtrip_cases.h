// Producer/consumer round trips written once and run against any broker:
// kafka_roundtrip_test.cc runs them on the development broker (librdkafka's
// mock cluster), real_kafka_test.cc on a real Apache Kafka started by
// scripts/kafka.sh. Each case reports through gtest assertions; the topic
// must already exist with the partition count the case names.
#pragma once

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "services/common/health.h"
#include "services/common/kafka_consumer.h"
#include "services/common/kafka_producer.h"
#include "tests/integration/test_util.h"

namespace crawlstream::roundtrip_cases {

using namespace std::chrono_literals;

// Polls `consumer` until `n` records arrived or `timeout` passed.
inline std::vector<InRecord> PollRecords(Consumer& consumer, size_t n,
                                         std::chrono::seconds timeout = 60s) {
  std::vector<InRecord> got;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
    auto r = consumer.Poll(200ms);
    EXPECT_TRUE(r) << r.error().message;
    if (!r) break;
    if (r->has_value()) got.push_back(**r);
  }
  return got;
}

// Ten records with a header go producer -> broker -> consumer group on a
// 2-partition `topic`; only the records marked done are committed (the last
// one of partition 0 stays pending), as an independent client reads back.
inline void ProducedRecordIsConsumedAndItsOffsetCommitted(const std::string& bootstrap,
                                                          const std::string& topic,
                                                          const std::string& group) {
  KafkaOptions opts;
  opts.brokers = bootstrap;
  opts.group_id = group;
  opts.commit_interval = 10ms;
  auto registry = std::make_shared<prometheus::Registry>();
  Health health;

  auto producer = Producer::Create(opts, registry, &health);
  ASSERT_TRUE(producer) << producer.error().message;
  std::atomic<int> acked{0};
  for (int i = 0; i < 10; ++i) {
    auto st = (*producer)->Produce(
        {topic, "key-" + std::to_string(i), "value-" + std::to_string(i), {{"schema", "test"}}},
        [&](const DeliveryReport& r) {
          EXPECT_TRUE(r.ok()) << r.error_message;
          EXPECT_GE(r.offset, 0);
          acked.fetch_add(1);
        });
    ASSERT_TRUE(st) << st.error().message;
  }
  ASSERT_TRUE((*producer)->Flush(30s));
  EXPECT_EQ(acked.load(), 10);

  auto consumer = Consumer::Create(opts, {topic}, registry, &health);
  ASSERT_TRUE(consumer) << consumer.error().message;
  std::vector<InRecord> got = PollRecords(**consumer, 10);
  ASSERT_EQ(got.size(), 10u);
  EXPECT_EQ(got[0].headers.size(), 1u);
  EXPECT_EQ(got[0].headers[0].second, "test");
  EXPECT_TRUE(health.Ready());  // broker probe + assignment

  int64_t max_p0 = -1;
  for (const auto& r : got) {
    if (r.tp.partition == 0) max_p0 = std::max(max_p0, r.offset);
  }
  for (const auto& r : got) {
    if (!(r.tp.partition == 0 && r.offset == max_p0)) (*consumer)->Done(r);
  }
  ASSERT_TRUE((*consumer)->Close());

  auto committed = testing_util::CommittedOffsets(bootstrap, group, topic, 2);
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
  EXPECT_NE(metrics.find("crawlstream_kafka_produced_total{outcome=\"ok\",topic=\"" + topic +
                         "\"} 10"),
            std::string::npos)
      << metrics;
}

// Six records on a 1-partition `topic`: a consumer takes four and commits
// them, a new consumer of the same group resumes at the fifth.
inline void RestartedConsumerResumesAfterCommittedOffset(const std::string& bootstrap,
                                                         const std::string& topic,
                                                         const std::string& group) {
  KafkaOptions opts;
  opts.brokers = bootstrap;
  opts.group_id = group;
  auto producer = Producer::Create(opts, std::make_shared<prometheus::Registry>(), nullptr);
  ASSERT_TRUE(producer) << producer.error().message;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE((*producer)->Produce({topic, "", std::to_string(i), {}}, nullptr));
  }
  ASSERT_TRUE((*producer)->Flush(30s));

  auto consume = [&](size_t n) {
    auto c = Consumer::Create(opts, {topic}, std::make_shared<prometheus::Registry>(), nullptr);
    EXPECT_TRUE(c) << c.error().message;
    std::vector<std::string> values;
    if (!c) return values;
    for (const auto& r : PollRecords(**c, n)) {
      values.push_back(r.value);
      (*c)->Done(r);
    }
    EXPECT_TRUE((*c)->Close());
    return values;
  };
  EXPECT_EQ(consume(4), (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_EQ(consume(2), (std::vector<std::string>{"4", "5"}));
}

}  // namespace crawlstream::roundtrip_cases
