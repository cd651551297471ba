// The fetcher's crawl-state store (services/fetcher/state_store.h): bytes
// per URL on disk and in memory, and how long restoring a partition from a
// real crawl.state topic takes (StateKeeper::Restore, the fetcher's own
// path). Run by bench/fetcher/state_bench.sh, which starts a one-node
// Kafka (scripts/kafka.sh) and creates the topics:
//
//   fetcher_state_bench --brokers HOST:PORT --urls 1000000 --dir DIR [--runs 3]
//
// 1. produces --urls synthetic but realistic UrlStates (news-site URLs of
//    2,000 hosts, ETag, Last-Modified, SHA-256 content hash, timestamps)
//    to crawl.state partition 0 (key = URL);
// 2. fills a store with the same states through Put (one by one, as the
//    crawler writes them);
// 3. restores partition 0 into a new store --runs times; reports the
//    median, and the disk and memory the restored store takes;
// 4. reopens the last store as a restarted fetcher would (the partition
//    released with its checkpoint) and restores again: only what the
//    changelog gained since is read;
// 5. drains its due index (half the states have a next_due, filed by the
//    restore) the way the crawler does, TakeDue in batches of 256: the
//    cost of revisits and feed polls per million due URLs.
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "crawlstream/v1/crawl_state.pb.h"
#include "services/common/kafka_options.h"
#include "services/common/kafka_producer.h"
#include "services/fetcher/state_keeper.h"
#include "services/fetcher/state_store.h"

namespace {

using crawlstream::v1::UrlState;
using Clock = std::chrono::steady_clock;

constexpr const char* kWords[] = {
    "election", "market",  "storm",   "minister", "court",  "league", "budget", "vaccine",
    "climate",  "strike",  "merger",  "festival", "report", "police", "school", "airport",
    "rates",    "housing", "energy",  "border",   "final",  "record", "talks",  "summit"};
constexpr const char* kSections[] = {"world", "politics", "business", "sport", "culture",
                                     "science", "local", "opinion"};

std::string Url(std::mt19937_64& rng, int64_t i) {
  auto pick = [&](auto& table) { return table[rng() % std::size(table)]; };
  std::string url = "https://www.news-" + std::to_string(rng() % 2000) + ".example/";
  url += pick(kSections);
  url += "/202" + std::to_string(rng() % 5) + "/" + std::to_string(1 + rng() % 12) + "/" +
         std::to_string(1 + rng() % 28) + "/";
  for (int w = 0, n = 3 + static_cast<int>(rng() % 5); w < n; ++w) {
    url += pick(kWords);
    url += '-';
  }
  url += std::to_string(i) + ".html";
  return url;
}

std::string Hex(std::mt19937_64& rng, int chars) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < chars; ++i) s += kHex[rng() % 16];
  return s;
}

UrlState State(std::mt19937_64& rng) {
  UrlState s;
  const int64_t fetched = 1'700'000'000 + static_cast<int64_t>(rng() % 30'000'000);
  s.mutable_first_seen()->set_seconds(fetched - static_cast<int64_t>(rng() % 1'000'000));
  s.mutable_last_fetched()->set_seconds(fetched);
  s.mutable_last_fetched()->set_nanos(static_cast<int32_t>(rng() % 1'000'000'000));
  s.set_outcome("processed");
  s.set_http_status(200);
  s.set_etag("\"" + Hex(rng, 8) + "-" + Hex(rng, 4) + "\"");
  s.set_last_modified("Fri, 05 Jul 2024 13:53:" + std::to_string(10 + rng() % 50) + " GMT");
  s.set_content_hash(Hex(rng, 64));
  if (rng() % 2) s.mutable_next_due()->set_seconds(fetched + 86'400);
  s.set_revisit_count(static_cast<uint32_t>(rng() % 4));
  return s;
}

int64_t RssBytes() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      int64_t kb = 0;
      in >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "fetcher_state_bench: %s\n", what.c_str());
  std::exit(1);
}

// Hands out everything in partition 0's due index the way the crawler
// does (TakeDue, 256 at a time) and prints the rate.
void DrainDueIndex(crawlstream::fetcher::StateStore* store) {
  const int64_t scheduled = store->ScheduledUrls();
  const auto after_all = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  const auto due = [](const UrlState&) {
    return std::optional<std::chrono::system_clock::time_point>(std::chrono::system_clock::time_point{});
  };
  int64_t taken = 0;
  const auto t0 = Clock::now();
  while (true) {
    auto batch = store->TakeDue(0, after_all, 256, std::chrono::hours(24 * 365 * 10), due);
    if (!batch) Die(batch.error().message);
    if (batch->empty()) break;
    taken += static_cast<int64_t>(batch->size());
  }
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("due index: %lld entries; TakeDue x 256 handed out %lld URLs in %.2f s = %.2f s "
              "per million (%.0f per second)\n",
              static_cast<long long>(scheduled), static_cast<long long>(taken), s,
              s * 1e6 / static_cast<double>(std::max<int64_t>(1, taken)),
              static_cast<double>(taken) / std::max(s, 1e-9));
}

}  // namespace

int main(int argc, char** argv) {
  std::string brokers;
  std::string dir = "/tmp/crawlstream-state-bench";
  int64_t urls = 1'000'000;
  int runs = 3;
  bool due_only = false;  // --due-only 1: steps 2 and 5 on the filled store, no Kafka
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--brokers") brokers = argv[i + 1];
    else if (a == "--urls") urls = std::atoll(argv[i + 1]);
    else if (a == "--dir") dir = argv[i + 1];
    else if (a == "--runs") runs = std::atoi(argv[i + 1]);
    else if (a == "--due-only") due_only = std::atoi(argv[i + 1]) != 0;
    else Die("unknown flag " + a);
  }
  if (brokers.empty() && !due_only) Die("--brokers is required");
  spdlog::set_level(spdlog::level::warn);
  crawlstream::KafkaOptions kafka;
  kafka.brokers = brokers;
  kafka.group_id = "crawlstream-state-bench";
  crawlstream::TopicNames topics;
  auto registry = std::make_shared<prometheus::Registry>();

  // 1. The changelog.
  if (!due_only) {
    auto producer = crawlstream::Producer::Create(kafka, registry, nullptr);
    if (!producer) Die(producer.error().message);
    std::mt19937_64 rng(42);
    std::atomic<int64_t> failed{0};
    const auto t0 = Clock::now();
    int64_t bytes = 0;
    for (int64_t i = 0; i < urls; ++i) {
      crawlstream::OutRecord r{topics.state, Url(rng, i), State(rng).SerializeAsString(), {}};
      r.partition = 0;
      bytes += static_cast<int64_t>(r.key.size() + r.value.size());
      auto st = (*producer)->Produce(std::move(r), [&failed](const crawlstream::DeliveryReport& d) {
        if (!d.ok()) failed.fetch_add(1);
      });
      if (!st) Die(st.error().message);
    }
    if (auto st = (*producer)->Flush(std::chrono::minutes(10)); !st) Die(st.error().message);
    if (failed.load() > 0) Die(std::to_string(failed.load()) + " records not delivered");
    std::printf("produced %lld states to %s/0 in %.1f s: %.1f bytes of key+value per URL\n",
                static_cast<long long>(urls), topics.state.c_str(),
                std::chrono::duration<double>(Clock::now() - t0).count(),
                static_cast<double>(bytes) / static_cast<double>(urls));
  }

  // 2. Fill through Put.
  {
    auto store = crawlstream::fetcher::StateStore::Open(dir + "/fill");
    if (!store) Die(store.error().message);
    (*store)->BeginRestore(0);
    if (auto n = (*store)->FinishRestore(0); !n) Die(n.error().message);
    std::mt19937_64 rng(42);
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < urls; ++i) {
      std::string url = Url(rng, i);
      if (auto v = (*store)->Put(0, url, State(rng)); !v) Die(v.error().message);
    }
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (auto st = (*store)->Flush(); !st) Die(st.error().message);
    std::printf("fill by Put: %.1f s (%.0f puts/s); on disk %.1f bytes/URL\n", s,
                static_cast<double>(urls) / s,
                static_cast<double>((*store)->DiskBytes()) / static_cast<double>(urls));
    if (due_only) {
      DrainDueIndex(store->get());
      return 0;
    }
  }

  // 3. Restore, --runs times.
  std::vector<double> seconds;
  for (int run = 0; run < runs; ++run) {
    const int64_t rss0 = RssBytes();
    prometheus::Registry run_registry;
    auto keeper = crawlstream::fetcher::StateKeeper::Create(
        dir + "/restore-" + std::to_string(run), kafka, topics, run_registry, std::chrono::minutes(30));
    if (!keeper) Die(keeper.error().message);
    const auto t0 = Clock::now();
    if (auto st = (*keeper)->Restore({0}); !st) Die(st.error().message);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    seconds.push_back(s);
    auto* store = (*keeper)->store();
    const int64_t memory = store->MemoryBytes();
    const int64_t rss = RssBytes() - rss0;
    const auto restored = static_cast<double>(std::max<int64_t>(1, store->EstimatedUrls()));
    if (auto st = store->Flush(); !st) Die(st.error().message);
    std::printf("restore %d: %.0f URLs in %.2f s (%.2f s per million); store memory %.1f MiB "
                "(%.1f bytes/URL), RSS +%.1f MiB; on disk %.1f bytes/URL\n",
                run + 1, restored, s, s * 1e6 / restored, static_cast<double>(memory) / (1 << 20),
                static_cast<double>(memory) / restored, static_cast<double>(rss) / (1 << 20),
                static_cast<double>(store->DiskBytes()) / restored);
  }
  // 4. A restart on the same directory.
  {
    // The last run's store was closed owning partition 0 with its
    // checkpoint, as a SIGTERM leaves it (Release).
    const std::string last = dir + "/restore-" + std::to_string(runs - 1);
    prometheus::Registry again_registry;
    const auto t0 = Clock::now();
    auto keeper = crawlstream::fetcher::StateKeeper::Create(last, kafka, topics, again_registry,
                                                            std::chrono::minutes(30));
    if (!keeper) Die(keeper.error().message);
    if (auto st = (*keeper)->Restore({0}); !st) Die(st.error().message);
    std::printf("restart on the same directory (open + resume from the local checkpoint): %.2f s, "
                "%lld URLs held\n",
                std::chrono::duration<double>(Clock::now() - t0).count(),
                static_cast<long long>((*keeper)->store()->EstimatedUrls()));
    // 5. The due index, as restored.
    DrainDueIndex((*keeper)->store());
  }
  std::sort(seconds.begin(), seconds.end());
  const double median = seconds[seconds.size() / 2];
  std::printf("restore median of %d: %.2f s for %lld URLs = %.2f s per million URLs\n", runs, median,
              static_cast<long long>(urls), median * 1e6 / static_cast<double>(urls));
  return 0;
}
