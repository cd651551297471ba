#include "services/extractor/body.h"

#include <unordered_set>

#include "services/extractor/normalise.h"
#include "services/extractor/unicode.h"

namespace crawlstream::extractor {
namespace {

// Paragraphs of at least this many tokens are kept only once.
constexpr uint32_t kMinRepeatedTokens = 20;

std::string CleanText(std::string_view s) {
  return NormaliseParagraph(RemoveConverterPinyin(s));
}

BodyText FromBlocks(const Document& doc, std::string_view title) {
  BodyText out;
  out.blocks = LinearizeBlocks(doc);
  out.selection = SelectContent(doc, out.blocks, title);
  std::unordered_set<std::string> seen;
  for (size_t i : out.selection.kept) {
    std::string p = CleanText(out.blocks[i].text);
    if (p.empty()) continue;
    uint32_t tokens = CountText(p).tokens;
    if (tokens >= kMinRepeatedTokens && !seen.insert(p).second) continue;
    out.tokens += tokens;
    out.paragraphs.push_back(std::move(p));
  }
  out.paragraphs = JoinHardWrappedLines(std::move(out.paragraphs));
  return out;
}

void UseJsonLdBody(std::string_view text, BodyText* body) {
  body->paragraphs.clear();
  body->tokens = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string p = CleanText(text.substr(start, nl - start));
    if (!p.empty()) {
      body->tokens += CountText(p).tokens;
      body->paragraphs.push_back(std::move(p));
    }
    start = nl + 1;
  }
  body->source = BodyText::Source::kJsonLd;
}

}  // namespace

size_t BodyText::FirstBlock() const {
  return selection.kept.empty() ? selection.first_block : selection.kept.front();
}

size_t BodyText::LastBlock() const {
  return selection.kept.empty() ? selection.last_block : selection.kept.back();
}

BodyText ExtractBody(std::string_view html, std::string_view title,
                     std::string_view json_ld_body, uint32_t min_tokens, Document* doc) {
  BodyText body = FromBlocks(*doc, title);
  if (body.tokens < min_tokens && doc->removed_hidden > 0) {
    Document revealed = ParseDocument(html, ParseOptions{.keep_hidden = true, .deadline = {}});
    BodyText second = FromBlocks(revealed, title);
    if (second.tokens > body.tokens) {
      *doc = std::move(revealed);
      body = std::move(second);
      body.source = BodyText::Source::kRevealedBlocks;
    }
  }
  if (body.tokens < min_tokens && !json_ld_body.empty()) UseJsonLdBody(json_ld_body, &body);
  return body;
}

}  // namespace crawlstream::extractor
