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

// Cooperative rebalances assign incrementally: partitions kept keep their
// generation and pending offsets, a new one gets its own.
TEST(OffsetTrackerTest, IncrementalAssignKeepsOtherPartitions) {
  OffsetTracker t;
  auto gen1 = t.Assign({kP0});
  t.Started(kP0, 3, gen1);
  auto gen2 = t.Assign({kP1});
  EXPECT_NE(gen1, gen2);
  EXPECT_EQ(t.GenerationOf(kP0), gen1);
  EXPECT_EQ(t.GenerationOf(kP1), gen2);
  EXPECT_TRUE(t.Owns(kP0, gen1));
  t.Done(kP0, 3, gen1);
  EXPECT_EQ(PositionOf(t.Committable(), kP0), 4);
  t.Revoke({kP1});
  EXPECT_EQ(t.GenerationOf(kP1), 0u);
  EXPECT_EQ(t.assigned(), 1u);
}

// On revoke the position is committed even if the same one was marked
// committed by an asynchronous commit that may have failed.
TEST(OffsetTrackerTest, PositionsForRepeatsCommittedPositions) {
  OffsetTracker t;
  auto gen = t.Assign({kP0});
  t.Started(kP0, 0, gen);
  t.Started(kP0, 1, gen);
  t.Done(kP0, 0, gen);
  t.MarkCommitted(t.Committable());
  auto positions = t.PositionsFor({kP0});
  ASSERT_EQ(positions.size(), 1u);
  EXPECT_EQ(positions[0].offset, 1) << "offset 1 is not done: never past it";
}

// What a next owner processes again when partitions are lost: records
// done since the broker's last acknowledged commit, not the pending ones.
TEST(OffsetTrackerTest, DoneSinceConfirmedCountsDoneRecordsNotYetAcknowledged) {
  OffsetTracker t;
  auto gen = t.Assign({kP0});
  for (int64_t o = 100; o < 110; ++o) t.Started(kP0, o, gen);
  for (int64_t o = 100; o < 106; ++o) t.Done(kP0, o, gen);
  t.Done(kP0, 108, gen);  // out of order: done, but above a pending one
  EXPECT_EQ(t.DoneSinceConfirmed({kP0}), 7);
  t.Confirm(kP0, 104);  // the broker acknowledged position 104
  EXPECT_EQ(t.DoneSinceConfirmed({kP0}), 3);  // 104, 105, 108
  t.Confirm(kP0, 103);  // an older acknowledgement arriving late
  EXPECT_EQ(t.DoneSinceConfirmed({kP0}), 3);
}

}  // namespace
}  // namespace crawlstream
