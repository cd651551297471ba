#include "services/fetcher/validators.h"

#include <gtest/gtest.h>

#include <string>

namespace crawlstream::fetcher {
namespace {

TEST(ValidatorCacheTest, StoresAndReturnsValidators) {
  ValidatorCache cache(10);
  cache.Put("http://e/a", {"\"abc\"", "Sun, 06 Nov 1994 08:49:37 GMT"});
  auto v = cache.Get("http://e/a");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->etag, "\"abc\"");
  EXPECT_EQ(ConditionalHeaders(*v),
            (std::vector<std::string>{"If-None-Match: \"abc\"",
                                      "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT"}));
  EXPECT_FALSE(cache.Get("http://e/b"));
}

TEST(ValidatorCacheTest, EmptyValidatorsEraseEntry) {
  ValidatorCache cache(10);
  cache.Put("http://e/a", {"W/\"x\"", ""});
  cache.Put("http://e/a", {});
  EXPECT_FALSE(cache.Get("http://e/a"));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_TRUE(ConditionalHeaders({}).empty());
}

TEST(ValidatorCacheTest, EvictsLeastRecentlyUsed) {
  ValidatorCache cache(2);
  cache.Put("a", {"1", ""});
  cache.Put("b", {"2", ""});
  ASSERT_TRUE(cache.Get("a"));  // a is now most recent
  cache.Put("c", {"3", ""});
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.Get("a"));
  EXPECT_FALSE(cache.Get("b"));
  EXPECT_TRUE(cache.Get("c"));
  cache.Put("a", {"9", ""});  // update keeps size
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Get("a")->etag, "9");
}

TEST(SeenUrlsTest, InsertReportsNewUrlsOnce) {
  SeenUrls seen(100, 10);
  EXPECT_TRUE(seen.Insert("e.com", "http://e.com/a"));
  EXPECT_FALSE(seen.Insert("e.com", "http://e.com/a"));
  EXPECT_TRUE(seen.Insert("e.com", "http://e.com/b"));
  EXPECT_TRUE(seen.Contains("e.com", "http://e.com/a"));
  EXPECT_FALSE(seen.Contains("x.com", "http://e.com/a"));
  seen.Erase("e.com", "http://e.com/a");
  EXPECT_TRUE(seen.Insert("e.com", "http://e.com/a"));
}

TEST(SeenUrlsTest, BoundedPerHostForgetsOldest) {
  SeenUrls seen(3, 10);
  for (int i = 0; i < 5; ++i) seen.Insert("h", "u" + std::to_string(i));
  EXPECT_EQ(seen.SizeFor("h"), 3u);
  EXPECT_EQ(seen.urls(), 3u);
  EXPECT_FALSE(seen.Contains("h", "u0"));
  EXPECT_FALSE(seen.Contains("h", "u1"));
  EXPECT_TRUE(seen.Contains("h", "u4"));
}

TEST(SeenUrlsTest, EraseAndReinsertStaysBounded) {
  SeenUrls seen(4, 1);
  for (int round = 0; round < 1000; ++round) {
    std::string url = "u" + std::to_string(round % 10);
    seen.Insert("h", url);
    seen.Erase("h", url);
    seen.Insert("h", url);
  }
  EXPECT_LE(seen.SizeFor("h"), 4u);
  EXPECT_TRUE(seen.Contains("h", "u9"));
  EXPECT_EQ(seen.urls(), seen.SizeFor("h"));  // the gauge's count
}

TEST(SeenUrlsTest, BoundedHostCountForgetsLeastRecentHost) {
  SeenUrls seen(10, 2);
  seen.Insert("a", "1");
  seen.Insert("b", "1");
  seen.Insert("a", "2");  // a recent
  seen.Insert("c", "1");  // evicts b
  EXPECT_EQ(seen.hosts(), 2u);
  EXPECT_TRUE(seen.Contains("a", "1"));
  EXPECT_FALSE(seen.Contains("b", "1"));
  EXPECT_EQ(seen.urls(), 3u);  // a/1, a/2, c/1: b's URL left with b
  seen.Erase("a", "1");
  seen.Erase("a", "never-seen");
  EXPECT_EQ(seen.urls(), 2u);
}

// The total bound: the oldest URLs of the least recently used host go
// first, never the host being inserted into.
TEST(SeenUrlsTest, BoundedInAllForgetsTheOldestOfLeastRecentHosts) {
  SeenUrls seen(/*max_per_host=*/10, /*max_hosts=*/100, /*max_urls=*/6);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(seen.Insert("a.example", "https://a.example/" + std::to_string(i)));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(seen.Insert("b.example", "https://b.example/" + std::to_string(i)));
  ASSERT_TRUE(seen.Insert("a.example", "https://a.example/3"));  // b is now the least recent
  EXPECT_EQ(seen.urls(), 6u);
  EXPECT_FALSE(seen.Contains("b.example", "https://b.example/0"));  // b's oldest went
  ASSERT_TRUE(seen.Insert("c.example", "https://c.example/0"));
  EXPECT_EQ(seen.urls(), 6u);
  EXPECT_FALSE(seen.Contains("b.example", "https://b.example/1"));
  EXPECT_TRUE(seen.Contains("b.example", "https://b.example/2"));
  EXPECT_TRUE(seen.Contains("a.example", "https://a.example/0"));
  EXPECT_EQ(seen.hosts(), 3u);
  // One host alone is bounded by min(max_per_host, max_urls).
  for (int i = 0; i < 20; ++i) seen.Insert("d.example", "https://d.example/" + std::to_string(i));
  EXPECT_EQ(seen.SizeFor("d.example"), 6u);
  EXPECT_EQ(seen.urls(), 6u);
  EXPECT_EQ(seen.hosts(), 1u);
}

TEST(SeenUrlsTest, HashIsStable) {
  EXPECT_EQ(UrlHash("http://example.com/"), UrlHash("http://example.com/"));
  EXPECT_NE(UrlHash("http://example.com/a"), UrlHash("http://example.com/b"));
}

}  // namespace
}  // namespace crawlstream::fetcher
