#include "services/dedup/deduplicator.h"

#include <gtest/gtest.h>

#include "crawlstream/v1/article.pb.h"
#include "crawlstream/v1/duplicate.pb.h"

namespace crawlstream::dedup {
namespace {

using crawlstream::v1::Article;

const std::string kParagraphs[] = {
    "光明网讯(记者 金昱希)产业科技创新对制造业来说发展意义重大。7月5日,在国务院新闻办公室举行的“推动高质量发展”系列主题新闻发布会上,工业和信息化部部长金壮龙表示,工信部要以构建产业科技创新体系为抓手,大力提升产业科技创新能力,夯实新型工业化根基。",
    "在关键核心技术攻关方面,重点抓好四件事。第一是实施好国家科技重大专项,充分发挥新型举国体制优势,补短板、锻长板,加快突破一批关键核心技术。第二是实施好国家重点研发计划,强化基础研究、前沿技术和应用示范。",
    "在强化企业创新主体地位方面,充分发挥科技领军企业和链主企业的龙头作用,推动在企业布局建设更多的国家级创新平台,鼓励支持有条件的企业承担国家科技创新项目。",
    "在制造业创新平台建设方面,我国已经建设了30个国家级制造业创新中心,在关键共性技术攻关方面发挥了重要作用,下一步工信部还要加大建设力度,进一步优化布局,围绕生物制造等新兴领域,再建设一批国家制造业创新中心。",
};

std::string Body(std::initializer_list<int> paragraphs) {
  std::string body;
  for (int p : paragraphs) {
    if (!body.empty()) body += "\n\n";
    body += kParagraphs[p];
  }
  return body;
}

Article MakeArticle(const std::string& id, const std::string& url,
                    const std::string& body, const std::string& published,
                    const std::string& publisher = "",
                    const std::string& original_source = "") {
  Article a;
  a.set_id(id);
  a.set_url(url);
  a.set_canonical_url(url);
  a.set_body(body);
  a.set_published_at(published);
  a.set_publisher(publisher);
  a.set_original_source(original_source);
  return a;
}

const std::string kOriginalId = "0123456789abcdef0123456789abcdef";
const std::string kRepostId = "fedcba9876543210fedcba9876543210";

class DeduplicatorTest : public ::testing::Test {
 protected:
  Deduplicator dedup_{DedupOptions{}, nullptr};
  Article original_ = MakeArticle(kOriginalId, "https://www.gmw.cn/a/1.html",
                                  Body({0, 1, 2, 3}) + "\n\n来源:光明网",
                                  "2024-07-05T13:53:00+08:00", "光明网");
};

TEST_F(DeduplicatorTest, FirstCopyOfAStoryIsPublishedNew) {
  auto d = dedup_.Decide(original_);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->kind, DecisionKind::kPublishNew);
  EXPECT_EQ(d->level, MatchLevel::kNone);
  EXPECT_EQ(dedup_.index().size(), 1u);
}

TEST_F(DeduplicatorTest, SameIdAgainIsAnUpdate) {
  ASSERT_TRUE(dedup_.Decide(original_).has_value());
  Article refetch = original_;
  refetch.set_body(Body({0, 1, 2}));
  auto d = dedup_.Decide(refetch);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->kind, DecisionKind::kUpdateSameId);
  EXPECT_EQ(d->level, MatchLevel::kUrl);
  EXPECT_EQ(dedup_.index().size(), 1u);
}

TEST_F(DeduplicatorTest, RepostWithOtherBoilerplateIsAnExactDuplicate) {
  ASSERT_TRUE(dedup_.Decide(original_).has_value());
  Article repost = MakeArticle(
      kRepostId, "https://news.sina.com.cn/c/2024-07-05/doc-abc.shtml",
      "本文转自:光明网\n\n" + Body({0, 1, 2, 3}) + "\n\n责任编辑:王磊",
      "2024-07-05T15:00:00+08:00", "新浪", "光明网");
  auto d = dedup_.Decide(repost);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->kind, DecisionKind::kDuplicateOf);
  EXPECT_EQ(d->level, MatchLevel::kExact);
  EXPECT_EQ(d->other_id, kOriginalId);
  EXPECT_DOUBLE_EQ(d->similarity, 1.0);
}

TEST_F(DeduplicatorTest, EditedCopyIsANearDuplicate) {
  ASSERT_TRUE(dedup_.Decide(original_).has_value());
  std::string body = Body({0, 1, 3});  // a paragraph dropped
  body.replace(body.find("重点抓好"), std::string("重点抓好").size(),
               "重点做好");
  Article edited = MakeArticle(kRepostId, "https://www.thepaper.cn/n_1", body,
                               "2024-07-05T18:00:00+08:00");
  auto d = dedup_.Decide(edited);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->kind, DecisionKind::kDuplicateOf);
  EXPECT_EQ(d->level, MatchLevel::kNear);
  EXPECT_EQ(d->other_id, kOriginalId);
  EXPECT_GT(d->similarity, 0.5);  // an estimate from the sketch
}

TEST_F(DeduplicatorTest, EarlierOriginalArrivingLaterReplacesTheRepost) {
  Article repost = MakeArticle(kRepostId, "https://m.example.com/r/1",
                               Body({0, 1, 2, 3}), "2024-07-05T16:00:00+08:00",
                               "Example", "光明网");
  ASSERT_EQ(dedup_.Decide(repost)->kind, DecisionKind::kPublishNew);
  auto d = dedup_.Decide(original_);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->kind, DecisionKind::kReplaces);
  EXPECT_EQ(d->other_id, kRepostId);
  EXPECT_EQ(dedup_.index().size(), 1u);
  EXPECT_FALSE(dedup_.index().FindId(kRepostId).has_value());
  // A third copy now resolves to the new canonical.
  Article third = MakeArticle("third", "https://x.example/3",
                              Body({0, 1, 2, 3}), "");
  EXPECT_EQ(dedup_.Decide(third)->other_id, kOriginalId);
}

TEST_F(DeduplicatorTest, OriginalSourceDecidesBetweenCopiesPublishedTogether) {
  Article repost = MakeArticle(kRepostId, "https://a.cn/1", Body({0, 1, 2, 3}),
                               original_.published_at(), "每日看点", "光明网");
  ASSERT_EQ(dedup_.Decide(repost)->kind, DecisionKind::kPublishNew);
  // The original has the longer URL, but it is the outlet the repost names.
  EXPECT_EQ(dedup_.Decide(original_)->kind, DecisionKind::kReplaces);
}

TEST_F(DeduplicatorTest, StoriesSharingAParagraphAreNotDuplicates) {
  ASSERT_TRUE(dedup_.Decide(original_).has_value());
  Article other = MakeArticle(
      kRepostId, "https://www.example.cn/other",
      "记者从中国汽车工业协会获悉,今年1月至10月,我国新能源汽车产销分别完成1002万辆和975万辆,同比分别增长33%和34%。\n\n" +
          kParagraphs[3] +
          "\n\n出口方面,前10个月新能源汽车出口103万辆,同比增长7%。受海外部分市场贸易政策变化影响,纯电动汽车出口有所回落,插电式混合动力汽车出口则保持较快增长。",
      "2024-07-06T10:00:00+08:00");
  EXPECT_EQ(dedup_.Decide(other)->kind, DecisionKind::kPublishNew);
}

TEST_F(DeduplicatorTest, NoticesDifferingOnlyInANumberAreNotDuplicates) {
  auto notice = [](int n) {
    return "因供水管网维修施工,定于2024年7月" + std::to_string(n) +
           "日8时至20时对人民路沿线供水管道进行维修,届时人民路及周边小区将暂停供水,预计10小时后恢复。\n\n"
           "请广大用户提前做好储水准备,给您带来的不便敬请谅解。由此给您带来的不便,我们深表歉意。";
  };
  ASSERT_EQ(dedup_.Decide(MakeArticle("n3", "https://w.cn/3", notice(3), ""))
                ->kind,
            DecisionKind::kPublishNew);
  EXPECT_EQ(dedup_.Decide(MakeArticle("n4", "https://w.cn/4", notice(4), ""))
                ->kind,
            DecisionKind::kPublishNew);
  // The same notice reposted is still an exact duplicate.
  EXPECT_EQ(dedup_.Decide(MakeArticle("n4b", "https://v.cn/4", notice(4), ""))
                ->level,
            MatchLevel::kExact);
}

TEST_F(DeduplicatorTest, ShortTextsMatchOnlyExactly) {
  const std::string a = "张建国不慎遗失居民身份证一张,特此声明作废。";
  const std::string b = "李晓明不慎遗失居民身份证一张,特此声明作废。";
  ASSERT_EQ(dedup_.Decide(MakeArticle("s1", "https://d.cn/1", a, ""))->kind,
            DecisionKind::kPublishNew);
  EXPECT_EQ(dedup_.Decide(MakeArticle("s2", "https://d.cn/2", b, ""))->kind,
            DecisionKind::kPublishNew);
}

TEST_F(DeduplicatorTest, RestoredIndexRecognisesAReplayedInput) {
  ASSERT_TRUE(dedup_.Restore(original_).has_value());
  EXPECT_EQ(dedup_.Decide(original_)->kind, DecisionKind::kUpdateSameId);
  Article repost = original_;
  repost.set_id(kRepostId);
  repost.set_published_at("2024-07-06T00:00:00+08:00");
  EXPECT_EQ(dedup_.Decide(repost)->kind, DecisionKind::kDuplicateOf);
}

TEST_F(DeduplicatorTest, RestoreIsIdempotent) {
  ASSERT_TRUE(dedup_.Restore(original_).has_value());
  ASSERT_TRUE(dedup_.Restore(original_).has_value());
  EXPECT_EQ(dedup_.index().size(), 1u);
  EXPECT_EQ(dedup_.index().records(), 1u);
}

TEST_F(DeduplicatorTest, TombstoneForgetsTheArticle) {
  ASSERT_TRUE(dedup_.Restore(original_).has_value());
  EXPECT_TRUE(dedup_.Forget(kOriginalId));
  EXPECT_FALSE(dedup_.Forget(kOriginalId));
  EXPECT_EQ(dedup_.index().size(), 0u);
  EXPECT_EQ(dedup_.Decide(original_)->kind, DecisionKind::kPublishNew);
}

TEST_F(DeduplicatorTest, ArticleWithEmptyBodyIsOnlyMatchedById) {
  Article empty = MakeArticle("e1", "https://e.cn/1", "", "");
  EXPECT_EQ(dedup_.Decide(empty)->kind, DecisionKind::kPublishNew);
  Article other = MakeArticle("e2", "https://e.cn/2", "", "");
  EXPECT_EQ(dedup_.Decide(other)->kind, DecisionKind::kPublishNew);
  EXPECT_EQ(dedup_.Decide(empty)->kind, DecisionKind::kUpdateSameId);
}

TEST_F(DeduplicatorTest, DuplicateRecordsPointFromLoserToCanonical) {
  Article repost = MakeArticle(kRepostId, "https://m.example.com/r/1",
                               Body({0, 1, 2, 3}), "2024-07-05T16:00:00+08:00");
  ASSERT_TRUE(dedup_.Decide(repost).has_value());
  const Decision replaces = *dedup_.Decide(original_);
  crawlstream::v1::Duplicate record;
  ASSERT_TRUE(MakeDuplicateRecord(replaces, original_, &record));
  EXPECT_EQ(record.id(), kRepostId);
  EXPECT_EQ(record.duplicate_of(), kOriginalId);
  // A later copy won the election: the loser's URL comes from the index.
  EXPECT_EQ(record.url(), repost.canonical_url());
  EXPECT_EQ(record.duplicate_of_url(), original_.canonical_url());
  EXPECT_EQ(record.method(), crawlstream::v1::Duplicate::METHOD_EXACT);

  const Decision duplicate = *dedup_.Decide(repost);
  ASSERT_TRUE(MakeDuplicateRecord(duplicate, repost, &record));
  EXPECT_EQ(record.id(), kRepostId);
  EXPECT_EQ(record.duplicate_of(), kOriginalId);
  EXPECT_EQ(record.url(), repost.canonical_url());
  EXPECT_EQ(record.duplicate_of_url(), original_.canonical_url());

  EXPECT_FALSE(MakeDuplicateRecord(Decision{}, repost, &record));
}

TEST_F(DeduplicatorTest, DuplicateOfARestoredCanonicalNamesItsUrl) {
  ASSERT_TRUE(dedup_.Restore(original_).has_value());
  Article repost = original_;
  repost.set_id(kRepostId);
  repost.set_url("https://news.example.com/r/2?utm_source=x");
  repost.clear_canonical_url();  // falls back to the fetched URL
  repost.set_published_at("2024-07-06T00:00:00+08:00");
  const Decision d = *dedup_.Decide(repost);
  ASSERT_EQ(d.kind, DecisionKind::kDuplicateOf);
  crawlstream::v1::Duplicate record;
  ASSERT_TRUE(MakeDuplicateRecord(d, repost, &record));
  EXPECT_EQ(record.url(), repost.url());
  EXPECT_EQ(record.duplicate_of_url(), original_.canonical_url());
}

TEST(DeduplicatorUrlFileTest, UrlsOnDiskNameBothCopies) {
  auto urls = UrlStore::Open(::testing::TempDir());
  ASSERT_TRUE(urls.has_value()) << urls.error().message;
  ASSERT_TRUE((*urls)->on_disk());
  Deduplicator dedup(DedupOptions{}, nullptr, std::move(*urls));
  // Enough stories to push the first URLs out of the write buffer.
  for (int i = 0; i < 2000; ++i) {
    Article a = MakeArticle("s" + std::to_string(i), "https://d.example/" + std::to_string(i) +
                                                         std::string(60, 'x'),
                            "story " + std::to_string(i) + " " + Body({i % 4}),
                            "2024-01-01T00:00:00Z");
    ASSERT_TRUE(dedup.Restore(a).has_value());
  }
  ASSERT_GT(dedup.urls().url_bytes(), 64u * 1024);
  Article copy = MakeArticle("copy", "https://copy.example/1", "story 0 " + Body({0}),
                             "2030-01-01T00:00:00Z");
  const Decision d = *dedup.Decide(copy);
  ASSERT_EQ(d.kind, DecisionKind::kDuplicateOf);
  ASSERT_EQ(d.other_id, "s0");
  EXPECT_EQ(d.other_url, "https://d.example/0" + std::string(60, 'x'));
}

TEST(UrlStoreTest, KeepsTheFirstUrlOfEachRecordOnDiskAndInRam) {
  for (const std::string& dir : {std::string(), ::testing::TempDir()}) {
    auto store = UrlStore::Open(dir);
    ASSERT_TRUE(store.has_value()) << store.error().message;
    UrlStore& urls = **store;
    EXPECT_EQ(urls.on_disk(), !dir.empty());
    EXPECT_EQ(urls.Get(0), "");
    std::vector<std::string> expected;
    for (uint32_t r = 0; r < 5000; ++r) {  // ~390 KB: several flushes
      expected.push_back("https://site" + std::to_string(r % 7) + ".example/story/" +
                         std::to_string(r) + std::string(r % 50, 'p'));
      ASSERT_TRUE(urls.Set(r, expected.back()).has_value());
    }
    ASSERT_TRUE(urls.Set(3, "https://other.example/").has_value());  // first URL stays
    ASSERT_TRUE(urls.Set(9000, "https://sparse.example/").has_value());
    for (uint32_t r = 0; r < 5000; r += 97) EXPECT_EQ(urls.Get(r), expected[r]) << dir << r;
    EXPECT_EQ(urls.Get(4999), expected[4999]);  // still in the write buffer
    EXPECT_EQ(urls.Get(8999), "");
    EXPECT_EQ(urls.Get(9000), "https://sparse.example/");
    EXPECT_EQ(urls.Get(123456), "");
    const std::string longest(UrlStore::kMaxUrlBytes + 10, 'u');
    ASSERT_TRUE(urls.Set(9001, longest).has_value());
    EXPECT_EQ(urls.Get(9001).size(), UrlStore::kMaxUrlBytes);
  }
}

TEST(UrlStoreTest, AnUnwritableDirectoryIsAClearError) {
  auto store = UrlStore::Open("/nonexistent/crawlstream-test-dir");
  ASSERT_FALSE(store.has_value());
  EXPECT_NE(store.error().message.find("dedup.url_dir"), std::string::npos);
  EXPECT_NE(store.error().message.find("/nonexistent/crawlstream-test-dir"), std::string::npos);
}

TEST(DedupIndexTest, IdsRoundTripWhetherHexOrNot) {
  DedupIndex index{IndexOptions{}};
  Fingerprint fp;
  ASSERT_TRUE(index.Upsert(kOriginalId, CanonicalKey{}, fp).has_value());
  ASSERT_TRUE(index.Upsert("not-a-hex-id", CanonicalKey{}, fp).has_value());
  EXPECT_EQ(index.Id(*index.FindId(kOriginalId)), kOriginalId);
  EXPECT_EQ(index.Id(*index.FindId("not-a-hex-id")), "not-a-hex-id");
  EXPECT_FALSE(index.FindId("0123456789ABCDEF0123456789ABCDEF").has_value());
}

TEST(DedupIndexTest, RemovedRecordNoLongerMatches) {
  DedupIndex index{IndexOptions{}};
  const Fingerprint fp = ComputeFingerprint(
      U"在关键核心技术攻关方面重点抓好四件事第一是实施好国家科技重大专项充分发挥新型举国体制优势"
      U"补短板锻长板加快突破一批关键核心技术第二是实施好国家重点研发计划");
  auto r = index.Upsert(kOriginalId, CanonicalKey{}, fp);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(index.FindDuplicate(fp).has_value());
  index.Remove(*r);
  EXPECT_FALSE(index.FindDuplicate(fp).has_value());
  EXPECT_FALSE(index.FindId(kOriginalId).has_value());
  EXPECT_EQ(index.size(), 0u);
}

TEST(DedupIndexTest, GrowsPastItsFirstTableWithoutLosingEntries) {
  DedupIndex index{IndexOptions{}};
  for (uint64_t i = 0; i < 5000; ++i) {
    Fingerprint fp;
    fp.length = 500;
    for (int t = 0; t < kLshTables; ++t) {
      for (int j = 0; j < kLshProbes; ++j) {
        fp.bottom[t][j] = Mix64(i * 131 + static_cast<uint64_t>(t * 16 + j));
      }
    }
    char id[33];
    std::snprintf(id, sizeof(id), "%032llx",
                  static_cast<unsigned long long>(Mix64(i)));
    ASSERT_TRUE(index.Upsert(id, CanonicalKey{}, fp).has_value());
  }
  EXPECT_EQ(index.size(), 5000u);
  for (uint64_t i = 0; i < 5000; i += 97) {
    char id[33];
    std::snprintf(id, sizeof(id), "%032llx",
                  static_cast<unsigned long long>(Mix64(i)));
    EXPECT_TRUE(index.FindId(id).has_value()) << i;
  }
}

// The candidate rate the header promises, in the weak direction: the new
// text N is a shorter copy of the indexed E (a quarter of E dropped), so
// c = |E n N| / |E| = 0.75 and two tables give P ~= 1 - 0.25^2 = 0.94.
// (The other direction, E inside a longer N, has c = 1.) Random text over
// 3,000 CJK characters, 200 stories; verification thresholds off.
TEST(DedupIndexTest, ShorterCopiesAreCandidatesAtTheRateTheHeaderClaims) {
  IndexOptions options;
  options.lsh_tables = 2;  // the bound below is for two tables, 8 probes
  options.min_resemblance = 0;  // measure candidates, not verification
  options.min_containment = 0;
  options.min_length_ratio = 0;
  DedupIndex index(options);
  uint64_t rng = 42;
  auto next = [&rng] { return rng = Mix64(rng + 0x9E3779B97F4A7C15ULL); };
  constexpr int kStories = 200;
  int found = 0;
  for (int i = 0; i < kStories; ++i) {
    std::u32string e;
    for (int k = 0; k < 800; ++k) e.push_back(U'\u4e00' + next() % 3000);
    char id[33];
    std::snprintf(id, sizeof(id), "%032llx",
                  static_cast<unsigned long long>(next()));
    ASSERT_TRUE(index.Upsert(id, CanonicalKey{}, ComputeFingerprint(e)));
    const size_t cut = next() % 600;  // drop e[cut, cut + 200)
    std::u32string n = e.substr(0, cut) + e.substr(cut + 200);
    const auto match = index.FindDuplicate(ComputeFingerprint(n));
    found += match.has_value() && index.Id(match->record) == id;
  }
  EXPECT_GE(found, kStories * 88 / 100);  // expectation 94%, sd 1.7%
  std::printf("shorter copies found: %d / %d\n", found, kStories);
}

}  // namespace
}  // namespace crawlstream::dedup
