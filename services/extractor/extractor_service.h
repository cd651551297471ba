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
#include <optional>
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

// Peak memory of one extraction per input byte (measured: ~7x, BENCHMARKS.md
// "Extractor speed"; 10x leaves room for unusual pages) and the process's
// baseline (OpenCC, CLD2, librdkafka buffers).
inline constexpr int64_t kExtractMemoryPerInputByte = 10;
inline constexpr int64_t kExtractorBaselineBytes = int64_t{256} << 20;

// A warning when `workers` pages of max_input_bytes at once could exceed
// `memory_limit_bytes` (the container's limit, when known); empty if not.
std::string MemoryLimitWarning(const ExtractorServiceOptions& options,
                               std::optional<int64_t> memory_limit_bytes);
// The memory limit of this process's cgroup (v2 memory.max, v1
// memory.limit_in_bytes), if there is one.
std::optional<int64_t> CgroupMemoryLimit();

// Returns the processor; `extractor` must outlive it.
Processor MakeExtractorProcessor(const Extractor* extractor, std::string output_topic);

}  // namespace crawlstream::extractor
