#include "services/dedup/dedup_service.h"

#include <google/protobuf/util/time_util.h>
#include <librdkafka/rdkafka.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <functional>
#include <iterator>
#include <thread>

#include "crawlstream/v1/article.pb.h"
#include "crawlstream/v1/duplicate.pb.h"
#include "services/common/config.h"
#include "services/common/kafka_producer.h"
#include "services/common/service_runtime.h"

namespace crawlstream::dedup {
namespace {

uint64_t Fnv(std::string_view s, uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t IdHash(std::string_view id) { return Fnv(id, 0xcbf29ce484222325ULL); }

KafkaHeaders Headers(const char* schema) {
  return {{"content-type", "application/x-protobuf"},
          {"schema", schema},
          {"producer", std::string("crawlstream-dedup/") + CrawlstreamVersion()}};
}

}  // namespace

void BindDedupKeys(Config* c, DedupServiceOptions* o) {
  c->Bind("dedup.expected_articles", &o->expected_articles,
          "index capacity reserved at start, about 64 bytes each (it grows beyond)", 0,
          kMaxExpectedArticles);
  c->Bind("dedup.restore_timeout", &o->restore_timeout,
          "longest time to read the articles topic at start",
          std::chrono::milliseconds(1000), std::chrono::milliseconds(86'400'000));
  c->Bind("dedup.lsh_tables", &o->lsh_tables,
          "MinHash tables each article is filed in: 3 = 64 bytes per article; "
          "2 = 59 bytes, more misses at moderate similarity; 4 = 68 bytes", 1, 4);
  c->Bind("dedup.url_dir", &o->url_dir,
          "directory for an unnamed file of the indexed articles' URLs, so that "
          "duplicate records name both copies (about 90 bytes per article on "
          "disk, 8 in RAM); empty = keep them in RAM");
}

Result<std::unique_ptr<Deduplicator>> MakeDeduplicator(const DedupServiceOptions& options,
                                                       const ScriptConverter* converter) {
  auto urls = UrlStore::Open(options.url_dir);
  if (!urls) return std::unexpected(urls.error());
  DedupOptions dedup;
  dedup.expected_articles = static_cast<size_t>(options.expected_articles);
  dedup.index.lsh_tables = static_cast<int>(options.lsh_tables);
  return std::make_unique<Deduplicator>(dedup, converter, std::move(*urls));
}

DedupStage::DedupStage(Deduplicator* dedup, TopicNames topics,
                       std::shared_ptr<prometheus::Registry> registry)
    : dedup_(dedup), topics_(std::move(topics)), registry_(std::move(registry)) {
  decisions_ = &prometheus::BuildCounter()
                    .Name("crawlstream_dedup_decisions_total")
                    .Help("Dedup decisions by level (none, url, exact, near) and decision")
                    .Register(*registry_);
  index_size_ = &prometheus::BuildGauge()
                     .Name("crawlstream_dedup_index_size")
                     .Help("Canonical articles in the dedup index")
                     .Register(*registry_)
                     .Add({});
  url_bytes_ = &prometheus::BuildGauge()
                    .Name("crawlstream_dedup_url_store_bytes")
                    .Help("Bytes of indexed articles' URLs kept for duplicate records "
                          "(on disk under dedup.url_dir, or in RAM when it is empty)")
                    .Register(*registry_)
                    .Add({});
  restore_seconds_ = &prometheus::BuildGauge()
                          .Name("crawlstream_dedup_restore_seconds")
                          .Help("Time the last start took to rebuild the index from articles")
                          .Register(*registry_)
                          .Add({});
}

DedupStage::~DedupStage() = default;

void DedupStage::UpdateSizeGauges() {
  index_size_->Set(static_cast<double>(dedup_->index().size()));
  url_bytes_->Set(static_cast<double>(dedup_->urls().url_bytes()));
}

void DedupStage::CountDecision(std::string_view level, std::string_view decision) {
  decisions_->Add({{"level", std::string(level)}, {"decision", std::string(decision)}}).Increment();
}

uint64_t DedupStage::ContentHash(const crawlstream::v1::Article& a) const {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const std::string* s : {&a.canonical_url(), &a.title(), &a.body(), &a.published_at(),
                               &a.publisher(), &a.original_source()}) {
    h = Fnv(*s, h);
    h = Fnv("\x1f", h);
  }
  for (const auto& s : a.authors()) h = Fnv(s, Fnv("\x1e", h));
  for (const auto& s : a.editors()) h = Fnv(s, Fnv("\x1d", h));
  return h;
}

std::optional<OutRecord> DedupStage::DuplicateOutput(const Decision& decision,
                                                     const crawlstream::v1::Article& article,
                                                     uint64_t content) {
  crawlstream::v1::Duplicate d;
  if (!MakeDuplicateRecord(decision, article, &d)) return std::nullopt;
  const uint64_t loser_content =
      d.id() == article.id() ? content : decided_.Get(IdHash(d.id())).value_or(0);
  d.set_content_hash(loser_content);
  if (loser_content != 0) decided_.Set(IdHash(d.id()), loser_content);
  *d.mutable_decided_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
  std::string key = d.id();
  return OutRecord{topics_.duplicates, std::move(key), d.SerializeAsString(),
                   Headers("crawlstream.v1.Duplicate")};
}

void DedupStage::Apply(const std::string& key, const std::string& value, RestoreStats* stats) {
  if (value.empty()) {
    dedup_->Forget(key);
    decided_.Erase(IdHash(key));
    const uint64_t h = IdHash(key);
    if (auto it = unresolved_.find(h); it != unresolved_.end()) {  // the log resolved it
      unresolved_winners_.erase(it->second.winner);
      unresolved_.erase(it);
    }
    if (auto w = unresolved_winners_.find(h); w != unresolved_winners_.end()) {
      // The log dropped our winner and kept the loser: index the loser again.
      auto it = unresolved_.find(w->second);
      if (it != unresolved_.end()) {
        Conflict& c = it->second;
        if (c.loser_record != UINT32_MAX) {
          dedup_->Revive(c.loser_record);
        } else if (!c.loser_value.empty()) {
          crawlstream::v1::Article loser;
          if (loser.ParseFromString(c.loser_value)) {
            (void)dedup_->Restore(loser);
            decided_.Set(w->second, ContentHash(loser));
          }
        }
        unresolved_.erase(it);
      }
      unresolved_winners_.erase(w);
    }
    if (stats) ++stats->tombstones;
    return;
  }
  crawlstream::v1::Article a;
  if (!a.ParseFromString(value) || a.id().empty()) {
    if (stats) ++stats->undecodable;
    return;
  }
  // Older articles are restored as they are (see kRestoreConflictWindow).
  if (a.has_extracted_at() &&
      google::protobuf::util::TimeUtil::TimestampToTimeT(a.extracted_at()) <
          std::chrono::system_clock::to_time_t(conflict_cutoff_)) {
    if (auto st = dedup_->Restore(a); !st) {
      spdlog::error("dedup restore: {}", st.error().message);
      return;
    }
    decided_.Set(IdHash(a.id()), ContentHash(a));
    if (stats) ++stats->records;
    return;
  }
  auto decision = dedup_->Decide(a);
  if (!decision) {
    spdlog::error("dedup restore: {}", decision.error().message);
    return;
  }
  const uint64_t content = ContentHash(a);
  if (stats) ++stats->records;
  if (decision->kind == DecisionKind::kPublishNew ||
      decision->kind == DecisionKind::kUpdateSameId) {
    decided_.Set(IdHash(a.id()), content);
    return;
  }
  // Both copies are live in `articles`: the loser of the election gets its
  // Duplicate and tombstone, unless its tombstone follows in the log (the
  // normal order of a kReplaces: the winner's record and the loser's
  // tombstone sit in different partitions).
  const bool this_loses = decision->kind == DecisionKind::kDuplicateOf;
  const std::string loser = this_loses ? a.id() : decision->other_id;
  auto duplicate = DuplicateOutput(*decision, a, content);
  if (!duplicate) return;
  if (!this_loses) decided_.Set(IdHash(a.id()), content);
  Conflict c;
  c.winner = IdHash(this_loses ? decision->other_id : a.id());
  if (this_loses) {
    c.loser_value = value;
  } else {
    c.loser_record = decision->other_record;
  }
  c.outputs.push_back(std::move(*duplicate));
  c.outputs.push_back({topics_.articles, loser, "", Headers("tombstone")});
  unresolved_winners_[c.winner] = IdHash(loser);
  unresolved_[IdHash(loser)] = std::move(c);
}

void DedupStage::ApplyDuplicate(const std::string& value, RestoreStats* stats) {
  crawlstream::v1::Duplicate d;
  if (!d.ParseFromString(value) || d.id().empty()) {
    if (stats) ++stats->undecodable;
    return;
  }
  // A copy that was itself canonical before (replaced) is no longer in the
  // index; its decided content is what a replay must match. A copy that is
  // a live canonical now keeps its own (newer) content.
  if (d.content_hash() != 0 && !dedup_->index().FindId(d.id()))
    decided_.Set(IdHash(d.id()), d.content_hash());
  if (stats) ++stats->duplicates;
}

namespace {

// Number of partitions of `topic`, from the broker's metadata.
Result<int> PartitionCount(rd_kafka_t* rk, const std::string& topic) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  auto merr = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
  rd_kafka_topic_destroy(rkt);
  if (merr || !md || md->topic_cnt != 1 || md->topics[0].err) {
    if (md) rd_kafka_metadata_destroy(md);
    return Fail(ErrorCode::kUnavailable,
                "restore: no metadata for topic " + topic + ": " +
                    rd_kafka_err2str(merr ? merr : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
  }
  const int partitions = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);
  return partitions;
}

// The low and high watermarks of topic/partition. A transient error (a
// partition without a leader yet, a leader moving while a broker restarts)
// is retried every 500 ms until `deadline`; returns the last error.
rd_kafka_resp_err_t QueryWatermarks(rd_kafka_t* rk, const std::string& topic, int partition,
                                    std::chrono::steady_clock::time_point deadline, int64_t* lo,
                                    int64_t* hi) {
  constexpr auto kBackoff = std::chrono::milliseconds(500);
  for (;;) {
    auto e = rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, lo, hi, 10000);
    if (!e || ClassifyKafkaError(e) != KafkaErrorClass::kRetry ||
        std::chrono::steady_clock::now() + kBackoff > deadline) {
      return e;
    }
    spdlog::warn("dedup: restore: watermarks of {}/{}: {}; retrying", topic, partition,
                 rd_kafka_err2str(e));
    std::this_thread::sleep_for(kBackoff);
  }
}

// Reads every partition of `topic` from its low watermark to the high
// watermark seen now, calling apply(key, value) per record. Returns the end
// offsets (where a tail would continue).
Result<std::vector<int64_t>> ReadToEnd(
    rd_kafka_t* rk, const std::string& topic, int partitions,
    std::chrono::steady_clock::time_point deadline,
    const std::function<void(const std::string&, const std::string&)>& apply) {
  if (partitions < 0) {
    auto n = PartitionCount(rk, topic);
    if (!n) return std::unexpected(n.error());
    partitions = *n;
  }
  std::vector<int64_t> end(static_cast<size_t>(partitions), 0);
  auto* list = rd_kafka_topic_partition_list_new(partitions);
  int remaining = 0;
  for (int p = 0; p < partitions; ++p) {
    int64_t lo = 0, hi = 0;
    auto e = QueryWatermarks(rk, topic, p, deadline, &lo, &hi);
    if (e) {
      rd_kafka_topic_partition_list_destroy(list);
      return Fail(ErrorCode::kUnavailable, "restore: watermarks of " + topic + "/" +
                                               std::to_string(p) + ": " + rd_kafka_err2str(e));
    }
    end[static_cast<size_t>(p)] = hi;
    if (hi > lo) {
      rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = lo;
      ++remaining;
    }
  }
  if (remaining == 0) {
    rd_kafka_topic_partition_list_destroy(list);
    return end;
  }
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  auto record = [&](const rd_kafka_message_t* m) {
    apply(m->key ? std::string(static_cast<const char*>(m->key), m->key_len) : "",
          m->payload ? std::string(static_cast<const char*>(m->payload), m->len) : "");
  };
  int64_t read = 0;
  std::vector<bool> finished(static_cast<size_t>(partitions), false);
  while (remaining > 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      rd_kafka_assign(rk, nullptr);
      return Fail(ErrorCode::kUnavailable, "restore: timed out reading " + topic + " after " +
                                               std::to_string(read) +
                                               " records (dedup.restore_timeout)");
    }
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
    if (!m) continue;
    if (!m->rkt) {  // a consumer-level error, no partition
      if (m->err && ClassifyKafkaError(m->err) == KafkaErrorClass::kFatal) {
        std::string msg = rd_kafka_message_errstr(m);
        rd_kafka_message_destroy(m);
        rd_kafka_assign(rk, nullptr);
        return Fail(ErrorCode::kInternal, "restore: " + msg);
      }
      rd_kafka_message_destroy(m);
      continue;
    }
    if (m->partition < 0 || static_cast<size_t>(m->partition) >= end.size() ||
        topic != rd_kafka_topic_name(m->rkt)) {
      rd_kafka_message_destroy(m);  // a late message of an earlier assignment
      continue;
    }
    const auto p = static_cast<size_t>(m->partition);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF || (!m->err && m->offset + 1 >= end[p])) {
      if (!m->err) {
        record(m);
        ++read;
      }
      if (p < finished.size() && !finished[p]) {
        finished[p] = true;
        --remaining;
      }
    } else if (!m->err) {
      record(m);
      ++read;
    } else if (ClassifyKafkaError(m->err) == KafkaErrorClass::kFatal) {
      std::string msg = rd_kafka_message_errstr(m);
      rd_kafka_message_destroy(m);
      rd_kafka_assign(rk, nullptr);
      return Fail(ErrorCode::kInternal, "restore: " + msg);
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_assign(rk, nullptr);
  return end;
}

}  // namespace

Result<RestoreStats> DedupStage::Restore(const KafkaOptions& kafka,
                                         std::chrono::milliseconds timeout) {
  auto start = std::chrono::steady_clock::now();
  conflict_cutoff_ = std::chrono::system_clock::now() - kRestoreConflictWindow;
  KafkaOptions opts = kafka;
  auto conf_or = MakeKafkaConf(opts, {{"group.id", "crawlstream-dedup-restore"},
                                      {"enable.auto.commit", "false"},
                                      {"enable.partition.eof", "true"},
                                      {"fetch.message.max.bytes",
                                       std::to_string(kafka.max_message_bytes + kKafkaFramingBytes)}});
  if (!conf_or) return std::unexpected(conf_or.error());
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, static_cast<rd_kafka_conf_t*>(*conf_or), err,
                                sizeof err);
  if (!rk) return Fail(ErrorCode::kInvalidArgument, std::string("restore consumer: ") + err);
  std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)> guard(rk, rd_kafka_destroy);

  auto partition_count = PartitionCount(rk, topics_.articles);
  if (!partition_count) return std::unexpected(partition_count.error());
  const int partitions = *partition_count;

  RestoreStats stats;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto end = ReadToEnd(rk, topics_.articles, partitions, deadline,
                       [&](const std::string& key, const std::string& value) {
                         Apply(key, value, &stats);
                       });
  if (!end) return std::unexpected(end.error());
  // Then the decisions on copies (after the articles: a copy replaced after
  // being canonical has a tombstone there and its content here).
  auto dup_end = ReadToEnd(rk, topics_.duplicates, -1, deadline,
                           [&](const std::string&, const std::string& value) {
                             ApplyDuplicate(value, &stats);
                           });
  if (!dup_end) {
    // Without it replays of copies are decided again (at worst published
    // twice); the service still works.
    spdlog::warn("dedup: restore: {}: replayed copies will be decided again",
                 dup_end.error().message);
  }
  // Keep reading from where the restore ended: the global table.
  auto* from = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(from, topics_.articles.c_str(), p)->offset =
        (*end)[static_cast<size_t>(p)];
  }
  rd_kafka_assign(rk, from);
  rd_kafka_topic_partition_list_destroy(from);
  tail_ = std::shared_ptr<void>(guard.release(), [](void* h) {
    auto* k = static_cast<rd_kafka_t*>(h);
    rd_kafka_consumer_close(k);
    rd_kafka_destroy(k);
  });
  stats.conflicts = static_cast<int64_t>(unresolved_.size());
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  restore_seconds_->Set(stats.seconds);
  UpdateSizeGauges();
  spdlog::info(
      "dedup: restored {} articles ({} tombstones, {} undecodable, {} live duplicate pairs to "
      "resolve) from {} and {} decided copies from {} in {:.2f}s",
      stats.records, stats.tombstones, stats.undecodable, stats.conflicts, topics_.articles,
      stats.duplicates, topics_.duplicates, stats.seconds);
  return stats;
}

std::function<void()> DedupStage::TailTick(Producer* producer) {
  return [this, producer] {
    for (auto& record : PollTail(256)) {
      auto st = producer->Produce(std::move(record), [](const DeliveryReport& r) {
        if (!r.ok()) spdlog::error("dedup: conflict resolution not delivered: {}", r.error_message);
      });
      if (!st) spdlog::error("dedup: {}", st.error().message);
    }
  };
}

std::vector<OutRecord> DedupStage::PollTail(int max_records) {
  std::vector<OutRecord> out;
  if (!unresolved_.empty()) {
    for (auto& [loser, conflict] : unresolved_) {
      retired_.insert(loser);  // its tombstone comes back through the tail
      std::move(conflict.outputs.begin(), conflict.outputs.end(), std::back_inserter(out));
    }
    unresolved_.clear();
    unresolved_winners_.clear();
  }
  if (!tail_) return out;
  auto* rk = static_cast<rd_kafka_t*>(tail_.get());
  for (int i = 0; i < max_records; ++i) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 0);
    if (!m) break;
    if (!m->err) {
      auto more = ApplyForeign(m->key ? std::string(static_cast<char*>(m->key), m->key_len) : "",
                               m->payload ? std::string(static_cast<char*>(m->payload), m->len) : "");
      std::move(more.begin(), more.end(), std::back_inserter(out));
    }
    rd_kafka_message_destroy(m);
  }
  return out;
}

std::vector<OutRecord> DedupStage::ApplyForeign(const std::string& key, const std::string& value) {
  std::vector<OutRecord> out;
  if (value.empty()) {  // a tombstone, ours or another instance's
    dedup_->Forget(key);
    // A copy this instance retired keeps its decided content (replays of it
    // are still skipped); another instance's tombstone forgets the id.
    if (!retired_.erase(IdHash(key))) decided_.Erase(IdHash(key));
    return out;
  }
  crawlstream::v1::Article article;
  if (!article.ParseFromString(value) || article.id().empty()) return out;
  if (retired_.contains(IdHash(article.id()))) return out;  // already resolved
  uint64_t content = ContentHash(article);
  if (decided_.Get(IdHash(article.id())) == content) return out;  // ours, or known
  auto decision = dedup_->Decide(article);
  if (!decision) {
    spdlog::error("dedup: tail: {}", decision.error().message);
    return out;
  }
  CountDecision(MatchLevelName(decision->level), std::string("tail_") +
                                                     std::string(DecisionKindName(decision->kind)));
  // The loser of the pair (MakeDuplicateRecord's id) gets its Duplicate and
  // a tombstone.
  auto emit = [&] {
    auto duplicate = DuplicateOutput(*decision, article, content);
    if (!duplicate) return;
    std::string loser = duplicate->key;
    out.push_back(std::move(*duplicate));
    out.push_back({topics_.articles, loser, "", Headers("tombstone")});
    retired_.insert(IdHash(loser));
  };
  switch (decision->kind) {
    case DecisionKind::kPublishNew:
    case DecisionKind::kUpdateSameId:
      decided_.Set(IdHash(article.id()), content);  // another instance's canonical
      break;
    case DecisionKind::kDuplicateOf:
      // Ours stays canonical: the other instance's copy must go.
      emit();
      break;
    case DecisionKind::kReplaces:
      // Theirs is the better canonical: ours goes.
      decided_.Set(IdHash(article.id()), content);
      emit();
      break;
  }
  UpdateSizeGauges();
  return out;
}

Processor DedupStage::processor() {
  return [this](const InRecord& in) { return Process(in); };
}

StageResult DedupStage::Process(const InRecord& in) {
  crawlstream::v1::Article article;
  if (!article.ParseFromString(in.value) || article.id().empty()) {
    return StageResult::DeadLetter("undecodable",
                                   "value is not a crawlstream.v1.Article with an id (" +
                                       std::to_string(in.value.size()) + " bytes)");
  }
  uint64_t content = ContentHash(article);
  uint64_t idh = IdHash(article.id());
  if (decided_.Get(idh) == content) {  // a replay, or an unchanged re-fetch
    CountDecision("url", "unchanged");
    return StageResult::Skip("unchanged");
  }
  auto decision = dedup_->Decide(article);
  if (!decision) {
    return StageResult::DeadLetter("index_full", decision.error().message);
  }
  CountDecision(MatchLevelName(decision->level), DecisionKindName(decision->kind));
  StageResult r;
  auto emit_duplicate = [&] {
    if (auto duplicate = DuplicateOutput(*decision, article, content))
      r.outputs.push_back(std::move(*duplicate));
  };
  switch (decision->kind) {
    case DecisionKind::kPublishNew:
    case DecisionKind::kUpdateSameId:
      decided_.Set(idh, content);
      r.outputs.push_back({topics_.articles, article.id(), in.value, Headers("crawlstream.v1.Article")});
      break;
    case DecisionKind::kDuplicateOf:
      emit_duplicate();
      decided_.Set(idh, content);
      break;
    case DecisionKind::kReplaces:
      r.outputs.push_back({topics_.articles, article.id(), in.value, Headers("crawlstream.v1.Article")});
      emit_duplicate();  // before decided_ changes: reads the replaced copy's content
      decided_.Set(idh, content);
      retired_.insert(IdHash(decision->other_id));
      r.outputs.push_back({topics_.articles, decision->other_id, "", Headers("tombstone")});
      break;
  }
  UpdateSizeGauges();
  return r;
}

}  // namespace crawlstream::dedup
