#include "services/cli/broker_command.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>
#include <thread>
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
                          [--control-stdin] [--config FILE] [--check-config]
                          [--topics.<key>=VALUE]...

Starts the DEVELOPMENT broker: librdkafka's in-memory mock cluster with N
brokers (default 3) on 127.0.0.1, creates the topics named in the config
(topics.*) with topics.partitions partitions each, prints the bootstrap
address on stdout (and writes it to FILE when --bootstrap-file is given),
and runs until SIGTERM or SIGINT.

With --control-stdin, fault-injection commands are read from stdin, one
per line (for fault tests):
  down ID            take broker ID (1..N) down (connections refused)
  up ID              bring broker ID back
  errors API CODE[,CODE...]
                     the next requests of Kafka API key API (0 = Produce,
                     1 = Fetch, 8 = OffsetCommit, ...) fail with these
                     error codes, in order

It is for development and tests only: data lives in memory and is lost on
exit, log compaction and the CreateTopics admin API are not implemented,
and transactions cannot be verified (aborted records are visible). Use
Apache Kafka (docker/compose.yaml, deploy/) for anything else.

Keys:
)";

// Applies fault-injection commands from stdin until EOF.
void ControlLoop(DevBroker* broker) {
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string verb;
    in >> verb;
    Status st = Ok();
    if (verb == "down" || verb == "up") {
      int id = 0;
      in >> id;
      st = verb == "down" ? broker->SetBrokerDown(id) : broker->SetBrokerUp(id);
    } else if (verb == "errors") {
      int api = -1;
      std::string list;
      in >> api >> list;
      std::vector<int> codes;
      std::istringstream cl(list);
      std::string code;
      while (std::getline(cl, code, ',')) {
        try {
          codes.push_back(std::stoi(code));
        } catch (...) {
          codes.clear();
          break;
        }
      }
      if (api < 0 || codes.empty()) {
        st = Fail(ErrorCode::kInvalidArgument, "usage: errors API CODE[,CODE...]");
      } else {
        broker->PushRequestErrors(api, codes);
      }
    } else if (!verb.empty()) {
      st = Fail(ErrorCode::kInvalidArgument, "unknown command \"" + verb + "\" (down, up, errors)");
    }
    if (!st) spdlog::warn("broker control: {}: {}", line, st.error().message);
    else if (!verb.empty()) spdlog::info("broker control: {}", line);
  }
}

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

  ParsedArgs args = ParseArgs(argc, argv, 2, {"check-config", "help", "control-stdin"});
  std::string config_path, bootstrap_file;
  bool check_only = false, control = false;
  std::vector<std::pair<std::string, std::string>> flags;
  for (auto& [k, v] : args.flags) {
    if (k == "help") {
      std::cout << kHelp << config.Help();
      return 0;
    }
    if (k == "config") config_path = v;
    else if (k == "bootstrap-file") bootstrap_file = v;
    else if (k == "check-config") check_only = true;
    else if (k == "control-stdin") control = v != "false";
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
                                  {topics.duplicates, parts}, {topics.deadletter, parts},
                                  {topics.state, parts}};
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
  if (control) {
    // Detached: a blocking read on stdin must not delay the exit.
    std::thread([b = broker->get()] { ControlLoop(b); }).detach();
  }
  while (!Shutdown::WaitFor(std::chrono::seconds(1))) {
  }
  spdlog::info("development broker stopping");
  return 0;
}

}  // namespace crawlstream
