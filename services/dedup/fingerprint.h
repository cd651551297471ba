// Fingerprints of normalised text (see normalize.h).
//
// Character shingles: every run of kShingleLength consecutive code points,
// hashed to 64 bits (a multiply-xor mix of the UTF-32 code points). A text
// shorter than one shingle is a single shingle of the whole text.
// From the shingles:
//   - simhash: 64-bit SimHash over the shingle multiset (each occurrence
//     votes); Hamming distance estimates the angle between shingle vectors,
//     cos(pi * d / 64).
//   - bottom: for each of kLshTables independent 64-bit hash functions, the
//     kLshProbes smallest distinct values over the shingle set (ascending;
//     UINT64_MAX pads a text with fewer shingles). An indexed text is stored
//     under its minimum per table; a query probes its bottom-k. The stored
//     minimum of E is among the probes of N whenever that shingle is in N and
//     ranks among N's first kLshProbes, so P(candidate per table) is about
//     |E n N| / |E| (the part of the indexed text the new one covers), more
//     than the Jaccard resemblance a symmetric one-row band would give.
//   - sketch: kSketchBins one-permutation MinHash bins (one more hash per
//     shingle; empty bins filled by optimal densification), 1 bit kept per
//     bin (b-bit minwise hashing, b = 1): P(bin equal) = J + (1 - J) / 2.
//     The 16-byte verification sketch kept per indexed article.
//   - body_hash: 64-bit hash of the whole normalised text (exact level).
//   - numbers: 16-bit mask of the hashes of the digit runs (a number guard
//     for notices), computed per paragraph by the caller.
// Pure functions, thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace crawlstream::dedup {

inline constexpr int kShingleLength = 5;
inline constexpr int kLshTables = 4;
inline constexpr int kLshProbes = 8;
inline constexpr int kSketchBins = 128;
inline constexpr int kSketchBitsPerBin = 1;
inline constexpr int kSketchWords = kSketchBins * kSketchBitsPerBin / 32;
using Sketch = std::array<uint32_t, kSketchWords>;

// Bins equal between two sketches (0..kSketchBins).
int SketchMatches(const Sketch& a, const Sketch& b);
// Jaccard estimate from SketchMatches, in [0, 1].
double SketchResemblance(int matches);

struct Fingerprint {
  uint32_t length = 0;  // normalised code points
  uint64_t body_hash = 0;
  uint64_t simhash = 0;
  uint32_t numbers = 0;
  // bottom[t][i]: i-th smallest distinct value of hash function t.
  std::array<std::array<uint64_t, kLshProbes>, kLshTables> bottom{};
  Sketch sketch{};
};

// 64-bit finaliser (MurmurHash3 fmix64).
inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// Hashes of every shingle of `text` (with repeats, in text order).
std::vector<uint64_t> Shingles(std::u32string_view text,
                               int length = kShingleLength);

// Fingerprint of normalised text; all zero for empty text. `numbers` is
// the DigitRunMask of the text's paragraphs (see NormalizedText).
Fingerprint ComputeFingerprint(std::u32string_view text, uint32_t numbers = 0,
                               int shingle_length = kShingleLength);

// 16-bit mask (low bits of the result) of the hashes of the runs of ASCII
// digits in folded text.
// Computed per paragraph: folding removes the punctuation between numbers of
// consecutive paragraphs.
uint32_t DigitRunMask(std::u32string_view text);

int HammingDistance(uint64_t a, uint64_t b);

// cos(pi * d / 64) clamped to [0, 1]: the similarity a SimHash distance
// estimates.
double SimHashSimilarity(int hamming_distance);

// Exact Jaccard similarity of the shingle sets of two texts (tests and
// evaluation only; the index never keeps shingle sets).
double ShingleJaccard(std::u32string_view a, std::u32string_view b,
                      int length = kShingleLength);

}  // namespace crawlstream::dedup
