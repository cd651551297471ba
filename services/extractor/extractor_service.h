// The extractor stage as a Kafka processor: crawl.pages (FetchedPage) in,
// articles.extracted (Article, key = article id) out.
//
// Per input record:
//   - not a FetchedPage (garbage bytes)       -> dead letter "undecodable"
//   - page larger than extractor.max_input_bytes -> dead letter "oversize"
//   - extraction past extractor.extract_timeout -> dead letter "extract_timeout"
//   - not an article (no main content, binary, empty, too short, non-2xx)
//                                              -> skipped, counted by reason
//   - otherwise one Article record.
// Used by crawlstream-extractor (main.cc) and `crawlstream run`.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "services/common/stage_loop.h"
#include "services/extractor/extractor.h"

namespace crawlstream {
class Config;
}

namespace crawlstream::extractor {

struct ExtractorServiceOptions {
  int64_t max_input_bytes = 8 << 20;
  std::chrono::milliseconds extract_timeout{10'000};
  int64_t min_body_tokens = 25;
  // Dead-letter pages the page-type model judges not to be articles
  // (listings, products, services, forums, docs) as "not_article_page".
  bool page_type_filter = true;
  std::string chinese_utc_offset = "+08:00";
  std::string default_utc_offset = "+00:00";
  // "domain=+08:00" entries: the zone of a site whose pages carry none.
  std::vector<std::string> site_utc_offsets;
  // Threads extracting in parallel (StageLoopOptions::workers).
  int64_t workers = 2;
};

void BindExtractorKeys(Config* config, ExtractorServiceOptions* options);
// Validates offsets and builds the Extractor's options.
Result<ExtractorOptions> MakeExtractorOptions(const ExtractorServiceOptions& options);

// Returns the processor; `extractor` must outlive it.
Processor MakeExtractorProcessor(const Extractor* extractor, std::string output_topic);

}  // namespace crawlstream::extractor
