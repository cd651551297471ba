// Han script of a text: Simplified or Traditional.
//
// CountScriptCharacters samples the first 1,500 bytes (about 500 Han
// characters decide it). A quick vote counts frequent characters that
// exist in one script only (这/這, 们/們, 发/發); when that does not settle
// it (3 votes and a 3:1 margin), OpenCC decides: characters that t2s
// changes count as Traditional, characters that s2t changes as Simplified.
// OpenCC is the costliest step of the pipeline, so most pages skip it.
// Thread-safe (ScriptConverter is).
#pragma once

#include <cstddef>
#include <string_view>

#include "services/extractor/normalise.h"

namespace crawlstream::extractor {

struct ScriptCounts {
  size_t hant = 0;
  size_t hans = 0;
};

ScriptCounts CountScriptCharacters(std::string_view text, const ScriptConverter& t2s,
                                   const ScriptConverter& s2t);

}  // namespace crawlstream::extractor
