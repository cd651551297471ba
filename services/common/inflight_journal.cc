#include "services/common/inflight_journal.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <utility>

namespace crawlstream {
namespace {

// The file's lines: topic TAB partition TAB offset TAB crashes. Topic
// names cannot contain tabs or newlines (Kafka allows [a-zA-Z0-9._-]).
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  off_t pos = 0;
  for (;;) {
    const ssize_t n = pread(fd, buf, sizeof buf, pos);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    pos += n;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<InflightJournal>> InflightJournal::Open(const std::string& path,
                                                               int max_crashes) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return Fail(ErrorCode::kIo, "inflight journal " + path + ": " + std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Fail(ErrorCode::kUnavailable,
                "inflight journal " + path + " is held by another running process");
  }
  std::unique_ptr<InflightJournal> j(new InflightJournal(fd, std::max(1, max_crashes)));
  std::istringstream lines(ReadAll(fd));
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string topic;
    int32_t partition = 0;
    int64_t offset = 0;
    int crashes = 0;
    if (!std::getline(fields, topic, '\t') || !(fields >> partition >> offset >> crashes))
      continue;  // a torn or foreign line: ignored
    j->crashed_[{topic, partition, offset}] = crashes + 1;
    ++j->recovered_;
  }
  // What the previous process left is in crashed_ now; until those records
  // come back they must stay on disk, so that a crash before they do is
  // not forgotten.
  j->inflight_ = j->crashed_;
  std::lock_guard lock(j->mu_);
  j->PersistLocked();
  return j;
}

InflightJournal::~InflightJournal() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

InflightJournal::Verdict InflightJournal::Begin(const InRecord& record) {
  std::lock_guard lock(mu_);
  const Key key = KeyOf(record);
  int crashes = 0;
  if (auto it = crashed_.find(key); it != crashed_.end()) crashes = it->second;
  if (crashes >= max_crashes_) {
    crashed_.erase(key);
    inflight_.erase(key);
    PersistLocked();
    return Verdict::kDeadLetter;
  }
  inflight_[key] = crashes;
  PersistLocked();
  return Verdict::kProcess;
}

void InflightJournal::End(const InRecord& record) {
  std::lock_guard lock(mu_);
  const Key key = KeyOf(record);
  inflight_.erase(key);
  crashed_.erase(key);
  PersistLocked();
}

int InflightJournal::Crashes(const InRecord& record) const {
  std::lock_guard lock(mu_);
  auto it = crashed_.find(KeyOf(record));
  return it == crashed_.end() ? 0 : it->second;
}

void InflightJournal::PersistLocked() {
  std::string data;
  for (const auto& [key, crashes] : inflight_) {
    const auto& [topic, partition, offset] = key;
    data += topic + '\t' + std::to_string(partition) + '\t' + std::to_string(offset) + '\t' +
            std::to_string(crashes) + '\n';
  }
  // Best effort: a failed write only weakens the crash guard.
  if (pwrite(fd_, data.data(), data.size(), 0) == static_cast<ssize_t>(data.size()))
    (void)ftruncate(fd_, static_cast<off_t>(data.size()));
}

std::unique_ptr<InflightJournal> OpenInflightJournalOrWarn(const std::string& path) {
  if (path.empty()) return nullptr;
  auto j = InflightJournal::Open(path);
  if (!j) {
    spdlog::warn("running without the crash guard: {}", j.error().message);
    return nullptr;
  }
  if ((*j)->recovered() > 0)
    spdlog::warn("inflight journal {}: {} record(s) were in progress when the previous process "
                 "died; each is dead-lettered as poison_redelivered after its second crash",
                 path, (*j)->recovered());
  return std::move(*j);
}

Processor GuardWithJournal(Processor process, InflightJournal* journal) {
  if (journal == nullptr) return process;
  return [process = std::move(process), journal](const InRecord& record) -> StageResult {
    const int crashes = journal->Crashes(record);
    if (journal->Begin(record) == InflightJournal::Verdict::kDeadLetter)
      return StageResult::DeadLetter(
          "poison_redelivered", "the record was being processed when the process died " +
                                    std::to_string(crashes) + " times; not run again");
    struct EndOnExit {
      InflightJournal* j;
      const InRecord& r;
      ~EndOnExit() { j->End(r); }
    } end{journal, record};
    return process(record);
  };
}

}  // namespace crawlstream
