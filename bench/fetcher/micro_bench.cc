// Micro-benchmarks of the fetcher's per-URL work: canonicalisation, robots
// matching, SSRF classification, feed/sitemap and HTML link parsing.
#include <benchmark/benchmark.h>

#include <string>

#include "services/common/url.h"
#include "services/fetcher/discovery.h"
#include "services/fetcher/robots.h"
#include "services/fetcher/ssrf.h"
#include "services/fetcher/validators.h"

namespace crawlstream::fetcher {
namespace {

void BM_CanonicalizeUrl(benchmark::State& state) {
  const std::string url =
      "HTTP://News.Example.COM.cn:80/a/./b/../2024-07/05/%e6%96%b0%E9%97%BB.html?id=42&utm_source=x#top";
  for (auto _ : state) benchmark::DoNotOptimize(CanonicalizeUrl(url));
}
BENCHMARK(BM_CanonicalizeUrl);

void BM_RegistrableDomain(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(RegistrableDomain("news.sina.com.cn"));
}
BENCHMARK(BM_RegistrableDomain);

void BM_RobotsIsAllowed(benchmark::State& state) {
  std::string body = "user-agent: *\n";
  for (int i = 0; i < state.range(0); ++i) body += "disallow: /section" + std::to_string(i) + "/*.php$\n";
  body += "allow: /news/\n";
  RobotsTxt robots = RobotsTxt::Parse(body);
  for (auto _ : state) benchmark::DoNotOptimize(robots.IsAllowed("crawlstream", "/news/2024/07/05/story.html?x=1"));
}
BENCHMARK(BM_RobotsIsAllowed)->Arg(10)->Arg(100)->Arg(1000);

void BM_RobotsParse500KiB(benchmark::State& state) {
  std::string body = "user-agent: *\n";
  while (body.size() < 500 * 1024) body += "disallow: /filler/path/that/is/long/enough\n";
  for (auto _ : state) benchmark::DoNotOptimize(RobotsTxt::Parse(body));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_RobotsParse500KiB);

void BM_ClassifyAddress(benchmark::State& state) {
  auto ip = *IpAddress::Parse("::ffff:10.1.2.3");
  for (auto _ : state) benchmark::DoNotOptimize(ClassifyAddress(ip));
}
BENCHMARK(BM_ClassifyAddress);

void BM_SitemapParse(benchmark::State& state) {
  std::string body = "<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">";
  for (int i = 0; i < state.range(0); ++i) {
    body += "<url><loc>http://e.com/2024/07/" + std::to_string(i) + ".html</loc><lastmod>2024-07-05</lastmod></url>";
  }
  body += "</urlset>";
  Url base = *ParseUrl("http://e.com/sitemap.xml");
  for (auto _ : state) benchmark::DoNotOptimize(ParseDiscoveryDocument(body, base));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SitemapParse)->Arg(1000)->Arg(50000);

void BM_HtmlLinks(benchmark::State& state) {
  std::string html = "<html><body>";
  for (int i = 0; i < 300; ++i) html += "<p>text text text <a href=\"/n/" + std::to_string(i) + ".html\">link</a></p>";
  html += "</body></html>";
  Url base = *ParseUrl("http://e.com/index.html");
  for (auto _ : state) benchmark::DoNotOptimize(ExtractHtmlLinks(html, base));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * html.size()));
}
BENCHMARK(BM_HtmlLinks);

void BM_SeenUrlsInsert(benchmark::State& state) {
  SeenUrls seen(1 << 20, 1024);
  uint64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(seen.Insert("e.com", "http://e.com/" + std::to_string(i++ & 0xFFFFF)));
  }
}
BENCHMARK(BM_SeenUrlsInsert);

}  // namespace
}  // namespace crawlstream::fetcher
