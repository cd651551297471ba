// A real Apache Kafka cluster for tests, run by scripts/kafka.sh in a fresh
// temporary directory.
//
// KafkaCluster::Start() formats and starts N nodes on 127.0.0.1 and returns
// once they all answer; the destructor stops them and removes the directory.
// The script is also given this process as --owner, so the JVMs and the
// directory go away even when the test binary crashes or is killed before
// its destructors run. RealKafkaEnvironment holds one cluster for a whole
// test binary (gtest calls its TearDown also after failed tests).
//
// With CRAWLSTREAM_KAFKA_BOOTSTRAP set, tests use that running cluster
// instead (nothing is started or stopped). Either way the bootstrap must
// name 127.0.0.1 only: tests never send traffic elsewhere.
//
// Not thread-safe; create and destroy from the test's main thread.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>

#include "services/common/result.h"

#ifndef CRAWLSTREAM_SOURCE_DIR_DEFAULT
#define CRAWLSTREAM_SOURCE_DIR_DEFAULT "."
#endif

namespace crawlstream::testing_util {

// 'text' for /bin/sh.
inline std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct CommandOutput {
  int exit_code = -1;
  std::string out;  // stdout; stderr goes to the test's stderr
};

inline CommandOutput RunCommand(const std::string& command) {
  CommandOutput result;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return result;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) result.out.append(buf, n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// True when every entry of "host:port,host:port" is 127.0.0.1:<port>.
inline bool IsLoopbackBootstrap(const std::string& bootstrap) {
  if (bootstrap.empty()) return false;
  std::stringstream list(bootstrap);
  std::string entry;
  while (std::getline(list, entry, ',')) {
    if (entry.rfind("127.0.0.1:", 0) != 0 || entry.size() == 10) return false;
  }
  return true;
}

inline std::string SourceDir() {
  const char* env = std::getenv("CRAWLSTREAM_SOURCE_DIR");
  return env && *env ? env : CRAWLSTREAM_SOURCE_DIR_DEFAULT;
}

class KafkaCluster {
 public:
  static Result<std::unique_ptr<KafkaCluster>> Start(int nodes) {
    std::unique_ptr<KafkaCluster> cluster(new KafkaCluster());
    if (const char* given = std::getenv("CRAWLSTREAM_KAFKA_BOOTSTRAP"); given && *given) {
      cluster->bootstrap_ = given;
      return CheckedLoopback(std::move(cluster));
    }
    auto made = MakeTempDir();
    if (!made) return std::unexpected(made.error());
    cluster->dir_ = *made;
    CommandOutput started = RunCommand(cluster->Script("start") + " --nodes " +
                                       std::to_string(nodes) + " --owner " +
                                       std::to_string(getpid()));
    if (started.exit_code != 0) {
      return Fail(ErrorCode::kUnavailable, "scripts/kafka.sh start exited " +
                                               std::to_string(started.exit_code) +
                                               " (its stderr is above)");
    }
    cluster->bootstrap_ = LastLine(started.out);
    return CheckedLoopback(std::move(cluster));
  }

  ~KafkaCluster() {
    if (dir_.empty()) return;
    RunCommand(Script("stop"));
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  KafkaCluster(const KafkaCluster&) = delete;
  KafkaCluster& operator=(const KafkaCluster&) = delete;

  // "127.0.0.1:port,..."
  const std::string& bootstrap() const { return bootstrap_; }
  // The cluster's directory ("" for a cluster given by the environment).
  const std::string& dir() const { return dir_; }

  // Node faults (nodes are 1..N), through scripts/kafka.sh: KillNode is a
  // crash (SIGKILL), StopNode a clean shutdown (SIGTERM, waits for the
  // exit), StartNode restarts a stopped node with its data and ports and
  // returns once the cluster lists every running node again. Not
  // available for a cluster given by CRAWLSTREAM_KAFKA_BOOTSTRAP.
  Status KillNode(int node) { return NodeCommand("kill-node", node); }
  Status StopNode(int node) { return NodeCommand("stop-node", node); }
  Status StartNode(int node) { return NodeCommand("start-node", node); }

 private:
  KafkaCluster() = default;

  std::string Script(const std::string& verb) const {
    return "bash " + ShellQuote(SourceDir() + "/scripts/kafka.sh") + " " + verb + " --dir " +
           ShellQuote(dir_);
  }

  Status NodeCommand(const std::string& verb, int node) {
    if (dir_.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  verb + ": the cluster was given by CRAWLSTREAM_KAFKA_BOOTSTRAP");
    }
    CommandOutput out = RunCommand(Script(verb) + " --node " + std::to_string(node));
    if (out.exit_code != 0) {
      return Fail(ErrorCode::kUnavailable, "scripts/kafka.sh " + verb + " --node " +
                                               std::to_string(node) + " exited " +
                                               std::to_string(out.exit_code));
    }
    return {};
  }

  static Result<std::string> MakeTempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/crawlstream-kafka-XXXXXX";
    if (!mkdtemp(pattern.data())) return Fail(ErrorCode::kIo, "mkdtemp " + pattern + " failed");
    return pattern;
  }

  static std::string LastLine(std::string text) {
    while (!text.empty() && text.back() == '\n') text.pop_back();
    size_t nl = text.rfind('\n');
    return nl == std::string::npos ? text : text.substr(nl + 1);
  }

  static Result<std::unique_ptr<KafkaCluster>> CheckedLoopback(
      std::unique_ptr<KafkaCluster> cluster) {
    if (!IsLoopbackBootstrap(cluster->bootstrap_)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "bootstrap '" + cluster->bootstrap_ + "' is not 127.0.0.1 only");
    }
    return cluster;
  }

  std::string dir_;
  std::string bootstrap_;
};

// One cluster for the whole test binary:
//   testing::AddGlobalTestEnvironment(new RealKafkaEnvironment(1));
// A failed start is a fatal failure of SetUp, so gtest runs no test.
class RealKafkaEnvironment : public ::testing::Environment {
 public:
  explicit RealKafkaEnvironment(int nodes) : nodes_(nodes) {}

  void SetUp() override {
    auto cluster = KafkaCluster::Start(nodes_);
    ASSERT_TRUE(cluster) << cluster.error().message;
    cluster_ = std::move(*cluster);
    bootstrap_ = cluster_->bootstrap();
  }
  void TearDown() override {
    cluster_.reset();
    bootstrap_.clear();
  }

  // The running cluster's bootstrap list; "" when no RealKafkaEnvironment
  // was set up (the binary runs on the development broker).
  static const std::string& Bootstrap() { return bootstrap_; }
  // The running cluster, for node faults; nullptr when there is none.
  static KafkaCluster* Cluster() { return cluster_.get(); }

 private:
  int nodes_;
  static inline std::unique_ptr<KafkaCluster> cluster_;
  static inline std::string bootstrap_;
};

}  // namespace crawlstream::testing_util
