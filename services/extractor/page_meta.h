// Page-declared metadata downstream readers use beside the text:
// description, lead image, section, tags (the fields trafilatura and
// news-please give). Each field walks its own ordered source table
// (page_meta.cc): structured data first (JSON-LD), then Open Graph and
// article:* metas, then Twitter cards and plain metas. Values are cleaned
// (character references decoded, white space normalised); the image URL is
// resolved against the page URL and must be http(s). Tags are split on
// commas (and 、，), de-duplicated case-insensitively, at most 20, each at
// most 60 bytes. Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "services/extractor/dom.h"
#include "services/extractor/json_ld.h"

namespace crawlstream::extractor {

struct PageMeta {
  std::string description;
  std::string image_url;
  std::string section;
  std::vector<std::string> tags;
};

PageMeta ResolvePageMeta(const Document& doc, const JsonLdInfo& ld, std::string_view page_url);

}  // namespace crawlstream::extractor
