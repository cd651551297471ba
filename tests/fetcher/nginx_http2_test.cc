// HttpClient against nginx on 127.0.0.1 over TLS: HTTP/2 negotiated by
// ALPN, gzip decoded, connections reused. nginx and a throw-away
// self-signed certificate are set up by the test in a temporary directory.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "services/fetcher/discovery.h"
#include "services/fetcher/http_client.h"

namespace crawlstream::fetcher {
namespace {

namespace fs = std::filesystem;

std::string SourceDir() {
  const char* root = std::getenv("CRAWLSTREAM_SOURCE_DIR");
  return fs::absolute(root ? root : ".").string();
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool CanConnect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

class NginxTls {
 public:
  NginxTls() {
    char tmpl[] = "/tmp/crawlstream-nginx-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    chmod(dir_.c_str(), 0755);  // nginx workers may run as another user
    fs::create_directories(dir_ + "/tmp");
    // Serve a copy: the source tree may sit under a directory the workers
    // cannot enter (a clone in a 0700 mktemp directory).
    std::error_code ec;
    fs::copy(SourceDir() + "/tests/fixtures/fetcher", dir_ + "/www",
             fs::copy_options::recursive, ec);
    if (ec) return;
    auto readable = [&ec](const fs::path& p, bool dir) {
      fs::permissions(p,
                      fs::perms::group_read | fs::perms::others_read |
                          (dir ? fs::perms::group_exec | fs::perms::others_exec : fs::perms::none),
                      fs::perm_options::add, ec);
    };
    readable(dir_ + "/www", true);
    for (const auto& entry : fs::recursive_directory_iterator(dir_ + "/www"))
      readable(entry.path(), entry.is_directory());
    std::string openssl = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
                          "-keyout " + dir_ + "/key.pem -out " + dir_ + "/cert.pem >/dev/null 2>&1";
    if (std::system(openssl.c_str()) != 0) return;
    port_ = FreePort();
    std::ofstream conf(dir_ + "/nginx.conf");
    conf << "daemon off;\nworker_processes 1;\npid " << dir_ << "/nginx.pid;\nerror_log " << dir_
         << "/error.log;\nevents { worker_connections 64; }\nhttp {\n  access_log off;\n"
         << "  client_body_temp_path " << dir_ << "/tmp; proxy_temp_path " << dir_ << "/tmp;\n"
         << "  fastcgi_temp_path " << dir_ << "/tmp; uwsgi_temp_path " << dir_ << "/tmp;\n"
         << "  scgi_temp_path " << dir_ << "/tmp;\n"
         << "  types { application/rss+xml xml; text/html html; }\n"
         << "  gzip on; gzip_types application/rss+xml; gzip_min_length 1;\n"
         << "  server {\n    listen 127.0.0.1:" << port_ << " ssl http2;\n"
         << "    ssl_certificate " << dir_ << "/cert.pem;\n    ssl_certificate_key " << dir_ << "/key.pem;\n"
         << "    root " << dir_ << "/www;\n  }\n}\n";
    conf.close();
    pid_ = fork();
    if (pid_ == 0) {
      execl("/usr/sbin/nginx", "nginx", "-p", dir_.c_str(), "-c", (dir_ + "/nginx.conf").c_str(), "-e",
            (dir_ + "/error.log").c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Wait (bounded) for nginx to listen: it has no readiness signal.
    for (int i = 0; i < 500 && !CanConnect(port_); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~NginxTls() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  bool ready() const { return pid_ > 0 && CanConnect(port_); }
  std::string Url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

TEST(NginxHttp2Test, NegotiatesHttp2AndDecodesGzip) {
  NginxTls nginx;
  ASSERT_TRUE(nginx.ready()) << "nginx did not start";
  std::vector<std::string> allow = {"127.0.0.0/8"};
  auto guard = SsrfGuard::Create(allow);
  ASSERT_TRUE(guard.has_value());
  HttpClientOptions options;
  options.verify_tls = false;  // throw-away self-signed certificate
  auto client = HttpClient::Create(options, *guard);
  ASSERT_TRUE(client.has_value());

  std::vector<FetchResult> results;
  for (const char* path : {"/rss.xml", "/sitemap.xml", "/links.html"}) {
    ASSERT_TRUE((*client)->Start(FetchRequest{nginx.Url(path), {}, 0, false},
                                 [&](FetchResult r) { results.push_back(std::move(r)); })
                    .has_value());
  }
  (*client)->RunUntilIdle();
  ASSERT_EQ(results.size(), 3u);
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.requested_url << ": " << r.error_message;
    EXPECT_EQ(r.status, 200) << r.requested_url;
    EXPECT_EQ(r.http_version, "2") << r.requested_url;
    EXPECT_EQ(r.remote_ip, "127.0.0.1");
  }
  const FetchResult* rss = nullptr;
  for (const auto& r : results) {
    if (r.requested_url.ends_with("/rss.xml")) rss = &r;
  }
  ASSERT_NE(rss, nullptr);
  EXPECT_EQ(rss->Header("content-encoding"), "gzip");
  std::ifstream in(SourceDir() + "/tests/fixtures/fetcher/rss.xml", std::ios::binary);
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(rss->body, expected.str());
  EXPECT_LT(rss->wire_bytes, rss->body.size());
  auto feed = ParseDiscoveryDocument(rss->body, *ParseUrl(rss->final_url));
  ASSERT_TRUE(feed.has_value());
  EXPECT_EQ(feed->links.size(), 3u);
}

}  // namespace
}  // namespace crawlstream::fetcher
