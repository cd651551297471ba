#include "services/cli/run_collector.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "crawlstream/v1/article.pb.h"
#include "services/common/dev_broker.h"
#include "services/common/kafka_producer.h"

namespace crawlstream {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class RunCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = DevBroker::Start(1, {{topics_.articles, 1}, {topics_.duplicates, 1},
                                  {topics_.deadletter, 1}});
    ASSERT_TRUE(b) << b.error().message;
    broker_ = std::move(*b);
    kafka_.brokers = broker_->bootstrap();
    std::string tmpl = (fs::temp_directory_path() / "run_collector_test.XXXXXX").string();
    dir_ = fs::path(::mkdtemp(tmpl.data()));
  }
  void TearDown() override { fs::remove_all(dir_); }

  void PublishArticle(const std::string& id) {
    auto producer = Producer::Create(kafka_, std::make_shared<prometheus::Registry>(), nullptr);
    ASSERT_TRUE(producer) << producer.error().message;
    crawlstream::v1::Article a;
    a.set_id(id);
    a.set_title("t");
    ASSERT_TRUE((*producer)->Produce({topics_.articles, id, a.SerializeAsString(), {}},
                                     [](const DeliveryReport&) {}));
    ASSERT_TRUE((*producer)->Flush(10s));
  }

  TopicNames topics_;
  KafkaOptions kafka_;
  std::unique_ptr<DevBroker> broker_;
  fs::path dir_;
};

// `crawlstream run` returned early (a stage that could not start) with the
// collector's thread still joinable: std::terminate, exit 134. Destroying
// a started collector now stops it and writes what it saw.
TEST_F(RunCollectorTest, DestroyingAStartedCollectorStopsItAndWritesTheFiles) {
  const fs::path out = dir_ / "articles.jsonl";
  {
    RunCollector collector(out.string(), (dir_ / "duplicates.jsonl").string());
    ASSERT_TRUE(collector.Start(kafka_, topics_));
    PublishArticle("a1");
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (collector.articles() < 1 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    ASSERT_EQ(collector.articles(), 1);
    // No Stop(): the destructor must do it.
  }
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("\"a1\""), std::string::npos) << text.str();
}

TEST_F(RunCollectorTest, StopTwiceIsHarmless) {
  RunCollector collector((dir_ / "a.jsonl").string(), "");
  ASSERT_TRUE(collector.Start(kafka_, topics_));
  collector.Stop();
  collector.Stop();
  EXPECT_EQ(collector.articles(), 0);
}

}  // namespace
}  // namespace crawlstream
