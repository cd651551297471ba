// The HTML element table the tree builder (dom.cc) works from: for each
// element name, the extractor's Tag, the tree-construction rule that
// applies to it, and its WHATWG categories. Rules are data here so that
// dom.cc reads as the algorithm only.
// Thread-safe: the table is immutable after first use.
#pragma once

#include <cstdint>
#include <string_view>

#include "services/extractor/dom.h"

namespace crawlstream::extractor {

// Tree-construction rule of an element (WHATWG "in body" insertion mode,
// simplified: no foster parenting, no implied <tbody>/<tr>, formatting
// elements are closed rather than re-opened).
enum class TagRule : uint8_t {
  kGeneric,   // push; its end tag pops it unless a special element is in between
  kHtml,      // never in the tree; its lang attribute is the document's
  kHead,      // the head: metadata only
  kBody,      // never in the tree (the root stands for it)
  kIgnored,   // frameset, frame: dropped tag, content kept
  kListItem,  // li: closes an open li
  kDefItem,   // dd, dt: close an open dd or dt
  kHeading,   // h1-h6: closes an open heading; </hN> closes any heading
  kCell,      // td, th: close an open cell
  kRow,       // tr: closes an open row or cell
  kSection,   // tbody, thead, tfoot: close an open section, row or cell
  kTable,     // table, caption, colgroup: table-scoped end tags
  kAnchor,    // a: closes an open a
  kBr,        // br; </br> is <br>
  kP,         // p; </p> closes p in button scope
  kOption,    // option, optgroup: close an open option
};

enum TagFlag : uint16_t {
  kVoidElement = 1 << 0,    // no content, no end tag
  kSpecial = 1 << 1,        // WHATWG "special" category
  kClosesP = 1 << 2,        // its start tag closes an open <p>
  kScopeBarrier = 1 << 3,   // bounds "has an element in scope"
  kTableBarrier = 1 << 4,   // bounds "in table scope"
  kFormatting = 1 << 5,     // b, i, a, font, ...: end tag never closes a block
  kDroppedElement = 1 << 6, // never article text: not in the tree
  kHeadContent = 1 << 7,    // may stay inside <head>
  kButtonBarrier = 1 << 8,  // extra barrier of "in button scope"
  kListBarrier = 1 << 9,    // extra barrier of "in list item scope"
};

struct TagInfo {
  std::string_view name;  // empty for an unknown element
  Tag tag = Tag::kOther;
  TagRule rule = TagRule::kGeneric;
  uint16_t flags = 0;

  bool Has(TagFlag f) const { return (flags & f) != 0; }
};

// The entry for a lower-case element name; unknown names (custom
// elements) get a shared generic entry with an empty name.
const TagInfo& LookupTag(std::string_view lower_name);

}  // namespace crawlstream::extractor
