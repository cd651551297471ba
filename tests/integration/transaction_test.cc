// Exactly-once stages (kafka.exactly_once) on a real Apache Kafka: the
// stage loop's transactions carry the input offsets with the outputs.
//   - a clean run: every input's output once, the group's committed offsets
//     at the end of the input, every transaction committed;
//   - an output the broker refuses for good (the output topic's
//     max.message.bytes is below the record) makes the transaction
//     abortable: it is aborted (its records are in the log but never
//     visible to read_committed readers), the consumer rewinds, the refused
//     input is dead-lettered the second time (output_rejected) and every
//     other input's output is visible exactly once;
//   - a stateful stage stops with exit code 1 on an abort (a restart
//     restores its state from the committed log), committing nothing of
//     the aborted transaction;
//   - a second producer with the same transactional.id fences the first:
//     its loop stops with exit code 1 and what it had not committed is
//     not visible.
// Real Kafka only: the development broker (librdkafka's mock cluster) is
// not trusted with transactions (`crawlstream run` turns them off there).
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>
#include <thread>

#include "crawlstream/v1/dead_letter.pb.h"
#include "services/common/health.h"
#include "services/common/shutdown.h"
#include "services/common/stage_loop.h"
#include "tests/integration/kafka_cluster.h"
#include "tests/integration/test_util.h"

namespace crawlstream {
namespace {

using namespace std::chrono_literals;

const std::string& Bootstrap();

class ExactlyOnceStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Shutdown::Reset();
    static int n = 0;
    const std::string suffix = std::to_string(++n);
    in_ = "eos.in." + suffix;
    out_ = "eos.out." + suffix;
    dlq_ = "eos.dlq." + suffix;
    ASSERT_EQ(testing_util::CreateTopic(Bootstrap(), in_, 2), "");
    // A batch above 8000 bytes is refused by the broker, not the client
    // (batch.size keeps the producer's batches below; compression off).
    ASSERT_EQ(testing_util::CreateTopic(Bootstrap(), out_, 2, 1, 30s, {{"max.message.bytes", "8000"}}), "");
    ASSERT_EQ(testing_util::CreateTopic(Bootstrap(), dlq_, 1), "");
    opts_.brokers = Bootstrap();
    opts_.group_id = "eos-group-" + suffix;
    opts_.commit_interval = 200ms;
    opts_.linger = 5ms;
    opts_.exactly_once = true;
    opts_.transactional_id = "eos-test-" + suffix;
    opts_.transaction_timeout = 20s;
    opts_.compression = "none";
    opts_.extra = {"batch.size=6000"};
  }

  // Inputs "v<i>" (key k<i>); "big" asks for an output over the topic's
  // limit.
  void Feed(const std::vector<std::string>& values) {
    KafkaOptions plain = opts_;
    plain.exactly_once = false;
    auto p = Producer::Create(plain, std::make_shared<prometheus::Registry>(), nullptr);
    ASSERT_TRUE(p) << p.error().message;
    int i = 0;
    for (const auto& v : values) {
      ASSERT_TRUE((*p)->Produce({in_, "k" + std::to_string(i++), v, {}}, nullptr));
    }
    ASSERT_TRUE((*p)->Flush(10s));
  }

  Processor Echo() const {
    return [out = out_](const InRecord& in) {
      std::string value = in.value == "big" ? std::string(20000, 'b') : "out:" + in.value;
      return StageResult{{{out, in.key, value, {}}}, "", "", ""};
    };
  }

  struct RunResult {
    int code = -1;
    std::string metrics;
  };
  RunResult Run(int64_t stop_after, bool stateful = false, const std::string& txn_id = "") {
    KafkaOptions k = opts_;
    if (!txn_id.empty()) k.transactional_id = txn_id;
    auto registry = std::make_shared<prometheus::Registry>();
    Health health;
    auto producer = Producer::Create(k, registry, &health, TransactionalId(k));
    EXPECT_TRUE(producer) << producer.error().message;
    auto consumer = Consumer::Create(k, {in_}, registry, &health);
    EXPECT_TRUE(consumer) << consumer.error().message;
    if (!producer || !consumer) return {};
    EXPECT_TRUE((*producer)->transactional());
    StageLoopOptions lo;
    lo.stage = "eos";
    lo.deadletter_topic = dlq_;
    lo.stop_after = stop_after;
    lo.transaction_interval = k.commit_interval;
    lo.transaction_timeout = k.transaction_timeout;
    lo.stateful = stateful;
    StageLoop loop(lo, consumer->get(), producer->get(), &health, registry);
    RunResult r;
    r.code = loop.Run(Echo());
    prometheus::TextSerializer s;
    r.metrics = s.Serialize(registry->Collect());
    return r;
  }

  std::map<std::string, int> Visible(const std::string& topic, int partitions,
                                     const char* isolation = "read_committed") {
    std::map<std::string, int> by_value;
    for (const auto& r : testing_util::ReadAll(Bootstrap(), topic, partitions, 20s, isolation)) {
      ++by_value[r.value];
    }
    return by_value;
  }

  std::string in_, out_, dlq_;
  KafkaOptions opts_;
};

// The value of one sample in Prometheus text (-1 when absent).
double MetricValue(const std::string& text, const std::string& sample) {
  auto at = text.find(sample + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + sample.size() + 1));
}

std::vector<std::string> Values(int n) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back("v" + std::to_string(i));
  return v;
}

TEST_F(ExactlyOnceStageTest, OutputsAndOffsetsCommitTogether) {
  Feed(Values(300));
  auto r = Run(300);
  ASSERT_EQ(r.code, 0);
  auto out = Visible(out_, 2);
  ASSERT_EQ(out.size(), 300u);
  for (const auto& [value, count] : out) EXPECT_EQ(count, 1) << value;
  auto committed = testing_util::CommittedOffsets(Bootstrap(), opts_.group_id, in_, 2);
  EXPECT_EQ(committed[0] + committed[1], 300);
  EXPECT_NE(r.metrics.find("crawlstream_kafka_transactions_total{outcome=\"committed\"}"),
            std::string::npos);
  EXPECT_NE(r.metrics.find("crawlstream_stage_records_total{outcome=\"processed\",reason=\"\",stage=\"eos\"} 300"),
            std::string::npos)
      << r.metrics;
}

TEST_F(ExactlyOnceStageTest, RefusedOutputAbortsRewindsAndIsDeadLetteredOnce) {
  auto values = Values(200);
  values[77] = "big";
  Feed(values);
  auto r = Run(200);
  ASSERT_EQ(r.code, 0);
  // Every other input once; the aborted transaction's records are in the
  // log (read_uncommitted sees them) but never visible.
  auto out = Visible(out_, 2);
  EXPECT_EQ(out.size(), 199u);
  for (const auto& [value, count] : out) EXPECT_EQ(count, 1) << value;
  EXPECT_EQ(out.count("out:v77"), 0u);
  size_t raw = 0;
  for (const auto& [value, count] : Visible(out_, 2, "read_uncommitted")) raw += count;
  EXPECT_GT(raw, 199u) << "the abort left no aborted records: was a transaction aborted?";
  auto dlq = testing_util::ReadAll(Bootstrap(), dlq_, 1);
  ASSERT_EQ(dlq.size(), 1u);
  crawlstream::v1::DeadLetter dl;
  ASSERT_TRUE(dl.ParseFromString(dlq[0].value));
  EXPECT_EQ(dl.reason(), "output_rejected");
  EXPECT_EQ(dl.original_value(), "big");
  auto committed = testing_util::CommittedOffsets(Bootstrap(), opts_.group_id, in_, 2);
  EXPECT_EQ(committed[0] + committed[1], 200);
  // At least the first abort (the input's batch) and the second (the input
  // on its own); librdkafka may add one for a sequence gap after its
  // epoch bump.
  EXPECT_GE(MetricValue(r.metrics, "crawlstream_kafka_transactions_total{outcome=\"aborted\"}"), 2)
      << r.metrics;
}

TEST_F(ExactlyOnceStageTest, StatefulStageStopsOnAbortCommittingNothingOfIt) {
  // One input per transaction would be simplest; instead the refused input
  // comes first, so the first transaction (which holds it) aborts.
  auto values = Values(50);
  values[0] = "big";
  Feed(values);
  auto r = Run(50, /*stateful=*/true);
  EXPECT_EQ(r.code, 1);
  // Whatever committed before the abort is visible once; nothing after.
  auto out = Visible(out_, 2);
  for (const auto& [value, count] : out) EXPECT_EQ(count, 1) << value;
  auto committed = testing_util::CommittedOffsets(Bootstrap(), opts_.group_id, in_, 2);
  int64_t done = 0;
  for (auto c : committed) done += std::max<int64_t>(c, 0);
  EXPECT_EQ(static_cast<size_t>(done), out.size()) << "offsets and outputs disagree";
  EXPECT_TRUE(Visible(dlq_, 1).empty());
  // A restarted stateless stage finishes the rest exactly once.
  auto again = Run(50 - done);
  ASSERT_EQ(again.code, 0);
  auto all = Visible(out_, 2);
  EXPECT_EQ(all.size(), 49u);
  for (const auto& [value, count] : all) EXPECT_EQ(count, 1) << value;
  EXPECT_EQ(Visible(dlq_, 1).size(), 1u);
}

TEST_F(ExactlyOnceStageTest, SecondProducerWithTheSameIdFencesTheFirst) {
  Feed(Values(20));
  // A first instance that never finishes (stop_after above the input).
  std::thread first([&] {
    auto r = Run(1'000'000);
    EXPECT_EQ(r.code, 1) << "a fenced stage must stop with an error";
  });
  std::this_thread::sleep_for(3s);
  // The same transactional.id: init_transactions fences the first.
  auto registry = std::make_shared<prometheus::Registry>();
  auto usurper = Producer::Create(opts_, registry, nullptr, TransactionalId(opts_));
  ASSERT_TRUE(usurper) << usurper.error().message;
  // An idle producer learns of the fencing when it next writes.
  Feed(Values(20));
  first.join();
  auto out = Visible(out_, 2);
  for (const auto& [value, count] : out) EXPECT_EQ(count, 1) << value;
  auto committed = testing_util::CommittedOffsets(Bootstrap(), opts_.group_id, in_, 2);
  int64_t done = 0;
  for (auto c : committed) done += std::max<int64_t>(c, 0);
  EXPECT_EQ(static_cast<size_t>(done), out.size());
}

const std::string& Bootstrap() { return testing_util::RealKafkaEnvironment::Bootstrap(); }

}  // namespace
}  // namespace crawlstream
