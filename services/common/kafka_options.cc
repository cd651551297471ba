#include "services/common/kafka_options.h"

#include <algorithm>

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
    {"session.timeout.ms", "kafka.session_timeout"},
    {"heartbeat.interval.ms", "kafka.session_timeout"},  // a third of it
};

KafkaProperty Derived(std::string name, std::string value) {
  std::string key(KeyOfKafkaProperty(name));
  return {std::move(name), std::move(value), std::move(key)};
}

}  // namespace

std::string_view KeyOfKafkaProperty(std::string_view property) {
  for (const auto& [name, key] : kPropertyKeys) {
    if (name == property) return key;
  }
  return "kafka.extra";
}

Result<std::vector<KafkaProperty>> BaseKafkaProperties(const KafkaOptions& o) {
  std::vector<KafkaProperty> props = {Derived("bootstrap.servers", o.brokers),
                                      Derived("client.id", o.client_id)};
  for (const auto& e : o.extra) {
    auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Fail(ErrorCode::kInvalidArgument,
                  "kafka.extra=\"" + e + "\": expected name=value (e.g. security.protocol=ssl)");
    }
    props.push_back({e.substr(0, eq), e.substr(eq + 1), "kafka.extra"});
  }
  return props;
}

std::vector<KafkaProperty> ProducerProperties(const KafkaOptions& o) {
  return {Derived("enable.idempotence", "true"),
          Derived("acks", "all"),
          Derived("compression.codec", o.compression),
          Derived("linger.ms", std::to_string(o.linger.count())),
          Derived("message.max.bytes", std::to_string(o.max_message_bytes + kKafkaFramingBytes)),
          Derived("delivery.timeout.ms", std::to_string(o.delivery_timeout.count()))};
}

std::vector<KafkaProperty> ConsumerProperties(const KafkaOptions& o) {
  int64_t heartbeat = std::max<int64_t>(o.session_timeout.count() / 3, 100);
  return {Derived("group.id", o.group_id),
          Derived("enable.auto.commit", "false"),
          Derived("enable.auto.offset.store", "false"),
          Derived("auto.offset.reset", "earliest"),
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
  c->Bind("kafka.extra", &o->extra,
          "extra librdkafka properties as name=value (security.protocol, sasl.*, ssl.*; "
          "line breaks only in *.pem values)",
          TextRule::kMultiLine);
}

void BindTopics(Config* c, TopicNames* t) {
  c->Bind("topics.requests", &t->requests, "crawl requests (key: host)");
  c->Bind("topics.pages", &t->pages, "fetched pages (key: URL)");
  c->Bind("topics.extracted", &t->extracted, "extracted articles (key: article id)");
  c->Bind("topics.articles", &t->articles, "published articles, compacted (key: article id)");
  c->Bind("topics.duplicates", &t->duplicates, "duplicate decisions (key: article id)");
  c->Bind("topics.deadletter", &t->deadletter, "records a stage gave up on");
  c->Bind("topics.partitions", &t->partitions,
          "partitions per topic when the development broker creates them", 1, 1024);
}

}  // namespace crawlstream
