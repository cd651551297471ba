#include "services/extractor/title.h"

#include <functional>
#include <utility>

#include "services/extractor/entities.h"
#include "services/extractor/metadata.h"
#include "services/extractor/normalise.h"
#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

// A visible headline has at least this many words, or Han characters;
// shorter <h1>s are logos and section labels ("Acme", "松花江网").
constexpr uint32_t kMinHeadlineWords = 3;
constexpr uint32_t kMinHeadlineHan = 6;
// An <h1> the <title> repeats must cover this share of it: a logo <h1> is
// the title's site-name suffix.
constexpr double kMinTitleShare = 0.3;

// A host name (no spaces, dots, no Han): a site, never a headline.
bool HostLike(std::string_view h) {
  return !h.empty() && h.find(' ') == std::string_view::npos &&
         h.find('.') != std::string_view::npos && CountText(h).han == 0;
}

// Headline-sized, and not a host name.
bool HeadlineSized(std::string_view h) {
  if (HostLike(h)) return false;
  const TextStats st = CountText(h);
  return st.han > 0 ? st.han >= kMinHeadlineHan : st.tokens >= kMinHeadlineWords;
}

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
// a confirmed h1 is the whole stripped title, or headline-sized and most
// of the title that repeats it.
bool Covers(std::string_view h, std::string_view title) {
  return !title.empty() && Repeats(h, title) &&
         static_cast<double>(h.size()) >= kMinTitleShare * static_cast<double>(title.size());
}

std::string ConfirmedH1(const Candidates& c) {
  for (const auto& h : c.h1) {
    if (h == c.stripped_title && !HostLike(h)) return h;
    if (!HeadlineSized(h)) continue;
    if (Covers(h, c.head_title) || Covers(h, c.og_title) || Covers(h, c.headline)) return h;
  }
  return "";
}

std::string OnlyHeadlineH1(const Candidates& c) {
  const std::string* only = nullptr;
  for (const auto& h : c.h1) {
    if (!HeadlineSized(h)) continue;
    // The site name inside the <title>, not its headline.
    if (Repeats(h, c.head_title) && !Covers(h, c.head_title)) continue;
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

namespace {

// Candidates are cut to this many bytes and this many <h1>s are read, so
// a hostile page cannot make the comparisons quadratic.
constexpr size_t kMaxCandidateBytes = 1024;
constexpr size_t kMaxH1 = 16;

std::string Candidate(std::string_view raw) {
  return CleanMetaText(Utf8SafePrefix(raw, kMaxCandidateBytes));
}

}  // namespace

ResolvedTitle ResolveTitle(const TitleSources& sources) {
  Candidates c;
  if (sources.h1 != nullptr)
    for (const auto& h : *sources.h1) {
      if (c.h1.size() == kMaxH1) break;
      if (std::string t = Candidate(h); !t.empty()) c.h1.push_back(std::move(t));
    }
  c.head_title = Candidate(sources.head_title);
  c.stripped_title = StripTitleSuffix(c.head_title, &c.site_name);
  // "Headline | a host name": the host is the site, whichever part is
  // longer.
  if (HostLike(c.stripped_title) && !c.site_name.empty() && !HostLike(c.site_name))
    std::swap(c.stripped_title, c.site_name);
  c.og_title = Candidate(sources.og_title);
  c.headline = Candidate(sources.json_ld_headline);
  ResolvedTitle out;
  out.site_name = c.site_name;
  for (const Source& source : kSources) {
    out.title = source(c);
    if (!out.title.empty()) break;
  }
  return out;
}

}  // namespace crawlstream::extractor
