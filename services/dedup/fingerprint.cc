#include "services/dedup/fingerprint.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numbers>

namespace crawlstream::dedup {
namespace {

constexpr uint64_t kShingleMul = 0x9E3779B97F4A7C15ULL;

uint64_t HashRun(const char32_t* p, size_t n) {
  uint64_t h = 0x243F6A8885A308D3ULL;
  for (size_t i = 0; i < n; ++i) {
    h = (h ^ static_cast<uint64_t>(p[i])) * kShingleMul;
    h ^= h >> 29;
  }
  return Mix64(h ^ n);
}

// Seeds of the MinHash functions h_i(x) = mix(x ^ seed_i).
constexpr std::array<uint64_t, kLshTables> MakeSeeds() {
  std::array<uint64_t, kLshTables> seeds{};
  uint64_t s = 0x6A09E667F3BCC908ULL;
  for (auto& seed : seeds) {
    s += 0x9E3779B97F4A7C15ULL;  // splitmix64
    uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    seed = z ^ (z >> 31);
  }
  return seeds;
}
constexpr std::array<uint64_t, kLshTables> kSeeds = MakeSeeds();
constexpr uint64_t kSketchSeed = 0x3C6EF372FE94F82BULL;

inline uint64_t MinHashFunction(uint64_t shingle, uint64_t seed) {
  uint64_t v = (shingle ^ seed) * 0xD6E8FEB86659FD93ULL;
  return v ^ (v >> 32);
}

// Inserts v into the ascending, distinct bottom-k `b` (padded with
// UINT64_MAX) when it is smaller than the largest kept value.
inline void KeepSmallest(std::array<uint64_t, kLshProbes>& b, uint64_t v) {
  if (v >= b[kLshProbes - 1]) return;
  int i = kLshProbes - 1;
  while (i > 0 && b[i - 1] > v) --i;
  if (i > 0 && b[i - 1] == v) return;  // a repeated shingle
  for (int j = kLshProbes - 1; j > i; --j) b[j] = b[j - 1];
  b[i] = v;
}

// Bit-sliced vertical counters: plane i holds bit i of the 64 per-position
// counts, so adding a word costs a short carry chain instead of 64 adds.
class BitCounter {
 public:
  void Add(uint64_t word) {
    uint64_t carry = word;
    for (uint64_t& plane : planes_) {
      const uint64_t next = plane & carry;
      plane ^= carry;
      carry = next;
      if (carry == 0) return;
    }
  }
  uint32_t Count(int bit) const {
    uint32_t count = 0;
    for (size_t i = 0; i < planes_.size(); ++i) {
      count |= static_cast<uint32_t>((planes_[i] >> bit) & 1) << i;
    }
    return count;
  }

 private:
  std::array<uint64_t, 32> planes_{};
};

}  // namespace

std::vector<uint64_t> Shingles(std::u32string_view text, int length) {
  std::vector<uint64_t> out;
  const size_t k = static_cast<size_t>(std::max(length, 1));
  if (text.empty()) return out;
  if (text.size() <= k) {
    out.push_back(HashRun(text.data(), text.size()));
    return out;
  }
  out.reserve(text.size() - k + 1);
  for (size_t i = 0; i + k <= text.size(); ++i) {
    out.push_back(HashRun(text.data() + i, k));
  }
  return out;
}

Fingerprint ComputeFingerprint(std::u32string_view text, uint32_t numbers,
                               int shingle_length) {
  Fingerprint fp;
  if (text.empty()) return fp;
  fp.length = static_cast<uint32_t>(text.size());
  fp.body_hash = HashRun(text.data(), text.size());
  const std::vector<uint64_t> shingles = Shingles(text, shingle_length);
  BitCounter counter;
  for (auto& b : fp.bottom) b.fill(UINT64_MAX);
  std::array<uint64_t, kSketchBins> bins;
  bins.fill(UINT64_MAX);
  for (uint64_t s : shingles) {
    counter.Add(s);
    for (int t = 0; t < kLshTables; ++t) {
      KeepSmallest(fp.bottom[t], MinHashFunction(s, kSeeds[t]));
    }
    // One-permutation hashing: the high half picks the bin, the low half
    // is the value.
    const uint64_t h = Mix64(s ^ kSketchSeed);
    uint64_t& bin = bins[((h >> 32) * kSketchBins) >> 32];
    bin = std::min<uint64_t>(bin, h & 0xFFFFFFFFULL);
  }
  static_assert(32 % kSketchBitsPerBin == 0);
  for (int i = 0; i < kSketchBins; ++i) {
    uint64_t v = bins[i];
    // Optimal densification: an empty bin borrows from the first non-empty
    // bin of its own probe sequence (the same for every text).
    for (uint64_t attempt = 0; v == UINT64_MAX; ++attempt) {
      v = bins[Mix64(static_cast<uint64_t>(i) << 32 | attempt) % kSketchBins];
    }
    const int bit = i * kSketchBitsPerBin;
    fp.sketch[bit / 32] |= static_cast<uint32_t>(
        (v & ((1u << kSketchBitsPerBin) - 1)) << (bit % 32));
  }
  fp.numbers = numbers;
  const uint64_t n = shingles.size();
  for (int bit = 0; bit < 64; ++bit) {
    if (2 * static_cast<uint64_t>(counter.Count(bit)) > n) {
      fp.simhash |= uint64_t{1} << bit;
    }
  }
  return fp;
}

uint32_t DigitRunMask(std::u32string_view text) {
  uint32_t mask = 0;
  for (size_t i = 0; i < text.size();) {
    if (text[i] < U'0' || text[i] > U'9') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && text[j] >= U'0' && text[j] <= U'9') ++j;
    mask |= uint32_t{1} << (HashRun(text.data() + i, j - i) & 15);
    i = j;
  }
  return mask;
}

int SketchMatches(const Sketch& a, const Sketch& b) {
  int differ = 0;
  for (int w = 0; w < kSketchWords; ++w) {
    uint32_t x = a[w] ^ b[w];
    if constexpr (kSketchBitsPerBin == 2) x = (x | (x >> 1)) & 0x55555555u;
    static_assert(kSketchBitsPerBin <= 2);
    differ += std::popcount(x);
  }
  return kSketchBins - differ;
}

double SketchResemblance(int matches) {
  const double p = static_cast<double>(matches) / kSketchBins;
  // P(bin equal) = J + (1 - J) r, r = 2^-bits: equal low bits by chance.
  constexpr double r = 1.0 / (1 << kSketchBitsPerBin);
  return std::clamp((p - r) / (1 - r), 0.0, 1.0);
}

int HammingDistance(uint64_t a, uint64_t b) { return std::popcount(a ^ b); }

double SimHashSimilarity(int hamming_distance) {
  const double c = std::cos(std::numbers::pi * hamming_distance / 64.0);
  return std::clamp(c, 0.0, 1.0);
}

double ShingleJaccard(std::u32string_view a, std::u32string_view b,
                      int length) {
  std::vector<uint64_t> sa = Shingles(a, length);
  std::vector<uint64_t> sb = Shingles(b, length);
  std::sort(sa.begin(), sa.end());
  sa.erase(std::unique(sa.begin(), sa.end()), sa.end());
  std::sort(sb.begin(), sb.end());
  sb.erase(std::unique(sb.begin(), sb.end()), sb.end());
  if (sa.empty() && sb.empty()) return 1.0;
  std::vector<uint64_t> common;
  std::set_intersection(sa.begin(), sa.end(), sb.begin(), sb.end(),
                        std::back_inserter(common));
  const double inter = static_cast<double>(common.size());
  return inter / static_cast<double>(sa.size() + sb.size() - common.size());
}

}  // namespace crawlstream::dedup
