// InflightJournal: a record that kills the process cannot kill it forever.
//
// A page that makes a worker crash (OOM kill, segfault, liveness SIGKILL)
// is redelivered after the restart, because its offset was never committed,
// and would kill the next process too. The journal is a small file listing
// the input records being processed right now (topic, partition, offset,
// crashes so far). Begin() adds a record before the Processor runs, End()
// removes it after. At Open(), whatever the file still lists was in
// progress when the previous process died: each such record's crash count
// goes up by one, and when it is delivered again with `max_crashes`
// crashes behind it, Begin() says kDeadLetter instead of letting it run
// (GuardWithJournal then dead-letters it as "poison_redelivered").
//
// Durability: the file is rewritten (pwrite + ftruncate, no fsync) on
// every Begin/End, so it survives a process crash, not a machine crash. It
// must outlive the process: /tmp is an emptyDir in deploy/ (kept across
// container restarts in the pod). One process per file: Open() takes an
// exclusive flock and fails when another live process holds it.
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "services/common/kafka_consumer.h"
#include "services/common/result.h"
#include "services/common/stage_loop.h"

namespace crawlstream {

class InflightJournal {
 public:
  enum class Verdict { kProcess, kDeadLetter };

  // Opens (creating) the journal at `path`; records it still lists are
  // counted as having crashed the previous process once more.
  static Result<std::unique_ptr<InflightJournal>> Open(const std::string& path,
                                                       int max_crashes = 2);
  ~InflightJournal();
  InflightJournal(const InflightJournal&) = delete;
  InflightJournal& operator=(const InflightJournal&) = delete;

  // Before processing `record`. kDeadLetter: it was in progress when the
  // process died `max_crashes` times; it is not listed (not run).
  Verdict Begin(const InRecord& record);
  // After processing `record` (whatever the outcome).
  void End(const InRecord& record);

  // Crashes recorded against `record` so far (0 for most).
  int Crashes(const InRecord& record) const;
  // Records the previous process left in progress (found at Open).
  size_t recovered() const { return recovered_; }

 private:
  using Key = std::tuple<std::string, int32_t, int64_t>;
  InflightJournal(int fd, int max_crashes) : fd_(fd), max_crashes_(max_crashes) {}
  static Key KeyOf(const InRecord& r) { return {r.tp.topic, r.tp.partition, r.offset}; }
  void PersistLocked();

  int fd_;
  int max_crashes_;
  size_t recovered_ = 0;
  mutable std::mutex mu_;
  std::map<Key, int> crashed_;   // from the previous process: crashes so far
  std::map<Key, int> inflight_;  // being processed now: crashes so far
};

// For service mains: the journal at `path`, or null when `path` is empty or
// the journal cannot be opened (logged as a warning: the stage runs
// without the guard rather than not at all). Logs the records the previous
// process left in progress.
std::unique_ptr<InflightJournal> OpenInflightJournalOrWarn(const std::string& path);

// Wraps `process` so that every record goes through `journal` (null:
// returns `process` unchanged). A record past its crash budget becomes the
// dead letter "poison_redelivered" without running.
Processor GuardWithJournal(Processor process, InflightJournal* journal);

}  // namespace crawlstream
