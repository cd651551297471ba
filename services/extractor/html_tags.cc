#include "services/extractor/html_tags.h"

#include <string_view>
#include <unordered_map>

namespace crawlstream::extractor {
namespace {

constexpr uint16_t V = kVoidElement, S = kSpecial, P = kClosesP, B = kScopeBarrier,
                   T = kTableBarrier, F = kFormatting, D = kDroppedElement,
                   H = kHeadContent, BB = kButtonBarrier, LB = kListBarrier;

using R = TagRule;

// Every element the tree builder or a later step tells apart. Names not
// listed are generic, non-special, inline elements.
constexpr TagInfo kTags[] = {
    {"html", Tag::kOther, R::kHtml, S | B | T},
    {"head", Tag::kOther, R::kHead, S | D},
    {"body", Tag::kBody, R::kBody, S},
    {"frameset", Tag::kOther, R::kIgnored, S},
    {"frame", Tag::kOther, R::kIgnored, S | V},
    // Head content: collected for metadata, never in the tree.
    {"title", Tag::kOther, R::kGeneric, S | D | H},
    {"meta", Tag::kOther, R::kGeneric, S | V | D | H},
    {"link", Tag::kOther, R::kGeneric, S | V | D | H},
    {"base", Tag::kOther, R::kGeneric, S | V | D | H},
    {"basefont", Tag::kOther, R::kGeneric, S | V | D | H},
    {"bgsound", Tag::kOther, R::kGeneric, S | V | D | H},
    {"script", Tag::kOther, R::kGeneric, S | D | H},
    {"style", Tag::kOther, R::kGeneric, S | D | H},
    {"noscript", Tag::kOther, R::kGeneric, S | D | H},
    {"template", Tag::kOther, R::kGeneric, S | D | H | B | T},
    // Never article text.
    {"svg", Tag::kOther, R::kGeneric, D},
    {"math", Tag::kOther, R::kGeneric, D},
    {"iframe", Tag::kOther, R::kGeneric, S | D},
    {"object", Tag::kOther, R::kGeneric, S | D | B},
    {"applet", Tag::kOther, R::kGeneric, S | D | B},
    {"marquee", Tag::kOther, R::kGeneric, S | B},
    {"embed", Tag::kOther, R::kGeneric, S | V | D},
    {"input", Tag::kOther, R::kGeneric, S | V | D},
    {"keygen", Tag::kOther, R::kGeneric, S | V | D},
    {"select", Tag::kOther, R::kGeneric, S | D},
    {"option", Tag::kOther, R::kOption, D},
    {"optgroup", Tag::kOther, R::kOption, D},
    {"datalist", Tag::kOther, R::kGeneric, D},
    {"textarea", Tag::kOther, R::kGeneric, S | D},
    {"button", Tag::kButton, R::kGeneric, S | D | BB},
    {"label", Tag::kLabel, R::kGeneric, D},
    {"canvas", Tag::kOther, R::kGeneric, D},
    {"video", Tag::kOther, R::kGeneric, D},
    {"audio", Tag::kOther, R::kGeneric, D},
    {"map", Tag::kOther, R::kGeneric, D},
    {"area", Tag::kOther, R::kGeneric, S | V | D},
    {"noembed", Tag::kOther, R::kGeneric, S | D},
    {"noframes", Tag::kOther, R::kGeneric, S | D},
    // Blocks.
    {"p", Tag::kP, R::kP, S | P},
    {"div", Tag::kDiv, R::kGeneric, S | P},
    {"article", Tag::kArticle, R::kGeneric, S | P},
    {"section", Tag::kSection, R::kGeneric, S | P},
    {"main", Tag::kMain, R::kGeneric, S | P},
    {"nav", Tag::kNav, R::kGeneric, S | P},
    {"aside", Tag::kAside, R::kGeneric, S | P},
    {"header", Tag::kHeader, R::kGeneric, S | P},
    {"footer", Tag::kFooter, R::kGeneric, S | P},
    {"hgroup", Tag::kH_Group, R::kGeneric, S | P},
    {"address", Tag::kAddress, R::kGeneric, S | P},
    {"blockquote", Tag::kBlockquote, R::kGeneric, S | P},
    {"center", Tag::kCenter, R::kGeneric, S | P},
    {"details", Tag::kDetails, R::kGeneric, S | P},
    {"summary", Tag::kOther, R::kGeneric, S | P},
    {"dialog", Tag::kOther, R::kGeneric, S | P},
    {"dir", Tag::kOther, R::kGeneric, S | P},
    {"menu", Tag::kMenu, R::kGeneric, S | P},
    {"fieldset", Tag::kFieldset, R::kGeneric, S | P},
    {"figure", Tag::kFigure, R::kGeneric, S | P},
    {"figcaption", Tag::kFigcaption, R::kGeneric, S | P},
    {"form", Tag::kForm, R::kGeneric, S | P},
    {"search", Tag::kOther, R::kGeneric, S | P},
    {"pre", Tag::kPre, R::kGeneric, S | P},
    {"listing", Tag::kOther, R::kGeneric, S | P},
    {"xmp", Tag::kOther, R::kGeneric, S | P},
    {"plaintext", Tag::kOther, R::kGeneric, S | P},
    {"hr", Tag::kHr, R::kGeneric, S | P | V},
    {"br", Tag::kBr, R::kBr, S | V},
    {"wbr", Tag::kOther, R::kGeneric, S | V},
    {"img", Tag::kImg, R::kGeneric, S | V},
    {"image", Tag::kImg, R::kGeneric, S | V},
    {"param", Tag::kOther, R::kGeneric, S | V},
    {"source", Tag::kOther, R::kGeneric, S | V},
    {"track", Tag::kOther, R::kGeneric, S | V},
    {"col", Tag::kOther, R::kGeneric, S | V},
    {"h1", Tag::kH1, R::kHeading, S | P},
    {"h2", Tag::kH2, R::kHeading, S | P},
    {"h3", Tag::kH3, R::kHeading, S | P},
    {"h4", Tag::kH4, R::kHeading, S | P},
    {"h5", Tag::kH5, R::kHeading, S | P},
    {"h6", Tag::kH6, R::kHeading, S | P},
    // Lists.
    {"ul", Tag::kUl, R::kGeneric, S | P | LB},
    {"ol", Tag::kOl, R::kGeneric, S | P | LB},
    {"dl", Tag::kDl, R::kGeneric, S | P},
    {"li", Tag::kLi, R::kListItem, S},
    {"dd", Tag::kDd, R::kDefItem, S},
    {"dt", Tag::kDt, R::kDefItem, S},
    // Tables.
    {"table", Tag::kTable, R::kTable, S | P | B | T},
    {"caption", Tag::kCaption, R::kTable, S | B},
    {"colgroup", Tag::kOther, R::kTable, S},
    {"tbody", Tag::kTbody, R::kSection, S},
    {"thead", Tag::kThead, R::kSection, S},
    {"tfoot", Tag::kTfoot, R::kSection, S},
    {"tr", Tag::kTr, R::kRow, S},
    {"td", Tag::kTd, R::kCell, S | B},
    {"th", Tag::kTh, R::kCell, S | B},
    // Inline.
    {"a", Tag::kA, R::kAnchor, F},
    {"b", Tag::kB, R::kGeneric, F},
    {"big", Tag::kOther, R::kGeneric, F},
    {"code", Tag::kOther, R::kGeneric, F},
    {"em", Tag::kEm, R::kGeneric, F},
    {"font", Tag::kFont, R::kGeneric, F},
    {"i", Tag::kI, R::kGeneric, F},
    {"nobr", Tag::kOther, R::kGeneric, F},
    {"s", Tag::kOther, R::kGeneric, F},
    {"small", Tag::kOther, R::kGeneric, F},
    {"strike", Tag::kOther, R::kGeneric, F},
    {"strong", Tag::kStrong, R::kGeneric, F},
    {"tt", Tag::kOther, R::kGeneric, F},
    {"u", Tag::kU, R::kGeneric, F},
    {"span", Tag::kSpan, R::kGeneric, 0},
    {"sup", Tag::kOther, R::kGeneric, 0},
    {"time", Tag::kTime, R::kGeneric, 0},
};

constexpr TagInfo kUnknown{};

}  // namespace

const TagInfo& LookupTag(std::string_view lower_name) {
  static const auto* index = [] {
    auto* m = new std::unordered_map<std::string_view, const TagInfo*>();
    for (const TagInfo& t : kTags) m->emplace(t.name, &t);
    return m;
  }();
  auto it = index->find(lower_name);
  return it == index->end() ? kUnknown : *it->second;
}

}  // namespace crawlstream::extractor
