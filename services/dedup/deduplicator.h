// The dedup decision for the stream: one canonical article per story.
//
// Deduplicator owns a DedupIndex of the canonical articles (those published
// on the compacted `articles` topic) and decides, for each extracted article:
//   - kUpdateSameId: its id is already canonical (a re-fetch of the same
//     canonical URL): an update of itself, never a duplicate: publish it
//     again under the same key; the index record is updated. (The stage
//     skips an unchanged or stale re-fetch before asking and publishes a
//     changed one as the next revision: dedup_service.h.)
//   - kDuplicateOf: an exact or verified near duplicate of canonical
//     `other_id`, which stays canonical: publish a Duplicate record only.
//   - kReplaces: a duplicate of `other_id` but a better canonical
//     (canonical.h): publish it to `articles`, publish Duplicate{other_id ->
//     this id} and a tombstone for other_id; the index now holds this one.
//   - kPublishNew: no duplicate: publish it; it is now indexed.
// The index keeps each canonical's URL in a UrlStore (url_store.h), so a
// Duplicate names both copies even when the other one was decided long ago
// or restored from `articles`.
// Restore() loads an article read back from `articles` at start (trusted to
// be canonical: no near-duplicate check) and is idempotent; the Kafka stage
// restores through Decide() instead, to find pairs left live by a crash
// (dedup_service.h). Forget() applies a tombstone.
//
// Not thread-safe (one consumer thread). The converter must outlive it.
#pragma once

#include <memory>
#include <string>

#include "services/common/result.h"
#include "services/dedup/canonical.h"
#include "services/dedup/fingerprint.h"
#include "services/dedup/index.h"
#include "services/dedup/normalize.h"
#include "services/dedup/url_store.h"

namespace crawlstream::v1 {
class Article;
class Duplicate;
}

namespace crawlstream::dedup {

struct DedupOptions {
  IndexOptions index;
  int shingle_length = kShingleLength;
  size_t expected_articles = 0;  // reserve for this many (0 = grow)
};

enum class DecisionKind { kPublishNew, kUpdateSameId, kDuplicateOf, kReplaces };
// Which level found the match (Duplicate.Method in duplicate.proto).
enum class MatchLevel { kNone, kUrl, kExact, kNear };

struct Decision {
  DecisionKind kind = DecisionKind::kPublishNew;
  MatchLevel level = MatchLevel::kNone;
  std::string other_id;   // kDuplicateOf, kReplaces; empty otherwise
  std::string other_url;  // other_id's URL when the index knows it
  // kReplaces: the index record of other_id, now dead (see Revive).
  uint32_t other_record = UINT32_MAX;
  double similarity = 0;  // of the two normalised bodies; 1 for exact/url
};

std::string_view DecisionKindName(DecisionKind kind);
std::string_view MatchLevelName(MatchLevel level);

// The `articles.duplicates` record for a kDuplicateOf or kReplaces decision
// on `article` (false for the other kinds). kDuplicateOf: {article ->
// other_id}; kReplaces: {other_id -> article}. url and duplicate_of_url
// are the two copies' URLs (the canonical URL, else the fetched one; the
// other copy's from decision.other_url). decided_at is left to the caller
// (it owns the clock).
bool MakeDuplicateRecord(const Decision& decision,
                         const crawlstream::v1::Article& article,
                         crawlstream::v1::Duplicate* out);

class Deduplicator {
 public:
  // `converter` may be null (no Traditional->Simplified conversion of bodies
  // without body_simplified); it must outlive the Deduplicator. `urls` null
  // = the URLs are kept in RAM.
  Deduplicator(const DedupOptions& options, const ScriptConverter* converter,
               std::unique_ptr<UrlStore> urls = nullptr);

  // Decides and updates the index. Fails only when the index is full.
  Result<Decision> Decide(const crawlstream::v1::Article& article);

  // Indexes an article from the `articles` topic as canonical.
  Status Restore(const crawlstream::v1::Article& article);
  // Same from a pre-computed fingerprint (benchmarks, snapshots).
  Status Restore(std::string_view id, const CanonicalKey& key,
                 const Fingerprint& fp);
  // Drops an id from the index (a tombstone on `articles`). Returns whether
  // it was indexed.
  bool Forget(std::string_view id);
  // Makes the record a kReplaces decision removed live again (its id and
  // fingerprint are still in the index), unless its id is live elsewhere.
  // For a restore that learns later in the log that the other copy won.
  bool Revive(uint32_t record);

  Fingerprint FingerprintOf(const crawlstream::v1::Article& article) const;
  CanonicalKey KeyOf(const crawlstream::v1::Article& article) const;

  const DedupIndex& index() const { return index_; }
  const UrlStore& urls() const { return *urls_; }

 private:
  // Upserts and remembers the article's URL for the record.
  Result<uint32_t> Index(const crawlstream::v1::Article& article,
                         const CanonicalKey& key, const Fingerprint& fp);

  DedupOptions options_;
  const ScriptConverter* converter_;
  DedupIndex index_;
  std::unique_ptr<UrlStore> urls_;
};

}  // namespace crawlstream::dedup
