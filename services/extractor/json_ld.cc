#include "services/extractor/json_ld.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>

namespace crawlstream::extractor {
namespace {

using Json = nlohmann::json;

constexpr int kMaxDepth = 8;

// Names (or URLs) of nodes by "@id" ("#/schema/person/ab12" -> "Jane Doe").
using NodeNames = std::map<std::string, std::string, std::less<>>;

void CollectNodeNames(const Json& j, NodeNames* names, int depth) {
  if (depth > kMaxDepth) return;
  if (j.is_array()) {
    for (const auto& e : j) CollectNodeNames(e, names, depth + 1);
    return;
  }
  if (!j.is_object()) return;
  auto id = j.find("@id");
  if (id != j.end() && id->is_string()) {
    for (const char* key : {"name", "url", "contentUrl"}) {
      auto v = j.find(key);
      if (v != j.end() && v->is_string()) {
        names->emplace(id->get<std::string>(), v->get<std::string>());
        break;
      }
    }
  }
  for (const auto& [key, value] : j.items())
    if (value.is_object() || value.is_array()) CollectNodeNames(value, names, depth + 1);
}

// A string value: the string itself, an object's `name` (or `url` for
// images), or the referenced node's.
std::string ValueString(const Json& j, const NodeNames& names, const char* key = "name") {
  if (j.is_string()) return j.get<std::string>();
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it != j.end() && it->is_string()) return it->get<std::string>();
  auto id = j.find("@id");
  if (id != j.end() && id->is_string())
    if (auto n = names.find(id->get<std::string>()); n != names.end()) return n->second;
  return "";
}

std::vector<std::string> ValueStrings(const Json& j, const NodeNames& names,
                                      const char* key = "name") {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& e : j)
      if (auto s = ValueString(e, names, key); !s.empty()) out.push_back(std::move(s));
  } else if (auto s = ValueString(j, names, key); !s.empty()) {
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> SplitCommas(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    std::string_view part = s.substr(start, comma - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    start = comma + 1;
  }
  return out;
}

std::vector<std::string> TypesOf(const Json& obj) {
  std::vector<std::string> out;
  auto it = obj.find("@type");
  if (it == obj.end()) return out;
  if (it->is_string()) out.push_back(it->get<std::string>());
  if (it->is_array())
    for (const auto& t : *it)
      if (t.is_string()) out.push_back(t.get<std::string>());
  return out;
}

bool IsArticleType(std::string_view t) {
  return t.find("Article") != std::string_view::npos || t == "BlogPosting" ||
         t == "Report" || t == "LiveBlogPosting" || t == "WebPage";
}

void SetIfEmpty(std::string* field, std::string value) {
  if (field->empty()) *field = std::move(value);
}

void ReadArticleNode(const Json& j, const NodeNames& names, JsonLdInfo* info) {
  auto str = [&](const char* key) -> std::string {
    auto it = j.find(key);
    return it == j.end() ? "" : ValueString(*it, names);
  };
  SetIfEmpty(&info->headline, str("headline"));
  SetIfEmpty(&info->description, str("description"));
  SetIfEmpty(&info->date_published, str("datePublished"));
  SetIfEmpty(&info->date_modified, str("dateModified"));
  SetIfEmpty(&info->article_body, str("articleBody"));
  SetIfEmpty(&info->publisher, str("publisher"));
  SetIfEmpty(&info->url, str("url"));
  if (info->authors.empty())
    if (auto a = j.find("author"); a != j.end()) info->authors = ValueStrings(*a, names);
  if (info->image.empty())
    if (auto im = j.find("image"); im != j.end())
      if (auto urls = ValueStrings(*im, names, "url"); !urls.empty()) info->image = urls.front();
  if (info->section.empty())
    if (auto s = j.find("articleSection"); s != j.end())
      if (auto v = ValueStrings(*s, names); !v.empty()) info->section = v.front();
  if (info->keywords.empty()) {
    if (auto k = j.find("keywords"); k != j.end()) {
      if (k->is_string()) {
        info->keywords = SplitCommas(k->get<std::string>());
      } else {
        info->keywords = ValueStrings(*k, names);
      }
    }
  }
}

void AddTypes(const std::vector<std::string>& types, JsonLdInfo* info) {
  for (const auto& t : types)
    if (std::find(info->types.begin(), info->types.end(), t) == info->types.end())
      info->types.push_back(t);
}

// Records the @type of every nested node (an Offer inside a Product, a
// NewsArticle inside a WebPage) without reading its fields.
void CollectNestedTypes(const Json& j, JsonLdInfo* info, int depth) {
  if (depth > kMaxDepth) return;
  if (j.is_array()) {
    for (const auto& e : j) CollectNestedTypes(e, info, depth + 1);
    return;
  }
  if (!j.is_object()) return;
  AddTypes(TypesOf(j), info);
  for (const auto& [key, value] : j.items())
    if (value.is_object() || value.is_array()) CollectNestedTypes(value, info, depth + 1);
}

// Top-level nodes, @graph members and a page's mainEntity are read as the
// article; other nested nodes (list items, publishers, offers) only give
// their types, so a listing's first teaser never becomes the article.
void Visit(const Json& j, const NodeNames& names, JsonLdInfo* info, int depth) {
  if (depth > kMaxDepth) return;
  if (j.is_array()) {
    for (const auto& e : j) Visit(e, names, info, depth + 1);
    return;
  }
  if (!j.is_object()) return;
  const std::vector<std::string> types = TypesOf(j);
  AddTypes(types, info);
  for (const auto& [key, value] : j.items()) {
    if (key == "@graph" || key == "mainEntity") {
      Visit(value, names, info, depth + 1);
    } else if (value.is_object() || value.is_array()) {
      CollectNestedTypes(value, info, depth + 1);
    }
  }
  const bool article = std::any_of(types.begin(), types.end(),
                                   [](const std::string& t) { return IsArticleType(t); });
  if (article || j.contains("articleBody") || j.contains("headline"))
    ReadArticleNode(j, names, info);
}

}  // namespace

JsonLdInfo ParseJsonLd(const std::vector<std::string>& scripts) {
  JsonLdInfo info;
  for (const auto& s : scripts) {
    Json j = Json::parse(s, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) continue;
    NodeNames names;
    CollectNodeNames(j, &names, 0);
    Visit(j, names, &info, 0);
  }
  return info;
}

}  // namespace crawlstream::extractor
