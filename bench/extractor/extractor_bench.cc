// Documents/s for (a) a bare gumbo parse of the raw bytes and (b) the full
// extraction of the same bytes, over two corpora:
//   real/   the zh-news-dev pages as crawled (10-250 KB, mostly GBK/UTF-8);
//   padded/ the same pages grown to ~170 KB the way modern news pages are:
//           inline scripts, a large inline JSON state blob, CSS and a
//           JSON-LD block (the bytes the prefilter exists for).
// The corpus is ../shared/corpus/zh-news-dev relative to the source tree,
// or $CRAWLSTREAM_CORPUS_DIR. Single-threaded: the figures are per core.
#include <benchmark/benchmark.h>
#include <gumbo.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "services/extractor/extractor.h"

namespace {

namespace fs = std::filesystem;
using crawlstream::extractor::Extractor;
using crawlstream::extractor::ExtractorOptions;
using crawlstream::extractor::PageInput;

std::string ReadAll(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> LoadCorpus() {
  fs::path dir;
  if (const char* env = std::getenv("CRAWLSTREAM_CORPUS_DIR")) {
    dir = env;
  } else {
    dir = fs::path(CRAWLSTREAM_DEFAULT_SOURCE_DIR) / ".." / "shared" / "corpus" /
          "zh-news-dev" / "html";
  }
  std::vector<std::string> pages;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().extension() == ".html") pages.push_back(ReadAll(entry.path()));
  return pages;
}

// Realistic non-text payload: analytics/bundle scripts, an inline state
// blob, CSS, JSON-LD.
std::string Padding(size_t target) {
  std::string out;
  out += "<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\","
         "\"@type\":\"NewsArticle\",\"headline\":\"bench\",\"datePublished\":"
         "\"2024-07-05T13:53:00+08:00\"}</script>\n";
  out += "<style>";
  for (int i = 0; out.size() < target / 6; ++i)
    out += ".c" + std::to_string(i) + "{margin:0 auto;padding:4px 8px;font:14px/1.8 "
           "\"PingFang SC\",\"Microsoft YaHei\",sans-serif;color:#333}"
           ".c" + std::to_string(i) + ":hover>a{color:#c00;text-decoration:underline}\n";
  out += "</style>\n<script>window.__INITIAL_STATE__={\"list\":[";
  for (int i = 0; out.size() < target * 2 / 3; ++i)
    out += "{\"id\":" + std::to_string(100000 + i) +
           ",\"title\":\"\\u65b0\\u95fb\\u6807\\u9898 " + std::to_string(i) +
           "\",\"url\":\"https://news.example.cn/a/" + std::to_string(i) +
           ".html\",\"tags\":[\"a\",\"b\"],\"html\":\"<div class=\\\"item\\\"><a href=\\\"#\\\">"
           "x</a></div>\"},";
  out += "{}]};</script>\n<script>";
  while (out.size() < target)
    out += "!function(e,t){var n=t.createElement(\"script\");n.async=!0;n.src=e;"
           "var r=t.getElementsByTagName(\"script\")[0];if(r&&r.parentNode)"
           "{r.parentNode.insertBefore(n,r)}for(var i=0;i<10;i++){if(i<5&&i>2){}}}"
           "(\"https://cdn.example.cn/b.js\",document);\n";
  out += "</script>\n";
  return out;
}

std::vector<std::string> Padded(const std::vector<std::string>& pages, size_t target) {
  std::vector<std::string> out;
  for (const auto& p : pages) {
    if (p.size() >= target) {
      out.push_back(p);
      continue;
    }
    std::string pad = Padding(target - p.size());
    std::string page = p;
    size_t head = page.find("</head>");
    if (head == std::string::npos) head = page.find("</HEAD>");
    if (head == std::string::npos) head = 0;
    // Half in <head>, half before </body>, like real pages.
    size_t half = pad.rfind("<script>", pad.size() / 2);
    if (half == std::string::npos) half = 0;
    page.insert(head, pad.substr(0, half));
    size_t body = page.rfind("</body>");
    if (body == std::string::npos) body = page.rfind("</BODY>");
    if (body == std::string::npos) body = page.size();
    page.insert(body, pad.substr(half));
    out.push_back(std::move(page));
  }
  return out;
}

const std::vector<std::string>& Real() {
  static const auto* pages = new std::vector<std::string>(LoadCorpus());
  return *pages;
}

const std::vector<std::string>& Padded170() {
  static const auto* pages = new std::vector<std::string>(Padded(Real(), 170 * 1024));
  return *pages;
}

void Report(benchmark::State& state, const std::vector<std::string>& pages,
            size_t docs, size_t bytes) {
  state.SetItemsProcessed(static_cast<int64_t>(docs));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  size_t total = 0;
  for (const auto& p : pages) total += p.size();
  state.counters["avg_kb"] =
      pages.empty() ? 0 : static_cast<double>(total) / pages.size() / 1024.0;
}

void GumboParse(benchmark::State& state, const std::vector<std::string>& pages) {
  if (pages.empty()) {
    state.SkipWithError("corpus not found");
    return;
  }
  size_t i = 0, docs = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& p = pages[i++ % pages.size()];
    GumboOutput* out = gumbo_parse_with_options(&kGumboDefaultOptions, p.data(), p.size());
    benchmark::DoNotOptimize(out);
    gumbo_destroy_output(&kGumboDefaultOptions, out);
    ++docs;
    bytes += p.size();
  }
  Report(state, pages, docs, bytes);
}

void Extract(benchmark::State& state, const std::vector<std::string>& pages) {
  if (pages.empty()) {
    state.SkipWithError("corpus not found");
    return;
  }
  static const Extractor* ex = new Extractor(ExtractorOptions{});
  size_t i = 0, docs = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& p = pages[i++ % pages.size()];
    PageInput in;
    in.body = p;
    in.url = "https://news.example.cn/a/1.html";
    auto a = ex->Extract(in);
    benchmark::DoNotOptimize(a);
    ++docs;
    bytes += p.size();
  }
  Report(state, pages, docs, bytes);
}

void BM_GumboParse_Real(benchmark::State& s) { GumboParse(s, Real()); }
void BM_Extract_Real(benchmark::State& s) { Extract(s, Real()); }
void BM_GumboParse_Padded170KB(benchmark::State& s) { GumboParse(s, Padded170()); }
void BM_Extract_Padded170KB(benchmark::State& s) { Extract(s, Padded170()); }

BENCHMARK(BM_GumboParse_Real)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Extract_Real)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GumboParse_Padded170KB)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Extract_Padded170KB)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
