#include "services/common/service_runtime.h"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <iostream>

#include "services/common/admin_server.h"
#include "services/common/health.h"
#include "services/common/kafka_config_check.h"
#include "services/common/logging.h"

extern char** environ;

namespace crawlstream {

const char* CrawlstreamVersion() { return "0.1.0"; }

ServiceRuntime::ServiceRuntime(std::string name)
    : name_(std::move(name)),
      registry_(std::make_shared<prometheus::Registry>()),
      health_(std::make_unique<Health>()) {
  kafka_.client_id = "crawlstream-" + name_;
  kafka_.group_id = "crawlstream-" + name_;
}

ServiceRuntime::~ServiceRuntime() {
  if (admin_) admin_->Stop();
}

void ServiceRuntime::BindShared(Config* c, ServiceOptions* s, KafkaOptions* k, TopicNames* t) {
  using std::chrono::milliseconds;
  c->BindEnum("service.log_level", &s->log_level, "log level",
              {"trace", "debug", "info", "warn", "error", "critical", "off"});
  c->BindEnum("service.log_format", &s->log_format,
              "auto: JSON lines unless stderr is a terminal", {"auto", "json", "text"});
  c->Bind("service.http_host", &s->http_host,
          "address of the /metrics /healthz /readyz endpoint (0.0.0.0 in containers)");
  c->Bind("service.http_port", &s->http_port, "port of that endpoint; 0 = any free port",
          0, 65535);
  c->Bind("service.drain_timeout", &s->drain_timeout,
          "longest graceful stop on SIGTERM before in-flight work is abandoned",
          milliseconds(100), milliseconds(600'000));
  c->Bind("service.inflight_journal", &s->inflight_journal,
          "file of the records being processed; a record in progress at two crashes is "
          "dead-lettered as poison_redelivered (empty: off)");
  BindKafkaOptions(c, k);
  BindTopics(c, t);
}

Status ServiceRuntime::CheckShared(const ServiceOptions& s, const KafkaOptions& k,
                                   const TopicNames& t) {
  // Each check with what it covers; all of them run, all errors reported.
  const std::function<Status()> checks[] = {
      [&] { return CheckListenHost(s.http_host); },
      [&] { return CheckKafkaOptions(k); },
      [&] { return CheckTopicNames(t); },
  };
  std::string errors;
  for (const auto& check : checks) {
    if (auto st = check(); !st) errors += (errors.empty() ? "" : "\n  ") + st.error().message;
  }
  if (errors.empty()) return Ok();
  return Fail(ErrorCode::kInvalidArgument, errors);
}

std::optional<int> ServiceRuntime::Setup(int argc, char** argv,
                                         const std::function<void(Config*)>& bind_service_keys,
                                         const std::function<Status()>& validate) {
  Config config;
  BindShared(&config, &service_, &kafka_, &topics_);
  if (bind_service_keys) bind_service_keys(&config);

  ParsedArgs args = ParseArgs(argc, argv, 1, {"check-config", "help", "version"});
  std::string config_path;
  bool check_only = false;
  std::vector<std::pair<std::string, std::string>> flags;
  for (auto& [k, v] : args.flags) {
    if (k == "config") config_path = v;
    else if (k == "check-config") check_only = true;
    else if (k == "version") { std::cout << CrawlstreamVersion() << "\n"; return 0; }
    else if (k == "help") {
      std::cout << "usage: crawlstream-" << name_
                << " [--config FILE] [--check-config] [--<section>.<key>=VALUE]...\n\n"
                << "Every key can also be set by environment variable.\nKeys:\n"
                << config.Help();
      return 0;
    } else {
      flags.emplace_back(k, v);
    }
  }
  if (!args.positional.empty()) {
    std::cerr << "crawlstream-" << name_ << ": unexpected argument \"" << args.positional[0]
              << "\" (see --help)\n";
    return 2;
  }
  if (auto st = config.Load(config_path, environ, flags); !st) {
    std::cerr << "crawlstream-" << name_ << ": " << st.error().message << "\n";
    return 2;
  }
  for (const auto& w : config.warnings()) {
    std::cerr << "crawlstream-" << name_ << ": warning: " << w << "\n";
  }
  if (auto st = CheckShared(service_, kafka_, topics_); !st) {
    std::cerr << "crawlstream-" << name_ << ": invalid configuration:\n  " << st.error().message
              << "\n";
    return 2;
  }
  if (validate) {
    if (auto st = validate(); !st) {
      std::cerr << "crawlstream-" << name_ << ": invalid configuration: " << st.error().message
                << "\n";
      return 2;
    }
  }
  if (check_only) {
    std::cout << "configuration ok" << (config_path.empty() ? "" : ": " + config_path) << "\n";
    return 0;
  }
  LogFormat fmt = service_.log_format == "json"   ? LogFormat::kJson
                  : service_.log_format == "text" ? LogFormat::kText
                                                  : LogFormat::kAuto;
  if (auto st = InitLogging(name_, service_.log_level, fmt); !st) {
    std::cerr << st.error().message << "\n";
    return 2;
  }
  std::string effective;
  for (const auto& [k, v] : config.Effective()) {
    if (k == "kafka.extra") continue;  // may hold credentials
    effective += k + "=" + v + " ";
  }
  spdlog::info("crawlstream-{} {} starting; config: {}", name_, CrawlstreamVersion(), effective);
  prometheus::BuildGauge()
      .Name("crawlstream_build_info")
      .Help("Build information; the value is always 1")
      .Register(*registry_)
      .Add({{"version", CrawlstreamVersion()}, {"service", name_}})
      .Set(1);
  return std::nullopt;
}

Status ServiceRuntime::StartAdmin() {
  admin_ = std::make_unique<AdminServer>(registry_, health_.get());
  return admin_->Start(service_.http_host, static_cast<int>(service_.http_port));
}

int ServiceRuntime::admin_port() const { return admin_ ? admin_->port() : 0; }

}  // namespace crawlstream
