// Feed and sitemap entries: the date forms they carry, newest-first order
// and the max_age cut, from parsed documents and from tables.
#include "services/fetcher/listing_order.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "services/common/url.h"

namespace crawlstream::fetcher {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

// Seconds since the epoch of a UTC civil time.
int64_t Utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  auto days = std::chrono::sys_days(std::chrono::year(y) / mo / d);
  return std::chrono::duration_cast<std::chrono::seconds>(days.time_since_epoch()).count() +
         h * 3600 + mi * 60 + s;
}

int64_t Seconds(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

TEST(ListingOrderTest, ParsesTheDateFormsOfFeedsAndSitemaps) {
  struct Case {
    const char* text;
    int64_t utc;  // -1: not a date
  };
  const Case cases[] = {
      // W3C datetime (sitemap lastmod, news:publication_date, Atom).
      {"2024-07-05", Utc(2024, 7, 5)},
      {"2024-07", Utc(2024, 7, 1)},
      {"2024", Utc(2024, 1, 1)},
      {"2024-07-05T13:53Z", Utc(2024, 7, 5, 13, 53)},
      {"2024-07-05T13:53:10+08:00", Utc(2024, 7, 5, 5, 53, 10)},
      {"2024-07-05T13:53:10.123456-05:00", Utc(2024, 7, 5, 18, 53, 10)},
      {"2024-07-05 13:53:10+0800", Utc(2024, 7, 5, 5, 53, 10)},
      {"2024-07-05T13:53:10", Utc(2024, 7, 5, 13, 53, 10)},  // no zone: UTC
      {"  2024-07-05T00:30:00+01:00\n", Utc(2024, 7, 4, 23, 30)},
      // RFC 822 / 2822 (RSS pubDate).
      {"Fri, 05 Jul 2024 13:53:00 +0800", Utc(2024, 7, 5, 5, 53)},
      {"Fri, 05 Jul 2024 13:53:00 GMT", Utc(2024, 7, 5, 13, 53)},
      {"5 Jul 2024 13:53 EST", Utc(2024, 7, 5, 18, 53)},
      {"Fri, 5 July 24 13:53:00 PDT", Utc(2024, 7, 5, 20, 53)},
      {"Fri, 05 Jul 2024 13:53:00", Utc(2024, 7, 5, 13, 53)},
      // Not dates.
      {"", -1},
      {"yesterday", -1},
      {"2024-13-01", -1},
      {"2024-02-30", -1},
      {"2024-07-05T25:00Z", -1},
      {"2024-07-05T13:53+08:00 junk", -1},
      {"Fri, 05 Jul 2024 13:53:00 XYZ", -1},
      {"32 Jul 2024 13:53 GMT", -1},
  };
  for (const auto& c : cases) {
    auto t = ParseListingDate(c.text);
    if (c.utc < 0) {
      EXPECT_FALSE(t.has_value()) << "\"" << c.text << "\"";
    } else {
      ASSERT_TRUE(t.has_value()) << "\"" << c.text << "\"";
      EXPECT_EQ(Seconds(*t), c.utc) << "\"" << c.text << "\"";
    }
  }
}

std::vector<std::string> Urls(const OrderedListing& l) {
  std::vector<std::string> out;
  for (const auto& link : l.links) out.push_back(link.url);
  return out;
}

TEST(ListingOrderTest, NewestFirstThenUndatedInDocumentOrder) {
  std::vector<DiscoveredLink> links = {
      {"u1", LinkKind::kPage, "2024-07-01"},
      {"n1", LinkKind::kPage, ""},
      {"u2", LinkKind::kPage, "Fri, 05 Jul 2024 10:00:00 GMT"},
      {"u3", LinkKind::kPage, "2024-07-05T12:00:00+02:00"},  // 10:00 UTC: ties u2
      {"n2", LinkKind::kPage, "not a date"},
      {"u4", LinkKind::kPage, "2024-07-05T11:00:00Z"},
  };
  auto now = system_clock::time_point(std::chrono::seconds(Utc(2024, 7, 6)));
  auto out = NewestFirst(links, now, 0ms);
  EXPECT_EQ(Urls(out), (std::vector<std::string>{"u4", "u2", "u3", "u1", "n1", "n2"}));
  EXPECT_EQ(out.too_old, 0u);
}

TEST(ListingOrderTest, EntriesOlderThanMaxAgeAreDroppedAndCounted) {
  auto now = system_clock::time_point(std::chrono::seconds(Utc(2024, 7, 6, 12)));
  std::vector<DiscoveredLink> links = {
      {"old", LinkKind::kPage, "2024-07-01"},
      {"day", LinkKind::kPage, "2024-07-05T12:00:00Z"},  // exactly max_age: kept
      {"fresh", LinkKind::kPage, "2024-07-06T11:00:00Z"},
      {"older", LinkKind::kSitemap, "2023-01-01"},
      {"undated", LinkKind::kPage, ""},
      {"future", LinkKind::kPage, "2024-07-07"},  // a clock ahead: kept
  };
  struct Case {
    std::chrono::milliseconds max_age;
    std::vector<std::string> urls;
    size_t too_old;
  };
  const Case cases[] = {
      {0ms, {"future", "fresh", "day", "old", "older", "undated"}, 0},
      {24h, {"future", "fresh", "day", "undated"}, 2},
      {2h, {"future", "fresh", "undated"}, 3},
      {24h * 365 * 10, {"future", "fresh", "day", "old", "older", "undated"}, 0},
  };
  for (const auto& c : cases) {
    auto out = NewestFirst(links, now, c.max_age);
    EXPECT_EQ(Urls(out), c.urls) << c.max_age.count();
    EXPECT_EQ(out.too_old, c.too_old) << c.max_age.count();
  }
}

// The dates the discovery parser reads from a Google News sitemap (the
// publication date wins over lastmod) and from an RSS feed order them.
TEST(ListingOrderTest, OrdersAParsedNewsSitemapAndFeed) {
  auto base = ParseUrl("https://news.example/sitemap-news.xml");
  ASSERT_TRUE(base);
  const std::string sitemap = R"(<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://news.example/a</loc><lastmod>2024-07-05T09:00:00Z</lastmod></url>
  <url><loc>https://news.example/b</loc>
    <lastmod>2024-07-05T23:00:00Z</lastmod>
    <news:news><news:publication_date>2024-07-05T08:00:00Z</news:publication_date></news:news></url>
  <url><loc>https://news.example/c</loc>
    <news:news><news:publication_date>2024-07-05T10:00:00+00:00</news:publication_date></news:news></url>
  <url><loc>https://news.example/old</loc><lastmod>2020-01-01</lastmod></url>
</urlset>)";
  auto doc = ParseDiscoveryDocument(sitemap, *base);
  ASSERT_TRUE(doc) << doc.error().message;
  auto now = system_clock::time_point(std::chrono::seconds(Utc(2024, 7, 6)));
  auto out = NewestFirst(doc->links, now, 24h * 7);
  EXPECT_EQ(Urls(out), (std::vector<std::string>{"https://news.example/c", "https://news.example/a",
                                                 "https://news.example/b"}));
  EXPECT_EQ(out.too_old, 1u);

  const std::string rss = R"(<?xml version="1.0"?>
<rss version="2.0"><channel><title>t</title>
  <item><link>https://news.example/r1</link><pubDate>Thu, 04 Jul 2024 10:00:00 +0000</pubDate></item>
  <item><link>https://news.example/r2</link><pubDate>Fri, 05 Jul 2024 10:00:00 +0000</pubDate></item>
  <item><link>https://news.example/r3</link><pubDate>Fri, 05 Jul 2024 09:00:00 -0200</pubDate></item>
</channel></rss>)";
  auto feed = ParseDiscoveryDocument(rss, *base);
  ASSERT_TRUE(feed) << feed.error().message;
  out = NewestFirst(feed->links, now, 0ms);
  EXPECT_EQ(Urls(out), (std::vector<std::string>{"https://news.example/r3", "https://news.example/r2",
                                                 "https://news.example/r1"}));
}

}  // namespace
}  // namespace crawlstream::fetcher
