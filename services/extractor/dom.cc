#include "services/extractor/dom.h"

#include <gumbo.h>

#include <algorithm>

#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

Tag MapTag(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_BODY: return Tag::kBody;
    case GUMBO_TAG_A: return Tag::kA;
    case GUMBO_TAG_P: return Tag::kP;
    case GUMBO_TAG_DIV: return Tag::kDiv;
    case GUMBO_TAG_TD: return Tag::kTd;
    case GUMBO_TAG_TH: return Tag::kTh;
    case GUMBO_TAG_TR: return Tag::kTr;
    case GUMBO_TAG_TABLE: return Tag::kTable;
    case GUMBO_TAG_LI: return Tag::kLi;
    case GUMBO_TAG_UL: return Tag::kUl;
    case GUMBO_TAG_OL: return Tag::kOl;
    case GUMBO_TAG_DL: return Tag::kDl;
    case GUMBO_TAG_DT: return Tag::kDt;
    case GUMBO_TAG_DD: return Tag::kDd;
    case GUMBO_TAG_BR: return Tag::kBr;
    case GUMBO_TAG_HR: return Tag::kHr;
    case GUMBO_TAG_H1: return Tag::kH1;
    case GUMBO_TAG_H2: return Tag::kH2;
    case GUMBO_TAG_H3: return Tag::kH3;
    case GUMBO_TAG_H4: return Tag::kH4;
    case GUMBO_TAG_H5: return Tag::kH5;
    case GUMBO_TAG_H6: return Tag::kH6;
    case GUMBO_TAG_ARTICLE: return Tag::kArticle;
    case GUMBO_TAG_SECTION: return Tag::kSection;
    case GUMBO_TAG_MAIN: return Tag::kMain;
    case GUMBO_TAG_NAV: return Tag::kNav;
    case GUMBO_TAG_ASIDE: return Tag::kAside;
    case GUMBO_TAG_HEADER: return Tag::kHeader;
    case GUMBO_TAG_FOOTER: return Tag::kFooter;
    case GUMBO_TAG_BLOCKQUOTE: return Tag::kBlockquote;
    case GUMBO_TAG_PRE: return Tag::kPre;
    case GUMBO_TAG_CENTER: return Tag::kCenter;
    case GUMBO_TAG_SPAN: return Tag::kSpan;
    case GUMBO_TAG_FONT: return Tag::kFont;
    case GUMBO_TAG_STRONG: return Tag::kStrong;
    case GUMBO_TAG_B: return Tag::kB;
    case GUMBO_TAG_EM: return Tag::kEm;
    case GUMBO_TAG_I: return Tag::kI;
    case GUMBO_TAG_U: return Tag::kU;
    case GUMBO_TAG_IMG: return Tag::kImg;
    case GUMBO_TAG_TIME: return Tag::kTime;
    case GUMBO_TAG_FIGURE: return Tag::kFigure;
    case GUMBO_TAG_FIGCAPTION: return Tag::kFigcaption;
    case GUMBO_TAG_FORM: return Tag::kForm;
    case GUMBO_TAG_ADDRESS: return Tag::kAddress;
    case GUMBO_TAG_CAPTION: return Tag::kCaption;
    case GUMBO_TAG_TBODY: return Tag::kTbody;
    case GUMBO_TAG_THEAD: return Tag::kThead;
    case GUMBO_TAG_TFOOT: return Tag::kTfoot;
    case GUMBO_TAG_FIELDSET: return Tag::kFieldset;
    case GUMBO_TAG_DETAILS: return Tag::kDetails;
    case GUMBO_TAG_MENU: return Tag::kMenu;
    case GUMBO_TAG_BUTTON: return Tag::kButton;
    case GUMBO_TAG_LABEL: return Tag::kLabel;
    case GUMBO_TAG_HGROUP: return Tag::kH_Group;
    default: return Tag::kOther;
  }
}

bool Dropped(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE: case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEMPLATE: case GUMBO_TAG_SVG: case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_OBJECT: case GUMBO_TAG_INPUT: case GUMBO_TAG_SELECT:
    case GUMBO_TAG_OPTION: case GUMBO_TAG_TEXTAREA: case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_HEAD: case GUMBO_TAG_MATH: case GUMBO_TAG_CANVAS:
    case GUMBO_TAG_VIDEO: case GUMBO_TAG_AUDIO: case GUMBO_TAG_MAP:
    case GUMBO_TAG_DATALIST: case GUMBO_TAG_OPTGROUP: case GUMBO_TAG_TITLE:
    case GUMBO_TAG_META: case GUMBO_TAG_LINK: case GUMBO_TAG_BASE:
    case GUMBO_TAG_LABEL:  // form labels ("Enter your email address")
      return true;
    default:
      return false;
  }
}

std::string_view Attr(const GumboElement& el, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&el.attributes, name);
  return a ? std::string_view(a->value) : std::string_view();
}

// Appends the text under `n` to *out, stopping past `limit` bytes; sets
// *in_page_link when an <a href="#..."> is inside.
void ShortText(const GumboNode* n, std::string* out, bool* in_page_link, size_t limit) {
  if (out->size() > limit) return;
  if (n->type == GUMBO_NODE_TEXT) {
    out->append(n->v.text.text);
    return;
  }
  if (n->type != GUMBO_NODE_ELEMENT) return;
  const GumboElement& el = n->v.element;
  if (el.tag == GUMBO_TAG_A) {
    const GumboAttribute* href = gumbo_get_attribute(&el.attributes, "href");
    if (href && href->value[0] == '#') *in_page_link = true;
  }
  for (unsigned i = 0; i < el.children.length; ++i)
    ShortText(static_cast<const GumboNode*>(el.children.data[i]), out, in_page_link, limit);
}

// A footnote reference: <sup><a href="#fn1">1</a></sup>, "[2]", "*". Its
// number would be glued to the sentence ("losing.1").
bool IsFootnoteRef(const GumboNode* n) {
  const GumboElement& el = n->v.element;
  if (el.tag != GUMBO_TAG_SUP) return false;
  std::string text;
  bool link = false;
  ShortText(n, &text, &link, 8);
  if (!link || text.empty() || text.size() > 6) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || c == '[' || c == ']' || c == '*' || c == ' ' ||
          (c >= 'a' && c <= 'z')))
      return false;
  return true;
}

// <a rel="author">, a link to an author page, or itemprop="author".
bool IsAuthorMark(const GumboElement& el, std::string_view itemprop) {
  if (itemprop == "author") return true;
  if (el.tag != GUMBO_TAG_A) return false;
  const std::string rel = AsciiLower(Attr(el, "rel"));
  if (rel.find("author") != std::string::npos) return true;
  // An author page: /author/<name>, or ?author=<id> as the only query
  // parameter (with more parameters it filters an archive or a category).
  const std::string href = AsciiLower(Attr(el, "href"));
  for (std::string_view p : {"/author/", "/authors/", "/by/"})
    if (href.find(p) != std::string::npos) return true;
  const size_t q = href.find("?author=");
  return q != std::string::npos && href.find('&', q) == std::string::npos;
}

bool HasAttr(const GumboElement& el, const char* name) {
  return gumbo_get_attribute(&el.attributes, name) != nullptr;
}

bool IsHidden(const GumboElement& el) {
  if (el.attributes.length == 0) return false;
  if (HasAttr(el, "hidden")) return true;
  std::string_view aria = Attr(el, "aria-hidden");
  if (!aria.empty() && AsciiLower(aria) == "true") return true;
  std::string_view style = Attr(el, "style");
  if (!style.empty()) {
    std::string s;
    s.reserve(style.size());
    for (char c : style) {
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
        s.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c);
    }
    if (s.find("display:none") != std::string::npos ||
        s.find("visibility:hidden") != std::string::npos)
      return true;
  }
  return false;
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

std::string NodeText(const GumboNode* node) {
  // Text of a small subtree (title): iterative to be safe.
  std::string out;
  std::vector<const GumboNode*> stack{node};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
        n->type == GUMBO_NODE_CDATA) {
      out += n->v.text.text;
    } else if (n->type == GUMBO_NODE_ELEMENT) {
      const GumboVector& ch = n->v.element.children;
      for (unsigned k = ch.length; k > 0; --k)
        stack.push_back(static_cast<const GumboNode*>(ch.data[k - 1]));
    }
  }
  return out;
}

struct Builder {
  Document* doc;
  ParseOptions options;
  std::vector<int32_t> h1_nodes;
  std::vector<int32_t> author_nodes;

  void CollectHead(const GumboNode* node) {
    const GumboElement& el = node->v.element;
    switch (el.tag) {
      case GUMBO_TAG_TITLE:
        if (doc->head.title.empty()) doc->head.title = NodeText(node);
        break;
      case GUMBO_TAG_META: {
        std::string_view key = Attr(el, "property");
        if (key.empty()) key = Attr(el, "name");
        if (key.empty()) key = Attr(el, "itemprop");
        if (key.empty()) key = Attr(el, "http-equiv");
        std::string_view content = Attr(el, "content");
        if (!key.empty() && !content.empty())
          doc->head.meta.emplace_back(AsciiLower(key), std::string(content));
        break;
      }
      case GUMBO_TAG_LINK: {
        std::string rel = AsciiLower(Attr(el, "rel"));
        if (rel == "canonical" && doc->head.canonical.empty())
          doc->head.canonical = std::string(Attr(el, "href"));
        break;
      }
      case GUMBO_TAG_SCRIPT:
        if (ContainsAsciiCaseless(Attr(el, "type"), "ld+json"))
          doc->head.json_ld.push_back(NodeText(node));
        break;
      default:
        break;
    }
  }

  void Build(const GumboNode* root) {
    doc->nodes.emplace_back();
    doc->nodes[0].tag = Tag::kBody;
    doc->nodes[0].is_block = true;
    if (root->type == GUMBO_NODE_ELEMENT) {
      std::string_view lang = Attr(root->v.element, "lang");
      if (lang.empty()) lang = Attr(root->v.element, "xml:lang");
      doc->head.lang = std::string(lang);
    }
    struct Item {
      const GumboNode* node;
      int32_t parent;
      int32_t depth;
      bool in_head;
    };
    std::vector<Item> stack;
    auto push_children = [&](const GumboNode* n, int32_t parent, int32_t depth,
                             bool in_head) {
      const GumboVector& ch = n->v.element.children;
      for (unsigned k = ch.length; k > 0; --k)
        stack.push_back({static_cast<const GumboNode*>(ch.data[k - 1]), parent,
                         depth, in_head});
    };
    if (root->type == GUMBO_NODE_ELEMENT) push_children(root, 0, 1, false);
    while (!stack.empty()) {
      Item it = stack.back();
      stack.pop_back();
      const GumboNode* n = it.node;
      if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
          n->type == GUMBO_NODE_CDATA) {
        if (it.in_head) continue;
        std::string_view t = n->v.text.text;
        if (n->type == GUMBO_NODE_TEXT && t.find('<') != std::string_view::npos &&
            IsMarkupText(t)) {
          ++doc->removed_junk;
          continue;
        }
        // Merge with a preceding text sibling.
        Node& parent = doc->nodes[it.parent];
        if (!parent.children.empty()) {
          Node& last = doc->nodes[parent.children.back()];
          if (last.tag == Tag::kText) {
            last.text.append(t);
            continue;
          }
        }
        int32_t idx = static_cast<int32_t>(doc->nodes.size());
        Node tn;
        tn.tag = Tag::kText;
        tn.parent = it.parent;
        tn.depth = it.depth;
        tn.text = std::string(t);
        doc->nodes.push_back(std::move(tn));
        doc->nodes[it.parent].children.push_back(idx);
        continue;
      }
      if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE)
        continue;
      const GumboElement& el = n->v.element;
      CollectHead(n);
      if (el.tag == GUMBO_TAG_HEAD) {
        push_children(n, it.parent, it.depth, true);
        continue;
      }
      if (it.in_head) {
        // Elements misplaced in head still count for metadata only.
        push_children(n, it.parent, it.depth, true);
        continue;
      }
      if (Dropped(el.tag) || IsFootnoteRef(n)) continue;
      if (!options.keep_hidden && IsHidden(el)) {
        ++doc->removed_hidden;
        continue;
      }
      if (el.tag == GUMBO_TAG_BODY || el.tag == GUMBO_TAG_HTML) {
        push_children(n, it.parent, it.depth, false);
        continue;
      }
      if (it.depth >= kMaxTreeDepth) {
        // Flatten: children go to the capped ancestor. Keep a line break
        // for block-level elements.
        push_children(n, it.parent, it.depth, false);
        continue;
      }
      int32_t idx = static_cast<int32_t>(doc->nodes.size());
      Node en;
      en.tag = MapTag(el.tag);
      en.parent = it.parent;
      en.depth = it.depth;
      en.is_block = IsBlockTag(en.tag);
      if (el.attributes.length > 0) {
        std::string_view id = Attr(el, "id");
        std::string_view cls = Attr(el, "class");
        if (!id.empty() || !cls.empty()) {
          en.hint = AsciiLower(id);
          en.hint.push_back(' ');
          en.hint += AsciiLower(cls);
        }
        std::string_view ip = Attr(el, "itemprop");
        if (!ip.empty()) en.itemprop = AsciiLower(ip);
        if (el.tag == GUMBO_TAG_TIME) {
          std::string_view dt = Attr(el, "datetime");
          if (!dt.empty()) {
            en.datetime = std::string(dt);
            doc->head.times.push_back(en.datetime);
          }
        }
      }
      if (IsAuthorMark(el, en.itemprop)) author_nodes.push_back(idx);
      doc->nodes.push_back(std::move(en));
      doc->nodes[it.parent].children.push_back(idx);
      if (el.tag == GUMBO_TAG_H1) h1_nodes.push_back(idx);
      push_children(n, idx, it.depth + 1, false);
    }
    for (int32_t h : h1_nodes) doc->head.h1.push_back(SubtreeText(*doc, h));
    for (int32_t a : author_nodes) {
      std::string text = SubtreeText(*doc, a);
      if (!text.empty() && text.size() <= 120) doc->head.author_links.push_back(std::move(text));
    }
  }
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
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 0;
  options.stop_on_first_error = false;
  GumboOutput* output = gumbo_parse_with_options(
      &options, utf8_html.data(), utf8_html.size());
  Builder builder{&doc, parse_options, {}, {}};
  if (output != nullptr) {
    builder.Build(output->root);
    gumbo_destroy_output(&options, output);
  } else {
    doc.nodes.emplace_back();
    doc.nodes[0].tag = Tag::kBody;
    doc.nodes[0].is_block = true;
  }
  return doc;
}

std::string SubtreeText(const Document& doc, int32_t index) {
  std::string out;
  AppendText(doc, index, &out);
  return out;
}

}  // namespace crawlstream::extractor
