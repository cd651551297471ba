#include "services/dedup/canonical.h"

#include <gtest/gtest.h>

#include "crawlstream/v1/article.pb.h"
#include "services/dedup/normalize.h"

namespace crawlstream::dedup {
namespace {

TEST(CanonicalTest, ParsesRfc3339AsInstants) {
  struct Case {
    const char* text;
    std::optional<int64_t> seconds;
  };
  const Case cases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"2024-07-05T13:53:00+08:00", 1720158780},
      {"2024-07-05T05:53:00Z", 1720158780},
      {"2024-07-05t05:53:00.250z", 1720158780},
      {"2024-07-05 13:53+08:00", 1720158780},
      {"2024-07-04T22:53:00-07:00", 1720158780},
      {"", std::nullopt},
      {"2024-07-05", std::nullopt},           // no time
      {"2024-07-05T13:53:00", std::nullopt},  // no offset: not an instant
      {"11月30日", std::nullopt},
      {"2024-13-05T13:53:00Z", std::nullopt},
      {"2024-07-05T13:53:00+08:00junk", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ParseRfc3339(c.text), c.seconds) << c.text;
  }
}

CanonicalKey Key(uint32_t published, uint8_t url_length = 30) {
  CanonicalKey k;
  k.published = published;
  k.url_length = url_length;
  return k;
}

TEST(CanonicalTest, EarlierPublicationWins) {
  EXPECT_TRUE(PreferAsCanonical(Key(100), "b", Key(200), "a"));
  EXPECT_FALSE(PreferAsCanonical(Key(200), "a", Key(100), "b"));
}

TEST(CanonicalTest, UnknownPublicationTimeLoses) {
  EXPECT_FALSE(PreferAsCanonical(Key(kUnknownTime, 5), "a", Key(200), "b"));
  EXPECT_TRUE(PreferAsCanonical(Key(200), "b", Key(kUnknownTime, 5), "a"));
}

TEST(CanonicalTest, OutletNamedAsOriginalSourceWinsATie) {
  CanonicalKey outlet = Key(100, 60);
  outlet.publisher = NameHash("经济日报", nullptr);
  CanonicalKey repost = Key(100, 20);
  repost.publisher = NameHash("每日看点", nullptr);
  repost.original_source = NameHash("经济日报", nullptr);
  EXPECT_TRUE(PreferAsCanonical(outlet, "z", repost, "a"));
  EXPECT_FALSE(PreferAsCanonical(repost, "a", outlet, "z"));
}

TEST(CanonicalTest, ShorterUrlThenSmallerIdBreakTies) {
  EXPECT_TRUE(PreferAsCanonical(Key(100, 20), "z", Key(100, 40), "a"));
  EXPECT_TRUE(PreferAsCanonical(Key(100, 20), "a", Key(100, 20), "b"));
  EXPECT_FALSE(PreferAsCanonical(Key(100, 20), "b", Key(100, 20), "a"));
}

TEST(CanonicalTest, NameHashIgnoresScriptSuffixAndPunctuation) {
  auto converter = MakeOpenccConverter();
  ASSERT_TRUE(converter.has_value());
  EXPECT_EQ(NameHash("央視網", converter->get()), NameHash("央视网", nullptr));
  EXPECT_EQ(NameHash("央视网", nullptr), NameHash("央视", nullptr));
  EXPECT_EQ(NameHash(" Reuters ", nullptr), NameHash("reuters", nullptr));
  EXPECT_NE(NameHash("光明日报", nullptr), NameHash("经济日报", nullptr));
  EXPECT_EQ(NameHash("", nullptr), 0);
}

TEST(CanonicalTest, KeyComesFromArticleFields) {
  crawlstream::v1::Article a;
  a.set_published_at("2024-07-05T13:53:00+08:00");
  a.set_url("https://www.gmw.cn/a.html?utm=1");
  a.set_canonical_url("https://www.gmw.cn/a.html");
  a.set_publisher("光明网");
  const CanonicalKey k = MakeCanonicalKey(a, nullptr);
  EXPECT_EQ(k.published, 1720158780u);
  EXPECT_EQ(k.url_length, a.canonical_url().size());
  EXPECT_EQ(k.publisher, NameHash("光明网", nullptr));
  EXPECT_EQ(k.original_source, 0);
  // Only a year and month: not earlier than any dated copy.
  a.set_published_at("2024-07-01T00:00:00+08:00");
  a.set_published_precision(crawlstream::v1::Article::TIME_PRECISION_MONTH);
  EXPECT_EQ(MakeCanonicalKey(a, nullptr).published, kUnknownTime);
}

}  // namespace
}  // namespace crawlstream::dedup
