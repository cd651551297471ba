#include "services/extractor/people.h"

#include <algorithm>

#include "services/extractor/keywords.h"
#include "services/extractor/metadata.h"
#include "services/extractor/normalise.h"
#include "services/extractor/title.h"
#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

using Names = std::vector<std::string>;

// Words that introduce a byline rather than name anyone.
constexpr std::string_view kBylineWords[] = {
    "by", "written", "author", "authors", "posted", "published", "editor",
    "reviewed", "updated", "and", "on", "in", "from"};
// Lower-case name particles ("Ludwig van Beethoven", "Juan de la Cruz").
constexpr std::string_view kNameParticles[] = {
    "van", "der", "den", "de", "la", "le", "von", "da", "di", "del", "du", "bin", "al"};
// CMS account names that name nobody.
constexpr std::string_view kNonNames[] = {"admin", "administrator", "webmaster", "root",
                                          "user", "guest", "editor", "staff", "author"};
// Parts of outlet names that are never part of a person's name
// (Traditional forms derived).
const KeywordTable& OutletParts() {
  static const KeywordTable t{"网", "www", "http", ".com", ".cn", "报", "新闻", "中心", "公司"};
  return t;
}
// id/class words of elements that hold a byline.
constexpr std::string_view kAuthorHints[] = {"author", "byline", "writer", "reporter",
                                             "nickname", "username", "user-name", "up-name",
                                             "uname"};
// A byline lead-in printed on a line of its own, or as a Twitter label.
constexpr std::string_view kLeadInLines[] = {"by", "written by", "author", "authored by",
                                             "words by", "posted by", "article by"};
// An author bio: the name, then one of these.
constexpr std::string_view kBioVerbs[] = {" is a ", " is an ", " is the ", " has ", " was ",
                                          " writes ", " covers ", " holds ", " joined "};
constexpr size_t kMaxBioParagraphs = 3;
// Lines at the start of the text searched for a byline.
constexpr size_t kTextStartBlocks = 10;
constexpr std::string_view kAuthorMetaKeys[] = {"citation_author", "citation_authors",
                                                "article:author", "dc.creator"};
constexpr std::string_view kByPrefixes[] = {"By ", "by ", "BY "};
constexpr uint32_t kMaxBylineTokens = 80;
constexpr uint32_t kMaxHintedBlockTokens = 12;
constexpr uint32_t kMaxBylineParagraphTokens = 30;
constexpr uint32_t kMaxEditorLineTokens = 60;
constexpr size_t kMaxMarkedPeople = 3;

bool InTable(std::string_view word, const auto& table) {
  for (std::string_view t : table)
    if (word == t) return true;
  return false;
}

std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t j = text.find(' ', i);
    if (j == std::string_view::npos) j = text.size();
    if (j > i) words.push_back(text.substr(i, j - i));
    i = j;
  }
  return words;
}

bool NameWord(std::string_view w) {
  if (InTable(w, kNameParticles)) return true;
  if (!(w[0] >= 'A' && w[0] <= 'Z')) return false;
  for (char c : w)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '\'' ||
          c == '.' || static_cast<unsigned char>(c) >= 0x80))
      return false;
  return true;
}

void AddUnique(std::string name, Names* out) {
  if (std::find(out->begin(), out->end(), name) == out->end()) out->push_back(std::move(name));
}

// --- The sources, in the order of kAuthorSources. ---

Names FromJsonLd(const Evidence& e, std::string_view publisher) {
  Names out;
  for (const auto& a : e.ld.authors)
    if (auto c = CleanMetaText(a); LooksLikePersonName(c, publisher)) out.push_back(c);
  return out;
}

Names FromAuthorMetas(const Evidence& e, std::string_view publisher) {
  for (std::string_view key : kAuthorMetaKeys) {
    std::string v = CleanMetaText(e.doc.Meta(key));
    Names out = NamesOnlyLine(v);
    if (out.empty() && LooksLikePersonName(v, publisher) && v.find('.') == std::string::npos)
      out.push_back(v);
    if (!out.empty()) return out;
  }
  return {};
}

// The first byline line with names and its neighbours on the same side of
// the text that also have names, in document order.
Names FromBylineLines(const Evidence& e, std::string_view) {
  const auto& lines = e.byline.lines;
  const size_t before = e.byline.before_count;
  for (size_t k = 0; k < lines.size(); ++k) {
    if (CountText(lines[k]).tokens > kMaxBylineTokens) continue;
    auto names = FindAuthors(lines[k]);
    if (names.empty()) continue;
    std::vector<Names> runs{names};
    const bool before_text = k < before;
    for (size_t j = k + 1; j < lines.size() && j < k + 3; ++j) {
      if ((j < before) != before_text) break;
      auto more = FindAuthors(lines[j]);
      if (more.empty()) break;
      runs.push_back(std::move(more));
    }
    // Lines before the text are stored nearest-first.
    if (before_text) std::reverse(runs.begin(), runs.end());
    Names out;
    for (auto& run : runs)
      for (auto& n : run) AddUnique(std::move(n), &out);
    return out;
  }
  return {};
}

bool InAuthorElement(const Document& doc, int32_t e) {
  for (int up = 0; up < 3 && e >= 0; ++up, e = doc.nodes[e].parent)
    for (std::string_view w : kAuthorHints)
      if (doc.nodes[e].hint.find(w) != std::string::npos) return true;
  return false;
}

Names NamesInAuthorElement(std::string_view text, std::string_view publisher) {
  Names out = FindAuthors(text);
  if (out.empty()) out = NamesOnlyLine(text);
  if (out.empty())
    if (std::string name = LatinPersonName(text); !name.empty()) out.push_back(name);
  if (out.empty() && LooksLikePersonName(text, publisher) &&
      text.find(' ') == std::string_view::npos && !InTable(AsciiLower(text), kBylineWords))
    out.emplace_back(text);
  return out;
}

// Blocks where a page header or byline sits, in document order: before
// the text (an author box prints the name before the job title), then the
// first lines of the text (a byline under the deck).
std::vector<size_t> BylineRegion(const Evidence& e) {
  std::vector<size_t> out;
  const size_t end = std::min(e.body.FirstBlock() + kTextStartBlocks, e.body.blocks.size());
  for (size_t i = 0; i < end; ++i) out.push_back(i);
  return out;
}

Names FromAuthorElements(const Evidence& e, std::string_view publisher) {
  for (size_t i : BylineRegion(e)) {
    const TextBlock& b = e.body.blocks[i];
    if (b.tokens == 0 || b.tokens > kMaxHintedBlockTokens) continue;
    if (!InAuthorElement(e.doc, b.container)) continue;
    if (Names out = NamesInAuthorElement(b.text, publisher); !out.empty()) return out;
  }
  return {};
}

// A lead-in on a line of its own ("Written by", "Author:") and the name on
// the next line.
Names FromLeadInLine(const Evidence& e, std::string_view publisher) {
  const auto& blocks = e.body.blocks;
  for (size_t i : BylineRegion(e)) {
    if (i + 1 >= blocks.size() || blocks[i].tokens == 0 || blocks[i].tokens > 3) continue;
    std::string lead = AsciiLower(blocks[i].text);
    while (!lead.empty() && (lead.back() == ':' || lead.back() == ' ')) lead.pop_back();
    if (!InTable(lead, kLeadInLines)) continue;
    const std::string& next = blocks[i + 1].text;
    if (std::string name = LatinPersonName(next); !name.empty()) return {name};
    // Otherwise a Chinese name or a one-word handle.
    if (next.find(' ') == std::string::npos && LooksLikePersonName(next, publisher))
      return {next};
  }
  return {};
}

// Twitter card label/data pairs: twitter:label1 "Written by",
// twitter:data1 "Jane Doe" (Yoast, Ghost).
Names FromTwitterLabels(const Evidence& e, std::string_view publisher) {
  for (char n = '1'; n <= '4'; ++n) {
    const std::string label = AsciiLower(e.doc.Meta(std::string("twitter:label") + n));
    if (!InTable(label, kLeadInLines)) continue;
    std::string v = CleanMetaText(e.doc.Meta(std::string("twitter:data") + n));
    if (LooksLikePersonName(v, publisher)) return {v};
  }
  return {};
}

// "光明日报记者 王建宏 张文攀", "新京报记者 彭冲 山东冠县报道".
Names FromBylineParagraphs(const Evidence& e, std::string_view) {
  const auto& paragraphs = e.body.paragraphs;
  for (size_t k = 0; k < paragraphs.size(); ++k) {
    if (k >= 3 && k + 3 < paragraphs.size()) continue;
    if (CountText(paragraphs[k]).tokens > kMaxBylineParagraphTokens) continue;
    if (Names out = FindAuthors(paragraphs[k]); !out.empty()) return out;
  }
  return {};
}

Names FromAuthorLinks(const Evidence& e, std::string_view publisher) {
  Names out, marked;
  for (const auto& raw : e.doc.head.author_links) {
    std::string t = NormaliseParagraph(RemoveConverterPinyin(raw));
    for (std::string_view by : kByPrefixes)
      if (t.starts_with(by)) t.erase(0, by.size());
    Names names = FindAuthors(t);
    if (names.empty()) names = NamesOnlyLine(t);
    if (names.empty() && LooksLikePersonName(t, publisher)) names.push_back(t);
    if (!names.empty()) AddUnique(names.front(), &marked);
    if (out.empty()) out = std::move(names);
  }
  if (marked.size() > kMaxMarkedPeople) out.clear();
  return out;
}

// A line of bare names right under the headline ("胡平").
Names FromNamesUnderHeadline(const Evidence& e, std::string_view) {
  const auto& blocks = e.body.blocks;
  const size_t first = e.body.FirstBlock();
  for (size_t back = 1; back <= 3 && back <= first; ++back) {
    const TextBlock& b = blocks[first - back];
    if (b.link_tokens > 0 || b.heading) continue;
    if (Names out = NamesOnlyLine(b.text); !out.empty()) return out;
  }
  const auto& paragraphs = e.body.paragraphs;
  if (!paragraphs.empty() && CountText(paragraphs[0]).tokens <= 12)
    return NamesOnlyLine(paragraphs[0]);
  return {};
}

// "光明网讯(记者 金昱希)" in the first paragraphs, "(作者: X)" at the end.
Names FromParenthesised(const Evidence& e, std::string_view) {
  const auto& paragraphs = e.body.paragraphs;
  for (size_t k = 0; k < paragraphs.size(); ++k) {
    if (k >= 2 && k + 2 < paragraphs.size()) continue;
    std::string_view p = paragraphs[k];
    for (std::string_view open : {"（", "("}) {
      for (size_t pos = p.find(open); pos != std::string_view::npos; pos = p.find(open, pos + 1)) {
        std::string_view inner = p.substr(pos + open.size(), 80);
        size_t close = std::min(inner.find(')'), inner.find("）"));
        if (close == std::string_view::npos) continue;
        if (Names out = FindAuthors(inner.substr(0, close)); !out.empty()) return out;
      }
    }
  }
  return {};
}

Names FromAuthorMeta(const Evidence& e, std::string_view publisher) {
  std::string v = CleanMetaText(e.doc.Meta("author"));
  if (LooksLikePersonName(v, publisher) && CountText(v).tokens <= 6) return {v};
  return {};
}

using AuthorSource = Names (*)(const Evidence&, std::string_view publisher);
constexpr AuthorSource kAuthorSources[] = {
    FromJsonLd,           FromAuthorMetas,      FromTwitterLabels, FromBylineLines,
    FromAuthorElements,   FromLeadInLine,       FromBylineParagraphs, FromAuthorLinks,
    FromNamesUnderHeadline, FromParenthesised,  FromAuthorMeta,
};

}  // namespace

std::string LatinPersonName(std::string_view text) {
  std::vector<std::string_view> words = Words(text);
  size_t first = 0;
  auto lead_in = [](std::string_view w) {
    if (w.ends_with(":")) w.remove_suffix(1);
    return InTable(AsciiLower(w), kBylineWords);
  };
  while (first < words.size() && first < 3 && lead_in(words[first])) ++first;
  const size_t count = words.size() - first;
  if (count < 2 || count > 5) return "";
  for (size_t k = first; k < words.size(); ++k)
    if (!NameWord(words[k])) return "";
  std::string name;
  for (size_t k = first; k < words.size(); ++k) {
    if (!name.empty()) name.push_back(' ');
    name.append(words[k]);
  }
  return name;
}

bool LooksLikePersonName(std::string_view s, std::string_view publisher) {
  if (s.empty() || s.size() > 40) return false;
  // A name has letters: "2", "12:30" are not people.
  if (std::none_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               static_cast<unsigned char>(c) >= 0x80;
      }))
    return false;
  for (char c : s)
    if (c == '!' || c == '@' || c == ':' || c == '/' || c == '|' || c == ',') return false;
  TextStats st = CountText(s);
  if (st.han > 0 ? (st.han < 2 || st.han > 4 || st.tokens != st.han) : (st.tokens > 3))
    return false;
  if (!publisher.empty() && s == publisher) return false;
  if (InTable(AsciiLower(s), kNonNames)) return false;
  if (OutletParts().ContainedIn(s)) return false;
  return true;
}

std::vector<std::string> ResolveAuthors(const Evidence& evidence, std::string_view publisher) {
  for (AuthorSource source : kAuthorSources)
    if (Names out = source(evidence, publisher); !out.empty()) return out;
  return {};
}

namespace {

bool IsAuthorBio(const std::string& paragraph, const std::vector<std::string>& authors) {
  for (const auto& name : authors) {
    if (name.find(' ') == std::string::npos) continue;  // "Jane Doe", not a handle
    const std::string first_word = name.substr(0, name.find(' '));
    for (const std::string& who : {name, first_word}) {
      if (!paragraph.starts_with(who)) continue;
      std::string_view rest = std::string_view(paragraph).substr(who.size());
      for (std::string_view verb : kBioVerbs)
        if (rest.starts_with(verb)) return true;
    }
  }
  return false;
}

}  // namespace

size_t DropAuthorBio(const std::vector<std::string>& authors,
                     std::vector<std::string>* paragraphs) {
  size_t dropped = 0;
  for (size_t n = 0; n < kMaxBioParagraphs && paragraphs->size() > 1 &&
                     IsAuthorBio(paragraphs->back(), authors);
       ++n, ++dropped)
    paragraphs->pop_back();
  for (size_t n = 0; n < kMaxBioParagraphs && paragraphs->size() > 1 &&
                     IsAuthorBio(paragraphs->front(), authors);
       ++n, ++dropped)
    paragraphs->erase(paragraphs->begin());
  return dropped;
}

std::vector<std::string> ResolveEditors(const Evidence& evidence) {
  for (const auto& l : evidence.byline.lines) {
    if (CountText(l).tokens > kMaxEditorLineTokens) continue;
    if (Names out = FindEditors(l); !out.empty()) return out;
  }
  return {};
}

}  // namespace crawlstream::extractor
