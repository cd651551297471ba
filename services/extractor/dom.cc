#include "services/extractor/dom.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "services/extractor/html_tags.h"
#include "services/extractor/html_tokenizer.h"
#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

// "Has an element in scope" barrier sets (WHATWG 13.2.4.2).
constexpr uint16_t kDefaultScope = kScopeBarrier;
constexpr uint16_t kButtonScope = kScopeBarrier | kButtonBarrier;
constexpr uint16_t kListItemScope = kScopeBarrier | kListBarrier;
constexpr uint16_t kTableScope = kTableBarrier;

// A footnote reference holds at most this much text ("[12]", "*", "a").
constexpr size_t kMaxFootnoteText = 6;

// <a rel="author">, a link to an author page, or itemprop="author".
bool IsAuthorMark(const HtmlToken& t, const TagInfo& info, std::string_view itemprop) {
  if (itemprop == "author") return true;
  if (info.tag != Tag::kA) return false;
  if (AsciiLower(t.Attr("rel")).find("author") != std::string::npos) return true;
  // An author page: /author/<name>, or ?author=<id> as the only query
  // parameter (with more parameters it filters an archive or a category).
  const std::string href = AsciiLower(t.Attr("href"));
  for (std::string_view p : {"/author/", "/authors/", "/by/"})
    if (href.find(p) != std::string::npos) return true;
  const size_t q = href.find("?author=");
  return q != std::string::npos && href.find('&', q) == std::string::npos;
}

// A collapsed accordion or tab panel (the WAI-ARIA pattern: role region or
// tabpanel, labelled by its header) is hidden by style or the hidden
// attribute only until a reader opens it: its text is the page's text.
// aria-hidden="true" still hides it (kept from screen readers even open).
bool IsCollapsedPanel(const HtmlToken& t) {
  const std::string role = AsciiLower(t.Attr("role"));
  return (role == "region" || role == "tabpanel") && t.HasAttr("aria-labelledby");
}

// A segment streamed by a server renderer (React 18+: <div hidden
// id="S:0">, moved into place by an inline script once it arrived) is the
// page's content, not hidden content.
bool IsStreamedSegment(const HtmlToken& t) {
  const std::string_view id = t.Attr("id");
  if (id.size() < 3 || !id.starts_with("S:")) return false;
  for (char c : id.substr(2))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// The id suffix of a React slot (<template id="B:1"> or "P:1": where
// segment S:1 goes), else empty.
std::string_view SlotSuffix(std::string_view id) {
  if (id.size() < 3 || (id[0] != 'B' && id[0] != 'P') || id[1] != ':') return {};
  return id.substr(2);
}

// Text of a fallback that stands in for a streamed segment ("Loading...",
// a spinner's label) is at most this long when the boundary's end is not
// marked (a page saved without its comments).
constexpr size_t kMaxUnmarkedFallbackBytes = 64;
// Slots and boundary ends looked at per document (each move looks for its
// slot among the slot's siblings): far more than real pages use (a few
// dozen), few enough that a page of templates cannot make it quadratic.
constexpr size_t kMaxStreamMarkers = 1024;

bool IsHidden(const HtmlToken& t) {
  if (t.attribute_count == 0) return false;
  if (AsciiLower(t.Attr("aria-hidden")) == "true") return true;
  if (IsCollapsedPanel(t) || IsStreamedSegment(t)) return false;
  if (t.HasAttr("hidden")) return true;
  const std::string_view style = t.Attr("style");
  if (style.empty()) return false;
  std::string s;
  s.reserve(style.size());
  for (char c : style)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      s.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c);
  return s.find("display:none") != std::string::npos ||
         s.find("visibility:hidden") != std::string::npos;
}

// A footnote reference: <sup><a href="#fn1">1</a></sup>, "[2]", "*". Its
// number would be glued to the sentence ("losing.1").
bool IsFootnoteText(std::string_view text) {
  if (text.empty() || text.size() > kMaxFootnoteText) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || c == '[' || c == ']' || c == '*' || c == ' ' ||
          (c >= 'a' && c <= 'z')))
      return false;
  return true;
}

bool IsAllSpace(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f') return false;
  return true;
}

// Text that is nothing but markup, e.g. `<li id="omoqo"></li>` shown as
// text by a broken injector.
bool IsMarkupText(std::string_view t) {
  size_t i = 0;
  bool any_tag = false;
  while (i < t.size()) {
    char c = t[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    if (c != '<') return false;
    size_t end = t.find('>', i);
    if (end == std::string_view::npos) return false;
    if (i + 1 < end) {
      char n = t[i + 1];
      if (!((n >= 'a' && n <= 'z') || (n >= 'A' && n <= 'Z') || n == '/'))
        return false;
    }
    any_tag = true;
    i = end + 1;
  }
  return any_tag;
}

// An element on the stack of open elements.
struct OpenElement {
  const TagInfo* info;
  std::string unknown_name;    // the name of an element not in the tag table
  int32_t node = -1;           // where its content goes; -1: suppressed
  bool owns_node = false;      // node was created for it (not flattened)
  bool json_ld = false;        // <script type="application/ld+json">
  bool in_page_link = false;   // <sup> holding an <a href="#...">
  size_t times_mark = 0;       // head.times.size() when it opened
  uint32_t formatting_id = 0;  // its entry in the active formatting list
};

// An entry of the list of active formatting elements: a formatting element
// (a, b, font, ...) that a block start closed implicitly is re-opened
// inside the next inline content, as browsers do, so that a caption inside
// `<p><a><figure>` stays link text. info == nullptr is a marker (cells,
// captions): re-opening never crosses one.
struct ActiveFormatting {
  const TagInfo* info = nullptr;
  uint32_t id = 0;
  bool open = false;  // on the stack of open elements
  HtmlToken token;    // name and attributes, for the clone
};

// Entries of one name kept after the last marker (WHATWG "Noah's Ark"),
// and entries overall.
constexpr size_t kMaxSameFormatting = 3;
constexpr size_t kMaxActiveFormatting = 16;
// Blocks moved out of a link per document (each move walks the block's
// subtree once; past this, the block stays inside the link in the tree).
constexpr size_t kMaxMovedBlocks = 256;

// Builds a Document from tokens with the WHATWG "in body" rules, simplified
// as html_tags.h says. Content of dropped and (unless kept) hidden elements
// is suppressed: its elements still open and close, but nothing reaches
// the tree.
class TreeBuilder {
 public:
  TreeBuilder(Document* doc, ParseOptions options) : doc_(doc), options_(options) {
    doc_->nodes.emplace_back();
    doc_->nodes[0].tag = Tag::kBody;
    doc_->nodes[0].is_block = true;
    stack_.push_back({&LookupTag("html"), {}, 0, true});
  }

  void Run(std::string_view html) {
    // About one node per '<' (an element per start tag, a text node per
    // end tag at most): usually one allocation for the arena instead of
    // doublings that briefly hold it twice.
    const auto tags = static_cast<size_t>(std::count(html.begin(), html.end(), '<'));
    doc_->nodes.reserve(std::min(tags, 2 * kMaxElements) + 2);
    HtmlTokenizer tokenizer(html);
    HtmlToken token;
    size_t count = 0;
    for (tokenizer.Next(&token); token.type != HtmlToken::Type::kEnd; tokenizer.Next(&token)) {
      if (options_.deadline && ++count % kDeadlineCheckTokens == 0 &&
          std::chrono::steady_clock::now() > *options_.deadline) {
        doc_->timed_out = true;
        break;
      }
      switch (token.type) {
        case HtmlToken::Type::kStartTag: StartTag(token); break;
        case HtmlToken::Type::kEndTag: EndTag(token); break;
        case HtmlToken::Type::kText: Text(token.text); break;
        case HtmlToken::Type::kEnd: break;
      }
    }
    while (stack_.size() > 1) Pop();
    ResolveStreamedSegments();
    for (int32_t h : h1_nodes_) doc_->head.h1.push_back(SubtreeText(*doc_, h));
    for (int32_t a : author_nodes_) {
      std::string text = SubtreeText(*doc_, a);
      if (!text.empty() && text.size() <= 120) doc_->head.author_links.push_back(std::move(text));
    }
  }

 private:
  void StartTag(const HtmlToken& t) {
    const TagInfo& info = LookupTag(t.name);
    CollectHead(t, info);
    switch (info.rule) {
      case TagRule::kHtml:
        if (!seen_html_) {
          std::string_view lang = t.Attr("lang");
          if (lang.empty()) lang = t.Attr("xml:lang");
          doc_->head.lang = std::string(lang);
        }
        seen_html_ = true;
        return;
      case TagRule::kBody:
        if (TopIs("head")) Pop();
        return;
      case TagRule::kIgnored:
        return;
      case TagRule::kHead:
        if (seen_head_ || doc_->nodes.size() > 1) return;
        seen_head_ = true;
        stack_.push_back({&info, {}, -1});
        return;
      default:
        break;
    }
    if (TopIs("head") && !info.Has(kHeadContent)) Pop();  // implied </head>
    CloseImplied(info);
    if (!info.Has(kSpecial) || info.Has(kVoidElement)) ReopenFormatting();

    const int32_t parent = stack_.back().node;
    if (info.name == "template" && parent >= 0) NoteStreamMarker(t, parent);
    bool suppressed = parent < 0 || info.Has(kDroppedElement);
    if (!suppressed && !options_.keep_hidden && IsHidden(t)) {
      ++doc_->removed_hidden;
      suppressed = true;
    }
    OpenElement open{&info, {}, -1};
    if (!suppressed) {
      open.node = AddElement(t, info, parent);
      open.owns_node = open.node != parent;
      if (open.owns_node && IsStreamedSegment(t)) {
        segments_.try_emplace(std::string(t.Attr("id").substr(2)), open.node);
        stream_nodes_.insert(open.node);
        segment_max_ = std::max(segment_max_, open.node);
      }
    }
    if (info.Has(kVoidElement)) return;
    if (info.name.empty()) open.unknown_name = t.name;
    if (info.name == "script" && ContainsAsciiCaseless(t.Attr("type"), "ld+json")) {
      doc_->head.json_ld.emplace_back();
      open.json_ld = true;
    }
    open.times_mark = doc_->head.times.size();
    if (info.Has(kFormatting)) open.formatting_id = AddFormatting(info, t);
    const bool marker = IsMarkerElement(info);
    stack_.push_back(std::move(open));
    if (marker) active_.push_back({});
  }

  void EndTag(const HtmlToken& t) {
    const TagInfo& info = LookupTag(t.name);
    auto same = [&](const OpenElement& e) { return Matches(e, info, t.name); };
    int index = -1;
    switch (info.rule) {
      case TagRule::kHtml: case TagRule::kBody: case TagRule::kIgnored:
        return;
      case TagRule::kHead:
        if (TopIs("head")) Pop();
        return;
      case TagRule::kBr:
        StartTag(t);  // </br> is <br>
        return;
      case TagRule::kP:
        index = FindInScope(same, kButtonScope);
        break;
      case TagRule::kListItem:
        index = FindInScope(same, kListItemScope);
        break;
      case TagRule::kHeading:
        index = FindInScope([](const OpenElement& e) { return e.info->rule == TagRule::kHeading; },
                            kDefaultScope);
        break;
      case TagRule::kCell: case TagRule::kRow: case TagRule::kSection: case TagRule::kTable:
        index = FindInScope(same, kTableScope);
        break;
      default:
        if (info.Has(kSpecial)) {
          index = FindInScope(same, kDefaultScope);
        } else if (info.Has(kFormatting)) {
          // An inline end tag never closes a block opened inside it: the
          // block keeps its text together (browsers re-open the inline
          // element inside the block instead).
          if (ForgetFormatting(info, t.name)) CloseFormatting(FindInScope(same, kDefaultScope));
          return;
        } else {
          index = FindAboveSpecial(same);
        }
        break;
    }
    if (index > 0) PopTo(static_cast<size_t>(index));
  }

  void Text(const std::string& text) {
    if (TopIs("head")) {
      if (IsAllSpace(text)) return;
      Pop();  // text ends the head
    }
    if (stack_.back().node >= 0) ReopenFormatting();
    OpenElement& top = stack_.back();
    if (top.node < 0) {
      if (top.info->name == "title" && doc_->head.title.empty()) doc_->head.title = text;
      if (top.json_ld) doc_->head.json_ld.back() += text;
      return;
    }
    if (text.find('<') != std::string::npos && IsMarkupText(text)) {
      ++doc_->removed_junk;
      return;
    }
    Node& parent = doc_->nodes[top.node];
    if (!parent.children.empty()) {
      Node& last = doc_->nodes[parent.children.back()];
      if (last.tag == Tag::kText) {
        last.text += text;
        return;
      }
    }
    const int32_t idx = static_cast<int32_t>(doc_->nodes.size());
    const int32_t parent_index = top.node;
    const int32_t depth = parent.depth + 1;
    parent.children.push_back(idx);
    Node& tn = doc_->nodes.emplace_back();
    tn.tag = Tag::kText;
    tn.parent = parent_index;
    tn.depth = depth;
    tn.text = text;
  }

  // Implied end tags a start tag causes.
  void CloseImplied(const TagInfo& info) {
    auto rule_is = [](TagRule r) { return [r](const OpenElement& e) { return e.info->rule == r; }; };
    switch (info.rule) {
      case TagRule::kListItem: case TagRule::kDefItem: {
        for (size_t i = stack_.size() - 1; i > 0; --i) {
          const TagInfo& e = *stack_[i].info;
          if (e.rule == info.rule) {
            PopTo(i);
            break;
          }
          if (e.Has(kSpecial) && e.name != "address" && e.name != "div" && e.name != "p") break;
        }
        break;
      }
      case TagRule::kCell:
        PopToFound(FindInScope(rule_is(TagRule::kCell), kTableScope));
        break;
      case TagRule::kRow: {
        int i = FindInScope(rule_is(TagRule::kRow), kTableScope);
        if (i < 0) i = FindInScope(rule_is(TagRule::kCell), kTableScope);
        PopToFound(i);
        break;
      }
      case TagRule::kSection: {
        int i = FindInScope(rule_is(TagRule::kSection), kTableScope);
        if (i < 0) i = FindInScope(rule_is(TagRule::kRow), kTableScope);
        if (i < 0) i = FindInScope(rule_is(TagRule::kCell), kTableScope);
        PopToFound(i);
        break;
      }
      case TagRule::kAnchor:
        if (ForgetFormatting(info, info.name))
          CloseFormatting(FindInScope(rule_is(TagRule::kAnchor), kDefaultScope));
        break;
      case TagRule::kOption:
        if (stack_.back().info->rule == TagRule::kOption) Pop();
        break;
      default:
        break;
    }
    if (info.Has(kClosesP))
      PopToFound(FindInScope(rule_is(TagRule::kP), kButtonScope));
    if (info.rule == TagRule::kHeading && stack_.back().info->rule == TagRule::kHeading) Pop();
  }

  // Creates the node of an element under `parent`; returns `parent` when
  // nesting is already kMaxTreeDepth deep (the element is flattened).
  // A re-opened formatting element (`clone`) adds no author mark or h1.
  int32_t AddElement(const HtmlToken& t, const TagInfo& info, int32_t parent,
                     bool clone = false) {
    const int32_t depth = doc_->nodes[parent].depth + 1;
    if (depth >= kMaxTreeDepth) return parent;
    if (elements_ >= kMaxElements) {
      ++doc_->elements_capped;
      return parent;
    }
    ++elements_;
    const int32_t idx = static_cast<int32_t>(doc_->nodes.size());
    Node en;
    en.tag = info.tag;
    en.parent = parent;
    en.depth = depth;
    en.is_block = IsBlockTag(en.tag);
    std::string itemprop;
    if (t.attribute_count > 0) {
      const std::string_view id = t.Attr("id");
      const std::string_view cls = t.Attr("class");
      if (!id.empty() || !cls.empty()) {
        en.hint = AsciiLower(id);
        en.hint.push_back(' ');
        en.hint += AsciiLower(cls);
      }
      itemprop = AsciiLower(t.Attr("itemprop"));
      en.article_body = itemprop == "articlebody";
      if (info.tag == Tag::kTime) {
        const std::string_view dt = t.Attr("datetime");
        if (!dt.empty()) doc_->head.times.emplace_back(dt);
      }
      if (info.tag == Tag::kA && t.Attr("href").starts_with("#")) MarkInPageLink();
    }
    if (!clone && IsAuthorMark(t, info, itemprop)) author_nodes_.push_back(idx);
    if (info.tag == Tag::kH1) h1_nodes_.push_back(idx);
    doc_->nodes.push_back(std::move(en));
    doc_->nodes[parent].children.push_back(idx);
    return idx;
  }

  void CollectHead(const HtmlToken& t, const TagInfo& info) {
    if (info.name == "meta") {
      std::string_view key = t.Attr("property");
      if (key.empty()) key = t.Attr("name");
      if (key.empty()) key = t.Attr("itemprop");
      if (key.empty()) key = t.Attr("http-equiv");
      const std::string_view content = t.Attr("content");
      if (!key.empty() && !content.empty())
        doc_->head.meta.emplace_back(AsciiLower(key), std::string(content));
    } else if (info.name == "link") {
      if (doc_->head.canonical.empty() && AsciiLower(t.Attr("rel")) == "canonical")
        doc_->head.canonical = std::string(t.Attr("href"));
    }
  }

  void MarkInPageLink() {
    for (size_t i = stack_.size(); i-- > 1;)
      if (stack_[i].info->name == "sup") {
        stack_[i].in_page_link = true;
        return;
      }
  }

  bool Matches(const OpenElement& e, const TagInfo& info, std::string_view name) const {
    return e.info == &info && (!info.name.empty() || e.unknown_name == name);
  }

  bool TopIs(std::string_view name) const { return stack_.back().info->name == name; }

  // Index of the nearest open element satisfying `pred` before one whose
  // flags hit `barriers`; -1 if none.
  template <typename Pred>
  int FindInScope(Pred pred, uint16_t barriers) const {
    for (size_t i = stack_.size(); i-- > 0;) {
      if (pred(stack_[i])) return static_cast<int>(i);
      if (stack_[i].info->flags & barriers) return -1;
    }
    return -1;
  }

  // "Any other end tag": the nearest match with no special element above it.
  template <typename Pred>
  int FindAboveSpecial(Pred pred) const {
    for (size_t i = stack_.size(); i-- > 1;) {
      if (pred(stack_[i])) return static_cast<int>(i);
      if (stack_[i].info->Has(kSpecial)) return -1;
    }
    return -1;
  }

  // Closes the formatting element at stack_[index]. With a block opened
  // inside it, the block stays open and the formatting element (with the
  // inline elements between) leaves the stack, so that what follows is
  // outside it and misnesting cannot deepen the stack. For a link the
  // block also moves out of it in the tree, to the link's parent (what the
  // WHATWG adoption agency does: the text that follows is no link text).
  void CloseFormatting(int index) {
    if (index <= 0) return;
    size_t block = static_cast<size_t>(index) + 1;
    while (block < stack_.size() && !stack_[block].info->Has(kSpecial)) ++block;
    if (block == stack_.size()) {
      PopTo(static_cast<size_t>(index));
      return;
    }
    const bool link = stack_[static_cast<size_t>(index)].info->tag == Tag::kA;
    const int32_t new_parent = stack_[static_cast<size_t>(index) - 1].node;
    const int32_t moved = stack_[block].node;
    if (link && moved_blocks_ < kMaxMovedBlocks && new_parent >= 0 && moved >= 0 &&
        stack_[block].owns_node) {
      ++moved_blocks_;
      Node& old_parent = doc_->nodes[doc_->nodes[moved].parent];
      if (!old_parent.children.empty() && old_parent.children.back() == moved) {
        // Everything added since the block opened is inside it: nodes
        // [moved, end) are its subtree.
        old_parent.children.pop_back();
        doc_->nodes[new_parent].children.push_back(moved);
        doc_->nodes[moved].parent = new_parent;
        const int32_t shift = doc_->nodes[moved].depth - (doc_->nodes[new_parent].depth + 1);
        for (size_t k = static_cast<size_t>(moved); k < doc_->nodes.size(); ++k)
          doc_->nodes[k].depth -= shift;
      }
    }
    // The link and the inline elements between it and the block leave the
    // stack; the block and what is above it stay.
    for (size_t k = static_cast<size_t>(index); k < block; ++k)
      for (ActiveFormatting& f : active_)
        if (f.id == stack_[k].formatting_id) f.open = false;
    stack_.erase(stack_.begin() + index, stack_.begin() + static_cast<std::ptrdiff_t>(block));
  }

  void PopToFound(int index) {
    if (index > 0) PopTo(static_cast<size_t>(index));
  }

  // Pops stack_[index] and everything above it.
  void PopTo(size_t index) {
    while (stack_.size() > index && stack_.size() > 1) Pop();
  }

  void Pop() {
    const OpenElement& e = stack_.back();
    if (e.in_page_link && e.owns_node) DropIfFootnote(e);
    if (e.formatting_id != 0)
      for (ActiveFormatting& f : active_)
        if (f.id == e.formatting_id) f.open = false;
    if (IsMarkerElement(*e.info)) ClearFormattingToMarker();
    stack_.pop_back();
  }

  static bool IsMarkerElement(const TagInfo& info) {
    return info.Has(kScopeBarrier) && info.name != "html" && info.name != "table";
  }

  // Index in active_ just past the last marker.
  size_t FormattingStart() const {
    for (size_t i = active_.size(); i-- > 0;)
      if (active_[i].info == nullptr) return i + 1;
    return 0;
  }

  uint32_t AddFormatting(const TagInfo& info, const HtmlToken& t) {
    const size_t start = FormattingStart();
    size_t same = 0;
    for (size_t i = start; i < active_.size(); ++i) same += active_[i].info == &info;
    if (same >= kMaxSameFormatting) {
      for (size_t i = start; i < active_.size(); ++i)
        if (active_[i].info == &info) {
          active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(i));
          break;
        }
    }
    if (active_.size() - start >= kMaxActiveFormatting)
      active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(start));
    ActiveFormatting& f = active_.emplace_back();
    f.info = &info;
    f.id = ++next_formatting_id_;
    f.open = true;
    f.token.name = t.name;
    f.token.attributes.assign(t.attributes.begin(),
                              t.attributes.begin() + static_cast<std::ptrdiff_t>(t.attribute_count));
    f.token.attribute_count = t.attribute_count;
    return f.id;
  }

  // Removes the latest entry for `info` after the last marker. False when
  // it was there but no longer open (its end tag then has nothing to close).
  bool ForgetFormatting(const TagInfo& info, std::string_view name) {
    for (size_t i = active_.size(); i-- > FormattingStart();) {
      if (active_[i].info != &info || active_[i].token.name != name) continue;
      const bool open = active_[i].open;
      active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(i));
      return open;
    }
    return true;
  }

  void ClearFormattingToMarker() {
    while (!active_.empty()) {
      const bool marker = active_.back().info == nullptr;
      active_.pop_back();
      if (marker) return;
    }
  }

  // Re-opens, in order, the formatting elements a block closed implicitly.
  void ReopenFormatting() {
    for (size_t i = FormattingStart(); i < active_.size(); ++i) {
      if (active_[i].open) continue;
      const int32_t parent = stack_.back().node;
      if (parent < 0) return;
      ActiveFormatting& f = active_[i];
      OpenElement open{f.info, {}, -1};
      open.node = AddElement(f.token, *f.info, parent, /*clone=*/true);
      open.owns_node = open.node != parent;
      open.formatting_id = f.id;
      open.times_mark = doc_->head.times.size();
      f.open = true;
      stack_.push_back(std::move(open));
    }
  }

  // A closing <sup> that is a footnote reference leaves the tree: it and
  // its descendants are the last nodes added.
  void DropIfFootnote(const OpenElement& e) {
    std::string text;
    for (size_t i = static_cast<size_t>(e.node); i < doc_->nodes.size(); ++i) {
      if (doc_->nodes[i].tag == Tag::kText) text += doc_->nodes[i].text;
      if (text.size() > kMaxFootnoteText) return;
    }
    if (!IsFootnoteText(text)) return;
    const int32_t idx = e.node;
    Node& parent = doc_->nodes[doc_->nodes[idx].parent];
    if (parent.children.empty() || parent.children.back() != idx) return;
    parent.children.pop_back();
    doc_->nodes.resize(static_cast<size_t>(idx));
    std::erase_if(h1_nodes_, [idx](int32_t n) { return n >= idx; });
    std::erase_if(author_nodes_, [idx](int32_t n) { return n >= idx; });
    // Streaming nodes inside the dropped reference (there are almost never
    // any: markers are appended in index order, so look at the back only).
    while (!markers_.empty() && markers_.back().node >= idx) {
      boundary_ends_.erase(markers_.back().node);
      stream_nodes_.erase(markers_.back().node);
      markers_.pop_back();
    }
    if (!segments_.empty() && segment_max_ >= idx) {
      std::erase_if(segments_, [idx](const auto& kv) { return kv.second >= idx; });
      std::erase_if(stream_nodes_, [idx](int32_t n) { return n >= idx; });
    }
    doc_->head.times.resize(std::min(doc_->head.times.size(), e.times_mark));
  }

  // Streamed segments (dom.h): an empty node where a React slot template
  // or boundary end stood.
  void NoteStreamMarker(const HtmlToken& t, int32_t parent) {
    const std::string_view id = t.Attr("id");
    const bool end = id == "/$";
    const std::string_view suffix = SlotSuffix(id);
    if (!end && suffix.empty()) return;
    if (markers_.size() >= kMaxStreamMarkers) return;
    const int32_t depth = doc_->nodes[parent].depth + 1;
    if (depth >= kMaxTreeDepth || elements_ >= kMaxElements) return;
    ++elements_;
    const auto idx = static_cast<int32_t>(doc_->nodes.size());
    Node& n = doc_->nodes.emplace_back();
    n.parent = parent;
    n.depth = depth;
    doc_->nodes[parent].children.push_back(idx);
    markers_.push_back({idx, std::string(suffix), id[0] == 'B', end});
    if (end) boundary_ends_.insert(idx);
    stream_nodes_.insert(idx);
  }

  // Whether `node` lies in the subtree of `root`.
  bool Inside(int32_t node, int32_t root) const {
    for (int32_t n = node; n >= 0; n = doc_->nodes[n].parent)
      if (n == root) return true;
    return false;
  }

  // The deepest depth in the subtree of `root`, and (delta != 0) every
  // depth there shifted by delta.
  int32_t ShiftDepths(int32_t root, int32_t delta) {
    int32_t deepest = 0;
    std::vector<int32_t> todo{root};
    while (!todo.empty()) {
      Node& n = doc_->nodes[todo.back()];
      todo.pop_back();
      n.depth += delta;
      deepest = std::max(deepest, n.depth);
      todo.insert(todo.end(), n.children.begin(), n.children.end());
    }
    return deepest;
  }

  // Moves each segment's content to its slot, as React's inline scripts
  // would ($RC for a boundary: the fallback up to the boundary's end goes;
  // $RS for a placeholder), then drops the markers.
  void ResolveStreamedSegments() {
    for (const StreamMarker& m : markers_) {
      if (m.boundary_end) continue;
      auto seg = segments_.find(m.suffix);
      if (seg == segments_.end() || seg->second < 0) continue;
      const int32_t segment = seg->second;
      const int32_t parent = doc_->nodes[m.node].parent;
      // Parents precede children in the arena (content.cc relies on it),
      // and a segment holding its own slot would make a cycle.
      if (parent >= segment || Inside(m.node, segment)) continue;
      const int32_t delta = doc_->nodes[m.node].depth - (doc_->nodes[segment].depth + 1);
      if (ShiftDepths(segment, 0) + delta >= kMaxTreeDepth) {
        seg->second = -1;  // too deep here; measured once
        continue;
      }
      std::vector<int32_t>& kids = doc_->nodes[parent].children;
      const auto at = std::find(kids.begin(), kids.end(), m.node);
      if (at == kids.end()) continue;
      auto fallback_end = at + 1;
      if (m.boundary) {
        auto end = std::find_if(at + 1, kids.end(), [this](int32_t k) { return IsBoundaryEnd(k); });
        if (end != kids.end()) {
          fallback_end = end;
        } else if (at + 1 != kids.end() && !IsStreamNode(*(at + 1)) &&
                   SubtreeText(*doc_, *(at + 1)).size() <= kMaxUnmarkedFallbackBytes) {
          fallback_end = at + 2;
        }
      }
      std::vector<int32_t> moved = std::move(doc_->nodes[segment].children);
      doc_->nodes[segment].children.clear();
      for (int32_t c : moved) {
        doc_->nodes[c].parent = parent;
        ShiftDepths(c, delta);
      }
      const auto pos = kids.erase(at, fallback_end);
      kids.insert(pos, moved.begin(), moved.end());
      seg->second = -1;  // used
    }
    // The markers leave the tree: one pass over each parent's children.
    std::unordered_set<int32_t> parents, markers;
    for (const StreamMarker& m : markers_) {
      parents.insert(doc_->nodes[m.node].parent);
      markers.insert(m.node);
    }
    for (int32_t p : parents) {
      std::erase_if(doc_->nodes[p].children, [&markers](int32_t k) { return markers.contains(k); });
    }
  }

  bool IsBoundaryEnd(int32_t node) const { return boundary_ends_.contains(node); }
  // A marker or a segment element: never taken for a fallback.
  bool IsStreamNode(int32_t node) const { return stream_nodes_.contains(node); }

  struct StreamMarker {
    int32_t node;
    std::string suffix;  // of B:/P: slots
    bool boundary;       // B: (a fallback follows)
    bool boundary_end;   // <!--/$-->
  };

  Document* doc_;
  ParseOptions options_;
  std::vector<OpenElement> stack_;
  std::vector<StreamMarker> markers_;
  std::unordered_map<std::string, int32_t> segments_;  // S: suffix -> element
  std::unordered_set<int32_t> boundary_ends_;          // markers_ of <!--/$-->
  std::unordered_set<int32_t> stream_nodes_;           // markers_ and segment elements
  int32_t segment_max_ = -1;                           // the largest node in segments_
  std::vector<int32_t> h1_nodes_;
  std::vector<int32_t> author_nodes_;
  bool seen_html_ = false;
  bool seen_head_ = false;
  std::vector<ActiveFormatting> active_;
  uint32_t next_formatting_id_ = 0;
  size_t moved_blocks_ = 0;
  size_t elements_ = 0;
};

void AppendText(const Document& doc, int32_t index, std::string* out) {
  const Node& n = doc.nodes[index];
  if (n.tag == Tag::kText) {
    out->append(n.text);
    return;
  }
  if (n.is_block && !out->empty() && out->back() != '\n') out->push_back('\n');
  for (int32_t c : n.children) AppendText(doc, c, out);
  if (n.is_block && !out->empty() && out->back() != '\n') out->push_back('\n');
}

}  // namespace

bool IsBlockTag(Tag t) {
  switch (t) {
    case Tag::kBody: case Tag::kP: case Tag::kDiv: case Tag::kTd:
    case Tag::kTh: case Tag::kTr: case Tag::kTable: case Tag::kLi:
    case Tag::kUl: case Tag::kOl: case Tag::kDl: case Tag::kDt:
    case Tag::kDd: case Tag::kBr: case Tag::kHr: case Tag::kH1:
    case Tag::kH2: case Tag::kH3: case Tag::kH4: case Tag::kH5:
    case Tag::kH6: case Tag::kArticle: case Tag::kSection: case Tag::kMain:
    case Tag::kNav: case Tag::kAside: case Tag::kHeader: case Tag::kFooter:
    case Tag::kBlockquote: case Tag::kPre: case Tag::kCenter:
    case Tag::kFigure: case Tag::kFigcaption: case Tag::kForm:
    case Tag::kAddress: case Tag::kCaption: case Tag::kTbody:
    case Tag::kThead: case Tag::kTfoot: case Tag::kFieldset:
    case Tag::kDetails: case Tag::kMenu: case Tag::kH_Group:
      return true;
    default:
      return false;
  }
}

bool IsHeading(Tag t) {
  return t == Tag::kH1 || t == Tag::kH2 || t == Tag::kH3 || t == Tag::kH4 ||
         t == Tag::kH5 || t == Tag::kH6;
}

std::string_view Document::Meta(std::string_view key) const {
  for (const auto& [k, v] : head.meta)
    if (k == key) return v;
  return {};
}

Document ParseDocument(std::string_view utf8_html, ParseOptions parse_options) {
  Document doc;
  TreeBuilder(&doc, parse_options).Run(utf8_html);
  return doc;
}

std::string SubtreeText(const Document& doc, int32_t index) {
  std::string out;
  AppendText(doc, index, &out);
  return out;
}

}  // namespace crawlstream::extractor
