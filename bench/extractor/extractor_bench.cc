// Documents/s on real pages: (a) a bare gumbo parse of the raw bytes and
// (b) the full extraction of the same bytes, in the same run, over the
// labelled dev corpora as crawled (no synthetic padding):
//   ZhNews  ../shared/corpus/zh-news-dev/html/*.html (35 pages, GBK/UTF-8,
//           2005-2022 Chinese news and blogs);
//   Wcxb    ../shared/corpus/wcxb-dev/html/*.html.gz (1,497 pages of 2025-26,
//           seven page types, mostly English; ~270 KB each on average).
// The corpus root is ../shared/corpus relative to the source tree, or
// $CRAWLSTREAM_CORPUS_DIR. Single-threaded: the figures are per core. The
// ratio that matters is BM_Extract / BM_GumboParse items_per_second on the
// same corpus. One iteration is one pass over every page of the corpus, so
// both benchmarks always see the same page mix (pages differ 100x in size;
// a time-boxed partial pass would compare different pages).
#include <benchmark/benchmark.h>
#include <gumbo.h>
#include <zlib.h>

#include <algorithm>
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

fs::path CorpusRoot() {
  if (const char* env = std::getenv("CRAWLSTREAM_CORPUS_DIR")) return env;
  return fs::path(CRAWLSTREAM_DEFAULT_SOURCE_DIR) / ".." / "shared" / "corpus";
}

std::string ReadAll(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string ReadGzip(const fs::path& p) {
  std::string out;
  gzFile f = gzopen(p.c_str(), "rb");
  if (f == nullptr) return out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  gzclose(f);
  return out;
}

// Files of `dir` ending in `suffix`, sorted (a stable page order).
std::vector<std::string> LoadDir(const fs::path& dir, std::string_view suffix) {
  std::vector<fs::path> paths;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().string().ends_with(suffix)) paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> pages;
  for (const auto& p : paths)
    pages.push_back(suffix.ends_with(".gz") ? ReadGzip(p) : ReadAll(p));
  return pages;
}

const std::vector<std::string>& ZhNews() {
  static const auto* pages =
      new std::vector<std::string>(LoadDir(CorpusRoot() / "zh-news-dev" / "html", ".html"));
  return *pages;
}

const std::vector<std::string>& Wcxb() {
  static const auto* pages =
      new std::vector<std::string>(LoadDir(CorpusRoot() / "wcxb-dev" / "html", ".html.gz"));
  return *pages;
}

void Report(benchmark::State& state, const std::vector<std::string>& pages, size_t docs,
            size_t bytes) {
  state.SetItemsProcessed(static_cast<int64_t>(docs));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  size_t total = 0;
  for (const auto& p : pages) total += p.size();
  state.counters["pages"] = static_cast<double>(pages.size());
  state.counters["avg_kb"] =
      pages.empty() ? 0 : static_cast<double>(total) / static_cast<double>(pages.size()) / 1024.0;
}

void GumboParse(benchmark::State& state, const std::vector<std::string>& pages) {
  if (pages.empty()) {
    state.SkipWithError("corpus not found (set CRAWLSTREAM_CORPUS_DIR)");
    return;
  }
  size_t docs = 0, bytes = 0;
  for (auto _ : state) {
    for (const std::string& p : pages) {
      GumboOutput* out = gumbo_parse_with_options(&kGumboDefaultOptions, p.data(), p.size());
      benchmark::DoNotOptimize(out);
      gumbo_destroy_output(&kGumboDefaultOptions, out);
      ++docs;
      bytes += p.size();
    }
  }
  Report(state, pages, docs, bytes);
}

void Extract(benchmark::State& state, const std::vector<std::string>& pages) {
  if (pages.empty()) {
    state.SkipWithError("corpus not found (set CRAWLSTREAM_CORPUS_DIR)");
    return;
  }
  static const Extractor* ex = new Extractor(ExtractorOptions{});
  size_t docs = 0, bytes = 0;
  for (auto _ : state) {
    for (const std::string& p : pages) {
      PageInput in;
      in.body = p;
      in.url = "https://news.example.com/2024/05/12/story.html";
      auto a = ex->Extract(in);
      benchmark::DoNotOptimize(a);
      ++docs;
      bytes += p.size();
    }
  }
  Report(state, pages, docs, bytes);
}

void BM_GumboParse_ZhNews(benchmark::State& s) { GumboParse(s, ZhNews()); }
void BM_Extract_ZhNews(benchmark::State& s) { Extract(s, ZhNews()); }
void BM_GumboParse_Wcxb(benchmark::State& s) { GumboParse(s, Wcxb()); }
void BM_Extract_Wcxb(benchmark::State& s) { Extract(s, Wcxb()); }

BENCHMARK(BM_GumboParse_ZhNews)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Extract_ZhNews)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GumboParse_Wcxb)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Extract_Wcxb)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
