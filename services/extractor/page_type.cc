#include "services/extractor/page_type.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

// The committed model: kModelWeights (bias first, then one weight per
// feature, on standardised features), kModelMeans, kModelScales,
// kModelThreshold and kModelLanguages.
#include "services/extractor/page_type_model.inc"

static_assert(std::size(kModelWeights) == kPageFeatureCount + 1);
static_assert(std::size(kModelMeans) == kPageFeatureCount);
static_assert(std::size(kModelScales) == kPageFeatureCount);

constexpr std::array<std::string_view, kPageFeatureCount> kFeatureNames = {
    "log_body_tokens",    "log_paragraphs",     "log_tokens_per_paragraph",
    "prose_share",        "page_link_density",  "body_share_of_page",
    "ld_article",         "ld_non_article",     "og_article",
    "has_published_meta", "has_author_meta",    "url_has_date",
    "url_slug_words",     "url_depth",          "teaser_heading_share",
    "log_prices",         "short_block_share",
};

// JSON-LD types of pages that are not articles.
constexpr std::string_view kNonArticleTypes[] = {
    "Product", "Offer", "AggregateOffer", "ItemList", "CollectionPage", "FAQPage",
    "SoftwareApplication", "Service", "LocalBusiness", "QAPage", "DiscussionForumPosting",
    "SearchResultsPage", "Course", "Event", "Recipe", "JobPosting", "ProfilePage"};
constexpr std::string_view kArticleTypes[] = {
    "Article", "NewsArticle", "BlogPosting", "ReportageNewsArticle", "AnalysisNewsArticle",
    "OpinionNewsArticle", "ReviewNewsArticle", "BackgroundNewsArticle", "TechArticle",
    "ScholarlyArticle", "LiveBlogPosting", "Report", "SatiricalArticle", "Blog"};
constexpr std::string_view kPublishedMetas[] = {"article:published_time", "datepublished",
                                                "pubdate", "publishdate", "dc.date.issued"};
constexpr std::string_view kAuthorMetas[] = {"author", "article:author", "citation_author",
                                             "dc.creator"};

bool AnyType(const JsonLdInfo& ld, const auto& table) {
  for (const auto& t : ld.types)
    for (std::string_view want : table)
      if (t == want) return true;
  return false;
}

bool AnyMeta(const Document& doc, const auto& keys) {
  for (std::string_view k : keys)
    if (!doc.Meta(k).empty()) return true;
  return false;
}

std::string_view UrlPath(std::string_view url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string_view::npos ? 0 : url.find('/', scheme + 3);
  if (start == std::string_view::npos) return "/";
  std::string_view path = url.substr(start);
  return path.substr(0, path.find_first_of("?#"));
}

bool Digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// /2024/05/..., /20240512/..., -2024-05-12-.
bool UrlHasDate(std::string_view path) {
  for (size_t i = 0; i + 4 <= path.size(); ++i) {
    if (!Digits(path.substr(i, 4))) continue;
    bool left = i == 0 || !(path[i - 1] >= '0' && path[i - 1] <= '9');
    if (!left) continue;
    std::string_view year = path.substr(i, 4);
    if (year < "1995" || year > "2039") continue;
    std::string_view rest = path.substr(i + 4);
    if (rest.size() >= 3 && (rest[0] == '/' || rest[0] == '-' || rest[0] == '_') &&
        Digits(rest.substr(1, 2)))
      return true;
    if (rest.size() >= 4 && Digits(rest.substr(0, 4))) return true;  // 20240512
  }
  return false;
}

std::vector<std::string_view> PathSegments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

double SlugWords(std::string_view segment) {
  segment = segment.substr(0, segment.find('.'));
  double words = segment.empty() ? 0 : 1;
  for (char c : segment)
    if (c == '-' || c == '_') ++words;
  return std::min(words, 10.0) / 10.0;
}

// Currency amounts: "$12", "€ 9", "£3", "¥120", "12.99 USD".
size_t CountPrices(std::string_view text) {
  size_t n = 0;
  for (std::string_view sign : {"$", "€", "£", "¥", "￥"}) {
    for (size_t pos = text.find(sign); pos != std::string_view::npos;
         pos = text.find(sign, pos + sign.size())) {
      size_t k = pos + sign.size();
      while (k < text.size() && text[k] == ' ') ++k;
      if (k < text.size() && text[k] >= '0' && text[k] <= '9') ++n;
    }
  }
  return n;
}

}  // namespace

const std::array<std::string_view, kPageFeatureCount>& PageFeatureNames() {
  return kFeatureNames;
}

PageFeatures ComputePageFeatures(const Document& doc, const JsonLdInfo& ld,
                                 const BodyText& body, std::string_view url) {
  double page_tokens = 0, page_links = 0, short_blocks = 0, headings = 0, teasers = 0;
  size_t prices = 0;
  for (const TextBlock& b : body.blocks) {
    page_tokens += b.tokens;
    page_links += b.link_tokens;
    if (b.tokens < 5) ++short_blocks;
    if (b.heading) {
      ++headings;
      if (b.tokens > 0 && b.link_tokens * 2 > b.tokens) ++teasers;
    }
    prices += CountPrices(b.text);
  }
  double prose_tokens = 0, body_tokens = 0;
  for (const auto& p : body.paragraphs) {
    TextStats st = CountText(p);
    body_tokens += st.tokens;
    if (st.tokens >= 10 && st.punct >= 1) prose_tokens += st.tokens;
  }
  const double paragraphs = static_cast<double>(body.paragraphs.size());
  const std::string_view path = UrlPath(url);
  const auto segments = PathSegments(path);

  PageFeatures f;
  auto& v = f.values;
  v[0] = std::log1p(body_tokens);
  v[1] = std::log1p(paragraphs);
  v[2] = std::log1p(paragraphs > 0 ? body_tokens / paragraphs : 0);
  v[3] = body_tokens > 0 ? prose_tokens / body_tokens : 0;
  v[4] = page_tokens > 0 ? page_links / page_tokens : 0;
  v[5] = page_tokens > 0 ? std::min(1.0, body_tokens / page_tokens) : 0;
  v[6] = AnyType(ld, kArticleTypes) ? 1 : 0;
  v[7] = AnyType(ld, kNonArticleTypes) ? 1 : 0;
  v[8] = AsciiLower(doc.Meta("og:type")) == "article" ? 1 : 0;
  v[9] = (!ld.date_published.empty() || AnyMeta(doc, kPublishedMetas)) ? 1 : 0;
  v[10] = (!ld.authors.empty() || AnyMeta(doc, kAuthorMetas)) ? 1 : 0;
  v[11] = UrlHasDate(path) ? 1 : 0;
  v[12] = segments.empty() ? 0 : SlugWords(segments.back());
  v[13] = static_cast<double>(std::min<size_t>(segments.size(), 6)) / 6.0;
  v[14] = headings > 0 ? teasers / headings : 0;
  v[15] = std::log1p(static_cast<double>(prices));
  v[16] = body.blocks.empty() ? 0 : short_blocks / static_cast<double>(body.blocks.size());
  return f;
}

double ArticleProbability(const PageFeatures& features) {
  double z = kModelWeights[0];
  for (size_t i = 0; i < kPageFeatureCount; ++i) {
    const double scale = kModelScales[i] > 0 ? kModelScales[i] : 1.0;
    z += kModelWeights[i + 1] * (features.values[i] - kModelMeans[i]) / scale;
  }
  return 1.0 / (1.0 + std::exp(-z));
}

double DefaultArticleThreshold() { return kModelThreshold; }

bool PageTypeModelCovers(std::string_view language) {
  for (std::string_view l : kModelLanguages)
    if (l == language) return true;
  return false;
}

}  // namespace crawlstream::extractor
