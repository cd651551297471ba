// Title resolution: which of the page's candidate titles is the headline.
//
// Sources, in order of trust (the first that yields a title wins):
//   1. the visible headline: an <h1> that is the <title> without its
//      suffix, or one that the <title>, og:title or JSON-LD headline
//      repeats (contains, or is contained in) and that covers at least
//      30 % of that title;
//   2. the only headline-sized <h1> (three words or six Han characters,
//      not a host name, not the site name inside the <title>): the visible
//      headline (a page with several such <h1> uses them for other things);
//   3. the JSON-LD headline;
//   4. og:title;
//   5. the <title> without its site-name suffix ("Headline | Site");
//   6. the first <h1>.
// Every candidate is cleaned first: character references left in meta and
// JSON-LD text decoded ("&#8211;" -> "–"), white space normalised,
// converter pinyin removed; each candidate is cut to 1 KiB and at most 16
// <h1>s are read. `site_name` receives the <title> suffix when
// there was one (a publisher fallback).
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace crawlstream::extractor {

struct TitleSources {
  std::string_view head_title;
  std::string_view og_title;
  std::string_view json_ld_headline;
  const std::vector<std::string>* h1 = nullptr;  // in document order
};

struct ResolvedTitle {
  std::string title;
  std::string site_name;
};

ResolvedTitle ResolveTitle(const TitleSources& sources);

// Metadata text cleaned as above (references, white space, pinyin).
std::string CleanMetaText(std::string_view text);

}  // namespace crawlstream::extractor
