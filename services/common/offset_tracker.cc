#include "services/common/offset_tracker.h"

#include <algorithm>

namespace crawlstream {

int64_t OffsetTracker::Position(const State& s) {
  if (!s.pending.empty()) return *s.pending.begin();
  return s.next;
}

uint64_t OffsetTracker::Assign(const std::vector<TopicPartition>& partitions) {
  std::lock_guard lock(mu_);
  ++generation_;
  for (const auto& tp : partitions) parts_[tp] = State{generation_, {}, -1, -1, -1, -1};
  return generation_;
}

uint64_t OffsetTracker::GenerationOf(const TopicPartition& tp) const {
  std::lock_guard lock(mu_);
  auto it = parts_.find(tp);
  return it == parts_.end() ? 0 : it->second.generation;
}

void OffsetTracker::Revoke(const std::vector<TopicPartition>& partitions) {
  std::lock_guard lock(mu_);
  for (const auto& tp : partitions) parts_.erase(tp);
}

void OffsetTracker::RevokeAll() {
  std::lock_guard lock(mu_);
  parts_.clear();
}

void OffsetTracker::Started(const TopicPartition& tp, int64_t offset, uint64_t generation) {
  std::lock_guard lock(mu_);
  auto it = parts_.find(tp);
  if (it == parts_.end() || it->second.generation != generation) return;
  it->second.pending.insert(offset);
  if (offset + 1 > it->second.next) it->second.next = offset + 1;
  if (it->second.first < 0) it->second.first = offset;
}

bool OffsetTracker::Owns(const TopicPartition& tp, uint64_t generation) const {
  std::lock_guard lock(mu_);
  auto it = parts_.find(tp);
  return it != parts_.end() && it->second.generation == generation;
}

void OffsetTracker::Done(const TopicPartition& tp, int64_t offset, uint64_t generation) {
  std::lock_guard lock(mu_);
  auto it = parts_.find(tp);
  if (it == parts_.end() || it->second.generation != generation) return;
  it->second.pending.erase(offset);
}

std::vector<CommitPosition> OffsetTracker::Committable(bool all) const {
  std::lock_guard lock(mu_);
  std::vector<CommitPosition> out;
  for (const auto& [tp, s] : parts_) {
    int64_t pos = Position(s);
    if (pos >= 0 && (all || pos != s.committed)) out.push_back({tp, pos});
  }
  return out;
}

std::vector<CommitPosition> OffsetTracker::PositionsFor(
    const std::vector<TopicPartition>& tps) const {
  std::lock_guard lock(mu_);
  std::vector<CommitPosition> out;
  for (const auto& tp : tps) {
    auto it = parts_.find(tp);
    if (it == parts_.end()) continue;
    int64_t pos = Position(it->second);
    if (pos >= 0) out.push_back({tp, pos});
  }
  return out;
}

void OffsetTracker::MarkCommitted(const std::vector<CommitPosition>& positions) {
  std::lock_guard lock(mu_);
  for (const auto& p : positions) {
    auto it = parts_.find(p.tp);
    if (it != parts_.end()) it->second.committed = p.offset;
  }
}

void OffsetTracker::Confirm(const TopicPartition& tp, int64_t offset) {
  std::lock_guard lock(mu_);
  auto it = parts_.find(tp);
  if (it != parts_.end() && offset > it->second.confirmed) it->second.confirmed = offset;
}

int64_t OffsetTracker::DoneSinceConfirmed(const std::vector<TopicPartition>& tps) const {
  std::lock_guard lock(mu_);
  int64_t n = 0;
  for (const auto& tp : tps) {
    auto it = parts_.find(tp);
    if (it == parts_.end() || it->second.first < 0) continue;
    const State& st = it->second;
    // Every offset from there to `next` was started; all but the pending
    // ones (never below a confirmed position) are done.
    int64_t from = std::max(st.first, st.confirmed);
    if (st.next > from) n += st.next - from - static_cast<int64_t>(st.pending.size());
  }
  return n;
}

size_t OffsetTracker::pending() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [_, s] : parts_) n += s.pending.size();
  return n;
}

size_t OffsetTracker::assigned() const {
  std::lock_guard lock(mu_);
  return parts_.size();
}

}  // namespace crawlstream
