// Extractor: raw page bytes -> one clean, normalised crawlstream.v1.Article.
//
// Pipeline (each step is its own module in this folder; Extract only
// calls them in order):
//   gate       screen the input (size, empty, declared non-HTML, binary)
//   decode     charset (BOM > HTTP > meta > uchardet > UTF-8) and prefilter
//              (scripts, styles, comments cut; JSON-LD kept)
//   dom        tokenize + build a flat tree (html_tokenizer, html_tags);
//              hidden and junk markup dropped
//   json_ld    structured data the page declares about itself
//   title      headline from an ordered source table
//   body       segment into blocks -> score -> select (content.h) ->
//              assemble paragraphs; fallbacks for hidden pages and JSON-LD
//   identity   canonical URL, id, site (services/common/url.h, sha256.h)
//   script_vote, language   Han script counts; language (CLD2) and script
//   byline     the lines around the text that metadata resolvers read
//   published, people, outlet, page_meta   per-field resolvers, each an
//              ordered source table
//   normalise  NFC, white space, converter pinyin, t2s for Hant.
//
// Thread-safety: an Extractor is immutable after construction; Extract may
// be called concurrently from many threads. Construction loads OpenCC data
// (milliseconds): build one per process, not per page.
// Errors (never thrown):
//   kNotAnArticle      the page holds no article; Error::message is a short
//                      reason usable as a metric label: "empty_document",
//                      "binary", "not_html" (a declared non-HTML
//                      Content-Type whose bytes are not HTML either),
//                      "no_main_content", "body_too_short",
//                      "not_article_page" (the page-type model, page_type.h,
//                      judges it a listing, product, service, forum or
//                      documentation page).
//   kResourceExhausted "oversize": input larger than max_input_bytes;
//                      "extract_timeout": past ExtractorOptions::extract_timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crawlstream/v1/article.pb.h"
#include "services/common/result.h"

namespace crawlstream::v1 {
class FetchedPage;
}

namespace crawlstream::extractor {

inline constexpr std::string_view kExtractorVersion = "0.1.0";

struct ExtractorOptions {
  // UTC offset for pages whose dates carry no zone, by registrable domain
  // ("gmw.cn" -> 480). Falls back to the defaults below.
  std::map<std::string, int, std::less<>> site_utc_offset_minutes;
  // Zone for Chinese pages without a configured site zone (Asia/Shanghai).
  int chinese_utc_offset_minutes = 480;
  // Zone for other pages without a configured site zone.
  int default_utc_offset_minutes = 0;
  // Larger inputs fail with kResourceExhausted "oversize". 8 MiB: Kafka's
  // message cap, and at under 10x the page size in peak memory two workers
  // stay well inside the pod's limit (BENCHMARKS.md).
  size_t max_input_bytes = 8u << 20;
  // Time budget per page: past it, Extract stops at the next checkpoint
  // (between steps, and every few thousand tokens while parsing) and fails
  // with kResourceExhausted "extract_timeout". Zero: no budget.
  std::chrono::milliseconds extract_timeout{10'000};
  // Bodies with fewer tokens (Han characters / words) are not articles.
  uint32_t min_body_tokens = 25;
  // Pages the page-type model gives a lower article probability are not
  // articles. Unset: the committed model's threshold; 0 publishes every
  // page with a body.
  std::optional<double> min_article_probability;
  // Source of Article.extracted_at; unset leaves the field empty.
  std::function<std::chrono::system_clock::time_point()> clock;
  // OpenCC configs (file names resolved by OpenCC's data path).
  std::string opencc_t2s = "t2s.json";
  std::string opencc_s2t = "s2t.json";
};

// One page to extract. The views must stay valid during Extract.
struct PageInput {
  std::string_view body;          // raw bytes as received
  std::string_view content_type;  // Content-Type header value, may be empty
  std::string url;                // final URL after redirects
  std::optional<std::chrono::system_clock::time_point> fetched_at;
};

// Views into `page` (which must outlive the returned PageInput).
PageInput PageInputFromFetchedPage(const crawlstream::v1::FetchedPage& page);

// What Extract measured on the way, for scoring and training tools.
struct ExtractDiagnostics {
  // Page-type features (page_type.h), by name; empty when the page was
  // rejected before the body was known.
  std::vector<std::pair<std::string_view, double>> page_features;
  double article_probability = -1;  // -1: not computed
  // Every text block of the page in order with the selection's verdict:
  // 'k' kept, 'd' dropped inside the chosen container (boilerplate,
  // furniture, after an end marker), 'o' outside it. Filled only when
  // `want_blocks` is set (crawlstream extract --blocks).
  bool want_blocks = false;
  std::vector<std::pair<char, std::string>> blocks;
};

class ScriptConverter;

class Extractor {
 public:
  explicit Extractor(ExtractorOptions options = {});
  ~Extractor();
  // A moved-from Extractor may only be destroyed or assigned to.
  Extractor(Extractor&&) noexcept;
  Extractor& operator=(Extractor&&) noexcept;

  // Returns the article or an error naming why none was found. Never throws.
  Result<crawlstream::v1::Article> Extract(const PageInput& in) const;
  // The same, filling `diagnostics` (may be null).
  Result<crawlstream::v1::Article> Extract(const PageInput& in,
                                           ExtractDiagnostics* diagnostics) const;

 private:
  // The configured zone of `site`, else the language's default.
  int UtcOffsetMinutes(std::string_view site, std::string_view language) const;

  ExtractorOptions options_;
  std::unique_ptr<ScriptConverter> t2s_;
  std::unique_ptr<ScriptConverter> s2t_;
};

}  // namespace crawlstream::extractor
