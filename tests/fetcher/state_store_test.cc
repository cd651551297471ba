#include "services/fetcher/state_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crawlstream/v1/crawl_state.pb.h"

namespace crawlstream::fetcher {
namespace {

using crawlstream::v1::UrlState;

// A fresh directory under the system temp dir, removed afterwards.
class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("crawlstream-state-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<StateStore> OpenStore() {
    auto store = StateStore::Open(dir_.string());
    EXPECT_TRUE(store) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

  static UrlState Fetched(const std::string& etag) {
    UrlState s;
    s.mutable_last_fetched()->set_seconds(1'720'000'000);
    s.set_outcome("processed");
    s.set_http_status(200);
    s.set_etag(etag);
    s.set_content_hash("ab12");
    return s;
  }

  // Restores `partition` from (url, state or tombstone) records.
  static void RestoreFrom(StateStore* store, int32_t partition,
                          const std::vector<std::pair<std::string, std::optional<UrlState>>>& log) {
    store->BeginRestore(partition);
    for (const auto& [url, state] : log) {
      std::string value = state ? state->SerializeAsString() : "";
      ASSERT_TRUE(store->Restore(partition, url, value, !state));
    }
    ASSERT_TRUE(store->FinishRestore(partition));
  }

  std::filesystem::path dir_;
};

TEST_F(StateStoreTest, PartitionNotOwnedUntilRestored) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->Owns(3));
  EXPECT_FALSE(store->Put(3, "http://a.example/x", Fetched("\"1\"")));
  EXPECT_FALSE(store->Get(3, "http://a.example/x"));
  store->BeginRestore(3);
  EXPECT_FALSE(store->Owns(3));  // restoring is not owning
  auto applied = store->FinishRestore(3);
  ASSERT_TRUE(applied);
  EXPECT_EQ(*applied, 0);
  EXPECT_TRUE(store->Owns(3));
  EXPECT_FALSE(store->Get(3, "http://a.example/x"));
}

TEST_F(StateStoreTest, PutThenGetReturnsTheStateAndTheChangelogValue) {
  auto store = OpenStore();
  RestoreFrom(store.get(), 0, {});
  auto value = store->Put(0, "http://a.example/x", Fetched("\"v1\""));
  ASSERT_TRUE(value);
  UrlState decoded;
  ASSERT_TRUE(decoded.ParseFromString(*value));
  EXPECT_EQ(decoded.etag(), "\"v1\"");
  auto got = store->Get(0, "http://a.example/x");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->etag(), "\"v1\"");
  EXPECT_EQ(got->content_hash(), "ab12");
  EXPECT_EQ(got->last_fetched().seconds(), 1'720'000'000);
  EXPECT_EQ(store->EstimatedUrls(), 1);
  ASSERT_TRUE(store->Put(0, "http://a.example/x", Fetched("\"v2\"")));  // an update
  EXPECT_EQ(store->Get(0, "http://a.example/x")->etag(), "\"v2\"");
  EXPECT_EQ(store->EstimatedUrls(), 1);
}

TEST_F(StateStoreTest, PartitionsAreSeparate) {
  auto store = OpenStore();
  RestoreFrom(store.get(), 1, {});
  RestoreFrom(store.get(), 2, {});
  ASSERT_TRUE(store->Put(1, "http://a.example/x", Fetched("\"p1\"")));
  EXPECT_FALSE(store->Get(2, "http://a.example/x"));
  ASSERT_TRUE(store->Drop(1));
  EXPECT_FALSE(store->Owns(1));
  EXPECT_FALSE(store->Get(1, "http://a.example/x"));
  EXPECT_TRUE(store->Owns(2));
}

TEST_F(StateStoreTest, RestoreKeepsTheLastRecordPerUrlAndAppliesTombstones) {
  auto store = OpenStore();
  // More records than one restore batch, a URL updated, one forgotten,
  // one record that is not a UrlState.
  std::vector<std::pair<std::string, std::optional<UrlState>>> log;
  for (int i = 0; i < 10'000; ++i) {
    log.emplace_back("http://a.example/p/" + std::to_string(i), Fetched("\"" + std::to_string(i) + "\""));
  }
  log.emplace_back("http://a.example/p/7", Fetched("\"seven-again\""));
  log.emplace_back("http://a.example/p/8", std::nullopt);
  RestoreFrom(store.get(), 5, log);
  ASSERT_TRUE(store->Owns(5));
  EXPECT_EQ(store->Get(5, "http://a.example/p/0")->etag(), "\"0\"");
  EXPECT_EQ(store->Get(5, "http://a.example/p/9999")->etag(), "\"9999\"");
  EXPECT_EQ(store->Get(5, "http://a.example/p/7")->etag(), "\"seven-again\"");
  EXPECT_FALSE(store->Get(5, "http://a.example/p/8"));
  EXPECT_NEAR(static_cast<double>(store->EstimatedUrls()), 10'000, 2);

  store->BeginRestore(6);
  ASSERT_TRUE(store->Restore(6, "http://b.example/bad", "\xff\xff\xff", false));
  ASSERT_TRUE(store->FinishRestore(6));
  EXPECT_EQ(store->undecodable(), 1);
  EXPECT_FALSE(store->Get(6, "http://b.example/bad"));
}

TEST_F(StateStoreTest, RestoringAgainForgetsWhatThePartitionHeld) {
  auto store = OpenStore();
  RestoreFrom(store.get(), 0, {{"http://a.example/old", Fetched("\"o\"")}});
  ASSERT_TRUE(store->Put(0, "http://a.example/local", Fetched("\"l\"")));
  // Revoked, then assigned again: the changelog alone is the truth.
  ASSERT_TRUE(store->Drop(0));
  RestoreFrom(store.get(), 0, {{"http://a.example/new", Fetched("\"n\"")}});
  EXPECT_FALSE(store->Get(0, "http://a.example/old"));
  EXPECT_FALSE(store->Get(0, "http://a.example/local"));
  EXPECT_TRUE(store->Get(0, "http://a.example/new"));
  EXPECT_EQ(store->EstimatedUrls(), 1);
}

TEST_F(StateStoreTest, AReleasedPartitionIsKeptWithItsCheckpointForTheNextProcess) {
  {
    auto store = OpenStore();
    store->BeginRestore(0);
    ASSERT_TRUE(store->Restore(0, "http://a.example/restored", Fetched("\"r\"").SerializeAsString(), false));
    ASSERT_TRUE(store->FinishRestore(0, StateCheckpoint{10, "http://a.example/restored", 0}));
    ASSERT_TRUE(store->Put(0, "http://a.example/local", Fetched("\"l\"")));
    store->Release(0);  // shutdown
    EXPECT_FALSE(store->Owns(0));
  }
  auto store = OpenStore();
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->Owns(0));
  auto checkpoint = store->Checkpoint(0);
  ASSERT_TRUE(checkpoint);
  EXPECT_EQ(checkpoint->next_offset, 10);
  EXPECT_EQ(checkpoint->last_key, "http://a.example/restored");
  EXPECT_EQ(checkpoint->urls, 1);
  // Resumed: what the range held stays, the changelog's tail goes on top.
  store->BeginRestore(0, /*resume=*/true);
  ASSERT_TRUE(store->Restore(0, "http://a.example/tail", Fetched("\"t\"").SerializeAsString(), false));
  ASSERT_TRUE(store->FinishRestore(0, StateCheckpoint{11, "http://a.example/tail", 0}));
  EXPECT_TRUE(store->Get(0, "http://a.example/restored"));
  EXPECT_TRUE(store->Get(0, "http://a.example/local"));  // written after the checkpoint
  EXPECT_TRUE(store->Get(0, "http://a.example/tail"));
  EXPECT_EQ(store->Checkpoint(0)->next_offset, 11);
}

TEST_F(StateStoreTest, ARestoreFromTheStartForgetsTheRangeAndItsCheckpoint) {
  auto store = OpenStore();
  store->BeginRestore(0);
  ASSERT_TRUE(store->Restore(0, "http://a.example/x", Fetched("\"1\"").SerializeAsString(), false));
  ASSERT_TRUE(store->FinishRestore(0, StateCheckpoint{1, "http://a.example/x", 0}));
  store->Release(0);
  store->BeginRestore(0);  // not resumed: e.g. the topic was recreated
  ASSERT_TRUE(store->FinishRestore(0));
  EXPECT_FALSE(store->Get(0, "http://a.example/x"));
  EXPECT_FALSE(store->Checkpoint(0));
  EXPECT_EQ(store->EstimatedUrls(), 0);
}

TEST_F(StateStoreTest, DropForgetsTheCheckpointToo) {
  auto store = OpenStore();
  store->BeginRestore(3);
  ASSERT_TRUE(store->FinishRestore(3, StateCheckpoint{5, "k", 0}));
  ASSERT_TRUE(store->Checkpoint(3));
  ASSERT_TRUE(store->Drop(3));
  EXPECT_FALSE(store->Checkpoint(3));
}

TEST_F(StateStoreTest, ReportsDiskAndMemory) {
  auto store = OpenStore();
  RestoreFrom(store.get(), 0, {});
  ASSERT_TRUE(store->Put(0, "http://a.example/x", Fetched("\"1\"")));
  EXPECT_GT(store->MemoryBytes(), 0);
  EXPECT_GE(store->DiskBytes(), 0);
  EXPECT_EQ(store->owned_partitions(), 1u);
}

// The due index (state_store.h, Schedule).
class DueIndexTest : public StateStoreTest {
 protected:
  using TimePoint = std::chrono::system_clock::time_point;
  static TimePoint At(int64_t seconds) { return TimePoint(std::chrono::seconds(seconds)); }
  static UrlState DueAt(int64_t seconds) {
    UrlState s = Fetched("e");
    s.mutable_next_due()->set_seconds(seconds);
    return s;
  }
  // The URLs TakeDue hands out at `now` (everything filed is due).
  static std::vector<std::string> Take(StateStore* store, int32_t partition, int64_t now,
                                       size_t max = 100) {
    auto due = store->TakeDue(partition, At(now), max, std::chrono::minutes(10),
                              [](const UrlState& s) -> std::optional<TimePoint> {
                                if (!s.has_next_due()) return std::nullopt;
                                return At(s.next_due().seconds()) +
                                       std::chrono::nanoseconds(s.next_due().nanos());
                              });
    EXPECT_TRUE(due) << due.error().message;
    std::vector<std::string> urls;
    if (due) {
      for (const auto& d : *due) urls.push_back(d.url);
    }
    return urls;
  }
};

TEST_F(DueIndexTest, HandsOutWhatIsDueOldestFirstAndLeasesIt) {
  auto store = OpenStore();
  RestoreFrom(store.get(), 0, {});
  ASSERT_TRUE(store->Put(0, "https://a.example/late", DueAt(2'000)));
  ASSERT_TRUE(store->Put(0, "https://a.example/early", DueAt(1'000)));
  ASSERT_TRUE(store->Put(0, "https://a.example/never", Fetched("e")));
  EXPECT_EQ(store->ScheduledUrls(), 2);
  EXPECT_TRUE(Take(store.get(), 0, 999).empty());
  EXPECT_EQ(Take(store.get(), 0, 2'500), (std::vector<std::string>{"https://a.example/early",
                                                                  "https://a.example/late"}));
  // Leased for 10 minutes: not handed out again before, then again (the
  // revisit never wrote a new state: the process died, say).
  EXPECT_TRUE(Take(store.get(), 0, 2'500 + 599).empty());
  EXPECT_EQ(Take(store.get(), 0, 2'500 + 600, 1), std::vector<std::string>{"https://a.example/early"});
  EXPECT_EQ(store->ScheduledUrls(), 2);
}

TEST_F(DueIndexTest, EntriesSupersededOrForgottenAreDroppedWhenTheirTimeComes) {
  auto store = OpenStore();
  RestoreFrom(store.get(), 0, {});
  ASSERT_TRUE(store->Put(0, "https://a.example/moved", DueAt(1'000)));
  ASSERT_TRUE(store->Put(0, "https://a.example/moved", DueAt(5'000)));  // refetched: later
  ASSERT_TRUE(store->Put(0, "https://a.example/done", DueAt(1'000)));
  ASSERT_TRUE(store->Put(0, "https://a.example/done", Fetched("e")));  // no more revisits
  EXPECT_EQ(store->ScheduledUrls(), 3);
  EXPECT_TRUE(Take(store.get(), 0, 2'000).empty());
  EXPECT_EQ(store->ScheduledUrls(), 1);  // only moved's entry at 5,000 is left
  EXPECT_EQ(Take(store.get(), 0, 5'000), std::vector<std::string>{"https://a.example/moved"});
}

// TakeDue goes on from where it stopped (past the entries it deleted), yet
// an entry filed before that point later is still handed out.
TEST_F(DueIndexTest, AnEntryFiledBehindTheScanIsNotMissed) {
  auto store = OpenStore();
  RestoreFrom(store.get(), 0, {});
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(store->Put(0, "https://a.example/" + std::to_string(i), DueAt(1'000 + i)));
  }
  EXPECT_EQ(Take(store.get(), 0, 5'000, 4).size(), 4u);
  EXPECT_EQ(Take(store.get(), 0, 5'000, 4).size(), 4u);
  ASSERT_TRUE(store->Put(0, "https://a.example/early", DueAt(500)));  // behind the scan
  EXPECT_EQ(Take(store.get(), 0, 5'000), (std::vector<std::string>{
                                             "https://a.example/early", "https://a.example/8",
                                             "https://a.example/9"}));
  EXPECT_TRUE(Take(store.get(), 0, 5'000).empty());
}

// An entry is never found before its exact time (keys round up to the
// millisecond), and one whose URL the caller's rule says is due later (the
// configuration changed) is filed again for then, not lost.
TEST_F(DueIndexTest, AUrlDueLaterIsFiledAgainNotDropped) {
  auto store = OpenStore();
  RestoreFrom(store.get(), 0, {});
  UrlState precise = DueAt(1'000);
  precise.mutable_next_due()->set_nanos(500'000'001);
  ASSERT_TRUE(store->Put(0, "https://a.example/precise", precise));
  ASSERT_TRUE(store->Put(0, "https://a.example/moved", DueAt(1'000)));
  auto at = [](int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); };
  auto later = store->TakeDue(0, at(1'000'500), 10, std::chrono::minutes(10),
                              [&](const UrlState&) -> std::optional<TimePoint> { return At(3'000); });
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->empty());  // "moved" is due at 3,000 s by the rule; "precise" not yet found
  EXPECT_EQ(store->ScheduledUrls(), 2);
  EXPECT_EQ(Take(store.get(), 0, 1'001), std::vector<std::string>{"https://a.example/precise"});
  ASSERT_TRUE(store->Put(0, "https://a.example/precise", Fetched("e")));  // revisited: no more
  EXPECT_TRUE(Take(store.get(), 0, 2'999).empty());
  EXPECT_EQ(Take(store.get(), 0, 3'000), std::vector<std::string>{"https://a.example/moved"});
}

TEST_F(DueIndexTest, RestoreFilesTheScheduleAndADroppedPartitionLosesIt) {
  auto store = OpenStore();
  // An uncompacted changelog: two records of one URL, both due.
  RestoreFrom(store.get(), 3, {{"https://b.example/x", DueAt(1'000)},
                               {"https://b.example/x", DueAt(1'500)},
                               {"https://b.example/gone", DueAt(1'000)},
                               {"https://b.example/gone", std::nullopt}});
  RestoreFrom(store.get(), 4, {{"https://c.example/y", DueAt(1'000)}});
  EXPECT_EQ(Take(store.get(), 3, 2'000), std::vector<std::string>{"https://b.example/x"});
  ASSERT_TRUE(store->Drop(4));
  EXPECT_TRUE(Take(store.get(), 4, 2'000).empty());  // not owned
  RestoreFrom(store.get(), 4, {});
  EXPECT_TRUE(Take(store.get(), 4, 2'000).empty());  // its index went with it
  EXPECT_EQ(store->ScheduledUrls(), 1);  // x's lease in partition 3
}

TEST_F(DueIndexTest, AResumedPartitionKeepsItsSchedule) {
  {
    auto store = OpenStore();
    RestoreFrom(store.get(), 0, {});
    ASSERT_TRUE(store->Put(0, "https://a.example/p", DueAt(1'000)));
    store->Release(0);
  }
  auto store = OpenStore();
  store->BeginRestore(0, /*resume=*/true);
  ASSERT_TRUE(store->FinishRestore(0, StateCheckpoint{7, "k", 0}));
  EXPECT_EQ(store->ScheduledUrls(), 1);
  EXPECT_EQ(Take(store.get(), 0, 1'000), std::vector<std::string>{"https://a.example/p"});
}

TEST(StateStoreOpenTest, RefusesAnEmptyDirectoryName) {
  EXPECT_FALSE(StateStore::Open(""));
}

}  // namespace
}  // namespace crawlstream::fetcher
