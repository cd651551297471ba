// Pages modelled on ../shared/seeds/00{0..4}: each fixture reproduces the
// seed's boilerplate, bylines, spam and scripts around the article text.
// Every boilerplate line of the seed must be gone and the metadata right.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "services/extractor/extractor.h"

namespace crawlstream::extractor {
namespace {

std::string ReadFixture(const std::string& name) {
  const char* root = std::getenv("CRAWLSTREAM_SOURCE_DIR");
  std::string path = std::string(root ? root : ".") + "/tests/fixtures/extractor/" + name;
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << path;
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct Expected {
  std::string file;
  std::string url;
  std::string title;
  std::string published_at;
  std::vector<std::string> authors;
  std::vector<std::string> editors;
  std::string publisher;
  std::string original_source;
  std::string script;
  std::string source_charset;
  std::string body_starts;
  std::string body_ends;
  std::vector<std::string> gone;  // boilerplate that must not be in body
  std::string language = "zh";
};

class SeedFixtureTest : public ::testing::TestWithParam<Expected> {};

TEST_P(SeedFixtureTest, ExtractsArticleAndMetadata) {
  const Expected& e = GetParam();
  std::string html = ReadFixture(e.file);
  Extractor ex{ExtractorOptions{}};
  PageInput in;
  in.body = html;
  in.url = e.url;
  auto a = ex.Extract(in);
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(a->title(), e.title);
  EXPECT_EQ(a->published_at(), e.published_at);
  EXPECT_EQ(std::vector<std::string>(a->authors().begin(), a->authors().end()), e.authors);
  EXPECT_EQ(std::vector<std::string>(a->editors().begin(), a->editors().end()), e.editors);
  EXPECT_EQ(a->publisher(), e.publisher);
  EXPECT_EQ(a->original_source(), e.original_source);
  EXPECT_EQ(a->language(), e.language);
  EXPECT_EQ(a->script(), e.script);
  EXPECT_EQ(a->source_charset(), e.source_charset);
  EXPECT_EQ(a->body().substr(0, e.body_starts.size()), e.body_starts) << a->body();
  ASSERT_GE(a->body().size(), e.body_ends.size());
  EXPECT_EQ(a->body().substr(a->body().size() - e.body_ends.size()), e.body_ends)
      << a->body();
  for (const auto& g : e.gone)
    EXPECT_EQ(a->body().find(g), std::string::npos) << "boilerplate left: " << g;
  EXPECT_EQ(a->body().find("\n\n\n"), std::string::npos);
  EXPECT_NE(a->body().find("\n\n"), std::string::npos) << "paragraphs kept";
  if (e.script == "Hant") {
    EXPECT_FALSE(a->body_simplified().empty());
  } else {
    EXPECT_TRUE(a->body_simplified().empty());
  }
}

const std::vector<std::string> kScriptJunk = {"脚本写入的内容不应出现", "广告位招租",
                                              "样式注释", "__INITIAL_STATE__"};

std::vector<std::string> With(std::vector<std::string> v) {
  v.insert(v.end(), kScriptJunk.begin(), kScriptJunk.end());
  return v;
}

INSTANTIATE_TEST_SUITE_P(
    Seeds, SeedFixtureTest,
    ::testing::Values(
        Expected{"seed000_gmw.html",
                 "https://economy.gmw.cn/2024-07/05/content_37421.htm",
                 "工信部：围绕生物制造等新兴领域再建设一批国家制造业创新中心",
                 "2024-07-05T13:53:00+08:00",
                 {"金昱希"},
                 {"杨亚楠"},
                 "光明网",
                 "",
                 "Hans",
                 "UTF-8",
                 "光明网讯(记者 金昱希)产业科技创新对制造业来说发展意义重大。",
                 "推进新产业标准化领航工程，打造中国制造品牌。",
                 With({"点击右上角", "微信好友", "朋友圈", "请使用浏览器分享", "正在阅读",
                       "首页", "经济频道", "来源", "责编", "杨亚楠", "阅读剩余全文",
                       "相关阅读", "您此时的心情", "光明云投", "新闻表情排行", "开心",
                       "难过", "飘过", "视觉焦点", "宁波舟山港", "独家策划", "推荐阅读",
                       "中国空间站科学研究", "2026-01-09", "加载更多", "版权所有",
                       "隐藏的广告文字"})},
        Expected{"seed001_cinic_hant_pinyin.html",
                 "http://www.cinic.org.cn/xw/2023/02/20/1.html",
                 "創新引領 塑造發展新優勢",
                 "2023-02-20T00:00:00+08:00",
                 {},
                 {},
                 "中國產業經濟信息網",
                 "央視網",
                 "Hant",
                 "UTF-8",
                 "新年新作為，各地鉚足干勁，加快創新提質、賦能產業，為高質量發展注入新動能。",
                 "首批11個工廠、32個數字車間正在進行180項智能化升級改造。",
                 With({"(chuàng)", "(zhì)", "chuàng", "轉自", "央視網", "版權及免責聲明",
                       "凡本網所屬版權作品", "010-65363056", "延伸閱讀", "雄安新區",
                       "2017-04-11", "微信公眾號", "版權所有", "ICP備", "時間:2023-02-20"})},
        Expected{"seed002_mirror_gbk.html",
                 "http://td.fyun.cc/news/2024/0214/1.html",
                 "坚持科技创新和产业创新一起抓",
                 "2024-02-14T05:21:00+08:00",
                 {"金观平"},  // pen-name line under the headline
                 {},
                 "每日看点快看",
                 "经济日报",
                 "Hans",
                 "GB18030",
                 "春节前夕，习近平总书记在天津看望慰问基层干部群众时指出，",
                 "壮大优质企业群体，加快向世界级水平提升。",
                 With({"我的订阅", "类别:国内", "发布时间", "本文转自", "以上内容为资讯信息快照",
                       "爬虫", "快照生成时间", "非营利公共服务", "信息原文地址",
                       "重点词", "制造业转型必须强化科技创新支撑", "2023-12-22",
                       "更多关于国内的资讯"})},
        Expected{"seed003_cgmia_big5.html",
                 "http://www.cgmia.org.cn/news/2024/01/30.html",
                 "工信部等七部門發文推動未來產業創新發展",
                 "2024-01-30T00:00:00+08:00",
                 {},
                 {},
                 "中國通用機械工業協會",
                 "科技日報",
                 "Hant",
                 "Big5-HKSCS",
                 "1月29日從工業和信息化部獲悉，",
                 "部分領域實現全球引領。",
                 With({"歡迎光臨", "官方微信", "Midwifery News", "您現在的位置", "首頁",
                       "政策法規", "發布時間", "來源", "電話", "010-88393520", "傳真",
                       "地址", "電子郵件", "chenxi@cgmia.org.cn", "微信公眾號",
                       "微信視頻號", "Copyright", "版權所有", "京ICP備", "京公網安備"})},
        Expected{"seed004_spam.html",
                 "https://www.example-industry.cn/news/45.html",
                 "工信部公布45個國家先進製造業集群名單",
                 "",  // "11月30日" has no year: never completed
                 {},
                 {},
                 "產業新聞",
                 "",
                 "Hant",
                 "UTF-8",
                 "11月30日，據工信部官網消息，",
                 "是製造強國的重要標誌。",
                 With({"omoqo", "<li", "<noscript", "澳门赌场", "百家乐", "成人视频",
                       "隐藏垃圾链接", "1v3多肉多车", "相關文章", "鋼鐵行業規範條件",
                       "截止日期2024年11月21日"})}),
    [](const ::testing::TestParamInfo<Expected>& param_info) {
      return param_info.param.file.substr(0, 7);
    });

// English pages on common templates (WordPress, JSON-LD news, wire copy,
// table-layout local paper, live page with hidden spam and a paywall,
// long-form magazine). Known gap: a live page's first entry heading, which
// sits before the first paragraph, is dropped like a deck.
INSTANTIATE_TEST_SUITE_P(
    English, SeedFixtureTest,
    ::testing::Values(
        Expected{"en_wordpress_blog.html",
         "https://example-news.com/2024/03/05/community-garden-rail-yard-lease/",
         "Community garden wins ten-year lease on old rail yard",
         "2024-03-05T09:14:22+00:00", {"Maria Keane"}, {}, "Harbour Ledger", "", "Latn", "UTF-8",
         "The Eastside Growers Collective has been granted a ten-year lease",
         "through the group\u2019s website.",
         {"Share this", "Twitter", "Like this", "Rail yard growers get another six months",
          "Posted in", "Tagged", "Tom Becker", "Janet Pryce", "says:", "Leave a Reply",
          "Recent Posts", "Archives", "Proudly powered", "Ferry timetable changes"}, "en"},
        Expected{"en_jsonld_news.html",
         "https://example-news.com/uk/2024/mar/05/rail-operators-ordered-to-refund-passengers-winter-timetable",
         "Rail operators ordered to refund passengers after winter timetable chaos",
         "2024-03-05T07:45:12+00:00", {"Priya Natarajan", "Daniel Hughes"}, {},
         "The National Courier", "", "Latn", "UTF-8",
         "Four train operators have been ordered to compensate season-ticket holders",
         "on short-notice cancellations for each company from April.",
         {"Your privacy", "cookies", "Advertisement", "Read more", "Train cancellations hit",
          "Sign up", "Morning Briefing", "Our daily email", "Enter your email", "Privacy Notice",
          "reCaptcha", "after newsletter promotion", "Photograph: Alex Morgan", "Share on",
          "Most read", "Energy price cap", "All rights reserved", "Explore more"}, "en"},
        Expected{"en_wire_dateline.html",
         "https://example-news.com/news/national/senate-passes-stopgap-bill-to-keep-agencies-open-through-april/article_5e2c91d4.html",
         "Senate passes stopgap bill to keep agencies open through April",
         "2024-03-05T14:12:00-05:00", {"Jane Doe", "John Roe"}, {}, "The Valley Tribune",
         "The Associated Press", "Latn", "UTF-8",
         "WASHINGTON (AP) \u2014 The Senate approved a short-term spending bill",
         "contributed to this report.",
         {"ADVERTISEMENT", "Published 2:12 PM", "By JANE DOE", "Copyright 2024",
          "All rights reserved", "More from National", "House passes stopgap", "Trending Now",
          "Welcome to the discussion", "AP Photo", "Facebook", "Government Shutdown"}, "en"},
        Expected{"en_local_paper_tables.html", "https://example-news.com/story.asp?id=18342",
         "School board votes to push back high school start time",
         "2024-03-05T10:30:00+00:00", {"Karen Whitfield"}, {}, "The Millbrook Courier", "",
         "Latn", "UTF-8",
         "MILLBROOK \u2014 Students at Millbrook High School will start their day",
         "in the Millbrook High School library.",
         {"Print this story", "Email this story", "Staff Writer", "Advertisement", "Jim's Auto",
          "Reader Comments", "Posted by", "oldtimer52", "About time", "Add your comment",
          "Top Stories", "Copyright", "Harlan Feed", "Sections", "Weather"}, "en"},
        Expected{"en_live_updates_hidden.html",
         "https://example-news.com/news/weather/storm-isolde-live-updates-power-cuts-west-coast-28841",
         "Storm Isolde live: thousands without power as 90mph gusts hit west coast",
         "2024-03-05T06:58:00+00:00", {"Sophie Lindqvist"}, {}, "Northern Post", "", "Latn",
         "UTF-8",
         "The coast road between Porthcarrow",
         "asked not to travel unless they have to.",
         {"casino", "adult", "replica", "Sponsored", "Image:", "Menu icon",
          "written by a script", "Do not remove", "Share this article", "WhatsApp",
          "Advertisement", "Subscribe", "You have read 3", "free articles", "Log in",
          "More on Storm Isolde", "All rights reserved", "enable JavaScript"}, "en"},
        Expected{"en_magazine_longform.html",
         "https://example-news.com/features/the-night-shift-at-the-edge-of-the-map",
         "The Night Shift at the Edge of the Map", "2024-03-05T00:00:00+00:00",
         {"Eleanor Vance"}, {}, "Tidewater Quarterly", "", "Latn", "UTF-8",
         "The helicopter does not land on Skerrin so much as hover above it",
         "went inside to write up the log.",
         {"Words by", "Photographs by", "14 min read", "Issue 31", "Photograph by Tomasz Lind",
          "is a staff writer", "Harbour Lights", "Share this story", "More from this issue",
          "Salt and iron", "Print is not dead", "All rights reserved", "losing.1", "1963.2"}, "en"}),
    [](const ::testing::TestParamInfo<Expected>& param_info) {
      return param_info.param.file.substr(0, 7);
    });

}  // namespace
}  // namespace crawlstream::extractor

namespace crawlstream::extractor {
namespace {

// Long-form magazine: section headings inside the text stay paragraphs,
// pull quotes (which repeat the text) and footnote markers go.
TEST(EnglishFixtureTest, MagazineKeepsHeadingsDropsPullQuotesAndFootnoteMarks) {
  Extractor ex{ExtractorOptions{}};
  PageInput in;
  in.body = ReadFixture("en_magazine_longform.html");
  in.url = "https://example-news.com/features/the-night-shift-at-the-edge-of-the-map";
  auto a = ex.Extract(in);
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  const std::string& body = a->body();
  EXPECT_NE(body.find("\n\nThe logbooks\n\n"), std::string::npos) << body;
  EXPECT_NE(body.find("\n\nLeaving the rock\n\n"), std::string::npos);
  const std::string quote = "Somebody should write down that there were people here";
  const size_t first = body.find(quote);
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(body.find(quote, first + 1), std::string::npos) << "pull quote repeated";
  EXPECT_EQ(body.find("losing.1"), std::string::npos);
  EXPECT_EQ(body.find("1963.2"), std::string::npos);
}

TEST(EnglishFixtureTest, ExtractsArticleAndMetadata) {
  std::string html = ReadFixture("english_news.html");
  Extractor ex{ExtractorOptions{}};
  PageInput in;
  in.body = html;
  in.url = "https://www.example-gazette.co.uk/news/river-crossing-approved?utm_source=tw";
  auto a = ex.Extract(in);
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(a->title(), "Council approves new river crossing after decade of debate");
  EXPECT_EQ(a->published_at(), "2024-03-05T10:30:00+00:00");
  EXPECT_EQ(std::vector<std::string>(a->authors().begin(), a->authors().end()),
            (std::vector<std::string>{"Jane Doe", "John Roe"}));

  EXPECT_EQ(a->publisher(), "The Example Gazette");
  EXPECT_EQ(a->language(), "en");
  EXPECT_EQ(a->script(), "Latn");
  EXPECT_EQ(a->canonical_url(), "https://www.example-gazette.co.uk/news/river-crossing-approved");
  EXPECT_EQ(a->site(), "example-gazette.co.uk");
  EXPECT_TRUE(a->body().starts_with("The city council voted on Tuesday"));
  EXPECT_TRUE(a->body().ends_with("open to the public in 2027."));
  for (const char* gone : {"Home", "Sport", "cookies", "Share this", "Twitter", "Advertisement",
                           "Related stories", "Bridge plan delayed", "All rights reserved",
                           "Privacy", "By Jane Doe", "5 March 2024"})
    EXPECT_EQ(a->body().find(gone), std::string::npos) << gone;
}

}  // namespace
}  // namespace crawlstream::extractor
