#include "services/cli/broker_command.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <iostream>

#include "services/common/config.h"
#include "services/common/dev_broker.h"
#include "services/common/kafka_options.h"
#include "services/common/logging.h"
#include "services/common/shutdown.h"

extern char** environ;

namespace crawlstream {
namespace {

constexpr const char* kHelp = R"(usage: crawlstream broker [--brokers N] [--bootstrap-file FILE]
                          [--config FILE] [--check-config] [--topics.<key>=VALUE]...

Starts the DEVELOPMENT broker: librdkafka's in-memory mock cluster with N
brokers (default 3) on 127.0.0.1, creates the topics named in the config
(topics.*) with topics.partitions partitions each, prints the bootstrap
address on stdout (and writes it to FILE when --bootstrap-file is given),
and runs until SIGTERM or SIGINT.

It is for development and tests only: data lives in memory and is lost on
exit, log compaction and the CreateTopics admin API are not implemented,
and transactions cannot be verified (aborted records are visible). Use
Apache Kafka (docker/compose.yaml, deploy/) for anything else.

Keys:
)";

}  // namespace

int RunBrokerCommand(int argc, char** argv) {
  Config config;
  TopicNames topics;
  int64_t brokers = 3;
  std::string log_level = "info";
  BindTopics(&config, &topics);
  config.Bind("broker.count", &brokers, "number of mock brokers", 1, 32);
  config.BindEnum("service.log_level", &log_level, "log level",
                  {"trace", "debug", "info", "warn", "error", "critical", "off"});

  ParsedArgs args = ParseArgs(argc, argv, 2, {"check-config", "help"});
  std::string config_path, bootstrap_file;
  bool check_only = false;
  std::vector<std::pair<std::string, std::string>> flags;
  for (auto& [k, v] : args.flags) {
    if (k == "help") {
      std::cout << kHelp << config.Help();
      return 0;
    }
    if (k == "config") config_path = v;
    else if (k == "bootstrap-file") bootstrap_file = v;
    else if (k == "check-config") check_only = true;
    else if (k == "brokers") flags.emplace_back("broker.count", v);
    else flags.emplace_back(k, v);
  }
  if (!args.positional.empty()) {
    std::cerr << "crawlstream broker: unexpected argument \"" << args.positional[0] << "\"\n";
    return 2;
  }
  if (auto st = config.Load(config_path, environ, flags); !st) {
    std::cerr << "crawlstream broker: " << st.error().message << "\n";
    return 2;
  }
  if (check_only) {
    std::cout << "configuration ok\n";
    return 0;
  }
  if (auto st = InitLogging("broker", log_level); !st) {
    std::cerr << st.error().message << "\n";
    return 2;
  }
  Shutdown::Install();
  int parts = static_cast<int>(topics.partitions);
  std::vector<TopicSpec> specs = {{topics.requests, parts},   {topics.pages, parts},
                                  {topics.extracted, parts},  {topics.articles, parts},
                                  {topics.duplicates, parts}, {topics.deadletter, parts}};
  auto broker = DevBroker::Start(static_cast<int>(brokers), specs);
  if (!broker) {
    std::cerr << "crawlstream broker: " << broker.error().message << "\n";
    return 1;
  }
  const std::string& bootstrap = (*broker)->bootstrap();
  if (!bootstrap_file.empty()) {
    std::string tmp = bootstrap_file + ".tmp";
    {
      std::ofstream out(tmp);
      out << bootstrap << "\n";
      if (!out) {
        std::cerr << "crawlstream broker: cannot write " << tmp << "\n";
        return 1;
      }
    }
    // Rename so readers never see a half-written file.
    if (std::rename(tmp.c_str(), bootstrap_file.c_str()) != 0) {
      std::cerr << "crawlstream broker: cannot write " << bootstrap_file << "\n";
      return 1;
    }
  }
  std::cout << bootstrap << std::endl;
  spdlog::info("development broker ({} brokers, {} partitions per topic) at {} — "
               "for development and tests only", brokers, parts, bootstrap);
  while (!Shutdown::WaitFor(std::chrono::seconds(1))) {
  }
  spdlog::info("development broker stopping");
  return 0;
}

}  // namespace crawlstream
