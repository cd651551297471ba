#include "services/extractor/entities.h"

#include <cstdint>

#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

constexpr size_t kMaxReferenceBytes = 10;

struct NamedReference {
  std::string_view name;
  char32_t code_point;
};

constexpr NamedReference kNamed[] = {
    {"amp", U'&'},       {"lt", U'<'},         {"gt", U'>'},
    {"quot", U'"'},      {"apos", U'\''},      {"nbsp", 0xA0},
    {"ndash", 0x2013},   {"mdash", 0x2014},    {"hellip", 0x2026},
    {"lsquo", 0x2018},   {"rsquo", 0x2019},    {"ldquo", 0x201C},
    {"rdquo", 0x201D},   {"laquo", 0xAB},      {"raquo", 0xBB},
    {"copy", 0xA9},      {"reg", 0xAE},        {"trade", 0x2122},
    {"middot", 0xB7},    {"bull", 0x2022},     {"eacute", 0xE9},
    {"egrave", 0xE8},    {"aacute", 0xE1},     {"iacute", 0xED},
    {"oacute", 0xF3},    {"uacute", 0xFA},     {"ntilde", 0xF1},
    {"uuml", 0xFC},      {"ouml", 0xF6},       {"auml", 0xE4},
    {"szlig", 0xDF},     {"ccedil", 0xE7},     {"euro", 0x20AC},
    {"pound", 0xA3},     {"deg", 0xB0},        {"times", 0xD7},
};

bool ValidCodePoint(uint32_t cp) {
  return cp != 0 && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
}

// The code point of the reference body between '&' and ';' ("#8211",
// "#x2013", "amp"), or 0 when it is not one.
char32_t Resolve(std::string_view body) {
  if (body.size() >= 2 && body[0] == '#') {
    bool hex = body[1] == 'x' || body[1] == 'X';
    std::string_view digits = body.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > 7) return 0;
    uint32_t cp = 0;
    for (char c : digits) {
      uint32_t d;
      if (c >= '0' && c <= '9') {
        d = static_cast<uint32_t>(c - '0');
      } else if (hex && c >= 'a' && c <= 'f') {
        d = static_cast<uint32_t>(c - 'a' + 10);
      } else if (hex && c >= 'A' && c <= 'F') {
        d = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return 0;
      }
      cp = cp * (hex ? 16 : 10) + d;
    }
    return ValidCodePoint(cp) ? static_cast<char32_t>(cp) : 0;
  }
  for (const NamedReference& r : kNamed)
    if (body == r.name) return r.code_point;
  return 0;
}

// One round; sets *changed when a reference was replaced.
std::string DecodeOnce(std::string_view text, bool* changed) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t amp = text.find('&', i);
    if (amp == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, amp - i));
    // A reference is at most 10 bytes long: look no further (linear time
    // on a title of a million '&').
    const size_t window = text.substr(amp + 1, kMaxReferenceBytes).find(';');
    const size_t semi = window == std::string_view::npos ? window : amp + 1 + window;
    char32_t cp = 0;
    if (semi != std::string_view::npos) cp = Resolve(text.substr(amp + 1, semi - amp - 1));
    if (cp == 0) {
      out.push_back('&');
      i = amp + 1;
      continue;
    }
    AppendUtf8(cp, &out);
    *changed = true;
    i = semi + 1;
  }
  return out;
}

}  // namespace

std::string DecodeCharacterReferences(std::string_view text) {
  std::string out(text);
  if (out.find('&') == std::string::npos) return out;
  for (int round = 0; round < 3; ++round) {
    bool changed = false;
    out = DecodeOnce(out, &changed);
    if (!changed) break;
  }
  return out;
}

}  // namespace crawlstream::extractor
