// What to do about a librdkafka error: the retry / dead-letter / fatal
// policy of the whole project, in one place (kafka_errors.cc).
#pragma once

#include <string_view>

namespace crawlstream {

enum class KafkaErrorClass {
  kNone,        // not a failure (no error, partition EOF, rebalance events)
  kRetry,       // transient: redo later; do not commit the input offset
  kDeadLetter,  // this record can never succeed: dead-letter it, move on
  kFatal,       // the process cannot make progress: exit non-zero
};

// `code` is an rd_kafka_resp_err_t value.
KafkaErrorClass ClassifyKafkaError(int code);
std::string_view KafkaErrorClassName(KafkaErrorClass c);

}  // namespace crawlstream
