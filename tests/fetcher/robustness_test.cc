// Every parser of the fetcher gets hostile bytes from the network. These
// tests feed seeded random and mutated inputs to each one: nothing may
// crash, hang or throw (run them under ASan/UBSan to catch memory errors).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "services/common/url.h"
#include "services/fetcher/discovery.h"
#include "services/fetcher/politeness.h"
#include "services/fetcher/robots.h"
#include "services/fetcher/ssrf.h"

namespace crawlstream::fetcher {
namespace {

// Random strings biased towards the characters parsers care about.
class Garbage {
 public:
  explicit Garbage(uint64_t seed) : rng_(seed) {}
  std::string Next(size_t max_len) {
    static constexpr std::string_view kAlphabet =
        "abcxyzABC019/:?#[]@!$&'()*+,;=%-._~<>\"\\ \t\r\n{}|^`\x7f\x80\xff\xe4\xb8\xad*$&#;x";
    std::uniform_int_distribution<size_t> len(0, max_len);
    std::uniform_int_distribution<size_t> pick(0, kAlphabet.size() - 1);
    std::string out(len(rng_), ' ');
    for (char& c : out) c = kAlphabet[pick(rng_)];
    return out;
  }
  // `base` with a few random bytes replaced, inserted or removed.
  std::string Mutate(std::string base) {
    std::uniform_int_distribution<int> edits(1, 8);
    int n = edits(rng_);
    for (int i = 0; i < n && !base.empty(); ++i) {
      std::uniform_int_distribution<size_t> at(0, base.size() - 1);
      std::string piece = Next(4);
      switch (rng_() % 3) {
        case 0: base.replace(at(rng_), 1, piece); break;
        case 1: base.insert(at(rng_), piece); break;
        default: base.erase(at(rng_), 1); break;
      }
    }
    return base;
  }

 private:
  std::mt19937_64 rng_;
};

TEST(RobustnessTest, UrlFunctionsSurviveGarbage) {
  Garbage g(1);
  Url base = *ParseUrl("http://a.example/b/c/d;p?q");
  const std::string seeds[] = {"http://a.b/c?d#e", "https://[::1]:8080/%41/./../x?utm_source=1&y",
                               "//host/path", "../../x?y#z"};
  for (int i = 0; i < 20000; ++i) {
    std::string input = i % 2 ? g.Next(40) : g.Mutate(seeds[static_cast<size_t>(i) % 4]);
    if (auto url = ParseUrl(input)) {
      std::string once = Canonicalize(*url).ToString();
      auto again = ParseUrl(once);
      ASSERT_TRUE(again.has_value()) << "canonical form does not parse: " << once;
      EXPECT_EQ(Canonicalize(*again).ToString(), once) << "not idempotent for input " << input;
    }
    (void)ResolveUrl(base, input);
    (void)NormalizePercentEncoding(input);
    (void)RemoveDotSegments(input);
  }
}

TEST(RobustnessTest, RobotsSurvivesGarbage) {
  Garbage g(2);
  std::string seed = "user-agent: *\ndisallow: /a*b$\nallow: /%7e\ncrawl-delay: 3\nsitemap: http://x/s\n";
  for (int i = 0; i < 5000; ++i) {
    RobotsTxt robots = RobotsTxt::Parse(i % 2 ? g.Next(200) : g.Mutate(seed));
    (void)robots.IsAllowed("crawlstream", g.Next(30));
    (void)robots.CrawlDelay("crawlstream");
    (void)RobotsPatternMatches(g.Next(20), g.Next(40));
  }
}

TEST(RobustnessTest, AddressParsersSurviveGarbage) {
  Garbage g(3);
  for (int i = 0; i < 20000; ++i) {
    std::string s = i % 2 ? g.Next(45) : g.Mutate("fd00:ec2::254/128");
    (void)IpAddress::Parse(s);
    (void)Cidr::Parse(s);
    (void)ParseRetryAfter(i % 2 ? s : g.Mutate("Sun, 06 Nov 1994 08:49:37 GMT"),
                          std::chrono::system_clock::time_point());
  }
}

TEST(RobustnessTest, DiscoverySurvivesGarbage) {
  Garbage g(4);
  Url base = *ParseUrl("http://e.com/feed");
  const std::string seeds[] = {
      "<?xml version=\"1.0\"?><rss><channel><item><link>/a</link><guid>x</guid></item></channel></rss>",
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><link href=\"/b\"/></entry></feed>",
      "<urlset><url><loc>http://e.com/c</loc><news:news><news:publication_date>2024"
      "</news:publication_date></news:news></url></urlset>",
      "<html><base href=/x/><a href='y?a=1&amp;b'>t</a><!-- c --><script>'<a href=z>'</script></html>",
  };
  for (int i = 0; i < 4000; ++i) {
    std::string input = i % 3 == 0 ? g.Next(120) : g.Mutate(seeds[static_cast<size_t>(i) % 4]);
    (void)ParseDiscoveryDocument(input, base);
    (void)ExtractHtmlLinks(input, base);
    (void)Gunzip(input, 1 << 16);
  }
}

}  // namespace
}  // namespace crawlstream::fetcher
