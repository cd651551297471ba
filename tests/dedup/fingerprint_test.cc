#include "services/dedup/fingerprint.h"

#include <gtest/gtest.h>

#include "services/dedup/normalize.h"

namespace crawlstream::dedup {
namespace {

const char kStory[] =
    "中央气象台今天早晨发布暴雨蓝色预警预计今天白天到明天江南华南北部等地将有一次强降雨过程"
    "其中浙江南部江西东部福建北部等地部分地区有大暴雨局地累计降雨量可达180毫米专家分析此次"
    "降雨过程具有持续时间长累计雨量大局地短时雨强大的特点部分地区最大小时降雨量可达50毫米以上";

TEST(FingerprintTest, IdenticalTextsHaveIdenticalFingerprints) {
  const auto a = ComputeFingerprint(FoldText(kStory));
  const auto b = ComputeFingerprint(FoldText(kStory));
  EXPECT_EQ(a.simhash, b.simhash);
  EXPECT_EQ(a.bottom, b.bottom);
  EXPECT_EQ(a.body_hash, b.body_hash);
  EXPECT_EQ(a.length, FoldText(kStory).size());
}

TEST(FingerprintTest, EmptyTextHasNoFingerprint) {
  const auto fp = ComputeFingerprint(U"");
  EXPECT_EQ(fp.length, 0u);
  EXPECT_EQ(fp.simhash, 0u);
}

TEST(FingerprintTest, TextShorterThanAShingleIsOneShingle) {
  EXPECT_EQ(Shingles(U"新闻", 5).size(), 1u);
  EXPECT_EQ(Shingles(U"一二三四五六", 5).size(), 2u);
}

// Minima shared by two fingerprints, over all tables.
int SharedMinima(const Fingerprint& a, const Fingerprint& b) {
  int same = 0;
  for (int t = 0; t < kLshTables; ++t) same += a.bottom[t][0] == b.bottom[t][0];
  return same;
}

TEST(FingerprintTest, BottomValuesAreAscendingAndDistinct) {
  const auto fp = ComputeFingerprint(FoldText(std::string(kStory) + kStory));
  for (const auto& bottom : fp.bottom) {
    for (int i = 1; i < kLshProbes; ++i) EXPECT_LT(bottom[i - 1], bottom[i]);
  }
  // Fewer distinct shingles than probes: padded.
  const auto tiny = ComputeFingerprint(U"一二三四五六七");  // 3 shingles
  EXPECT_NE(tiny.bottom[0][2], UINT64_MAX);
  EXPECT_EQ(tiny.bottom[0][3], UINT64_MAX);
}

TEST(FingerprintTest, IndexedMinimumIsAmongTheProbesOfAContainingText) {
  // E is the first half of N: E's minimum is a shingle of N, so it ranks
  // among N's smallest values unless N's other half has many smaller ones.
  const std::u32string n = FoldText(kStory);
  const auto fn = ComputeFingerprint(n);
  const auto fe = ComputeFingerprint(n.substr(0, n.size() / 2));
  int found = 0;
  for (int t = 0; t < kLshTables; ++t) {
    for (uint64_t v : fn.bottom[t]) found += v == fe.bottom[t][0];
  }
  EXPECT_GE(found, kLshTables - 1);
}

TEST(FingerprintTest, AFewChangedCharactersKeepMostMinhashesAndBits) {
  std::u32string text = FoldText(kStory);
  std::u32string edited = text;
  edited[10] = U'甲';
  edited[60] = U'乙';
  const auto a = ComputeFingerprint(text);
  const auto b = ComputeFingerprint(edited);
  EXPECT_GE(SharedMinima(a, b), kLshTables / 2);
  EXPECT_GE(SketchResemblance(SketchMatches(a.sketch, b.sketch)), 0.6);
  EXPECT_LE(HammingDistance(a.simhash, b.simhash), 16);
  EXPECT_GT(ShingleJaccard(text, edited), 0.8);
}

TEST(FingerprintTest, UnrelatedTextsShareAlmostNoMinhashes) {
  const auto a = ComputeFingerprint(FoldText(kStory));
  const auto b = ComputeFingerprint(FoldText(
      "Dockworkers at ports from Maine to Texas returned to work on Friday "
      "after their union reached a tentative agreement with port operators"));
  EXPECT_EQ(SharedMinima(a, b), 0);
  EXPECT_LE(SketchResemblance(SketchMatches(a.sketch, b.sketch)), 0.35);
  EXPECT_GT(HammingDistance(a.simhash, b.simhash), 16);
}

TEST(FingerprintTest, SketchEstimatesResemblance) {
  std::u32string text = FoldText(kStory);
  const auto a = ComputeFingerprint(text);
  EXPECT_EQ(SketchMatches(a.sketch, a.sketch), kSketchBins);
  EXPECT_DOUBLE_EQ(SketchResemblance(kSketchBins), 1.0);
  std::u32string half = text.substr(0, text.size() / 2);
  const auto b = ComputeFingerprint(half);
  const double estimate = SketchResemblance(SketchMatches(a.sketch, b.sketch));
  EXPECT_NEAR(estimate, ShingleJaccard(text, half), 0.2);
}

TEST(FingerprintTest, DigitRunMaskSeparatesNumbers) {
  EXPECT_EQ(DigitRunMask(U"第12期"), DigitRunMask(U"共12人"));
  EXPECT_NE(DigitRunMask(U"第12期"), DigitRunMask(U"第13期"));
  EXPECT_EQ(DigitRunMask(U"没有数字"), 0u);
}

TEST(FingerprintTest, SimHashSimilarityFallsWithDistance) {
  EXPECT_DOUBLE_EQ(SimHashSimilarity(0), 1.0);
  EXPECT_GT(SimHashSimilarity(3), SimHashSimilarity(10));
  EXPECT_DOUBLE_EQ(SimHashSimilarity(40), 0.0);
}

}  // namespace
}  // namespace crawlstream::dedup
