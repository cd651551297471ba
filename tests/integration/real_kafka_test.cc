// The Kafka client code against a real Apache Kafka 3.9.1 (one node started
// by scripts/kafka.sh for this binary, stopped at its end): the producer /
// consumer round trips of roundtrip_cases.h, and kcat, an outside client,
// reading back the exact key, value and header bytes our producer wrote.
// The binary also links stage_loop_test.cc, extractor_stage_test.cc and
// dedup_stage_test.cc, which run here on this cluster (test_broker.h gives
// each test its own topics and groups) and on the development broker in
// their own binaries.
//
// Still on the development broker only (librdkafka's mock cluster),
// because they inject a specific error code no real broker produces on
// demand:
//   StageLoopTest.InjectedProduceErrorsLoseNothing  (NOT_LEADER_FOR_PARTITION,
//                                                    REQUEST_TIMED_OUT on Produce;
//                                                    skipped here)
// and, needing no broker at all (client-side checks):
//   KafkaRoundTripTest.OversizeRecordIsRefusedBeforeSending,
//   KafkaRoundTripTest.InvalidKafkaPropertyIsAClearError.
// Broker faults on a real 3-node cluster: tests/e2e/kafka_fault_test.py.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "services/common/kafka_producer.h"
#include "tests/integration/kafka_cluster.h"
#include "tests/integration/roundtrip_cases.h"
#include "tests/integration/test_util.h"

namespace crawlstream {
namespace {

using namespace std::chrono_literals;
using testing_util::RealKafkaEnvironment;

const std::string& Bootstrap() { return RealKafkaEnvironment::Bootstrap(); }

TEST(RealKafkaRoundTripTest, ProducedRecordIsConsumedAndItsOffsetCommitted) {
  ASSERT_EQ(testing_util::CreateTopic(Bootstrap(), "rt.in", 2), "");
  roundtrip_cases::ProducedRecordIsConsumedAndItsOffsetCommitted(Bootstrap(), "rt.in", "rt-group");
}

TEST(RealKafkaRoundTripTest, RestartedConsumerResumesAfterCommittedOffset) {
  ASSERT_EQ(testing_util::CreateTopic(Bootstrap(), "resume.in", 1), "");
  roundtrip_cases::RestartedConsumerResumesAfterCommittedOffset(Bootstrap(), "resume.in",
                                                                "resume-group");
}

struct KcatRecord {
  int64_t offset = -1;
  std::string headers;  // "name=value,..."
  std::string key;
  std::string value;
};

// Parses kcat -f '%o %K %S %h\n%k%s\n': a text line, then exactly %K key
// bytes and %S value bytes, so binary keys and values survive.
std::vector<KcatRecord> ParseKcat(const std::string& out) {
  std::vector<KcatRecord> records;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    if (nl == std::string::npos) break;
    std::istringstream line(out.substr(pos, nl - pos));
    KcatRecord r;
    size_t key_len = 0, value_len = 0;
    line >> r.offset >> key_len >> value_len >> r.headers;
    pos = nl + 1;
    if (!line || pos + key_len + value_len + 1 > out.size()) break;
    r.key = out.substr(pos, key_len);
    r.value = out.substr(pos + key_len, value_len);
    pos += key_len + value_len + 1;  // and the closing '\n'
    records.push_back(std::move(r));
  }
  return records;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

TEST(RealKafkaOutsideClientTest, KcatReadsTheKeyAndValueBytesOurProducerWrote) {
  const std::string topic = "outside.kcat";
  ASSERT_EQ(testing_util::CreateTopic(Bootstrap(), topic, 1), "");
  const std::vector<std::pair<std::string, std::string>> sent = {
      {"plain-key", "plain value"},
      {std::string("bin\0\x01\xff", 6), std::string("\0\n\t\r\xfe\xff end\n", 11)},
      {"文章-1", "正文 with UTF-8 ✓"},
      // above the broker's stock 1 MiB message.max.bytes: kafka.sh raises
      // it to the 10 MiB the deployed topics allow
      {"big", RandomBytes(1536 * 1024, 12)},
  };

  KafkaOptions opts;
  opts.brokers = Bootstrap();
  auto producer = Producer::Create(opts, std::make_shared<prometheus::Registry>(), nullptr);
  ASSERT_TRUE(producer) << producer.error().message;
  std::atomic<int> acked{0};
  for (const auto& [key, value] : sent) {
    auto st = (*producer)->Produce({topic, key, value, {{"schema", "crawlstream.v1.Test"}}},
                                   [&](const DeliveryReport& r) {
                                     EXPECT_TRUE(r.ok()) << r.error_message;
                                     acked.fetch_add(r.ok() ? 1 : 0);
                                   });
    ASSERT_TRUE(st) << st.error().message;
  }
  ASSERT_TRUE((*producer)->Flush(30s));
  ASSERT_EQ(acked.load(), static_cast<int>(sent.size()));

  auto kcat = testing_util::RunCommand(
      "timeout 60 kcat -q -C -b " + testing_util::ShellQuote(Bootstrap()) + " -t " + topic +
      " -p 0 -o beginning -e -c " + std::to_string(sent.size()) +
      " -f '%o %K %S %h\\n%k%s\\n'");
  ASSERT_EQ(kcat.exit_code, 0);
  auto got = ParseKcat(kcat.out);
  ASSERT_EQ(got.size(), sent.size()) << kcat.out.substr(0, 500);
  for (size_t i = 0; i < sent.size(); ++i) {
    SCOPED_TRACE("record " + std::to_string(i));
    EXPECT_EQ(got[i].offset, static_cast<int64_t>(i));
    EXPECT_EQ(got[i].key, sent[i].first);
    EXPECT_TRUE(got[i].value == sent[i].second)
        << got[i].value.size() << " bytes, want " << sent[i].second.size();
    EXPECT_EQ(got[i].headers, "schema=crawlstream.v1.Test");
  }
}

}  // namespace
}  // namespace crawlstream

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  testing::AddGlobalTestEnvironment(new crawlstream::testing_util::RealKafkaEnvironment(1));
  return RUN_ALL_TESTS();
}
