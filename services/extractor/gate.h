// Input screening: the checks a page must pass before any decoding work.
//
// ScreenInput rejects, in this order:
//   kResourceExhausted "oversize"   more than `max_input_bytes`;
//   kNotAnArticle "empty_document"  no bytes;
//   kNotAnArticle "not_html"        a declared non-HTML Content-Type (JSON,
//                                   image, PDF, feed) whose first KiB does
//                                   not look like HTML either (servers do
//                                   mislabel HTML);
//   kNotAnArticle "binary"          more than 5 % C0 control bytes in the
//                                   first 4 KiB (UTF-16 with a BOM is text).
// Returns std::nullopt when the page may go on.
// ScreenDecoded judges the decoded text (so a byte-order mark cannot hide
// binary data): kNotAnArticle "binary" when more than 5 % of the first
// 16 KiB's code points are U+FFFD, control characters (other than
// tab/newline/CR/FF) or private-use characters.
// Pure and thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "services/common/result.h"

namespace crawlstream::extractor {

std::optional<Error> ScreenInput(std::string_view body, std::string_view content_type,
                                 size_t max_input_bytes);
std::optional<Error> ScreenDecoded(std::string_view utf8);

}  // namespace crawlstream::extractor
