#include "services/extractor/title.h"

#include <functional>

#include "services/extractor/entities.h"
#include "services/extractor/metadata.h"
#include "services/extractor/normalise.h"
#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

// A visible headline has at least this many tokens (Han characters or
// words); shorter <h1>s are logos and section labels.
constexpr uint32_t kMinHeadlineTokens = 3;

bool Repeats(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return false;
  return a.find(b) != std::string_view::npos || b.find(a) != std::string_view::npos;
}

struct Candidates {
  std::vector<std::string> h1;  // cleaned, non-empty
  std::string head_title, stripped_title, site_name, og_title, headline;
};

// The rule table: each source returns a title or empty.
using Source = std::function<std::string(const Candidates&)>;

// A logo <h1> ("Acme") is repeated by every title suffix ("Story | Acme"):
// a confirmed h1 is headline-sized or the whole stripped title.
std::string ConfirmedH1(const Candidates& c) {
  for (const auto& h : c.h1) {
    if (CountText(h).tokens < kMinHeadlineTokens && h != c.stripped_title) continue;
    if (Repeats(h, c.head_title) || Repeats(h, c.og_title) || Repeats(h, c.headline))
      return h;
  }
  return "";
}

std::string OnlyHeadlineH1(const Candidates& c) {
  const std::string* only = nullptr;
  for (const auto& h : c.h1) {
    if (CountText(h).tokens < kMinHeadlineTokens) continue;
    if (only != nullptr) return "";
    only = &h;
  }
  return only ? *only : "";
}

const Source kSources[] = {
    ConfirmedH1,
    OnlyHeadlineH1,
    [](const Candidates& c) { return c.headline; },
    [](const Candidates& c) { return c.og_title; },
    [](const Candidates& c) { return c.stripped_title; },
    [](const Candidates& c) { return c.h1.empty() ? std::string() : c.h1.front(); },
};

}  // namespace

std::string CleanMetaText(std::string_view text) {
  return NormaliseParagraph(RemoveConverterPinyin(DecodeCharacterReferences(text)));
}

ResolvedTitle ResolveTitle(const TitleSources& sources) {
  Candidates c;
  if (sources.h1 != nullptr)
    for (const auto& h : *sources.h1)
      if (std::string t = CleanMetaText(h); !t.empty()) c.h1.push_back(std::move(t));
  c.head_title = CleanMetaText(sources.head_title);
  c.stripped_title = StripTitleSuffix(c.head_title, &c.site_name);
  c.og_title = CleanMetaText(sources.og_title);
  c.headline = CleanMetaText(sources.json_ld_headline);
  ResolvedTitle out;
  out.site_name = c.site_name;
  for (const Source& source : kSources) {
    out.title = source(c);
    if (!out.title.empty()) break;
  }
  return out;
}

}  // namespace crawlstream::extractor
