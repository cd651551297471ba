// The dedup stage: one article per story on `articles`, duplicates on
// `articles.duplicates`, and effectively-once output: a restarted stage
// restores its index from `articles` and does not publish a replayed input
// again (counted in the topic log: the development broker never compacts,
// and the test's topics on the real one are not compacted). Runs on the
// development broker (dedup_stage_test) and on a real Apache Kafka
// (real_kafka_test); see test_broker.h.
#include "services/dedup/dedup_service.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "crawlstream/v1/article.pb.h"
#include "crawlstream/v1/duplicate.pb.h"
#include "services/common/article_json.h"
#include "services/common/health.h"
#include "services/common/shutdown.h"
#include "tests/integration/test_broker.h"
#include "tests/integration/test_util.h"

namespace crawlstream {
namespace {

using namespace std::chrono_literals;

std::vector<crawlstream::v1::Article> LoadLabelledArticles(std::map<std::string, std::string>* story) {
  std::string dir = std::string(getenv("CRAWLSTREAM_SOURCE_DIR") ? getenv("CRAWLSTREAM_SOURCE_DIR") : ".") +
                    "/tests/fixtures/dedup/";
  std::vector<crawlstream::v1::Article> out;
  std::ifstream in(dir + "articles.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    crawlstream::v1::Article a;
    if (JsonToMessage(line, &a)) out.push_back(a);
  }
  std::ifstream labels(dir + "labels.tsv");
  while (std::getline(labels, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto tab = line.find('\t');
    (*story)[line.substr(0, tab)] = line.substr(tab + 1);
  }
  return out;
}

class DedupStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Shutdown::Reset();
    auto b = testing_util::TestBroker::Start({{topics_.extracted, 2}, {topics_.articles, 2},
                                              {topics_.duplicates, 2}, {topics_.deadletter, 1}});
    ASSERT_TRUE(b) << b.error().message;
    broker_ = std::move(*b);
    for (std::string* name :
         {&topics_.extracted, &topics_.articles, &topics_.duplicates, &topics_.deadletter}) {
      *name = broker_->Name(*name);
    }
    kafka_.brokers = broker_->bootstrap();
    kafka_.group_id = broker_->Name("dedup-test");
    kafka_.commit_interval = 20ms;
    articles_ = LoadLabelledArticles(&story_);
    ASSERT_GT(articles_.size(), 50u);
  }

  void Feed(const std::vector<std::string>& values) {
    auto p = Producer::Create(kafka_, std::make_shared<prometheus::Registry>(), nullptr);
    ASSERT_TRUE(p);
    for (const auto& v : values) {
      crawlstream::v1::Article a;
      std::string key = a.ParseFromString(v) ? a.id() : "garbage";
      ASSERT_TRUE((*p)->Produce({topics_.extracted, key, v, {}}, nullptr));
    }
    ASSERT_TRUE((*p)->Flush(10s));
  }

  // Runs a fresh dedup stage (restore + consume) until `inputs` are done.
  void RunStage(int64_t inputs) {
    auto registry = std::make_shared<prometheus::Registry>();
    auto converter = dedup::MakeOpenccConverter();
    ASSERT_TRUE(converter);
    dedup::Deduplicator dd({}, converter->get());
    dedup::DedupStage stage(&dd, topics_, registry);
    auto restored = stage.Restore(kafka_, 30s);
    ASSERT_TRUE(restored) << restored.error().message;
    restored_ = restored->records;
    Health health;
    auto producer = Producer::Create(kafka_, registry, &health);
    auto consumer = Consumer::Create(kafka_, {topics_.extracted}, registry, &health);
    ASSERT_TRUE(producer && consumer);
    StageLoop loop({.stage = "dedup", .deadletter_topic = topics_.deadletter, .stop_after = inputs},
                   consumer->get(), producer->get(), &health, registry);
    ASSERT_EQ(loop.Run(stage.processor()), 0);
  }

  // The URL a Duplicate must carry for the labelled article `id`.
  std::string UrlOf(const std::string& id) const {
    for (const auto& a : articles_) {
      if (a.id() == id) return a.canonical_url().empty() ? a.url() : a.canonical_url();
    }
    return "(not a labelled article)";
  }

  TopicNames topics_;
  KafkaOptions kafka_;
  std::unique_ptr<testing_util::TestBroker> broker_;
  std::vector<crawlstream::v1::Article> articles_;
  std::map<std::string, std::string> story_;
  int64_t restored_ = 0;
};

TEST_F(DedupStageTest, OneArticlePerStoryAndReplayIsNotPublishedTwice) {
  std::vector<std::string> values;
  for (const auto& a : articles_) values.push_back(a.SerializeAsString());
  values.push_back("\x01garbage");  // poison: dead-lettered, not fatal
  Feed(values);
  RunStage(static_cast<int64_t>(values.size()));

  auto published = testing_util::ReadAll(kafka_.brokers, topics_.articles, 2);
  std::map<std::string, int> live;  // id -> records in the log
  std::set<std::string> stories;
  for (const auto& r : published) {
    if (r.value.empty()) {
      live.erase(r.key);  // tombstone: a better canonical replaced it
      continue;
    }
    ++live[r.key];
  }
  for (const auto& [id, count] : live) {
    EXPECT_EQ(count, 1) << id;
    stories.insert(story_[id]);
  }
  // Every story appears, and (with precision 1.0 on this set) no story twice
  // except for the documented recall misses.
  std::set<std::string> all_stories;
  for (const auto& [_, s] : story_) all_stories.insert(s);
  EXPECT_EQ(stories.size(), all_stories.size());
  EXPECT_LE(live.size(), all_stories.size() + 3);
  auto dups = testing_util::ReadAll(kafka_.brokers, topics_.duplicates, 2);
  EXPECT_GT(dups.size(), 60u);
  for (const auto& r : dups) {
    crawlstream::v1::Duplicate d;
    ASSERT_TRUE(d.ParseFromString(r.value));
    EXPECT_EQ(story_[d.id()], story_[d.duplicate_of()]) << d.id() << " vs " << d.duplicate_of();
    // Both copies named, whichever won the election and whenever the
    // canonical was decided.
    EXPECT_EQ(d.url(), UrlOf(d.id()));
    EXPECT_EQ(d.duplicate_of_url(), UrlOf(d.duplicate_of()));
  }
  auto dlq = testing_util::ReadAll(kafka_.brokers, topics_.deadletter, 1);
  EXPECT_EQ(dlq.size(), 1u);

  // Crash and replay: the same inputs again (as after a restart from an
  // uncommitted offset). The new stage restores from `articles` and
  // publishes nothing new.
  size_t log_before = published.size();
  Feed(std::vector<std::string>(values.begin(), values.end() - 1));
  RunStage(static_cast<int64_t>(values.size() - 1));
  int64_t records = std::count_if(published.begin(), published.end(),
                                  [](const auto& r) { return !r.value.empty(); });
  EXPECT_EQ(restored_, records);
  auto after = testing_util::ReadAll(kafka_.brokers, topics_.articles, 2);
  EXPECT_EQ(after.size(), log_before) << "a replayed input was published again";
}

// Two instances get two copies of one story at the same time (the race
// window): both publish. Each tails `articles`, sees the other's copy, and
// both name the same loser, whose Duplicate and tombstone they emit.
TEST_F(DedupStageTest, TwoInstancesResolveARaceTheSameWay) {
  // Two copies of one story.
  const crawlstream::v1::Article* first = nullptr;
  const crawlstream::v1::Article* second = nullptr;
  for (size_t i = 0; i < articles_.size() && !second; ++i) {
    for (size_t j = i + 1; j < articles_.size(); ++j) {
      if (story_[articles_[i].id()] == story_[articles_[j].id()]) {
        first = &articles_[i];
        second = &articles_[j];
        break;
      }
    }
  }
  ASSERT_TRUE(first && second);

  auto converter = dedup::MakeOpenccConverter();
  ASSERT_TRUE(converter);
  struct Instance {
    std::unique_ptr<dedup::Deduplicator> dd;
    std::unique_ptr<dedup::DedupStage> stage;
  };
  auto make = [&] {
    Instance i;
    i.dd = std::make_unique<dedup::Deduplicator>(dedup::DedupOptions{}, converter->get());
    i.stage = std::make_unique<dedup::DedupStage>(i.dd.get(), topics_,
                                                  std::make_shared<prometheus::Registry>());
    EXPECT_TRUE(i.stage->Restore(kafka_, 30s));
    return i;
  };
  Instance a = make(), b = make();
  auto producer = Producer::Create(kafka_, std::make_shared<prometheus::Registry>(), nullptr);
  ASSERT_TRUE(producer);
  auto publish = [&](const std::vector<OutRecord>& outs) {
    for (const auto& o : outs) ASSERT_TRUE((*producer)->Produce(o, nullptr));
    ASSERT_TRUE((*producer)->Flush(10s));
  };
  InRecord in1, in2;
  in1.value = first->SerializeAsString();
  in2.value = second->SerializeAsString();
  auto r1 = a.stage->Process(in1);
  auto r2 = b.stage->Process(in2);
  ASSERT_EQ(r1.outputs.size(), 1u);  // each instance thinks its copy is new
  ASSERT_EQ(r2.outputs.size(), 1u);
  publish(r1.outputs);
  publish(r2.outputs);

  auto resolve = [&](Instance& i) {
    std::vector<OutRecord> got;
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (got.empty() && std::chrono::steady_clock::now() < deadline) {
      got = i.stage->PollTail(100);
      std::this_thread::sleep_for(50ms);
    }
    return got;
  };
  auto from_a = resolve(a);
  auto from_b = resolve(b);
  ASSERT_EQ(from_a.size(), 2u);  // Duplicate + tombstone
  ASSERT_EQ(from_b.size(), 2u);
  std::string loser_a, loser_b;
  for (const auto& o : from_a) {
    if (o.topic == topics_.articles) {
      EXPECT_TRUE(o.value.empty());
      loser_a = o.key;
    }
  }
  for (const auto& o : from_b) {
    if (o.topic == topics_.articles) loser_b = o.key;
  }
  EXPECT_FALSE(loser_a.empty());
  EXPECT_EQ(loser_a, loser_b);
  EXPECT_TRUE(loser_a == first->id() || loser_a == second->id());
  for (const auto& o : from_a) {
    if (o.topic != topics_.duplicates) continue;
    crawlstream::v1::Duplicate d;
    ASSERT_TRUE(d.ParseFromString(o.value));
    EXPECT_EQ(d.id(), loser_a);
    EXPECT_EQ(d.duplicate_of(), loser_a == first->id() ? second->id() : first->id());
    EXPECT_EQ(d.url(), UrlOf(d.id()));
    EXPECT_EQ(d.duplicate_of_url(), UrlOf(d.duplicate_of()));
  }
}

// An instance published its copy and crashed before its tail resolved the
// race: both copies are live in `articles`. The next start finds the pair
// while restoring and resolves it (the election's loser gets a Duplicate
// and a tombstone); a pair the log already resolves is left alone.
TEST_F(DedupStageTest, LiveDuplicatePairIsResolvedAtRestore) {
  // A mirror of the first article under another URL: an exact copy.
  const crawlstream::v1::Article* first = &articles_.front();
  crawlstream::v1::Article mirror = *first;
  mirror.set_id("00112233445566778899aabbccddeeff");
  mirror.set_url("https://mirror.example.org/news/" + first->id() + ".html");
  mirror.set_canonical_url(mirror.url());
  mirror.set_site("example.org");
  mirror.set_publisher("Mirror");
  const crawlstream::v1::Article* second = &mirror;
  auto producer = Producer::Create(kafka_, std::make_shared<prometheus::Registry>(), nullptr);
  ASSERT_TRUE(producer);
  for (const auto* a : {first, second}) {
    ASSERT_TRUE((*producer)->Produce(
        {topics_.articles, a->id(), a->SerializeAsString(), {}}, nullptr));
  }
  ASSERT_TRUE((*producer)->Flush(10s));

  auto converter = dedup::MakeOpenccConverter();
  ASSERT_TRUE(converter);
  dedup::Deduplicator dd({}, converter->get());
  dedup::DedupStage stage(&dd, topics_, std::make_shared<prometheus::Registry>());
  auto restored = stage.Restore(kafka_, 30s);
  ASSERT_TRUE(restored) << restored.error().message;
  EXPECT_EQ(restored->records, 2);
  EXPECT_EQ(restored->conflicts, 1);
  EXPECT_EQ(dd.index().size(), 1u);  // one canonical per story

  const auto outputs = stage.PollTail(100);
  ASSERT_EQ(outputs.size(), 2u);  // Duplicate + tombstone, once
  std::string loser;
  for (const auto& o : outputs) {
    if (o.topic == topics_.articles) {
      EXPECT_TRUE(o.value.empty());
      loser = o.key;
    }
  }
  ASSERT_TRUE(loser == first->id() || loser == second->id());
  const std::string winner = loser == first->id() ? second->id() : first->id();
  for (const auto& o : outputs) {
    if (o.topic != topics_.duplicates) continue;
    crawlstream::v1::Duplicate d;
    ASSERT_TRUE(d.ParseFromString(o.value));
    EXPECT_EQ(d.id(), loser);
    EXPECT_EQ(d.duplicate_of(), winner);
    EXPECT_NE(d.content_hash(), 0u);
    // Both copies came from the restore: both URLs from the index.
    const std::string& first_url = first->canonical_url();
    EXPECT_EQ(d.url(), loser == first->id() ? first_url : mirror.url());
    EXPECT_EQ(d.duplicate_of_url(), loser == first->id() ? mirror.url() : first_url);
  }
  EXPECT_TRUE(stage.PollTail(100).empty());

  // Once the resolution is in the log, a restart finds nothing to resolve.
  for (const auto& o : outputs) ASSERT_TRUE((*producer)->Produce(o, nullptr));
  ASSERT_TRUE((*producer)->Flush(10s));
  dedup::Deduplicator dd2({}, converter->get());
  dedup::DedupStage stage2(&dd2, topics_, std::make_shared<prometheus::Registry>());
  auto again = stage2.Restore(kafka_, 30s);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->conflicts, 0);
  EXPECT_EQ(again->duplicates, 1);
  EXPECT_EQ(dd2.index().size(), 1u);
  EXPECT_TRUE(dd2.index().FindId(winner).has_value());
}

// Restore meets a pair the log already settled the other way: the copy the
// restore would elect was tombstoned later in the log. Nothing is emitted
// and the copy the log kept is the one indexed, whichever of the two
// orders the restore read them in.
TEST_F(DedupStageTest, RestoreFollowsTheLogWhenItSettledAPairTheOtherWay) {
  auto converter = dedup::MakeOpenccConverter();
  ASSERT_TRUE(converter);
  crawlstream::v1::Article early = articles_.front();
  early.set_published_at("2024-01-01T08:00:00+08:00");
  crawlstream::v1::Article late = early;  // an exact copy, published later
  late.set_id("00112233445566778899aabbccddeeff");
  late.set_url("https://mirror.example.org/a.html");
  late.set_canonical_url(late.url());
  late.set_published_at("2024-01-02T08:00:00+08:00");
  // The election prefers `early`; the log kept `late` (say an older rule
  // decided so) and tombstoned `early`.
  for (bool early_first : {true, false}) {
    dedup::Deduplicator dd({}, converter->get());
    dedup::DedupStage stage(&dd, topics_, std::make_shared<prometheus::Registry>());
    dedup::RestoreStats stats;
    if (early_first) {
      stage.Apply(early.id(), early.SerializeAsString(), &stats);  // indexed
      stage.Apply(late.id(), late.SerializeAsString(), &stats);    // duplicate of early
    } else {
      stage.Apply(late.id(), late.SerializeAsString(), &stats);    // indexed
      stage.Apply(early.id(), early.SerializeAsString(), &stats);  // replaces late
    }
    stage.Apply(early.id(), "", &stats);  // the log's decision
    EXPECT_TRUE(stage.PollTail(100).empty()) << "early_first=" << early_first;
    EXPECT_TRUE(dd.index().FindId(late.id()).has_value()) << "early_first=" << early_first;
    EXPECT_FALSE(dd.index().FindId(early.id()).has_value());
    EXPECT_EQ(dd.index().size(), 1u);
  }
}

// crawlstream_dedup_decisions_total{level="url",decision=`decision`}.
double UrlDecisions(prometheus::Registry& registry, const std::string& decision) {
  for (const auto& family : registry.Collect()) {
    if (family.name != "crawlstream_dedup_decisions_total") continue;
    for (const auto& m : family.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& l : m.label) labels[l.name] = l.value;
      if (labels["level"] == "url" && labels["decision"] == decision) return m.counter.value;
    }
  }
  return 0;
}

// Revisions (issue 13 item 3): a changed article keeps its id and replaces
// its record on `articles` with the next revision, stamped with the fetch
// that brought it; the count survives a restart (restore) and is learnt
// from other instances' records (tail); a late replay of an older version
// is skipped as stale; another URL with the same text is still a copy.
TEST_F(DedupStageTest, ChangedArticleIsPublishedAsItsNextRevision) {
  auto converter = dedup::MakeOpenccConverter();
  ASSERT_TRUE(converter);
  auto producer = Producer::Create(kafka_, std::make_shared<prometheus::Registry>(), nullptr);
  ASSERT_TRUE(producer);
  auto publish = [&](const StageResult& r) {
    for (const auto& o : r.outputs) ASSERT_TRUE((*producer)->Produce(o, nullptr));
    ASSERT_TRUE((*producer)->Flush(10s));
  };
  auto process = [](dedup::DedupStage& stage, const crawlstream::v1::Article& a) {
    InRecord in;
    in.value = a.SerializeAsString();
    return stage.Process(in);
  };
  auto at = [](int64_t seconds) {
    google::protobuf::Timestamp t;
    t.set_seconds(seconds);
    return t;
  };
  constexpr int64_t t0 = 1'732'000'000;  // the first fetch
  const crawlstream::v1::Article original = [&] {
    crawlstream::v1::Article a = articles_.front();
    *a.mutable_fetched_at() = at(t0);
    return a;
  }();
  // The page as fetched at `fetched`, with `n` corrections appended (0 = none).
  auto version = [&](int n, int64_t fetched) {
    crawlstream::v1::Article a = original;
    for (int i = 1; i <= n; ++i) a.set_body(a.body() + "\n\nCorrection " + std::to_string(i) + ".");
    *a.mutable_fetched_at() = at(fetched);
    return a;
  };
  // The single `articles` record of `r`.
  auto published = [&](const StageResult& r) {
    crawlstream::v1::Article a;
    EXPECT_TRUE(r.skip_reason.empty()) << r.skip_reason;
    EXPECT_EQ(r.outputs.size(), 1u);
    if (r.outputs.size() != 1) return a;
    EXPECT_EQ(r.outputs[0].topic, topics_.articles);
    EXPECT_EQ(r.outputs[0].key, original.id());
    EXPECT_TRUE(a.ParseFromString(r.outputs[0].value));
    return a;
  };

  auto registry = std::make_shared<prometheus::Registry>();
  dedup::Deduplicator dd({}, converter->get());
  dedup::DedupStage stage(&dd, topics_, registry);
  ASSERT_TRUE(stage.Restore(kafka_, 30s));

  // (a) First version: revision 0, no updated_at, the input as it came.
  StageResult r = process(stage, original);
  crawlstream::v1::Article got = published(r);
  EXPECT_EQ(got.revision(), 0u);
  EXPECT_FALSE(got.has_updated_at());
  EXPECT_EQ(r.outputs[0].value, original.SerializeAsString());
  publish(r);
  // Changed body, an hour later: revision 1, updated_at = its fetched_at.
  r = process(stage, version(1, t0 + 3600));
  got = published(r);
  EXPECT_EQ(got.revision(), 1u);
  EXPECT_EQ(got.updated_at().seconds(), t0 + 3600);
  EXPECT_EQ(got.body(), version(1, 0).body());
  EXPECT_EQ(got.fetched_at().seconds(), t0 + 3600);
  publish(r);
  // The same content fetched again: nothing.
  r = process(stage, version(1, t0 + 5400));
  EXPECT_EQ(r.skip_reason, "unchanged");
  EXPECT_TRUE(r.outputs.empty());
  // Changed again: revision 2.
  r = process(stage, version(2, t0 + 7200));
  got = published(r);
  EXPECT_EQ(got.revision(), 2u);
  EXPECT_EQ(got.updated_at().seconds(), t0 + 7200);
  publish(r);
  EXPECT_EQ(UrlDecisions(*registry, "revision"), 2);

  // (c) Late replays of versions fetched before revision 2: stale, whether
  // their content is an older revision's or one never published.
  for (const auto& old : {version(1, t0 + 3600), version(0, t0), version(5, t0 + 7199)}) {
    r = process(stage, old);
    EXPECT_EQ(r.skip_reason, "stale") << old.fetched_at().seconds();
    EXPECT_TRUE(r.outputs.empty());
  }
  EXPECT_EQ(UrlDecisions(*registry, "stale"), 3);

  // (d) The same text under another URL is a copy, not a revision.
  crawlstream::v1::Article mirror = version(2, t0 + 7300);
  mirror.set_id("00112233445566778899aabbccddeeff");
  mirror.set_url("https://mirror.example.org/news/" + original.id() + ".html");
  mirror.set_canonical_url(mirror.url());
  mirror.set_site("example.org");
  mirror.set_publisher("Mirror");
  mirror.clear_published_at();  // undated: loses the election
  r = process(stage, mirror);
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_EQ(r.outputs[0].topic, topics_.duplicates);
  crawlstream::v1::Duplicate d;
  ASSERT_TRUE(d.ParseFromString(r.outputs[0].value));
  EXPECT_EQ(d.id(), mirror.id());
  EXPECT_EQ(d.duplicate_of(), original.id());
  EXPECT_EQ(d.method(), crawlstream::v1::Duplicate::METHOD_EXACT);

  // (b) A restarted stage reads revision 2 back from `articles`: the next
  // change is revision 3, and the stale guard still holds.
  dedup::Deduplicator dd2({}, converter->get());
  dedup::DedupStage restarted(&dd2, topics_, std::make_shared<prometheus::Registry>());
  auto restored = restarted.Restore(kafka_, 30s);
  ASSERT_TRUE(restored) << restored.error().message;
  EXPECT_EQ(restored->records, 3);
  r = process(restarted, version(2, t0 + 8000));
  EXPECT_EQ(r.skip_reason, "unchanged");
  r = process(restarted, version(5, t0 + 7000));
  EXPECT_EQ(r.skip_reason, "stale");
  r = process(restarted, version(3, t0 + 10800));
  got = published(r);
  EXPECT_EQ(got.revision(), 3u);
  EXPECT_EQ(got.updated_at().seconds(), t0 + 10800);
  publish(r);

  // Another instance learns revisions from the records it reads (tail),
  // and ignores an older revision read after a newer one.
  auto records = testing_util::ReadAll(kafka_.brokers, topics_.articles, 2);
  ASSERT_EQ(records.size(), 4u);
  dedup::Deduplicator dd3({}, converter->get());
  dedup::DedupStage other(&dd3, topics_, std::make_shared<prometheus::Registry>());
  for (const auto& rec : records) EXPECT_TRUE(other.ApplyForeign(rec.key, rec.value).empty());
  for (const auto& rec : records) {
    crawlstream::v1::Article a;
    ASSERT_TRUE(a.ParseFromString(rec.value));
    if (a.revision() == 1) {
      EXPECT_TRUE(other.ApplyForeign(rec.key, rec.value).empty());
    }
  }
  r = process(other, version(4, t0 + 14400));
  EXPECT_EQ(published(r).revision(), 4u);
}

// What one dedup stage decides for `inputs`, as comparable text: per input
// the skip reason or the outputs (topic, key, tombstone or not).
std::vector<std::string> Decisions(dedup::DedupStage* stage, const std::vector<std::string>& inputs) {
  std::vector<std::string> out;
  for (const auto& v : inputs) {
    InRecord in;
    in.value = v;
    StageResult r = stage->Process(in);
    std::string d = r.skip_reason;
    for (const auto& o : r.outputs) d += " " + o.topic + "/" + o.key + (o.value.empty() ? "=null" : "");
    out.push_back(d);
  }
  return out;
}

// Compaction on a real broker (issue 12 item 4): with small segments and an
// eager cleaner, `articles` read from the beginning after the cleaner ran
// holds one record per live story and no record of a replaced copy; a dedup
// stage restored from the compacted topic decides every later input as one
// restored before compaction does.
TEST_F(DedupStageTest, CompactedArticlesRestoreTheSameDecisions) {
  if (broker_->dev()) GTEST_SKIP() << "the development broker does not compact";
  topics_.articles = broker_->Name("compacted.articles");
  // One partition: the record that rolls the active segment (older than
  // segment.ms by then) reaches it. min.compaction.lag.ms holds the cleaner
  // off until the "before" restore has read the whole uncompacted log.
  // (segment.bytes cannot be tiny: a batch larger than it is refused.)
  const std::vector<std::pair<std::string, std::string>> topic_config = {
      {"cleanup.policy", "compact"},  {"segment.ms", "5000"},
      {"min.cleanable.dirty.ratio", "0"}, {"min.compaction.lag.ms", "15000"},
      {"delete.retention.ms", "1000"}};
  ASSERT_EQ(testing_util::CreateTopic(kafka_.brokers, topics_.articles, 1, 1, 30s, topic_config), "");

  // Undated copies of 20 stories first: each is published, then replaced
  // (tombstoned) when the dated original arrives and wins the election.
  std::vector<std::string> values;
  for (size_t i = 0; i < 20; ++i) {
    crawlstream::v1::Article copy = articles_[i];
    copy.set_id("c" + copy.id().substr(1));
    copy.set_url("https://copies.example.net/undated/" + copy.id());
    copy.set_canonical_url(copy.url());
    copy.set_site("example.net");
    copy.clear_published_at();
    values.push_back(copy.SerializeAsString());
  }
  for (const auto& a : articles_) values.push_back(a.SerializeAsString());
  Feed(values);
  RunStage(static_cast<int64_t>(values.size()));

  std::map<std::string, std::string> last;  // key -> last value ("" = tombstone)
  const auto before = testing_util::ReadAll(kafka_.brokers, topics_.articles, 1);
  for (const auto& r : before) last[r.key] = r.value;
  std::set<std::string> live, replaced;
  for (const auto& [key, value] : last) (value.empty() ? replaced : live).insert(key);
  ASSERT_FALSE(replaced.empty()) << "no canonical was replaced: nothing to compact away ("
                                 << before.size() << " records, " << live.size() << " live)";

  auto converter = dedup::MakeOpenccConverter();
  ASSERT_TRUE(converter);
  dedup::Deduplicator dd_before({}, converter->get());
  dedup::DedupStage stage_before(&dd_before, topics_, std::make_shared<prometheus::Registry>());
  auto restored_before = stage_before.Restore(kafka_, 30s);
  ASSERT_TRUE(restored_before) << restored_before.error().message;
  ASSERT_EQ(restored_before->records + restored_before->tombstones,
            static_cast<int64_t>(before.size()));  // read before any cleaning

  // A record after the lag and segment.ms rolls the active segment: the
  // cleaner may now compact everything before it.
  auto roll = [&](const std::string& key) {
    auto p = Producer::Create(kafka_, std::make_shared<prometheus::Registry>(), nullptr);
    ASSERT_TRUE(p);
    ASSERT_TRUE((*p)->Produce({topics_.articles, key, "", {}}, nullptr));
    ASSERT_TRUE((*p)->Flush(10s));
  };
  std::vector<testing_util::RawRecord> after;
  // True when every live story has exactly one record, its latest, and no
  // replaced copy has a value left (and, with `no_tombstones`, no record
  // at all).
  auto compacted = [&](bool no_tombstones) {
    after = testing_util::ReadAll(kafka_.brokers, topics_.articles, 1);
    std::map<std::string, int> values_per_key;
    for (const auto& r : after) {
      if (!r.value.empty()) ++values_per_key[r.key];
      if (r.value.empty() && no_tombstones && replaced.contains(r.key)) return false;
    }
    for (const auto& [key, n] : values_per_key) {
      if (n != 1 || replaced.contains(key)) return false;
    }
    return values_per_key.size() == live.size();
  };
  auto wait_for = [&](bool no_tombstones) {
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (!compacted(no_tombstones) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(1s);
    }
    return compacted(no_tombstones);
  };
  std::this_thread::sleep_for(16s);
  roll("compaction-roll-1");
  ASSERT_TRUE(wait_for(false)) << after.size() << " records after compaction, " << live.size()
                               << " live stories";
  for (const auto& r : after) {
    if (!r.value.empty()) {
      EXPECT_EQ(r.value, last[r.key]) << r.key;  // the latest version survives
    }
  }
  const size_t first_pass = after.size();
  // Tombstones go in a later pass, delete.retention.ms after the first one
  // saw them; another roll makes the log dirty again.
  std::this_thread::sleep_for(6s);
  roll("compaction-roll-2");
  ASSERT_TRUE(wait_for(true)) << after.size() << " records after the second pass";
  std::cout << "[ compaction ] " << before.size() << " records (" << live.size() << " live, "
            << replaced.size() << " replaced) -> " << first_pass << " after the first pass -> "
            << after.size() << " after the tombstones' retention\n";

  dedup::Deduplicator dd_after({}, converter->get());
  dedup::DedupStage stage_after(&dd_after, topics_, std::make_shared<prometheus::Registry>());
  auto restored_after = stage_after.Restore(kafka_, 30s);
  ASSERT_TRUE(restored_after) << restored_after.error().message;
  EXPECT_EQ(dd_after.index().size(), dd_before.index().size());
  EXPECT_EQ(dd_after.index().size(), live.size());

  // The same inputs again (replays) and a mirror of every article under a
  // new URL (new copies of known stories): the same decisions either way.
  std::vector<std::string> inputs = values;
  for (const auto& a : articles_) {
    crawlstream::v1::Article mirror = a;
    mirror.set_id("m" + a.id().substr(1));
    mirror.set_url("https://mirror.example.net/" + a.id());
    mirror.set_canonical_url(mirror.url());
    mirror.set_site("example.net");
    inputs.push_back(mirror.SerializeAsString());
  }
  EXPECT_EQ(Decisions(&stage_after, inputs), Decisions(&stage_before, inputs));
}

}  // namespace
}  // namespace crawlstream
