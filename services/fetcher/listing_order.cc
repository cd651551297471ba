#include "services/fetcher/listing_order.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

namespace crawlstream::fetcher {

namespace {

using std::chrono::system_clock;
using TimePoint = system_clock::time_point;

// A cursor over the text being parsed.
struct Cursor {
  std::string_view s;
  size_t i = 0;

  bool done() const { return i >= s.size(); }
  char peek() const { return done() ? '\0' : s[i]; }
  bool Eat(char c) {
    if (peek() != c) return false;
    ++i;
    return true;
  }
  void SkipSpaces() {
    while (!done() && (s[i] == ' ' || s[i] == '\t')) ++i;
  }
  // Exactly `n` digits.
  std::optional<int> Digits(size_t n) {
    if (i + n > s.size()) return std::nullopt;
    int v = 0;
    for (size_t k = 0; k < n; ++k) {
      char c = s[i + k];
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    i += n;
    return v;
  }
  // 1 to `max` digits.
  std::optional<int> Number(size_t max) {
    size_t start = i;
    int v = 0;
    while (!done() && i - start < max && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
    if (i == start) return std::nullopt;
    return v;
  }
  std::string_view Word() {
    size_t start = i;
    while (!done() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    return s.substr(start, i - start);
  }
};

std::optional<TimePoint> Compose(int y, int mo, int d, int h, int mi, int s, int offset_minutes) {
  namespace c = std::chrono;
  c::year_month_day ymd{c::year(y), c::month(static_cast<unsigned>(mo)), c::day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  return TimePoint(c::sys_days(ymd)) + c::hours(h) + c::minutes(mi) + c::seconds(s) -
         c::minutes(offset_minutes);
}

// "+08:00", "-0500", "Z"; nullopt when malformed. Nothing: UTC.
std::optional<int> NumericOffset(Cursor& c) {
  if (c.done() || c.Eat('Z') || c.Eat('z')) return 0;
  int sign = c.peek() == '-' ? -1 : 1;
  if (!c.Eat('+') && !c.Eat('-')) return std::nullopt;
  auto h = c.Digits(2);
  if (!h) return std::nullopt;
  c.Eat(':');
  auto m = c.done() ? std::optional<int>(0) : c.Digits(2);
  if (!m || *h > 23 || *m > 59) return std::nullopt;
  return sign * (*h * 60 + *m);
}

std::optional<TimePoint> ParseW3c(std::string_view text) {
  Cursor c{text};
  auto year = c.Digits(4);
  if (!year) return std::nullopt;
  int month = 1, day = 1, hour = 0, minute = 0, second = 0, offset = 0;
  if (c.Eat('-')) {
    auto m = c.Digits(2);
    if (!m) return std::nullopt;
    month = *m;
    if (c.Eat('-')) {
      auto d = c.Digits(2);
      if (!d) return std::nullopt;
      day = *d;
      if (c.Eat('T') || c.Eat('t') || c.Eat(' ')) {
        auto h = c.Digits(2);
        if (!h || !c.Eat(':')) return std::nullopt;
        auto mi = c.Digits(2);
        if (!mi) return std::nullopt;
        hour = *h, minute = *mi;
        if (c.Eat(':')) {
          auto sec = c.Digits(2);
          if (!sec) return std::nullopt;
          second = *sec;
          if (c.Eat('.') || c.Eat(',')) {
            if (!c.Number(9)) return std::nullopt;
            while (!c.done() && std::isdigit(static_cast<unsigned char>(c.peek()))) c.Eat(c.peek());
          }
        }
        c.SkipSpaces();
        auto off = NumericOffset(c);
        if (!off) return std::nullopt;
        offset = *off;
      }
    }
  }
  if (!c.done()) return std::nullopt;
  return Compose(*year, month, day, hour, minute, second, offset);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// RFC 822 / 2822 zone names with their offsets, in minutes.
constexpr std::pair<std::string_view, int> kZoneNames[] = {
    {"ut", 0},        {"utc", 0},       {"gmt", 0},       {"z", 0},
    {"est", -5 * 60}, {"edt", -4 * 60}, {"cst", -6 * 60}, {"cdt", -5 * 60},
    {"mst", -7 * 60}, {"mdt", -6 * 60}, {"pst", -8 * 60}, {"pdt", -7 * 60},
};

constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};

std::optional<TimePoint> ParseRfc822(std::string_view text) {
  Cursor c{text};
  c.SkipSpaces();
  // Optional day of week: "Fri,".
  if (std::isalpha(static_cast<unsigned char>(c.peek()))) {
    c.Word();
    if (!c.Eat(',')) return std::nullopt;
    c.SkipSpaces();
  }
  auto day = c.Number(2);
  if (!day) return std::nullopt;
  c.SkipSpaces();
  std::string month_name = Lower(c.Word());
  if (month_name.size() < 3) return std::nullopt;
  month_name.resize(3);
  auto m = std::find(std::begin(kMonths), std::end(kMonths), month_name);
  if (m == std::end(kMonths)) return std::nullopt;
  int month = static_cast<int>(m - std::begin(kMonths)) + 1;
  c.SkipSpaces();
  size_t year_start = c.i;
  auto year = c.Number(4);
  if (!year) return std::nullopt;
  if (c.i - year_start == 2) *year += *year < 70 ? 2000 : 1900;
  c.SkipSpaces();
  auto hour = c.Digits(2);
  if (!hour || !c.Eat(':')) return std::nullopt;
  auto minute = c.Digits(2);
  if (!minute) return std::nullopt;
  int second = 0;
  if (c.Eat(':')) {
    auto s = c.Digits(2);
    if (!s) return std::nullopt;
    second = *s;
  }
  c.SkipSpaces();
  int offset = 0;
  if (c.peek() == '+' || c.peek() == '-') {
    auto off = NumericOffset(c);
    if (!off) return std::nullopt;
    offset = *off;
  } else if (!c.done()) {
    std::string zone = Lower(c.Word());
    auto z = std::find_if(std::begin(kZoneNames), std::end(kZoneNames),
                          [&](const auto& kv) { return kv.first == zone; });
    if (z == std::end(kZoneNames)) return std::nullopt;
    offset = z->second;
  }
  c.SkipSpaces();
  if (!c.done()) return std::nullopt;
  return Compose(*year, month, *day, *hour, *minute, second, offset);
}

// Date forms, tried in order; the first that reads the whole text wins.
struct ListingDateForm {
  std::string_view name;
  std::optional<TimePoint> (*parse)(std::string_view);
};

constexpr ListingDateForm kListingDateForms[] = {
    {"w3c_datetime", ParseW3c},  // sitemaps, Atom, dc:date
    {"rfc822", ParseRfc822},     // RSS pubDate
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<TimePoint> ParseListingDate(std::string_view text) {
  text = Trim(text);
  if (text.empty()) return std::nullopt;
  for (const auto& form : kListingDateForms) {
    if (auto t = form.parse(text)) return t;
  }
  return std::nullopt;
}

OrderedListing NewestFirst(std::vector<DiscoveredLink> links, TimePoint now,
                           std::chrono::milliseconds max_age) {
  struct Dated {
    TimePoint when;
    size_t index;
  };
  std::vector<Dated> dated;
  std::vector<size_t> undated;
  OrderedListing out;
  const auto oldest = now - std::chrono::duration_cast<system_clock::duration>(max_age);
  for (size_t i = 0; i < links.size(); ++i) {
    auto when = ParseListingDate(links[i].modified);
    if (!when) {
      undated.push_back(i);
    } else if (max_age.count() > 0 && *when < oldest) {
      ++out.too_old;
    } else {
      dated.push_back({*when, i});
    }
  }
  std::stable_sort(dated.begin(), dated.end(),
                   [](const Dated& a, const Dated& b) { return a.when > b.when; });
  out.links.reserve(dated.size() + undated.size());
  for (const auto& d : dated) out.links.push_back(std::move(links[d.index]));
  for (size_t i : undated) out.links.push_back(std::move(links[i]));
  return out;
}

}  // namespace crawlstream::fetcher
