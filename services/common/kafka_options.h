// Kafka settings shared by every service, and their config keys.
//
// BindKafkaOptions/BindTopics add the `kafka.*` and `topics.*` keys to a
// Config (see config.h) so that every service reads them the same way.
// ProducerProperties/ConsumerProperties turn the options into the
// librdkafka properties the clients are created with, each with the key it
// comes from, so that an error about a property names our key.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "services/common/result.h"

namespace crawlstream {

class Config;

struct KafkaOptions {
  // Comma-separated host:port list. Empty means "no brokers given": the CLI
  // starts the development broker; services refuse to start.
  std::string brokers;
  std::string client_id = "crawlstream";
  // Consumer group of this service (services set their own default).
  std::string group_id;
  std::string compression = "lz4";  // none, gzip, snappy, lz4, zstd
  std::chrono::milliseconds linger{20};
  // Largest record the producer sends; bigger outputs are dead-lettered.
  // At most kMaxMessageBytes.
  int64_t max_message_bytes = 8 << 20;
  // At least kMinSessionTimeout.
  std::chrono::milliseconds session_timeout{10'000};
  std::chrono::milliseconds commit_interval{1'000};
  // How long a delivery may take before the producer reports it failed.
  std::chrono::milliseconds delivery_timeout{120'000};
  // Bytes of records the producer holds before the broker acknowledges
  // them (queue.buffering.max.kbytes, rounded up to KiB; librdkafka's own
  // default is 1 GiB). A full queue is back-pressure: Producer::TryProduce
  // says so at once (kafka_producer.h). Raised to hold the largest record
  // (ProducerQueueBytes).
  int64_t producer_queue_bytes = int64_t{64} << 20;
  // Extra librdkafka properties as "name=value" (security.protocol,
  // sasl.*, ssl.*, ...). Applied to producers and consumers, after those
  // of extra_file (so they win). In the environment or a flag the items
  // are separated by commas, but a comma starts a new item only when
  // "name=" follows it (SplitKafkaExtra): a password may hold commas.
  std::vector<std::string> extra;
  // A file of librdkafka properties, one "name=value" per line (blank
  // lines and lines starting with # skipped; name and value trimmed), read
  // when a client is created: credentials mounted from a Kubernetes
  // Secret stay out of the environment and of every ConfigMap.
  std::string extra_file;
  // Exactly-once per stage (the extractor and dedup; kafka_transaction.h):
  // a transactional producer whose transactions carry the input offsets,
  // so that an input's outputs and its committed offset become visible
  // together or not at all. Off: idempotent producer, at-least-once. On by
  // default (its cost is within the noise, BENCHMARKS.md); `crawlstream
  // run` turns it off on its development broker, which is not trusted
  // with transactions (set it false against `crawlstream broker` too).
  bool exactly_once = true;
  // transactional.id; empty = "<group_id>-<hostname>-<pid>" (unique per
  // process; a restarted pod keeps its hostname and, as PID 1, its id, so
  // it fences and aborts its predecessor's open transaction at once).
  std::string transactional_id;
  // A transaction not committed within this is aborted by the broker (a
  // stage killed mid-transaction holds back read_committed consumers of
  // its partitions at most this long). Also caps kafka.delivery_timeout.
  std::chrono::milliseconds transaction_timeout{30'000};
};

struct TopicNames {
  std::string requests = "crawl.requests";
  std::string pages = "crawl.pages";
  std::string extracted = "articles.extracted";
  std::string articles = "articles";
  std::string duplicates = "articles.duplicates";
  std::string deadletter = "crawl.deadletter";
  // The fetcher's crawl-state changelog (compacted, co-partitioned with
  // requests; services/fetcher/state_store.h).
  std::string state = "crawl.state";
  // Partition count used when the development broker creates the topics.
  // The development broker keeps only a few MB per partition in memory
  // (older records are dropped), so more partitions let a local crawl of
  // tens of thousands of pages stay whole while a stage lags behind.
  int64_t partitions = 16;
};

// Clients ask for max_message_bytes plus this much room for the record
// batch framing (message.max.bytes, fetch.message.max.bytes).
inline constexpr int64_t kKafkaFramingBytes = 65536;
// librdkafka allows message.max.bytes and fetch.message.max.bytes up to
// 1,000,000,000; with the framing room that leaves a little under 954 MiB.
// 512 MiB is far above any page or article (the default is 8 MiB).
inline constexpr int64_t kMaxMessageBytes = int64_t{512} << 20;
// Kafka brokers refuse shorter sessions by default
// (group.min.session.timeout.ms = 6 s); against the development broker a
// 1 s session kept the group rebalancing and the pipeline stalled.
inline constexpr std::chrono::milliseconds kMinSessionTimeout{6'000};

void BindKafkaOptions(Config* config, KafkaOptions* options);
void BindTopics(Config* config, TopicNames* topics);

// A librdkafka property and the configuration key it comes from.
struct KafkaProperty {
  std::string name;
  std::string value;
  std::string key;  // "kafka.linger" for linger.ms; "kafka.extra" for extras
};

// bootstrap.servers, client.id, kafka.extra_file and kafka.extra: what
// every client gets. Fails naming the key (and the file's line) when an
// item is not name=value, or the file cannot be read; the item itself is
// not shown (it may be the piece of a password).
Result<std::vector<KafkaProperty>> BaseKafkaProperties(const KafkaOptions& options);

// kafka.extra from the environment or a flag: split at the commas that
// are followed by "name=" (optional spaces, then a property name:
// letters, digits, '.', '_', '-') or only commas and spaces, items
// trimmed, empty ones dropped. "sasl.password=a,b,security.protocol=ssl"
// is two items. A value that itself holds ",name=" or ends in a comma must
// come from kafka.extra_file or a YAML list.
std::vector<std::string> SplitKafkaExtra(const std::string& raw);
// The lines of a kafka.extra_file as "name=value" items; `path` names the
// file in errors (by line number, without the line's text).
Result<std::vector<std::string>> ParseKafkaExtraFile(const std::string& text,
                                                     const std::string& path);

// Whether a property's value is a credential, never logged nor put in an
// error: every sasl.* property, ssl.*password*, and any name with
// "pass", "word", "pwd", "secret", "token", "key", "cred" or ending in
// ".pem" (case-insensitive; misspellings such as "pasword" included).
bool IsSecretKafkaProperty(std::string_view name);
// name="value", or name=<redacted> for a secret property.
std::string ShowKafkaProperty(const KafkaProperty& property);
// `text` (e.g. librdkafka's error message) with every value of a secret
// property in `properties` replaced by <redacted>.
std::string RedactKafkaSecrets(std::string text, const std::vector<KafkaProperty>& properties);
// The producer queue bound in use: kafka.producer_queue_bytes, raised to
// kafka.max_message_bytes + kKafkaFramingBytes when below (the queue must
// hold the largest record, or it would be full for it forever).
int64_t ProducerQueueBytes(const KafkaOptions& options);
// What Producer::Create and Consumer::Create add to the base.
// `transactional_id` non-empty: a transactional producer
// (transactional.id, transaction.timeout.ms; the delivery timeout capped
// by the transaction's).
std::vector<KafkaProperty> ProducerProperties(const KafkaOptions& options,
                                              const std::string& transactional_id = "");
// The transactional.id a stage's producer uses: "" unless
// kafka.exactly_once, else kafka.transactional_id or
// "<group_id>-<hostname>-<pid>".
std::string TransactionalId(const KafkaOptions& options);
std::vector<KafkaProperty> ConsumerProperties(const KafkaOptions& options);
// The configuration key behind a librdkafka property this project sets,
// or "kafka.extra" for any other.
std::string_view KeyOfKafkaProperty(std::string_view property);

}  // namespace crawlstream
