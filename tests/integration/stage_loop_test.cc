// The shared stage loop: poison input goes to the dead-letter topic with
// the stage, reason and original bytes; the partition keeps moving; offsets
// are committed only for finished input; injected broker errors lose
// nothing; a broker killed mid-run and restarted loses nothing.
//
// Runs twice (test_broker.h): on the development broker (the
// kafka_integration_test entries) and on a real Apache Kafka
// (real_kafka_test). Development broker only, because it injects specific
// error codes no real broker produces on demand:
//   StageLoopTest.InjectedProduceErrorsLoseNothing  (NOT_LEADER_FOR_PARTITION,
//                                                    REQUEST_TIMED_OUT on Produce)
// Real Kafka only, because the mock keeps no data across a restart and has
// no process to kill: StageLoopTest.BrokerKilledMidRunLosesNothing.
#include "services/common/stage_loop.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "crawlstream/v1/dead_letter.pb.h"
#include "services/common/health.h"
#include "services/common/shutdown.h"
#include "tests/integration/test_broker.h"
#include "tests/integration/test_util.h"

namespace crawlstream {
namespace {

using namespace std::chrono_literals;

// Upper-cases "ok:" payloads into `out_topic`; "bad" is undecodable;
// "skip" is skipped; "huge" produces an output larger than the producer
// accepts.
StageResult Process(const std::string& out_topic, const InRecord& in) {
  if (in.value.starts_with("ok:")) {
    std::string up = in.value.substr(3);
    for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return StageResult{{{out_topic, in.key, up, {}}}, "", "", ""};
  }
  if (in.value == "skip") return StageResult::Skip("not_interesting");
  if (in.value == "huge") {
    return StageResult{{{out_topic, in.key, std::string(20000, 'h'), {}}}, "", "", ""};
  }
  return StageResult::DeadLetter("undecodable", "payload is not ok:<text>");
}

class StageLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Shutdown::Reset();
    auto b = testing_util::TestBroker::Start({{"st.in", 1}, {"st.out", 1}, {"st.dlq", 1}}, 3);
    ASSERT_TRUE(b) << b.error().message;
    broker_ = std::move(*b);
    in_ = broker_->Name("st.in");
    out_ = broker_->Name("st.out");
    dlq_ = broker_->Name("st.dlq");
    group_ = broker_->Name("st-group");
    opts_.brokers = broker_->bootstrap();
    opts_.group_id = group_;
    opts_.max_message_bytes = 8192;
    opts_.commit_interval = 20ms;
  }
  Processor Upcase() const {
    return [out = out_](const InRecord& in) { return Process(out, in); };
  }
  void Feed(const std::vector<std::string>& values) {
    auto p = Producer::Create(opts_, std::make_shared<prometheus::Registry>(), nullptr);
    ASSERT_TRUE(p);
    int i = 0;
    for (const auto& v : values) {
      ASSERT_TRUE((*p)->Produce({in_, "k" + std::to_string(i++), v, {{"h", "1"}}}, nullptr));
    }
    ASSERT_TRUE((*p)->Flush(10s));
  }
  int RunUntil(int64_t inputs, std::string* metrics_out, int workers = 1,
               Processor process = nullptr) {
    if (!process) process = Upcase();
    auto registry = std::make_shared<prometheus::Registry>();
    Health health;
    auto producer = Producer::Create(opts_, registry, &health);
    auto consumer = Consumer::Create(opts_, {in_}, registry, &health);
    EXPECT_TRUE(producer && consumer);
    StageLoopOptions lo;
    lo.stage = "test";
    lo.deadletter_topic = dlq_;
    lo.stop_after = inputs;
    lo.workers = workers;
    StageLoop loop(lo, consumer->get(), producer->get(), &health, registry);
    int code = loop.Run(process);
    prometheus::TextSerializer s;
    if (metrics_out) *metrics_out = s.Serialize(registry->Collect());
    return code;
  }
  std::unique_ptr<testing_util::TestBroker> broker_;
  std::string in_, out_, dlq_, group_;
  KafkaOptions opts_;
};

TEST_F(StageLoopTest, PoisonRecordsAreDeadLetteredAndPartitionMovesOn) {
  Feed({"ok:a", "bad", std::string("\xff\xfe garbage \x00", 12), "ok:b", "skip", "huge", "ok:c"});
  std::string metrics;
  ASSERT_EQ(RunUntil(7, &metrics), 0);

  auto out = testing_util::ReadAll(opts_.brokers, out_, 1);
  std::vector<std::string> values;
  for (const auto& r : out) values.push_back(r.value);
  EXPECT_EQ(values, (std::vector<std::string>{"A", "B", "C"}));

  auto dlq = testing_util::ReadAll(opts_.brokers, dlq_, 1);
  ASSERT_EQ(dlq.size(), 3u);
  crawlstream::v1::DeadLetter first;
  ASSERT_TRUE(first.ParseFromString(dlq[0].value));
  EXPECT_EQ(first.stage(), "test");
  EXPECT_EQ(first.reason(), "undecodable");
  EXPECT_EQ(first.original_value(), "bad");
  EXPECT_EQ(first.source_topic(), in_);
  EXPECT_EQ(first.source_offset(), 1);
  ASSERT_EQ(first.original_headers_size(), 1);
  crawlstream::v1::DeadLetter garbage;
  ASSERT_TRUE(garbage.ParseFromString(dlq[1].value));
  EXPECT_EQ(garbage.original_value(), std::string("\xff\xfe garbage \x00", 12));
  crawlstream::v1::DeadLetter huge;
  ASSERT_TRUE(huge.ParseFromString(dlq[2].value));
  EXPECT_EQ(huge.reason(), "output_rejected");
  EXPECT_EQ(huge.original_value(), "huge");

  // Every input is finished, so the group committed past the last one.
  auto committed = testing_util::CommittedOffsets(opts_.brokers, group_, in_, 1);
  EXPECT_EQ(committed[0], 7);
  EXPECT_NE(metrics.find("outcome=\"dead_letter\",reason=\"undecodable\",stage=\"test\"} 2"),
            std::string::npos) << metrics;
  EXPECT_NE(metrics.find("outcome=\"skipped\",reason=\"not_interesting\",stage=\"test\"} 1"),
            std::string::npos) << metrics;
}

// A processor that throws is a poison record, not a crash: the record is
// dead-lettered as processor_exception with the exception's message and the
// partition moves on, whether the stage runs single-threaded (dedup) or on
// workers (extractor).
TEST_F(StageLoopTest, ProcessorExceptionIsDeadLetteredOnEveryThreadingMode) {
  Processor throwing = [out = out_](const InRecord& in) -> StageResult {
    if (in.value == "throw") throw std::runtime_error("index corrupted at record 7");
    if (in.value == "throw-int") throw 42;
    return Process(out, in);
  };
  Feed({"ok:a", "throw", "ok:b", "throw-int", "ok:c"});
  ASSERT_EQ(RunUntil(5, nullptr, 1, throwing), 0);
  Feed({"ok:d", "throw", "ok:e"});
  ASSERT_EQ(RunUntil(3, nullptr, 3, throwing), 0);

  std::vector<std::string> values;
  for (const auto& r : testing_util::ReadAll(opts_.brokers, out_, 1)) values.push_back(r.value);
  ASSERT_EQ(values.size(), 5u);
  std::sort(values.begin() + 3, values.end());  // workers keep order per key only
  EXPECT_EQ(values, (std::vector<std::string>{"A", "B", "C", "D", "E"}));
  auto dlq = testing_util::ReadAll(opts_.brokers, dlq_, 1);
  ASSERT_EQ(dlq.size(), 3u);
  const std::pair<std::string, std::string> want[] = {
      {"throw", "index corrupted at record 7"},
      {"throw-int", "unknown exception"},
      {"throw", "index corrupted at record 7"}};
  for (size_t i = 0; i < dlq.size(); ++i) {
    crawlstream::v1::DeadLetter d;
    ASSERT_TRUE(d.ParseFromString(dlq[i].value));
    EXPECT_EQ(d.reason(), "processor_exception");
    EXPECT_EQ(d.original_value(), want[i].first);
    EXPECT_NE(d.detail().find(want[i].second), std::string::npos) << d.detail();
  }
  EXPECT_EQ(testing_util::CommittedOffsets(opts_.brokers, group_, in_, 1)[0], 8);
}

TEST_F(StageLoopTest, InjectedProduceErrorsLoseNothing) {
  if (!broker_->dev()) GTEST_SKIP() << "injects error codes: development broker only";
  std::vector<std::string> inputs;
  for (int i = 0; i < 50; ++i) inputs.push_back("ok:r" + std::to_string(i));
  Feed(inputs);
  // The next produce requests fail with retriable errors; the idempotent
  // producer retries them.
  broker_->dev()->PushRequestErrors(0, {6 /*NOT_LEADER*/, 7 /*REQUEST_TIMED_OUT*/, 6, 7});
  ASSERT_EQ(RunUntil(50, nullptr), 0);
  auto out = testing_util::ReadAll(opts_.brokers, out_, 1);
  std::set<std::string> distinct;
  for (const auto& r : out) distinct.insert(r.value);
  EXPECT_EQ(distinct.size(), 50u);
  EXPECT_EQ(out.size(), 50u);  // idempotence: no duplicates in the log
}

// Four workers: every record is processed once, a key's outputs keep the
// input order although records finish out of order, poison is still
// dead-lettered, and the group commits past the last input.
TEST_F(StageLoopTest, WorkersKeepEachKeysOrderAndLoseNothing) {
  auto p = Producer::Create(opts_, std::make_shared<prometheus::Registry>(), nullptr);
  ASSERT_TRUE(p);
  constexpr int kInputs = 400;
  for (int i = 0; i < kInputs; ++i) {
    const std::string key = "key" + std::to_string(i % 7);
    const std::string value = i % 50 == 49 ? "bad" : "ok:" + key + "-" + std::to_string(i);
    ASSERT_TRUE((*p)->Produce({in_, key, value, {}}, nullptr));
  }
  ASSERT_TRUE((*p)->Flush(10s));
  std::atomic<int> calls{0};
  auto slow = [&calls, out = out_](const InRecord& in) {
    calls.fetch_add(1);
    // Uneven work so that records finish out of order across threads.
    std::this_thread::sleep_for(std::chrono::microseconds(in.offset % 3 == 0 ? 800 : 50));
    return Process(out, in);
  };
  ASSERT_EQ(RunUntil(kInputs, nullptr, 4, slow), 0);
  EXPECT_EQ(calls.load(), kInputs);

  auto out = testing_util::ReadAll(opts_.brokers, out_, 1);
  ASSERT_EQ(out.size(), static_cast<size_t>(kInputs - kInputs / 50));
  std::map<std::string, int> last;  // key -> last input index seen
  for (const auto& r : out) {
    const std::string v = r.value;  // "KEYn-i"
    const int i = std::stoi(v.substr(v.find('-') + 1));
    auto [it, fresh] = last.emplace(r.key, i);
    if (!fresh) {
      EXPECT_GT(i, it->second) << "key " << r.key << " out of order";
      it->second = i;
    }
  }
  EXPECT_EQ(testing_util::ReadAll(opts_.brokers, dlq_, 1).size(),
            static_cast<size_t>(kInputs / 50));
  auto committed = testing_util::CommittedOffsets(opts_.brokers, group_, in_, 1);
  EXPECT_EQ(committed[0], kInputs);
}

TEST_F(StageLoopTest, StopRequestDrainsAndCommits) {
  Feed({"ok:x", "ok:y"});
  // Ask for a stop once both outputs are visible to an outside reader.
  std::string bootstrap = opts_.brokers;
  std::thread stopper([bootstrap, out = out_] {
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline &&
           testing_util::ReadAll(bootstrap, out, 1, 2s).size() < 2) {
      std::this_thread::sleep_for(100ms);
    }
    Shutdown::Request();
  });
  ASSERT_EQ(RunUntil(0, nullptr), 0);  // runs until the stop request
  stopper.join();
  Shutdown::Reset();
  auto committed = testing_util::CommittedOffsets(opts_.brokers, group_, in_, 1);
  EXPECT_EQ(committed[0], 2);
}

// The only node of the real cluster is SIGKILLed while the loop runs and
// restarted with its data within the group's session timeout: the
// idempotent producer and the consumer ride it out, every input comes out
// exactly once and the group commits past the last input. (A restart
// slower than the session timeout costs the assignment: its pending
// offsets are not committed and a later member redelivers those inputs,
// at-least-once as stage_loop.h says.)
TEST_F(StageLoopTest, BrokerKilledMidRunLosesNothing) {
  auto* cluster = testing_util::RealKafkaEnvironment::Cluster();
  if (broker_->dev() || !cluster || cluster->dir().empty()) {
    GTEST_SKIP() << "kills a broker process: real Kafka started by the test only";
  }
  opts_.session_timeout = 45s;  // a restart takes 5-10 s here
  constexpr int kInputs = 300;
  std::vector<std::string> inputs;
  for (int i = 0; i < kInputs; ++i) inputs.push_back("ok:r" + std::to_string(i));
  Feed(inputs);
  // The crash lands after the first output (the loop runs, offsets
  // pending) and the restart while the loop waits for the broker.
  std::atomic<int> calls{0};
  std::atomic<bool> crashed{false};
  auto crash_once = [&, out = out_](const InRecord& in) {
    if (calls.fetch_add(1) == kInputs / 3) {
      EXPECT_TRUE(cluster->KillNode(1));
      crashed = true;
    }
    return Process(out, in);
  };
  std::thread restarter([&] {
    while (!crashed) std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(cluster->StartNode(1));
  });
  const int code = RunUntil(kInputs, nullptr, 1, crash_once);
  restarter.join();
  ASSERT_EQ(code, 0);
  ASSERT_TRUE(crashed);

  auto out = testing_util::ReadAll(opts_.brokers, out_, 1, 60s);
  std::set<std::string> distinct;
  for (const auto& r : out) distinct.insert(r.value);
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kInputs));
  EXPECT_EQ(out.size(), static_cast<size_t>(kInputs));  // idempotence: no duplicates
  EXPECT_EQ(testing_util::CommittedOffsets(opts_.brokers, group_, in_, 1)[0], kInputs);
}

}  // namespace
}  // namespace crawlstream
