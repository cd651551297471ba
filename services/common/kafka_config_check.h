// Checks a Kafka configuration the way the start will use it, so that
// --check-config refuses what the start would refuse, and names our key.
//
// CheckKafkaOptions() sets every property a producer and a consumer would
// get (kafka_options.h) on an rd_kafka_conf_t, then creates the client
// with no bootstrap servers: librdkafka then runs its checks between
// properties (e.g. message.timeout.ms > linger.ms) and loads the TLS files
// named in kafka.extra, but opens no connection. Its log lines are
// discarded; its verdict is returned naming the keys behind the
// properties it mentions. kafka.extra values may hold line breaks only
// for *.pem properties.
//
// CheckTopicNames() refuses names Kafka refuses (empty, longer than 249,
// characters other than [A-Za-z0-9._-], "." and "..") and two keys naming
// the same topic.
//
// Both collect every error, one per line. Thread-compatible; run once at
// start.
#pragma once

#include "services/common/kafka_options.h"
#include "services/common/result.h"

namespace crawlstream {

Status CheckKafkaOptions(const KafkaOptions& options);
Status CheckTopicNames(const TopicNames& topics);

}  // namespace crawlstream
