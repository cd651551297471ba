#include "services/common/kafka_config_check.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>

#include "services/common/admin_server.h"
#include "services/common/config.h"

namespace crawlstream {
namespace {

using std::chrono::milliseconds;

TEST(KafkaConfigCheckTest, DefaultsPass) {
  KafkaOptions o;
  o.group_id = "crawlstream-test";
  auto st = CheckKafkaOptions(o);
  EXPECT_TRUE(st) << st.error().message;
  EXPECT_TRUE(CheckTopicNames(TopicNames{}));
}

// Values --check-config used to accept and the start then refused, each
// with the key the error must name.
TEST(KafkaConfigCheckTest, RefusesWhatStartWouldRefuseNamingOurKey) {
  struct Case {
    const char* name;
    std::function<void(KafkaOptions*)> set;
    const char* expected;
  };
  const Case cases[] = {
      {"extra without '='", [](KafkaOptions* o) { o->extra = {"garbage"}; },
       "kafka.extra[0]: expected name=value"},
      {"extra unknown property", [](KafkaOptions* o) { o->extra = {"no.such.property=1"}; },
       "kafka.extra: librdkafka property no.such.property=\"1\": No such configuration property"},
      {"extra bad value", [](KafkaOptions* o) { o->extra = {"security.protocol=carrier_pigeon"}; },
       "kafka.extra: librdkafka property security.protocol=\"carrier_pigeon\""},
      {"linger past delivery timeout",
       [](KafkaOptions* o) {
         o->linger = milliseconds(60'000);
         o->delivery_timeout = milliseconds(1'000);
       },
       "kafka.delivery_timeout, kafka.linger: librdkafka refuses the configuration: "
       "`message.timeout.ms` must be greater than `linger.ms`"},
      {"message size over librdkafka's range",
       [](KafkaOptions* o) { o->max_message_bytes = int64_t{1} << 30; },
       "kafka.max_message_bytes: librdkafka property message.max.bytes=\"1073807360\""},
      {"line break outside a PEM", [](KafkaOptions* o) { o->extra = {"sasl.username=a\nb"}; },
       "kafka.extra: sasl.username: line breaks are allowed only in *.pem values"},
      {"missing TLS file",
       [](KafkaOptions* o) {
         o->extra = {"security.protocol=ssl", "ssl.ca.location=/nonexistent/ca.pem"};
       },
       "kafka.extra: librdkafka refuses the configuration"},
  };
  for (const auto& tc : cases) {
    KafkaOptions o;
    o.group_id = "crawlstream-test";
    tc.set(&o);
    auto st = CheckKafkaOptions(o);
    ASSERT_FALSE(st) << tc.name;
    EXPECT_NE(st.error().message.find(tc.expected), std::string::npos)
        << tc.name << ": " << st.error().message;
  }
}

TEST(KafkaConfigCheckTest, SecretsAreNotEchoed) {
  KafkaOptions o;
  o.extra = {"sasl.password=hunter2", "no.such.secret=hunter2"};
  auto st = CheckKafkaOptions(o);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message.find("hunter2"), std::string::npos) << st.error().message;
}

TEST(KafkaConfigCheckTest, TopicNamesKafkaRefusesAreRefused) {
  struct Case {
    const char* name;
    std::function<void(TopicNames*)> set;
    const char* expected;
  };
  const Case cases[] = {
      {"empty", [](TopicNames* t) { t->pages = ""; },
       "topics.pages=\"\": a topic name must not be empty"},
      {"space", [](TopicNames* t) { t->articles = "my articles"; },
       "topics.articles=\"my articles\": only letters, digits"},
      {"dot", [](TopicNames* t) { t->requests = ".."; }, "topics.requests=\"..\""},
      {"too long", [](TopicNames* t) { t->deadletter = std::string(250, 'a'); },
       "longer than 249 characters"},
      {"shared", [](TopicNames* t) { t->extracted = t->pages; },
       "topics.extracted=\"crawl.pages\": the same topic as topics.pages"},
  };
  for (const auto& tc : cases) {
    TopicNames t;
    tc.set(&t);
    auto st = CheckTopicNames(t);
    ASSERT_FALSE(st) << tc.name;
    EXPECT_NE(st.error().message.find(tc.expected), std::string::npos)
        << tc.name << ": " << st.error().message;
  }
}

TEST(KafkaConfigCheckTest, ListenHostMustBeANumericAddress) {
  EXPECT_TRUE(CheckListenHost("127.0.0.1"));
  EXPECT_TRUE(CheckListenHost("0.0.0.0"));
  EXPECT_TRUE(CheckListenHost("::1"));
  auto st = CheckListenHost("not-an-address");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("service.http_host=\"not-an-address\""), std::string::npos)
      << st.error().message;
}

// Values the keys used to accept although they stalled or failed at start.
TEST(KafkaConfigCheckTest, KeyRangesStopAtWhatWorks) {
  struct Case {
    const char* key;
    const char* value;
    bool ok;
  };
  const Case cases[] = {
      {"kafka.session_timeout", "1s", false},  // stalled the pipeline for 120 s
      {"kafka.session_timeout", "5s", false},  // brokers refuse < 6 s by default
      {"kafka.session_timeout", "6s", true},
      {"kafka.max_message_bytes", "1GiB", false},  // librdkafka's range ends at 10^9
      {"kafka.max_message_bytes", "512MiB", true},
  };
  for (const auto& tc : cases) {
    KafkaOptions o;
    Config c;
    BindKafkaOptions(&c, &o);
    auto st = c.LoadText("", "test", nullptr, {{tc.key, tc.value}});
    EXPECT_EQ(st.has_value(), tc.ok) << tc.key << "=" << tc.value;
    if (!tc.ok && !st) {
      EXPECT_NE(st.error().message.find(std::string(tc.key) + "=\"" + tc.value + "\": out of range"),
                std::string::npos)
          << st.error().message;
    }
    if (tc.ok) {
      o.group_id = "crawlstream-test";
      auto checked = CheckKafkaOptions(o);
      EXPECT_TRUE(checked) << tc.key << "=" << tc.value << ": " << checked.error().message;
    }
  }
}

}  // namespace
}  // namespace crawlstream
