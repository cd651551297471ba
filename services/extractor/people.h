// People: who wrote and who edited the article.
//
// ResolveAuthors walks an ordered source table (kAuthorSources in
// people.cc); the first source that names anyone wins:
//   1. JSON-LD author (strings, objects, @id references);
//   2. citation/article:author/DC.creator metas;
//   3. Twitter card labels (twitter:label1 "Written by" + twitter:data1);
//   4. byline lines around the text (记者 / 作者 / 文/ / By ...), with the
//      adjacent lines that continue them ("本报实习生 A B" / "本报记者 C D");
//   5. a short block inside an author-named element (class="author",
//      "byline", "writer", ...) before the text or among its first ten
//      lines: Chinese names, a handle, or a Latin "First Last" name after
//      an optional "By"/"Written by";
//   6. a lead-in line of its own ("Written by") followed by a name line;
//   7. short byline paragraphs at either end of the text;
//   8. author links and marks (<a rel=author>, /author/ pages,
//      itemprop=author), unless the page marks more than three people
//      that way (a list of authors, not a byline);
//   9. a line of bare names right under the headline;
//  10. "(记者 X)" / "(作者: X)" inside the first or last paragraphs;
//  11. the author meta.
// Names that look like outlets (网, 报, .com, the publisher itself) are
// not people. ResolveEditors reads 责编 / 责任编辑 / 编辑 byline lines.
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "services/extractor/byline.h"

namespace crawlstream::extractor {

std::vector<std::string> ResolveAuthors(const Evidence& evidence, std::string_view publisher);
std::vector<std::string> ResolveEditors(const Evidence& evidence);

// Drops an author bio printed at either end of the text: up to three
// paragraphs at each end that start with an author's name, or its first
// word, followed by a verb of description ("Jane Doe is a freelance writer...", "Sara has
// covered health for ten years."). Returns how many were dropped.
size_t DropAuthorBio(const std::vector<std::string>& authors,
                     std::vector<std::string>* paragraphs);

// Exposed for tests.
// The personal name in a short Latin-script byline: "Stephen Jesudunsin",
// "By Sara Brown", "Written by Mary-Jo O'Neil": two to five capitalised
// words (initials and name particles allowed) after an optional lead-in.
// Empty otherwise.
std::string LatinPersonName(std::string_view text);
// A plausible single name (person or handle), not an outlet.
bool LooksLikePersonName(std::string_view s, std::string_view publisher);

}  // namespace crawlstream::extractor
