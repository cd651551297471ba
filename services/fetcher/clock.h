// Time sources for the fetcher. Nothing in this library reads the clock
// directly: robots cache, politeness and retries take a `const Clock&`, so
// tests drive time with FakeClock and never sleep.
//
// SystemClock is thread-safe. FakeClock is not (tests own it).
#pragma once

#include <chrono>

namespace crawlstream::fetcher {

using SteadyTime = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time: deadlines, delays, cache ages.
  virtual SteadyTime Now() const = 0;
  // Wall-clock time: only to interpret HTTP dates (Retry-After).
  virtual std::chrono::system_clock::time_point WallNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  SteadyTime Now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point WallNow() const override {
    return std::chrono::system_clock::now();
  }
};

// Starts at an arbitrary fixed point; moves only when told.
class FakeClock final : public Clock {
 public:
  FakeClock()
      : now_(SteadyTime() + std::chrono::hours(1000)),
        wall_(std::chrono::sys_days(std::chrono::year(2024) / 7 / 5)) {}
  SteadyTime Now() const override { return now_; }
  std::chrono::system_clock::time_point WallNow() const override { return wall_; }
  void Advance(Duration d) {
    now_ += d;
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  }
  void SetWall(std::chrono::system_clock::time_point wall) { wall_ = wall; }

 private:
  SteadyTime now_;
  std::chrono::system_clock::time_point wall_;
};

}  // namespace crawlstream::fetcher
