// The one HTTP endpoint of a process: /metrics (Prometheus text format from
// a prometheus-cpp registry), /healthz (200 while the main loop beats, 503
// when it stalls) and /readyz (200 when every readiness condition holds,
// 503 otherwise). Any other path is 404, any method but GET/HEAD is 405.
//
// One background thread serves requests one at a time (probes and scrapes
// are small and rare). Port 0 lets the OS pick; port() tells which.
// Start() and Stop() are called from one thread; the rest is thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "services/common/result.h"

namespace prometheus {
class Registry;
}

namespace crawlstream {

class Health;

// Ok when `host` is an address Start() can bind: a numeric IPv4 or IPv6
// address (no name lookup). The error names service.http_host.
Status CheckListenHost(const std::string& host);

class AdminServer {
 public:
  AdminServer(std::shared_ptr<prometheus::Registry> registry, Health* health);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds host:port (port 0 = any free port) and starts serving.
  Status Start(const std::string& host, int port);
  void Stop();
  int port() const { return port_; }

 private:
  void Serve();
  void HandleConnection(int fd);

  std::shared_ptr<prometheus::Registry> registry_;
  Health* health_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  int port_ = 0;
  std::thread thread_;
};

}  // namespace crawlstream
