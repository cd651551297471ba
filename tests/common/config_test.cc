#include "services/common/config.h"

#include <gtest/gtest.h>

#include <chrono>

namespace crawlstream {
namespace {

using std::chrono::milliseconds;

struct Settings {
  std::string brokers = "localhost:9092";
  int64_t port = 9464;
  bool follow = false;
  milliseconds delay{1000};
  std::vector<std::string> allow;
  int64_t max_body = 1 << 20;
  std::string compression = "lz4";
  double ratio = 0.5;
};

Config MakeConfig(Settings* s) {
  Config c;
  c.Bind("kafka.brokers", &s->brokers, "brokers");
  c.Bind("service.http_port", &s->port, "port", 0, 65535);
  c.Bind("fetcher.follow", &s->follow, "follow");
  c.Bind("fetcher.delay", &s->delay, "delay", milliseconds(0), milliseconds(60'000));
  c.Bind("fetcher.allow_cidrs", &s->allow, "allow");
  c.BindBytes("fetcher.max_body", &s->max_body, "max", 1024, int64_t{1} << 30);
  c.BindEnum("kafka.compression", &s->compression, "codec", {"none", "lz4", "zstd"});
  c.Bind("dedup.ratio", &s->ratio, "ratio", 0.0, 1.0);
  return c;
}

TEST(ConfigTest, DefaultsHoldWithoutAnySource) {
  Settings s;
  Config c = MakeConfig(&s);
  ASSERT_TRUE(c.LoadText("", "test", nullptr, {}));
  EXPECT_EQ(s.brokers, "localhost:9092");
  EXPECT_EQ(s.port, 9464);
}

TEST(ConfigTest, YamlSetsNestedKeysAndLists) {
  Settings s;
  Config c = MakeConfig(&s);
  auto st = c.LoadText(
      "kafka:\n  brokers: a:1,b:2\nfetcher:\n  follow: yes\n  delay: 250ms\n"
      "  allow_cidrs: [127.0.0.0/8, '::1/128']\n  max_body: 10MiB\n",
      "test.yaml", nullptr, {});
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(s.brokers, "a:1,b:2");
  EXPECT_TRUE(s.follow);
  EXPECT_EQ(s.delay, milliseconds(250));
  EXPECT_EQ(s.allow, (std::vector<std::string>{"127.0.0.0/8", "::1/128"}));
  EXPECT_EQ(s.max_body, 10 << 20);
}

TEST(ConfigTest, EnvironmentOverridesYaml) {
  Settings s;
  Config c = MakeConfig(&s);
  std::string e1 = "CRAWLSTREAM_KAFKA_BROKERS=env:9092";
  std::string e2 = "CRAWLSTREAM_FETCHER_ALLOW_CIDRS=10.0.0.0/8, 127.0.0.1/32";
  std::string e3 = "PATH=/usr/bin";
  char* env[] = {e1.data(), e2.data(), e3.data(), nullptr};
  auto st = c.LoadText("kafka:\n  brokers: yaml:9092\n", "test.yaml", env, {});
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(s.brokers, "env:9092");
  EXPECT_EQ(s.allow, (std::vector<std::string>{"10.0.0.0/8", "127.0.0.1/32"}));
}

TEST(ConfigTest, FlagsOverrideEnvironment) {
  Settings s;
  Config c = MakeConfig(&s);
  std::string e1 = "CRAWLSTREAM_SERVICE_HTTP_PORT=1000";
  char* env[] = {e1.data(), nullptr};
  auto st = c.LoadText("", "test", env, {{"service.http_port", "2000"}});
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(s.port, 2000);
}

TEST(ConfigTest, InvalidValueNamesKeyValueAndReason) {
  Settings s;
  Config c = MakeConfig(&s);
  std::string e1 = "CRAWLSTREAM_SERVICE_HTTP_PORT=70000";
  char* env[] = {e1.data(), nullptr};
  auto st = c.LoadText("", "test", env, {});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("service.http_port"), std::string::npos);
  EXPECT_NE(st.error().message.find("70000"), std::string::npos);
  EXPECT_NE(st.error().message.find("out of range"), std::string::npos);
  EXPECT_NE(st.error().message.find("CRAWLSTREAM_SERVICE_HTTP_PORT"), std::string::npos);
}

TEST(ConfigTest, InvalidValuesInYamlAreAllReported) {
  Settings s;
  Config c = MakeConfig(&s);
  auto st = c.LoadText("fetcher:\n  delay: soon\n  follow: maybe\nkafka:\n  compression: brotli\n",
                       "bad.yaml", nullptr, {});
  ASSERT_FALSE(st);
  const std::string& m = st.error().message;
  EXPECT_NE(m.find("bad.yaml: fetcher.delay=\"soon\": not a duration"), std::string::npos) << m;
  EXPECT_NE(m.find("fetcher.follow=\"maybe\": not a boolean"), std::string::npos) << m;
  EXPECT_NE(m.find("kafka.compression=\"brotli\": must be one of"), std::string::npos) << m;
}

TEST(ConfigTest, UnknownYamlKeyFails) {
  Settings s;
  Config c = MakeConfig(&s);
  auto st = c.LoadText("kafka:\n  brokerz: x\n", "typo.yaml", nullptr, {});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("kafka.brokerz"), std::string::npos);
  EXPECT_NE(st.error().message.find("unknown key"), std::string::npos);
}

TEST(ConfigTest, UnknownEnvKeyInKnownSectionFailsOtherSectionsIgnored) {
  Settings s;
  Config c = MakeConfig(&s);
  std::string known_section = "CRAWLSTREAM_KAFKA_BROKERZ=x";
  char* env1[] = {known_section.data(), nullptr};
  EXPECT_FALSE(c.LoadText("", "test", env1, {}));

  Settings s2;
  Config c2 = MakeConfig(&s2);
  std::string other = "CRAWLSTREAM_EXTRACTOR_MAX_PAGE=1";  // another service's key
  std::string tooling = "CRAWLSTREAM_SOURCE_DIR=/src";
  char* env2[] = {other.data(), tooling.data(), nullptr};
  EXPECT_TRUE(c2.LoadText("", "test", env2, {}));
}

TEST(ConfigTest, UnknownFlagFails) {
  Settings s;
  Config c = MakeConfig(&s);
  auto st = c.LoadText("", "test", nullptr, {{"kafka.nope", "1"}});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("flag --kafka.nope"), std::string::npos);
}

TEST(ConfigTest, MalformedYamlFailsWithOrigin) {
  Settings s;
  Config c = MakeConfig(&s);
  auto st = c.LoadText("kafka: [unclosed\n", "broken.yaml", nullptr, {});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("broken.yaml"), std::string::npos);
}

TEST(ConfigTest, MissingFileFails) {
  Settings s;
  Config c = MakeConfig(&s);
  auto st = c.Load("/nonexistent/crawlstream.yaml", nullptr, {});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
}

TEST(ConfigTest, EnvNameUpperCasesAndReplacesDots) {
  EXPECT_EQ(Config::EnvName("kafka.group_id"), "CRAWLSTREAM_KAFKA_GROUP_ID");
}

struct DurationCase {
  const char* text;
  int64_t ms;
  bool ok;
};

TEST(ConfigTest, ParseDurationTable) {
  const DurationCase cases[] = {
      {"250ms", 250, true}, {"2s", 2000, true},   {"1.5s", 1500, true},
      {"5m", 300000, true}, {"1h", 3600000, true}, {"3", 3000, true},
      {"", 0, false},       {"-1s", 0, false},    {"2 weeks", 0, false},
      {"ms", 0, false},
  };
  for (const auto& c : cases) {
    auto d = ParseDuration(c.text);
    EXPECT_EQ(d.has_value(), c.ok) << c.text;
    if (c.ok && d) {
      EXPECT_EQ(d->count(), c.ms) << c.text;
    }
  }
}

TEST(ConfigTest, ParseBytesTable) {
  struct Case { const char* text; int64_t bytes; bool ok; };
  const Case cases[] = {
      {"512", 512, true},        {"64KiB", 65536, true}, {"10MiB", 10 << 20, true},
      {"1GiB", 1 << 30, true},   {"10MB", 10000000, true}, {"1 KB", 1000, true},
      {"lots", 0, false},        {"5XB", 0, false},
  };
  for (const auto& c : cases) {
    auto b = ParseBytes(c.text);
    EXPECT_EQ(b.has_value(), c.ok) << c.text;
    if (c.ok && b) {
      EXPECT_EQ(*b, c.bytes) << c.text;
    }
  }
}

TEST(ConfigTest, ParseArgsHandlesBothFlagForms) {
  const char* argv[] = {"prog", "--config", "a.yaml", "--kafka.brokers=x:1", "--check-config",
                        "file.html", "--help"};
  auto args = ParseArgs(7, const_cast<char**>(argv), 1, {"check-config", "help"});
  ASSERT_EQ(args.flags.size(), 4u);
  EXPECT_EQ(args.flags[0], (std::pair<std::string, std::string>{"config", "a.yaml"}));
  EXPECT_EQ(args.flags[1], (std::pair<std::string, std::string>{"kafka.brokers", "x:1"}));
  EXPECT_EQ(args.flags[2], (std::pair<std::string, std::string>{"check-config", "true"}));
  EXPECT_EQ(args.positional, std::vector<std::string>{"file.html"});
}

}  // namespace
}  // namespace crawlstream
