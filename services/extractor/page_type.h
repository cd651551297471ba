// Page type: is this page an article, or a listing, product, service,
// forum or documentation page that must not be published as one?
//
// ComputePageFeatures measures language-neutral signals of the parsed page
// and its extracted body (kFeatureNames in page_type.cc: body size and
// shape, prose share, link density, structured-data types, og:type, dates
// and bylines, URL shape, teaser headings, prices). ArticleProbability is
// a logistic model over them whose weights are learned from the wcxb-dev
// train split by bench/extraction/train_page_type.py and committed in
// page_type_model.inc (regenerate with that script; never edit by hand).
// The model's threshold is the 0.25th percentile of the train articles'
// probabilities (1 in 400 train articles falls below it): when unsure,
// publish.
// Pure and thread-safe.
#pragma once

#include <array>
#include <string_view>

#include "services/extractor/body.h"
#include "services/extractor/dom.h"
#include "services/extractor/json_ld.h"

namespace crawlstream::extractor {

inline constexpr size_t kPageFeatureCount = 17;

struct PageFeatures {
  std::array<double, kPageFeatureCount> values{};
};

// Names of the features, in order (for --features output and training).
const std::array<std::string_view, kPageFeatureCount>& PageFeatureNames();

PageFeatures ComputePageFeatures(const Document& doc, const JsonLdInfo& ld,
                                 const BodyText& body, std::string_view url);

// P(article | features) under the committed model.
double ArticleProbability(const PageFeatures& features);
// The committed model's threshold (ExtractorOptions default).
double DefaultArticleThreshold();
// True when the model was trained on pages of `language` (BCP 47 primary
// tag); pages in other languages are never rejected by it: the features
// are language-neutral in form, not in their distribution (Chinese news
// portals have more short blocks and links than English blogs).
bool PageTypeModelCovers(std::string_view language);

}  // namespace crawlstream::extractor
