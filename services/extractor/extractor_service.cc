#include "services/extractor/extractor_service.h"

#include <fstream>

#include <google/protobuf/util/time_util.h>

#include "crawlstream/v1/fetched_page.pb.h"
#include "services/common/config.h"
#include "services/common/service_runtime.h"

namespace crawlstream::extractor {
namespace {

// "+08:00" / "-05:30" / "+0800" / "Z" -> minutes east of UTC.
Result<int> ParseOffset(const std::string& text) {
  if (text == "Z" || text == "UTC" || text == "+00:00") return 0;
  std::string t = text;
  if (t.size() == 5) t.insert(3, ":");
  if (t.size() != 6 || (t[0] != '+' && t[0] != '-') || t[3] != ':' || !isdigit(t[1]) ||
      !isdigit(t[2]) || !isdigit(t[4]) || !isdigit(t[5])) {
    return Fail(ErrorCode::kInvalidArgument, "\"" + text + "\" is not a UTC offset like +08:00");
  }
  int hours = (t[1] - '0') * 10 + (t[2] - '0');
  int minutes = (t[4] - '0') * 10 + (t[5] - '0');
  if (hours > 14 || minutes > 59) {
    return Fail(ErrorCode::kInvalidArgument, "\"" + text + "\" is out of range");
  }
  int total = hours * 60 + minutes;
  return t[0] == '-' ? -total : total;
}

}  // namespace

void BindExtractorKeys(Config* c, ExtractorServiceOptions* o) {
  c->BindBytes("extractor.max_input_bytes", &o->max_input_bytes,
               "pages larger than this are dead-lettered as oversize", 1024, int64_t{1} << 30);
  c->Bind("extractor.extract_timeout", &o->extract_timeout,
          "time budget per page; past it the page is dead-lettered as extract_timeout (0: none)",
          std::chrono::milliseconds(0), std::chrono::milliseconds(600'000));
  c->Bind("extractor.min_body_tokens", &o->min_body_tokens,
          "bodies with fewer Han characters/words are not articles", 1, 100000);
  c->Bind("extractor.page_type_filter", &o->page_type_filter,
          "dead-letter pages the page-type model judges not to be articles "
          "(listings, products, services, forums, docs) as not_article_page");
  c->Bind("extractor.chinese_utc_offset", &o->chinese_utc_offset,
          "zone of Chinese pages whose dates carry none (Asia/Shanghai)");
  c->Bind("extractor.default_utc_offset", &o->default_utc_offset,
          "zone of other pages whose dates carry none");
  c->Bind("extractor.site_utc_offsets", &o->site_utc_offsets,
          "per-site zones as domain=+HH:MM (registrable domain)");
  c->Bind("extractor.workers", &o->workers,
          "threads extracting in parallel (records of one key stay in order)", 1, 64);
}

Result<ExtractorOptions> MakeExtractorOptions(const ExtractorServiceOptions& o) {
  ExtractorOptions out;
  out.max_input_bytes = static_cast<size_t>(o.max_input_bytes);
  out.extract_timeout = o.extract_timeout;
  out.min_body_tokens = static_cast<uint32_t>(o.min_body_tokens);
  if (!o.page_type_filter) out.min_article_probability = 0.0;
  auto zh = ParseOffset(o.chinese_utc_offset);
  if (!zh) return Fail(ErrorCode::kInvalidArgument, "extractor.chinese_utc_offset: " + zh.error().message);
  out.chinese_utc_offset_minutes = *zh;
  auto def = ParseOffset(o.default_utc_offset);
  if (!def) return Fail(ErrorCode::kInvalidArgument, "extractor.default_utc_offset: " + def.error().message);
  out.default_utc_offset_minutes = *def;
  for (const auto& entry : o.site_utc_offsets) {
    auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Fail(ErrorCode::kInvalidArgument,
                  "extractor.site_utc_offsets: \"" + entry + "\": expected domain=+HH:MM");
    }
    auto off = ParseOffset(entry.substr(eq + 1));
    if (!off) {
      return Fail(ErrorCode::kInvalidArgument,
                  "extractor.site_utc_offsets: \"" + entry + "\": " + off.error().message);
    }
    out.site_utc_offset_minutes[entry.substr(0, eq)] = *off;
  }
  out.clock = [] { return std::chrono::system_clock::now(); };
  return out;
}

std::string MemoryLimitWarning(const ExtractorServiceOptions& o,
                               std::optional<int64_t> memory_limit_bytes) {
  if (!memory_limit_bytes) return {};
  const int64_t need =
      o.max_input_bytes * kExtractMemoryPerInputByte * o.workers + kExtractorBaselineBytes;
  if (need <= *memory_limit_bytes) return {};
  return "extractor.max_input_bytes (" + std::to_string(o.max_input_bytes >> 20) + " MiB) x " +
         "extractor.workers (" + std::to_string(o.workers) + ") x " +
         std::to_string(kExtractMemoryPerInputByte) + " + " +
         std::to_string(kExtractorBaselineBytes >> 20) + " MiB = " + std::to_string(need >> 20) +
         " MiB of peak memory, above the container's limit of " +
         std::to_string(*memory_limit_bytes >> 20) +
         " MiB: lower one of them or raise the limit, or an unlucky page OOM-kills the pod";
}

std::optional<int64_t> CgroupMemoryLimit() {
  for (const char* path : {"/sys/fs/cgroup/memory.max",
                           "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    std::ifstream f(path);
    std::string text;
    if (!(f >> text) || text == "max") continue;
    try {
      const int64_t v = std::stoll(text);
      // cgroup v1 reports "no limit" as a huge page-aligned number.
      if (v > 0 && v < (int64_t{1} << 50)) return v;
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

Processor MakeExtractorProcessor(const Extractor* extractor, std::string output_topic) {
  return [extractor, output_topic](const InRecord& in) -> StageResult {
    crawlstream::v1::FetchedPage page;
    if (!page.ParseFromString(in.value)) {
      return StageResult::DeadLetter("undecodable", "value is not a crawlstream.v1.FetchedPage (" +
                                                        std::to_string(in.value.size()) + " bytes)");
    }
    if (page.status_code() != 0 && (page.status_code() < 200 || page.status_code() >= 300)) {
      return StageResult::Skip("http_status");
    }
    auto article = extractor->Extract(PageInputFromFetchedPage(page));
    if (!article) {
      switch (article.error().code) {
        case ErrorCode::kNotAnArticle:
          return StageResult::Skip(article.error().message);
        case ErrorCode::kResourceExhausted:
          // "oversize" or "extract_timeout".
          return StageResult::DeadLetter(article.error().message,
                                         "page of " + std::to_string(page.body().size()) +
                                             " bytes from " + page.final_url());
        default:
          return StageResult::DeadLetter("extract_failed", article.error().ToString());
      }
    }
    if (page.has_fetched_at()) *article->mutable_fetched_at() = page.fetched_at();
    StageResult r;
    r.outputs.push_back({output_topic, article->id(), article->SerializeAsString(),
                         {{"content-type", "application/x-protobuf"},
                          {"schema", "crawlstream.v1.Article"},
                          {"producer", std::string("crawlstream-extractor/") + CrawlstreamVersion()}}});
    return r;
  };
}

}  // namespace crawlstream::extractor
