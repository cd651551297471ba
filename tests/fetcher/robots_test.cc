#include "services/fetcher/robots.h"

#include <gtest/gtest.h>

#include <string>

namespace crawlstream::fetcher {
namespace {

constexpr char kBot[] = "crawlstream";

struct MatchCase {
  const char* robots;
  const char* path;
  bool allowed;
};

void RunCases(const char* suite, const MatchCase* begin, const MatchCase* end,
              std::string_view agent = kBot) {
  for (const MatchCase* c = begin; c != end; ++c) {
    RobotsTxt robots = RobotsTxt::Parse(c->robots);
    EXPECT_EQ(robots.IsAllowed(agent, c->path), c->allowed)
        << suite << "\nrobots.txt:\n" << c->robots << "\npath: " << c->path;
  }
}

TEST(RobotsTest, GroupMatchingOnProductToken) {
  const MatchCase cases[] = {
      // Our group wins over '*'.
      {"user-agent: *\ndisallow: /\n\nuser-agent: crawlstream\nallow: /\n", "/a", true},
      // Case-insensitive product token.
      {"User-Agent: CrawlStream\nDisallow: /x\n", "/x", false},
      // Version and comment after the token are ignored.
      {"user-agent: crawlstream/1.0 (+http://e)\ndisallow: /x\n", "/x", false},
      // Other bots' groups do not apply; fallback to '*'.
      {"user-agent: googlebot\ndisallow: /\n\nuser-agent: *\ndisallow: /private\n", "/a", true},
      {"user-agent: googlebot\ndisallow: /\n\nuser-agent: *\ndisallow: /private\n", "/private/1", false},
      // No '*' and no matching group: everything allowed.
      {"user-agent: googlebot\ndisallow: /\n", "/a", true},
      // A prefix of our token is a different agent.
      {"user-agent: crawl\ndisallow: /\n", "/a", true},
      // Several user-agent lines start one group.
      {"user-agent: a\nuser-agent: crawlstream\ndisallow: /g\n", "/g", false},
      // Groups with the same agent are merged.
      {"user-agent: crawlstream\ndisallow: /a\n\nuser-agent: other\ndisallow: /\n\n"
       "user-agent: crawlstream\ndisallow: /b\n", "/b", false},
      {"user-agent: crawlstream\ndisallow: /a\n\nuser-agent: other\ndisallow: /\n\n"
       "user-agent: crawlstream\ndisallow: /b\n", "/a", false},
      // Rules before any user-agent line are ignored.
      {"disallow: /\nuser-agent: *\nallow: /\n", "/a", true},
      // Unknown lines inside a group do not end it.
      {"user-agent: crawlstream\nfoo: bar\ndisallow: /x\n", "/x", false},
      // Sitemap lines do not end the user-agent run.
      {"user-agent: other\nsitemap: http://e/s.xml\nuser-agent: crawlstream\ndisallow: /x\n", "/x", false},
  };
  RunCases("group", std::begin(cases), std::end(cases));
}

TEST(RobotsTest, LongestMatchWins) {
  const MatchCase cases[] = {
      {"user-agent: *\ndisallow: /a\nallow: /a/b\n", "/a/b/c", true},
      {"user-agent: *\nallow: /a\ndisallow: /a/b\n", "/a/b/c", false},
      {"user-agent: *\nallow: /a\ndisallow: /a/b\n", "/a/c", true},
      {"user-agent: *\ndisallow: /\nallow: /news/\n", "/news/1.html", true},
      {"user-agent: *\ndisallow: /\nallow: /news/\n", "/about", false},
      // Wildcard patterns are measured by their length too.
      {"user-agent: *\nallow: /page\ndisallow: /*.php\n", "/page.php", false},
      {"user-agent: *\nallow: /page\ndisallow: /*.htm\n", "/page.htm", false},
  };
  RunCases("longest", std::begin(cases), std::end(cases));
}

TEST(RobotsTest, AllowWinsTie) {
  const MatchCase cases[] = {
      {"user-agent: *\ndisallow: /a\nallow: /a\n", "/a", true},
      {"user-agent: *\nallow: /a\ndisallow: /a\n", "/a", true},
      {"user-agent: *\ndisallow: /*.x\nallow: /a.x\n", "/a.x", true},
  };
  RunCases("tie", std::begin(cases), std::end(cases));
}

TEST(RobotsTest, WildcardAndEndAnchor) {
  const MatchCase cases[] = {
      {"user-agent: *\ndisallow: /*.pdf$\n", "/a/b.pdf", false},
      {"user-agent: *\ndisallow: /*.pdf$\n", "/a/b.pdf?x=1", true},
      {"user-agent: *\ndisallow: /*.pdf\n", "/a/b.pdf?x=1", false},
      {"user-agent: *\ndisallow: /a*b*c\n", "/a-xx-b-yy-c-z", false},
      {"user-agent: *\ndisallow: /a*b*c\n", "/a-xx-c-yy-b", true},
      {"user-agent: *\ndisallow: /$\n", "/", false},
      {"user-agent: *\ndisallow: /$\n", "/a", true},
      {"user-agent: *\ndisallow: *\n", "/anything", false},
      {"user-agent: *\ndisallow: /*?\n", "/a?b", false},
      {"user-agent: *\ndisallow: /*?\n", "/a", true},
      {"user-agent: *\ndisallow: /fish*\n", "/fish.html", false},
      {"user-agent: *\ndisallow: /fish\n", "/Fish.html", true},  // case-sensitive paths
      {"user-agent: *\ndisallow: /a$b\n", "/a$b", false},        // '$' inside is literal
      {"user-agent: *\ndisallow: /**/x\n", "/q/r/x", false},
  };
  RunCases("wildcard", std::begin(cases), std::end(cases));
}

TEST(RobotsTest, PercentEncodingNormalisedWhenMatching) {
  const MatchCase cases[] = {
      {"user-agent: *\ndisallow: /%7Ejoe/\n", "/~joe/index.html", false},
      {"user-agent: *\ndisallow: /~joe/\n", "/%7ejoe/index.html", false},
      {"user-agent: *\ndisallow: /a%3cd.html\n", "/a%3Cd.html", false},
      {"user-agent: *\ndisallow: /新闻/\n", "/%E6%96%B0%E9%97%BB/1.html", false},
      {"user-agent: *\ndisallow: /%E6%96%B0%E9%97%BB/\n", "/新闻/1.html", false},
      // An encoded '/' is not a path separator.
      {"user-agent: *\ndisallow: /a/b\n", "/a%2Fb", true},
  };
  RunCases("percent", std::begin(cases), std::end(cases));
}

TEST(RobotsTest, SyntaxToleranceTable) {
  const MatchCase cases[] = {
      // Empty disallow allows everything.
      {"user-agent: *\ndisallow:\n", "/a", true},
      // Comments, CRLF, BOM, odd spacing and key case.
      {"\xEF\xBB\xBFUSER-AGENT : * # all\r\nDisAllow :   /x   # no\r\n", "/x", false},
      {"user-agent: *\rdisallow: /x\r", "/x", false},
      // Common misspelling.
      {"user-agent: *\ndissallow: /x\n", "/x", false},
      // Patterns without a leading '/' get one.
      {"user-agent: *\ndisallow: x\n", "/x", false},
      // Garbage lines are ignored.
      {"<html><body>oops</body></html>\nuser-agent: *\ndisallow: /x\n", "/x", false},
      {"", "/a", true},
  };
  RunCases("syntax", std::begin(cases), std::end(cases));
}

TEST(RobotsTest, RobotsTxtItselfAlwaysAllowed) {
  EXPECT_TRUE(RobotsTxt::Parse("user-agent: *\ndisallow: /\n").IsAllowed(kBot, "/robots.txt"));
  EXPECT_TRUE(RobotsTxt::DisallowAll().IsAllowed(kBot, "/robots.txt"));
  EXPECT_FALSE(RobotsTxt::DisallowAll().IsAllowed(kBot, "/"));
}

TEST(RobotsTest, CrawlDelayPerGroup) {
  const struct {
    const char* robots;
    std::optional<double> delay;
  } cases[] = {
      {"user-agent: *\ncrawl-delay: 5\n", 5.0},
      {"user-agent: *\ncrawl-delay: 0.5\n", 0.5},
      {"user-agent: *\ncrawl-delay: 2\nuser-agent: crawlstream\ncrawl-delay: 7\n", 7.0},
      {"user-agent: *\ncrawl-delay: 2\n\nuser-agent: crawlstream\ndisallow: /x\n", std::nullopt},
      {"user-agent: *\ncrawl-delay: soon\n", std::nullopt},
      {"user-agent: *\ncrawl-delay: -3\n", std::nullopt},
      {"crawl-delay: 9\n", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(RobotsTxt::Parse(c.robots).CrawlDelay(kBot), c.delay) << c.robots;
  }
}

TEST(RobotsTest, CollectsSitemapsFromAnyGroup) {
  RobotsTxt robots = RobotsTxt::Parse(
      "Sitemap: http://e.com/a.xml\nuser-agent: other\ndisallow: /\n"
      "SITEMAP: http://e.com/news.xml.gz\n");
  ASSERT_EQ(robots.Sitemaps().size(), 2u);
  EXPECT_EQ(robots.Sitemaps()[0], "http://e.com/a.xml");
  EXPECT_EQ(robots.Sitemaps()[1], "http://e.com/news.xml.gz");
}

TEST(RobotsTest, ParsesAtLeast500KiB) {
  std::string body = "user-agent: *\n";
  while (body.size() < 499 * 1024) body += "disallow: /filler/path/that/is/long/enough\n";
  body += "disallow: /near-the-end\n";
  while (body.size() < 600 * 1024) body += "disallow: /filler/path/that/is/long/enough\n";
  body += "disallow: /past-the-limit\n";
  RobotsTxt robots = RobotsTxt::Parse(body);
  EXPECT_TRUE(robots.truncated());
  EXPECT_FALSE(robots.IsAllowed(kBot, "/near-the-end"));
  EXPECT_TRUE(robots.IsAllowed(kBot, "/past-the-limit"));
  EXPECT_TRUE(robots.IsAllowed(kBot, "/a"));
}

TEST(RobotsTest, PatternMatcherIsNotExponential) {
  std::string pattern = "/";
  for (int i = 0; i < 200; ++i) pattern += "*a";
  pattern += "$";
  std::string path = "/" + std::string(5000, 'a') + "b";
  EXPECT_FALSE(RobotsPatternMatches(pattern, path));
}

TEST(RobotsTest, FetchOutcomePolicyTable) {
  const struct {
    RobotsFetchOutcome outcome;
    RobotsVerdict verdict;
    bool page_allowed;
  } cases[] = {
      {{true, false, 200, "user-agent: *\ndisallow: /p\n"}, RobotsVerdict::kParsed, false},
      {{true, false, 200, ""}, RobotsVerdict::kParsed, true},
      {{true, false, 404, "user-agent: *\ndisallow: /\n"}, RobotsVerdict::kAllowAll, true},
      {{true, false, 403, ""}, RobotsVerdict::kAllowAll, true},
      {{true, false, 401, ""}, RobotsVerdict::kAllowAll, true},
      {{true, false, 410, ""}, RobotsVerdict::kAllowAll, true},
      {{true, false, 429, ""}, RobotsVerdict::kDisallowAll, false},
      {{true, false, 500, ""}, RobotsVerdict::kDisallowAll, false},
      {{true, false, 503, ""}, RobotsVerdict::kDisallowAll, false},
      {{false, false, 0, ""}, RobotsVerdict::kDisallowAll, false},
      {{true, true, 301, ""}, RobotsVerdict::kAllowAll, true},
  };
  for (const auto& c : cases) {
    RobotsDecision d = RobotsFromFetch(c.outcome);
    EXPECT_EQ(d.verdict, c.verdict) << "status " << c.outcome.status;
    EXPECT_EQ(d.robots.IsAllowed(kBot, "/p"), c.page_allowed) << "status " << c.outcome.status;
    EXPECT_TRUE(d.robots.IsAllowed(kBot, "/robots.txt"));
  }
}

TEST(RobotsTest, CacheExpiresAfter24Hours) {
  FakeClock clock;
  RobotsCache cache(clock);
  cache.Put("http://e.com", RobotsFromFetch({true, false, 200, "user-agent: *\ndisallow: /x\n"}));
  ASSERT_NE(cache.Get("http://e.com"), nullptr);
  EXPECT_FALSE(cache.Get("http://e.com")->IsAllowed(kBot, "/x"));
  EXPECT_EQ(cache.Get("http://other.com"), nullptr);
  clock.Advance(std::chrono::hours(23));
  EXPECT_NE(cache.Get("http://e.com"), nullptr);
  clock.Advance(std::chrono::hours(1));
  EXPECT_EQ(cache.Get("http://e.com"), nullptr);
}

TEST(RobotsTest, CacheRetriesServerErrorsSooner) {
  FakeClock clock;
  RobotsCache cache(clock);
  cache.Put("http://e.com", RobotsFromFetch({true, false, 503, ""}));
  ASSERT_NE(cache.Get("http://e.com"), nullptr);
  EXPECT_FALSE(cache.Get("http://e.com")->IsAllowed(kBot, "/a"));
  clock.Advance(std::chrono::minutes(10));
  EXPECT_EQ(cache.Get("http://e.com"), nullptr);
}

TEST(RobotsTest, CacheIsBounded) {
  FakeClock clock;
  RobotsCacheOptions options;
  options.max_entries = 2;
  RobotsCache cache(clock, options);
  cache.Put("http://a", RobotsFromFetch({true, false, 404, ""}));
  clock.Advance(std::chrono::seconds(1));
  cache.Put("http://b", RobotsFromFetch({true, false, 404, ""}));
  clock.Advance(std::chrono::seconds(1));
  cache.Put("http://c", RobotsFromFetch({true, false, 404, ""}));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Get("http://a"), nullptr);
  EXPECT_NE(cache.Get("http://c"), nullptr);
}

}  // namespace
}  // namespace crawlstream::fetcher
