#include "services/extractor/metadata.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <utility>

#include "services/extractor/keywords.h"
#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' ||
                        s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' ||
                        s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Reads 1..max_digits digits at *i.
std::optional<int> ReadInt(std::string_view s, size_t* i, int min_digits,
                           int max_digits) {
  size_t j = *i;
  int v = 0, n = 0;
  while (j < s.size() && IsDigit(s[j]) && n < max_digits) {
    v = v * 10 + (s[j] - '0');
    ++j;
    ++n;
  }
  if (n < min_digits) return std::nullopt;
  if (j < s.size() && IsDigit(s[j])) return std::nullopt;  // too many digits
  *i = j;
  return v;
}

bool Eat(std::string_view s, size_t* i, std::string_view lit) {
  if (s.substr(*i, lit.size()) == lit) {
    *i += lit.size();
    return true;
  }
  return false;
}

void SkipSpaces(std::string_view s, size_t* i, int max = 8) {
  for (int k = 0; k < max && *i < s.size(); ++k) {
    if (s[*i] == ' ' || s[*i] == '\t') {
      ++*i;
    } else if (!Eat(s, i, "\xC2\xA0") && !Eat(s, i, "\xE3\x80\x80")) {
      break;
    }
  }
}

bool DateSep(std::string_view s, size_t* i, std::string_view han) {
  if (*i < s.size() && (s[*i] == '-' || s[*i] == '/' || s[*i] == '.')) {
    ++*i;
    return true;
  }
  return Eat(s, i, han);
}

bool DaysOk(int y, int m, int d) {
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return !(m == 2 && d == 29 && !leap);
}

std::optional<DateTime> ParseAt(std::string_view s, size_t start) {
  size_t i = start;
  auto year = ReadInt(s, &i, 4, 4);
  if (!year || *year < 1990 || *year > 2099) return std::nullopt;
  if (!DateSep(s, &i, "年")) return std::nullopt;
  auto month = ReadInt(s, &i, 1, 2);
  if (!month) return std::nullopt;
  if (!DateSep(s, &i, "月")) return std::nullopt;
  auto day = ReadInt(s, &i, 1, 2);
  if (!day || !DaysOk(*year, *month, *day)) return std::nullopt;
  Eat(s, &i, "日");
  Eat(s, &i, "号");
  DateTime dt{.year = *year, .month = *month, .day = *day, .begin = start, .end = i};
  size_t j = i;
  if (j < s.size() && s[j] == 'T') {
    ++j;
  } else {
    SkipSpaces(s, &j);
  }
  size_t t0 = j;
  auto hour = ReadInt(s, &j, 1, 2);
  if (hour && *hour < 24 &&
      (Eat(s, &j, ":") || Eat(s, &j, "：") || Eat(s, &j, "时") ||
       Eat(s, &j, "點") || Eat(s, &j, "点"))) {
    auto minute = ReadInt(s, &j, 2, 2);
    if (minute && *minute < 60) {
      dt.has_time = true;
      dt.hour = *hour;
      dt.minute = *minute;
      Eat(s, &j, "分");
      size_t k = j;
      if (Eat(s, &k, ":") || Eat(s, &k, "：")) {
        auto sec = ReadInt(s, &k, 2, 2);
        if (sec && *sec < 61) {
          dt.second = std::min(*sec, 59);
          j = k;
          if (j < s.size() && s[j] == '.') {
            ++j;
            while (j < s.size() && IsDigit(s[j])) ++j;
          }
        }
      }
      Eat(s, &j, "秒");
      // Zone.
      size_t z = j;
      SkipSpaces(s, &z, 1);
      if (z < s.size() && s[z] == 'Z') {
        dt.has_zone = true;
        dt.offset_minutes = 0;
        j = z + 1;
      } else if (z < s.size() && (s[z] == '+' || s[z] == '-') &&
                 z + 1 < s.size() && IsDigit(s[z + 1])) {
        int sign = s[z] == '-' ? -1 : 1;
        size_t q = z + 1;
        auto hh = ReadInt(s, &q, 2, 2);
        if (!hh) {
          // "+0800"
          q = z + 1;
          auto hhmm = ReadInt(s, &q, 4, 4);
          if (hhmm && *hhmm / 100 <= 14) {
            dt.has_zone = true;
            dt.offset_minutes = sign * ((*hhmm / 100) * 60 + *hhmm % 100);
            j = q;
          }
        } else if (*hh <= 14) {
          int mm = 0;
          if (Eat(s, &q, ":")) {
            auto m2 = ReadInt(s, &q, 2, 2);
            if (m2) mm = *m2;
          }
          dt.has_zone = true;
          dt.offset_minutes = sign * (*hh * 60 + mm);
          j = q;
        }
      }
      dt.end = j;
    }
  }
  (void)t0;
  return dt;
}

bool IsNameSeparator(char32_t cp) {
  return cp == ' ' || cp == 0x3001 || cp == 0xFF0C || cp == ',' ||
         cp == 0xA0 || cp == 0x3000 || cp == '/' || cp == 0xFF0F ||
         cp == ';' || cp == 0xFF1B;
}

// Words that make a Han token something other than a name (Traditional
// forms derived).
const KeywordTable& NotNames() {
  static const KeywordTable t{
      "通讯员", "编辑", "来源", "摄影", "发布", "时间", "报道", "实习生", "责编", "供图",
      "图片", "本报", "综合", "阅读", "浏览", "点击", "发表", "回复", "表示", "获悉", "了解",
      "介绍", "看到", "发现", "采访", "日期", "字号", "分享", "评论", "访问", "统计", "打印",
      "关注"};
  return t;
}

bool IsHanName(std::string_view tok) {
  size_t i = 0, n = 0;
  while (i < tok.size()) {
    char32_t cp = NextCodePoint(tok, &i);
    if (!IsHan(cp) && cp != 0xB7) return false;
    ++n;
  }
  if (n < 2 || n > 4) return false;
  if (NotNames().ContainedIn(tok)) return false;
  return true;
}

bool IsLatinName(std::string_view tok) {
  if (tok.size() < 2 || tok.size() > 30) return false;
  bool letter = false;
  for (char c : tok) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) letter = true;
  }
  return letter;
}

// Parses a list of names starting at s[i]: tokens separated by spaces or
// 、，; stops at the first token that is not a name.
std::vector<std::string> NamesAt(std::string_view s, size_t i, bool allow_latin,
                                 size_t max_names = 6) {
  std::vector<std::string> names;
  // Skip separators / colons.
  while (i < s.size()) {
    size_t j = i;
    char32_t cp = NextCodePoint(s, &j);
    if (cp == ':' || cp == 0xFF1A || IsSpace(cp) || cp == 0xFF5C ||
        cp == '|' || cp == '/' || cp == 0xFF0F) {
      i = j;
    } else {
      break;
    }
  }
  while (i < s.size() && names.size() < max_names) {
    // Token: run of Han (or Latin) characters.
    size_t start = i;
    size_t j = i;
    bool han_token = false;
    while (j < s.size()) {
      size_t k = j;
      char32_t cp = NextCodePoint(s, &k);
      if (IsHan(cp) || cp == 0xB7) {
        if (j > start && !han_token) break;
        han_token = true;
      } else if (allow_latin && cp < 0x80 &&
                 ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
                  (cp >= '0' && cp <= '9') || cp == '_' || cp == '-' ||
                  cp == '.')) {
        if (han_token) break;
      } else {
        break;
      }
      j = k;
    }
    std::string_view tok = s.substr(start, j - start);
    if (tok.empty()) break;
    std::string merged;
    if (han_token && tok.size() == 3) {
      // "赵  培": two-character names padded to three columns.
      size_t k = j;
      while (k < s.size() && (s[k] == ' ' || s.substr(k, 3) == "\xE3\x80\x80")) k += s[k] == ' ' ? 1 : 3;
      size_t m = k;
      if (k > j && m < s.size()) {
        char32_t cp = NextCodePoint(s, &m);
        size_t after = m;
        char32_t next = after < s.size() ? NextCodePoint(s, &after) : 0;
        if (IsHan(cp) && !IsHan(next)) {
          merged = std::string(tok) + std::string(s.substr(k, m - k));
          tok = merged;
          j = m;
        }
      }
    }
    bool attr_like = j < s.size() && (s[j] == '=' || s[j] == '"');
    if (attr_like || (han_token ? !IsHanName(tok) : !IsLatinName(tok))) {
      // A run longer than a name right after the keyword is a sentence.
      break;
    }
    names.emplace_back(tok);
    i = j;
    if (han_token) {
      // Translated names keep their original: "周思博 (Joel Spolsky)".
      size_t k = i;
      while (k < s.size() && s[k] == ' ') ++k;
      size_t open_len = s.substr(k, 1) == "(" ? 1 : s.substr(k, 3) == "（" ? 3 : 0;
      if (open_len > 0) {
        size_t q = k + open_len;
        while (q < s.size() && ((s[q] >= 'a' && s[q] <= 'z') || (s[q] >= 'A' && s[q] <= 'Z') ||
                                s[q] == ' ' || s[q] == '.' || s[q] == '-'))
          ++q;
        size_t close_len = s.substr(q, 1) == ")" ? 1 : s.substr(q, 3) == "）" ? 3 : 0;
        std::string_view alias = TrimSpaces(s.substr(k + open_len, q - k - open_len));
        if (close_len > 0 && alias.size() >= 3 && alias.find(' ') != std::string_view::npos) {
          names.back() += " (" + std::string(alias) + ")";
          i = q + close_len;
        }
      }
    }
    // Separator(s) then maybe another name.
    size_t seps = 0;
    while (i < s.size()) {
      size_t k = i;
      char32_t cp = NextCodePoint(s, &k);
      if (!IsNameSeparator(cp)) break;
      i = k;
      ++seps;
    }
    if (seps == 0) break;
  }
  return names;
}


}  // namespace

namespace {

// "9/17/2004 5:54:13 AM" (month/day/year, as US sites write it).
std::optional<DateTime> ParseUsAt(std::string_view s, size_t start) {
  size_t i = start;
  auto month = ReadInt(s, &i, 1, 2);
  if (!month || !Eat(s, &i, "/")) return std::nullopt;
  auto day = ReadInt(s, &i, 1, 2);
  if (!day || !Eat(s, &i, "/")) return std::nullopt;
  auto year = ReadInt(s, &i, 4, 4);
  if (!year || *year < 1990 || *year > 2099 || !DaysOk(*year, *month, *day))
    return std::nullopt;
  DateTime dt{.year = *year, .month = *month, .day = *day, .begin = start, .end = i};
  size_t j = i;
  SkipSpaces(s, &j);
  if (Eat(s, &j, "-") || Eat(s, &j, "|") || Eat(s, &j, ",")) SkipSpaces(s, &j);
  auto hour = ReadInt(s, &j, 1, 2);
  if (hour && *hour < 24 && Eat(s, &j, ":")) {
    auto minute = ReadInt(s, &j, 2, 2);
    if (minute && *minute < 60) {
      dt.has_time = true;
      dt.hour = *hour;
      dt.minute = *minute;
      if (Eat(s, &j, ":")) {
        auto sec = ReadInt(s, &j, 2, 2);
        if (sec && *sec < 60) dt.second = *sec;
      }
      size_t k = j;
      SkipSpaces(s, &k, 2);
      std::string ampm = AsciiLower(s.substr(k, 2));
      if (ampm == "pm" && dt.hour < 12) dt.hour += 12;
      if (ampm == "am" && dt.hour == 12) dt.hour = 0;
      if (ampm == "am" || ampm == "pm") j = k + 2;
      dt.end = j;
    }
  }
  return dt;
}

constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                         "jul", "aug", "sep", "oct", "nov", "dec"};

// Month name (full or 3-letter, optional '.') at s[*i]; 1..12 or 0.
int ReadMonthName(std::string_view s, size_t* i) {
  if (*i + 3 > s.size()) return 0;
  std::string m = AsciiLower(s.substr(*i, 3));
  for (int k = 0; k < 12; ++k) {
    if (m != kMonths[k]) continue;
    size_t j = *i + 3;
    while (j < s.size() && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z'))) ++j;
    if (j - *i > 9) return 0;  // not a month word
    if (j < s.size() && s[j] == '.') ++j;
    *i = j;
    return k + 1;
  }
  return 0;
}

// Optional ", 10:30 am" / " 10:30 GMT" after an English date.
void ReadEnglishTime(std::string_view s, size_t j, DateTime* dt) {
  if (j < s.size() && s[j] == ',') ++j;
  SkipSpaces(s, &j);
  Eat(s, &j, "at ");
  auto hour = ReadInt(s, &j, 1, 2);
  if (!hour || *hour > 23 || !Eat(s, &j, ":")) return;
  auto minute = ReadInt(s, &j, 2, 2);
  if (!minute || *minute > 59) return;
  dt->has_time = true;
  dt->hour = *hour;
  dt->minute = *minute;
  size_t k = j;
  SkipSpaces(s, &k, 2);
  std::string ampm = AsciiLower(s.substr(k, 2));
  if (ampm == "pm" && dt->hour < 12) dt->hour += 12;
  if (ampm == "am" && dt->hour == 12) dt->hour = 0;
  if (ampm == "am" || ampm == "pm") k += 2;
  SkipSpaces(s, &k, 2);
  std::string zone = AsciiLower(s.substr(k, 3));
  if (zone == "utc" || zone == "gmt") {
    dt->has_zone = true;
    dt->offset_minutes = 0;
  }
  dt->end = k;
}

// "March 5, 2024", "Mar. 5 2024", "5 March 2024".
std::optional<DateTime> ParseEnglishAt(std::string_view s, size_t start) {
  size_t i = start;
  int month = 0, day = 0;
  if (int m = ReadMonthName(s, &i)) {
    month = m;
    SkipSpaces(s, &i);
    auto d = ReadInt(s, &i, 1, 2);
    if (!d) return std::nullopt;
    day = *d;
    for (std::string_view suf : {"st", "nd", "rd", "th"}) Eat(s, &i, suf);
    Eat(s, &i, ",");
    SkipSpaces(s, &i);
  } else {
    auto d = ReadInt(s, &i, 1, 2);
    if (!d) return std::nullopt;
    day = *d;
    for (std::string_view suf : {"st", "nd", "rd", "th"}) Eat(s, &i, suf);
    SkipSpaces(s, &i);
    month = ReadMonthName(s, &i);
    if (month == 0) return std::nullopt;
    Eat(s, &i, ",");
    SkipSpaces(s, &i);
  }
  auto year = ReadInt(s, &i, 4, 4);
  if (!year || *year < 1990 || *year > 2099 || !DaysOk(*year, month, day))
    return std::nullopt;
  DateTime dt{.year = *year, .month = month, .day = day, .begin = start, .end = i};
  ReadEnglishTime(s, i, &dt);
  return dt;
}

}  // namespace

std::optional<DateTime> FindDate(std::string_view text) {
  // English month names first only when the text has no numeric date.
  std::optional<DateTime> english;
  for (size_t i = 0; i + 8 <= text.size() && !english; ++i) {
    char c = text[i];
    bool word_start = i == 0 || !((text[i - 1] >= 'a' && text[i - 1] <= 'z') ||
                                  (text[i - 1] >= 'A' && text[i - 1] <= 'Z') ||
                                  IsDigit(text[i - 1]));
    if (word_start && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c)))
      english = ParseEnglishAt(text, i);
  }
  if (auto numeric = FindNumericDate(text)) {
    if (!english || numeric->begin < english->begin) return numeric;
  }
  return english;
}

namespace {

// Numeric dates: "2024-07-05 13:53", "2024年7月5日", "9/17/2004 5:54 AM".
std::optional<DateTime> FindNumericDateImpl(std::string_view text) {
  for (size_t i = 0; i + 8 <= text.size(); ++i) {
    if (!IsDigit(text[i]) || (i > 0 && IsDigit(text[i - 1]))) continue;
    if (text[i] == '1' || text[i] == '2') {
      if (auto dt = ParseAt(text, i)) return dt;
    }
    if (i > 0 && text[i - 1] == '/') continue;
    if (auto dt = ParseUsAt(text, i)) return dt;
  }
  return std::nullopt;
}

}  // namespace

std::optional<DateTime> FindNumericDate(std::string_view text) {
  return FindNumericDateImpl(text);
}

std::optional<DateTime> FindMonthDate(std::string_view line) {
  size_t i = 0;
  const size_t n = line.size();
  auto skip_blank = [&] {
    for (size_t before = n + 1; before != i;) {
      before = i;
      SkipSpaces(line, &i);
    }
  };
  skip_blank();
  // Leading dash or bracket of a citation line: "——《北京之春》1996年6月号".
  while (Eat(line, &i, "—") || Eat(line, &i, "-") ||
         Eat(line, &i, "(") || Eat(line, &i, "（")) {
  }
  skip_blank();
  static const KeywordTable kCitationVerbs{"原载", "原刊", "刊于", "载于", "发表于", "选自",
                                           "摘自"};
  for (const std::string& verb : kCitationVerbs.entries()) {
    if (Eat(line, &i, verb)) break;
  }
  Eat(line, &i, ":") || Eat(line, &i, "：");
  skip_blank();
  // Optional publication name in 《》 or 「」.
  for (auto [open, close] : {std::pair<std::string_view, std::string_view>{"《", "》"},
                             {"「", "」"}}) {
    if (!Eat(line, &i, open)) continue;
    const size_t end = line.find(close, i);
    if (end == std::string_view::npos || end - i > 60) return std::nullopt;
    i = end + close.size();
    break;
  }
  skip_blank();
  auto year = ReadInt(line, &i, 4, 4);
  if (!year || *year < 1900 || *year > 2099) return std::nullopt;
  SkipSpaces(line, &i);
  if (!Eat(line, &i, "年")) return std::nullopt;
  SkipSpaces(line, &i);
  auto month = ReadInt(line, &i, 1, 2);
  if (!month || *month < 1 || *month > 12) return std::nullopt;
  SkipSpaces(line, &i);
  if (!Eat(line, &i, "月")) return std::nullopt;
  // An issue: "号" / "號" / "刊"; then only closing punctuation.
  Eat(line, &i, "号") || Eat(line, &i, "號") || Eat(line, &i, "刊");
  for (std::string_view tail : {")", "）", "。"}) Eat(line, &i, tail);
  skip_blank();
  if (i != n) return std::nullopt;  // more text: a date inside a sentence
  return DateTime{.year = *year, .month = *month, .day = 1};
}

namespace {

// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t WallMinutes(const DateTime& dt) {
  return DaysFromCivil(dt.year, dt.month, dt.day) * 1440 + dt.hour * 60 + dt.minute;
}

}  // namespace

DateTime ReexpressInPageZone(const DateTime& instant, const DateTime& local) {
  if (!instant.has_zone || !instant.has_time || local.has_zone || !local.has_time)
    return instant;
  int64_t utc = WallMinutes(instant) - instant.offset_minutes;
  auto plausible = [&](const DateTime& l, int64_t* offset) {
    *offset = WallMinutes(l) - utc;
    return *offset != instant.offset_minutes && *offset % 15 == 0 &&
           *offset <= 14 * 60 && *offset >= -14 * 60;
  };
  int64_t offset = 0;
  DateTime candidate = local;
  if (!plausible(candidate, &offset)) {
    // "06/02/2022" may be day/month: try the other reading.
    if (local.day > 12) return instant;
    std::swap(candidate.day, candidate.month);
    if (!DaysOk(candidate.year, candidate.month, candidate.day) ||
        !plausible(candidate, &offset))
      return instant;
  }
  DateTime out = candidate;
  out.second = instant.second;
  out.has_zone = true;
  out.offset_minutes = static_cast<int>(offset);
  return out;
}

std::string FormatRfc3339(const DateTime& dt, int default_offset_minutes) {
  int off = dt.has_zone ? dt.offset_minutes : default_offset_minutes;
  char buf[64];
  char sign = off < 0 ? '-' : '+';
  int a = off < 0 ? -off : off;
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
                dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, sign,
                a / 60, a % 60);
  return buf;
}

std::vector<std::string> FindAuthors(std::string_view line) {
  std::vector<std::string> out;
  auto add_all = [&](std::vector<std::string> names) {
    for (auto& n : names)
      if (std::find(out.begin(), out.end(), n) == out.end())
        out.push_back(std::move(n));
  };
  struct Key {
    bool latin;        // Latin names may follow
    bool needs_colon;  // only as "作者：X"
  };
  static const auto kKeys = WithTraditional<Key>({
      {"记者", {false, false}},   {"作者", {true, true}},     {"撰稿", {false, true}},
      {"撰文", {false, true}},    {"文/", {true, false}},     {"文／", {true, false}},
      {"文|", {true, false}},     {"文｜", {true, false}},    {"发布者", {true, true}},
      {"发表者", {true, true}},   {"楼主", {true, true}},     {"博主", {true, true}},
      {"发帖人", {true, true}},   {"执笔人", {false, true}},  {"执笔", {false, true}},
      {"撰稿人", {false, true}},  {"通讯员", {false, false}}, {"实习生", {false, false}},
  });
  for (const auto& [word, k] : kKeys) {
    size_t pos = 0;
    while ((pos = line.find(word, pos)) != std::string_view::npos) {
      size_t after = pos + word.size();
      if (k.needs_colon) {
        size_t j = after;
        while (j < line.size() && line[j] == ' ') ++j;
        if (!(line.substr(j, 1) == ":" || line.substr(j, 3) == "：")) {
          pos = after;
          continue;
        }
      }
      add_all(NamesAt(line, after, k.latin));
      pos = after;
    }
  }
  // "姚峰 上海报道": names before a "<place>报道" token.
  if (out.empty()) {
    static const KeywordTable kReported{"报道"};
    for (std::string_view rep : kReported.entries()) {
      size_t pos = line.find(rep);
      if (pos == std::string_view::npos || pos == 0) continue;
      // Start of the run of space-separated tokens ending at `pos`.
      std::string_view head = line.substr(0, pos);
      size_t last_space = head.find_last_of(' ');
      if (last_space == std::string_view::npos) continue;
      std::string_view names_part = TrimSpaces(head.substr(0, last_space));
      // Walk back over name tokens separated by spaces.
      std::vector<std::string> rev;
      std::string_view rest = names_part;
      while (!rest.empty()) {
        size_t sp = rest.find_last_of(' ');
        std::string_view tok = sp == std::string_view::npos ? rest : rest.substr(sp + 1);
        if (tok.starts_with("(")) tok.remove_prefix(1);
        if (tok.starts_with("（")) tok.remove_prefix(3);
        if (!IsHanName(tok)) break;
        rev.emplace_back(tok);
        if (sp == std::string_view::npos) break;
        rest = TrimSpaces(rest.substr(0, sp));
      }
      for (auto it = rev.rbegin(); it != rev.rend(); ++it) add_all({*it});
      if (!out.empty()) break;
    }
  }
  // "2004年7月16日08:19 [ 黄宇 ]": a bracketed name right after a date.
  if (out.empty()) {
    if (auto dt = FindDate(line)) {
      size_t i = dt->end;
      while (i < line.size() && line[i] == ' ') ++i;
      if (line.substr(i, 1) == "[" || line.substr(i, 3) == "【") {
        i += line[i] == '[' ? 1 : 3;
        size_t close = line.find_first_of("]", i);
        size_t close2 = line.find("】", i);
        close = std::min(close, close2);
        if (close != std::string_view::npos) {
          std::string_view inner = TrimSpaces(line.substr(i, close - i));
          if (IsHanName(inner)) add_all({std::string(inner)});
        }
      }
    }
  }
  // English "By First Last" at the start of a byline (or after a
  // separator, a date or "Posted"/"Written"); "Powered by Discuz!" is not a
  // byline. After a date or "Posted", a user handle ("by duscha") counts.
  for (std::string_view by : {std::string_view("By "), std::string_view("by ")}) {
    size_t pos = line.find(by);
    if (pos == std::string_view::npos) continue;
    std::string_view before = TrimSpaces(line.substr(0, pos));
    // A time ("22:36:13", "10:30 PM") or a numeric date ("2024-03-05",
    // "3/5/2024") right before "by", or the verbs "Posted"/"Written": not a
    // year in a sentence ("completed in 1937 by ..."), not "team by".
    auto ends_with_time_or_date = [](std::string_view b) {
      for (std::string_view ampm : {" AM", " PM", " am", " pm", "AM", "PM", "am", "pm"}) {
        if (b.ends_with(ampm) && b.size() > ampm.size() &&
            IsDigit(b[b.size() - ampm.size() - 1])) {
          b.remove_suffix(ampm.size());
          break;
        }
      }
      while (!b.empty() && b.back() == ' ') b.remove_suffix(1);
      size_t digits = 0;
      while (digits < b.size() && IsDigit(b[b.size() - 1 - digits])) ++digits;
      if (digits == 0 || digits == b.size()) return false;
      const char sep = b[b.size() - 1 - digits];
      return sep == ':' || sep == '-' || sep == '/' || sep == '.';
    };
    auto date_right_before = [](std::string_view b) {
      auto dt = FindDate(b);
      return dt.has_value() && dt->end + 2 >= b.size();
    };
    const bool after_date_or_verb =
        ends_with_time_or_date(before) || date_right_before(before) ||
        before.ends_with("Posted") ||
        before.ends_with("posted") || before.ends_with("Written") || before.ends_with("written");
    // "Words by X · Photographs by Y": the writer's credit.
    const bool credit = before == "Words" || before == "Text" || before == "Story" ||
                        before == "Reporting" || before == "Report" || before == "Article";
    if (!before.empty() && !before.ends_with("|") && !before.ends_with("·") &&
        !before.ends_with("\xE2\x80\x94") && !after_date_or_verb && !credit)
      continue;
    size_t i = pos + 3;
    if (after_date_or_verb && i < line.size() && line[i] >= 'a' && line[i] <= 'z') {
      size_t j = i;
      while (j < line.size() && j - i < 30 &&
             ((line[j] >= 'a' && line[j] <= 'z') || (line[j] >= 'A' && line[j] <= 'Z') ||
              IsDigit(line[j]) || line[j] == '_' || line[j] == '-' || line[j] == '.'))
        ++j;
      // The handle ends the line (but for decoration such as "〓" or "|"):
      // "in 2023 by most measures" is a sentence.
      bool ends = true;
      for (size_t k = j; k < line.size() && ends;) {
        const char32_t cp = NextCodePoint(line, &k);
        if (IsHan(cp) || (cp < 0x80 && std::isalnum(static_cast<int>(cp)))) ends = false;
      }
      if (j - i >= 2 && ends) out.emplace_back(line.substr(i, j - i));
      continue;
    }
    // Names: capitalised words. A name in capitals ("JANE DOE") ends where
    // the capitals do ("JOHN ROE Associated Press") and is title-cased; an
    // outlet or a job title ends any name.
    // Whether a word decides the case of the name: three letters or more,
    // no initials ("J.", "J.K.", "JD" are neutral).
    auto decisive = [](std::string_view w) {
      int letters = 0;
      for (char c : w) {
        if (c == '.') return false;
        letters += (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      }
      return letters >= 3;
    };
    auto all_caps = [](std::string_view w) {
      for (char c : w)
        if (c >= 'a' && c <= 'z') return false;
      return true;
    };
    auto push = [&](std::string n, bool caps) {
      if (n.empty()) return;
      if (caps) {
        bool start = true;
        for (char& c : n) {
          if (c >= 'A' && c <= 'Z' && !start) c = static_cast<char>(c - 'A' + 'a');
          start = c == ' ' || c == '-' || c == '\'';
        }
      }
      out.push_back(std::move(n));
    };
    std::string name;
    int words = 0;
    bool caps = false, caps_known = false;
    while (i < line.size() && words < 4) {
      if (!(line[i] >= 'A' && line[i] <= 'Z')) break;
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != ',') ++j;
      const std::string_view word = line.substr(i, j - i);
      bool alpha = true;
      for (char c : word) {
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
              c == '-' || c == '\''))
          alpha = false;
      }
      if (!alpha) break;
      bool stop = false;
      for (std::string_view org : {"Associated", "Press", "Reuters", "AFP", "AP", "Bloomberg",
                                   "Staff", "Writer", "Reporter", "Correspondent", "Editor",
                                   "Contributor", "Updated", "Published", "Xinhua", "CNN",
                                   "BBC", "News", "The"})
        stop = stop || word == org;
      if (stop) break;
      if (decisive(word)) {
        if (!caps_known) {
          caps = all_caps(word);
          caps_known = true;
        } else if (all_caps(word) != caps) {
          break;  // "JOHN ROE Associated Press"
        }
      }
      if (!name.empty()) name += ' ';
      name += std::string(word);
      ++words;
      i = j;
      if (i < line.size() && line[i] == ' ') ++i;
      else break;
      if (line.substr(i, 4) == "and " || line.substr(i, 4) == "AND ") {
        if (words > 0) {
          push(std::move(name), caps);
          name.clear();
          words = 0;
          caps_known = false;
        }
        i += 4;
      }
    }
    if (!name.empty() && words >= 1) push(std::move(name), caps);
  }
  return out;
}

std::string FindWireAgency(std::string_view paragraph) {
  static constexpr std::pair<std::string_view, std::string_view> kAgencies[] = {
      {"(AP)", "The Associated Press"}, {"(Reuters)", "Reuters"},
      {"(AFP)", "Agence France-Presse"}, {"(Bloomberg)", "Bloomberg"},
      {"(UPI)", "United Press International"}, {"(dpa)", "dpa"},
      {"(Xinhua)", "Xinhua"}};
  const std::string_view head = paragraph.substr(0, 80);
  for (const auto& [mark, name] : kAgencies) {
    const size_t at = head.find(mark);
    if (at == std::string_view::npos || at == 0) continue;
    // A dateline: upper-case place before, a dash after.
    std::string_view place = TrimSpaces(head.substr(0, at));
    bool upper = !place.empty();
    for (char c : place)
      if (c >= 'a' && c <= 'z') upper = false;
    std::string_view after = head.substr(at + mark.size());
    while (!after.empty() && after.front() == ' ') after.remove_prefix(1);
    const bool dash = after.starts_with("-") || after.starts_with("—") || after.starts_with("–");
    if (upper && dash) return std::string(name);
  }
  return "";
}

std::vector<std::string> NamesOnlyLine(std::string_view line) {
  static constexpr std::string_view kSections[] = {
      "新闻", "要闻", "国内", "国际", "正文", "评论", "专题", "图片", "视频",
      "原创", "转载", "首页", "社会", "财经", "体育", "娱乐", "科技", "教育",
      "文化", "军事", "汽车", "房产", "旅游", "博客", "论坛", "热点", "推荐",
      "资讯", "动态", "公告", "通知", "简介", "摘要", "导读", "目录", "返回",
      "打印", "本页", "关注", "关闭", "分享", "收藏", "登录", "注册", "字体",
      "阅读", "点击", "更多", "顶部", "下载", "搜索", "设为", "订阅", "举报",
      "点赞", "投稿", "联系", "我们", "窗口", "全文", "上一", "下一"};
  std::string_view t = TrimSpaces(line);
  if (t.empty() || t.size() > 60) return {};
  auto names = NamesAt(t, 0, false);
  if (names.empty()) return {};
  // The names must be the whole line.
  size_t covered = 0;
  for (const auto& n : names) covered += n.size();
  size_t han_bytes = 0;
  for (size_t i = 0; i < t.size();) {
    size_t j = i;
    if (IsHan(NextCodePoint(t, &j))) han_bytes += j - i;
    i = j;
  }
  if (covered != han_bytes) return {};
  for (const auto& n : names)
    for (auto sec : kSections)
      if (n.find(sec) != std::string::npos) return {};
  return names;
}

std::vector<std::string> FindEditors(std::string_view line) {
  std::vector<std::string> out;
  // Bare 编辑 ("editing") names someone only before a colon.
  static const auto kKeys =
      WithTraditional<bool>({{"责任编辑", false}, {"责编", false}, {"编辑", true}});
  for (const auto& [key, needs_colon] : kKeys) {
    size_t pos = line.find(key);
    if (pos == std::string_view::npos) continue;
    size_t after = pos + key.size();
    size_t j = after;
    while (j < line.size() && line[j] == ' ') ++j;
    bool colon = line.substr(j, 1) == ":" || line.substr(j, 3) == "：";
    if (!colon && needs_colon) continue;
    for (auto& n : NamesAt(line, after, true))
      if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    if (!out.empty()) break;
  }
  return out;
}

std::string FindSourceOutlet(std::string_view line, bool* strong) {
  // Strong keys name an explicit repost (转自); the others a source note.
  static const auto kKeys = WithTraditional<bool>({{"本文转自", true},
                                                   {"转载自", true},
                                                   {"转自", true},
                                                   {"来源", false},
                                                   {"稿源", false},
                                                   {"出处", false}});
  for (const auto& [word, key_strong] : kKeys) {
    size_t pos = line.find(word);
    if (pos == std::string_view::npos) continue;
    size_t i = pos + word.size();
    // Require a colon (or a space) after the keyword.
    while (i < line.size() && line[i] == ' ') ++i;
    if (line.substr(i, 1) == ":") {
      ++i;
    } else if (line.substr(i, 3) == "：") {
      i += 3;
    } else if (i == pos + word.size()) {
      continue;
    }
    while (i < line.size() && line[i] == ' ') ++i;
    size_t start = i;
    size_t n = 0;
    while (i < line.size() && n < 24) {
      size_t j = i;
      char32_t cp = NextCodePoint(line, &j);
      if (IsSpace(cp) || IsSentencePunct(cp) || (cp >= '0' && cp <= '9') ||
          cp == ')' || cp == 0xFF09 || cp == ']' || cp == 0x3011 ||
          cp == '|' || cp == 0xFF5C || cp == '(' || cp == 0xFF08 ||
          cp == ':' || cp == 0xFF1A)
        break;
      i = j;
      ++n;
    }
    std::string out(line.substr(start, i - start));
    // Trailing keywords glued to the name ("经济日报作者").
    static const KeywordTable kGluedTails{"作者", "编辑", "记者", "时间", "发布", "日期"};
    for (std::string_view tail : kGluedTails.entries()) {
      size_t p = out.find(tail);
      if (p != std::string::npos && p > 0) out.resize(p);
    }
    if (out.empty() || out.find("本站") != std::string::npos ||
        out.find("原创") != std::string::npos ||
        out.find("网络") == 0 || out == "网友" || out == "互联网")
      continue;
    if (strong) *strong = key_strong;
    return out;
  }
  return "";
}

std::string StripTitleSuffix(std::string_view title, std::string* site_name) {
  std::string spaced;
  {
    // A bare '-' between two non-ASCII characters ("标题-搜狐财经") also
    // separates the site name; give it spaces so the list below finds it.
    std::string_view raw = TrimSpaces(title);
    for (size_t i = 0; i < raw.size(); ++i) {
      bool bare_dash = raw[i] == '-' && i > 0 && i + 1 < raw.size() &&
                       static_cast<unsigned char>(raw[i - 1]) >= 0x80 &&
                       static_cast<unsigned char>(raw[i + 1]) >= 0x80;
      if (bare_dash) {
        spaced += " - ";
      } else {
        spaced += raw[i];
      }
    }
  }
  std::string_view t = spaced;
  static constexpr std::string_view kSeps[] = {
      " - ", " | ", " — ", " – ", "——", "--", "－", "_", "|", "｜", " -", "- "};
  std::vector<std::string_view> parts{t};
  for (auto sep : kSeps) {
    std::vector<std::string_view> next;
    for (auto p : parts) {
      size_t pos;
      while ((pos = p.find(sep)) != std::string_view::npos) {
        next.push_back(TrimSpaces(p.substr(0, pos)));
        p = p.substr(pos + sep.size());
      }
      next.push_back(TrimSpaces(p));
    }
    parts.clear();
    for (auto p : next)
      if (!p.empty()) parts.push_back(p);
  }
  if (parts.size() <= 1) {
    if (site_name) site_name->clear();
    return std::string(t);
  }
  // A bare "-" between two CJK characters also separates the site name.
  size_t best = 0;
  for (size_t i = 1; i < parts.size(); ++i)
    if (parts[i].size() > parts[best].size()) best = i;
  if (site_name) *site_name = std::string(parts.back() == parts[best] ? parts.front() : parts.back());
  return std::string(parts[best]);
}

}  // namespace crawlstream::extractor
