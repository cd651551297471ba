#include "services/cli/run_collector.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string_view>

#include "crawlstream/v1/article.pb.h"
#include "crawlstream/v1/duplicate.pb.h"
#include "services/common/article_json.h"
#include "services/common/kafka_reader.h"

namespace crawlstream {

using namespace std::chrono_literals;

RunCollector::RunCollector(std::string out_path, std::string duplicates_path)
    : out_path_(std::move(out_path)), dup_path_(std::move(duplicates_path)) {}

RunCollector::~RunCollector() { Stop(); }

Status RunCollector::Start(const KafkaOptions& kafka, const TopicNames& topics) {
  topics_ = topics;
  auto reader = TopicReader::Create(kafka, "crawlstream-run-collector");
  if (!reader) return Fail(reader.error().code, "collector: " + reader.error().message);
  if (auto st = (*reader)->AssignAtEnd({topics.articles, topics.duplicates, topics.deadletter},
                                       std::chrono::steady_clock::now() + 30s);
      !st) {
    return Fail(st.error().code, "collector: " + st.error().message);
  }
  reader_ = std::move(*reader);
  thread_ = std::thread([this] { Loop(); });
  return Ok();
}

void RunCollector::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  reader_.reset();
  Write();
}

size_t RunCollector::canonical() const {
  std::lock_guard lock(mu_);
  return live_.size();
}

void RunCollector::Loop() {
  auto next_write = std::chrono::steady_clock::now() + 1s;
  while (!stop_.load()) {
    reader_->Poll(256, 100ms, [this](const ReadRecord& r) { Handle(r); });
    if (std::chrono::steady_clock::now() > next_write) {
      Write();
      next_write = std::chrono::steady_clock::now() + 1s;
    }
  }
}

void RunCollector::Handle(const ReadRecord& r) {
  const std::string_view topic = r.topic;
  const std::string key(r.key);
  const std::string_view value = r.value;
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
