// The crash guard against real process deaths: a child process opens the
// journal and dies (_exit, as an OOM kill or SIGKILL would leave it) while
// it processes a record; the next process sees it.
#include "services/common/inflight_journal.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace crawlstream {
namespace {

InRecord Record(int64_t offset) {
  InRecord r;
  r.tp = {"crawl.pages", 3};
  r.offset = offset;
  r.key = "k" + std::to_string(offset);
  return r;
}

class InflightJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("inflight-test-" + std::to_string(getpid()) + ".journal"))
                .string();
    std::filesystem::remove(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }

  // Runs the guarded processor on `record` in a child process whose
  // processor dies like an OOM kill on the poison offset.
  int RunInChild(const InRecord& record) {
    const pid_t pid = fork();
    if (pid == 0) {
      auto j = InflightJournal::Open(path_);
      if (!j) _exit(3);
      Processor guarded = GuardWithJournal(
          [](const InRecord& r) -> StageResult {
            if (r.offset == 7) _exit(137);  // the poison page kills the worker
            return {};
          },
          j->get());
      const StageResult result = guarded(record);
      _exit(result.dead_letter_reason == "poison_redelivered" ? 4 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string path_;
};

TEST_F(InflightJournalTest, ARecordThatKilledTheProcessTwiceIsDeadLettered) {
  EXPECT_EQ(RunInChild(Record(7)), 137);  // first death
  EXPECT_EQ(RunInChild(Record(7)), 137);  // redelivered: second death
  EXPECT_EQ(RunInChild(Record(7)), 4);    // third delivery: dead letter, not run
  // It is gone from the journal: a fourth delivery (e.g. a replay) runs.
  EXPECT_EQ(RunInChild(Record(7)), 137);
}

TEST_F(InflightJournalTest, CompletedRecordsLeaveNoTrace) {
  EXPECT_EQ(RunInChild(Record(1)), 0);
  EXPECT_EQ(RunInChild(Record(1)), 0);
  auto j = InflightJournal::Open(path_);
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)->recovered(), 0u);
  EXPECT_EQ((*j)->Crashes(Record(1)), 0);
}

TEST_F(InflightJournalTest, CountsSurviveRestartsWhileTheRecordIsAway) {
  EXPECT_EQ(RunInChild(Record(7)), 137);
  {
    // A process that never sees offset 7 (it went to another partition
    // owner) must not forget it.
    auto j = InflightJournal::Open(path_);
    ASSERT_TRUE(j);
    EXPECT_EQ((*j)->recovered(), 1u);
    EXPECT_EQ((*j)->Crashes(Record(7)), 1);
    EXPECT_EQ((*j)->Begin(Record(8)), InflightJournal::Verdict::kProcess);
    (*j)->End(Record(8));
  }
  auto j = InflightJournal::Open(path_);
  ASSERT_TRUE(j);
  EXPECT_GE((*j)->Crashes(Record(7)), 1);
  EXPECT_EQ((*j)->Crashes(Record(8)), 0);
}

TEST_F(InflightJournalTest, OneProcessPerFile) {
  auto first = InflightJournal::Open(path_);
  ASSERT_TRUE(first);
  auto second = InflightJournal::Open(path_);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(OpenInflightJournalOrWarn(path_), nullptr);  // runs unguarded, warns
  EXPECT_EQ(OpenInflightJournalOrWarn(""), nullptr);     // off
}

TEST_F(InflightJournalTest, UnwritablePathIsAnIoError) {
  auto j = InflightJournal::Open("/nonexistent-dir/journal");
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code, ErrorCode::kIo);
}

}  // namespace
}  // namespace crawlstream
