// HTML tokenizer: UTF-8 bytes in, start tags / end tags / text out.
//
// Follows the WHATWG tokenizer where it changes what text a reader sees,
// and simplifies where it does not:
//   - tag and attribute names are lower-cased; attribute values are
//     unquoted and their character references decoded (legacy references
//     without ';' are left alone before '=' or an alphanumeric, as browsers
//     do); a duplicate attribute keeps its first value;
//   - text has its character references decoded (the full WHATWG table,
//     html_entities.inc; numeric references with the Windows-1252 remap of
//     0x80-0x9F), CR LF and lone CR become LF, NUL is dropped;
//   - comments, <!DOCTYPE>, <![CDATA[ and <?...> are skipped; a '<' that
//     starts no tag is text;
//   - after <script>, <style>, <xmp>, <iframe>, <noembed>, <noframes> and
//     <noscript> everything up to the matching end tag is one raw text
//     token; after <title> and <textarea> likewise but with references
//     decoded; after <plaintext> the rest of the input is text;
//   - a tag cut off by the end of input is dropped.
// Not handled: foreign (SVG/MathML) content, which the prefilter removes
// before parsing. Linear time: every byte is looked at a bounded number of
// times; no recursion. Not thread-safe per instance; instances are
// independent.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace crawlstream::extractor {

struct HtmlAttribute {
  std::string name;   // lower-case
  std::string value;  // references decoded
};

struct HtmlToken {
  enum class Type { kStartTag, kEndTag, kText, kEnd };
  Type type = Type::kEnd;
  std::string name;  // tags: lower-case name
  bool self_closing = false;
  std::string text;  // kText: decoded characters
  // kStartTag: the first `attribute_count` entries of `attributes` (the
  // vector is reused between tokens to keep allocations down).
  std::vector<HtmlAttribute> attributes;
  size_t attribute_count = 0;

  // Value of attribute `name` (lower-case), or empty.
  std::string_view Attr(std::string_view attr_name) const;
  bool HasAttr(std::string_view attr_name) const;
};

class HtmlTokenizer {
 public:
  explicit HtmlTokenizer(std::string_view html) : html_(html) {}

  // Fills *token with the next token; kEnd at the end of input (and on
  // every later call).
  void Next(HtmlToken* token);

 private:
  void ReadTag(size_t lt, HtmlToken* token);
  void ReadRawText(HtmlToken* token);

  std::string_view html_;
  size_t pos_ = 0;
  // Set after a raw text start tag: the name whose end tag closes it, and
  // whether its references are decoded (title, textarea).
  std::string raw_end_;
  bool raw_decode_ = false;
  bool plaintext_ = false;
};

// Appends `raw` to *out with character references decoded, CR LF / CR
// turned into LF and NUL dropped. `in_attribute` applies the attribute
// rule for legacy references without ';'.
void AppendDecodedHtml(std::string_view raw, bool in_attribute, std::string* out);

}  // namespace crawlstream::extractor
