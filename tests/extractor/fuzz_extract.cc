// libFuzzer target over the whole extractor: charset detection and
// decoding, prefilter, tokenizer + tree builder, content selection, metadata.
// Built only with -DCRAWLSTREAM_BUILD_FUZZ=ON and clang; the ctest
// `extractor_fuzz_60s` runs it for 60 s seeded with the HTML fixtures.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "services/extractor/extractor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const crawlstream::extractor::Extractor* extractor =
      new crawlstream::extractor::Extractor(crawlstream::extractor::ExtractorOptions{});
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Use the first line as the Content-Type so the fuzzer explores the
  // header path too.
  crawlstream::extractor::PageInput in;
  size_t nl = bytes.find('\n');
  if (nl != std::string_view::npos && nl < 64 && bytes.starts_with("ct:")) {
    in.content_type = bytes.substr(3, nl - 3);
    bytes.remove_prefix(nl + 1);
  }
  in.body = bytes;
  in.url = "https://fuzz.example.cn/a/1.html";
  auto result = extractor->Extract(in);
  if (result) {
    // Invariants: ids are 32 hex characters; body is non-empty.
    if (result->id().size() != 32 || result->body().empty()) __builtin_trap();
  }
  return 0;
}
