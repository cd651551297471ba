// Discovery: turns feeds, sitemaps and HTML pages into URLs to crawl, and
// decides which of them are in scope.
//
// ParseDiscoveryDocument() reads RSS 2.0, RSS 1.0 (RDF), Atom, sitemap
// <urlset> (news and image extensions tolerated) and <sitemapindex>, plus
// plain-text sitemaps (one URL per line). Gzip bodies are detected by their
// magic bytes and inflated with a size cap (gzip bombs end with
// kResourceExhausted). XML is parsed by libxml2's streaming reader,
// hardened: no network access, no DTD loading, documents declaring entities
// refused, size capped; a document broken half way yields the links read
// before the error. Relative URLs are resolved against the document URL;
// invalid ones are skipped and counted.
//
// ExtractHtmlLinks() collects <a>/<area> hrefs (honouring the first
// <base href>) and <link rel=alternate> RSS/Atom feeds from an HTML page,
// with a small tokenizer (comments and script/style/textarea contents are
// skipped, character references in URLs decoded).
//
// Scope decides whether a discovered URL should be crawled: depth limit,
// same registrable domain (as the seeds, or as the parent page), and
// allow/deny regular expressions (ECMAScript, searched anywhere in the URL).
//
// All functions are pure and thread-safe; Scope is immutable after Create().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "services/common/result.h"
#include "services/common/url.h"

namespace crawlstream::fetcher {

enum class LinkKind { kPage, kFeed, kSitemap };
std::string_view LinkKindName(LinkKind kind);

struct DiscoveredLink {
  std::string url;  // absolute, as resolved (not canonicalised)
  LinkKind kind = LinkKind::kPage;
  // Raw date text from the document (lastmod, news:publication_date,
  // pubDate, updated/published), empty when absent.
  std::string modified;
};

enum class DocumentKind { kRss, kRdf, kAtom, kUrlset, kSitemapIndex, kTextSitemap };
std::string_view DocumentKindName(DocumentKind kind);

struct Discovery {
  DocumentKind kind = DocumentKind::kRss;
  std::vector<DiscoveredLink> links;
  size_t skipped = 0;       // entries without a usable URL
  bool truncated = false;   // stopped at max_links
  std::string parse_error;  // non-empty when the XML broke part way
};

struct DiscoveryOptions {
  // Cap on the (decompressed) document size; the sitemap protocol allows
  // 50 MB uncompressed.
  size_t max_bytes = 64 * 1024 * 1024;
  // The sitemap protocol allows 50,000 URLs per file.
  size_t max_links = 50000;
};

// True when `body` starts with the gzip magic bytes.
bool LooksGzipped(std::string_view body);

// Inflates a gzip (or zlib) body; kResourceExhausted past `max_bytes`,
// kParse when corrupt.
Result<std::string> Gunzip(std::string_view body, size_t max_bytes);

// Parses a feed or sitemap fetched from `document_url`. Fails with kParse
// when the body is neither (or broken before any link), kResourceExhausted
// when over max_bytes, kPermissionDenied when it declares entities.
Result<Discovery> ParseDiscoveryDocument(std::string_view body, const Url& document_url,
                                         const DiscoveryOptions& options = {});

// Links of an HTML page, in document order, duplicates removed.
std::vector<DiscoveredLink> ExtractHtmlLinks(std::string_view html, const Url& page_url,
                                             size_t max_links = 10000);

struct ScopeOptions {
  // Domains in scope (e.g. the seeds' hosts), each reduced to its registrable
  // domain, so "news.example.cn" admits "www.example.cn". When empty, a link
  // is in scope when it shares the registrable domain of its parent.
  std::vector<std::string> domains;
  bool same_domain = true;  // false: any domain (patterns still apply)
  uint32_t max_depth = 3;   // seeds are depth 0
  std::vector<std::string> allow_patterns;  // when non-empty, one must match
  std::vector<std::string> deny_patterns;   // any match excludes
};

enum class ScopeDecision { kInScope, kTooDeep, kOffDomain, kDenied, kNotAllowed };
std::string_view ScopeDecisionName(ScopeDecision decision);

class Scope {
 public:
  // Fails with kInvalidArgument naming the first invalid pattern.
  static Result<Scope> Create(const ScopeOptions& options);

  // `parent` may be null (seeds, or when domains are configured).
  ScopeDecision Check(const Url& url, uint32_t depth, const Url* parent = nullptr) const;

 private:
  struct Patterns;  // compiled regular expressions (kept out of the header)
  ScopeOptions options_;
  std::unordered_set<std::string> domains_;
  std::shared_ptr<const Patterns> patterns_;
};

}  // namespace crawlstream::fetcher
