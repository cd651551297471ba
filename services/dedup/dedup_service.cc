#include "services/dedup/dedup_service.h"

#include <google/protobuf/util/time_util.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iterator>

#include "crawlstream/v1/article.pb.h"
#include "crawlstream/v1/duplicate.pb.h"
#include "services/common/config.h"
#include "services/common/kafka_producer.h"
#include "services/common/kafka_reader.h"
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

// revisions_ values: the revision in the high 32 bits, updated_at in whole
// seconds since the epoch in the low 32 (clamped: good until 2106).
uint32_t Seconds(const google::protobuf::Timestamp& t) {
  return static_cast<uint32_t>(std::clamp<int64_t>(t.seconds(), 0, UINT32_MAX));
}
uint64_t PackRevision(uint32_t revision, uint32_t updated_s) {
  return (uint64_t{revision} << 32) | updated_s;
}
uint32_t RevisionOf(uint64_t packed) { return static_cast<uint32_t>(packed >> 32); }
uint32_t UpdatedSecondsOf(uint64_t packed) { return static_cast<uint32_t>(packed); }

// Revisions are set only by dedup: an input carrying them (an article fed
// back from `articles`) starts again at revision 0. Returns whether it did.
bool ClearRevision(crawlstream::v1::Article* a) {
  if (a->revision() == 0 && !a->has_updated_at()) return false;
  a->clear_revision();
  a->clear_updated_at();
  return true;
}

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

void DedupStage::LearnRevision(uint64_t id_hash, const crawlstream::v1::Article& article) {
  if (article.revision() == 0) {
    revisions_.Erase(id_hash);
  } else {
    revisions_.Set(id_hash, PackRevision(article.revision(), Seconds(article.updated_at())));
  }
}

void DedupStage::Apply(const std::string& key, const std::string& value, RestoreStats* stats) {
  if (value.empty()) {
    dedup_->Forget(key);
    decided_.Erase(IdHash(key));
    revisions_.Erase(IdHash(key));
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
  LearnRevision(IdHash(a.id()), a);  // the record the log holds for the id
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

Result<RestoreStats> DedupStage::Restore(const KafkaOptions& kafka,
                                         std::chrono::milliseconds timeout) {
  auto start = std::chrono::steady_clock::now();
  conflict_cutoff_ = std::chrono::system_clock::now() - kRestoreConflictWindow;
  auto reader = TopicReader::Create(kafka, "crawlstream-dedup-restore");
  if (!reader) return Fail(reader.error().code, "restore: " + reader.error().message);

  RestoreStats stats;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto end = (*reader)->ReadToEnd(topics_.articles, deadline, [&](const ReadRecord& r) {
    Apply(std::string(r.key), std::string(r.value), &stats);
  });
  if (!end) {
    // Both the watermark retries and the read stop at the deadline.
    return Fail(end.error().code, "restore: " + end.error().message +
                                      " (within dedup.restore_timeout)");
  }
  // Then the decisions on copies (after the articles: a copy replaced after
  // being canonical has a tombstone there and its content here).
  auto dup_end = (*reader)->ReadToEnd(topics_.duplicates, deadline, [&](const ReadRecord& r) {
    ApplyDuplicate(std::string(r.value), &stats);
  });
  if (!dup_end) {
    // Without it replays of copies are decided again (at worst published
    // twice); the service still works.
    spdlog::warn("dedup: restore: {}: replayed copies will be decided again",
                 dup_end.error().message);
  }
  // Keep reading from where the restore ended: the global table.
  if (auto st = (*reader)->Assign(StartAt(topics_.articles, *end)); !st) {
    return Fail(st.error().code, "restore: " + st.error().message);
  }
  tail_ = std::move(*reader);
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
  tail_->Poll(max_records, std::chrono::milliseconds(0), [&](const ReadRecord& r) {
    auto more = ApplyForeign(std::string(r.key), std::string(r.value));
    std::move(more.begin(), more.end(), std::back_inserter(out));
  });
  return out;
}

std::vector<OutRecord> DedupStage::ApplyForeign(const std::string& key, const std::string& value) {
  std::vector<OutRecord> out;
  if (value.empty()) {  // a tombstone, ours or another instance's
    dedup_->Forget(key);
    // A copy this instance retired keeps its decided content (replays of it
    // are still skipped); another instance's tombstone forgets the id.
    if (!retired_.erase(IdHash(key))) decided_.Erase(IdHash(key));
    revisions_.Erase(IdHash(key));
    return out;
  }
  crawlstream::v1::Article article;
  if (!article.ParseFromString(value) || article.id().empty()) return out;
  const uint64_t idh = IdHash(article.id());
  if (retired_.contains(idh)) return out;  // already resolved
  // An older revision than the one known (ours, read back after we published
  // the next one): the newer record follows in the log.
  if (auto known = revisions_.Get(idh); known && article.revision() < RevisionOf(*known)) {
    return out;
  }
  LearnRevision(idh, article);
  uint64_t content = ContentHash(article);
  if (decided_.Get(idh) == content) return out;  // ours, or known
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
  // Before Decide(), which would update the index record.
  const std::optional<uint64_t> published = revisions_.Get(idh);
  if (published && article.has_fetched_at() &&
      Seconds(article.fetched_at()) < UpdatedSecondsOf(*published)) {
    CountDecision("url", "stale");  // a late replay of an older version
    return StageResult::Skip("stale");
  }
  auto decision = dedup_->Decide(article);
  if (!decision) {
    return StageResult::DeadLetter("index_full", decision.error().message);
  }
  CountDecision(MatchLevelName(decision->level), decision->kind == DecisionKind::kUpdateSameId
                                                     ? std::string_view("revision")
                                                     : DecisionKindName(decision->kind));
  StageResult r;
  auto emit_duplicate = [&] {
    if (auto duplicate = DuplicateOutput(*decision, article, content))
      r.outputs.push_back(std::move(*duplicate));
  };
  // The record for `articles`: the input as it is unless dedup changed it.
  auto publish = [&](bool changed) {
    r.outputs.push_back({topics_.articles, article.id(),
                         changed ? article.SerializeAsString() : in.value,
                         Headers("crawlstream.v1.Article")});
  };
  switch (decision->kind) {
    case DecisionKind::kPublishNew:
      decided_.Set(idh, content);
      revisions_.Erase(idh);
      publish(ClearRevision(&article));
      break;
    case DecisionKind::kUpdateSameId: {
      // The content differs from the published record's (else "unchanged").
      const uint32_t revision = (published ? RevisionOf(*published) : 0) + 1;
      article.set_revision(revision);
      *article.mutable_updated_at() = article.has_fetched_at()
                                          ? article.fetched_at()
                                          : google::protobuf::util::TimeUtil::GetCurrentTime();
      decided_.Set(idh, content);
      revisions_.Set(idh, PackRevision(revision, Seconds(article.updated_at())));
      publish(true);
      break;
    }
    case DecisionKind::kDuplicateOf:
      emit_duplicate();
      decided_.Set(idh, content);
      break;
    case DecisionKind::kReplaces:
      revisions_.Erase(idh);
      publish(ClearRevision(&article));
      emit_duplicate();  // before decided_ changes: reads the replaced copy's content
      decided_.Set(idh, content);
      retired_.insert(IdHash(decision->other_id));
      revisions_.Erase(IdHash(decision->other_id));
      r.outputs.push_back({topics_.articles, decision->other_id, "", Headers("tombstone")});
      break;
  }
  UpdateSizeGauges();
  return r;
}

}  // namespace crawlstream::dedup
