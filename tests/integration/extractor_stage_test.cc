// The extractor stage: garbage bytes and an oversize page on crawl.pages
// go to crawl.deadletter with the stage, the reason and the original bytes;
// the partition keeps moving and the next page becomes an article. Runs on
// the development broker (extractor_stage_test) and on a real Apache Kafka
// (real_kafka_test); see test_broker.h.
#include "services/extractor/extractor_service.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <fstream>
#include <sstream>

#include "crawlstream/v1/article.pb.h"
#include "crawlstream/v1/dead_letter.pb.h"
#include "crawlstream/v1/fetched_page.pb.h"
#include "services/common/health.h"
#include "services/common/shutdown.h"
#include "tests/integration/test_broker.h"
#include "tests/integration/test_util.h"

namespace crawlstream {
namespace {

using namespace std::chrono_literals;

std::string ReadFixture(const std::string& name) {
  const char* root = std::getenv("CRAWLSTREAM_SOURCE_DIR");
  std::ifstream in(std::string(root ? root : ".") + "/tests/fixtures/extractor/" + name,
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Page(const std::string& url, const std::string& body) {
  crawlstream::v1::FetchedPage p;
  p.set_requested_url(url);
  p.set_final_url(url);
  p.set_status_code(200);
  p.set_content_type("text/html");
  p.set_body(body);
  return p.SerializeAsString();
}

// Issue 14, item 1: a page past extractor.extract_timeout is dead-lettered
// as extract_timeout (the worker moves on).
TEST(ExtractorProcessorTest, PastTheTimeBudgetIsDeadLettered) {
  std::string html = "<html><body>";
  for (int i = 0; i < 200'000; ++i) html += "<div><p>word</p></div>";
  html += "</body></html>";
  extractor::ExtractorServiceOptions eo;
  eo.max_input_bytes = 64 << 20;
  eo.extract_timeout = 1ms;
  auto options = extractor::MakeExtractorOptions(eo);
  ASSERT_TRUE(options);
  extractor::Extractor ex(*options);
  InRecord in;
  in.value = Page("https://example.cn/slow.html", html);
  const StageResult r = extractor::MakeExtractorProcessor(&ex, "articles.extracted")(in);
  EXPECT_EQ(r.dead_letter_reason, "extract_timeout");
  EXPECT_NE(r.dead_letter_detail.find("example.cn/slow.html"), std::string::npos);
  EXPECT_TRUE(r.outputs.empty());
}

// Issue 15, item 6: --check-config warns when the input cap, the workers
// and the per-byte peak could exceed the container's memory limit.
TEST(ExtractorProcessorTest, WarnsWhenTheInputCapCanExceedTheMemoryLimit) {
  extractor::ExtractorServiceOptions eo;  // 8 MiB, 2 workers: ~416 MiB
  EXPECT_EQ(extractor::MemoryLimitWarning(eo, int64_t{1536} << 20), "");
  EXPECT_EQ(extractor::MemoryLimitWarning(eo, std::nullopt), "");  // limit unknown
  eo.max_input_bytes = 64 << 20;
  eo.workers = 4;
  const std::string w = extractor::MemoryLimitWarning(eo, int64_t{1536} << 20);
  EXPECT_NE(w.find("extractor.max_input_bytes (64 MiB)"), std::string::npos) << w;
  EXPECT_NE(w.find("extractor.workers (4)"), std::string::npos) << w;
  EXPECT_NE(w.find("limit of 1536 MiB"), std::string::npos) << w;
}

TEST(ExtractorStageTest, PoisonPagesAreDeadLetteredAndThePartitionMovesOn) {
  Shutdown::Reset();
  TopicNames topics;
  auto broker = testing_util::TestBroker::Start(
      {{topics.pages, 1}, {topics.extracted, 1}, {topics.deadletter, 1}});
  ASSERT_TRUE(broker) << broker.error().message;
  for (std::string* name : {&topics.pages, &topics.extracted, &topics.deadletter}) {
    *name = (*broker)->Name(*name);
  }
  KafkaOptions kafka;
  kafka.brokers = (*broker)->bootstrap();
  kafka.group_id = (*broker)->Name("extractor-test");
  kafka.commit_interval = 20ms;

  const std::string garbage("\x0a\xff\xff\xff\xff\x0f garbage", 14);
  std::string huge_html = "<html><body><p>" + std::string(3 << 20, 'x') + "</p></body></html>";
  {
    auto p = Producer::Create(kafka, std::make_shared<prometheus::Registry>(), nullptr);
    ASSERT_TRUE(p);
    ASSERT_TRUE((*p)->Produce({topics.pages, "g", garbage, {}}, nullptr));
    ASSERT_TRUE((*p)->Produce({topics.pages, "big", Page("https://example.cn/big.html", huge_html), {}}, nullptr));
    ASSERT_TRUE((*p)->Produce({topics.pages, "ok",
                               Page("https://www.gmw.cn/a.html", ReadFixture("seed000_gmw.html")), {}},
                              nullptr));
    ASSERT_TRUE((*p)->Flush(10s));
  }

  extractor::ExtractorServiceOptions eo;
  eo.max_input_bytes = 2 << 20;  // the 3 MB page is oversize
  auto options = extractor::MakeExtractorOptions(eo);
  ASSERT_TRUE(options);
  extractor::Extractor ex(*options);
  auto registry = std::make_shared<prometheus::Registry>();
  Health health;
  auto producer = Producer::Create(kafka, registry, &health);
  auto consumer = Consumer::Create(kafka, {topics.pages}, registry, &health);
  ASSERT_TRUE(producer && consumer);
  StageLoop loop({.stage = "extractor", .deadletter_topic = topics.deadletter, .stop_after = 3},
                 consumer->get(), producer->get(), &health, registry);
  ASSERT_EQ(loop.Run(extractor::MakeExtractorProcessor(&ex, topics.extracted)), 0);

  auto dlq = testing_util::ReadAll(kafka.brokers, topics.deadletter, 1);
  ASSERT_EQ(dlq.size(), 2u);
  crawlstream::v1::DeadLetter first, second;
  ASSERT_TRUE(first.ParseFromString(dlq[0].value));
  ASSERT_TRUE(second.ParseFromString(dlq[1].value));
  EXPECT_EQ(first.stage(), "extractor");
  EXPECT_EQ(first.reason(), "undecodable");
  EXPECT_EQ(first.original_value(), garbage);
  EXPECT_EQ(first.source_offset(), 0);
  EXPECT_EQ(second.reason(), "oversize");
  EXPECT_EQ(second.source_offset(), 1);
  EXPECT_GT(second.original_value().size(), 3u << 20);  // the original bytes, whole

  auto out = testing_util::ReadAll(kafka.brokers, topics.extracted, 1);
  ASSERT_EQ(out.size(), 1u);
  crawlstream::v1::Article a;
  ASSERT_TRUE(a.ParseFromString(out[0].value));
  EXPECT_EQ(a.publisher(), "光明网");
  EXPECT_EQ(testing_util::CommittedOffsets(kafka.brokers, kafka.group_id, topics.pages, 1)[0], 3);
}

}  // namespace
}  // namespace crawlstream
