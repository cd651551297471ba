#include "services/cli/seed_command.h"

#include <google/protobuf/util/time_util.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "crawlstream/v1/crawl_request.pb.h"
#include "services/common/config.h"
#include "services/common/kafka_options.h"
#include "services/common/kafka_producer.h"
#include "services/common/url.h"
#include "services/fetcher/crawler.h"
#include "services/fetcher/fetcher_service.h"

extern char** environ;

namespace crawlstream {
namespace {

constexpr char kUsage[] =
    "usage: crawlstream seed [--brokers HOST:PORT] [--config FILE]\n"
    "                        [--kind auto|page|feed|sitemap] [--file FILE] [URL...]\n"
    "Puts one CrawlRequest per URL on topics.requests (crawl.requests).\n"
    "--kind auto (default) guesses feeds and sitemaps from the URL.\n";

using crawlstream::v1::CrawlRequest;

}  // namespace

int RunSeedCommand(int argc, char** argv) {
  KafkaOptions kafka;
  TopicNames topics;
  Config config;
  BindKafkaOptions(&config, &kafka);
  BindTopics(&config, &topics);
  ParsedArgs args = ParseArgs(argc, argv, 2, {"help"});
  std::string config_path, file, kind = "auto";
  std::vector<std::pair<std::string, std::string>> flags;
  for (auto& [k, v] : args.flags) {
    if (k == "help") {
      std::cout << kUsage;
      return 0;
    }
    if (k == "brokers") flags.emplace_back("kafka.brokers", v);
    else if (k == "config") config_path = v;
    else if (k == "file") file = v;
    else if (k == "kind") kind = v;
    else flags.emplace_back(k, v);
  }
  if (kind != "auto" && kind != "page" && kind != "feed" && kind != "sitemap") {
    std::cerr << "crawlstream seed: --kind \"" << kind << "\": not auto, page, feed or sitemap\n";
    return 2;
  }
  if (auto st = config.Load(config_path, environ, flags); !st) {
    std::cerr << "crawlstream seed: " << st.error().message << "\n";
    return 2;
  }
  if (kafka.brokers.empty()) {
    std::cerr << "crawlstream seed: no brokers (--brokers or kafka.brokers)\n";
    return 2;
  }

  // Every URL with where it came from, checked before anything is sent.
  std::vector<std::pair<std::string, std::string>> urls;  // (origin, url)
  for (const auto& u : args.positional) urls.emplace_back("argument", u);
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) {
      std::cerr << "crawlstream seed: " << file << ": cannot be read\n";
      return 2;
    }
    int n = 0;
    for (std::string line; std::getline(in, line);) {
      ++n;
      const auto b = line.find_first_not_of(" \t\r");
      if (b == std::string::npos || line[b] == '#') continue;
      const auto e = line.find_last_not_of(" \t\r");
      urls.emplace_back(file + ":" + std::to_string(n), line.substr(b, e - b + 1));
    }
  }
  if (urls.empty()) {
    std::cerr << "crawlstream seed: no URLs\n" << kUsage;
    return 2;
  }
  std::vector<CrawlRequest> requests;
  int bad = 0;
  for (const auto& [origin, url] : urls) {
    auto parsed = ParseUrl(url);
    if (!parsed) {
      std::cerr << "crawlstream seed: " << origin << ": \"" << url
                << "\": " << parsed.error().message << "\n";
      ++bad;
      continue;
    }
    CrawlRequest req;
    req.set_url(Canonicalize(*parsed).ToString());
    req.set_kind(kind == "page"      ? CrawlRequest::KIND_PAGE
                 : kind == "feed"    ? CrawlRequest::KIND_FEED
                 : kind == "sitemap" ? CrawlRequest::KIND_SITEMAP
                                     : fetcher::GuessKind(req.url()));
    req.set_origin("crawlstream-seed");
    *req.mutable_requested_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
    requests.push_back(std::move(req));
  }
  if (bad > 0) {
    std::cerr << "crawlstream seed: " << bad << " invalid URL(s); nothing sent\n";
    return 2;
  }
  auto producer = Producer::Create(kafka, std::make_shared<prometheus::Registry>(), nullptr);
  if (!producer) {
    std::cerr << "crawlstream seed: " << producer.error().message << "\n";
    return 1;
  }
  std::atomic<int64_t> acked{0};
  if (auto st = fetcher::PublishRequests(producer->get(), topics.requests, requests, &acked);
      !st) {
    std::cerr << "crawlstream seed: " << st.error().message << " (" << acked.load() << " of "
              << requests.size() << " acknowledged)\n";
    return 1;
  }
  std::cerr << "crawlstream seed: " << requests.size() << " request(s) on " << topics.requests
            << "\n";
  return 0;
}

}  // namespace crawlstream
