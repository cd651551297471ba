// Issue 15 item 5: a full producer queue is back-pressure, never a blocked
// loop. Against the development broker with its only broker down, records
// fill a tiny queue (kafka.producer_queue_bytes); TryProduce and
// ProduceQueue::Send return at once; once the broker is back, deliveries
// drain, the waiting records go out in order and nothing is lost. A
// paused consumer delivers nothing and, resumed, everything.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "services/common/dev_broker.h"
#include "services/common/kafka_consumer.h"
#include "services/common/kafka_producer.h"
#include "services/common/produce_queue.h"
#include "tests/integration/test_util.h"

namespace crawlstream {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kRecordBytes = 1000;

// One record of about kRecordBytes whose value starts with its number.
OutRecord Numbered(const std::string& topic, int i) {
  std::string value = std::to_string(i) + ":";
  value.resize(kRecordBytes - 1, 'x');
  return {topic, "k", std::move(value), {}};
}

// A producer whose queue holds about 66 records of kRecordBytes.
KafkaOptions TinyQueue(const std::string& bootstrap) {
  KafkaOptions opts;
  opts.brokers = bootstrap;
  opts.max_message_bytes = 1024;
  opts.producer_queue_bytes = opts.max_message_bytes + kKafkaFramingBytes;
  opts.delivery_timeout = 60s;  // what a blocking Produce would wait
  opts.linger = 5ms;
  return opts;
}

double MetricValue(prometheus::Registry& registry, const std::string& name) {
  for (const auto& f : registry.Collect()) {
    if (f.name != name || f.metric.empty()) continue;
    const auto& m = f.metric[0];
    return f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
  }
  return -1;
}

// Waits (real time, as the broker works in it) until `done` or 60 s.
template <typename Pred>
bool WaitFor(Pred done) {
  auto guard = std::chrono::steady_clock::now() + 60s;
  while (!done() && std::chrono::steady_clock::now() < guard) std::this_thread::sleep_for(10ms);
  return done();
}

TEST(ProduceBackpressureTest, QueueHoldsAtLeastTheLargestRecord) {
  KafkaOptions opts = TinyQueue("127.0.0.1:1");
  opts.producer_queue_bytes = 1024;
  auto producer = Producer::Create(opts, std::make_shared<prometheus::Registry>(), nullptr);
  ASSERT_TRUE(producer) << producer.error().message;
  EXPECT_EQ((*producer)->queue_bytes(), opts.max_message_bytes + kKafkaFramingBytes);
  EXPECT_TRUE((*producer)->HasRoomForLargest());
}

TEST(ProduceBackpressureTest, TryProduceReturnsQueueFullAtOnceAndRecoversAfterDeliveries) {
  auto broker = DevBroker::Start(1, {{"bp.try", 1}});
  ASSERT_TRUE(broker) << broker.error().message;
  ASSERT_TRUE((*broker)->SetBrokerDown(1));
  auto registry = std::make_shared<prometheus::Registry>();
  auto producer = Producer::Create(TinyQueue((*broker)->bootstrap()), registry, nullptr);
  ASSERT_TRUE(producer) << producer.error().message;
  Producer& p = **producer;

  std::atomic<int> ok{0}, failed{0};
  auto count = [&](const DeliveryReport& r) { (r.ok() ? ok : failed).fetch_add(1); };
  auto start = std::chrono::steady_clock::now();
  int queued = 0;
  bool full = false;
  for (int i = 0; i < 1000 && !full; ++i) {
    auto enqueued = p.TryProduce(Numbered("bp.try", i), count);
    ASSERT_TRUE(enqueued) << enqueued.error().message;
    if (*enqueued == Enqueued::kQueued) {
      ++queued;
    } else {
      full = true;
    }
  }
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(full) << "the queue never filled";
  // 65 KiB of queue: about 66 records, never more than the bound.
  EXPECT_GT(queued, 50);
  EXPECT_LE(queued, 70);
  EXPECT_LE(p.queued_bytes(), p.queue_bytes());
  EXPECT_FALSE(p.HasRoomForLargest());
  // Produce would have waited up to delivery_timeout (60 s) here.
  EXPECT_LT(took, 5s);
  EXPECT_EQ(MetricValue(*registry, "crawlstream_kafka_produce_queue_full_total"), 1);
  EXPECT_EQ(ok.load() + failed.load(), 0);

  ASSERT_TRUE((*broker)->SetBrokerUp(1));
  ASSERT_TRUE(WaitFor([&] { return p.inflight() == 0; })) << p.inflight() << " unacknowledged";
  EXPECT_EQ(ok.load(), queued);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(p.queued_bytes(), 0);
  auto again = p.TryProduce(Numbered("bp.try", 1000), count);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, Enqueued::kQueued);
}

TEST(ProduceBackpressureTest, WaitingRecordsGoOutInOrderOnceDeliveriesDrain) {
  auto broker = DevBroker::Start(1, {{"bp.queue", 1}});
  ASSERT_TRUE(broker) << broker.error().message;
  ASSERT_TRUE((*broker)->SetBrokerDown(1));
  auto registry = std::make_shared<prometheus::Registry>();
  auto producer = Producer::Create(TinyQueue((*broker)->bootstrap()), registry, nullptr);
  ASSERT_TRUE(producer) << producer.error().message;
  ProduceQueue queue(producer->get(), *registry);

  constexpr int kRecords = 200;
  std::atomic<int> ok{0}, failed{0}, refused{0};
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRecords; ++i) {
    auto st = queue.Send(
        Numbered("bp.queue", i),
        [&](const DeliveryReport& r) { (r.ok() ? ok : failed).fetch_add(1); },
        [&](const Error&) { refused.fetch_add(1); });
    ASSERT_TRUE(st) << st.error().message;
  }
  // Every Send returned at once; the loop's owner now pauses intake.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_TRUE(queue.backpressured());
  EXPECT_GT(queue.waiting(), 100u);
  EXPECT_EQ(queue.waiting_bytes(), static_cast<int64_t>(queue.waiting()) * kRecordBytes);
  EXPECT_EQ(queue.Pump(), 0u);  // still full: nothing moves, nothing blocks
  EXPECT_EQ(MetricValue(*registry, "crawlstream_kafka_produce_backpressure_total"), 1);
  EXPECT_EQ(MetricValue(*registry, "crawlstream_kafka_produce_waiting_bytes"),
            static_cast<double>(queue.waiting_bytes()));

  ASSERT_TRUE((*broker)->SetBrokerUp(1));
  // The event loop: pump every turn until nothing waits and all is acked.
  ASSERT_TRUE(WaitFor([&] {
    queue.Pump();
    return !queue.backpressured() && (*producer)->inflight() == 0;
  })) << queue.waiting() << " waiting, " << (*producer)->inflight() << " in flight";
  EXPECT_EQ(ok.load(), kRecords);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(refused.load(), 0);
  EXPECT_EQ(MetricValue(*registry, "crawlstream_kafka_produce_waiting_bytes"), 0);

  auto records = testing_util::ReadAll((*broker)->bootstrap(), "bp.queue", 1);
  ASSERT_EQ(records.size(), static_cast<size_t>(kRecords));
  for (int i = 0; i < kRecords; ++i) {
    EXPECT_EQ(records[i].value.substr(0, records[i].value.find(':')), std::to_string(i))
        << "record " << i << " out of order";
  }
}

TEST(ProduceBackpressureTest, OversizeRecordBehindWaitingOnesIsRefusedAtOnce) {
  auto broker = DevBroker::Start(1, {{"bp.big", 1}});
  ASSERT_TRUE(broker) << broker.error().message;
  ASSERT_TRUE((*broker)->SetBrokerDown(1));
  auto registry = std::make_shared<prometheus::Registry>();
  auto producer = Producer::Create(TinyQueue((*broker)->bootstrap()), registry, nullptr);
  ASSERT_TRUE(producer) << producer.error().message;
  ProduceQueue queue(producer->get(), *registry);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(queue.Send(Numbered("bp.big", i), nullptr, nullptr));
  ASSERT_TRUE(queue.backpressured());
  size_t waiting = queue.waiting();
  auto st = queue.Send({"bp.big", "k", std::string(5000, 'x'), {}}, nullptr, nullptr);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kResourceExhausted);  // the caller dead-letters it
  EXPECT_EQ(queue.waiting(), waiting);
  ASSERT_TRUE((*broker)->SetBrokerUp(1));
}

TEST(ProduceBackpressureTest, PausedConsumerKeepsRecordsUntilResumed) {
  auto broker = DevBroker::Start(1, {{"bp.in", 2}});
  ASSERT_TRUE(broker) << broker.error().message;
  KafkaOptions opts;
  opts.brokers = (*broker)->bootstrap();
  opts.group_id = "bp-group";
  auto registry = std::make_shared<prometheus::Registry>();
  auto producer = Producer::Create(opts, registry, nullptr);
  ASSERT_TRUE(producer) << producer.error().message;
  auto consumer = Consumer::Create(opts, {"bp.in"}, registry, nullptr);
  ASSERT_TRUE(consumer) << consumer.error().message;
  Consumer& c = **consumer;

  auto produce = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      ASSERT_TRUE((*producer)->Produce({"bp.in", std::to_string(i), std::to_string(i), {}}, nullptr));
    }
    ASSERT_TRUE((*producer)->Flush(30s));
  };
  std::set<std::string> got;
  auto poll_for = [&](std::chrono::milliseconds how_long) {
    auto until = std::chrono::steady_clock::now() + how_long;
    while (std::chrono::steady_clock::now() < until) {
      auto r = c.Poll(50ms);
      ASSERT_TRUE(r) << r.error().message;
      if (r->has_value()) got.insert((*r)->value);
    }
  };
  produce(0, 10);
  ASSERT_TRUE(WaitFor([&] {
    poll_for(50ms);
    return got.size() == 10;
  }));

  ASSERT_EQ(c.assigned_partitions(), 2u);
  c.Pause(true);
  produce(10, 20);
  poll_for(2s);  // polling keeps the member in the group, delivers nothing
  EXPECT_EQ(got.size(), 10u);

  c.Pause(false);
  ASSERT_TRUE(WaitFor([&] {
    poll_for(50ms);
    return got.size() == 20;
  })) << got.size() << " of 20 after resume";
  ASSERT_TRUE(c.Close());
}

}  // namespace
}  // namespace crawlstream
