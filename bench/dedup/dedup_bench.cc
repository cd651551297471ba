// Dedup index benchmarks on 1,000,000 synthetic articles.
//
//   BM_LookupInsert      one Decide-equivalent per item on a 1M index: id
//                        lookup, near-duplicate lookup (LSH probes +
//                        verification), insert when new. 1 in 10 queries is
//                        an exact copy of an indexed article.
//   BM_Restore           restore 1M articles from pre-computed fingerprints
//                        into an empty index (reserved / growing).
//   BM_NormalizeFingerprint  the per-article text work before the index:
//                        normalise + fingerprint the labelled set's bodies.
// Counters: bytes_per_article (index accounting) and rss_per_article (RSS
// delta while building), items_per_second.
//
// Synthetic fingerprints have random minhashes, so unrelated articles almost
// never collide in a table: real corpora, where stock phrases make some
// unrelated articles share bands, cost more verification per lookup.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <unistd.h>

#include "crawlstream/v1/article.pb.h"
#include "services/common/article_json.h"
#include "services/dedup/deduplicator.h"

namespace crawlstream::dedup {
namespace {

constexpr size_t kArticles = 1'000'000;
constexpr size_t kQueries = 200'000;  // per BM_LookupInsert run

Fingerprint SyntheticFingerprint(uint64_t i) {
  Fingerprint fp;
  fp.length = 800 + static_cast<uint32_t>(Mix64(i) % 2000);
  fp.body_hash = Mix64(i ^ 0x1234);
  fp.simhash = Mix64(i ^ 0x5678);
  fp.numbers = static_cast<uint32_t>(Mix64(i ^ 0x9abc));
  for (int t = 0; t < kLshTables; ++t) {
    for (int j = 0; j < kLshProbes; ++j) {
      // Ascending like real bottom-k values.
      fp.bottom[t][j] = (Mix64(i * 64 + static_cast<uint64_t>(t * 16 + j) + 1) >> 4) +
                        (uint64_t(j) << 60);
    }
  }
  for (int w = 0; w < kSketchWords; ++w) {
    fp.sketch[w] = static_cast<uint32_t>(Mix64(~i * kSketchWords + static_cast<uint64_t>(w)));
  }
  return fp;
}

std::string SyntheticId(uint64_t i) {
  char id[33];
  std::snprintf(id, sizeof(id), "%016llx%016llx",
                static_cast<unsigned long long>(Mix64(i)),
                static_cast<unsigned long long>(Mix64(~i)));
  return id;
}

CanonicalKey SyntheticKey(uint64_t i) {
  CanonicalKey key;
  key.published = 1'700'000'000u + static_cast<uint32_t>(i);
  key.url_length = 40 + static_cast<uint8_t>(i % 60);
  key.publisher = static_cast<uint16_t>(1 + i % 1000);
  return key;
}

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

void Fill(DedupIndex& index, size_t n) {
  for (uint64_t i = 0; i < n; ++i) {
    if (!index.Upsert(SyntheticId(i), SyntheticKey(i), SyntheticFingerprint(i))) {
      std::abort();
    }
  }
}

void BM_LookupInsert(benchmark::State& state) {
  IndexOptions options;
  options.method = static_cast<NearMethod>(state.range(0));
  const size_t rss_before = ResidentBytes();
  auto index = std::make_unique<DedupIndex>(options);
  index->Reserve(kArticles + kQueries * 9 / 10);  // 1 in 10 is a copy
  Fill(*index, kArticles);
  const size_t rss_after = ResidentBytes();
  uint64_t next = kArticles;
  uint64_t duplicates = 0;
  for (auto _ : state) {
    const uint64_t i = next++;
    // Every tenth query is an exact copy of an indexed article.
    const bool copy = i % 10 == 0;
    const Fingerprint fp = SyntheticFingerprint(copy ? i % kArticles : i);
    const std::string id = SyntheticId(i);
    if (index->FindId(id)) continue;
    auto match = index->FindDuplicate(fp);
    if (match) {
      ++duplicates;
    } else {
      benchmark::DoNotOptimize(index->Upsert(id, SyntheticKey(i), fp));
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["index_articles"] = static_cast<double>(index->size());
  state.counters["duplicates"] = static_cast<double>(duplicates);
  state.counters["bytes_per_article"] =
      static_cast<double>(index->MemoryBytes()) / static_cast<double>(index->size());
  // RSS of the 1M fill (tables reserved for 1.2M).
  state.counters["rss_per_article"] =
      static_cast<double>(rss_after - rss_before) / kArticles;
}
BENCHMARK(BM_LookupInsert)
    ->Arg(static_cast<int>(NearMethod::kMinHashLsh))
    ->Arg(static_cast<int>(NearMethod::kSimHash))
    ->Iterations(kQueries)
    ->Unit(benchmark::kMicrosecond);

// Restore 1M articles; range(0) = 1: Reserve() first (service knows the
// topic size), 0: grow.
void BM_Restore(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    const size_t rss_before = ResidentBytes();
    DedupOptions options;
    options.expected_articles = state.range(0) ? kArticles : 0;
    auto dedup = std::make_unique<Deduplicator>(options, nullptr);
    state.ResumeTiming();
    for (uint64_t i = 0; i < kArticles; ++i) {
      if (!dedup->Restore(SyntheticId(i), SyntheticKey(i),
                          SyntheticFingerprint(i))) {
        std::abort();
      }
    }
    state.PauseTiming();
    state.counters["bytes_per_article"] =
        static_cast<double>(dedup->index().MemoryBytes()) / kArticles;
    state.counters["rss_per_article"] =
        static_cast<double>(ResidentBytes() - rss_before) / kArticles;
    dedup.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kArticles);
}
BENCHMARK(BM_Restore)->Arg(1)->Arg(0)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_NormalizeFingerprint(benchmark::State& state) {
  const char* dir = std::getenv("CRAWLSTREAM_SOURCE_DIR");
  std::ifstream jsonl(std::string(dir ? dir : ".") +
                      "/tests/fixtures/dedup/articles.jsonl");
  std::vector<crawlstream::v1::Article> articles;
  for (std::string line; std::getline(jsonl, line);) {
    crawlstream::v1::Article a;
    if (JsonToMessage(line, &a)) articles.push_back(std::move(a));
  }
  if (articles.empty()) {
    state.SkipWithError("labelled set not found (run from the repo root)");
    return;
  }
  auto converter = MakeOpenccConverter();
  Deduplicator dedup(DedupOptions{}, converter ? converter->get() : nullptr);
  size_t i = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    const auto& a = articles[i++ % articles.size()];
    bytes += a.body().size();
    benchmark::DoNotOptimize(dedup.FingerprintOf(a));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_NormalizeFingerprint)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace crawlstream::dedup

BENCHMARK_MAIN();
