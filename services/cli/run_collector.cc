#include "services/cli/run_collector.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string_view>

#include "crawlstream/v1/article.pb.h"
#include "crawlstream/v1/duplicate.pb.h"
#include "services/common/article_json.h"
#include "services/common/kafka_producer.h"

namespace crawlstream {

using namespace std::chrono_literals;

RunCollector::RunCollector(std::string out_path, std::string duplicates_path)
    : out_path_(std::move(out_path)), dup_path_(std::move(duplicates_path)) {}

RunCollector::~RunCollector() { Stop(); }

Status RunCollector::Start(const KafkaOptions& kafka, const TopicNames& topics) {
  topics_ = topics;
  auto conf = MakeKafkaConf(kafka, {{"group.id", "crawlstream-run-collector"},
                                    {"enable.auto.commit", "false"},
                                    {"fetch.message.max.bytes",
                                     std::to_string(kafka.max_message_bytes + kKafkaFramingBytes)}});
  if (!conf) return std::unexpected(conf.error());
  char err[512];
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, static_cast<rd_kafka_conf_t*>(*conf), err, sizeof err);
  if (!rk_) {
    rd_kafka_conf_destroy(static_cast<rd_kafka_conf_t*>(*conf));
    return Fail(ErrorCode::kInvalidArgument, std::string("collector: ") + err);
  }
  auto* list = rd_kafka_topic_partition_list_new(16);
  for (const auto& topic : {topics.articles, topics.duplicates, topics.deadletter}) {
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
    auto e = rd_kafka_metadata(rk_, 0, rkt, &md, 10000);
    rd_kafka_topic_destroy(rkt);
    if (e || !md || md->topic_cnt != 1 || md->topics[0].err) {
      if (md) rd_kafka_metadata_destroy(md);
      rd_kafka_topic_partition_list_destroy(list);
      return Fail(ErrorCode::kUnavailable, "collector: no metadata for " + topic);
    }
    for (int p = 0; p < md->topics[0].partition_cnt; ++p) {
      int64_t lo = 0, hi = 0;
      rd_kafka_query_watermark_offsets(rk_, topic.c_str(), p, &lo, &hi, 10000);
      rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = hi;
    }
    rd_kafka_metadata_destroy(md);
  }
  rd_kafka_assign(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
  thread_ = std::thread([this] { Loop(); });
  return Ok();
}

void RunCollector::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (rk_) {
    rd_kafka_consumer_close(rk_);
    rd_kafka_destroy(rk_);
    rk_ = nullptr;
  }
  Write();
}

size_t RunCollector::canonical() const {
  std::lock_guard lock(mu_);
  return live_.size();
}

void RunCollector::Loop() {
  auto next_write = std::chrono::steady_clock::now() + 1s;
  while (!stop_.load()) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 100);
    if (m) {
      if (!m->err) Handle(m);
      rd_kafka_message_destroy(m);
    }
    if (std::chrono::steady_clock::now() > next_write) {
      Write();
      next_write = std::chrono::steady_clock::now() + 1s;
    }
  }
}

void RunCollector::Handle(rd_kafka_message_t* m) {
  std::string topic = rd_kafka_topic_name(m->rkt);
  std::string key = m->key ? std::string(static_cast<char*>(m->key), m->key_len) : "";
  std::string_view value = m->payload ? std::string_view(static_cast<char*>(m->payload), m->len)
                                      : std::string_view();
  std::lock_guard lock(mu_);
  if (topic == topics_.articles) {
    if (value.empty()) {
      ++tombstones_;
      live_.erase(key);
    } else {
      crawlstream::v1::Article a;
      if (a.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
        ++articles_;
        if (!live_.contains(a.id())) order_.push_back(a.id());
        live_[a.id()] = MessageToJsonLine(a);
      }
    }
    dirty_ = true;
  } else if (topic == topics_.duplicates) {
    crawlstream::v1::Duplicate d;
    if (d.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      ++duplicates_;
      dup_lines_.push_back(MessageToJsonLine(d));
      dirty_ = true;
    }
  } else {
    ++dead_letters_;
  }
}

// Rewrites both files atomically (the canonical set changes when a better
// canonical replaces an earlier one).
void RunCollector::Write() {
  std::lock_guard lock(mu_);
  if (!dirty_) return;
  dirty_ = false;
  auto write = [](const std::string& path, const std::vector<std::string>& lines) {
    if (path.empty()) return;
    std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      for (const auto& l : lines) out << l << '\n';
    }
    std::rename(tmp.c_str(), path.c_str());
  };
  std::vector<std::string> lines;
  for (const auto& id : order_) {
    auto it = live_.find(id);
    if (it != live_.end()) lines.push_back(it->second);
  }
  write(out_path_, lines);
  write(dup_path_, dup_lines_);
}

}  // namespace crawlstream
