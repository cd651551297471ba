// Precision and recall of the duplicate decision on the labelled set, for
// both near-duplicate methods. The production method (MinHash-LSH) must reach
// precision >= 0.99 and recall >= 0.95.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "services/dedup/deduplicator.h"
#include "tests/dedup/labelled_set.h"

namespace crawlstream::dedup {
namespace {

using fixtures::Clusters;
using fixtures::LabelledSet;
using fixtures::PairScores;

struct EvalRun {
  PairScores scores;
  std::map<DecisionKind, int> decisions;
};

EvalRun Evaluate(const LabelledSet& set, const IndexOptions& options,
             const ScriptConverter* converter, bool verbose) {
  DedupOptions dedup_options;
  dedup_options.index = options;
  Deduplicator dedup(dedup_options, converter);
  std::map<std::string, int> index_of;
  for (size_t i = 0; i < set.articles.size(); ++i) {
    index_of[set.articles[i].id()] = static_cast<int>(i);
  }
  Clusters clusters(set.articles.size());
  EvalRun run;
  for (size_t i = 0; i < set.articles.size(); ++i) {
    auto decision = dedup.Decide(set.articles[i]);
    EXPECT_TRUE(decision.has_value());
    if (!decision) continue;
    ++run.decisions[decision->kind];
    if (!decision->other_id.empty()) {
      const int other = index_of.at(decision->other_id);
      clusters.Union(static_cast<int>(i), other);
      if (verbose && set.stories[i] != set.stories[other]) {
        std::printf("  false match: %s (%s) ~ %s, similarity %.3f\n",
                    set.stories[i].c_str(), set.articles[i].url().c_str(),
                    set.stories[other].c_str(), decision->similarity);
      }
    }
  }
  const std::vector<int> roots = clusters.Roots();
  run.scores = fixtures::ScorePairs(roots, set.stories);
  if (verbose) {
    for (size_t i = 0; i < roots.size(); ++i) {
      for (size_t j = i + 1; j < roots.size(); ++j) {
        if (roots[i] == roots[j] || set.stories[i] != set.stories[j]) continue;
        const Fingerprint a = dedup.FingerprintOf(set.articles[i]);
        const Fingerprint b = dedup.FingerprintOf(set.articles[j]);
        const auto ta = NormalizeForDedup(set.articles[i], converter);
        const auto tb = NormalizeForDedup(set.articles[j], converter);
        std::printf("  missed: %s %s | %s  hamming %d jaccard %.3f len %u/%u\n",
                    set.stories[i].c_str(), set.articles[i].url().c_str(),
                    set.articles[j].url().c_str(),
                    HammingDistance(a.simhash, b.simhash),
                    ShingleJaccard(ta.text, tb.text), a.length, b.length);
      }
    }
  }
  return run;
}

class LabelledSetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    set_ = new LabelledSet(fixtures::LoadLabelledSet());
    auto converter = MakeOpenccConverter(std::getenv("DEDUP_OPENCC") ? std::getenv("DEDUP_OPENCC") : "t2s.json");
    ASSERT_TRUE(converter.has_value()) << converter.error().ToString();
    converter_ = converter->release();
  }
  void SetUp() override {
    ASSERT_GE(set_->articles.size(), 100u)
        << "labelled set not found under " << fixtures::SourceDir()
        << "/tests/fixtures/dedup (set CRAWLSTREAM_SOURCE_DIR)";
    ASSERT_EQ(set_->articles.size(), set_->stories.size());
  }
  static void TearDownTestSuite() {
    delete set_;
    delete converter_;
  }
  static LabelledSet* set_;
  static ScriptConverter* converter_;
};
LabelledSet* LabelledSetTest::set_ = nullptr;
ScriptConverter* LabelledSetTest::converter_ = nullptr;

void Print(const char* name, EvalRun run) {
  std::printf(
      "%-12s precision %.4f recall %.4f (tp %ld fp %ld fn %ld) "
      "new %d same_id %d duplicate_of %d replaces %d\n",
      name, run.scores.precision(), run.scores.recall(),
      run.scores.true_positive, run.scores.false_positive,
      run.scores.false_negative, run.decisions[DecisionKind::kPublishNew],
      run.decisions[DecisionKind::kUpdateSameId],
      run.decisions[DecisionKind::kDuplicateOf],
      run.decisions[DecisionKind::kReplaces]);
}

TEST_F(LabelledSetTest, SetHasEnoughStoriesAndHardNegatives) {
  std::map<std::string, int> copies;
  for (const std::string& s : set_->stories) ++copies[s];
  int stories_with_three = 0;
  for (const auto& [story, n] : copies) stories_with_three += n >= 3;
  EXPECT_GE(stories_with_three, 20);
  EXPECT_GE(copies.size() - stories_with_three, 10u);  // notices
}

TEST_F(LabelledSetTest, MinHashLshMeetsPrecisionAndRecallBars) {
  IndexOptions options;
  options.method = NearMethod::kMinHashLsh;
  const EvalRun run = Evaluate(*set_, options, converter_, /*verbose=*/true);
  Print("minhash-lsh", run);
  EXPECT_GE(run.scores.precision(), 0.99);
  EXPECT_GE(run.scores.recall(), 0.95);
}

TEST_F(LabelledSetTest, SimHashTablesAreMeasuredForComparison) {
  IndexOptions options;
  options.method = NearMethod::kSimHash;
  const EvalRun run = Evaluate(*set_, options, converter_, /*verbose=*/false);
  Print("simhash", run);
  EXPECT_GE(run.scores.precision(), 0.99);  // recall is what it loses
}

TEST_F(LabelledSetTest, LshTableVariantsAreMeasured) {
  for (int tables = 1; tables <= kLshTables; ++tables) {
    for (int probes : {1, kLshProbes}) {
      IndexOptions options;
      options.lsh_tables = tables;
      options.lsh_probes = probes;
      const EvalRun run = Evaluate(*set_, options, converter_, false);
      const std::string name =
          "minhash t" + std::to_string(tables) + "p" + std::to_string(probes);
      Print(name.c_str(), run);
      // Every candidate is verified: more probes never cost precision.
      EXPECT_GE(run.scores.precision(), 0.99) << name;
    }
  }
}

TEST_F(LabelledSetTest, WithoutConverterTraditionalCopiesLackingSimplifiedAreMissed) {
  IndexOptions options;
  const EvalRun with = Evaluate(*set_, options, converter_, false);
  const EvalRun without = Evaluate(*set_, options, nullptr, false);
  Print("no-opencc", without);
  EXPECT_LT(without.scores.recall(), with.scores.recall());
}

}  // namespace
}  // namespace crawlstream::dedup
