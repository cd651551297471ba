#include "services/extractor/outlet.h"

#include <vector>

#include "services/extractor/metadata.h"
#include "services/extractor/normalise.h"
#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

constexpr uint32_t kMaxSourceLineTokens = 60;
constexpr size_t kClosingParagraphs = 3;

std::string NamedOutlet(const Evidence& e) {
  std::vector<std::string_view> lines(e.byline.lines.begin(), e.byline.lines.end());
  const auto& paragraphs = e.body.paragraphs;
  for (size_t k = paragraphs.size() > kClosingParagraphs ? paragraphs.size() - kClosingParagraphs
                                                         : 0;
       k < paragraphs.size(); ++k)
    lines.push_back(paragraphs[k]);
  std::string outlet;
  bool found_strong = false;
  for (std::string_view l : lines) {
    if (CountText(l).tokens > kMaxSourceLineTokens) continue;
    bool strong = false;
    std::string o = FindSourceOutlet(l, &strong);
    if (o.empty()) continue;
    if (strong && !found_strong) {
      outlet = std::move(o);
      found_strong = true;
    } else if (outlet.empty()) {
      outlet = std::move(o);
    }
  }
  if (outlet.empty() && !paragraphs.empty()) outlet = FindWireAgency(paragraphs.front());
  return NormaliseParagraph(RemoveConverterPinyin(outlet));
}

bool IsPublisherItself(std::string_view outlet, std::string_view publisher,
                       std::string_view site) {
  if (!publisher.empty() && (publisher.find(outlet) != std::string_view::npos ||
                             outlet.find(publisher) != std::string_view::npos))
    return true;
  if (site.empty()) return false;
  std::string_view label = site.substr(0, site.find('.'));
  return AsciiLower(outlet).find(label) != std::string::npos;
}

}  // namespace

std::string ResolveOriginalSource(const Evidence& evidence, std::string_view publisher,
                                  std::string_view site) {
  std::string outlet = NamedOutlet(evidence);
  if (outlet.empty() || IsPublisherItself(outlet, publisher, site)) return "";
  return outlet;
}

}  // namespace crawlstream::extractor
