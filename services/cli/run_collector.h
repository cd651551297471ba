// The collector of `crawlstream run`: reads articles, duplicates and dead
// letters from the offsets those topics had when it started, keeps the
// canonical article set (a later article with the same id replaces the
// earlier one, a tombstone removes it) and rewrites --out and
// --duplicates-out atomically about once a second and at Stop().
//
// Start() creates the consumer and one background thread; Stop() (also
// run by the destructor, so an early return cannot leave the thread
// joinable) ends the thread, closes the consumer and writes the files. The
// counters may be read from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "services/common/kafka_options.h"
#include "services/common/result.h"

namespace crawlstream {

class TopicReader;
struct ReadRecord;

class RunCollector {
 public:
  // Empty paths are not written.
  RunCollector(std::string out_path, std::string duplicates_path);
  ~RunCollector();
  RunCollector(const RunCollector&) = delete;
  RunCollector& operator=(const RunCollector&) = delete;

  Status Start(const KafkaOptions& kafka, const TopicNames& topics);
  // Idempotent.
  void Stop();

  int64_t articles() const { return articles_.load(); }
  int64_t tombstones() const { return tombstones_.load(); }
  int64_t duplicates() const { return duplicates_.load(); }
  int64_t dead_letters() const { return dead_letters_.load(); }
  size_t canonical() const;

 private:
  void Loop();
  void Handle(const ReadRecord& r);
  void Write();

  std::string out_path_, dup_path_;
  TopicNames topics_;
  std::unique_ptr<TopicReader> reader_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::map<std::string, std::string> live_;
  std::vector<std::string> order_;
  std::vector<std::string> dup_lines_;
  bool dirty_ = false;
  std::atomic<int64_t> articles_{0}, tombstones_{0}, duplicates_{0}, dead_letters_{0};
};

}  // namespace crawlstream
