#include "services/fetcher/state_keeper.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include "services/common/kafka_reader.h"
#include "services/fetcher/state_store.h"

namespace crawlstream::fetcher {

struct StateKeeper::Metrics {
  prometheus::Counter* restored = nullptr;
  prometheus::Gauge* restore_seconds = nullptr;
  prometheus::Gauge* urls = nullptr;
  prometheus::Gauge* disk = nullptr;
  prometheus::Gauge* memory = nullptr;
  prometheus::Gauge* partitions = nullptr;
  prometheus::Gauge* scheduled = nullptr;
};

namespace {

prometheus::Gauge* Gauge(prometheus::Registry& r, const char* name, const char* help) {
  return &prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

StateKeeper::~StateKeeper() = default;

Result<std::unique_ptr<StateKeeper>> StateKeeper::Create(const std::string& dir,
                                                         const KafkaOptions& kafka,
                                                         const TopicNames& topics,
                                                         prometheus::Registry& registry,
                                                         std::chrono::milliseconds timeout) {
  std::unique_ptr<StateKeeper> k(new StateKeeper());
  k->topic_ = topics.state;
  k->timeout_ = timeout;
  auto store = StateStore::Open(dir);
  if (!store) {
    return Fail(ErrorCode::kInvalidArgument, "fetcher.state_dir: " + store.error().message);
  }
  k->store_ = std::move(*store);
  auto reader = TopicReader::Create(kafka, "crawlstream-fetcher-state-restore");
  if (!reader) return std::unexpected(reader.error());
  k->reader_ = std::move(*reader);
  auto state_parts = k->reader_->PartitionCount(topics.state, timeout);
  if (!state_parts) {
    return Fail(ErrorCode::kInvalidArgument, "topics.state: " + state_parts.error().message);
  }
  auto request_parts = k->reader_->PartitionCount(topics.requests, timeout);
  if (!request_parts) {
    return Fail(ErrorCode::kInvalidArgument, "topics.requests: " + request_parts.error().message);
  }
  if (*state_parts != *request_parts) {
    return Fail(ErrorCode::kInvalidArgument,
                "topics.state: " + topics.state + " has " + std::to_string(*state_parts) +
                    " partitions but topics.requests " + topics.requests + " has " +
                    std::to_string(*request_parts) + ": they must be co-partitioned");
  }
  auto m = std::make_unique<Metrics>();
  m->restored = &prometheus::BuildCounter()
                     .Name("crawlstream_fetch_state_restored_urls_total")
                     .Help("Crawl-state records read back from the changelog when partitions "
                           "were assigned")
                     .Register(registry)
                     .Add({});
  m->restore_seconds = Gauge(registry, "crawlstream_fetch_state_restore_seconds",
                             "Time the last assignment took to restore its crawl state");
  m->urls = Gauge(registry, "crawlstream_fetch_state_urls",
                  "URLs in the local crawl-state store (estimate)");
  m->disk = Gauge(registry, "crawlstream_fetch_state_disk_bytes",
                  "Bytes of the local crawl-state store on disk (SST files)");
  m->memory = Gauge(registry, "crawlstream_fetch_state_memory_bytes",
                    "Bytes of memory of the crawl-state store (memtables, table readers, block "
                    "cache)");
  m->partitions = Gauge(registry, "crawlstream_fetch_state_partitions",
                        "Partitions whose crawl state this instance holds");
  m->scheduled = Gauge(registry, "crawlstream_fetch_state_scheduled",
                       "Revisits of pages and polls of feeds scheduled in the owned partitions' "
                       "due index, due or not (estimate: entries superseded by a later fetch "
                       "count until their time)");
  k->metrics_ = std::move(m);
  return k;
}

Status StateKeeper::Restore(const std::vector<int32_t>& partitions) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + timeout_;
  int64_t total = 0;
  int resumed = 0;
  for (int32_t p : partitions) {
    auto fail = [&](const std::string& why) {
      (void)store_->Drop(p);
      UpdateMetrics();
      return Fail(ErrorCode::kUnavailable,
                  "restoring " + topic_ + " partition " + std::to_string(p) + ": " + why);
    };
    auto marks = reader_->Watermarks(topic_, p, deadline);
    if (!marks) return fail(marks.error().message);
    const auto [low, high] = *marks;
    // Resume from a checkpoint this directory holds, when the record it
    // names is still there (state_store.h).
    auto checkpoint = store_->Checkpoint(p);
    bool resume = false;
    if (checkpoint && !checkpoint->last_key.empty() && checkpoint->next_offset > low &&
        checkpoint->next_offset <= high) {
      const int64_t at = checkpoint->next_offset - 1;
      auto st = reader_->ReadRange(topic_, p, at, at + 1, deadline, [&](const ReadRecord& r) {
        resume = r.offset == at && r.key == checkpoint->last_key;
      });
      if (!st) return fail(st.error().message);
    }
    store_->BeginRestore(p, resume);
    std::optional<StateCheckpoint> reached;
    if (resume) reached = checkpoint;
    Status applied = Ok();
    auto st = reader_->ReadRange(topic_, p, resume ? checkpoint->next_offset : low, high, deadline,
                                 [&](const ReadRecord& r) {
                                   if (!applied) return;
                                   applied = store_->Restore(p, r.key, r.value, r.tombstone);
                                   reached = StateCheckpoint{r.offset + 1, std::string(r.key), 0};
                                 });
    if (!st) return fail(st.error().message);
    if (!applied) return fail(applied.error().message);
    auto n = store_->FinishRestore(p, reached);
    if (!n) return fail(n.error().message);
    total += *n;
    resumed += resume ? 1 : 0;
    metrics_->restored->Increment(static_cast<double>(*n));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_->restore_seconds->Set(seconds);
  UpdateMetrics();
  spdlog::info("fetcher: restored the crawl state of {} partitions from {} ({} from a local "
               "checkpoint): {} records in {:.3f} s",
               partitions.size(), topic_, resumed, total, seconds);
  return Ok();
}

void StateKeeper::Drop(const std::vector<int32_t>& partitions) {
  for (int32_t p : partitions) {
    if (auto st = store_->Drop(p); !st) spdlog::warn("fetcher: {}", st.error().message);
  }
  UpdateMetrics();
}

void StateKeeper::Release(const std::vector<int32_t>& partitions) {
  for (int32_t p : partitions) store_->Release(p);
  UpdateMetrics();
}

void StateKeeper::UpdateMetrics() {
  metrics_->urls->Set(static_cast<double>(store_->EstimatedUrls()));
  metrics_->disk->Set(static_cast<double>(store_->DiskBytes()));
  metrics_->memory->Set(static_cast<double>(store_->MemoryBytes()));
  metrics_->partitions->Set(static_cast<double>(store_->owned_partitions()));
  metrics_->scheduled->Set(static_cast<double>(store_->ScheduledUrls()));
}

}  // namespace crawlstream::fetcher
