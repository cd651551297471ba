// Issue 15, item 1: routine commits are asynchronous, so their outcome is
// only known in librdkafka's offset-commit callback. Failed commits must
// show in crawlstream_kafka_commits_total{outcome="error"} (the
// CrawlstreamCommitFailures alert reads it). Stays on the development
// broker: injecting an OffsetCommit error code has no real-broker
// equivalent.
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <regex>
#include <string>
#include <thread>

#include "services/common/dev_broker.h"
#include "services/common/health.h"
#include "services/common/kafka_consumer.h"
#include "services/common/kafka_producer.h"
#include "services/common/shutdown.h"
#include "services/common/stage_loop.h"

namespace crawlstream {
namespace {

using namespace std::chrono_literals;

constexpr int kOffsetCommitApiKey = 8;
constexpr int kOffsetMetadataTooLarge = 12;  // not retried by librdkafka

double Counter(const std::string& metrics, const std::string& labels) {
  const std::regex re("crawlstream_kafka_commits_total\\{" + labels + "\\} ([0-9.e+]+)");
  std::smatch m;
  return std::regex_search(metrics, m, re) ? std::stod(m[1]) : 0;
}

KafkaOptions Options(const DevBroker& broker, const std::string& group) {
  KafkaOptions opts;
  opts.brokers = broker.bootstrap();
  opts.group_id = group;
  opts.commit_interval = 10ms;
  return opts;
}

// Writes `count` records to cm.in.
void Feed(const KafkaOptions& opts, int count) {
  auto p = Producer::Create(opts, std::make_shared<prometheus::Registry>(), nullptr);
  ASSERT_TRUE(p);
  for (int i = 0; i < count; ++i)
    ASSERT_TRUE((*p)->Produce({"cm.in", "k" + std::to_string(i), "v", {}}, nullptr));
  ASSERT_TRUE((*p)->Flush(10s));
}

std::string RunStage(const KafkaOptions& opts, int inputs) {
  auto registry = std::make_shared<prometheus::Registry>();
  Health health;
  auto producer = Producer::Create(opts, registry, &health);
  auto consumer = Consumer::Create(opts, {"cm.in"}, registry, &health);
  EXPECT_TRUE(producer && consumer);
  StageLoop loop({.stage = "test", .deadletter_topic = "cm.dlq", .stop_after = inputs},
                 consumer->get(), producer->get(), &health, registry);
  // A little work per record, so that several routine (asynchronous)
  // commits happen during the run.
  EXPECT_EQ(loop.Run([](const InRecord&) {
              std::this_thread::sleep_for(1ms);
              return StageResult::Skip("counted");
            }),
            0);
  return prometheus::TextSerializer().Serialize(registry->Collect());
}

TEST(CommitMetricsTest, FailedAsynchronousCommitsAreCounted) {
  Shutdown::Reset();
  auto broker = DevBroker::Start(1, {{"cm.in", 1}, {"cm.dlq", 1}});
  ASSERT_TRUE(broker);
  const KafkaOptions opts = Options(**broker, "cm-group");
  Feed(opts, 200);
  // The next OffsetCommit requests fail.
  (*broker)->PushRequestErrors(kOffsetCommitApiKey,
                               std::vector<int>(3, kOffsetMetadataTooLarge));
  const std::string metrics = RunStage(opts, 200);
  EXPECT_GT(Counter(metrics, "outcome=\"error\""), 0) << metrics;
  EXPECT_GT(Counter(metrics, "outcome=\"ok\""), 0) << metrics;
}

TEST(CommitMetricsTest, HealthyCommitsAreAllOk) {
  Shutdown::Reset();
  auto broker = DevBroker::Start(1, {{"cm.in", 1}, {"cm.dlq", 1}});
  ASSERT_TRUE(broker);
  const KafkaOptions opts = Options(**broker, "cm-group-2");
  Feed(opts, 50);
  const std::string metrics = RunStage(opts, 50);
  EXPECT_EQ(Counter(metrics, "outcome=\"error\""), 0) << metrics;
  EXPECT_GT(Counter(metrics, "outcome=\"ok\""), 0) << metrics;
}

}  // namespace
}  // namespace crawlstream
