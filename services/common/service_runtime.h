// What every service process does before and around its main loop.
//
// ServiceRuntime::Setup() parses the command line (--config FILE,
// --check-config, --help, --<section>.<key>=value), binds the keys every
// service shares (service.*, kafka.*, topics.*) plus the service's own,
// loads YAML + environment + flags (printing the loader's warnings),
// checks the shared settings (CheckShared), starts logging, and creates the
// metrics registry and health state. StartAdmin() then serves /metrics,
// /healthz and /readyz on service.http_host:service.http_port.
//
// Typical main():
//   MySettings s;
//   ServiceRuntime rt("extractor");
//   if (auto code = rt.Setup(argc, argv, [&](Config* c) { Bind(c, &s); }))
//     return *code;            // --help, --check-config or a config error
//   rt.StartAdmin(); ... main loop ...
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "services/common/config.h"
#include "services/common/kafka_options.h"

namespace prometheus {
class Registry;
}

namespace crawlstream {

class AdminServer;
class Health;

struct ServiceOptions {
  std::string log_level = "info";
  std::string log_format = "auto";  // auto, json, text
  std::string http_host = "127.0.0.1";
  int64_t http_port = 9464;  // 0 = any free port (printed in the log)
  // Longest a graceful stop may take before in-flight work is abandoned
  // (its input is then redelivered after restart).
  std::chrono::milliseconds drain_timeout{10'000};
  // File listing the input records being processed (inflight_journal.h):
  // a record that was in progress when the process died twice is
  // dead-lettered as poison_redelivered instead of run a third time.
  // Empty: off. Must outlive the process (an emptyDir in Kubernetes).
  std::string inflight_journal;
};

class ServiceRuntime {
 public:
  explicit ServiceRuntime(std::string name);
  ~ServiceRuntime();

  // Returns an exit code when the process should exit now (0 after --help
  // or a successful --check-config, 2 on a configuration error).
  // `validate` (optional) checks values that need more than one key; it
  // runs before --check-config answers.
  std::optional<int> Setup(int argc, char** argv,
                           const std::function<void(Config*)>& bind_service_keys,
                           const std::function<Status()>& validate = nullptr);
  // Binds the shared keys to the given structs (exposed for `crawlstream
  // run`, which composes several services).
  static void BindShared(Config* c, ServiceOptions* s, KafkaOptions* k, TopicNames* t);
  // Checks the shared settings as the start will use them (listen address,
  // librdkafka's verdict on the Kafka properties, topic names), naming the
  // keys; every error, one per line. Setup() runs it before --check-config
  // answers; `crawlstream run` calls it itself.
  static Status CheckShared(const ServiceOptions& s, const KafkaOptions& k, const TopicNames& t);

  Status StartAdmin();

  const std::string& name() const { return name_; }
  ServiceOptions& service() { return service_; }
  KafkaOptions& kafka() { return kafka_; }
  TopicNames& topics() { return topics_; }
  std::shared_ptr<prometheus::Registry> registry() { return registry_; }
  Health& health() { return *health_; }
  int admin_port() const;

 private:
  std::string name_;
  ServiceOptions service_;
  KafkaOptions kafka_;
  TopicNames topics_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Health> health_;
  std::unique_ptr<AdminServer> admin_;
};

// Version string of this build, e.g. "0.1.0".
const char* CrawlstreamVersion();

}  // namespace crawlstream
