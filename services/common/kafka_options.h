// Kafka settings shared by every service, and their config keys.
//
// BindKafkaOptions/BindTopics add the `kafka.*` and `topics.*` keys to a
// Config (see config.h) so that every service reads them the same way.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

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
  int64_t max_message_bytes = 8 << 20;
  std::chrono::milliseconds session_timeout{10'000};
  std::chrono::milliseconds commit_interval{1'000};
  // How long a delivery may take before the producer reports it failed.
  std::chrono::milliseconds delivery_timeout{120'000};
  // Extra librdkafka properties as "name=value" (security.protocol,
  // sasl.*, ssl.*, ...). Applied to producers and consumers.
  std::vector<std::string> extra;
};

struct TopicNames {
  std::string requests = "crawl.requests";
  std::string pages = "crawl.pages";
  std::string extracted = "articles.extracted";
  std::string articles = "articles";
  std::string duplicates = "articles.duplicates";
  std::string deadletter = "crawl.deadletter";
  // Partition count used when the development broker creates the topics.
  // The development broker keeps only a few MB per partition in memory
  // (older records are dropped), so more partitions let a local crawl of
  // tens of thousands of pages stay whole while a stage lags behind.
  int64_t partitions = 16;
};

void BindKafkaOptions(Config* config, KafkaOptions* options);
void BindTopics(Config* config, TopicNames* topics);

}  // namespace crawlstream
