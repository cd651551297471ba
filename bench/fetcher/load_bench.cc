// Load driver for the HTTP client: fetches every URL of a file (one per
// line) through HttpClient on one thread with N transfers in flight, and
// prints pages/s, MB/s and CPU time per page. Used by load.sh next to wrk.
//
//   fetcher_load_bench URLS_FILE [CONCURRENCY=64] [ALLOW_CIDR=127.0.0.0/8]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "services/fetcher/http_client.h"

using namespace crawlstream::fetcher;

namespace {

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s URLS_FILE [CONCURRENCY] [ALLOW_CIDR]\n", argv[0]);
    return 2;
  }
  std::vector<std::string> urls;
  std::ifstream in(argv[1]);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) urls.push_back(line);
  }
  size_t concurrency = argc > 2 ? static_cast<size_t>(std::atoi(argv[2])) : 64;
  std::vector<std::string> allow = {argc > 3 ? argv[3] : "127.0.0.0/8"};
  auto guard = SsrfGuard::Create(allow);
  if (!guard) {
    std::fprintf(stderr, "%s\n", guard.error().ToString().c_str());
    return 2;
  }
  HttpClientOptions options;
  options.max_body_bytes = 4 * 1024 * 1024;
  auto client = HttpClient::Create(options, *guard);
  if (!client) return 1;

  size_t next = 0, ok = 0, failed = 0;
  uint64_t bytes = 0;
  auto start_wall = std::chrono::steady_clock::now();
  double start_cpu = CpuSeconds();
  auto on_done = [&](FetchResult r) {
    if (r.ok() && r.status == 200) {
      ++ok;
      bytes += r.body.size();
    } else {
      ++failed;
    }
  };
  while (ok + failed < urls.size()) {
    while (next < urls.size() && (*client)->in_flight() < concurrency) {
      if (!(*client)->Start(FetchRequest{urls[next++], {}, 0, false}, on_done)) ++failed;
    }
    (*client)->Poll(std::chrono::milliseconds(100));
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_wall).count();
  double cpu = CpuSeconds() - start_cpu;
  std::printf("pages=%zu failed=%zu wall_s=%.3f pages_per_s=%.0f MB_per_s=%.1f cpu_s=%.3f cpu_us_per_page=%.1f\n",
              ok, failed, wall, static_cast<double>(ok) / wall, static_cast<double>(bytes) / wall / 1e6, cpu,
              cpu * 1e6 / static_cast<double>(ok ? ok : 1));
  return failed == 0 ? 0 : 1;
}
