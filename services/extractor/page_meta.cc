#include "services/extractor/page_meta.h"

#include <algorithm>

#include "services/common/url.h"
#include "services/extractor/metadata.h"
#include "services/extractor/title.h"
#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

constexpr size_t kMaxTags = 20;
constexpr size_t kMaxTagBytes = 60;
constexpr size_t kMaxDescriptionBytes = 2000;
constexpr std::string_view kTagSeparators[] = {"、", "，", ";", "|"};

constexpr std::string_view kDescriptionMetas[] = {"og:description", "description",
                                                  "twitter:description", "dc.description"};
constexpr std::string_view kImageMetas[] = {"og:image", "og:image:url", "og:image:secure_url",
                                            "twitter:image", "twitter:image:src"};
constexpr std::string_view kSectionMetas[] = {"article:section", "og:article:section",
                                              "parsely-section", "section"};
// The first source with any tag wins: editors' tags before SEO keywords.
constexpr std::string_view kTagMetas[] = {"article:tag", "parsely-tags", "news_keywords",
                                          "keywords"};

// Every value of a meta key, in order (article:tag repeats).
std::vector<std::string_view> MetaValues(const Document& doc, std::string_view key) {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : doc.head.meta)
    if (k == key) out.push_back(v);
  return out;
}

std::string FirstMeta(const Document& doc, const auto& keys) {
  for (std::string_view key : keys)
    if (std::string v = CleanMetaText(doc.Meta(key)); !v.empty()) return v;
  return "";
}

void AddTags(std::string_view list, std::vector<std::string>* tags) {
  // Other list separators become commas.
  std::string text;
  text.reserve(list.size());
  for (size_t i = 0; i < list.size();) {
    bool matched = false;
    for (std::string_view sep : kTagSeparators) {
      if (list.substr(i, sep.size()) == sep) {
        text.push_back(',');
        i += sep.size();
        matched = true;
        break;
      }
    }
    if (!matched) text.push_back(list[i++]);
  }
  size_t start = 0;
  while (start <= text.size() && tags->size() < kMaxTags) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string tag = CleanMetaText(std::string_view(text).substr(start, comma - start));
    start = comma + 1;
    if (tag.empty() || tag.size() > kMaxTagBytes) continue;
    const std::string lower = AsciiLower(tag);
    bool seen = std::any_of(tags->begin(), tags->end(),
                            [&](const std::string& t) { return AsciiLower(t) == lower; });
    if (!seen) tags->push_back(std::move(tag));
  }
}

// "javascript:...", "data:...": a scheme other than http(s).
bool HasNonHttpScheme(std::string_view url) {
  const size_t colon = url.find(':');
  if (colon == std::string_view::npos || url.substr(0, colon).find('/') != std::string_view::npos)
    return false;
  const std::string scheme = AsciiLower(url.substr(0, colon));
  return scheme != "http" && scheme != "https";
}

std::string ResolveImage(const Document& doc, const JsonLdInfo& ld, std::string_view page_url) {
  std::vector<std::string_view> candidates;
  if (!ld.image.empty()) candidates.push_back(ld.image);
  for (std::string_view key : kImageMetas) candidates.push_back(doc.Meta(key));
  for (std::string_view c : candidates) {
    std::string raw = CleanMetaText(c);
    if (raw.empty() || HasNonHttpScheme(raw)) continue;
    std::string url = page_url.empty() ? raw : ResolveUrlText(page_url, raw);
    if (url.starts_with("http://") || url.starts_with("https://")) return url;
  }
  return "";
}

}  // namespace

PageMeta ResolvePageMeta(const Document& doc, const JsonLdInfo& ld, std::string_view page_url) {
  PageMeta out;
  out.description = CleanMetaText(ld.description);
  if (out.description.empty()) out.description = FirstMeta(doc, kDescriptionMetas);
  out.description = std::string(Utf8SafePrefix(out.description, kMaxDescriptionBytes));
  out.image_url = ResolveImage(doc, ld, page_url);
  out.section = CleanMetaText(ld.section);
  if (out.section.empty()) out.section = FirstMeta(doc, kSectionMetas);
  for (const auto& k : ld.keywords) AddTags(k, &out.tags);
  for (std::string_view key : kTagMetas) {
    if (!out.tags.empty()) break;
    for (std::string_view v : MetaValues(doc, key)) AddTags(v, &out.tags);
  }
  return out;
}

}  // namespace crawlstream::extractor
