#include "services/fetcher/discovery.h"

#include <libxml/xmlreader.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <mutex>
#include <regex>

#include "services/fetcher/xml_text.h"

namespace crawlstream::fetcher {
namespace {

std::string_view TrimAll(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= 0x20) s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= 0x20) s.remove_suffix(1);
  return s;
}

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void InitLibxml() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

struct ReaderDeleter {
  void operator()(xmlTextReader* r) const { xmlFreeTextReader(r); }
};

std::string_view Str(const xmlChar* s) {
  return s == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(s));
}

std::string Attribute(xmlTextReaderPtr reader, const char* name) {
  xmlChar* value = xmlTextReaderGetAttribute(reader, reinterpret_cast<const xmlChar*>(name));
  if (value == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return out;
}

void ReaderError(void* arg, const char* msg, xmlParserSeverities severity, xmlTextReaderLocatorPtr) {
  auto* first = static_cast<std::string*>(arg);
  if (severity != XML_PARSER_SEVERITY_ERROR && severity != XML_PARSER_SEVERITY_VALIDITY_ERROR) return;
  if (first->empty() && msg != nullptr) {
    *first = TrimAll(msg);
  }
}

// Item state while streaming.
struct Item {
  std::string loc;   // <loc>, <link>text</link> or Atom href
  std::string guid;  // RSS guid that is a permalink
  std::string date;
  std::string news_date;
};

class Collector {
 public:
  Collector(const Url& base, const DiscoveryOptions& options, Discovery& out)
      : base_(base), options_(options), out_(out) {}

  void Emit(Item& item, LinkKind kind) {
    std::string_view raw = TrimAll(item.loc.empty() ? item.guid : item.loc);
    if (raw.empty()) {
      ++out_.skipped;
      return;
    }
    if (out_.links.size() >= options_.max_links) {
      out_.truncated = true;
      return;
    }
    auto url = ResolveUrl(base_, raw);
    if (!url) {
      ++out_.skipped;
      return;
    }
    std::string date(TrimAll(item.news_date.empty() ? item.date : item.news_date));
    out_.links.push_back(DiscoveredLink{url->ToString(), kind, std::move(date)});
  }

 private:
  const Url& base_;
  const DiscoveryOptions& options_;
  Discovery& out_;
};

// Real feeds carry HTML entities XML does not define (&nbsp;, &copy;) and
// raw '&' in URLs ("?a=1&b=2"); either stops an XML parser. Since documents
// declaring entities are refused, only the five predefined entities and
// numeric references can be valid: common HTML entities become numeric
// references and every other '&' becomes "&amp;". Sections where '&' is
// literal (kVerbatimSections) are left alone; an opener inside one of them
// ("<![CDATA[" in a comment) opens nothing. Linear in the body size.
// Returns false (and leaves `out` empty) when nothing needed fixing.
struct VerbatimSection {
  std::string_view open, close;
};
constexpr VerbatimSection kVerbatimSections[] = {
    {"<!--", "-->"}, {"<![CDATA[", "]]>"}, {"<?", "?>"}};

bool RepairAmpersands(std::string_view body, std::string& out) {
  static constexpr std::pair<std::string_view, std::string_view> kHtml[] = {
      {"nbsp", "#160"},   {"copy", "#169"},   {"reg", "#174"},    {"mdash", "#8212"},
      {"ndash", "#8211"}, {"hellip", "#8230"}, {"laquo", "#171"},  {"raquo", "#187"},
      {"ldquo", "#8220"}, {"rdquo", "#8221"}, {"lsquo", "#8216"}, {"rsquo", "#8217"},
      {"middot", "#183"}, {"times", "#215"},  {"yen", "#165"},    {"trade", "#8482"}};
  auto reference_length = [](std::string_view rest) -> size_t {  // rest starts after '&'
    size_t i = 0;
    if (!rest.empty() && rest[0] == '#') {
      i = 1;
      bool hex = rest.size() > 1 && (rest[1] == 'x' || rest[1] == 'X');
      if (hex) i = 2;
      size_t start = i;
      while (i < rest.size() && (std::isdigit(static_cast<unsigned char>(rest[i])) ||
                                 (hex && std::isxdigit(static_cast<unsigned char>(rest[i]))))) {
        ++i;
      }
      return i > start && i < rest.size() && rest[i] == ';' ? i + 1 : 0;
    }
    while (i < rest.size() && i < 32 && (std::isalnum(static_cast<unsigned char>(rest[i])) || rest[i] == '_')) ++i;
    return i > 0 && i < rest.size() && rest[i] == ';' ? i + 1 : 0;
  };
  bool changed = false;
  size_t copied = 0;
  size_t pos = 0;
  // Next position of each section opener at or after `pos` (npos: none
  // left), refreshed only once `pos` has passed it.
  size_t next_open[std::size(kVerbatimSections)];
  for (size_t i = 0; i < std::size(kVerbatimSections); ++i) {
    next_open[i] = body.find(kVerbatimSections[i].open);
  }
  auto first_section = [&](size_t from) {
    size_t best = std::string_view::npos, which = 0;
    for (size_t i = 0; i < std::size(kVerbatimSections); ++i) {
      if (next_open[i] != std::string_view::npos && next_open[i] < from) {
        next_open[i] = body.find(kVerbatimSections[i].open, from);
      }
      if (next_open[i] < best) {
        best = next_open[i];
        which = i;
      }
    }
    return std::pair{best, which};
  };
  while (true) {
    size_t amp = body.find('&', pos);
    if (amp == std::string_view::npos) break;
    auto [section, which] = first_section(pos);
    if (section < amp) {
      const auto& kind = kVerbatimSections[which];
      size_t end = body.find(kind.close, section + kind.open.size());
      if (end == std::string_view::npos) break;
      pos = end + kind.close.size();
      continue;
    }
    std::string_view rest = body.substr(amp + 1);
    size_t len = reference_length(rest);
    std::string_view name = len > 0 ? rest.substr(0, len - 1) : std::string_view();
    bool predefined = name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos" ||
                      (!name.empty() && name[0] == '#');
    pos = amp + 1;
    if (predefined) continue;
    if (!changed) out.reserve(body.size() + 64);
    changed = true;
    out.append(body.substr(copied, amp - copied));
    std::string_view numeric;
    for (const auto& [html, num] : kHtml) {
      if (len > 0 && name == html) numeric = num;
    }
    if (!numeric.empty()) {
      out.append("&").append(numeric).append(";");
      copied = amp + 1 + len;
      pos = copied;
    } else {
      out.append("&amp;");
      copied = amp + 1;
    }
  }
  if (!changed) return false;
  out.append(body.substr(copied));
  return true;
}

Result<Discovery> ParseTextSitemap(std::string_view body, const Url& base,
                                   const DiscoveryOptions& options) {
  Discovery out;
  out.kind = DocumentKind::kTextSitemap;
  Collector collector(base, options, out);
  while (!body.empty()) {
    size_t eol = body.find('\n');
    std::string_view line = TrimAll(body.substr(0, eol));
    body = eol == std::string_view::npos ? std::string_view() : body.substr(eol + 1);
    if (line.empty()) continue;
    if (!line.starts_with("http://") && !line.starts_with("https://")) {
      ++out.skipped;
      continue;
    }
    Item item;
    item.loc = std::string(line);
    collector.Emit(item, LinkKind::kPage);
  }
  if (out.links.empty()) return Fail(ErrorCode::kParse, "neither XML nor a text sitemap: " + base.ToString());
  return out;
}

}  // namespace

std::string_view LinkKindName(LinkKind kind) {
  switch (kind) {
    case LinkKind::kPage: return "page";
    case LinkKind::kFeed: return "feed";
    case LinkKind::kSitemap: return "sitemap";
  }
  return "unknown";
}

std::string_view DocumentKindName(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::kRss: return "rss";
    case DocumentKind::kRdf: return "rdf";
    case DocumentKind::kAtom: return "atom";
    case DocumentKind::kUrlset: return "urlset";
    case DocumentKind::kSitemapIndex: return "sitemapindex";
    case DocumentKind::kTextSitemap: return "text_sitemap";
  }
  return "unknown";
}

bool LooksGzipped(std::string_view body) {
  return body.size() >= 2 && static_cast<unsigned char>(body[0]) == 0x1F &&
         static_cast<unsigned char>(body[1]) == 0x8B;
}

Result<std::string> Gunzip(std::string_view body, size_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return Fail(ErrorCode::kInternal, "inflateInit2 failed");
  std::string out;
  char buffer[64 * 1024];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  zs.avail_in = static_cast<uInt>(std::min<size_t>(body.size(), UINT_MAX));
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof(buffer);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      if (rc == Z_BUF_ERROR) return Fail(ErrorCode::kParse, "truncated gzip body");
      return Fail(ErrorCode::kParse, std::string("corrupt gzip body: ") + (zs.msg ? zs.msg : "inflate error"));
    }
    size_t produced = sizeof(buffer) - zs.avail_out;
    if (out.size() + produced > max_bytes) {
      inflateEnd(&zs);
      return Fail(ErrorCode::kResourceExhausted,
                  "decompressed body exceeds " + std::to_string(max_bytes) + " bytes");
    }
    out.append(buffer, produced);
    if (rc == Z_OK && zs.avail_in == 0 && produced == 0) {
      inflateEnd(&zs);
      return Fail(ErrorCode::kParse, "truncated gzip body");
    }
  }
  inflateEnd(&zs);
  return out;
}

Result<Discovery> ParseDiscoveryDocument(std::string_view body, const Url& document_url,
                                         const DiscoveryOptions& options) {
  std::string inflated;
  if (LooksGzipped(body)) {
    auto decoded = Gunzip(body, options.max_bytes);
    if (!decoded) return std::unexpected(decoded.error());
    inflated = std::move(*decoded);
    body = inflated;
  }
  if (body.size() > options.max_bytes) {
    return Fail(ErrorCode::kResourceExhausted,
                "document exceeds " + std::to_string(options.max_bytes) + " bytes");
  }
  if (body.size() > static_cast<size_t>(INT_MAX)) return Fail(ErrorCode::kResourceExhausted, "document too large");
  // Checks and repairs run on the decoded text: libxml2 is then given that
  // UTF-8 text and told to ignore the declared encoding.
  auto text = DecodeXmlText(body);
  if (!text) return Fail(ErrorCode::kParse, text.error().message + ": " + document_url.ToString());
  body = text->utf8;
  if (body.size() > static_cast<size_t>(INT_MAX)) return Fail(ErrorCode::kResourceExhausted, "document too large");
  std::string_view head = TrimAll(body.substr(0, 4096));
  if (!head.starts_with("<")) return ParseTextSitemap(body, document_url, options);
  if (body.find("<!ENTITY") != std::string_view::npos) {
    return Fail(ErrorCode::kPermissionDenied, "XML entity declarations are refused: " + document_url.ToString());
  }

  InitLibxml();
  std::string repaired;
  if (RepairAmpersands(body, repaired)) body = repaired;
  const int parse_options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                            XML_PARSE_NOCDATA | XML_PARSE_NOBLANKS | XML_PARSE_COMPACT |
                            XML_PARSE_IGNORE_ENC;
  std::string base = document_url.ToString();
  std::unique_ptr<xmlTextReader, ReaderDeleter> reader(xmlReaderForMemory(
      body.data(), static_cast<int>(body.size()), base.c_str(), "UTF-8", parse_options));
  if (!reader) return Fail(ErrorCode::kParse, "cannot create XML reader for " + base);
  std::string first_error;
  xmlTextReaderSetErrorHandler(reader.get(), &ReaderError, &first_error);

  Discovery out;
  Collector collector(document_url, options, out);
  bool root_seen = false;
  int item_depth = -1;       // depth of the current item element, -1 outside
  std::string item_name;     // "item", "entry", "url", "sitemap"
  LinkKind item_kind = LinkKind::kPage;
  Item item;
  std::string* capture = nullptr;  // field receiving text
  int capture_depth = -1;
  int rc;
  while ((rc = xmlTextReaderRead(reader.get())) == 1) {
    int type = xmlTextReaderNodeType(reader.get());
    int depth = xmlTextReaderDepth(reader.get());
    if (type == XML_READER_TYPE_ELEMENT) {
      std::string_view name = Str(xmlTextReaderConstLocalName(reader.get()));
      bool empty = xmlTextReaderIsEmptyElement(reader.get()) == 1;
      if (!root_seen) {
        root_seen = true;
        if (name == "rss") {
          out.kind = DocumentKind::kRss;
        } else if (name == "RDF") {
          out.kind = DocumentKind::kRdf;
        } else if (name == "feed") {
          out.kind = DocumentKind::kAtom;
        } else if (name == "urlset") {
          out.kind = DocumentKind::kUrlset;
        } else if (name == "sitemapindex") {
          out.kind = DocumentKind::kSitemapIndex;
        } else {
          return Fail(ErrorCode::kParse, "not a feed or sitemap (root <" + std::string(name) + ">): " + base);
        }
        continue;
      }
      if (item_depth < 0) {
        bool is_item = false;
        switch (out.kind) {
          case DocumentKind::kRss: is_item = name == "item" && depth == 2; break;
          case DocumentKind::kRdf: is_item = name == "item" && depth == 1; break;
          case DocumentKind::kAtom: is_item = name == "entry" && depth == 1; break;
          case DocumentKind::kUrlset: is_item = name == "url" && depth == 1; break;
          case DocumentKind::kSitemapIndex: is_item = name == "sitemap" && depth == 1; break;
          case DocumentKind::kTextSitemap: break;
        }
        if (is_item && !empty) {
          item_depth = depth;
          item_name = std::string(name);
          item_kind = out.kind == DocumentKind::kSitemapIndex ? LinkKind::kSitemap : LinkKind::kPage;
          item = Item();
        }
        continue;
      }
      // Inside an item.
      if (depth == item_depth + 1) {
        if (out.kind == DocumentKind::kAtom && name == "link") {
          std::string rel = Attribute(reader.get(), "rel");
          if ((rel.empty() || rel == "alternate") && item.loc.empty()) item.loc = Attribute(reader.get(), "href");
        } else if (name == "loc" || name == "link") {
          if (item.loc.empty() && !empty) capture = &item.loc;
        } else if (name == "guid") {
          if (LowerAscii(Attribute(reader.get(), "isPermaLink")) != "false" && !empty) capture = &item.guid;
        } else if (name == "lastmod" || name == "pubDate" || name == "updated" || name == "published" ||
                   name == "date") {
          if (item.date.empty() && !empty) capture = &item.date;
        }
      } else if (name == "publication_date" && !empty) {
        capture = &item.news_date;
      }
      if (capture != nullptr && capture_depth < 0) {
        capture_depth = depth;
        capture->clear();
      }
    } else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
               type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
      if (capture != nullptr) capture->append(Str(xmlTextReaderConstValue(reader.get())));
    } else if (type == XML_READER_TYPE_END_ELEMENT) {
      if (capture != nullptr && depth == capture_depth) {
        capture = nullptr;
        capture_depth = -1;
      }
      if (item_depth >= 0 && depth == item_depth) {
        collector.Emit(item, item_kind);
        item_depth = -1;
        if (out.truncated) break;
      }
    }
  }
  if (rc < 0) {
    out.parse_error = !text->error.empty() ? text->error
                      : first_error.empty()  ? "malformed XML"
                                             : first_error;
    if (out.links.empty()) return Fail(ErrorCode::kParse, base + ": " + out.parse_error);
  }
  if (out.parse_error.empty()) out.parse_error = text->error;
  if (!root_seen) return Fail(ErrorCode::kParse, "empty XML document: " + base);
  return out;
}

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

char LowerChar(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (LowerChar(s[i]) != prefix[i]) return false;
  }
  return true;
}

// Position of "</name" (case-insensitive) at or after `from`, or npos.
size_t FindEndTag(std::string_view html, size_t from, std::string_view name) {
  while (true) {
    size_t lt = html.find("</", from);
    if (lt == std::string_view::npos) return lt;
    if (StartsWithIgnoreCase(html.substr(lt + 2), name)) return lt;
    from = lt + 2;
  }
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes the character references that occur in URLs: numeric ones and
// &amp; &lt; &gt; &quot; &apos; &nbsp;. Others are kept as written.
std::string DecodeEntities(std::string_view s) {
  if (s.find('&') == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    std::string_view rest = s.substr(i + 1);
    if (!rest.empty() && rest[0] == '#') {
      bool hex = rest.size() > 1 && (rest[1] == 'x' || rest[1] == 'X');
      size_t j = hex ? 2 : 1;
      uint32_t cp = 0;
      size_t digits = 0;
      while (j < rest.size() && digits < 8) {
        char c = rest[j];
        int v = (c >= '0' && c <= '9') ? c - '0'
                : hex && (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : hex && (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                : -1;
        if (v < 0) break;
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
        ++j;
        ++digits;
      }
      if (digits > 0) {
        AppendUtf8(out, cp);
        i += j + (j < rest.size() && rest[j] == ';' ? 1 : 0);
        continue;
      }
    }
    static constexpr std::pair<std::string_view, char> kNamed[] = {
        {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", ' '}};
    bool matched = false;
    for (const auto& [name, ch] : kNamed) {
      if (StartsWithIgnoreCase(rest, name)) {
        out.push_back(ch);
        i += name.size() + (rest.size() > name.size() && rest[name.size()] == ';' ? 1 : 0);
        matched = true;
        break;
      }
    }
    if (!matched) out.push_back('&');
  }
  return out;
}

bool RelHas(std::string_view rel, std::string_view token) {
  std::string lower = LowerAscii(rel);
  std::string_view s = lower;
  while (!s.empty()) {
    size_t start = s.find_first_not_of(" \t\n\r\f");
    if (start == std::string_view::npos) break;
    s.remove_prefix(start);
    size_t end = s.find_first_of(" \t\n\r\f");
    if (s.substr(0, end) == token) return true;
    if (end == std::string_view::npos) break;
    s.remove_prefix(end);
  }
  return false;
}

struct Tag {
  std::string name;  // lower-case
  std::string_view href, rel, type;
  bool has_href = false;
};

// Parses the tag starting at html[pos] == '<' (a start tag); returns the
// position after its '>' (or html.size()).
size_t ParseTag(std::string_view html, size_t pos, Tag& tag) {
  size_t i = pos + 1;
  while (i < html.size() && !IsSpace(html[i]) && html[i] != '>' && html[i] != '/') {
    tag.name.push_back(LowerChar(html[i]));
    ++i;
  }
  while (i < html.size()) {
    while (i < html.size() && (IsSpace(html[i]) || html[i] == '/')) ++i;
    if (i >= html.size()) break;
    if (html[i] == '>') return i + 1;
    size_t name_start = i;
    while (i < html.size() && !IsSpace(html[i]) && html[i] != '>' && html[i] != '=' && html[i] != '/') ++i;
    std::string_view name = html.substr(name_start, i - name_start);
    while (i < html.size() && IsSpace(html[i])) ++i;
    std::string_view value;
    if (i < html.size() && html[i] == '=') {
      ++i;
      while (i < html.size() && IsSpace(html[i])) ++i;
      if (i < html.size() && (html[i] == '"' || html[i] == '\'')) {
        char quote = html[i++];
        size_t end = html.find(quote, i);
        if (end == std::string_view::npos) end = html.size();
        value = html.substr(i, end - i);
        i = end < html.size() ? end + 1 : end;
      } else {
        size_t start = i;
        while (i < html.size() && !IsSpace(html[i]) && html[i] != '>') ++i;
        value = html.substr(start, i - start);
      }
    }
    if (name.size() == 4 && StartsWithIgnoreCase(name, "href")) {
      if (!tag.has_href) tag.href = value;
      tag.has_href = true;
    } else if (name.size() == 3 && StartsWithIgnoreCase(name, "rel")) {
      tag.rel = value;
    } else if (name.size() == 4 && StartsWithIgnoreCase(name, "type")) {
      tag.type = value;
    }
  }
  return html.size();
}

}  // namespace

std::vector<DiscoveredLink> ExtractHtmlLinks(std::string_view html, const Url& page_url, size_t max_links) {
  // A small tokenizer rather than a full HTML parser: links need only start
  // tags, comments and raw-text elements, and skipping the tree build makes
  // it several times faster than gumbo.
  std::vector<DiscoveredLink> links;
  Url base = page_url;
  bool base_seen = false;
  std::unordered_set<std::string> seen;
  size_t pos = 0;
  while (links.size() < max_links) {
    pos = html.find('<', pos);
    if (pos == std::string_view::npos || pos + 1 >= html.size()) break;
    std::string_view rest = html.substr(pos);
    if (rest.starts_with("<!--")) {
      size_t end = html.find("-->", pos + 4);
      if (end == std::string_view::npos) break;
      pos = end + 3;
      continue;
    }
    char next = rest[1];
    bool letter = (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z');
    if (!letter) {
      // End tag, doctype, processing instruction or a stray '<'.
      size_t end = html.find('>', pos + 1);
      if (end == std::string_view::npos) break;
      pos = next == '/' || next == '!' || next == '?' ? end + 1 : pos + 1;
      continue;
    }
    Tag tag;
    pos = ParseTag(html, pos, tag);
    const std::string& name = tag.name;
    if (name == "script" || name == "style" || name == "textarea" || name == "title" ||
        name == "xmp" || name == "noembed" || name == "iframe" || name == "plaintext") {
      size_t end = FindEndTag(html, pos, name);
      if (end == std::string_view::npos) break;
      pos = end;
      continue;
    }
    if (!tag.has_href) continue;
    LinkKind kind = LinkKind::kPage;
    if (name == "base") {
      if (!base_seen) {
        base_seen = true;
        if (auto b = ResolveUrl(page_url, DecodeEntities(tag.href))) base = *b;
      }
      continue;
    }
    if (name == "link") {
      std::string type = LowerAscii(tag.type);
      if (!RelHas(tag.rel, "alternate") ||
          (type.find("rss") == std::string::npos && type.find("atom") == std::string::npos)) {
        continue;
      }
      kind = LinkKind::kFeed;
    } else if (name != "a" && name != "area") {
      continue;
    }
    if (auto resolved = ResolveUrl(base, DecodeEntities(tag.href))) {
      resolved->has_fragment = false;
      resolved->fragment.clear();
      std::string s = resolved->ToString();
      if (seen.insert(s).second) links.push_back(DiscoveredLink{std::move(s), kind, {}});
    }
  }
  return links;
}

std::string_view ScopeDecisionName(ScopeDecision decision) {
  switch (decision) {
    case ScopeDecision::kInScope: return "in_scope";
    case ScopeDecision::kTooDeep: return "too_deep";
    case ScopeDecision::kOffDomain: return "off_domain";
    case ScopeDecision::kDenied: return "denied";
    case ScopeDecision::kNotAllowed: return "not_allowed";
  }
  return "unknown";
}

struct Scope::Patterns {
  std::vector<std::regex> allow;
  std::vector<std::regex> deny;
};

Result<Scope> Scope::Create(const ScopeOptions& options) {
  Scope scope;
  scope.options_ = options;
  for (const auto& d : options.domains) scope.domains_.insert(RegistrableDomain(d));
  auto patterns = std::make_shared<Patterns>();
  auto compile = [](const std::string& pattern, std::vector<std::regex>& into, const char* key) -> Status {
    try {
      into.emplace_back(pattern, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      return Fail(ErrorCode::kInvalidArgument,
                  std::string(key) + ": invalid pattern '" + pattern + "': " + e.what());
    }
    return Ok();
  };
  for (const auto& p : options.allow_patterns) {
    if (auto s = compile(p, patterns->allow, "allow_patterns"); !s) return std::unexpected(s.error());
  }
  for (const auto& p : options.deny_patterns) {
    if (auto s = compile(p, patterns->deny, "deny_patterns"); !s) return std::unexpected(s.error());
  }
  scope.patterns_ = std::move(patterns);
  return scope;
}

ScopeDecision Scope::Check(const Url& url, uint32_t depth, const Url* parent) const {
  if (depth > options_.max_depth) return ScopeDecision::kTooDeep;
  if (options_.same_domain) {
    std::string domain = RegistrableDomain(url.host);
    if (!domains_.empty()) {
      if (!domains_.contains(domain)) return ScopeDecision::kOffDomain;
    } else if (parent != nullptr && RegistrableDomain(parent->host) != domain) {
      return ScopeDecision::kOffDomain;
    }
  }
  if (!patterns_) return ScopeDecision::kInScope;  // default-constructed: no patterns
  std::string text = url.ToString();
  try {
    for (const auto& re : patterns_->deny) {
      if (std::regex_search(text, re)) return ScopeDecision::kDenied;
    }
    if (!patterns_->allow.empty()) {
      bool any = std::any_of(patterns_->allow.begin(), patterns_->allow.end(),
                             [&](const std::regex& re) { return std::regex_search(text, re); });
      if (!any) return ScopeDecision::kNotAllowed;
    }
  } catch (const std::regex_error&) {
    // Pathological backtracking (error_complexity/error_stack): refuse.
    return ScopeDecision::kDenied;
  }
  return ScopeDecision::kInScope;
}

}  // namespace crawlstream::fetcher
