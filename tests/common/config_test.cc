#include "services/common/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

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
  std::string user_agent = "crawlstream";
  std::vector<std::string> extra;
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
  c.Bind("fetcher.user_agent", &s->user_agent, "User-Agent");
  c.Bind("kafka.extra", &s->extra, "extra", TextRule::kMultiLine);
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

// Header injection: every string and list value refuses control
// characters, from every source, and the error names the key.
TEST(ConfigTest, ControlCharactersAreRefusedFromEverySource) {
  struct Case {
    const char* name;
    std::string yaml;
    std::string env;
    std::vector<std::pair<std::string, std::string>> flags;
    const char* expected;
  };
  const Case cases[] = {
      {"flag", "", "", {{"fetcher.user_agent", "crawlstream\r\nX-Injected: yes"}},
       "flag --fetcher.user_agent: fetcher.user_agent=\"crawlstream\\r\\nX-Injected: yes\": "
       "control character U+000D at byte 11"},
      {"environment", "", "CRAWLSTREAM_FETCHER_USER_AGENT=a\nb", {},
       "environment CRAWLSTREAM_FETCHER_USER_AGENT: fetcher.user_agent=\"a\\nb\": control character U+000A"},
      {"yaml scalar", "fetcher:\n  user_agent: \"a\\x00b\"\n", "", {},
       "fetcher.user_agent=\"a\\x00b\": control character U+0000"},
      {"yaml list item", "fetcher:\n  allow_cidrs: [\"10.0.0.0/8\\r\"]\n", "", {},
       "fetcher.allow_cidrs[0]=\"10.0.0.0/8\\r\": control character U+000D"},
      {"list flag", "", "", {{"fetcher.allow_cidrs", "10.0.0.0/8,\x7f"}},
       "fetcher.allow_cidrs=\"10.0.0.0/8,\\x7f\": control character U+007F"},
      {"multi-line key, other control", "", "", {{"kafka.extra", "a=\x01"}},
       "kafka.extra=\"a=\\x01\": control character U+0001"},
  };
  for (const auto& tc : cases) {
    Settings s;
    Config c = MakeConfig(&s);
    std::string env = tc.env;
    char* environ_block[] = {env.empty() ? nullptr : env.data(), nullptr};
    auto st = c.LoadText(tc.yaml, "test.yaml", environ_block, tc.flags);
    ASSERT_FALSE(st) << tc.name;
    EXPECT_NE(st.error().message.find(tc.expected), std::string::npos)
        << tc.name << ": " << st.error().message;
    EXPECT_EQ(s.user_agent, "crawlstream") << tc.name;
  }
}

TEST(ConfigTest, MultiLineKeysAcceptLineBreaks) {
  Settings s;
  Config c = MakeConfig(&s);
  auto st = c.LoadText("kafka:\n  extra:\n    - \"ssl.ca.pem=-----BEGIN\\nAAAA\\n-----END\"\n",
                       "test.yaml", nullptr, {});
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(s.extra, std::vector<std::string>{"ssl.ca.pem=-----BEGIN\nAAAA\n-----END"});
}

TEST(ConfigTest, YamlListItemThatIsAMappingNamesTheKey) {
  Settings s;
  Config c = MakeConfig(&s);
  auto st = c.LoadText("fetcher:\n  allow_cidrs:\n    - 10.0.0.0/8\n    - cidr: 127.0.0.1/32\n",
                       "list.yaml", nullptr, {});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("list.yaml: fetcher.allow_cidrs[1]"), std::string::npos)
      << st.error().message;
  EXPECT_NE(st.error().message.find("must be a single value, got a mapping"), std::string::npos)
      << st.error().message;
}

TEST(ConfigTest, YamlValueThatIsAMappingUnderAListKeyNamesTheKey) {
  Settings s;
  Config c = MakeConfig(&s);
  auto st = c.LoadText("fetcher:\n  allow_cidrs:\n    - [a, b]\n", "nested.yaml", nullptr, {});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("fetcher.allow_cidrs[0]"), std::string::npos)
      << st.error().message;
}

// Ten levels of ten aliases each: 10^10 leaves if expanded.
TEST(ConfigTest, YamlAliasBombIsRefusedWithOneShortError) {
  std::string yaml = "l0: &l0 {k0: v, k1: v, k2: v, k3: v, k4: v, k5: v, k6: v, k7: v, k8: v, k9: v}\n";
  for (int level = 1; level < 10; ++level) {
    std::string prev = "*l" + std::to_string(level - 1);
    yaml += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " {";
    for (int i = 0; i < 10; ++i) {
      yaml += (i ? ", " : "") + std::string("a") + std::to_string(i) + ": " + prev;
    }
    yaml += "}\n";
  }
  Settings s;
  Config c = MakeConfig(&s);
  auto st = c.LoadText(yaml, "bomb.yaml", nullptr, {});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("aliases"), std::string::npos) << st.error().message;
  EXPECT_LT(st.error().message.size(), 300u) << st.error().message;
}

TEST(ConfigTest, OversizeYamlDocumentIsRefused) {
  std::string yaml = "kafka:\n  brokers: a:1\n# " + std::string(kMaxYamlBytes, 'x') + "\n";
  Settings s;
  Config c = MakeConfig(&s);
  auto st = c.LoadText(yaml, "big.yaml", nullptr, {});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("big.yaml"), std::string::npos);
  EXPECT_NE(st.error().message.find("bytes, more than the"), std::string::npos)
      << st.error().message;
}

TEST(ConfigTest, OnlyTheFirstErrorsAreListed) {
  std::string yaml = "fetcher:\n";
  for (int i = 0; i < 500; ++i) yaml += "  unknown" + std::to_string(i) + ": 1\n";
  Settings s;
  Config c = MakeConfig(&s);
  auto st = c.LoadText(yaml, "many.yaml", nullptr, {});
  ASSERT_FALSE(st);
  const std::string& m = st.error().message;
  EXPECT_EQ(static_cast<size_t>(std::count(m.begin(), m.end(), '\n')), kMaxReportedErrors + 1) << m;
  EXPECT_NE(m.find("... and " + std::to_string(500 - kMaxReportedErrors) + " more errors"),
            std::string::npos)
      << m;
}

TEST(ConfigTest, MisspeltSectionInEnvironmentWarnsWithSuggestion) {
  Settings s;
  Config c = MakeConfig(&s);
  std::string misspelt = "CRAWLSTREAM_FETCHR_DELAY=1s";
  std::string tooling = "CRAWLSTREAM_SOURCE_DIR=/src";
  std::string other_service = "CRAWLSTREAM_EXTRACTOR_WORKERS=2";
  char* env[] = {misspelt.data(), tooling.data(), other_service.data(), nullptr};
  auto st = c.LoadText("", "test", env, {});
  ASSERT_TRUE(st) << st.error().message;
  ASSERT_EQ(c.warnings().size(), 1u);
  EXPECT_EQ(c.warnings()[0],
            "environment CRAWLSTREAM_FETCHR_DELAY matches no configuration key; ignored "
            "(did you mean CRAWLSTREAM_FETCHER_DELAY?)");
  EXPECT_EQ(s.delay, milliseconds(1000));
}

TEST(ConfigTest, StrayVariableFarFromAnyKeyWarnsWithoutSuggestion) {
  Settings s;
  Config c = MakeConfig(&s);
  std::string stray = "CRAWLSTREAM_SOMETHING_ELSE_ENTIRELY=1";
  char* env[] = {stray.data(), nullptr};
  ASSERT_TRUE(c.LoadText("", "test", env, {}));
  ASSERT_EQ(c.warnings().size(), 1u);
  EXPECT_EQ(c.warnings()[0].find("did you mean"), std::string::npos) << c.warnings()[0];
}

}  // namespace
}  // namespace crawlstream
