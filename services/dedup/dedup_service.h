// The dedup stage as a Kafka processor: articles.extracted (Article) in;
// articles (compacted, key = article id) and articles.duplicates
// (Duplicate) out.
//
// Decisions (deduplicator.h) become records:
//   publish_new      -> articles[id] = article (revision 0)
//   update_same_id   -> articles[id] = article with revision = the
//                       published record's revision + 1 and updated_at =
//                       its fetched_at (article.proto), unless
//                       - the content is the one already published (a
//                         replay after a crash or an unchanged re-fetch):
//                         skipped "unchanged", nothing emitted;
//                       - it was fetched before the published revision
//                         (a late replay of an older version): skipped
//                         "stale", nothing emitted
//                       (counted as decision "revision", "unchanged" and
//                       "stale" in crawlstream_dedup_decisions_total)
//   duplicate_of X   -> articles.duplicates[id] = Duplicate{id -> X}
//   replaces X       -> articles[id] = article (revision 0),
//                       articles.duplicates[X] = Duplicate{X -> id},
//                       articles[X] = tombstone (null value)
// Downstream therefore sees, for a better canonical arriving late: the new
// canonical record, a Duplicate naming the old id, and a tombstone that
// removes the old id from the compacted topic.
//
// State: Restore() rebuilds the index by reading the compacted `articles`
// topic from the beginning to its end at start (it is its own changelog):
// an input replayed after a crash finds its article already published, and
// a revised article's revision (and its fetch time, for the stale guard)
// is read back from its record.
//
// Several instances share the input partitions and each keeps the whole
// `articles` topic as a global table: after Restore(), PollTail() keeps
// reading `articles` from where the restore ended. A record this instance
// did not publish goes through Decide(): when it and a canonical of ours
// are the same story (two copies reached two instances at the same time,
// the race window), the deterministic canonical rule picks the winner and
// PollTail() returns the loser's Duplicate and tombstone. Every instance
// that sees the conflict emits the same records, so the result does not
// depend on which one acts first.
//
// Not thread-safe: one consumer thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "services/common/kafka_options.h"
#include "services/common/stage_loop.h"
#include "services/dedup/deduplicator.h"
#include "services/dedup/id_content_map.h"

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Counter;
class Gauge;
}  // namespace prometheus

namespace crawlstream {
class Config;
class TopicReader;
}

namespace crawlstream::dedup {

// Restore resolves duplicate pairs only among articles extracted this long
// before the restart (a crash's race window, generously).
inline constexpr std::chrono::minutes kRestoreConflictWindow{30};

// Most articles dedup.expected_articles may reserve room for. The index is
// reserved at start at about 64 bytes per article (index.h), so 10 million
// take 640 MB, under a third of the pod's 2 GiB limit; the index still
// grows past the reservation on demand. (The old maximum, 10^9, asked for
// 64 GB at start and aborted with std::bad_alloc.)
inline constexpr int64_t kMaxExpectedArticles = 10'000'000;

struct DedupServiceOptions {
  int64_t expected_articles = 100'000;
  std::chrono::milliseconds restore_timeout{600'000};
  int64_t lsh_tables = 3;  // IndexOptions::lsh_tables
  // Where the index's URLs are kept (url_store.h); "" = in RAM.
  std::string url_dir = "/tmp";
};

// The Deduplicator the options describe (index sizing, URL store).
Result<std::unique_ptr<Deduplicator>> MakeDeduplicator(const DedupServiceOptions& options,
                                                       const ScriptConverter* converter);

void BindDedupKeys(Config* config, DedupServiceOptions* options);

struct RestoreStats {
  int64_t records = 0;
  int64_t tombstones = 0;
  int64_t undecodable = 0;
  int64_t duplicates = 0;  // decided copies read from articles.duplicates
  // Live pairs in `articles` that are duplicates of each other (an instance
  // crashed before resolving a race): resolved by the first PollTail().
  int64_t conflicts = 0;
  double seconds = 0;
};

class DedupStage {
 public:
  DedupStage(Deduplicator* dedup, TopicNames topics,
             std::shared_ptr<prometheus::Registry> registry);
  ~DedupStage();

  // Reads `articles` from the beginning to the end offsets seen at start,
  // then `articles.duplicates` the same way (the content of every copy
  // already decided a duplicate, see Duplicate.content_hash).
  Result<RestoreStats> Restore(const KafkaOptions& kafka, std::chrono::milliseconds timeout);
  // Applies one record of `articles` (value empty = tombstone). Every article
  // goes through the dedup decision against what was restored before it: a
  // duplicate pair found live is a conflict, resolved (Duplicate + tombstone
  // for the loser of the election) unless the log itself resolves it later.
  void Apply(const std::string& key, const std::string& value, RestoreStats* stats);
  // Applies one record of `articles.duplicates`.
  void ApplyDuplicate(const std::string& value, RestoreStats* stats);

  Processor processor();
  StageResult Process(const InRecord& in);

  // Returns the outputs that resolve conflicts found at restore (first call),
  // then reads up to `max_records` new records of `articles` (non-blocking)
  // and returns the outputs that resolve conflicts with other instances'
  // publications. Only after a successful Restore().
  std::vector<OutRecord> PollTail(int max_records);
  // The stage loop's on_tick: PollTail(256) and produce its outputs on
  // `producer` (a failed delivery is logged; the next restore finds the
  // pair again).
  std::function<void()> TailTick(Producer* producer);
  // Applies one record of `articles` published by anyone (tests, PollTail).
  std::vector<OutRecord> ApplyForeign(const std::string& key, const std::string& value);

 private:
  uint64_t ContentHash(const crawlstream::v1::Article& a) const;
  // The articles.duplicates record of a kDuplicateOf/kReplaces `decision`
  // on `article` (`content` = its ContentHash), carrying the losing copy's
  // content hash (this article's, or the one decided when the other copy
  // was published), which is remembered for replays. nullopt for the other
  // kinds.
  std::optional<OutRecord> DuplicateOutput(const Decision& decision,
                                           const crawlstream::v1::Article& article,
                                           uint64_t content);
  void CountDecision(std::string_view level, std::string_view decision);
  void UpdateSizeGauges();

  Deduplicator* dedup_;
  TopicNames topics_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* decisions_ = nullptr;
  prometheus::Gauge* index_size_ = nullptr;
  prometheus::Gauge* url_bytes_ = nullptr;
  prometheus::Gauge* restore_seconds_ = nullptr;
  // Content last decided per id, canonical or duplicate (replay and
  // unchanged re-fetch detection).
  IdContentMap decided_;
  // The published record's revision and updated_at of each id whose
  // revision is > 0, as revision << 32 | updated_at in seconds: most
  // articles are never revised and have no entry (revision 0, no stale
  // guard). 20-40 B per revised id.
  IdContentMap revisions_;
  // Keeps revisions_ equal to what `articles` holds for the id.
  void LearnRevision(uint64_t id_hash, const crawlstream::v1::Article& article);
  // Ids this instance tombstoned, until their tombstone comes back through
  // the tail: their article records there are not new publications.
  std::unordered_set<uint64_t> retired_;
  // Restore: live duplicate pairs found in `articles`, by loser id hash. A
  // later tombstone of the loser drops the entry (the log resolved it); a
  // later tombstone of the winner means the log kept the loser: it is put
  // back in the index and the entry dropped.
  struct Conflict {
    uint64_t winner = 0;                   // id hash
    uint32_t loser_record = UINT32_MAX;    // kReplaces: the loser's dead record
    std::string loser_value;               // kDuplicateOf: the loser's Article
    std::vector<OutRecord> outputs;        // Duplicate + tombstone
  };
  std::unordered_map<uint64_t, Conflict> unresolved_;
  std::unordered_map<uint64_t, uint64_t> unresolved_winners_;  // winner -> loser
  // Articles extracted before this (restore start - conflict window) are
  // restored as they are: only recent pairs (the race window of a crash)
  // are resolved, so that a restart never re-judges the whole history.
  std::chrono::system_clock::time_point conflict_cutoff_{};
  // The restore's reader, kept after Restore() to tail `articles`.
  std::unique_ptr<TopicReader> tail_;
};

}  // namespace crawlstream::dedup
