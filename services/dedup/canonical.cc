#include "services/dedup/canonical.h"

#include <algorithm>
#include <string>

#include "crawlstream/v1/article.pb.h"
#include "services/dedup/fingerprint.h"
#include "services/dedup/normalize.h"

namespace crawlstream::dedup {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool Named(const CanonicalKey& outlet, const CanonicalKey& reposter) {
  return reposter.original_source != 0 &&
         (reposter.original_source == outlet.publisher ||
          reposter.original_source == outlet.site);
}

}  // namespace

std::optional<int64_t> ParseRfc3339(std::string_view s) {
  int year, month, day, hour, minute, second = 0;
  if (!Digits(s, 0, 4, &year) || s.size() < 16 || s[4] != '-' ||
      !Digits(s, 5, 2, &month) || s[7] != '-' || !Digits(s, 8, 2, &day) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !Digits(s, 11, 2, &hour) || s[13] != ':' || !Digits(s, 14, 2, &minute)) {
    return std::nullopt;
  }
  size_t pos = 16;
  if (pos < s.size() && s[pos] == ':') {
    if (!Digits(s, pos + 1, 2, &second)) return std::nullopt;
    pos += 3;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    return std::nullopt;
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() ||
        s[pos + 3] != ':' || !Digits(s, pos + 4, 2, &om) || oh > 23 ||
        om > 59) {
      return std::nullopt;
    }
    offset = (oh * 60 + om) * 60 * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;  // no offset: not an instant
  }
  if (pos != s.size()) return std::nullopt;
  const int64_t days = DaysFromCivil(year, static_cast<unsigned>(month),
                                     static_cast<unsigned>(day));
  return days * 86400 + hour * 3600 + minute * 60 + second - offset;
}

uint16_t NameHash(std::string_view name, const ScriptConverter* converter) {
  std::string simplified;
  if (converter != nullptr && !name.empty()) {
    simplified = converter->ToSimplified(name);
    name = simplified;
  }
  std::u32string folded = FoldText(name);
  if (folded.starts_with(U"www")) folded.erase(0, 3);
  for (std::u32string_view suffix :
       {U"官方网站", U"官网", U"客户端", U"网站", U"网", U"社"}) {
    if (folded.size() > suffix.size() + 1 && folded.ends_with(suffix)) {
      folded.resize(folded.size() - suffix.size());
      break;
    }
  }
  if (folded.empty()) return 0;
  const uint64_t h = Mix64(std::hash<std::u32string>{}(folded));
  const auto h12 = static_cast<uint16_t>(h >> (64 - kNameHashBits));
  return h12 == 0 ? 1 : h12;
}

CanonicalKey MakeCanonicalKey(const crawlstream::v1::Article& article,
                              const ScriptConverter* converter) {
  CanonicalKey key;
  // A month-precision date (the first of the month) would win rule 1 against
  // every dated copy of that month: it counts as unknown.
  const bool month_only = article.published_precision() ==
                          crawlstream::v1::Article::TIME_PRECISION_MONTH;
  if (auto t = month_only ? std::nullopt : ParseRfc3339(article.published_at())) {
    key.published = static_cast<uint32_t>(
        std::clamp<int64_t>(*t, 0, int64_t{kUnknownTime} - 1));
  }
  const std::string& url =
      article.canonical_url().empty() ? article.url() : article.canonical_url();
  key.url_length = static_cast<uint8_t>(std::min<size_t>(url.size(), 255));
  key.publisher = NameHash(article.publisher(), converter);
  key.site = NameHash(article.site(), converter);
  key.original_source = NameHash(article.original_source(), converter);
  return key;
}

bool PreferAsCanonical(const CanonicalKey& a, std::string_view a_id,
                       const CanonicalKey& b, std::string_view b_id) {
  if (a.published != b.published) return a.published < b.published;
  const bool a_named = Named(a, b);
  const bool b_named = Named(b, a);
  if (a_named != b_named) return a_named;
  if (a.url_length != b.url_length) return a.url_length < b.url_length;
  return a_id < b_id;
}

}  // namespace crawlstream::dedup
