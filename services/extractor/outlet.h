// Original source: the outlet a repost names as its origin.
//
// Reads byline lines and the last three paragraphs (lines of 60 tokens or
// fewer): an explicit repost note (转自 / 本文转自, "strong") wins over a
// source note (来源); otherwise a wire dateline at the start of the text
// ("WASHINGTON (AP) —") names the agency. The outlet is dropped when it is
// the publisher itself: one name contains the other, or the outlet
// contains the first label of the site's registrable domain ("gmw" for
// gmw.cn). Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "services/extractor/byline.h"

namespace crawlstream::extractor {

std::string ResolveOriginalSource(const Evidence& evidence, std::string_view publisher,
                                  std::string_view site);

}  // namespace crawlstream::extractor
