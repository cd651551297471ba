#include "services/dedup/index.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace crawlstream::dedup {
namespace {

constexpr uint32_t kMaxRecords = (uint32_t{1} << 26) - 2;
constexpr int kSimHashBlocks = 4;
constexpr double kMaxLoad = 0.9;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Packs a 32-hex-digit lower-case id into 16 bytes; any other id becomes a
// 128-bit hash of itself and is reported as odd.
void PackId(std::string_view id, uint8_t out[16], bool* odd) {
  *odd = id.size() != 32;
  for (size_t i = 0; !*odd && i < 16; ++i) {
    const int hi = HexValue(id[2 * i]);
    const int lo = HexValue(id[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      *odd = true;
      break;
    }
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  if (*odd) {
    const uint64_t h1 = Mix64(std::hash<std::string_view>{}(id));
    const uint64_t h2 = Mix64(h1 ^ 0x5851F42D4C957F2DULL ^ id.size());
    std::memcpy(out, &h1, 8);
    std::memcpy(out + 8, &h2, 8);
  }
}

uint64_t IdKey(const uint8_t id[16]) {
  uint64_t a, b;
  std::memcpy(&a, id, 8);
  std::memcpy(&b, id + 8, 8);
  return Mix64(a ^ Mix64(b));
}

// Table key of the MinHash value `value` of function t.
uint64_t LshKey(int t, uint64_t value) {
  return Mix64(value ^ (uint64_t(t + 1) * 0x9E3779B97F4A7C15ULL));
}

uint16_t SaturatedLength(uint32_t length) {
  return static_cast<uint16_t>(std::min<uint32_t>(length, UINT16_MAX));
}

}  // namespace

// 46 bytes, 2-byte aligned: the byte arrays are read and written through
// memcpy so that no member forces 4- or 8-byte alignment.
struct DedupIndex::Record {
  uint8_t id[16] = {};
  // MinHash: the fingerprint's Sketch; SimHash: the SimHash in the first 8
  // bytes.
  uint8_t sketch[sizeof(Sketch)] = {};
  uint8_t published[4] = {0xFF, 0xFF, 0xFF, 0xFF};  // kUnknownTime
  uint16_t numbers = 0;  // DigitRunMask (16 bits)
  // Bits 0-35: publisher, site, original_source (12 bits each); 36-43: URL
  // length; 44-59: text length (saturating); 60: live; 61: odd id.
  uint8_t meta[8] = {};

  uint32_t Published() const { return Load<uint32_t>(published); }
  void SetPublished(uint32_t v) { std::memcpy(published, &v, 4); }
  uint64_t Meta() const { return Load<uint64_t>(meta); }
  uint64_t Field(int shift, int bits) const {
    return (Meta() >> shift) & ((uint64_t{1} << bits) - 1);
  }
  void SetField(int shift, int bits, uint64_t v) {
    const uint64_t mask = ((uint64_t{1} << bits) - 1) << shift;
    const uint64_t m = (Meta() & ~mask) | ((v << shift) & mask);
    std::memcpy(meta, &m, 8);
  }
  uint16_t publisher() const { return static_cast<uint16_t>(Field(0, 12)); }
  uint16_t site() const { return static_cast<uint16_t>(Field(12, 12)); }
  uint16_t original_source() const {
    return static_cast<uint16_t>(Field(24, 12));
  }
  uint8_t url_length() const { return static_cast<uint8_t>(Field(36, 8)); }
  uint16_t length() const { return static_cast<uint16_t>(Field(44, 16)); }
  bool live() const { return Field(60, 1) != 0; }
  bool odd() const { return Field(61, 1) != 0; }

 private:
  template <typename T>
  static T Load(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
  }
};

namespace {

Sketch StoredSketch(const Fingerprint& fp, NearMethod method) {
  if (method == NearMethod::kMinHashLsh) return fp.sketch;
  static_assert(sizeof(Sketch) >= sizeof(uint64_t));
  Sketch sketch{};
  std::memcpy(sketch.data(), &fp.simhash, sizeof(fp.simhash));
  return sketch;
}

}  // namespace

// Open addressing with linear probing over cells ((record + 1) << 6 | tag);
// see the header for why there is a list of levels instead of a rehash.
class DedupIndex::SlotTable {
 public:
  void Reserve(size_t n) {
    if (levels_.size() > 1 || (levels_.size() == 1 && levels_[0].used > 0)) {
      return;
    }
    levels_.clear();
    AddLevel(static_cast<size_t>(static_cast<double>(n) / kMaxLoad) + 16);
  }

  void Insert(uint64_t key, uint32_t record) {
    if (levels_.empty()) AddLevel(1024);
    if (static_cast<double>(levels_.back().used + 1) >
        kMaxLoad * static_cast<double>(levels_.back().cells.size())) {
      AddLevel(levels_.back().cells.size() * 2);
    }
    Level& level = levels_.back();
    const size_t cap = level.cells.size();
    size_t pos = Position(key, cap);
    while (level.cells[pos] != 0) pos = pos + 1 == cap ? 0 : pos + 1;
    level.cells[pos] = (record + 1) << 6 | static_cast<uint32_t>(key & 63);
    ++level.used;
  }

  // Calls f(record) for every cell whose tag matches `key`; stops early when
  // f returns true.
  template <typename F>
  void ForEach(uint64_t key, F&& f) const {
    const auto tag = static_cast<uint32_t>(key & 63);
    for (const Level& level : levels_) {
      const size_t cap = level.cells.size();
      size_t pos = Position(key, cap);
      for (uint32_t c; (c = level.cells[pos]) != 0;
           pos = pos + 1 == cap ? 0 : pos + 1) {
        if ((c & 63) == tag && f((c >> 6) - 1)) return;
      }
    }
  }

  size_t Bytes() const {
    size_t bytes = 0;
    for (const Level& level : levels_) {
      bytes += level.cells.capacity() * sizeof(uint32_t);
    }
    return bytes;
  }

 private:
  struct Level {
    std::vector<uint32_t> cells;
    size_t used = 0;
  };
  static size_t Position(uint64_t key, size_t cap) {
    return static_cast<size_t>(
        (static_cast<unsigned __int128>(key) * cap) >> 64);
  }
  void AddLevel(size_t cap) {
    levels_.emplace_back();
    levels_.back().cells.assign(cap, 0);
  }
  std::vector<Level> levels_;
};

DedupIndex::DedupIndex(const IndexOptions& options)
    : options_(options), ids_(std::make_unique<SlotTable>()) {
  static_assert(sizeof(Record) == 30 + sizeof(Sketch),
                "record layout is part of the budget");
  static_assert(alignof(Record) == 2);
  static_assert(kNameHashBits == 12);
  options_.lsh_tables = std::clamp(options_.lsh_tables, 1, kLshTables);
  options_.lsh_probes = std::clamp(options_.lsh_probes, 1, kLshProbes);
  near_.resize(options_.method == NearMethod::kSimHash
                   ? kSimHashBlocks
                   : static_cast<size_t>(options_.lsh_tables));
}

DedupIndex::~DedupIndex() = default;

void DedupIndex::Reserve(size_t articles) {
  records_.reserve(articles);
  ids_->Reserve(articles);
  for (SlotTable& t : near_) t.Reserve(articles);
}

void DedupIndex::AddKeys(uint32_t r, const Fingerprint& fp) {
  if (fp.length == 0) return;
  if (options_.method == NearMethod::kSimHash) {
    for (int t = 0; t < kSimHashBlocks; ++t) {
      const uint64_t block = (fp.simhash >> (16 * t)) & 0xFFFF;
      near_[t].Insert(Mix64(block | uint64_t(t + 1) << 16), r);
    }
    return;
  }
  for (int t = 0; t < options_.lsh_tables; ++t) {
    near_[t].Insert(LshKey(t, fp.bottom[t][0]), r);
  }
}

void DedupIndex::ForEachCandidate(const Fingerprint& fp,
                                  std::vector<uint32_t>* out) const {
  auto collect = [out](uint32_t r) {
    out->push_back(r);
    return false;
  };
  if (options_.method == NearMethod::kSimHash) {
    for (int t = 0; t < kSimHashBlocks; ++t) {
      const uint64_t block = (fp.simhash >> (16 * t)) & 0xFFFF;
      near_[t].ForEach(Mix64(block | uint64_t(t + 1) << 16), collect);
    }
  } else {
    for (int t = 0; t < options_.lsh_tables; ++t) {
      for (int i = 0; i < options_.lsh_probes; ++i) {
        const uint64_t value = fp.bottom[t][i];
        if (value == UINT64_MAX) break;  // fewer shingles than probes
        near_[t].ForEach(LshKey(t, value), collect);
      }
    }
  }
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
}

std::optional<Candidate> DedupIndex::Verify(const Fingerprint& fp,
                                            const CanonicalKey* key,
                                            uint32_t r) const {
  const Record& rec = records_[r];
  if (!rec.live() || rec.length() == 0 || fp.length == 0) {
    return std::nullopt;
  }
  Sketch stored;
  std::memcpy(stored.data(), rec.sketch, sizeof(stored));
  const uint16_t length = SaturatedLength(fp.length);
  const auto numbers = static_cast<uint16_t>(fp.numbers);
  if (rec.length() == length && rec.numbers == numbers &&
      stored == StoredSketch(fp, options_.method)) {
    return Candidate{r, 1.0, true};
  }
  const uint32_t lo = std::min<uint32_t>(rec.length(), length);
  const uint32_t hi = std::max<uint32_t>(rec.length(), length);
  if (static_cast<double>(lo) < options_.min_length_ratio * hi ||
      lo < options_.short_text) {
    return std::nullopt;
  }
  // Digit runs. Texts of nearly the same length (no paragraph added or
  // dropped: a notice and its same-template sibling, or a copy with a few
  // characters changed) have the same runs, or differ in at most one run
  // from long_text on. Otherwise the shorter text's runs are among the
  // longer's, but for one (an edit that touched a number).
  const uint32_t shorter_numbers =
      rec.length() <= length ? rec.numbers : numbers;
  const uint32_t longer_numbers =
      rec.length() <= length ? numbers : rec.numbers;
  const bool same_length =
      static_cast<double>(lo) >= options_.same_length_ratio * hi;
  if (same_length
          ? std::popcount(static_cast<uint16_t>(rec.numbers ^ numbers)) >
                (lo < options_.long_text ? 0 : 2)
          : std::popcount(shorter_numbers & ~longer_numbers) > 1) {
    return std::nullopt;
  }

  if (options_.method == NearMethod::kSimHash) {
    uint64_t stored_simhash;
    std::memcpy(&stored_simhash, stored.data(), sizeof(stored_simhash));
    const int d = HammingDistance(stored_simhash, fp.simhash);
    if (d > options_.simhash_method_distance) return std::nullopt;
    return Candidate{r, SimHashSimilarity(d), false};
  }
  const double resemblance =
      SketchResemblance(SketchMatches(stored, fp.sketch));
  // Shingle counts from lengths, the same way for both texts.
  const double e_size = std::max<double>(
      1.0, static_cast<double>(rec.length()) - kShingleLength + 1);
  const double n_size =
      std::max<double>(1.0, static_cast<double>(length) - kShingleLength + 1);
  // |E n N| from J = |E n N| / |E u N|.
  const double overlap = resemblance * (e_size + n_size) / (1 + resemblance);
  const double containment = std::min(1.0, overlap / std::min(e_size, n_size));
  // Same length, short text: a substitution-only difference; a name changed
  // throughout a notice weighs more than a few typos in an article.
  double min_resemblance =
      same_length && lo < options_.long_text
          ? options_.min_resemblance_same_length
          : options_.min_resemblance;
  if (key != nullptr && key->site != 0 && key->site == rec.site()) {
    min_resemblance =
        std::max(min_resemblance, options_.min_resemblance_same_site);
  }
  if (containment < options_.min_containment ||
      resemblance < min_resemblance) {
    return std::nullopt;
  }
  return Candidate{r, resemblance, false};
}

std::optional<Candidate> DedupIndex::FindDuplicate(
    const Fingerprint& fp, const CanonicalKey* key) const {
  if (fp.length == 0) return std::nullopt;
  std::vector<uint32_t> candidates;
  ForEachCandidate(fp, &candidates);
  std::optional<Candidate> best;
  for (uint32_t r : candidates) {
    auto c = Verify(fp, key, r);
    if (c && (!best || c->similarity > best->similarity)) best = c;
  }
  return best;
}

std::optional<uint32_t> DedupIndex::FindId(std::string_view id) const {
  uint8_t packed[16];
  bool odd;
  PackId(id, packed, &odd);
  std::optional<uint32_t> found;
  ids_->ForEach(IdKey(packed), [&](uint32_t r) {
    const Record& rec = records_[r];
    if (rec.live() && std::memcmp(rec.id, packed, 16) == 0) {
      found = r;
      return true;
    }
    return false;
  });
  return found;
}

Result<uint32_t> DedupIndex::Upsert(std::string_view id,
                                    const CanonicalKey& key,
                                    const Fingerprint& fp) {
  std::optional<uint32_t> existing = FindId(id);
  uint32_t r;
  bool same_text = false;
  if (existing) {
    r = *existing;
    const Record& old = records_[r];
    const Sketch sketch = StoredSketch(fp, options_.method);
    same_text = std::memcmp(old.sketch, sketch.data(), sizeof(sketch)) == 0 &&
                old.numbers == static_cast<uint16_t>(fp.numbers) &&
                old.length() == SaturatedLength(fp.length);
  } else {
    if (records_.size() >= kMaxRecords) {
      return Fail(ErrorCode::kResourceExhausted,
                  "dedup index full (" + std::to_string(kMaxRecords) +
                      " records)");
    }
    r = static_cast<uint32_t>(records_.size());
    records_.emplace_back();
    bool odd;
    PackId(id, records_[r].id, &odd);
    if (odd) {
      records_[r].SetField(61, 1, 1);
      odd_ids_.emplace(r, std::string(id));
    }
    records_[r].SetField(60, 1, 1);
    ids_->Insert(IdKey(records_[r].id), r);
    ++live_;
  }
  Record& rec = records_[r];
  const Sketch sketch = StoredSketch(fp, options_.method);
  std::memcpy(rec.sketch, sketch.data(), sizeof(sketch));
  rec.numbers = static_cast<uint16_t>(fp.numbers);
  rec.SetField(44, 16, SaturatedLength(fp.length));
  rec.SetPublished(key.published);
  rec.SetField(0, 12, key.publisher);
  rec.SetField(12, 12, key.site);
  rec.SetField(24, 12, key.original_source);
  rec.SetField(36, 8, key.url_length);
  if (!same_text) AddKeys(r, fp);
  return r;
}

void DedupIndex::Remove(uint32_t record) {
  if (record < records_.size() && records_[record].live()) {
    records_[record].SetField(60, 1, 0);
    --live_;
  }
}

bool DedupIndex::Revive(uint32_t record) {
  if (record >= records_.size() || records_[record].live()) return false;
  records_[record].SetField(60, 1, 1);
  ++live_;
  return true;
}

std::string DedupIndex::Id(uint32_t record) const {
  const Record& rec = records_[record];
  if (rec.odd()) return odd_ids_.at(record);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[2 * i] = kHex[rec.id[i] >> 4];
    out[2 * i + 1] = kHex[rec.id[i] & 15];
  }
  return out;
}

CanonicalKey DedupIndex::Key(uint32_t record) const {
  const Record& rec = records_[record];
  CanonicalKey key;
  key.published = rec.Published();
  key.url_length = rec.url_length();
  key.publisher = rec.publisher();
  key.site = rec.site();
  key.original_source = rec.original_source();
  return key;
}

size_t DedupIndex::records() const { return records_.size(); }

size_t DedupIndex::MemoryBytes() const {
  size_t bytes = records_.capacity() * sizeof(Record) + ids_->Bytes();
  for (const SlotTable& t : near_) bytes += t.Bytes();
  for (const auto& [r, id] : odd_ids_) {
    bytes += 64 + id.capacity();  // node + string, approximately
  }
  return bytes;
}

}  // namespace crawlstream::dedup

