// In-memory index of the canonical articles, for the three dedup levels:
// article id (URL level), exact normalised body, near-duplicate.
//
// Per article it keeps one 46-byte record (packed id, the 16-byte
// verification Sketch of fingerprint.h, 16-bit digit-run mask, length,
// CanonicalKey with 12-bit name hashes) and one 4-byte cell in each of 1 + lsh_tables
// open-addressing tables: one for the id, one per MinHash function
// (MinHash-LSH: the record is filed under its minimum and a query probes its
// lsh_probes smallest values, see fingerprint.h) or per 16-bit SimHash block
// (SimHash; the record then keeps the SimHash in place of the sketch). Cells
// hold the record number and a 6-bit tag of the key; keys are never stored,
// so a cell match is only a candidate and every candidate is verified
// against its record. Bodies and shingle sets are never kept. At the
// default three tables a reserved index costs 46 + 4 * 4 / 0.9 = 63.8 bytes
// per article (two tables: 59.3, four: 68.2).
//
// Verification of a candidate E for a new text N:
//   - exact: same length, same sketch (or SimHash) and same digit runs;
//   - otherwise: length ratio >= min_length_ratio; both texts at least
//     short_text code points (shorter notices match only exactly); digit
//     runs: texts whose lengths are within same_length_ratio have the same
//     runs (under long_text; from long_text on one run may differ), others
//     the shorter's runs among the longer's but for one (notices that
//     differ in a number vs an edit that touched one); texts under
//     long_text of nearly the same length need resemblance >=
//     min_resemblance_same_length (a name changed throughout a notice); and
//     the Jaccard resemblance J estimated from the two sketches (128 bins)
//     is >= min_resemblance and the containment of the shorter text derived
//     from J and the lengths, |E n N| = J (|E| + |N|) / (1 + J), is >=
//     min_containment. Different stories that share a sentence or a
//     paragraph have low containment; an edited copy (a paragraph dropped or
//     added, a few characters changed) has high;
//   - copies on the same site (same template) need resemblance >=
//     min_resemblance_same_site;
//   - SimHash method: the same guards, and SimHash distance <= 3 instead of
//     the sketch estimate.
// Exact duplicates collide in every table, so the exact level needs no
// table of its own: it is a verification outcome.
//
// Tables never rehash (LSH keys are not stored): when a table passes 90% load
// a new table twice as large is added and lookups probe all of them; Reserve()
// sizes the first table so a steady-state index has one. Records are never
// freed: Remove() marks a record dead (it stops matching and its id stops
// resolving). At most 2^26 - 2 records.
//
// Not thread-safe: one writer, no concurrent readers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "services/common/result.h"
#include "services/dedup/canonical.h"
#include "services/dedup/fingerprint.h"

namespace crawlstream::dedup {

enum class NearMethod { kMinHashLsh, kSimHash };

struct IndexOptions {
  NearMethod method = NearMethod::kMinHashLsh;
  // MinHash-LSH: tables (hash functions, 1..kLshTables) and probes per
  // table (1..kLshProbes). With c = |E n N| / |E| for an indexed E,
  // P(candidate) ~= 1 - (1 - c)^tables.
  int lsh_tables = 3;
  int lsh_probes = kLshProbes;
  // Verification.
  double min_length_ratio = 0.5;
  uint32_t short_text = 100;  // shorter texts: exact duplicates only
  // Texts at least this length ratio must have identical digit runs.
  double same_length_ratio = 0.95;
  double min_containment = 0.6;
  double min_resemblance = 0.3;
  // For texts shorter than long_text whose lengths are within
  // same_length_ratio (a substitution-only difference).
  uint32_t long_text = 400;
  double min_resemblance_same_length = 0.8;
  // Two copies on the same site (same template: notices, daily reports) are
  // near duplicates only above this resemblance; cross-site reposts are what
  // near-duplicate detection is for.
  double min_resemblance_same_site = 0.9;
  int simhash_method_distance = 3;
};

struct Candidate {
  uint32_t record = 0;
  double similarity = 0;  // 1 for exact
  bool exact = false;
};

class DedupIndex {
 public:
  explicit DedupIndex(const IndexOptions& options);
  ~DedupIndex();
  DedupIndex(const DedupIndex&) = delete;
  DedupIndex& operator=(const DedupIndex&) = delete;

  // Sizes the record array and the first tables for `articles` records.
  void Reserve(size_t articles);

  // Adds an article, or updates the record of an id already present.
  // Returns the record number; kResourceExhausted when the index is full.
  Result<uint32_t> Upsert(std::string_view id, const CanonicalKey& key,
                          const Fingerprint& fp);
  // Marks a record dead: it no longer matches and its id no longer resolves.
  void Remove(uint32_t record);
  // Undoes Remove(); false if the record was live.
  bool Revive(uint32_t record);

  std::optional<uint32_t> FindId(std::string_view id) const;
  // The best verified exact or near duplicate of `fp` (highest similarity,
  // then lowest record). `key` (may be null) is the new article's: two
  // copies from the same site must be closer (see min_resemblance_same_site).
  std::optional<Candidate> FindDuplicate(
      const Fingerprint& fp, const CanonicalKey* key = nullptr) const;

  std::string Id(uint32_t record) const;
  CanonicalKey Key(uint32_t record) const;

  size_t size() const { return live_; }           // live records
  size_t records() const;  // live and dead
  // Bytes allocated by the index (records, tables, unusual ids).
  size_t MemoryBytes() const;

 private:
  struct Record;
  class SlotTable;
  std::optional<Candidate> Verify(const Fingerprint& fp,
                                  const CanonicalKey* key, uint32_t r) const;
  void AddKeys(uint32_t r, const Fingerprint& fp);
  void ForEachCandidate(const Fingerprint& fp,
                        std::vector<uint32_t>* out) const;

  IndexOptions options_;
  std::vector<Record> records_;
  std::unique_ptr<SlotTable> ids_;
  std::vector<SlotTable> near_;  // one per band / SimHash block
  std::unordered_map<uint32_t, std::string> odd_ids_;  // ids not 32 hex
  size_t live_ = 0;
};

}  // namespace crawlstream::dedup
