#include "services/common/kafka_options.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "services/common/config.h"

namespace crawlstream {
namespace {

// The librdkafka properties this project derives from its keys.
constexpr std::pair<std::string_view, std::string_view> kPropertyKeys[] = {
    {"bootstrap.servers", "kafka.brokers"},
    {"client.id", "kafka.client_id"},
    {"group.id", "kafka.group_id"},
    {"compression.codec", "kafka.compression"},
    {"linger.ms", "kafka.linger"},
    {"message.max.bytes", "kafka.max_message_bytes"},
    {"fetch.message.max.bytes", "kafka.max_message_bytes"},
    {"delivery.timeout.ms", "kafka.delivery_timeout"},
    {"message.timeout.ms", "kafka.delivery_timeout"},  // librdkafka's alias
    {"queue.buffering.max.kbytes", "kafka.producer_queue_bytes"},
    {"session.timeout.ms", "kafka.session_timeout"},
    {"heartbeat.interval.ms", "kafka.session_timeout"},  // a third of it
    {"transactional.id", "kafka.transactional_id"},
    {"transaction.timeout.ms", "kafka.transaction_timeout"},
};

KafkaProperty Derived(std::string name, std::string value) {
  std::string key(KeyOfKafkaProperty(name));
  return {std::move(name), std::move(value), std::move(key)};
}

// A kafka.extra_file larger than this is refused (a properties file is a
// few hundred bytes; PEM blocks belong in ssl.*.location files).
constexpr size_t kMaxExtraFileBytes = 1 << 20;

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

// Whether `s` from `pos` is optional spaces, a property name and '='.
bool StartsProperty(const std::string& s, size_t pos) {
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
  if (pos >= s.size() || !std::isalpha(static_cast<unsigned char>(s[pos]))) return false;
  while (pos < s.size() && IsNameChar(s[pos])) ++pos;
  return pos < s.size() && s[pos] == '=';
}

// Whether `s` from `pos` holds only commas and spaces: trailing commas
// separate (as they did before), they do not end a value.
bool OnlySeparators(const std::string& s, size_t pos) {
  return s.find_first_not_of(", \t", pos) == std::string::npos;
}

Status AddItems(const std::vector<std::string>& items, const std::string& key,
                std::vector<KafkaProperty>* props) {
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string& e = items[i];
    auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Fail(ErrorCode::kInvalidArgument,
                  key + "[" + std::to_string(i) +
                      "]: expected name=value (e.g. security.protocol=ssl); the item is not shown");
    }
    props->push_back({e.substr(0, eq), e.substr(eq + 1), key});
  }
  return Ok();
}

}  // namespace

std::vector<std::string> SplitKafkaExtra(const std::string& raw) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= raw.size(); ++i) {
    if (i < raw.size() && (raw[i] != ',' || !(StartsProperty(raw, i + 1) || OnlySeparators(raw, i)))) {
      continue;
    }
    std::string item = Trim(std::string_view(raw).substr(start, i - start));
    if (!item.empty()) out.push_back(std::move(item));
    start = i + 1;
  }
  return out;
}

Result<std::vector<std::string>> ParseKafkaExtraFile(const std::string& text,
                                                     const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#') continue;
    auto eq = t.find('=');
    std::string name = eq == std::string::npos ? "" : Trim(std::string_view(t).substr(0, eq));
    bool good_name = !name.empty() && std::all_of(name.begin(), name.end(), IsNameChar);
    if (!good_name) {
      return Fail(ErrorCode::kInvalidArgument,
                  "kafka.extra_file " + path + ":" + std::to_string(n) +
                      ": expected name=value; the line is not shown");
    }
    for (char ch : t) {
      auto c = static_cast<unsigned char>(ch);
      if (c < 0x20 || c == 0x7f) {
        return Fail(ErrorCode::kInvalidArgument,
                    "kafka.extra_file " + path + ":" + std::to_string(n) + ": " + name +
                        ": control character in the value (PEM blocks belong in files named by "
                        "ssl.*.location)");
      }
    }
    out.push_back(name + "=" + Trim(std::string_view(t).substr(eq + 1)));
  }
  return out;
}

bool IsSecretKafkaProperty(std::string_view name) {
  std::string n(name);
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n.starts_with("sasl.") || n.starts_with("sasl_")) return true;
  // "pass", "word": misspellings of password too ("pasword", "passwd").
  for (std::string_view part : {"pass", "word", "pwd", "secret", "token", "key", "cred"}) {
    if (n.find(part) != std::string::npos) return true;
  }
  return n.ends_with(".pem");
}

std::string ShowKafkaProperty(const KafkaProperty& p) {
  if (IsSecretKafkaProperty(p.name)) return p.name + "=<redacted>";
  return p.name + "=\"" + p.value + "\"";
}

std::string RedactKafkaSecrets(std::string text, const std::vector<KafkaProperty>& props) {
  for (const auto& p : props) {
    if (p.value.empty() || !IsSecretKafkaProperty(p.name)) continue;
    for (size_t pos = 0; (pos = text.find(p.value, pos)) != std::string::npos;) {
      text.replace(pos, p.value.size(), "<redacted>");
      pos += std::string_view("<redacted>").size();
    }
  }
  return text;
}

std::string_view KeyOfKafkaProperty(std::string_view property) {
  for (const auto& [name, key] : kPropertyKeys) {
    if (name == property) return key;
  }
  return "kafka.extra";
}

Result<std::vector<KafkaProperty>> BaseKafkaProperties(const KafkaOptions& o) {
  std::vector<KafkaProperty> props = {Derived("bootstrap.servers", o.brokers),
                                      Derived("client.id", o.client_id)};
  if (!o.extra_file.empty()) {
    std::ifstream in(o.extra_file, std::ios::binary);
    if (!in) {
      return Fail(ErrorCode::kNotFound, "kafka.extra_file " + o.extra_file + ": cannot be read");
    }
    std::string text(kMaxExtraFileBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxExtraFileBytes) {
      return Fail(ErrorCode::kInvalidArgument,
                  "kafka.extra_file " + o.extra_file + ": larger than 1 MiB");
    }
    auto items = ParseKafkaExtraFile(text, o.extra_file);
    if (!items) return std::unexpected(items.error());
    if (auto st = AddItems(*items, "kafka.extra_file", &props); !st) return std::unexpected(st.error());
  }
  if (auto st = AddItems(o.extra, "kafka.extra", &props); !st) return std::unexpected(st.error());
  return props;
}

int64_t ProducerQueueBytes(const KafkaOptions& o) {
  return std::max(o.producer_queue_bytes, o.max_message_bytes + kKafkaFramingBytes);
}

std::vector<KafkaProperty> ProducerProperties(const KafkaOptions& o,
                                              const std::string& transactional_id) {
  // librdkafka refuses a delivery timeout above the transaction's.
  auto delivery = o.delivery_timeout;
  if (!transactional_id.empty()) delivery = std::min(delivery, o.transaction_timeout);
  std::vector<KafkaProperty> props = {
      Derived("enable.idempotence", "true"),
      Derived("acks", "all"),
      Derived("compression.codec", o.compression),
      Derived("linger.ms", std::to_string(o.linger.count())),
      Derived("message.max.bytes", std::to_string(o.max_message_bytes + kKafkaFramingBytes)),
      Derived("delivery.timeout.ms", std::to_string(delivery.count())),
      Derived("queue.buffering.max.kbytes", std::to_string((ProducerQueueBytes(o) + 1023) / 1024))};
  if (!transactional_id.empty()) {
    props.push_back(Derived("transactional.id", transactional_id));
    props.push_back(Derived("transaction.timeout.ms", std::to_string(o.transaction_timeout.count())));
  }
  return props;
}

std::string TransactionalId(const KafkaOptions& o) {
  if (!o.exactly_once) return "";
  if (!o.transactional_id.empty()) return o.transactional_id;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "localhost");
  return o.group_id + "-" + host + "-" + std::to_string(getpid());
}

std::vector<KafkaProperty> ConsumerProperties(const KafkaOptions& o) {
  int64_t heartbeat = std::max<int64_t>(o.session_timeout.count() / 3, 100);
  return {Derived("group.id", o.group_id),
          Derived("enable.auto.commit", "false"),
          Derived("enable.auto.offset.store", "false"),
          Derived("auto.offset.reset", "earliest"),
          // Incremental rebalances: a scale step moves only the partitions
          // it must (kafka_consumer.h).
          Derived("partition.assignment.strategy", "cooperative-sticky"),
          // The group's join state, so that periodic commits wait while a
          // rebalance is in progress (kafka_consumer.h).
          Derived("statistics.interval.ms", "250"),
          Derived("enable.partition.eof", "false"),
          Derived("session.timeout.ms", std::to_string(o.session_timeout.count())),
          Derived("heartbeat.interval.ms", std::to_string(heartbeat)),
          Derived("fetch.message.max.bytes",
                  std::to_string(o.max_message_bytes + kKafkaFramingBytes))};
}

void BindKafkaOptions(Config* c, KafkaOptions* o) {
  using std::chrono::milliseconds;
  c->Bind("kafka.brokers", &o->brokers,
          "Kafka bootstrap servers, host:port[,host:port...]");
  c->Bind("kafka.client_id", &o->client_id, "client.id sent to the brokers");
  c->Bind("kafka.group_id", &o->group_id, "consumer group of this service");
  c->BindEnum("kafka.compression", &o->compression, "producer compression codec",
              {"none", "gzip", "snappy", "lz4", "zstd"});
  c->Bind("kafka.linger", &o->linger, "producer batching delay",
          milliseconds(0), milliseconds(60'000));
  c->BindBytes("kafka.max_message_bytes", &o->max_message_bytes,
               "largest record produced; larger outputs are dead-lettered",
               1024, kMaxMessageBytes);
  c->Bind("kafka.session_timeout", &o->session_timeout,
          "consumer group session timeout (brokers refuse less than 6s by default)",
          kMinSessionTimeout, milliseconds(300'000));
  c->Bind("kafka.commit_interval", &o->commit_interval,
          "how often acknowledged input offsets are committed",
          milliseconds(10), milliseconds(60'000));
  c->Bind("kafka.delivery_timeout", &o->delivery_timeout,
          "time a produced record may take to be acknowledged",
          milliseconds(1'000), milliseconds(3'600'000));
  c->BindBytes("kafka.producer_queue_bytes", &o->producer_queue_bytes,
               "records held by the producer awaiting acknowledgement; when full, intake "
               "pauses (raised to kafka.max_message_bytes + 64KiB when below)",
               1 << 20, int64_t{2047} << 30);
  c->Bind("kafka.exactly_once", &o->exactly_once,
          "extractor and dedup: transactional producer, input offsets committed in the "
          "transaction (exactly-once per stage; needs a real broker)");
  c->Bind("kafka.transactional_id", &o->transactional_id,
          "transactional.id with kafka.exactly_once (default <group_id>-<hostname>-<pid>)");
  c->Bind("kafka.transaction_timeout", &o->transaction_timeout,
          "transactions open longer are aborted by the broker; caps kafka.delivery_timeout",
          milliseconds(1'000), milliseconds(900'000));
  c->Bind("kafka.extra", &o->extra,
          "extra librdkafka properties as name=value (security.protocol, sasl.*, ssl.*; "
          "line breaks only in *.pem values; a comma separates items only before name=)",
          TextRule::kMultiLine);
  c->MarkSecret("kafka.extra");
  c->SetListSplitter("kafka.extra", SplitKafkaExtra);
  c->Bind("kafka.extra_file", &o->extra_file,
          "file of librdkafka properties, one name=value per line (# comments), applied "
          "before kafka.extra: credentials mounted from a Secret");
}

void BindTopics(Config* c, TopicNames* t) {
  c->Bind("topics.requests", &t->requests, "crawl requests (key: host)");
  c->Bind("topics.pages", &t->pages, "fetched pages (key: URL)");
  c->Bind("topics.extracted", &t->extracted, "extracted articles (key: article id)");
  c->Bind("topics.articles", &t->articles, "published articles, compacted (key: article id)");
  c->Bind("topics.duplicates", &t->duplicates, "duplicate decisions (key: article id)");
  c->Bind("topics.deadletter", &t->deadletter, "records a stage gave up on");
  c->Bind("topics.state", &t->state,
          "the fetcher's crawl state, compacted, as many partitions as topics.requests (key: URL)");
  c->Bind("topics.partitions", &t->partitions,
          "partitions per topic when the development broker creates them", 1, 1024);
}

}  // namespace crawlstream
