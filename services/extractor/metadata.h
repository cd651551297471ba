// Article metadata: title, publish time, people, outlets. Language:
// language.h; URLs and the site's registrable domain: services/common/url.h.
//
// Sources in order of trust: JSON-LD (headline, datePublished, author,
// publisher), <meta> (og:*, article:published_time, author, ...), <time
// datetime>, then the visible byline text around the article (Chinese
// bylines such as `来源:光明网2024-07-05 13:53`, `(记者 金昱希)`,
// `[ 责编:杨亚楠 ]`, `本文转自:经济日报`, `發布時間: 2024-01-30`).
//
// Dates: a date needs year, month and day; a date without a year
// (`11月30日`) is never completed. A missing time is 00:00:00; a missing
// zone takes `default_utc_offset_minutes` (the site's zone). Output is RFC
// 3339 with offset, e.g. "2024-07-05T13:53:00+08:00". Only when a page has
// no such date, a line that is nothing but a year and month (`2003年5月`,
// a magazine issue `——《北京之春》1996年6月号`) gives a month-precision date:
// the first of the month, marked as such (Article.published_precision).
// All functions are pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crawlstream::extractor {

struct DateTime {
  int year = 0, month = 0, day = 0;
  int hour = 0, minute = 0, second = 0;
  bool has_time = false;
  bool has_zone = false;
  int offset_minutes = 0;
  size_t begin = 0, end = 0;  // byte span of the match in the input
};

// First complete date (with year) in `text`, or nullopt: numeric forms
// ("2024-07-05 13:53", "2024年7月5日", "9/17/2004 5:54 AM") and English
// month names ("March 5, 2024 10:30 am", "5 March 2024").
std::optional<DateTime> FindDate(std::string_view text);
// Numeric forms only.
std::optional<DateTime> FindNumericDate(std::string_view text);
// The year and month when `line` is nothing but a date without a day or an
// issue citation: "2003年5月", "——《北京之春》1996年6月号", "(原载《X》2001年3月)".
// Day 1, no time. A year and month inside a sentence are not a date of the
// page (nullopt).
std::optional<DateTime> FindMonthDate(std::string_view line);
// When `instant` carries a zone and `local` (a visible byline time without
// zone) shows the same moment in another zone, returns `instant` re-expressed
// in that zone (offset = local - instant, whole quarter hours, |offset| <=
// 14 h). Otherwise returns `instant` unchanged.
DateTime ReexpressInPageZone(const DateTime& instant, const DateTime& local);
// RFC 3339 rendering; a date without zone gets `default_offset_minutes`.
std::string FormatRfc3339(const DateTime& dt, int default_offset_minutes);

// Names after 记者 / 作者 / 文/ / By in a byline line, in order.
std::vector<std::string> FindAuthors(std::string_view line);
// The names when `line` is nothing but one to six personal names ("胡平",
// "赵延东、风笑天", "赵  培"): the author line printed under a headline.
std::vector<std::string> NamesOnlyLine(std::string_view line);
// Names after 责编 / 责任编辑 / 编辑.
std::vector<std::string> FindEditors(std::string_view line);
// Outlet after 本文转自 / 转自 / 来源 (and Traditional forms); empty if none.
// `strong` is set for 转自 forms (explicit repost).
std::string FindSourceOutlet(std::string_view line, bool* strong = nullptr);

// The news agency of a wire dateline at the start of a paragraph:
// "WASHINGTON (AP) —" -> "The Associated Press", "LONDON (Reuters) -" ->
// "Reuters" (also AFP, Bloomberg, UPI, dpa, Xinhua); empty otherwise.
std::string FindWireAgency(std::string_view paragraph);

// Title without the site-name suffix ("标题_光明网" -> "标题"); the suffix
// is stored in *site_name when given.
std::string StripTitleSuffix(std::string_view title, std::string* site_name);

}  // namespace crawlstream::extractor
