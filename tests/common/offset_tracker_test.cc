#include "services/common/offset_tracker.h"

#include <gtest/gtest.h>

namespace crawlstream {
namespace {

const TopicPartition kP0{"t", 0};
const TopicPartition kP1{"t", 1};

int64_t PositionOf(const std::vector<CommitPosition>& v, const TopicPartition& tp) {
  for (const auto& p : v) {
    if (p.tp == tp) return p.offset;
  }
  return -1;
}

TEST(OffsetTrackerTest, CommitsOnlyUpToLowestPendingOffset) {
  OffsetTracker t;
  auto gen = t.Assign({kP0});
  for (int64_t o = 10; o < 15; ++o) t.Started(kP0, o, gen);
  t.Done(kP0, 12, gen);
  t.Done(kP0, 13, gen);
  EXPECT_EQ(PositionOf(t.Committable(), kP0), 10);  // 10 still pending
  t.Done(kP0, 10, gen);
  EXPECT_EQ(PositionOf(t.Committable(), kP0), 11);
  t.Done(kP0, 11, gen);
  t.Done(kP0, 14, gen);
  EXPECT_EQ(PositionOf(t.Committable(), kP0), 15);
  EXPECT_EQ(t.pending(), 0u);
}

TEST(OffsetTrackerTest, NothingToCommitBeforeFirstRecord) {
  OffsetTracker t;
  t.Assign({kP0, kP1});
  EXPECT_TRUE(t.Committable().empty());
}

TEST(OffsetTrackerTest, CommittedPositionIsNotRepeatedUnlessAll) {
  OffsetTracker t;
  auto gen = t.Assign({kP0});
  t.Started(kP0, 0, gen);
  t.Done(kP0, 0, gen);
  auto c = t.Committable();
  ASSERT_EQ(c.size(), 1u);
  t.MarkCommitted(c);
  EXPECT_TRUE(t.Committable().empty());
  EXPECT_EQ(t.Committable(/*all=*/true).size(), 1u);
}

TEST(OffsetTrackerTest, DoneFromOldGenerationIsIgnored) {
  OffsetTracker t;
  auto gen1 = t.Assign({kP0});
  t.Started(kP0, 5, gen1);
  t.Revoke({kP0});
  auto gen2 = t.Assign({kP0});
  t.Started(kP0, 5, gen2);
  t.Started(kP0, 6, gen2);
  t.Done(kP0, 5, gen1);  // late completion from before the rebalance
  EXPECT_EQ(PositionOf(t.Committable(), kP0), 5);
  t.Done(kP0, 5, gen2);
  EXPECT_EQ(PositionOf(t.Committable(), kP0), 6);
}

TEST(OffsetTrackerTest, PartitionsAreIndependent) {
  OffsetTracker t;
  auto gen = t.Assign({kP0, kP1});
  t.Started(kP0, 0, gen);
  t.Started(kP1, 7, gen);
  t.Done(kP1, 7, gen);
  auto c = t.Committable();
  EXPECT_EQ(PositionOf(c, kP0), 0);
  EXPECT_EQ(PositionOf(c, kP1), 8);
}

}  // namespace
}  // namespace crawlstream
