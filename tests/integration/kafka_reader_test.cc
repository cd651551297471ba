// TopicReader (services/common/kafka_reader.h): reading a topic to the end
// seen at the start (tombstones included, end offsets per partition),
// continuing from there as a tail, starting at the end, and the errors a
// caller gets for a missing topic or a deadline that passed. Runs on the
// development broker (kafka_integration_test) and on a real Apache Kafka
// (real_kafka_test).
#include "services/common/kafka_reader.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <map>
#include <thread>

#include "services/common/kafka_producer.h"
#include "tests/integration/test_broker.h"

namespace crawlstream {
namespace {

using namespace std::chrono_literals;

class TopicReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = testing_util::TestBroker::Start({{"tr.table", 2}, {"tr.other", 1}});
    ASSERT_TRUE(b) << b.error().message;
    broker_ = std::move(*b);
    table_ = broker_->Name("tr.table");
    other_ = broker_->Name("tr.other");
    kafka_.brokers = broker_->bootstrap();
  }
  // Produces key=value records (value "" = a tombstone); the key picks the
  // partition.
  void Produce(const std::string& topic,
               const std::vector<std::pair<std::string, std::string>>& records) {
    auto p = Producer::Create(kafka_, std::make_shared<prometheus::Registry>(), nullptr);
    ASSERT_TRUE(p);
    for (const auto& [k, v] : records) {
      ASSERT_TRUE((*p)->Produce({topic, k, v, {}}, nullptr));
    }
    ASSERT_TRUE((*p)->Flush(10s));
  }
  std::unique_ptr<TopicReader> Reader() {
    auto r = TopicReader::Create(kafka_, "tr-test");
    EXPECT_TRUE(r) << r.error().message;
    return r ? std::move(*r) : nullptr;
  }

  std::unique_ptr<testing_util::TestBroker> broker_;
  std::string table_, other_;
  KafkaOptions kafka_;
};

TEST_F(TopicReaderTest, ReadsOnlyTheChosenPartitionsOfRecordsSentToAPartition) {
  {
    auto p = Producer::Create(kafka_, std::make_shared<prometheus::Registry>(), nullptr);
    ASSERT_TRUE(p);
    for (int32_t partition : {0, 1, 1}) {
      OutRecord r{table_, "same-key", "in-" + std::to_string(partition), {}};
      r.partition = partition;  // not the key's partition: this one
      ASSERT_TRUE((*p)->Produce(std::move(r), nullptr));
    }
    ASSERT_TRUE((*p)->Flush(10s));
  }
  auto reader = Reader();
  ASSERT_TRUE(reader);
  std::vector<std::string> values;
  auto end = reader->ReadToEnd(table_, {1}, std::chrono::steady_clock::now() + 30s,
                               [&](const ReadRecord& r) {
                                 EXPECT_EQ(r.partition, 1);
                                 values.emplace_back(r.value);
                               });
  ASSERT_TRUE(end) << end.error().message;
  EXPECT_EQ(values, (std::vector<std::string>{"in-1", "in-1"}));
  EXPECT_EQ(*end, (std::vector<int64_t>{0, 2}));  // partition 0 not read
  EXPECT_FALSE(reader->ReadToEnd(table_, {2}, std::chrono::steady_clock::now() + 5s,
                                 [](const ReadRecord&) {}));
}

TEST_F(TopicReaderTest, ReadsToTheEndSeenAtStartThenTails) {
  Produce(table_, {{"a", "1"}, {"b", "2"}, {"a", ""}, {"c", "3"}});
  auto reader = Reader();
  ASSERT_TRUE(reader);
  std::map<std::string, std::string> table;
  int tombstones = 0;
  auto end = reader->ReadToEnd(table_, std::chrono::steady_clock::now() + 30s,
                               [&](const ReadRecord& r) {
                                 EXPECT_EQ(r.topic, table_);
                                 if (r.tombstone) {
                                   ++tombstones;
                                   table.erase(std::string(r.key));
                                 } else {
                                   table[std::string(r.key)] = std::string(r.value);
                                 }
                               });
  ASSERT_TRUE(end) << end.error().message;
  ASSERT_EQ(end->size(), 2u);
  EXPECT_EQ((*end)[0] + (*end)[1], 4);
  EXPECT_EQ(table, (std::map<std::string, std::string>{{"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(tombstones, 1);

  // The tail sees what came after the end, once.
  ASSERT_TRUE(reader->Assign(StartAt(table_, *end)));
  Produce(table_, {{"d", "4"}});
  std::vector<std::string> tail;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (tail.empty() && std::chrono::steady_clock::now() < deadline) {
    reader->Poll(16, 100ms, [&](const ReadRecord& r) {
      tail.push_back(std::string(r.key) + "=" + std::string(r.value));
    });
  }
  EXPECT_EQ(tail, (std::vector<std::string>{"d=4"}));
}

TEST_F(TopicReaderTest, AnEmptyTopicEndsAtOnceAndAssignAtEndSkipsHistory) {
  auto reader = Reader();
  ASSERT_TRUE(reader);
  int calls = 0;
  auto end = reader->ReadToEnd(other_, std::chrono::steady_clock::now() + 30s,
                               [&](const ReadRecord&) { ++calls; });
  ASSERT_TRUE(end) << end.error().message;
  EXPECT_EQ(*end, (std::vector<int64_t>{0}));
  EXPECT_EQ(calls, 0);

  Produce(other_, {{"old", "x"}});
  ASSERT_TRUE(reader->AssignAtEnd({other_}, std::chrono::steady_clock::now() + 30s));
  Produce(other_, {{"new", "y"}});
  std::vector<std::string> keys;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (keys.empty() && std::chrono::steady_clock::now() < deadline) {
    reader->Poll(16, 100ms, [&](const ReadRecord& r) { keys.emplace_back(r.key); });
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"new"}));
}

TEST_F(TopicReaderTest, MissingTopicAndPassedDeadlineAreErrors) {
  auto reader = Reader();
  ASSERT_TRUE(reader);
  // The development broker creates any topic asked about; a real one
  // (auto-creation off for consumers) does not.
  if (!broker_->dev()) {
    auto missing = reader->ReadToEnd(broker_->Name("tr.missing"),
                                     std::chrono::steady_clock::now() + 5s,
                                     [](const ReadRecord&) {});
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("tr.missing"), std::string::npos)
        << missing.error().message;
  }

  Produce(table_, {{"a", "1"}});
  auto late = reader->ReadToEnd(table_, std::chrono::steady_clock::now() - 1s,
                                [](const ReadRecord&) {});
  ASSERT_FALSE(late);
  EXPECT_NE(late.error().message.find("timed out reading"), std::string::npos)
      << late.error().message;
}

}  // namespace
}  // namespace crawlstream
