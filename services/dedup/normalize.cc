#include "services/dedup/normalize.h"

#include <opencc/opencc.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <bitset>
#include <mutex>

#include "crawlstream/v1/article.pb.h"
#include "services/dedup/fingerprint.h"

namespace crawlstream::dedup {
namespace {

// Frequent characters that exist only in Traditional script, and frequent
// ones that exist only in Simplified script.
constexpr std::u32string_view kTraditionalOnly =
    U"這個們國會來時說為與發經產業關對實動開長門問間過還進現點東車無從當體學機"
    U"種頭義電話歷區麼後應將見覽讓請記報導總該類難權務統網際設計議書參樣極級選"
    U"陽錢鐵雙員場決線態廣華價標準術資訊";
constexpr std::u32string_view kSimplifiedOnly =
    U"这个们国会来时说为与发经产业关对实动开长门问间过还进现点东车无从当体学机"
    U"种头义电话历区么后应将见览让请记报导总该类难权务统网际设计议书参样极级选"
    U"阳钱铁双员场决线态广华价标准术资讯";

bool IsHan(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2FFFF) || (c >= 0xF900 && c <= 0xFAFF);
}

// Latin letters as used in pinyin annotations (with tone marks).
bool IsPinyinLetter(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= 0xC0 && c <= 0x24F);
}

std::u32string Decode(std::string_view utf8) {
  std::u32string out;
  out.reserve(utf8.size() / 2);
  const auto* s = reinterpret_cast<const uint8_t*>(utf8.data());
  int32_t i = 0;
  const auto n = static_cast<int32_t>(utf8.size());
  while (i < n) {
    UChar32 c;
    U8_NEXT(s, i, n, c);
    if (c < 0) c = 0xFFFD;
    out.push_back(static_cast<char32_t>(c));
  }
  return out;
}

// Folds one code point; returns 0 when it is dropped.
char32_t FoldCodePoint(char32_t c) {
  if (c < 0x80) {
    if (c >= 'A' && c <= 'Z') return c + ('a' - 'A');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return c;
    return 0;
  }
  if (c >= 0x4E00 && c <= 0x9FFF) return c;  // fast path: CJK ideographs
  if (c >= 0xFF01 && c <= 0xFF5E) return FoldCodePoint(c - 0xFEE0);
  if (!u_isalnum(static_cast<UChar32>(c))) return 0;
  return static_cast<char32_t>(
      u_foldCase(static_cast<UChar32>(c), U_FOLD_CASE_DEFAULT));
}

bool StartsWith(std::u32string_view s, std::u32string_view p) {
  return s.substr(0, p.size()) == p;
}

struct Pattern {
  std::u32string_view text;
  size_t max_length;  // the paragraph must not be longer (folded code points)
};

// A short paragraph that starts with one of these is a byline, a source or
// editor line, a caption credit or a contact line.
constexpr Pattern kPrefixes[] = {
    {U"来源", 60},       {U"稿源", 60},       {U"责编", 40},
    {U"责任编辑", 40},   {U"编辑", 30},       {U"本文转自", 60},
    {U"转自", 60},       {U"转载自", 60},     {U"原标题", 80},
    {U"原文链接", 120},  {U"原文地址", 120},  {U"记者", 20},
    {U"作者", 20},       {U"通讯员", 40},     {U"摄影", 30},
    {U"图片来源", 60},   {U"图源", 40},       {U"电话", 40},
    {U"联系电话", 40},   {U"传真", 40},       {U"地址", 60},
    {U"邮箱", 60},       {U"电子邮件", 60},   {U"邮编", 30},
    {U"审核", 30},       {U"校对", 30},       {U"监制", 30},
    {U"发布时间", 60},   {U"版权", 80},       {U"声明", 80},
    {U"免责声明", 200},  {U"copyright", 200}, {U"source", 60},
    {U"editor", 40},     {U"editedby", 40},   {U"reportedby", 40},
    {U"by", 30},         {U"tel", 30},        {U"fax", 30},
    {U"email", 60},      {U"phone", 30},      {U"快照", 40},
    {U"reportingby", 60}, {U"editingby", 40},
};

// A paragraph of modest length that contains one of these is a copyright,
// reprint or disclaimer notice.
constexpr Pattern kInfixes[] = {
    {U"版权所有", 200},  {U"版权声明", 250}, {U"免责声明", 250},
    {U"版权归", 200},    {U"转载请", 200},   {U"未经授权", 200},
    {U"未经许可", 200},  {U"不得转载", 200}, {U"icp备", 200},
    {U"公网安备", 200},  {U"信息快照", 200}, {U"allrightsreserved", 200},
    {U"copyright", 120}, {U"侵权请联系", 200},
    // a short line naming the source or the editor anywhere ("2024-07-05
    // 13:53 来源:光明网", "文/张三 编辑/李四")
    {U"来源", 40},       {U"责编", 40},       {U"责任编辑", 40},
    {U"编辑", 25},
};

// LooksTraditional() looks at this many ideographs at most.
constexpr int kScriptSample = 400;

// Paragraphs this short (names alone, "分享", "相关阅读") carry no story.
constexpr size_t kTinyParagraph = 5;

}  // namespace

class OpenccConverter final : public ScriptConverter {
 public:
  explicit OpenccConverter(opencc_t handle) : handle_(handle) {}
  ~OpenccConverter() override { opencc_close(handle_); }
  OpenccConverter(const OpenccConverter&) = delete;
  OpenccConverter& operator=(const OpenccConverter&) = delete;

  std::string ToSimplified(std::string_view utf8) const override {
    std::lock_guard<std::mutex> lock(mu_);
    char* converted = opencc_convert_utf8(handle_, utf8.data(), utf8.size());
    if (converted == nullptr) return std::string(utf8);
    std::string out(converted);
    opencc_convert_utf8_free(converted);
    return out;
  }

 private:
  opencc_t handle_;
  mutable std::mutex mu_;
};

Result<std::unique_ptr<ScriptConverter>> MakeOpenccConverter(
    const std::string& config) {
  opencc_t handle = opencc_open(config.c_str());
  if (handle == reinterpret_cast<opencc_t>(-1)) {
    const char* why = opencc_error();
    return Fail(ErrorCode::kNotFound, "opencc config " + config + ": " +
                                          (why != nullptr ? why : "unknown"));
  }
  return std::make_unique<OpenccConverter>(handle);
}

namespace {

// Membership bitmap over U+4E00..U+9FFF.
class HanSet {
 public:
  explicit HanSet(std::u32string_view chars) {
    for (char32_t c : chars) bits_.set(c - 0x4E00);
  }
  bool Has(char32_t c) const {
    return c >= 0x4E00 && c <= 0x9FFF && bits_.test(c - 0x4E00);
  }

 private:
  std::bitset<0xA000 - 0x4E00> bits_;
};

}  // namespace

bool LooksTraditional(std::string_view utf8) {
  static const HanSet traditional_only(kTraditionalOnly);
  static const HanSet simplified_only(kSimplifiedOnly);
  int traditional = 0;
  int simplified = 0;
  const auto* s = reinterpret_cast<const uint8_t*>(utf8.data());
  int32_t i = 0;
  const auto n = static_cast<int32_t>(utf8.size());
  // The first few hundred ideographs decide.
  for (int seen = 0; i < n && seen < kScriptSample;) {
    UChar32 c;
    U8_NEXT(s, i, n, c);
    if (c < 0x4E00) continue;
    ++seen;
    const auto cp = static_cast<char32_t>(c);
    traditional += traditional_only.Has(cp);
    simplified += simplified_only.Has(cp);
  }
  return traditional >= 3 && traditional > 2 * simplified;
}

std::u32string FoldText(std::string_view utf8) {
  const std::u32string in = Decode(utf8);
  std::u32string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char32_t c = in[i];
    // "創(chuàng)新": a converter's pinyin annotation after a Han character.
    if ((c == U'(' || c == U'（') && i > 0 && IsHan(in[i - 1])) {
      size_t j = i + 1;
      while (j < in.size() && j - i <= 8 && IsPinyinLetter(in[j])) ++j;
      if (j > i + 1 && j < in.size() && (in[j] == U')' || in[j] == U'）')) {
        i = j;
        continue;
      }
    }
    if (char32_t f = FoldCodePoint(c); f != 0) out.push_back(f);
  }
  return out;
}

bool IsBoilerplateParagraph(std::u32string_view folded) {
  if (folded.size() <= kTinyParagraph) return true;
  // A date, a time or a phone number alone.
  if (folded.size() <= 30) {
    const auto digits = std::count_if(folded.begin(), folded.end(), [](char32_t c) {
      return c >= U'0' && c <= U'9';
    });
    if (static_cast<size_t>(digits) * 10 >= folded.size() * 6) return true;
  }
  for (const Pattern& p : kPrefixes) {
    if (folded.size() <= p.max_length && StartsWith(folded, p.text)) {
      return true;
    }
  }
  for (const Pattern& p : kInfixes) {
    if (folded.size() <= p.max_length &&
        folded.find(p.text) != std::u32string_view::npos) {
      return true;
    }
  }
  return false;
}

NormalizedText NormalizeBody(std::string_view body,
                             const ScriptConverter* converter,
                             bool traditional) {
  NormalizedText result;
  std::string converted;
  if (converter != nullptr && (traditional || LooksTraditional(body))) {
    converted = converter->ToSimplified(body);
    body = converted;
    result.converted = true;
  }
  std::u32string all;  // every paragraph, used when all look like boilerplate
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view line = body.substr(start, end - start);
    start = end + 1;
    std::u32string folded = FoldText(line);
    if (folded.empty()) continue;
    all += folded;
    const bool email = folded.size() <= 60 &&
                       (line.find('@') != std::string_view::npos ||
                        line.find("\xEF\xBC\xA0") != std::string_view::npos);
    if (email || IsBoilerplateParagraph(folded)) {
      ++result.dropped_paragraphs;
      continue;
    }
    result.text += folded;
    result.numbers |= DigitRunMask(folded);
  }
  if (result.text.empty()) {
    result.text = std::move(all);
    result.numbers = DigitRunMask(result.text);
    result.dropped_paragraphs = 0;
  }
  return result;
}

NormalizedText NormalizeForDedup(const crawlstream::v1::Article& article,
                                 const ScriptConverter* converter) {
  if (!article.body_simplified().empty()) {
    NormalizedText r = NormalizeBody(article.body_simplified(), nullptr);
    // A body_simplified still in Traditional script (no extractor
    // conversion) is converted here.
    if (converter != nullptr && LooksTraditional(article.body_simplified())) {
      r = NormalizeBody(article.body_simplified(), converter);
    }
    return r;
  }
  return NormalizeBody(article.body(), converter, article.script() == "Hant");
}

std::string ToUtf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size() * 3);
  for (char32_t c : text) {
    uint8_t buf[4];
    int32_t len = 0;
    UBool error = false;
    U8_APPEND(buf, len, 4, static_cast<UChar32>(c), error);
    if (!error) out.append(reinterpret_cast<const char*>(buf), len);
  }
  return out;
}

}  // namespace crawlstream::dedup
