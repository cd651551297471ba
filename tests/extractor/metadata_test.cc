#include "services/extractor/metadata.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace crawlstream::extractor {
namespace {

struct DateCase {
  const char* text;
  const char* want;  // "" = no date
};

TEST(MetadataTest, ByAfterADateOrPostedNamesTheWriterOrHandle) {
  EXPECT_EQ(FindAuthors("〓 网易娱乐 明星话题 发布时间 2005/03/15 22:36:13 by duscha 〓"),
            std::vector<std::string>{"duscha"});
  EXPECT_EQ(FindAuthors("Posted on March 5, 2024 by jsmith"),
            std::vector<std::string>{"jsmith"});
  EXPECT_EQ(FindAuthors("Posted by Jane Doe"), std::vector<std::string>{"Jane Doe"});
  EXPECT_EQ(FindAuthors("Updated 10:30 pm by Alex Kim"), std::vector<std::string>{"Alex Kim"});
  EXPECT_TRUE(FindAuthors("Powered by Discuz!").empty());
  EXPECT_TRUE(FindAuthors("prices rose by 5% in 2023 by most measures").empty());
  EXPECT_TRUE(FindAuthors("stand by me").empty());
  EXPECT_TRUE(FindAuthors("Sales grew in 2023 by most measures.").empty());
  EXPECT_TRUE(FindAuthors("The bridge was completed in 1937 by Joseph Strauss.").empty());
  EXPECT_TRUE(FindAuthors("The report was sent to the team by Friday").empty());
  // Initials do not decide whether a name is in capitals.
  EXPECT_EQ(FindAuthors("By J. Smith"), std::vector<std::string>{"J. Smith"});
  EXPECT_EQ(FindAuthors("By J.K. Rowling"), std::vector<std::string>{"J.K. Rowling"});
  EXPECT_EQ(FindAuthors("By JD Vance"), std::vector<std::string>{"JD Vance"});
  EXPECT_EQ(FindAuthors("By JANE DOE and JOHN ROE Associated Press"),
            (std::vector<std::string>{"Jane Doe", "John Roe"}));
}

TEST(MetadataTest, MonthDateOnlyFromADateLineOrAnIssueCitation) {
  struct Case {
    const char* line;
    int year, month;  // 0: no date
  } cases[] = {
      {"2003年5月", 2003, 5},
      {"　　2003 年 5 月　", 2003, 5},
      {"——《北京之春》1996年6月号", 1996, 6},
      {"（原载《读书》2001年3月）", 2001, 3},
      {"選自「明報月刊」1999年12月號", 1999, 12},
      {"2003年5月，公司成立。", 0, 0},      // inside a sentence
      {"据《人民日报》2003年5月报道", 0, 0},  // a sentence
      {"2003年13月", 0, 0},
      {"1850年5月", 0, 0},
      {"5月", 0, 0},
  };
  for (const auto& c : cases) {
    auto dt = FindMonthDate(c.line);
    if (c.year == 0) {
      EXPECT_FALSE(dt.has_value()) << c.line;
      continue;
    }
    ASSERT_TRUE(dt.has_value()) << c.line;
    EXPECT_EQ(dt->year, c.year) << c.line;
    EXPECT_EQ(dt->month, c.month) << c.line;
    EXPECT_EQ(dt->day, 1) << c.line;
    EXPECT_FALSE(dt->has_time) << c.line;
  }
}

TEST(MetadataTest, FindsDates) {
  const DateCase cases[] = {
      {"来源：光明网2024-07-05 13:53", "2024-07-05T13:53:00+08:00"},
      {"2024年7月5日", "2024-07-05T00:00:00+08:00"},
      {"发布时间：2024年07月05日 09时08分", "2024-07-05T09:08:00+08:00"},
      {"發布時間: 2024-01-30", "2024-01-30T00:00:00+08:00"},
      {"2005-5-7 21:23:57", "2005-05-07T21:23:57+08:00"},
      {"2024/02/14 05:21:00", "2024-02-14T05:21:00+08:00"},
      {"2022-02-06T12:48:06+00:00", "2022-02-06T12:48:06+00:00"},
      {"2022-02-06T12:48:06Z", "2022-02-06T12:48:06+00:00"},
      {"2022-02-06T12:48:06.123-0500", "2022-02-06T12:48:06-05:00"},
      {"发布日期： 9/17/2004 5:54:13 AM", "2004-09-17T05:54:13+08:00"},
      {"9/17/2004 5:54 PM", "2004-09-17T17:54:00+08:00"},
      {"2004年7月16日08:19 [ 黄宇 ]", "2004-07-16T08:19:00+08:00"},
      {"Published March 5, 2024 10:30 am GMT", "2024-03-05T10:30:00+00:00"},
      {"Updated 5 March 2024", "2024-03-05T00:00:00+08:00"},
      {"Sept. 17th, 2004, 5:54 PM", "2004-09-17T17:54:00+08:00"},
      {"May 2024", ""},
      {"March 5", ""},
      // A date without a year is never completed.
      {"11月30日，据工信部官网消息", ""},
      {"7月5日", ""},
      // Not dates.
      {"2024-13-01", ""},
      {"2023-02-30", ""},
      {"电话：010-65363056", ""},
      {"12345-06-07", ""},
  };
  for (const auto& c : cases) {
    auto dt = FindDate(c.text);
    std::string got = dt ? FormatRfc3339(*dt, 480) : "";
    EXPECT_EQ(got, c.want) << c.text;
  }
}

TEST(MetadataTest, FormatsOffsets) {
  DateTime dt;
  dt.year = 2024; dt.month = 1; dt.day = 2;
  EXPECT_EQ(FormatRfc3339(dt, -330), "2024-01-02T00:00:00-05:30");
  EXPECT_EQ(FormatRfc3339(dt, 0), "2024-01-02T00:00:00+00:00");
}

TEST(MetadataTest, ReexpressesUtcInThePageZone) {
  auto instant = FindDate("2022-02-06T12:48:06+00:00");
  auto local = FindDate("2022-02-06 13:48");
  ASSERT_TRUE(instant && local);
  EXPECT_EQ(FormatRfc3339(ReexpressInPageZone(*instant, *local), 0),
            "2022-02-06T13:48:06+01:00");
  auto shanghai = FindDate("2022-02-06 20:48");
  EXPECT_EQ(FormatRfc3339(ReexpressInPageZone(*instant, *shanghai), 0),
            "2022-02-06T20:48:06+08:00");
  // Day-first display ("06/02/2022 - 13:48") is recognised.
  auto day_first = FindDate("发表时间： 06/02/2022 - 13:48");
  ASSERT_TRUE(day_first);
  EXPECT_EQ(FormatRfc3339(ReexpressInPageZone(*instant, *day_first), 0),
            "2022-02-06T13:48:06+01:00");
  // A different moment (not a whole quarter hour apart) is left alone.
  auto other = FindDate("2022-02-06 13:41");
  EXPECT_EQ(FormatRfc3339(ReexpressInPageZone(*instant, *other), 0),
            "2022-02-06T12:48:06+00:00");
  auto far = FindDate("2022-02-09 13:48");
  EXPECT_EQ(FormatRfc3339(ReexpressInPageZone(*instant, *far), 0),
            "2022-02-06T12:48:06+00:00");
}

TEST(MetadataTest, FindsAuthors) {
  const std::pair<const char*, std::vector<std::string>> cases[] = {
      {"光明网讯(记者 金昱希)", {"金昱希"}},
      {"光明日报记者 王建宏 张文攀", {"王建宏", "张文攀"}},
      {"作者：宋怡 杨志华", {"宋怡", "杨志华"}},
      {"作者: zboygirl 阅读次数: 12", {"zboygirl"}},
      {"文/张三", {"张三"}},
      {"By Jane Doe and John Roe", {"Jane Doe", "John Roe"}},
      {"（姚峰 上海报道）", {"姚峰"}},
      {"新京报记者 彭冲 山东冠县报道", {"彭冲"}},
      {"2004年7月16日08:19 [ 黄宇 ] 来源：[ 国际金融报 ]", {"黄宇"}},
      {"执笔人：闵乐夫 赵兰波", {"闵乐夫", "赵兰波"}},
      {"作者：周思博 (Joel Spolsky)", {"周思博 (Joel Spolsky)"}},
      {"作者：赵  培", {"赵培"}},
      {"记者从工信部获悉", {}},
      {"记者5月2日从科技部获悉", {}},
      {"作者： size=\"20\"", {}},
  };
  for (const auto& [line, want] : cases) EXPECT_EQ(FindAuthors(line), want) << line;
}

TEST(MetadataTest, FindsEditors) {
  EXPECT_EQ(FindEditors("[ 责编：杨亚楠 ]"), std::vector<std::string>{"杨亚楠"});
  EXPECT_EQ(FindEditors("（ 责任编辑：魏喆 ）"), std::vector<std::string>{"魏喆"});
  EXPECT_EQ(FindEditors("来源：巴彦淖尔日报 编辑：苏亮"), std::vector<std::string>{"苏亮"});
  EXPECT_TRUE(FindEditors("编辑部的故事").empty());
}

TEST(MetadataTest, FindsSourceOutlet) {
  bool strong = false;
  EXPECT_EQ(FindSourceOutlet("本文转自：经济日报", &strong), "经济日报");
  EXPECT_TRUE(strong);
  EXPECT_EQ(FindSourceOutlet("轉自:央視網", &strong), "央視網");
  EXPECT_EQ(FindSourceOutlet("来源：光明网2024-07-05 13:53", &strong), "光明网");
  EXPECT_FALSE(strong);
  EXPECT_EQ(FindSourceOutlet("來源：科技日報"), "科技日報");
  EXPECT_EQ(FindSourceOutlet("来源：本站原创"), "");
  EXPECT_EQ(FindSourceOutlet("没有来源的句子"), "");
}

TEST(MetadataTest, StripsTitleSuffix) {
  std::string site;
  EXPECT_EQ(StripTitleSuffix("工信部：再建设一批创新中心_光明网", &site),
            "工信部：再建设一批创新中心");
  EXPECT_EQ(site, "光明网");
  EXPECT_EQ(StripTitleSuffix("工商部门初定SKII广告属于虚假宣传-搜狐财经", &site),
            "工商部门初定SKII广告属于虚假宣传");
  EXPECT_EQ(site, "搜狐财经");
  EXPECT_EQ(StripTitleSuffix("A headline about COVID-19 | The Paper", &site),
            "A headline about COVID-19");
  EXPECT_EQ(StripTitleSuffix("只有标题", &site), "只有标题");
  EXPECT_EQ(site, "");
}

}  // namespace
}  // namespace crawlstream::extractor
