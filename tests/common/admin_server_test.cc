#include "services/common/admin_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <sys/socket.h>
#include <unistd.h>

#include "services/common/health.h"

namespace crawlstream {
namespace {

// Sends one raw HTTP request to 127.0.0.1:port; returns the whole response.
std::string Request(int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  ::send(fd, request.data(), request.size(), 0);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

std::string Get(int port, const std::string& path) {
  return Request(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
}

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<prometheus::Registry>();
    prometheus::BuildCounter()
        .Name("crawlstream_test_events_total")
        .Help("test")
        .Register(*registry_)
        .Add({{"kind", "a"}})
        .Increment(3);
    health_ = std::make_unique<Health>(std::chrono::seconds(30),
                                       [this] { return now_; });
    server_ = std::make_unique<AdminServer>(registry_, health_.get());
    ASSERT_TRUE(server_->Start("127.0.0.1", 0));
    ASSERT_GT(server_->port(), 0);
  }

  std::chrono::steady_clock::time_point now_{std::chrono::seconds(1000)};
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Health> health_;
  std::unique_ptr<AdminServer> server_;
};

TEST_F(AdminServerTest, MetricsServesPrometheusText) {
  std::string r = Get(server_->port(), "/metrics");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 200")) << r;
  EXPECT_NE(r.find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(r.find("crawlstream_test_events_total{kind=\"a\"} 3"), std::string::npos) << r;
}

TEST_F(AdminServerTest, HealthzFollowsMainLoopBeat) {
  health_->Beat();
  EXPECT_TRUE(Get(server_->port(), "/healthz").starts_with("HTTP/1.1 200"));
  now_ += std::chrono::seconds(31);  // the loop stopped beating
  EXPECT_TRUE(Get(server_->port(), "/healthz").starts_with("HTTP/1.1 503"));
  health_->Beat();
  EXPECT_TRUE(Get(server_->port(), "/healthz").starts_with("HTTP/1.1 200"));
}

TEST_F(AdminServerTest, ReadyzRequiresEveryCondition) {
  health_->Set("broker", false);
  health_->Set("partitions_assigned", false);
  std::string r = Get(server_->port(), "/readyz");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 503")) << r;
  EXPECT_NE(r.find("broker=waiting"), std::string::npos);
  health_->Set("broker", true);
  EXPECT_TRUE(Get(server_->port(), "/readyz").starts_with("HTTP/1.1 503"));
  health_->Set("partitions_assigned", true);
  EXPECT_TRUE(Get(server_->port(), "/readyz").starts_with("HTTP/1.1 200"));
}

TEST_F(AdminServerTest, UnknownPathAndMethodAndGarbage) {
  EXPECT_TRUE(Get(server_->port(), "/nope").starts_with("HTTP/1.1 404"));
  EXPECT_TRUE(Request(server_->port(), "POST /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405"));
  EXPECT_TRUE(Request(server_->port(), "garbage\r\n\r\n").starts_with("HTTP/1.1 400"));
  // Still serving after bad requests.
  EXPECT_TRUE(Get(server_->port(), "/metrics").starts_with("HTTP/1.1 200"));
}

TEST(AdminServerStartTest, InvalidHostIsAClearError) {
  auto registry = std::make_shared<prometheus::Registry>();
  Health health;
  AdminServer server(registry, &health);
  auto st = server.Start("not-an-address", 0);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("not-an-address"), std::string::npos);
}

}  // namespace
}  // namespace crawlstream
