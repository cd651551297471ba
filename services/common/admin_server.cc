#include "services/common/admin_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "services/common/health.h"

namespace crawlstream {
namespace {

void WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

std::string Response(int code, const char* reason, const std::string& type,
                     const std::string& body, bool head) {
  std::string out = "HTTP/1.1 " + std::to_string(code) + " " + reason + "\r\n";
  out += "Content-Type: " + type + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  if (!head) out += body;
  return out;
}

}  // namespace

AdminServer::AdminServer(std::shared_ptr<prometheus::Registry> registry, Health* health)
    : registry_(std::move(registry)), health_(health) {}

AdminServer::~AdminServer() { Stop(); }

namespace {

// The one way host:port is turned into an address, for Start() and
// CheckListenHost().
Result<addrinfo*> ListenAddress(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "service.http_host=\"" + host + "\": " + gai_strerror(rc) +
                    " (use a numeric address such as 127.0.0.1 or 0.0.0.0)");
  }
  return res;
}

}  // namespace

Status CheckListenHost(const std::string& host) {
  auto res = ListenAddress(host, "0");
  if (!res) return std::unexpected(res.error());
  freeaddrinfo(*res);
  return Ok();
}

Status AdminServer::Start(const std::string& host, int port) {
  std::string port_text = std::to_string(port);
  auto address = ListenAddress(host, port_text);
  if (!address) return std::unexpected(address.error());
  addrinfo* res = *address;
  int fd = ::socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || ::bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, 64) != 0) {
    std::string err = std::strerror(errno);
    freeaddrinfo(res);
    if (fd >= 0) ::close(fd);
    return Fail(ErrorCode::kIo, "metrics endpoint " + host + ":" + port_text + ": " + err);
  }
  freeaddrinfo(res);
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.ss_family == AF_INET
                    ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                    : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  listen_fd_ = fd;
  if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) {
    return Fail(ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
  }
  thread_ = std::thread([this] { Serve(); });
  spdlog::info("admin endpoint listening on {}:{} (/metrics /healthz /readyz)", host, port_);
  return Ok();
}

void AdminServer::Stop() {
  if (!thread_.joinable()) return;
  char c = 'x';
  [[maybe_unused]] auto n = ::write(wake_pipe_[1], &c, 1);
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
  listen_fd_ = -1;
}

void AdminServer::Serve() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("admin endpoint: poll: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents) return;
    if (fds[0].revents & POLLIN) {
      int conn = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      timeval tv{2, 0};
      ::setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      HandleConnection(conn);
      ::close(conn);
    }
  }
}

void AdminServer::HandleConnection(int fd) {
  std::string request;
  char buf[2048];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 16384) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    request.append(buf, static_cast<size_t>(n));
  }
  auto line_end = request.find("\r\n");
  std::string line = request.substr(0, line_end);
  auto sp1 = line.find(' ');
  auto sp2 = line.find(' ', sp1 == std::string::npos ? 0 : sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) {
    WriteAll(fd, Response(400, "Bad Request", "text/plain", "bad request\n", false));
    return;
  }
  std::string method = line.substr(0, sp1);
  std::string path = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
  bool head = method == "HEAD";
  if (method != "GET" && !head) {
    WriteAll(fd, Response(405, "Method Not Allowed", "text/plain", "use GET\n", false));
    return;
  }
  if (path == "/metrics") {
    prometheus::TextSerializer serializer;
    std::string body = serializer.Serialize(registry_->Collect());
    WriteAll(fd, Response(200, "OK", "text/plain; version=0.0.4; charset=utf-8", body, head));
  } else if (path == "/healthz") {
    bool alive = health_->Alive();
    WriteAll(fd, alive ? Response(200, "OK", "text/plain", "ok\n", head)
                       : Response(503, "Service Unavailable", "text/plain",
                                  "main loop stalled\n", head));
  } else if (path == "/readyz") {
    bool ready = health_->Ready();
    std::string body = health_->Describe();
    WriteAll(fd, ready ? Response(200, "OK", "text/plain", body, head)
                       : Response(503, "Service Unavailable", "text/plain", body, head));
  } else {
    WriteAll(fd, Response(404, "Not Found", "text/plain", "not found\n", head));
  }
}

}  // namespace crawlstream
