// Liveness and readiness of one process, as served on /healthz and /readyz.
//
// Liveness: the main loop calls Beat() on every iteration; the process is
// alive while the last beat is younger than `stall_after`.
// Readiness: named conditions ("broker", "partitions_assigned", ...) that
// the service sets; ready when every registered condition is true.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace crawlstream {

class Health {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit Health(std::chrono::milliseconds stall_after = std::chrono::seconds(30),
                  Clock clock = [] { return std::chrono::steady_clock::now(); });

  void Beat();
  bool Alive() const;

  // Registers a condition (initially false) or updates it.
  void Set(const std::string& condition, bool ok);
  bool Ready() const;
  // "broker=ok partitions_assigned=waiting" for the response body.
  std::string Describe() const;

 private:
  const std::chrono::milliseconds stall_after_;
  const Clock clock_;
  std::atomic<int64_t> last_beat_ns_;
  mutable std::mutex mu_;
  std::map<std::string, bool> conditions_;
};

}  // namespace crawlstream
