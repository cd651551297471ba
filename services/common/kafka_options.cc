#include "services/common/kafka_options.h"

#include "services/common/config.h"

namespace crawlstream {

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
               1024, int64_t{1} << 30);
  c->Bind("kafka.session_timeout", &o->session_timeout,
          "consumer group session timeout", milliseconds(1'000), milliseconds(300'000));
  c->Bind("kafka.commit_interval", &o->commit_interval,
          "how often acknowledged input offsets are committed",
          milliseconds(10), milliseconds(60'000));
  c->Bind("kafka.delivery_timeout", &o->delivery_timeout,
          "time a produced record may take to be acknowledged",
          milliseconds(1'000), milliseconds(3'600'000));
  c->Bind("kafka.extra", &o->extra,
          "extra librdkafka properties as name=value (security.protocol, sasl.*, ssl.*)");
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
