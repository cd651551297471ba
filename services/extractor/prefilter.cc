#include "services/extractor/prefilter.h"

#include <cstring>

#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

inline char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == ':';
}

// Finds "</name" (case-insensitive) at or after `from`; npos if absent.
size_t FindCloseTag(std::string_view html, size_t from, std::string_view name) {
  while (true) {
    size_t p = html.find("</", from);
    if (p == std::string_view::npos) return p;
    size_t k = 0;
    while (k < name.size() && p + 2 + k < html.size() &&
           Lower(html[p + 2 + k]) == name[k])
      ++k;
    if (k == name.size() &&
        (p + 2 + k >= html.size() || !IsNameChar(html[p + 2 + k])))
      return p;
    from = p + 2;
  }
}

// End of the tag that starts at `lt` (index just past '>'), honouring
// quoted attribute values; html.size() if unterminated.
size_t TagEnd(std::string_view html, size_t lt) {
  char quote = 0;
  for (size_t i = lt + 1; i < html.size(); ++i) {
    char c = html[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      // Only a quote right after '=' (possibly spaced) opens a value.
      size_t j = i;
      while (j > lt && (html[j - 1] == ' ' || html[j - 1] == '\t')) --j;
      if (j > lt && html[j - 1] == '=') quote = c;
    } else if (c == '>') {
      return i + 1;
    }
  }
  return html.size();
}

bool IsVoid(std::string_view n) {
  static constexpr std::string_view kVoid[] = {
      "area", "base", "br", "col", "embed", "hr", "img", "input", "link",
      "meta", "param", "source", "track", "wbr", "keygen", "basefont",
      "frame", "spacer", "bgsound", "isindex"};
  for (auto v : kVoid)
    if (n == v) return true;
  return false;
}

// Attributes any later step reads (dom.cc, charset.cc); the rest (class
// lists aside, design systems ship kilobytes of data-*, srcset, on*,
// aria-*) is cut before the parser tokenises it.
constexpr std::string_view kKeptAttributes[] = {
    "id", "class", "itemprop", "href", "rel", "hidden", "aria-hidden", "style", "datetime",
    "content", "name", "property", "type", "lang", "xml:lang", "charset", "http-equiv",
    "role", "aria-labelledby"};

bool KeptAttribute(std::string_view name) {
  for (std::string_view a : kKeptAttributes)
    if (name.size() == a.size()) {
      size_t k = 0;
      while (k < a.size() && Lower(name[k]) == a[k]) ++k;
      if (k == a.size()) return true;
    }
  return false;
}

inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Appends the start tag html[lt, end) keeping only kKeptAttributes, at most
// kMaxKeptAttributes of them and kMaxAttributeBytes of each value (a tag
// with half a million attributes cost gumbo minutes; here it is one linear
// scan). Counts the attributes dropped.
void AppendStartTag(std::string_view html, size_t lt, size_t name_end, size_t end,
                    std::string* out, PrefilterStats* st) {
  out->append(html.data() + lt, name_end - lt);
  const size_t stop = (end > name_end && html[end - 1] == '>') ? end - 1 : end;
  size_t i = name_end;
  size_t kept = 0;
  bool self_closing = false;
  while (i < stop) {
    while (i < stop && (IsSpace(html[i]) || html[i] == '/')) {
      self_closing = html[i] == '/';
      ++i;
    }
    if (i >= stop) break;
    self_closing = false;
    const size_t name_start = i;
    while (i < stop && !IsSpace(html[i]) && html[i] != '=' && html[i] != '/') ++i;
    const std::string_view name = html.substr(name_start, i - name_start);
    size_t j = i;
    while (j < stop && IsSpace(html[j])) ++j;
    std::string_view value;
    bool has_value = false;
    if (j < stop && html[j] == '=') {
      has_value = true;
      ++j;
      while (j < stop && IsSpace(html[j])) ++j;
      if (j < stop && (html[j] == '"' || html[j] == '\'')) {
        const char q = html[j];
        size_t close = html.find(q, j + 1);
        if (close == std::string_view::npos || close > stop) close = stop;
        value = html.substr(j + 1, close - j - 1);
        i = close < stop ? close + 1 : stop;
      } else {
        size_t k = j;
        while (k < stop && !IsSpace(html[k])) ++k;
        value = html.substr(j, k - j);
        i = k;
      }
    }
    if (name.empty() || !KeptAttribute(name) || kept >= kMaxKeptAttributes) {
      ++st->attributes_removed;
      continue;
    }
    ++kept;
    out->push_back(' ');
    out->append(name);
    if (has_value) {
      out->append("=\"");
      for (char c : value.substr(0, kMaxAttributeBytes)) {
        if (c == '"') {
          out->append("&quot;");
        } else {
          out->push_back(c);
        }
      }
      out->push_back('"');
    }
  }
  if (self_closing) out->push_back('/');
  out->push_back('>');
}

enum class Drop { kNone, kWhole, kScript };

// React's streaming markers (dom.h, "Streamed segments"): the empty
// <template id="B:1"> (a Suspense boundary waiting for segment S:1) or
// <template id="P:1"> (a placeholder for segment S:1), kept as that empty
// element; and the comment that ends a boundary's fallback, <!--/$-->,
// kept as <template id="/$"></template>. Everything else of a template
// and every other comment goes.
constexpr std::string_view kBoundaryEnd = "<!--/$-->";
constexpr std::string_view kBoundaryEndMarker = "<template id=\"/$\"></template>";

// The id of a React slot template in the start tag html[lt, end), or empty.
std::string_view StreamSlotId(std::string_view tag) {
  for (std::string_view key : {std::string_view(" id=\""), std::string_view(" id='")}) {
    const size_t at = tag.find(key);
    if (at == std::string_view::npos) continue;
    const size_t from = at + key.size();
    const size_t to = tag.find(key.back(), from);
    if (to == std::string_view::npos) return {};
    const std::string_view id = tag.substr(from, to - from);
    if (id.size() < 3 || id.size() > 12 || (id[0] != 'B' && id[0] != 'P') || id[1] != ':') return {};
    for (char c : id.substr(2))
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) return {};
    return id;
  }
  return {};
}

Drop Classify(std::string_view n) {
  if (n == "script") return Drop::kScript;
  if (n == "style" || n == "noscript" || n == "template" || n == "svg" ||
      n == "iframe" || n == "object" || n == "textarea" || n == "select" ||
      n == "math" || n == "canvas" || n == "video" || n == "audio")
    return Drop::kWhole;
  return Drop::kNone;
}

}  // namespace

std::string PrefilterHtml(std::string_view html, PrefilterStats* stats) {
  PrefilterStats local;
  PrefilterStats& st = stats ? *stats : local;
  st = PrefilterStats{};
  st.bytes_in = html.size();
  std::string out;
  out.reserve(html.size() / 2 + 64);
  int depth = 0;
  size_t i = 0;
  const size_t n = html.size();
  char name[16];
  while (i < n) {
    const char* lt_ptr =
        static_cast<const char*>(std::memchr(html.data() + i, '<', n - i));
    if (lt_ptr == nullptr) {
      out.append(html.data() + i, n - i);
      break;
    }
    size_t lt = static_cast<size_t>(lt_ptr - html.data());
    out.append(html.data() + i, lt - i);
    i = lt;
    if (i + 1 >= n) {
      out.push_back('<');
      ++i;
      continue;
    }
    char c1 = html[i + 1];
    if (c1 == '!') {
      if (html.substr(i, kBoundaryEnd.size()) == kBoundaryEnd) {
        out.append(kBoundaryEndMarker);
        i += kBoundaryEnd.size();
        continue;
      }
      if (html.substr(i, 4) == "<!--") {
        size_t end = html.find("-->", i + 4);
        i = end == std::string_view::npos ? n : end + 3;
        ++st.elements_removed;
        continue;
      }
      size_t end = TagEnd(html, i);  // doctype, CDATA: keep
      out.append(html.data() + i, end - i);
      i = end;
      continue;
    }
    bool closing = c1 == '/';
    size_t name_start = i + (closing ? 2 : 1);
    size_t k = 0;
    while (name_start + k < n && IsNameChar(html[name_start + k]) && k < 15) {
      name[k] = Lower(html[name_start + k]);
      ++k;
    }
    // Names longer than the buffer ("site-navigation-menu") are copied
    // whole; the buffer only decides what to drop.
    size_t name_end = name_start + k;
    while (name_end < n && IsNameChar(html[name_end])) ++name_end;
    if (k == 0 || !((name[0] >= 'a' && name[0] <= 'z'))) {
      // Not a tag ("a < b", "<3"): keep the text.
      out.push_back('<');
      ++i;
      continue;
    }
    std::string_view tag(name, k);
    size_t end = TagEnd(html, i);
    if (closing) {
      if (depth > 0 && !IsVoid(tag)) --depth;
      out.append(html.data() + i, end - i);
      i = end;
      continue;
    }
    Drop drop = Classify(tag);
    if (drop == Drop::kScript) {
      std::string_view open = html.substr(i, end - i);
      bool json_ld = ContainsAsciiCaseless(open, "ld+json");
      size_t close = FindCloseTag(html, end, tag);
      size_t after = close == std::string_view::npos ? n : TagEnd(html, close);
      if (json_ld) {
        out.append(html.data() + i, after - i);
        ++st.json_ld_kept;
      } else {
        ++st.elements_removed;
      }
      i = after;
      continue;
    }
    if (drop == Drop::kWhole) {
      if (tag == "template") {
        if (const std::string_view id = StreamSlotId(html.substr(i, end - i)); !id.empty()) {
          out.append("<template id=\"").append(id).append("\"></template>");
        }
      }
      bool self_closed = end >= 2 && html[end - 2] == '/';
      if (self_closed) {
        i = end;
        continue;
      }
      size_t close = FindCloseTag(html, end, tag);
      if (close == std::string_view::npos) {
        // Raw-text elements swallow the rest of the page in a browser too;
        // an unclosed <svg>/<select>/<video> does not: drop only its tag.
        bool raw_text = tag == "style" || tag == "noscript" ||
                        tag == "iframe" || tag == "textarea";
        i = raw_text ? n : end;
      } else {
        i = TagEnd(html, close);
      }
      ++st.elements_removed;
      continue;
    }
    if (!IsVoid(tag)) {
      if (depth >= kMaxOpenDepth) {
        ++st.depth_capped_tags;
        i = end;
        continue;
      }
      ++depth;
    }
    AppendStartTag(html, i, name_end, end, &out, &st);
    i = end;
  }
  st.bytes_out = out.size();
  return out;
}

}  // namespace crawlstream::extractor
