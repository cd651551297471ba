// kafka.extra and kafka.extra_file: how items are split and parsed, and
// that no credential reaches an error message or a log line (issue 15
// item 2: a comma in a password broke kafka.extra and the fragment was
// printed; a misspelt `sasl.pasword` printed its value).
#include "services/common/kafka_options.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "services/common/config.h"
#include "services/common/kafka_config_check.h"

namespace crawlstream {
namespace {

using Items = std::vector<std::string>;

TEST(KafkaOptionsTest, ExtraIsSplitOnlyBeforeAPropertyName) {
  struct Case {
    const char* raw;
    Items items;
  };
  const Case cases[] = {
      {"security.protocol=ssl,ssl.ca.location=/ca.pem",
       {"security.protocol=ssl", "ssl.ca.location=/ca.pem"}},
      {"a=1, b=2 ,c=3", {"a=1", "b=2", "c=3"}},                       // as before: trimmed
      {"sasl.password=p,a,s,s", {"sasl.password=p,a,s,s"}},          // commas in a value
      {"sasl.password=p,,w,security.protocol=sasl_ssl",
       {"sasl.password=p,,w", "security.protocol=sasl_ssl"}},
      {"sasl.password=a,=b", {"sasl.password=a,=b"}},                 // "=b" names nothing
      {"sasl.password=a, 1=b", {"sasl.password=a, 1=b"}},             // names start with a letter
      {",a=1,,", {"a=1"}},                                            // empty items dropped
      {"sasl.password=a,,b, ,", {"sasl.password=a,,b"}},              // trailing commas separate
      {"", {}},
      {"garbage", {"garbage"}},
  };
  for (const auto& c : cases) EXPECT_EQ(SplitKafkaExtra(c.raw), c.items) << c.raw;
}

TEST(KafkaOptionsTest, ExtraFileLinesAreParsed) {
  struct Case {
    const char* text;
    bool ok;
    Items items;
    const char* error;  // part of the message when !ok
  };
  const Case cases[] = {
      {"# SASL\nsecurity.protocol=sasl_ssl\n\n  sasl.username = crawler \r\n"
       "sasl.password=a,b=c#d \n",
       true, {"security.protocol=sasl_ssl", "sasl.username=crawler", "sasl.password=a,b=c#d"}, ""},
      {"", true, {}, ""},
      {"a=1\nno equals sign here\n", false, {}, "f.properties:2: expected name=value"},
      {"=value\n", false, {}, "f.properties:1: expected name=value"},
      {"sasl.password=a\x01z\n", false, {}, "f.properties:1: sasl.password: control character"},
  };
  for (const auto& c : cases) {
    auto items = ParseKafkaExtraFile(c.text, "f.properties");
    ASSERT_EQ(items.has_value(), c.ok) << c.text;
    if (c.ok) {
      EXPECT_EQ(*items, c.items) << c.text;
    } else {
      EXPECT_NE(items.error().message.find(c.error), std::string::npos) << items.error().message;
      EXPECT_EQ(items.error().message.find("equals sign"), std::string::npos);  // line not shown
      EXPECT_EQ(items.error().message.find("a\x01z"), std::string::npos);
    }
  }
}

TEST(KafkaOptionsTest, SecretPropertiesAreRecognised) {
  struct Case {
    const char* name;
    bool secret;
  };
  const Case cases[] = {
      {"sasl.password", true},         {"sasl.pasword", true},  // misspelt: still sasl.*
      {"sasl.username", true},         {"sasl.mechanisms", true},
      {"sasl.oauthbearer.client.secret", true},
      {"ssl.key.password", true},      {"ssl.keystore.password", true},
      {"ssl.key.pem", true},           {"ssl.certificate.pem", true},
      {"SASL.PASSWORD", true},         {"my.client_secret", true},
      {"sasl_password", true},         {"ssl.truststore.pasword", true},
      {"security.protocol", false},    {"ssl.ca.location", false},
      {"client.id", false},            {"linger.ms", false},
  };
  for (const auto& c : cases) EXPECT_EQ(IsSecretKafkaProperty(c.name), c.secret) << c.name;
  EXPECT_EQ(ShowKafkaProperty({"sasl.password", "hunter2", "kafka.extra"}), "sasl.password=<redacted>");
  EXPECT_EQ(ShowKafkaProperty({"security.protocol", "ssl", "kafka.extra"}), "security.protocol=\"ssl\"");
  EXPECT_EQ(RedactKafkaSecrets("bad hunter2 and hunter2", {{"sasl.password", "hunter2", "k"},
                                                            {"client.id", "bad", "k"}}),
            "bad <redacted> and <redacted>");
}

// Every path an error about kafka.extra takes: librdkafka's refusal of an
// unknown (misspelt) name, of a bad value, the item without '=' (a piece
// of a password split off before), a control character.
TEST(KafkaOptionsTest, CredentialsAreNeverInErrors) {
  const char* kSecret = "hunter2,x";
  const std::vector<Items> extras = {
      {"sasl.pasword=hunter2,x"},                                   // misspelt name
      {"sasl.mechanisms=hunter2,x"},                                // bad value
      {"hunter2,x", "sasl.password=y"},                             // fragment without '='
      {"security.protocol=sasl_ssl", "sasl.oauthbearer.client.secret=hunter2,x",
       "sasl.mechanism=NOPE"},
  };
  for (const auto& extra : extras) {
    KafkaOptions o;
    o.group_id = "crawlstream-test";
    o.extra = extra;
    auto st = CheckKafkaOptions(o);
    ASSERT_FALSE(st) << extra[0];
    EXPECT_EQ(st.error().message.find("hunter2"), std::string::npos) << st.error().message;
    EXPECT_NE(st.error().message.find("kafka.extra"), std::string::npos) << st.error().message;
  }
  // Through the configuration: environment value with a control character,
  // and a misspelt variable of the kafka section.
  for (std::string var : {std::string("CRAWLSTREAM_KAFKA_EXTRA=sasl.password=") + kSecret + "\x01",
                          std::string("CRAWLSTREAM_KAFKA_EXTRAS=sasl.password=") + kSecret}) {
    KafkaOptions o;
    Config c;
    BindKafkaOptions(&c, &o);
    char* env[] = {var.data(), nullptr};
    auto st = c.LoadText("", "test", env, {});
    ASSERT_FALSE(st) << var;
    EXPECT_EQ(st.error().message.find("hunter2"), std::string::npos) << st.error().message;
    EXPECT_NE(st.error().message.find("<redacted>"), std::string::npos) << st.error().message;
  }
}

TEST(KafkaOptionsTest, EnvironmentExtraKeepsCommasInPasswords) {
  KafkaOptions o;
  Config c;
  BindKafkaOptions(&c, &o);
  std::string var = "CRAWLSTREAM_KAFKA_EXTRA=security.protocol=sasl_ssl,sasl.password=a,b,c";
  char* env[] = {var.data(), nullptr};
  auto st = c.LoadText("", "test", env, {});
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(o.extra, (Items{"security.protocol=sasl_ssl", "sasl.password=a,b,c"}));
  // A YAML list is taken item by item, as before.
  KafkaOptions y;
  Config cy;
  BindKafkaOptions(&cy, &y);
  ASSERT_TRUE(cy.LoadText("kafka:\n  extra: [\"sasl.password=a,b=c\", \"linger.ms=5\"]\n", "t", nullptr, {}));
  EXPECT_EQ(y.extra, (Items{"sasl.password=a,b=c", "linger.ms=5"}));
}

TEST(KafkaOptionsTest, ExtraFileIsAppliedBeforeExtra) {
  char path[] = "/tmp/crawlstream-extra-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "# mounted from a Secret\nsasl.username=crawler\nsasl.password=p,w\n";
  KafkaOptions o;
  o.extra_file = path;
  o.extra = {"sasl.username=override"};
  auto props = BaseKafkaProperties(o);
  ASSERT_TRUE(props) << props.error().message;
  std::vector<std::string> seen;
  for (const auto& p : *props) seen.push_back(p.key + ":" + p.name + "=" + p.value);
  EXPECT_EQ(seen, (Items{"kafka.brokers:bootstrap.servers=", "kafka.client_id:client.id=crawlstream",
                         "kafka.extra_file:sasl.username=crawler",
                         "kafka.extra_file:sasl.password=p,w", "kafka.extra:sasl.username=override"}));
  std::remove(path);
  auto missing = BaseKafkaProperties(o);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find(std::string("kafka.extra_file ") + path + ": cannot be read"),
            std::string::npos);
}

// Issue 15 item 5: librdkafka's producer queue defaults to 1 GiB, above
// the fetcher's memory limit; kafka.producer_queue_bytes bounds it.
TEST(KafkaOptionsTest, ProducerQueueIsBoundedByItsKey) {
  auto kbytes = [](const KafkaOptions& o) {
    for (const auto& p : ProducerProperties(o)) {
      if (p.name == "queue.buffering.max.kbytes") return p.key + "=" + p.value;
    }
    return std::string("unset");
  };
  KafkaOptions o;
  EXPECT_EQ(kbytes(o), "kafka.producer_queue_bytes=65536");  // 64 MiB
  o.producer_queue_bytes = (int64_t{16} << 20) + 1;         // rounded up to KiB
  EXPECT_EQ(kbytes(o), "kafka.producer_queue_bytes=16385");
  // A queue below the largest record would be full for it forever.
  o.max_message_bytes = int64_t{512} << 20;
  EXPECT_EQ(ProducerQueueBytes(o), (int64_t{512} << 20) + kKafkaFramingBytes);
  EXPECT_EQ(kbytes(o), "kafka.producer_queue_bytes=524352");
  EXPECT_EQ(KeyOfKafkaProperty("queue.buffering.max.kbytes"), "kafka.producer_queue_bytes");
  for (const auto& p : ConsumerProperties(o)) EXPECT_NE(p.name, "queue.buffering.max.kbytes");
}

}  // namespace
}  // namespace crawlstream
