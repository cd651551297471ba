// The broker an integration test runs against, chosen by its binary:
//   - the test binaries linked with gtest_main: a development broker
//     (librdkafka's mock cluster) started for each test and stopped with it;
//   - real_kafka_test: the real Apache Kafka that RealKafkaEnvironment
//     started once for the whole binary (kafka_cluster.h).
// The same test source runs on both. On the shared real cluster every
// test's topics and consumer groups get the test's name as a prefix
// (Name("st.in") == "StageLoopTest.Foo.st.in"), so tests never see each
// other's records or committed offsets; the development broker gets the
// same names. Topics are created explicitly with the partition counts the
// test asks for (replication factor 1 on a one-node cluster).
//
// Not thread-safe; create and destroy on the test's main thread.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "services/common/dev_broker.h"
#include "services/common/result.h"
#include "tests/integration/kafka_cluster.h"
#include "tests/integration/test_util.h"

namespace crawlstream::testing_util {

class TestBroker {
 public:
  // `topics` use the test's own names (Name() is applied here);
  // `dev_brokers` is the mock cluster's size (ignored on a real cluster).
  static Result<std::unique_ptr<TestBroker>> Start(const std::vector<TopicSpec>& topics,
                                                   int dev_brokers = 1) {
    std::unique_ptr<TestBroker> broker(new TestBroker());
    std::vector<TopicSpec> named;
    for (const auto& t : topics) named.push_back({broker->Name(t.name), t.partitions});
    if (!RealKafkaEnvironment::Bootstrap().empty()) {
      broker->bootstrap_ = RealKafkaEnvironment::Bootstrap();
      for (const auto& t : named) {
        if (std::string error = CreateTopic(broker->bootstrap_, t.name, t.partitions);
            !error.empty()) {
          return Fail(ErrorCode::kUnavailable, "creating topic " + t.name + ": " + error);
        }
      }
      return broker;
    }
    auto dev = DevBroker::Start(dev_brokers, named);
    if (!dev) return std::unexpected(dev.error());
    broker->dev_ = std::move(*dev);
    broker->bootstrap_ = broker->dev_->bootstrap();
    return broker;
  }

  const std::string& bootstrap() const { return bootstrap_; }
  // The development broker, or nullptr on a real cluster (fault injection
  // by error code exists only there).
  DevBroker* dev() const { return dev_.get(); }
  // A topic or group name of this test as it is on the broker.
  std::string Name(const std::string& name) const { return prefix_ + name; }

 private:
  TestBroker() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    if (!info) return;
    for (char c : std::string(info->test_suite_name()) + "." + info->name() + ".") {
      prefix_ += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ? c : '_';
    }
  }

  std::unique_ptr<DevBroker> dev_;
  std::string bootstrap_;
  std::string prefix_;
};

}  // namespace crawlstream::testing_util
