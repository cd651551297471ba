#include "services/extractor/extractor.h"

#include <algorithm>
#include <iterator>
#include <unordered_set>

#include "crawlstream/v1/fetched_page.pb.h"
#include "services/extractor/charset.h"
#include "services/extractor/content.h"
#include "services/extractor/dom.h"
#include "services/extractor/json_ld.h"
#include "services/extractor/metadata.h"
#include "services/extractor/normalise.h"
#include "services/extractor/prefilter.h"
#include "services/extractor/sha256.h"
#include "services/extractor/title.h"
#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

// Paragraphs of at least this many tokens are kept only once.
constexpr uint32_t kMinRepeatedTokens = 20;

std::string Clean(std::string_view s) {
  return NormaliseParagraph(RemoveConverterPinyin(s));
}

bool LooksLikePersonName(std::string_view s, std::string_view publisher) {
  if (s.empty() || s.size() > 40) return false;
  for (char c : s)
    if (c == '!' || c == '@' || c == ':' || c == '/' || c == '|' || c == ',')
      return false;
  TextStats st = CountText(s);
  if (st.han > 0 ? (st.han < 2 || st.han > 4 || st.tokens != st.han)
                 : (st.tokens > 3))
    return false;
  if (!publisher.empty() && (s == publisher)) return false;
  for (std::string_view bad : {"网", "網", "www", "http", ".com", ".cn", "报",
                               "報", "新闻", "新聞", "中心", "公司"})
    if (s.find(bad) != std::string_view::npos) return false;
  return true;
}

// Words that introduce a byline rather than name anyone.
constexpr std::string_view kBylineWords[] = {
    "by", "written", "author", "authors", "posted", "published", "editor",
    "reviewed", "updated", "and", "on", "in", "from"};

// Lower-case name particles ("Ludwig van Beethoven", "Juan de la Cruz").
constexpr std::string_view kNameParticles[] = {
    "van", "der", "den", "de", "la", "le", "von", "da", "di", "del", "du", "bin", "al"};

template <size_t N>
bool InTable(std::string_view word, const std::string_view (&table)[N]) {
  for (std::string_view t : table)
    if (word == t) return true;
  return false;
}

// The personal name in a short Latin-script byline inside an author-named
// element: "Stephen Jesudunsin", "By Sara Brown", "Written by Mary-Jo
// O'Neil": two to five capitalised words (initials and name particles
// allowed), after an optional lead-in ("By", "Written by"). Empty otherwise.
std::string LatinPersonName(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t j = text.find(' ', i);
    if (j == std::string_view::npos) j = text.size();
    if (j > i) words.push_back(text.substr(i, j - i));
    i = j;
  }
  size_t first = 0;
  while (first < words.size() && InTable(AsciiLower(words[first]).c_str(), kBylineWords) &&
         first < 3)
    ++first;
  if (first > 0 && first < words.size() && words[first].ends_with(":")) ++first;
  size_t count = words.size() - first;
  if (count < 2 || count > 5) return "";
  for (size_t k = first; k < words.size(); ++k) {
    std::string_view w = words[k];
    if (InTable(w, kNameParticles)) continue;
    if (!(w[0] >= 'A' && w[0] <= 'Z')) return "";
    for (char c : w)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '\'' ||
            c == '.' || static_cast<unsigned char>(c) >= 0x80))
        return "";
  }
  std::string name;
  for (size_t k = first; k < words.size(); ++k) {
    if (!name.empty()) name.push_back(' ');
    name.append(words[k]);
  }
  return name;
}

// Frequent characters that exist in only one script (from simplified /
// traditional pairs such as 这/這, 们/們, 发/發). A quick vote settles most
// pages without OpenCC, the costliest step of the pipeline.
constexpr char32_t kSimplifiedOnly[] = {0x4E07, 0x4E0E, 0x4E1A, 0x4E1C, 0x4E24, 0x4E2A, 0x4E3A, 0x4E48, 0x4E61, 0x4E66, 0x4E70, 0x4E8E, 0x4EA7, 0x4EB2, 0x4ECE, 0x4EEC, 0x4EF7, 0x4F17, 0x4F18, 0x4F1A, 0x4F20, 0x4F53, 0x515A, 0x5173, 0x5199, 0x519C, 0x51E0, 0x5212, 0x521B, 0x529E, 0x52A1, 0x52A8, 0x533A, 0x534E, 0x5355, 0x5356, 0x5382, 0x5386, 0x538B, 0x53BF, 0x53D1, 0x53D8, 0x540E, 0x542C, 0x5458, 0x56E2, 0x56ED, 0x56FD, 0x56FE, 0x573A, 0x58F0, 0x5904, 0x5907, 0x590D, 0x5934, 0x5B66, 0x5B9E, 0x5BF9, 0x5BFC, 0x5C06, 0x5C42, 0x5C81, 0x5E08, 0x5E2E, 0x5E7F, 0x5E94, 0x5F00, 0x5F3A, 0x5F53, 0x603B, 0x62A4, 0x62A5, 0x636E, 0x643A, 0x65E0, 0x65F6, 0x672F, 0x673A, 0x6743, 0x6761, 0x6765, 0x6807, 0x6837, 0x6C14, 0x6C47, 0x6CA1, 0x6D4E, 0x70B9, 0x70ED, 0x7231, 0x73B0, 0x7535, 0x786E, 0x79CD, 0x7A0E, 0x7EA7, 0x7EBF, 0x7EC4, 0x7EC7, 0x7ECF, 0x7ED3, 0x7ED9, 0x7EDF, 0x7F51, 0x8054, 0x827A, 0x8282, 0x8425, 0x89C1, 0x89C2, 0x89C4, 0x89C6, 0x8BA1, 0x8BA4, 0x8BA9, 0x8BAE, 0x8BAF, 0x8BB0, 0x8BBA, 0x8BBE, 0x8BC4, 0x8BC9, 0x8BD5, 0x8BDD, 0x8BE5, 0x8BED, 0x8BF4, 0x8BF7, 0x8BFB, 0x8C01, 0x8C03, 0x8C08, 0x8D22, 0x8D28, 0x8D37, 0x8D38, 0x8D39, 0x8D44, 0x8D5B, 0x8F66, 0x8FB9, 0x8FBE, 0x8FC7, 0x8FD0, 0x8FD8, 0x8FD9, 0x8FDB, 0x8FDC, 0x8FDE, 0x9009, 0x94B1, 0x94F6, 0x957F, 0x95E8, 0x95EE, 0x95F4, 0x95FB, 0x9645, 0x9669, 0x9886, 0x9891, 0x9A6C, 0x9F99};
constexpr char32_t kTraditionalOnly[] = {0x4F86, 0x500B, 0x5011, 0x5099, 0x50B3, 0x50F9, 0x512A, 0x5169, 0x5275, 0x5283, 0x52D5, 0x52D9, 0x532F, 0x5340, 0x54E1, 0x554F, 0x55AE, 0x570B, 0x5712, 0x5716, 0x5718, 0x5831, 0x5834, 0x58D3, 0x5B78, 0x5BE6, 0x5BEB, 0x5C07, 0x5C0D, 0x5C0E, 0x5C64, 0x5E2B, 0x5E6B, 0x5E7E, 0x5EE0, 0x5EE3, 0x5F37, 0x5F8C, 0x5F9E, 0x5FA9, 0x611B, 0x61C9, 0x64DA, 0x651C, 0x65BC, 0x6642, 0x66F8, 0x6703, 0x6771, 0x689D, 0x696D, 0x6A19, 0x6A23, 0x6A5F, 0x6B0A, 0x6B72, 0x6B77, 0x6C23, 0x6C92, 0x6FDF, 0x70BA, 0x7121, 0x71B1, 0x71DF, 0x73FE, 0x7522, 0x7576, 0x767C, 0x773E, 0x78BA, 0x7A05, 0x7A2E, 0x7BC0, 0x7D1A, 0x7D44, 0x7D50, 0x7D66, 0x7D71, 0x7D93, 0x7DB2, 0x7DDA, 0x7E23, 0x7E3D, 0x7E54, 0x805E, 0x806F, 0x8072, 0x807D, 0x8207, 0x83EF, 0x842C, 0x85DD, 0x8655, 0x8853, 0x898B, 0x898F, 0x8996, 0x89AA, 0x89C0, 0x8A08, 0x8A0A, 0x8A18, 0x8A2D, 0x8A34, 0x8A55, 0x8A66, 0x8A71, 0x8A72, 0x8A8D, 0x8A9E, 0x8AAA, 0x8AB0, 0x8ABF, 0x8AC7, 0x8ACB, 0x8AD6, 0x8B70, 0x8B77, 0x8B80, 0x8B8A, 0x8B93, 0x8CA1, 0x8CB7, 0x8CB8, 0x8CBB, 0x8CBF, 0x8CC7, 0x8CE3, 0x8CEA, 0x8CFD, 0x8ECA, 0x8FA6, 0x8FB2, 0x9019, 0x9023, 0x9032, 0x904B, 0x904E, 0x9054, 0x9060, 0x9078, 0x9084, 0x908A, 0x9109, 0x9280, 0x9322, 0x9577, 0x9580, 0x958B, 0x9593, 0x95DC, 0x969B, 0x96AA, 0x96FB, 0x9818, 0x982D, 0x983B, 0x99AC, 0x9AD4, 0x9EBC, 0x9EDE, 0x9EE8, 0x9F8D};

void QuickScriptVote(std::string_view text, size_t* hant, size_t* hans) {
  size_t i = 0;
  while (i < text.size()) {
    char32_t cp = NextCodePoint(text, &i);
    if (cp < 0x4E00) continue;
    if (std::binary_search(std::begin(kTraditionalOnly), std::end(kTraditionalOnly), cp))
      ++*hant;
    else if (std::binary_search(std::begin(kSimplifiedOnly), std::end(kSimplifiedOnly), cp))
      ++*hans;
  }
}

size_t CountChanged(const ScriptConverter& conv, std::string_view sample) {
  std::string converted = conv.Convert(sample);
  size_t i = 0, j = 0, changed = 0;
  while (i < sample.size() && j < converted.size()) {
    char32_t a = NextCodePoint(sample, &i);
    char32_t b = NextCodePoint(converted, &j);
    if (a != b) ++changed;
  }
  return changed;
}

std::string_view Utf8Prefix(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

void SetTimestamp(std::chrono::system_clock::time_point tp,
                  google::protobuf::Timestamp* ts) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                tp.time_since_epoch())
                .count();
  ts->set_seconds(ns / 1000000000);
  ts->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

bool IsDateKeywordLine(std::string_view line) {
  for (std::string_view k : {"发布时间", "發布時間", "發佈時間", "时间", "時間",
                             "日期", "发表于", "發表於", "发表", "發表", "更新",
                             "来源", "來源", "Published", "Posted", "Updated"})
    if (line.find(k) != std::string_view::npos) return true;
  return false;
}

// The article's paragraphs chosen from a parsed document.
struct BodyText {
  std::vector<TextBlock> blocks;
  ContentSelection selection;
  std::vector<std::string> paragraphs;
  uint32_t tokens = 0;
};

BodyText SelectBody(const Document& doc, std::string_view title) {
  BodyText out;
  out.blocks = LinearizeBlocks(doc);
  out.selection = SelectContent(doc, out.blocks, title);
  // A paragraph printed twice (responsive layouts ship a mobile and a
  // desktop copy, one hidden by CSS) is kept once; short lines such as
  // "Pros" may repeat.
  std::unordered_set<std::string> seen;
  for (size_t i : out.selection.kept) {
    std::string p = Clean(out.blocks[i].text);
    if (p.empty()) continue;
    uint32_t tokens = CountText(p).tokens;
    if (tokens >= kMinRepeatedTokens && !seen.insert(p).second) continue;
    out.tokens += tokens;
    out.paragraphs.push_back(std::move(p));
  }
  out.paragraphs = JoinHardWrappedLines(std::move(out.paragraphs));
  return out;
}

}  // namespace

PageInput PageInputFromFetchedPage(const crawlstream::v1::FetchedPage& page) {
  PageInput in;
  in.body = page.body();
  in.content_type = page.content_type();
  in.url = page.final_url().empty() ? page.requested_url() : page.final_url();
  if (page.has_fetched_at()) {
    in.fetched_at = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(page.fetched_at().seconds()) +
            std::chrono::nanoseconds(page.fetched_at().nanos())));
  }
  return in;
}

Extractor::Extractor(ExtractorOptions options)
    : options_(std::move(options)),
      t2s_(std::make_unique<ScriptConverter>(options_.opencc_t2s)),
      s2t_(std::make_unique<ScriptConverter>(options_.opencc_s2t)) {}
Extractor::~Extractor() = default;
Extractor::Extractor(Extractor&&) noexcept = default;
Extractor& Extractor::operator=(Extractor&&) noexcept = default;

Result<crawlstream::v1::Article> Extractor::Extract(const PageInput& in) const {
  if (in.body.size() > options_.max_input_bytes)
    return Fail(ErrorCode::kResourceExhausted, "oversize");
  if (in.body.empty()) return Fail(ErrorCode::kNotAnArticle, "empty_document");
  {
    // A declared non-HTML type (JSON API, image, PDF, feed) is not an
    // article page, unless the bytes plainly are HTML (mislabelled server).
    std::string media = AsciiLower(in.content_type.substr(0, in.content_type.find(';')));
    while (!media.empty() && media.back() == ' ') media.pop_back();
    while (!media.empty() && media.front() == ' ') media.erase(0, 1);
    bool html_type = media.empty() || media == "text/html" ||
                     media == "application/xhtml+xml" || media == "text/plain";
    if (!html_type) {
      std::string head = AsciiLower(in.body.substr(0, 1024));
      bool looks_html = head.find("<html") != std::string::npos ||
                        head.find("<!doctype html") != std::string::npos ||
                        head.find("<head") != std::string::npos ||
                        head.find("<body") != std::string::npos;
      if (!looks_html) return Fail(ErrorCode::kNotAnArticle, "not_html");
    }
  }
  {
    // Binary garbage: NULs and C0 controls in the first bytes (UTF-16 with
    // a BOM is text).
    std::string_view head = in.body.substr(0, 4096);
    bool utf16_bom = head.starts_with("\xFF\xFE") || head.starts_with("\xFE\xFF");
    size_t control = 0;
    for (char c : head) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x09 || (u > 0x0D && u < 0x20 && u != 0x1B)) ++control;
    }
    if (!utf16_bom && control * 20 > head.size())
      return Fail(ErrorCode::kNotAnArticle, "binary");
  }

  // 1-2. Charset and prefilter. ASCII-compatible encodings are filtered
  // before decoding (less to decode); UTF-16 must be decoded first.
  CharsetChoice choice;
  std::string html;
  DecodedText decoded;
  if (in.body.starts_with("\xFF\xFE") || in.body.starts_with("\xFE\xFF")) {
    decoded = DecodeToUtf8(in.body, in.content_type);
    choice = decoded.choice;
    html = PrefilterHtml(decoded.utf8);
  } else {
    std::string filtered = PrefilterHtml(in.body);
    choice = DetectCharset(filtered, in.content_type);
    if (in.body.starts_with("\xEF\xBB\xBF")) choice = {"UTF-8", "bom"};
    decoded = DecodeAs(filtered, choice);
    html = std::move(decoded.utf8);
  }

  // 3. Parse.
  Document doc = ParseDocument(html);
  JsonLdInfo ld = ParseJsonLd(doc.head.json_ld);

  // Title and publisher.
  const ResolvedTitle resolved = ResolveTitle({.head_title = doc.head.title,
                                               .og_title = doc.Meta("og:title"),
                                               .json_ld_headline = ld.headline,
                                               .h1 = &doc.head.h1});
  const std::string& title = resolved.title;
  const std::string& site_from_title = resolved.site_name;
  std::string publisher = CleanMetaText(doc.Meta("og:site_name"));
  if (publisher.empty()) publisher = CleanMetaText(ld.publisher);
  if (publisher.empty()) publisher = site_from_title;

  // 4. Content. A page whose text is all hidden (streaming renderers park
  // it in a hidden element until a script runs) is read again with hidden
  // elements kept.
  BodyText content = SelectBody(doc, title);
  if (content.tokens < options_.min_body_tokens && doc.removed_hidden > 0) {
    Document revealed = ParseDocument(html, ParseOptions{.keep_hidden = true});
    BodyText second = SelectBody(revealed, title);
    if (second.tokens > content.tokens) {
      doc = std::move(revealed);
      content = std::move(second);
    }
  }
  std::vector<TextBlock>& blocks = content.blocks;
  ContentSelection& sel = content.selection;
  std::vector<std::string>& paragraphs = content.paragraphs;
  uint32_t& body_tokens = content.tokens;
  if (body_tokens < options_.min_body_tokens && !ld.article_body.empty()) {
    paragraphs.clear();
    body_tokens = 0;
    std::string body_text = ld.article_body;
    size_t start = 0;
    while (start <= body_text.size()) {
      size_t nl = body_text.find('\n', start);
      if (nl == std::string::npos) nl = body_text.size();
      std::string p = Clean(std::string_view(body_text).substr(start, nl - start));
      if (!p.empty()) {
        body_tokens += CountText(p).tokens;
        paragraphs.push_back(std::move(p));
      }
      start = nl + 1;
    }
  }
  if (paragraphs.empty() && sel.root < 0)
    return Fail(ErrorCode::kNotAnArticle, "no_main_content");
  if (body_tokens < options_.min_body_tokens)
    return Fail(ErrorCode::kNotAnArticle, "body_too_short");

  crawlstream::v1::Article article;
  article.set_url(in.url);
  std::string canonical;
  if (!doc.head.canonical.empty() && !in.url.empty())
    canonical = ResolveUrl(in.url, doc.head.canonical);
  if (canonical.empty() || UrlHost(canonical).empty()) {
    std::string og = std::string(doc.Meta("og:url"));
    if (!og.empty() && !in.url.empty()) canonical = ResolveUrl(in.url, og);
  }
  if (canonical.empty() || UrlHost(canonical).empty()) canonical = in.url;
  canonical = CanonicalizeUrl(canonical);
  article.set_canonical_url(canonical);
  article.set_id(Sha256Hex(canonical, 16));
  std::string host = UrlHost(canonical);
  std::string site = RegistrableDomain(host);
  article.set_site(site);
  article.set_title(title);
  std::string body = JoinParagraphs(paragraphs);

  // 5. Language and script.
  // ~500 characters decide Hans vs Hant; OpenCC is the costliest step.
  std::string_view sample = Utf8Prefix(body, 1500);
  size_t hant = 0, hans = 0;
  TextStats body_stats = CountText(sample);
  if (body_stats.han > 0) {
    QuickScriptVote(sample, &hant, &hans);
    bool settled = (hant >= 3 && hant > 3 * hans) || (hans >= 3 && hans > 3 * hant);
    if (!settled) {
      hant = CountChanged(*t2s_, sample);
      hans = CountChanged(*s2t_, sample);
    }
  }
  LanguageGuess lang = GuessLanguage(body, hant, hans, doc.head.lang);
  article.set_language(lang.language);
  article.set_script(lang.script);
  if (lang.script == "Hant") article.set_body_simplified(t2s_->Convert(body));

  // 6. Metadata from byline text around the article.
  // Byline lines: before the text (nearest first), boilerplate dropped
  // inside the article container, then a few lines after the text up to
  // and including an end-of-article marker (never into related lists).
  std::vector<std::string> meta_lines;
  size_t before_count = 0;
  {
    size_t first = sel.kept.empty() ? sel.first_block : sel.kept.front();
    size_t last = sel.kept.empty() ? sel.last_block : sel.kept.back();
    size_t from = first > 15 ? first - 15 : 0;
    for (size_t i = first; i > from; --i) meta_lines.push_back(blocks[i - 1].text);
    for (size_t i : sel.dropped)
      if (i < first) meta_lines.push_back(blocks[i].text);
    before_count = meta_lines.size();
    for (size_t i : sel.dropped)
      if (i > first && i < sel.tail_start) meta_lines.push_back(blocks[i].text);
    for (size_t i = last + 1; i < std::min(blocks.size(), last + 6); ++i) {
      if (i >= sel.tail_start) break;
      meta_lines.push_back(blocks[i].text);
      if (IsEndOfArticleLine(blocks[i].text)) break;
    }
  }
  for (auto& l : meta_lines) l = RemoveConverterPinyin(l);
  int offset = lang.language == "zh" ? options_.chinese_utc_offset_minutes
                                     : options_.default_utc_offset_minutes;
  if (auto it = options_.site_utc_offset_minutes.find(site);
      it != options_.site_utc_offset_minutes.end())
    offset = it->second;

  std::optional<DateTime> date;
  for (std::string_view cand :
       {std::string_view(ld.date_published), doc.Meta("article:published_time"),
        doc.Meta("datepublished"), doc.Meta("pubdate"), doc.Meta("publishdate"),
        doc.Meta("publish_date"), doc.Meta("og:published_time"),
        doc.Meta("dc.date.issued"), doc.Meta("dc.date"),
        doc.Meta("parsely-pub-date"), doc.Meta("sailthru.date")}) {
    if (cand.empty()) continue;
    if ((date = FindDate(cand))) break;
  }
  if (!date)
    for (const auto& t : doc.head.times)
      if ((date = FindDate(t))) break;
  if (!date) {
    // Byline lines before the text (keyword lines first), then keyword
    // lines after it.
    for (size_t k = 0; k < before_count && !date; ++k)
      if (IsDateKeywordLine(meta_lines[k])) date = FindDate(meta_lines[k]);
    for (size_t k = 0; k < before_count && !date; ++k)
      if (CountText(meta_lines[k]).tokens < 60) date = FindDate(meta_lines[k]);
    for (size_t k = before_count; k < meta_lines.size() && !date; ++k)
      if (IsDateKeywordLine(meta_lines[k])) date = FindDate(meta_lines[k]);
    // Anywhere before the text (bylines precede it; dates after it belong
    // to related-article lists).
    size_t first = sel.kept.empty() ? sel.first_block : sel.kept.front();
    if (!date)
      for (size_t i = 0; i < first && i < blocks.size(); ++i)
        if (blocks[i].tokens < 60 && IsDateKeywordLine(blocks[i].text) &&
            (date = FindDate(blocks[i].text)))
          break;
  }
  if (date && date->has_zone) {
    // Structured times are often UTC; the byline shows the page's zone.
    for (size_t k = 0; k < before_count; ++k) {
      auto local = FindDate(meta_lines[k]);
      if (local && local->has_time && !local->has_zone) {
        date = ReexpressInPageZone(*date, *local);
        break;
      }
    }
  }
  using Precision = crawlstream::v1::Article;  // its TimePrecision values
  auto precision = date ? (date->has_time ? Precision::TIME_PRECISION_TIME
                                          : Precision::TIME_PRECISION_DAY)
                        : Precision::TIME_PRECISION_UNSPECIFIED;
  if (!date) {
    // Last resort: a line that is only a year and month (a report's date,
    // a magazine issue), around the text or at its edges.
    for (const auto& l : meta_lines)
      if ((date = FindMonthDate(l))) break;
    for (size_t k = 0; k < paragraphs.size() && !date; ++k)
      if (k < 3 || k + 3 >= paragraphs.size()) date = FindMonthDate(paragraphs[k]);
    if (date) precision = Precision::TIME_PRECISION_MONTH;
  }
  if (date) {
    article.set_published_at(FormatRfc3339(*date, offset));
    article.set_published_precision(precision);
  }

  // People.
  std::vector<std::string> authors;
  for (const auto& a : ld.authors)
    if (auto c = CleanMetaText(a); LooksLikePersonName(c, publisher)) authors.push_back(c);
  if (authors.empty()) {
    for (std::string_view key : {"citation_author", "citation_authors", "article:author",
                                 "dc.creator"}) {
      std::string v = CleanMetaText(doc.Meta(key));
      for (auto& n : NamesOnlyLine(v)) authors.push_back(n);
      if (authors.empty() && LooksLikePersonName(v, publisher) &&
          v.find('.') == std::string::npos)
        authors.push_back(v);
      if (!authors.empty()) break;
    }
  }
  if (authors.empty()) {
    // Bylines may run over adjacent lines ("本报实习生 A B" / "本报记者 C D"):
    // take the first line with names and its neighbours that also have
    // names, in document order.
    for (size_t k = 0; k < meta_lines.size(); ++k) {
      if (CountText(meta_lines[k]).tokens > 80) continue;
      auto names = FindAuthors(meta_lines[k]);
      if (names.empty()) continue;
      std::vector<std::vector<std::string>> runs{names};
      bool before_text = k < before_count;
      for (size_t j = k + 1; j < meta_lines.size() && j < k + 3; ++j) {
        if ((j < before_count) != before_text) break;
        auto more = FindAuthors(meta_lines[j]);
        if (more.empty()) break;
        runs.push_back(std::move(more));
      }
      // Lines before the text are stored nearest-first.
      if (before_text) std::reverse(runs.begin(), runs.end());
      for (auto& run : runs)
        for (auto& n : run)
          if (std::find(authors.begin(), authors.end(), n) == authors.end())
            authors.push_back(std::move(n));
      break;
    }
  }
  if (authors.empty()) {
    // Structural hint: a short block before the text inside an element
    // whose id/class names the author (class="author", "byline", ...).
    size_t first = sel.kept.empty() ? sel.first_block : sel.kept.front();
    for (size_t i = 0; i < first && i < blocks.size() && authors.empty(); ++i) {
      const TextBlock& b = blocks[i];
      if (b.tokens == 0 || b.tokens > 12) continue;
      bool hinted = false;
      int32_t e = b.container;
      for (int up = 0; up < 3 && e >= 0 && !hinted; ++up, e = doc.nodes[e].parent) {
        const std::string& h = doc.nodes[e].hint;
        for (std::string_view w : {"author", "byline", "writer", "reporter", "nickname",
                                   "username", "user-name", "up-name", "uname"})
          if (h.find(w) != std::string::npos) hinted = true;
      }
      if (!hinted) continue;
      authors = FindAuthors(b.text);
      if (authors.empty()) authors = NamesOnlyLine(b.text);
      if (authors.empty())
        if (std::string name = LatinPersonName(b.text); !name.empty()) authors.push_back(name);
      if (authors.empty() && LooksLikePersonName(b.text, publisher) &&
          b.text.find(' ') == std::string::npos &&
          !InTable(AsciiLower(b.text).c_str(), kBylineWords))
        authors.push_back(b.text);
    }
  }
  if (authors.empty()) {
    // Short byline paragraphs at either end of the text
    // ("光明日报记者 王建宏 张文攀", "新京报记者 彭冲 山东冠县报道").
    for (size_t k = 0; k < paragraphs.size() && authors.empty(); ++k) {
      if (k >= 3 && k + 3 < paragraphs.size()) continue;
      if (CountText(paragraphs[k]).tokens > 30) continue;
      authors = FindAuthors(paragraphs[k]);
    }
  }
  if (authors.empty()) {
    // Author links and marks: <a rel=author>, links to /author/ pages,
    // itemprop=author. A page naming more than three different people that
    // way lists authors (a sidebar, an index): none of them is taken.
    std::vector<std::string> marked;
    for (const auto& raw : doc.head.author_links) {
      std::string t = Clean(raw);
      for (std::string_view by : {"By ", "by ", "BY "})
        if (t.starts_with(by)) t.erase(0, by.size());
      auto names = FindAuthors(t);
      if (names.empty()) names = NamesOnlyLine(t);
      if (names.empty() && LooksLikePersonName(t, publisher)) names.push_back(t);
      if (!names.empty() && std::find(marked.begin(), marked.end(), names.front()) == marked.end())
        marked.push_back(names.front());
      if (authors.empty()) authors = std::move(names);
    }
    if (marked.size() > 3) authors.clear();
  }
  if (authors.empty()) {
    // A line of bare names right under the headline ("胡平").
    size_t first = sel.kept.empty() ? sel.first_block : sel.kept.front();
    for (size_t back = 1; back <= 3 && back <= first && authors.empty(); ++back) {
      const TextBlock& b = blocks[first - back];
      if (b.link_tokens > 0 || b.heading) continue;
      authors = NamesOnlyLine(b.text);
    }
    if (authors.empty() && !paragraphs.empty() && CountText(paragraphs[0]).tokens <= 12)
      authors = NamesOnlyLine(paragraphs[0]);
  }
  if (authors.empty()) {
    // "光明网讯(记者 金昱希)" inside the first paragraphs, "(作者: X)" at the end.
    for (size_t k = 0; k < paragraphs.size() && authors.empty(); ++k) {
      if (k >= 2 && k + 2 < paragraphs.size()) continue;
      std::string_view p = paragraphs[k];
      for (std::string_view open : {"（", "("}) {
        size_t pos = p.find(open);
        while (pos != std::string_view::npos && authors.empty()) {
          std::string_view inner = p.substr(pos + open.size(), 80);
          size_t close = std::min(inner.find(')'), inner.find("）"));
          if (close != std::string_view::npos) {
            auto names = FindAuthors(inner.substr(0, close));
            if (!names.empty()) authors = names;
          }
          pos = p.find(open, pos + 1);
        }
      }
    }
  }
  if (authors.empty()) {
    std::string meta_author = CleanMetaText(doc.Meta("author"));
    if (LooksLikePersonName(meta_author, publisher) && CountText(meta_author).tokens <= 6)
      authors.push_back(meta_author);
  }
  for (auto& a : authors) article.add_authors(a);

  for (const auto& l : meta_lines) {
    if (CountText(l).tokens > 60) continue;
    auto editors = FindEditors(l);
    if (!editors.empty()) {
      for (auto& e : editors) article.add_editors(e);
      break;
    }
  }
  {
    std::string outlet;
    bool found_strong = false;
    std::vector<std::string_view> lines(meta_lines.begin(), meta_lines.end());
    for (size_t k = paragraphs.size() > 3 ? paragraphs.size() - 3 : 0;
         k < paragraphs.size(); ++k)
      lines.push_back(paragraphs[k]);
    for (std::string_view l : lines) {
      if (CountText(l).tokens > 60) continue;
      bool strong = false;
      std::string o = FindSourceOutlet(l, &strong);
      if (o.empty()) continue;
      if (strong && !found_strong) {
        outlet = o;
        found_strong = true;
      } else if (outlet.empty()) {
        outlet = o;
      }
    }
    // A wire dateline ("WASHINGTON (AP) —") names the agency the story
    // comes from.
    if (outlet.empty() && !paragraphs.empty()) outlet = FindWireAgency(paragraphs.front());
    outlet = Clean(outlet);
    bool same = outlet.empty() || (!publisher.empty() &&
                                   (publisher.find(outlet) != std::string::npos ||
                                    outlet.find(publisher) != std::string::npos));
    if (!same && !site.empty()) {
      std::string label = site.substr(0, site.find('.'));
      if (AsciiLower(outlet).find(label) != std::string::npos) same = true;
    }
    if (!same) article.set_original_source(outlet);
  }
  article.set_publisher(publisher);
  article.set_body(std::move(body));
  if (in.fetched_at) SetTimestamp(*in.fetched_at, article.mutable_fetched_at());
  if (options_.clock) SetTimestamp(options_.clock(), article.mutable_extracted_at());
  article.set_source_charset(choice.charset);
  article.set_charset_source(choice.source);
  article.set_replaced_sequences(decoded.replaced);
  article.set_extractor_version(std::string(kExtractorVersion));
  return article;
}

}  // namespace crawlstream::extractor
