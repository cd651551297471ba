// Starts tests/fetcher/hostile_server.py on 127.0.0.1 (a port the OS
// picks) for the lifetime of the object; the server also exits by itself
// after `lifetime_s`. `robots_mode` sets how /robots.txt answers ("404",
// "500", "redirect", "big", "plain").
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace crawlstream::fetcher::test_support {

class HostileServer {
 public:
  explicit HostileServer(const std::string& robots_mode = "404", int lifetime_s = 120) {
    const char* root = std::getenv("CRAWLSTREAM_SOURCE_DIR");
    std::string script = std::string(root ? root : ".") + "/tests/fetcher/hostile_server.py";
    std::string lifetime = std::to_string(lifetime_s);
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      setenv("HOSTILE_ROBOTS", robots_mode.c_str(), 1);
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      execl("/usr/bin/python3", "python3", script.c_str(), lifetime.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    std::string line;
    char c;
    while (read(fds[0], &c, 1) == 1 && c != '\n') line.push_back(c);
    close(fds[0]);
    port_ = std::atoi(line.c_str());
  }
  ~HostileServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  HostileServer(const HostileServer&) = delete;
  HostileServer& operator=(const HostileServer&) = delete;

  int port() const { return port_; }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace crawlstream::fetcher::test_support
