#include "services/common/health.h"

namespace crawlstream {

Health::Health(std::chrono::milliseconds stall_after, Clock clock)
    : stall_after_(stall_after), clock_(std::move(clock)),
      last_beat_ns_(clock_().time_since_epoch().count()) {}

void Health::Beat() { last_beat_ns_.store(clock_().time_since_epoch().count()); }

bool Health::Alive() const {
  auto now = clock_().time_since_epoch().count();
  return now - last_beat_ns_.load() <=
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(stall_after_).count();
}

void Health::Set(const std::string& condition, bool ok) {
  std::lock_guard lock(mu_);
  conditions_[condition] = ok;
}

bool Health::Ready() const {
  std::lock_guard lock(mu_);
  for (const auto& [_, ok] : conditions_) {
    if (!ok) return false;
  }
  return true;
}

std::string Health::Describe() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, ok] : conditions_) {
    out += name + "=" + (ok ? "ok" : "waiting") + "\n";
  }
  return out;
}

}  // namespace crawlstream
