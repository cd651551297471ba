// `crawlstream run` as a process: what --check-config refuses, and how a
// run that a signal stops ends. Runs the built binary; any server is a
// socket on 127.0.0.1 with an OS-picked port.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::string Binary() {
  const char* dir = std::getenv("CRAWLSTREAM_BINARY_DIR");
  return std::string(dir ? dir : "build") + "/services/cli/crawlstream";
}

fs::path TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "run_command_test.XXXXXX").string();
  return fs::path(::mkdtemp(tmpl.data()));
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Starts `crawlstream run ARGS` with only PATH and `env` in its
// environment, stdout and stderr to `log`.
pid_t Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env,
            const fs::path& log) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::dup2(fd, 1);
  ::dup2(fd, 2);
  std::string bin = Binary();
  std::vector<char*> argv{bin.data(), const_cast<char*>("run")};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> envs = env;
  envs.push_back(std::string("PATH=") + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin"));
  std::vector<char*> envp;
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  ::execve(bin.c_str(), argv.data(), envp.data());
  ::_exit(127);
}

struct Ended {
  int status = -1;  // exit status, or 1000 + signal when killed
  std::string output;
};

Ended Wait(pid_t pid, const fs::path& log) {
  int raw = 0;
  ::waitpid(pid, &raw, 0);
  Ended e;
  e.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 1000 + WTERMSIG(raw);
  e.output = ReadFile(log);
  return e;
}

Ended RunToEnd(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  fs::path dir = TempDir();
  Ended e = Wait(Spawn(args, env, dir / "log"), dir / "log");
  fs::remove_all(dir);
  return e;
}

// Values that passed --check-config and then failed, crashed or were
// ignored at start (issue 14, items 10-14).
TEST(RunCommandTest, CheckConfigRefusesWhatStartWouldRefuse) {
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> env;
    int status;
    const char* expected;
  };
  const Case cases[] = {
      {{"--fetcher.user_agent=crawlstream\r\nX-Injected: yes"}, {}, 2,
       "fetcher.user_agent=\"crawlstream\\r\\nX-Injected: yes\": control character U+000D"},
      {{"--fetcher.feeds=http://example.com/\nfeed"}, {}, 2, "fetcher.feeds="},
      {{"--kafka.client_id=a\rb"}, {}, 2, "kafka.client_id="},
      {{"--dedup.expected_articles=1000000000"}, {}, 2,
       "dedup.expected_articles=\"1000000000\": out of range [0, 10000000]"},
      {{"--kafka.linger=60s", "--kafka.delivery_timeout=1s"}, {}, 2,
       "kafka.delivery_timeout, kafka.linger: librdkafka refuses"},
      {{"--topics.pages="}, {}, 2, "topics.pages=\"\": a topic name must not be empty"},
      {{"--kafka.extra=garbage"}, {}, 2, "kafka.extra[0]: expected name=value"},
      {{"--kafka.max_message_bytes=1GiB"}, {}, 2, "kafka.max_message_bytes=\"1GiB\": out of range"},
      {{"--service.http_host=not-an-address"}, {}, 2, "service.http_host=\"not-an-address\""},
      {{"--kafka.session_timeout=1s"}, {}, 2, "kafka.session_timeout=\"1s\": out of range"},
      {{}, {"CRAWLSTREAM_FETCHR_MIN_DELAY=1s"}, 0,
       "warning: environment CRAWLSTREAM_FETCHR_MIN_DELAY matches no configuration key; "
       "ignored (did you mean CRAWLSTREAM_FETCHER_MIN_DELAY?)"},
  };
  for (const auto& tc : cases) {
    std::vector<std::string> args = tc.args;
    args.push_back("--check-config");
    Ended e = RunToEnd(args, tc.env);
    std::string what = tc.args.empty() ? tc.env[0] : tc.args[0];
    EXPECT_EQ(e.status, tc.status) << what << "\n" << e.output;
    EXPECT_NE(e.output.find(tc.expected), std::string::npos) << what << "\n" << e.output;
  }
}

TEST(RunCommandTest, YamlListItemThatIsAMappingNamesTheKey) {
  fs::path dir = TempDir();
  std::ofstream(dir / "c.yaml") << "fetcher:\n  allow_cidrs:\n    - cidr: 127.0.0.1/32\n";
  Ended e = RunToEnd({"--config", (dir / "c.yaml").string(), "--check-config"});
  fs::remove_all(dir);
  EXPECT_EQ(e.status, 2) << e.output;
  EXPECT_NE(e.output.find("fetcher.allow_cidrs[0]"), std::string::npos) << e.output;
}

// A listening socket on 127.0.0.1 that accepts and never answers, so the
// crawl cannot drain.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~SilentServer() {
    for (int c : accepted_) ::close(c);
    ::close(fd_);
  }
  int port() const { return port_; }
  // True once a client connected within `timeout_ms`.
  bool WaitForClient(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return false;
    accepted_.push_back(::accept(fd_, nullptr, nullptr));
    return accepted_.back() >= 0;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::vector<int> accepted_;
};

// SIGTERM (or SIGINT) on a run that has not drained is not success: it says
// so, with the counts, and exits 128 + the signal.
TEST(RunCommandTest, SignalBeforeTheCrawlDrainedExitsWithSignalStatus) {
  struct Case {
    int signal_number;
    int status;
  };
  for (const Case& tc : {Case{SIGTERM, 143}, Case{SIGINT, 130}}) {
    SilentServer server;
    fs::path dir = TempDir();
    std::ofstream(dir / "seeds.txt") << "http://127.0.0.1:" << server.port() << "/news/a.html\n";
    pid_t pid = Spawn({"--seeds", (dir / "seeds.txt").string(), "--allow-cidr", "127.0.0.1/32",
                       "--out", (dir / "articles.jsonl").string(), "--duplicates-out",
                       (dir / "duplicates.jsonl").string(), "--service.drain_timeout=1s"},
                      {}, dir / "log");
    ASSERT_TRUE(server.WaitForClient(60'000)) << ReadFile(dir / "log");
    ::kill(pid, tc.signal_number);
    Ended e = Wait(pid, dir / "log");
    fs::remove_all(dir);
    EXPECT_EQ(e.status, tc.status) << e.output;
    EXPECT_NE(e.output.find("stopped by signal before the crawl drained: 0 articles published to"),
              std::string::npos)
        << e.output;
    EXPECT_EQ(e.output.find("\ncrawl drained:"), std::string::npos) << e.output;
  }
}

}  // namespace
