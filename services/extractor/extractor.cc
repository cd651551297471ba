#include "services/extractor/extractor.h"

#include <optional>

#include "crawlstream/v1/fetched_page.pb.h"
#include "services/common/sha256.h"
#include "services/common/url.h"
#include "services/extractor/body.h"
#include "services/extractor/byline.h"
#include "services/extractor/decode.h"
#include "services/extractor/dom.h"
#include "services/extractor/gate.h"
#include "services/extractor/json_ld.h"
#include "services/extractor/language.h"
#include "services/extractor/metadata.h"
#include "services/extractor/normalise.h"
#include "services/extractor/outlet.h"
#include "services/extractor/page_meta.h"
#include "services/extractor/page_type.h"
#include "services/extractor/people.h"
#include "services/extractor/published.h"
#include "services/extractor/script_vote.h"
#include "services/extractor/title.h"

namespace crawlstream::extractor {
namespace {

using crawlstream::v1::Article;

void SetTimestamp(std::chrono::system_clock::time_point tp, google::protobuf::Timestamp* ts) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count();
  ts->set_seconds(ns / 1000000000);
  ts->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

// rel=canonical, else og:url, else the fetched URL; canonicalised.
std::string CanonicalUrl(const Document& doc, const std::string& url) {
  std::string canonical;
  if (!doc.head.canonical.empty() && !url.empty()) canonical = ResolveUrlText(url, doc.head.canonical);
  if (canonical.empty() || UrlHost(canonical).empty()) {
    std::string og = std::string(doc.Meta("og:url"));
    if (!og.empty() && !url.empty()) canonical = ResolveUrlText(url, og);
  }
  if (canonical.empty() || UrlHost(canonical).empty()) canonical = url;
  return CanonicalUrlOrText(canonical);
}

// og:site_name, JSON-LD publisher, else the <title> suffix.
std::string ResolvePublisher(const Document& doc, const JsonLdInfo& ld,
                             const std::string& site_from_title) {
  std::string publisher = CleanMetaText(doc.Meta("og:site_name"));
  if (publisher.empty()) publisher = CleanMetaText(ld.publisher);
  if (publisher.empty()) publisher = site_from_title;
  return publisher;
}

}  // namespace

PageInput PageInputFromFetchedPage(const crawlstream::v1::FetchedPage& page) {
  PageInput in;
  in.body = page.body();
  in.content_type = page.content_type();
  in.url = page.final_url().empty() ? page.requested_url() : page.final_url();
  if (page.has_fetched_at()) {
    in.fetched_at = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(page.fetched_at().seconds()) +
            std::chrono::nanoseconds(page.fetched_at().nanos())));
  }
  return in;
}

Extractor::Extractor(ExtractorOptions options)
    : options_(std::move(options)),
      t2s_(std::make_unique<ScriptConverter>(options_.opencc_t2s)),
      s2t_(std::make_unique<ScriptConverter>(options_.opencc_s2t)) {}
Extractor::~Extractor() = default;
Extractor::Extractor(Extractor&&) noexcept = default;
Extractor& Extractor::operator=(Extractor&&) noexcept = default;

int Extractor::UtcOffsetMinutes(std::string_view site, std::string_view language) const {
  if (auto it = options_.site_utc_offset_minutes.find(site);
      it != options_.site_utc_offset_minutes.end())
    return it->second;
  return language == "zh" ? options_.chinese_utc_offset_minutes
                          : options_.default_utc_offset_minutes;
}

namespace {

void RecordBlocks(const BodyText& body, ExtractDiagnostics* d) {
  std::vector<char> verdict(body.blocks.size(), 'o');
  for (size_t i : body.selection.dropped) verdict[i] = 'd';
  for (size_t i : body.selection.kept) verdict[i] = 'k';
  d->blocks.clear();
  for (size_t i = 0; i < body.blocks.size(); ++i) d->blocks.emplace_back(verdict[i], body.blocks[i].text);
}

}  // namespace

Result<Article> Extractor::Extract(const PageInput& in) const { return Extract(in, nullptr); }

Result<Article> Extractor::Extract(const PageInput& in, ExtractDiagnostics* diagnostics) const {
  // The time budget, checked between steps and while parsing.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (options_.extract_timeout.count() > 0)
    deadline = std::chrono::steady_clock::now() + options_.extract_timeout;
  auto past_deadline = [&] { return deadline && std::chrono::steady_clock::now() > *deadline; };
  const auto timeout = [] { return Fail(ErrorCode::kResourceExhausted, "extract_timeout"); };

  // 1. Screen and decode.
  if (auto rejected = ScreenInput(in.body, in.content_type, options_.max_input_bytes))
    return std::unexpected(*rejected);
  const DecodedPage page = DecodePage(in.body, in.content_type);
  if (auto rejected = ScreenDecoded(page.html)) return std::unexpected(*rejected);
  if (past_deadline()) return timeout();

  // 2. Parse, structured data, title.
  Document doc = ParseDocument(page.html, ParseOptions{.keep_hidden = false, .deadline = deadline});
  if (doc.timed_out) return timeout();
  const JsonLdInfo ld = ParseJsonLd(doc.head.json_ld);
  const ResolvedTitle title = ResolveTitle({.head_title = doc.head.title,
                                            .og_title = doc.Meta("og:title"),
                                            .json_ld_headline = ld.headline,
                                            .h1 = &doc.head.h1});

  // 3. Body: segment, score, select, assemble (body.h).
  BodyText body = ExtractBody(page.html, title.title, ld.article_body,
                              options_.min_body_tokens, &doc);
  if (diagnostics != nullptr && diagnostics->want_blocks) RecordBlocks(body, diagnostics);
  if (body.paragraphs.empty() && body.selection.root < 0)
    return Fail(ErrorCode::kNotAnArticle, "no_main_content");
  if (body.tokens < options_.min_body_tokens)
    return Fail(ErrorCode::kNotAnArticle, "body_too_short");
  if (past_deadline()) return timeout();

  // 4. Language and script.
  std::string text = JoinParagraphs(body.paragraphs);
  const ScriptCounts script = CountScriptCharacters(text, *t2s_, *s2t_);
  const LanguageGuess lang = GuessLanguage(text, script.hant, script.hans, doc.head.lang);

  // 5. Page type: listings, products, services, forums and docs have text
  // too. The model judges only languages it was trained on; when unsure,
  // publish (its threshold admits 399 in 400 train articles).
  const PageFeatures features = ComputePageFeatures(doc, ld, body, in.url);
  const double p_article = ArticleProbability(features);
  if (diagnostics != nullptr) {
    diagnostics->page_features.clear();
    for (size_t i = 0; i < kPageFeatureCount; ++i)
      diagnostics->page_features.emplace_back(PageFeatureNames()[i], features.values[i]);
    diagnostics->article_probability = p_article;
  }
  if (PageTypeModelCovers(lang.language) &&
      p_article < options_.min_article_probability.value_or(DefaultArticleThreshold()))
    return Fail(ErrorCode::kNotAnArticle, "not_article_page");

  // 6. Identity.
  Article article;
  article.set_url(in.url);
  const std::string canonical = CanonicalUrl(doc, in.url);
  article.set_canonical_url(canonical);
  article.set_id(Sha256Hex(canonical, 16));
  const std::string site = RegistrableDomain(UrlHost(canonical));
  article.set_site(site);
  article.set_title(title.title);
  article.set_language(lang.language);
  article.set_script(lang.script);
  if (lang.script == "Hant") article.set_body_simplified(t2s_->Convert(text));

  // 7. Metadata resolvers, each walking its own source table.
  const BylineLines byline = CollectBylineLines(body);
  const Evidence evidence{doc, ld, body, byline};
  const std::string publisher = ResolvePublisher(doc, ld, title.site_name);
  const int offset = UtcOffsetMinutes(site, lang.language);
  if (const PublishedTime published = ResolvePublished(evidence); published.date) {
    article.set_published_at(FormatRfc3339(*published.date, offset));
    article.set_published_precision(published.precision);
  }
  if (const auto modified = ResolveModified(evidence))
    article.set_modified_at(FormatRfc3339(*modified, offset));
  const std::vector<std::string> authors = ResolveAuthors(evidence, publisher);
  for (const auto& a : authors) article.add_authors(a);
  if (DropAuthorBio(authors, &body.paragraphs) > 0) {
    text = JoinParagraphs(body.paragraphs);
    if (lang.script == "Hant") article.set_body_simplified(t2s_->Convert(text));
  }
  for (auto& e : ResolveEditors(evidence)) article.add_editors(std::move(e));
  article.set_original_source(ResolveOriginalSource(evidence, publisher, site));
  article.set_publisher(publisher);
  PageMeta meta = ResolvePageMeta(doc, ld, in.url);
  article.set_description(std::move(meta.description));
  article.set_image_url(std::move(meta.image_url));
  article.set_section(std::move(meta.section));
  for (auto& t : meta.tags) article.add_tags(std::move(t));

  if (past_deadline()) return timeout();

  // 8. Provenance.
  article.set_body(std::move(text));
  if (in.fetched_at) SetTimestamp(*in.fetched_at, article.mutable_fetched_at());
  if (options_.clock) SetTimestamp(options_.clock(), article.mutable_extracted_at());
  article.set_source_charset(page.choice.charset);
  article.set_charset_source(page.choice.source);
  article.set_replaced_sequences(page.replaced);
  article.set_repaired_sequences(page.repaired);
  article.set_extractor_version(std::string(kExtractorVersion));
  return article;
}

}  // namespace crawlstream::extractor
