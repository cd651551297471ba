#include "services/extractor/keywords.h"

#include <algorithm>

#include "services/extractor/normalise.h"
#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

const ScriptConverter& Converter(const char* config) {
  // Leaked on purpose: tables are statics used until exit.
  if (std::string_view(config) == "s2tw.json") {
    static const auto* tw = new ScriptConverter("s2tw.json");
    return *tw;
  }
  if (std::string_view(config) == "s2hk.json") {
    static const auto* hk = new ScriptConverter("s2hk.json");
    return *hk;
  }
  static const auto* t = new ScriptConverter("s2t.json");
  return *t;
}

bool HasHan(std::string_view s) { return CountText(s).han > 0; }

std::string CharacterWise(const ScriptConverter& conv, std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    NextCodePoint(s, &i);
    out += conv.Convert(s.substr(start, i - start));
  }
  return out;
}

void AddUnique(std::string v, std::vector<std::string>* out) {
  if (std::find(out->begin(), out->end(), v) == out->end()) out->push_back(std::move(v));
}

}  // namespace

std::vector<std::string> TraditionalVariants(std::string_view simplified) {
  std::vector<std::string> out{std::string(simplified)};
  if (!HasHan(simplified)) return out;
  const ScriptConverter& s2t = Converter("s2t.json");
  if (!s2t.ok()) return out;
  AddUnique(s2t.Convert(simplified), &out);
  AddUnique(Converter("s2tw.json").Convert(simplified), &out);
  AddUnique(Converter("s2hk.json").Convert(simplified), &out);
  AddUnique(CharacterWise(s2t, simplified), &out);
  return out;
}

KeywordTable::KeywordTable(std::initializer_list<std::string_view> entries) {
  for (std::string_view e : entries)
    for (auto& v : TraditionalVariants(e)) AddUnique(std::move(v), &entries_);
}

bool KeywordTable::ContainedIn(std::string_view text) const {
  for (const auto& e : entries_)
    if (text.find(e) != std::string_view::npos) return true;
  return false;
}

std::string_view KeywordTable::PrefixOf(std::string_view text) const {
  for (const auto& e : entries_)
    if (text.starts_with(e)) return e;
  return {};
}

}  // namespace crawlstream::extractor
