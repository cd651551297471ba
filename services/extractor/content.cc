#include "services/extractor/content.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <unordered_map>

#include "services/extractor/keywords.h"
#include "services/extractor/metadata.h"
#include "services/extractor/normalise.h"
#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

// id/class words naming boilerplate containers. A hint token (id/class
// split at non-alphanumerics) matches when it equals the word, or, by the
// word's mode, starts with it ("comments", "navbar") or ends with it
// ("topnav", "bdshare"). Short words match whole tokens only. Ordinary
// words that merely start or end like one ("eastside", "subscriber-only"
// paywalled bodies, "commentary") are listed in kNotNegative.
enum Match : uint8_t { kExact = 0, kPrefix = 1, kSuffix = 2, kBoth = 3 };
// Strong words name boilerplate whatever it holds (comments, share bars,
// footers). Weak words are as often a design system's generic names
// ("c-product-widget", "list-item", "has-header"): such an element is
// boilerplate only when it holds no prose.
// Discussion words name reader comments, which may outweigh the article
// on a popular post: such an element is never taken for a page wrapper.
enum Strength : uint8_t { kNone = 0, kWeak = 1, kStrong = 2, kDiscussion = 3 };
struct NegativeWord {
  std::string_view word;
  Match match;
  Strength strength;
};
constexpr NegativeWord kNegativeWords[] = {
    {"comment", kBoth, kDiscussion},
    {"footer", kBoth, kStrong},
    {"foot", kBoth, kStrong},
    {"nav", kBoth, kStrong},
    {"menu", kBoth, kStrong},
    {"sidebar", kBoth, kStrong},
    {"side", kBoth, kWeak},
    {"share", kBoth, kStrong},
    {"related", kBoth, kStrong},
    {"relate", kBoth, kStrong},
    {"recommend", kBoth, kStrong},
    {"tuijian", kBoth, kStrong},
    {"xiangguan", kBoth, kStrong},
    {"hot", kExact, kWeak},
    {"rank", kPrefix, kWeak},
    {"copyright", kBoth, kStrong},
    {"banquan", kBoth, kStrong},
    {"breadcrumb", kBoth, kStrong},
    {"crumb", kBoth, kStrong},
    {"position", kBoth, kWeak},
    {"location", kBoth, kWeak},
    {"ad", kExact, kStrong},
    {"ads", kExact, kStrong},
    {"advert", kBoth, kStrong},
    {"guanggao", kBoth, kStrong},
    {"banner", kBoth, kWeak},
    {"login", kBoth, kStrong},
    {"header", kBoth, kWeak},
    {"topbar", kBoth, kWeak},
    {"toolbar", kBoth, kWeak},
    {"tool", kBoth, kWeak},
    {"tools", kBoth, kWeak},
    {"vote", kBoth, kStrong},
    {"mood", kBoth, kStrong},
    {"xinqing", kBoth, kStrong},
    {"biaoqing", kBoth, kStrong},
    {"emotion", kBoth, kStrong},
    {"social", kBoth, kStrong},
    {"subscribe", kBoth, kStrong},
    {"pager", kBoth, kStrong},
    {"pagination", kBoth, kStrong},
    {"more", kBoth, kWeak},
    {"list", kBoth, kWeak},
    {"widget", kBoth, kWeak},
    {"popup", kBoth, kStrong},
    {"modal", kBoth, kStrong},
    {"qrcode", kBoth, kStrong},
    {"sns", kExact, kStrong},
    {"jiathis", kBoth, kStrong},
    {"digg", kBoth, kStrong},
    {"friend", kBoth, kWeak},
    {"links", kBoth, kWeak},
    {"newsletter", kBoth, kStrong},
    {"signup", kBoth, kStrong},
    {"paywall", kBoth, kStrong},
    {"cookie", kBoth, kStrong},
    {"consent", kBoth, kStrong},
    {"gdpr", kBoth, kStrong},
    {"promo", kBoth, kWeak},
    {"outbrain", kBoth, kStrong},
    {"taboola", kBoth, kStrong},
    {"disqus", kBoth, kDiscussion},
    {"pullquote", kBoth, kStrong},
    {"respond", kExact, kDiscussion},
};
constexpr std::string_view kNotNegative[] = {
    "commentary", "commentator", "commentators", "shared", "shareholder",
    "shareholders", "listing", "listings", "listen", "subscriber", "subscribers",
    "inside", "outside", "eastside", "westside", "northside", "southside",
    "seaside", "countryside", "riverside", "lakeside", "upside", "downside",
    "bedside", "courtside", "ringside", "hillside", "morecambe", "moreover",
    "footage", "football", "toolkit", "positional", "relatedness"};
// Whole classes that are boilerplate although no token is: pull quotes
// repeat the text.
constexpr std::string_view kNegativeClasses[] = {"pull-quote", "pull-out", "pullout"};

// Substrings of a hint that mark article containers.
constexpr std::array<std::string_view, 18> kPositiveHints = {
    "article", "content", "post", "entry", "story", "text", "body",
    "main", "detail", "zoom", "neirong", "zhengwen", "artibody", "cont",
    "txt", "read", "blog", "news_con"};

bool MatchesAny(std::string_view hint, const auto& list) {
  for (std::string_view h : list)
    if (hint.find(h) != std::string_view::npos) return true;
  return false;
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         (c >= 'A' && c <= 'Z');
}

// Calls fn with each run of ASCII letters and digits in `s`.
template <typename Fn>
void ForEachAlnumToken(std::string_view s, Fn fn) {
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && !IsAlnum(s[i])) ++i;
    size_t j = i;
    while (j < s.size() && IsAlnum(s[j])) ++j;
    if (j > i) fn(s.substr(i, j - i));
    i = j;
  }
}

// `list_element`: the element is a list (ul, ol, dl), whose class naming
// it a list ("wp-block-list" on every WordPress list) says nothing.
Strength NegativeToken(std::string_view tok, bool list_element) {
  if (tok.empty() || (list_element && tok == "list")) return kNone;
  for (std::string_view ok : kNotNegative)
    if (tok == ok) return kNone;
  Strength best = kNone;
  for (const NegativeWord& w : kNegativeWords) {
    // Every match shares the first or the last letter: most tokens are
    // ruled out without a string comparison (this runs for every class
    // token of every element).
    if (tok.front() != w.word.front() && tok.back() != w.word.back()) continue;
    bool hit = tok == w.word ||
               (tok.size() > w.word.size() &&
                (((w.match & kPrefix) && tok.starts_with(w.word)) ||
                 ((w.match & kSuffix) && tok.ends_with(w.word))));
    if (hit) best = std::max(best, w.strength);
  }
  return best;
}

// `hint` is "id class1 class2 ...". Taxonomy classes that CMSs derive from
// editors' tags and categories (WordPress "tag-eastside",
// "category-social-media") name the article's subject, not its furniture,
// and are skipped.
Strength HasNegativeWord(std::string_view hint, bool list_element) {
  Strength best = kNone;
  size_t c = 0;
  while (c < hint.size()) {
    size_t e = hint.find(' ', c);
    if (e == std::string_view::npos) e = hint.size();
    std::string_view cls = hint.substr(c, e - c);
    c = e + 1;
    if (cls.empty() || cls.starts_with("tag-") || cls.starts_with("category-") ||
        cls.starts_with("tags-") || cls.starts_with("cat-") || cls.starts_with("topic-"))
      continue;
    for (std::string_view neg : kNegativeClasses)
      if (cls == neg) return kStrong;
    ForEachAlnumToken(cls, [&](std::string_view tok) {
      best = std::max(best, NegativeToken(tok, list_element));
    });
  }
  return best;
}

// Tokens of an id/class that name the article's own container; a hint with
// one of them is never boilerplate ("elementor-widget-theme-post-content",
// "entry-content widget").
constexpr std::string_view kContentTokens[] = {
    "content", "article", "articlebody", "body", "post", "entry", "story",
    "text", "prose"};

bool HasContentToken(std::string_view hint) {
  bool found = false;
  ForEachAlnumToken(hint, [&](std::string_view tok) {
    for (std::string_view c : kContentTokens) found = found || tok == c;
  });
  return found;
}

bool IsListElement(const Node& n) {
  return n.tag == Tag::kUl || n.tag == Tag::kOl || n.tag == Tag::kDl;
}

Strength NegativeStrength(const Node& n) {
  if (n.tag == Tag::kNav || n.tag == Tag::kAside || n.tag == Tag::kFooter)
    return kStrong;
  if (n.hint.empty() || n.article_body) return kNone;
  if (HasContentToken(n.hint)) return kNone;
  return HasNegativeWord(n.hint, IsListElement(n));
}


// A boilerplate-named element holding at least this share of the text
// around it is a wrapper, not boilerplate.
constexpr double kWrapperShare = 0.5;
// Widening to an ancestor needs at least this share of prose in what the
// ancestor adds.
constexpr double kWidenProseShare = 0.4;
constexpr size_t kWidenLevels = 14;
// Date stamps are looked for among the first kept blocks of the text.
constexpr size_t kStampZoneBlocks = 6;
// A promotion marker ("Related", 相关阅读; IsPromoMarker) inside a small
// box with more of the article after it is an inline promo, not the end: the box goes, the text
// after it stays. The box is the marker's largest ancestor below the root
// with at most kMaxInlineBoxTokens; "more of the article" is at least
// kMinProseAfterBox prose tokens and half the prose before the marker.
constexpr double kMaxInlineBoxTokens = 150;
constexpr double kMinProseAfterBox = 100;
constexpr uint32_t kMaxDateStampTokens = 8;
// A run of teasers after the text (related or recent posts, each a short
// summary and a date line): at least this many date lines, at most
// kTeaserGapBlocks blocks of at most kTeaserMaxTokens between two of them,
// and less text than the article before it.
constexpr size_t kMinTeaserDates = 3;
constexpr size_t kTeaserGapBlocks = 3;
constexpr uint32_t kTeaserMaxTokens = 80;

double Boost(const Node& n, Strength negative) {
  if (n.article_body) return 1.6;
  if (negative != kNone) return 0.3;
  double b = 1.0;
  if (n.tag == Tag::kArticle) b = 1.25;
  if (!n.hint.empty() && MatchesAny(n.hint, kPositiveHints)) b = 1.25;
  return b;
}

// --- Line tables. Chinese entries are written once, in Simplified: the
// Traditional forms are derived by KeywordTable (keywords.h). ---

// Paywall, newsletter and consent prompts.
const KeywordTable& PromptLines() {
  static const KeywordTable t{
      "free articles", "free article this month", "Subscribe now", "Already a subscriber",
      "already a subscriber", "Enter your email", "enter your email", "Privacy Notice",
      "Privacy Policy and Terms", "reCAPTCHA", "reCaptcha", "Sign up for our",
      "sign up for our", "Sign up to our", "Create a free account", "Log in to continue",
      "Continue reading with", "Subscribe to continue", "This content is for subscribers",
      "Add your comment", "Comments are the opinions",
      // Affiliate disclosures.
      "earn a commission", "may earn commission", "earn commission from", "affiliate links",
      "affiliate commission", "If you buy through", "If you buy something through",
      "If you click on links", "select and review products independently",
      "We independently evaluate", "independently selected by"};
  return t;
}

// Short lines (12 tokens or fewer) that start with one of these are photo
// credits and review/update stamps, wherever they stand.
constexpr std::string_view kStampPrefixes[] = {
    "Image:", "Image credit", "Photo:", "Photo by ", "Photograph:", "Photos:", "Credit:",
    "Reviewed by ", "Medically reviewed by ", "Fact checked by ", "Fact-checked by ",
    "Edited by ", "Written by ", "Updated on ", "Published on ", "Last updated",
    "Updated:", "Published:", "Posted on "};
// Stock agencies named in photo credits.
constexpr std::string_view kCreditAgencies[] = {"Getty Images", "Shutterstock", "Unsplash",
                                                "iStock", "Alamy"};
constexpr uint32_t kMaxStampTokens = 12;

bool IsStampLine(std::string_view line, const TextStats& st) {
  if (st.tokens > kMaxStampTokens) return false;
  for (std::string_view p : kStampPrefixes)
    if (line.starts_with(p)) return true;
  for (std::string_view a : kCreditAgencies)
    if (line.find(a) != std::string_view::npos) return true;
  return false;
}

// Scraper and copyright disclaimers, recognised in lines of any length.
const KeywordTable& Disclaimers() {
  static const KeywordTable t{"以上内容为资讯信息快照", "不代表本站立场",
                              "本站未对信息做任何修改", "如有侵权请联系",
                              "凡本网所属版权作品"};
  return t;
}

// Share prompts, navigation, copyright and registration lines.
const KeywordTable& Furniture() {
  static const KeywordTable t{
      "分享到", "点击右上角", "微信好友", "朋友圈", "请使用浏览器分享", "扫一扫",
      "扫描二维码", "二维码", "打印本页", "关闭窗口", "【打印】", "【关闭】", "字号",
      "收藏本文", "返回顶部", "我要评论", "发表评论", "网友评论", "版权所有", "Copyright",
      "copyright", "©", "ICP备", "ICP证", "公网安备", "微信公众号", "官方微信",
      "您此时的心情", "新闻表情", "免责声明", "版权声明", "反侵权公告", "快照", "爬虫",
      "信息原文地址", "阅读剩余全文", "加载更多", "展开全文", "查看更多", "更多关于",
      "返回首页", "上一篇", "下一篇", "上一页", "下一页", "当前位置", "您现在的位置",
      "正在阅读", "首页>", "首页 >", "All rights reserved", "Share this", "Advertisement",
      "Sign up", "Subscribe", "Read more", "【字体", "【大 中 小】", "大 中 小", "欢迎光临"};
  return t;
}

// Byline, editor, source and contact lines (short lines only).
const KeywordTable& BylineAndContact() {
  static const KeywordTable t{
      "责任编辑", "责编", "本文转自", "转自：", "转自:", "电话：", "电话:", "传真",
      "地址：", "地址:", "电子邮件", "E-mail", "邮编", "来源：", "来源:", "发布时间",
      "作者：", "作者:", "记者：", "点击：", "点击:", "浏览次数", "阅读次数"};
  return t;
}

// Markers after which everything is boilerplate, in long lines.
const KeywordTable& LongEndMarkers() {
  static const KeywordTable t{"以上内容为资讯信息快照", "凡本网所属版权作品",
                              "【版权及免责声明】"};
  return t;
}

// Markers after which everything is boilerplate (related lists, mood votes,
// copyright notices, editor lines).
const KeywordTable& EndMarkers() {
  static const KeywordTable t{
      "相关阅读", "相关文章", "相关新闻", "延伸阅读", "推荐阅读", "热门推荐", "猜你喜欢",
      "您此时的心情", "新闻表情排行", "以上内容为资讯信息快照", "版权所有", "【版权",
      "免责声明", "责编", "责任编辑", "阅读剩余全文", "分享到", "反侵权公告", "版权公告",
      "Related Articles", "Related articles", "More stories"};
  return t;
}

struct Linearizer {
  const Document& doc;
  std::vector<TextBlock>* out;
  std::string current;
  uint32_t link_tokens = 0;
  int32_t container = 0;
  bool heading = false;

  void Flush() {
    std::string text = RemoveConverterPinyin(NormaliseParagraph(current));
    current.clear();
    if (!text.empty()) {
      TextStats st = CountText(text);
      TextBlock b;
      b.container = container;
      b.tokens = st.tokens;
      b.link_tokens = std::min(link_tokens, st.tokens);
      b.punct = st.punct;
      b.stats = st;
      b.heading = heading;
      b.text = std::move(text);
      out->push_back(std::move(b));
    }
    link_tokens = 0;
  }

  void Walk(int32_t index, bool in_link) {
    const Node& n = doc.nodes[index];
    if (n.tag == Tag::kText) {
      current += n.text;
      if (in_link) link_tokens += CountText(n.text).tokens;
      return;
    }
    if (n.tag == Tag::kBr || n.tag == Tag::kHr) {
      Flush();
      return;
    }
    if (n.is_block) {
      Flush();
      int32_t saved = container;
      bool saved_heading = heading;
      container = index;
      heading = IsHeading(n.tag) || (saved_heading && !n.is_block);
      for (int32_t c : n.children) Walk(c, in_link);
      Flush();
      container = saved;
      heading = saved_heading;
      return;
    }
    bool link = in_link || n.tag == Tag::kA;
    for (int32_t c : n.children) Walk(c, link);
  }
};

// A paragraph that reads like article prose.
bool IsProse(const TextBlock& b) {
  if (b.heading) return false;
  if (b.link_tokens * 2 > b.tokens) return false;
  if (b.tokens >= 20 && b.punct >= 2) return true;
  std::string_view t = b.text;
  bool ends_sentence = t.ends_with("。") || t.ends_with("！") ||
                       t.ends_with("？") || t.ends_with("”") ||
                       t.ends_with(".") || t.ends_with("!") || t.ends_with("?");
  // One short sentence is more often a headline or deck than prose.
  return b.tokens >= 8 && ends_sentence && (b.punct >= 2 || b.tokens >= 15) &&
         !IsBoilerplateLine(t, b.stats);
}

// A table cell or list item: short text there is data, not a counter.
bool InTableOrList(const Node& n) {
  return n.tag == Tag::kTd || n.tag == Tag::kTh || n.tag == Tag::kLi || n.tag == Tag::kDd ||
         n.tag == Tag::kDt;
}

// Sentence-shaped text with few links, of any length.
bool IsProseLike(const TextBlock& b) {
  return !b.heading && b.tokens >= 10 && b.punct >= 1 && b.link_tokens * 3 < b.tokens;
}

double BlockValue(const TextBlock& b) {
  if (b.tokens == 0) return 0;
  double ld = static_cast<double>(b.link_tokens) / b.tokens;
  if (ld > 0.5) return -0.5 * b.tokens;
  if (b.punct == 0 && b.tokens < 20) return -0.2 * b.tokens;
  double v = (b.tokens + 3.0 * b.punct) * (1.0 - ld) * (1.0 - ld);
  if (b.punct == 0) v *= 0.3;
  return v;
}

// The chosen container often holds one section of a text cut into sibling
// sections (page builders, "best of" lists, jump-linked guides). Looks up
// to kWidenLevels ancestors and returns the highest one whose additions,
// counted from `best`, read as more of the text: mostly prose, more prose
// than link lists and boilerplate (which the block filter drops later), or
// positive value with few links (continuation tables, a second column). A
// step that adds only a "Read more" link does not stop the look-up.
int32_t WidenOverSections(const Document& doc, const std::vector<TextBlock>& blocks,
                          const std::vector<uint8_t>& negative,
                          int32_t best) {
  std::vector<int32_t> chain;  // ancestors of best, nearest first
  for (int32_t e = doc.nodes[best].parent; e >= 0 && !negative[e] &&
                                           chain.size() < kWidenLevels;
       e = doc.nodes[e].parent)
    chain.push_back(e);
  if (chain.empty()) return best;
  // Level of the chain at which each element joins: kInside under best,
  // chain.size() never. One pass: parents precede children in the arena.
  constexpr size_t kInside = SIZE_MAX;
  constexpr size_t kUnset = SIZE_MAX - 1;
  std::vector<size_t> joins(doc.nodes.size(), kUnset);
  joins[static_cast<size_t>(best)] = kInside;
  for (size_t k = 0; k < chain.size(); ++k) joins[static_cast<size_t>(chain[k])] = k;
  for (size_t i = 0; i < doc.nodes.size(); ++i) {
    if (joins[i] != kUnset) continue;
    const int32_t parent = doc.nodes[i].parent;
    joins[i] = parent >= 0 ? joins[static_cast<size_t>(parent)] : chain.size();
  }
  auto join_level = [&](int32_t c) { return joins[static_cast<size_t>(c)]; };
  struct Extra {
    double value = 0, tokens = 0, links = 0, prose = 0, bad = 0, min_value = 0;
  };
  std::vector<Extra> added(chain.size());
  for (const TextBlock& b : blocks) {
    size_t k = join_level(b.container);
    if (k >= chain.size()) continue;
    double v = BlockValue(b);
    if (negative[b.container] && v > 0) v = -0.5 * v;
    Extra& x = added[k];
    x.value += v;
    x.tokens += b.tokens;
    x.links += b.link_tokens;
    x.min_value = std::min(x.min_value, v);
    if (negative[b.container] || b.link_tokens * 2 > b.tokens) {
      x.bad += b.tokens;
    } else if (IsProseLike(b)) {
      x.prose += b.tokens;
    }
  }
  int32_t chosen = best;
  Extra total;
  for (size_t k = 0; k < chain.size(); ++k) {
    const Extra& x = added[k];
    total.value += x.value;
    total.tokens += x.tokens;
    total.links += x.links;
    total.prose += x.prose;
    total.bad += x.bad;
    total.min_value = std::min(total.min_value, x.min_value);
    if (total.tokens == 0) {
      chosen = chain[k];
      continue;
    }
    bool more_sections = total.prose >= kWidenProseShare * total.tokens &&
                         total.prose >= total.bad;
    bool continuation = total.value > 0.3 * total.tokens &&
                        total.links < 0.15 * total.tokens && total.min_value > -10;
    if (more_sections || continuation) chosen = chain[k];
  }
  return chosen;
}

}  // namespace

bool IsBoilerplateLine(std::string_view line) { return IsBoilerplateLine(line, CountText(line)); }

bool IsBoilerplateLine(std::string_view line, const TextStats& st) {
  // Mood-vote and counter fragments: "开心 0", "点赞".
  return IsFurnitureLine(line, st) || (st.tokens <= 3 && st.punct == 0);
}

bool IsShortFragment(std::string_view line) {
  TextStats st = CountText(line);
  return st.tokens <= 3 && st.punct == 0;
}

bool IsFurnitureLine(std::string_view line) { return IsFurnitureLine(line, CountText(line)); }

bool IsFurnitureLine(std::string_view line, const TextStats& st) {
  // Paywall, newsletter, consent and affiliate prompts: unmistakable in any
  // line of prompt length.
  if (st.tokens <= 80 && PromptLines().ContainedIn(line)) return true;
  if (IsStampLine(line, st)) return true;
  // Long lines: only unmistakable disclaimers.
  if (st.tokens > 80) return Disclaimers().ContainedIn(line);
  // Page furniture: share prompts, navigation, copyright, disclaimers.
  // Prose that merely contains such a word ("他就能分享到一份光荣。") is
  // longer and punctuated.
  const bool furniture_shaped = st.tokens <= 20 || st.punct * 15 < st.tokens;
  if (furniture_shaped && Furniture().ContainedIn(line)) return true;
  // Bylines and contact lines: only when the line is short, since prose
  // quotes them ("……告诉记者：").
  return st.tokens <= 25 && BylineAndContact().ContainedIn(line);
}

namespace {

// English section headings that end an article (comments, related and
// popular lists, author boxes), compared case-insensitively at the start of
// a short line.
bool IsEnglishEndHeading(std::string_view line, const TextStats& st) {
  if (st.tokens == 0 || st.tokens > 8) return false;
  std::string lower;
  for (char c : line.substr(0, 40))
    lower.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  // A count before the heading: "109 Comments", "12 thoughts on ...".
  size_t digits = 0;
  while (digits < lower.size() && lower[digits] >= '0' && lower[digits] <= '9') ++digits;
  if (digits > 0 && digits < lower.size() && lower[digits] == ' ') {
    std::string_view rest = std::string_view(lower).substr(digits + 1);
    for (std::string_view m : {"comments", "comment", "responses", "replies", "thoughts on"})
      if (rest.starts_with(m)) return true;
  }
  for (std::string_view m :
       {"related articles", "related posts", "related stories", "related coverage",
        "related content", "more stories", "more from", "read next", "most read",
        "most popular", "most viewed", "you may also like", "you might also like",
        "recommended for you", "reader comments", "readers' comments", "comments (",
        "leave a reply", "leave a comment", "add your comment", "post a comment",
        "join the conversation", "about the author", "trending now", "reader interactions",
        "was this page helpful", "was this article helpful", "was this helpful",
        "did you find this article helpful", "rate this article", "meet the author",
        "about the authors", "you may be interested in", "you may also be interested in"})
    // The heading alone, or with a count or a short tail ("More from
    // National", "Comments (12)"); not a subheading that starts alike
    // ("Most popular destinations in 2024").
    if (lower.starts_with(m) && (lower.size() == m.size() || st.tokens <= 4)) return true;
  return lower == "comments" || lower == "related";
}

}  // namespace

bool IsEndOfArticleLine(std::string_view line) {
  return IsEndOfArticleLine(line, CountText(line));
}

bool IsEndOfArticleLine(std::string_view line, const TextStats& st) {
  if (IsEnglishEndHeading(line, st)) return true;
  if (st.tokens > 40) return LongEndMarkers().ContainedIn(line);
  // Short lines, or lines that start with the marker ("【版权声明】...").
  std::string_view head = line;
  while (!head.empty() && (head.front() == '[' || head.front() == '(' || head.front() == ' '))
    head.remove_prefix(1);
  for (std::string_view open : {"【", "（", "〔"})
    if (head.starts_with(open)) head.remove_prefix(open.size());
  if (st.tokens > 15) line = head.substr(0, std::min<size_t>(head.size(), 24));
  return EndMarkers().ContainedIn(line);
}

std::vector<TextBlock> LinearizeBlocks(const Document& doc) {
  std::vector<TextBlock> blocks;
  if (doc.nodes.empty()) return blocks;
  Linearizer lin{doc, &blocks, {}, 0, 0, false};
  lin.Walk(0, false);
  lin.Flush();
  return blocks;
}

namespace {

// Per-element measures the selection steps read, computed once (parents
// precede children in the arena, so reverse passes accumulate subtrees).
struct ElementStats {
  std::vector<double> tokens;        // tokens under the element
  std::vector<double> prose;         // prose tokens under it
  std::vector<double> marker_prose;  // prose of its largest article marker
  std::vector<Strength> strength;    // boilerplate words in its id/class

  // A boilerplate-named element is boilerplate unless it is a wrapper
  // holding at least kWrapperShare of `reference` tokens (never for
  // reader comments), holds the page's article marker, or (weak words)
  // holds prose.
  bool Boilerplate(size_t i, double reference) const {
    const Strength st = strength[i];
    if (st == kNone) return false;
    if (st != kDiscussion && tokens[i] >= kWrapperShare * reference) return false;
    if (prose[i] > 0 && marker_prose[i] >= 0.5 * prose[i]) return false;
    return st >= kStrong || prose[i] < 0.5 * tokens[i];
  }
};

void SumSubtrees(const Document& doc, std::vector<double>* values) {
  for (size_t k = values->size(); k > 1; --k) {
    const int32_t parent = doc.nodes[k - 1].parent;
    if (parent >= 0) (*values)[static_cast<size_t>(parent)] += (*values)[k - 1];
  }
}

ElementStats MeasureElements(const Document& doc, const std::vector<TextBlock>& blocks) {
  const size_t n = doc.nodes.size();
  ElementStats st;
  st.tokens.assign(n, 0.0);
  st.prose.assign(n, 0.0);
  for (const TextBlock& b : blocks) {
    st.tokens[b.container] += b.tokens;
    if (IsProseLike(b)) st.prose[b.container] += b.tokens;
  }
  SumSubtrees(doc, &st.tokens);
  SumSubtrees(doc, &st.prose);
  // A layout column named "sidebar-first-only" that holds the page's
  // <article> (or <main>, itemprop=articleBody) is no sidebar.
  st.marker_prose.assign(n, 0.0);
  for (size_t k = n; k > 0; --k) {
    const Node& node = doc.nodes[k - 1];
    if (node.tag == Tag::kArticle || node.tag == Tag::kMain || node.article_body)
      st.marker_prose[k - 1] = std::max(st.marker_prose[k - 1], st.prose[k - 1]);
    if (node.parent >= 0)
      st.marker_prose[node.parent] = std::max(st.marker_prose[node.parent], st.marker_prose[k - 1]);
  }
  // Pages repeat a few class lists thousands of times ("card__item"): each
  // distinct hint is matched against the word tables once.
  st.strength.assign(n, kNone);
  std::unordered_map<std::string_view, Strength> by_hint[2];  // [list element]
  for (size_t i = 0; i < n; ++i) {
    const Node& node = doc.nodes[i];
    if (node.tag == Tag::kText) continue;
    if (node.tag == Tag::kNav || node.tag == Tag::kAside || node.tag == Tag::kFooter ||
        node.hint.empty() || node.article_body) {
      st.strength[i] = NegativeStrength(node);
      continue;
    }
    auto [it, fresh] = by_hint[IsListElement(node)].try_emplace(node.hint, kNone);
    if (fresh) it->second = NegativeStrength(node);
    st.strength[i] = it->second;
  }
  return st;
}

// Boilerplate relative to the whole page, inherited by descendants.
std::vector<uint8_t> MarkBoilerplate(const Document& doc, const ElementStats& st) {
  const size_t n = doc.nodes.size();
  std::vector<uint8_t> negative(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const Node& node = doc.nodes[i];
    if (node.tag == Tag::kText) continue;
    const bool inherited = node.parent >= 0 && negative[node.parent];
    negative[i] = inherited || st.Boilerplate(i, st.tokens[0]);
  }
  return negative;
}

// Block values spread to containers and ancestors with decay, times the
// element's boost; the best block-level element (-1 when none is
// positive).
int32_t BestContainer(const Document& doc, const std::vector<TextBlock>& blocks,
                      const std::vector<uint8_t>& negative, const ElementStats& st,
                      double* best_score) {
  const size_t n = doc.nodes.size();
  std::vector<double> score(n, 0.0);
  static constexpr double kDecay[] = {1.0, 1.0, 0.5, 0.25};
  for (const TextBlock& b : blocks) {
    double v = BlockValue(b);
    if (negative[b.container] && v > 0) v = -0.5 * v;
    int32_t e = b.container;
    for (double f : kDecay) {
      if (e < 0) break;
      score[e] += v * f;
      e = doc.nodes[e].parent;
    }
  }
  int32_t best = -1;
  *best_score = 0;
  for (size_t k = n; k > 0; --k) {
    const size_t i = k - 1;
    const Node& node = doc.nodes[i];
    if (node.tag == Tag::kText || !node.is_block) continue;
    const double s = score[i] * Boost(node, st.strength[i]);
    if (s > *best_score) {
      *best_score = s;
      best = static_cast<int32_t>(i);
    }
  }
  return best;
}

// True when a block inside the chosen container is not article text.
// `seen_prose`: a prose paragraph came before it.
bool DropInsideRoot(const Document& doc, const TextBlock& b, bool seen_prose,
                    size_t kept_so_far) {
  if (b.tokens > 0 && b.link_tokens * 2 > b.tokens && (b.tokens < 60 || b.punct < 3))
    return true;  // a link list
  // A date stamp under the deck ("Feb 4, 2025", "Nov 25, 2025 5:00 am
  // PST") is byline furniture, not text.
  if (seen_prose && kept_so_far < kStampZoneBlocks && b.tokens <= kMaxDateStampTokens &&
      FindDate(b.text))
    return true;
  // Section headings inside the text ("The logbooks"), table cells and
  // list items ("UT Dallas", "Fast cycle times") are short and
  // unpunctuated like vote counters; only furniture removes them.
  const bool structured = seen_prose && (b.heading || InTableOrList(doc.nodes[b.container]));
  return structured ? IsFurnitureLine(b.text, b.stats) : IsBoilerplateLine(b.text, b.stats);
}

bool IsDateStamp(const TextBlock& b) {
  return b.tokens > 0 && b.tokens <= kMaxDateStampTokens && FindDate(b.text).has_value();
}

// Index in sel->kept where a trailing run of teasers starts (summary and
// date line repeated to the end of the text), or kept.size() when there is
// none. Language-neutral: it reads only dates and block sizes.
size_t TeaserRunStart(const std::vector<TextBlock>& blocks, const ContentSelection& sel) {
  const auto& kept = sel.kept;
  const size_t none = kept.size();
  std::vector<size_t> dates;  // positions in kept, from the end backwards
  size_t since_date = 0;      // blocks after the latest date line seen
  size_t trailing = 0;        // blocks after the last date line
  for (size_t k = kept.size(); k-- > 0;) {
    const TextBlock& b = blocks[kept[k]];
    if (IsDateStamp(b)) {
      if (dates.empty()) trailing = since_date;
      dates.push_back(k);
      since_date = 0;
      continue;
    }
    if (b.tokens > kTeaserMaxTokens || since_date >= kTeaserGapBlocks) break;
    ++since_date;
  }
  if (dates.size() < kMinTeaserDates || trailing >= kTeaserGapBlocks) return none;
  // Date line last in each teaser (nothing after the last one): the
  // teaser's summary comes before its date, so the run starts that many
  // blocks before the first date; date first: at the first date.
  const size_t first = dates.back();
  const size_t gap = dates[dates.size() - 2] - first - 1;
  const size_t start = trailing == 0 ? first - std::min(first, gap) : first;
  uint32_t before = 0, run = 0;
  for (size_t k = 0; k < kept.size(); ++k) (k < start ? before : run) += blocks[kept[k]].tokens;
  return run < before ? start : none;
}

// End markers that label a promotion box ("Related", "Read next",
// 相关阅读): such a box may sit inside the article. Other markers (reader
// comments, author bios, copyright, editor lines) always end it.
bool IsPromoMarker(std::string_view line) {
  std::string lower = AsciiLower(line.substr(0, 60));
  for (std::string_view w : {"related", "read next", "read more", "more from", "more stories",
                             "recommended", "you may also like", "you might also like",
                             "see also", "also read", "相关", "相關", "延伸阅读", "延伸閱讀",
                             "推荐", "推薦", "猜你喜欢", "猜你喜歡", "热门", "熱門"})
    if (lower.find(w) != std::string::npos) return true;
  return false;
}

// Keeps the article's blocks inside `root`: drops boilerplate elements
// below it, link lists, furniture, everything after an end-of-article
// marker, titles and bylines before the first prose paragraph, short
// byline-like lines after the last one, and a trailing run of teasers.
void FilterBlocks(const Document& doc, const std::vector<TextBlock>& blocks,
                  const ElementStats& st, std::string_view title, ContentSelection* sel) {
  const int32_t root = sel->root;
  auto inside = [&](int32_t e) {
    for (; e >= 0; e = doc.nodes[e].parent)
      if (e == root) return true;
    return false;
  };
  const double root_tokens = st.tokens[static_cast<size_t>(root)];
  auto boilerplate_below_root = [&](int32_t e) {
    for (; e >= 0 && e != root; e = doc.nodes[e].parent)
      if (st.Boilerplate(static_cast<size_t>(e), root_tokens)) return true;
    return false;
  };
  std::vector<size_t> candidates;
  for (size_t i = 0; i < blocks.size(); ++i)
    if (inside(blocks[i].container)) candidates.push_back(i);
  if (candidates.empty()) return;
  sel->first_block = candidates.front();
  sel->last_block = candidates.back();

  const std::string norm_title = NormaliseParagraph(title);
  // The box around an end marker, when it is an inline promo (see
  // kMaxInlineBoxTokens); -1 when the marker ends the article.
  auto inline_box = [&](size_t at, int32_t marker_container) -> int32_t {
    if (!IsPromoMarker(blocks[candidates[at]].text)) return -1;
    int32_t box = -1;
    for (int32_t e = marker_container; e >= 0 && e != root; e = doc.nodes[e].parent) {
      if (st.tokens[static_cast<size_t>(e)] > kMaxInlineBoxTokens) break;
      box = e;
    }
    if (box < 0) return -1;
    auto in_box = [&](int32_t e) {
      for (; e >= 0 && e != root; e = doc.nodes[e].parent)
        if (e == box) return true;
      return false;
    };
    double before = 0, after = 0;
    for (size_t k = 0; k < candidates.size(); ++k) {
      const TextBlock& c = blocks[candidates[k]];
      if (!IsProse(c) || in_box(c.container)) continue;
      (k < at ? before : after) += c.tokens;
    }
    return after >= kMinProseAfterBox && after * 2 >= before ? box : -1;
  };
  int32_t skip_box = -1;  // an inline promo being skipped
  auto inside_box = [&](int32_t e) {
    for (; skip_box >= 0 && e >= 0 && e != root; e = doc.nodes[e].parent)
      if (e == skip_box) return true;
    return false;
  };
  bool seen_prose = false;
  for (size_t at = 0; at < candidates.size(); ++at) {
    const size_t i = candidates[at];
    const TextBlock& b = blocks[i];
    if (inside_box(b.container)) {
      sel->dropped.push_back(i);
      continue;
    }
    bool drop = boilerplate_below_root(b.container);
    if (!drop && seen_prose && !(b.tokens > 0 && b.link_tokens * 2 > b.tokens &&
                                 (b.tokens < 60 || b.punct < 3)) &&
        IsEndOfArticleLine(b.text, b.stats)) {
      if (const int32_t box = inline_box(at, b.container); box >= 0) {
        skip_box = box;
        sel->dropped.push_back(i);
        continue;
      }
      // Everything from here on is boilerplate.
      sel->tail_start = i + 1;
      for (size_t j : candidates)
        if (j >= i) sel->dropped.push_back(j);
      break;
    }
    if (!drop) drop = DropInsideRoot(doc, b, seen_prose, sel->kept.size());
    if (!drop && !seen_prose) {
      const bool is_title = !norm_title.empty() && b.tokens < 40 &&
                            (norm_title.find(b.text) != std::string::npos ||
                             b.text.find(norm_title) != std::string::npos);
      if (IsProse(b) && !is_title) {
        seen_prose = true;
      } else if (b.heading || b.text == norm_title || b.punct == 0 || b.tokens < 40) {
        drop = true;  // title, byline, date line before the text
      }
    }
    (drop ? sel->dropped : sel->kept).push_back(i);
  }
  const size_t teasers = TeaserRunStart(blocks, *sel);
  for (size_t k = teasers; k < sel->kept.size(); ++k) sel->dropped.push_back(sel->kept[k]);
  sel->kept.resize(teasers);
  // Trailing fragments after the last prose paragraph: signatures such as
  // "(完)" stay, byline-like short lines go.
  while (!sel->kept.empty()) {
    const TextBlock& b = blocks[sel->kept.back()];
    if (IsProse(b) || b.tokens >= 8) break;
    if (b.text.starts_with("（") || b.text.starts_with("(")) break;
    sel->dropped.push_back(sel->kept.back());
    sel->kept.pop_back();
  }
  std::sort(sel->dropped.begin(), sel->dropped.end());
}

}  // namespace

// measure -> mark boilerplate -> best container -> widen -> filter blocks.
ContentSelection SelectContent(const Document& doc,
                               const std::vector<TextBlock>& blocks,
                               std::string_view title) {
  ContentSelection sel;
  if (blocks.empty() || doc.nodes.empty()) return sel;
  const ElementStats stats = MeasureElements(doc, blocks);
  const std::vector<uint8_t> negative = MarkBoilerplate(doc, stats);
  double best_score = 0;
  const int32_t best = BestContainer(doc, blocks, negative, stats, &best_score);
  if (best < 0) return sel;
  sel.root = WidenOverSections(doc, blocks, negative, best);
  sel.score = best_score;
  FilterBlocks(doc, blocks, stats, title, &sel);
  return sel;
}

}  // namespace crawlstream::extractor
