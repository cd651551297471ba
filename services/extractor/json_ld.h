// JSON-LD: the structured data a page declares about itself
// (<script type="application/ld+json">).
//
// ParseJsonLd reads every script (arrays, @graph members and a node's
// mainEntity included) and returns the fields of the first node typed as
// an article (a type containing
// "Article", BlogPosting, Report, LiveBlogPosting, WebPage) or carrying
// articleBody/headline; each field comes from the first such node that has
// it. Author, publisher and image values may be strings, objects with a
// name/url, arrays of either, or {"@id": ...} references to a node
// elsewhere in the document (Yoast's @graph): references are resolved.
// `types` lists every @type seen on any node, nested ones included (for
// the page-type decision: Product, Offer, CollectionPage, FAQPage, ...);
// nested nodes other than mainEntity are not read as the article (a
// listing's ItemList of NewsArticles has no article of its own). Strings are returned raw: the
// caller decodes character references and normalises white space.
// Malformed JSON is skipped, never fatal. Nesting deeper than 8 levels is
// ignored. Pure and thread-safe.
#pragma once

#include <string>
#include <vector>

namespace crawlstream::extractor {

struct JsonLdInfo {
  std::string headline;
  std::string description;
  std::string date_published;
  std::string date_modified;
  std::vector<std::string> authors;
  std::string publisher;
  std::string article_body;
  std::string url;
  std::string image;             // first image URL
  std::string section;           // articleSection (first when a list)
  std::vector<std::string> keywords;  // keywords: a list, or a comma list
  std::vector<std::string> types;     // every @type seen, in order, unique
};

JsonLdInfo ParseJsonLd(const std::vector<std::string>& scripts);

}  // namespace crawlstream::extractor
