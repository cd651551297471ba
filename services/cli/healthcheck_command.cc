#include "services/cli/healthcheck_command.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "services/common/config.h"

namespace crawlstream {

int RunHealthcheckCommand(int argc, char** argv) {
  ParsedArgs args = ParseArgs(argc, argv, 2, {});
  int port = 9464;
  std::string path = "/healthz";
  for (const auto& [k, v] : args.flags) {
    if (k == "port") {
      try {
        port = std::stoi(v);
      } catch (...) {
        port = -1;
      }
      if (port <= 0 || port > 65535) {
        std::cerr << "crawlstream healthcheck: --port \"" << v << "\": not a port\n";
        return 2;
      }
    } else if (k == "path") {
      path = v;
    } else {
      std::cerr << "usage: crawlstream healthcheck [--port N] [--path /healthz]\n";
      return 2;
    }
  }
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::cerr << "unhealthy: cannot connect to 127.0.0.1:" << port << "\n";
    ::close(fd);
    return 1;
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  char buf[256];
  ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
  ::close(fd);
  std::string head = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  if (head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200")) return 0;
  std::cerr << "unhealthy: " << head.substr(0, head.find('\r')) << "\n";
  return 1;
}

}  // namespace crawlstream
