#include "services/extractor/mojibake.h"

#include <gtest/gtest.h>

#include <string>

namespace crawlstream::extractor {
namespace {

std::string Repaired(std::string s, size_t* count = nullptr) {
  const size_t n = RepairDoubleEncodedUtf8(&s);
  if (count) *count = n;
  return s;
}

TEST(MojibakeTest, RepairsTextReadAsWindows1252) {
  size_t n = 0;
  EXPECT_EQ(Repaired("Itâ€™s â€œfineâ€\u009d â€” cafÃ© 北京", &n),
            "It’s “fine” — café 北京");
  EXPECT_EQ(n, 5u);
}

TEST(MojibakeTest, RepairsTextReadAsLatin1) {
  // The C1 characters U+0080 and U+0099 stand for the bytes 0x80 0x99.
  EXPECT_EQ(Repaired("Whatâ\u0080\u0099s up, donâ\u0080\u0099t, armâ\u0080\u0099s"),
            "What’s up, don’t, arm’s");
  // Four-byte sequences (emoji) too.
  EXPECT_EQ(Repaired("ðŸ˜€ ðŸ˜€ ðŸ˜€"), "😀 😀 😀");
}

TEST(MojibakeTest, LeavesCorrectTextAlone) {
  const char* cases[] = {
      "café, naïve, élève, Ãgua",              // correct Latin-1 letters
      "Ã© Ã© Ã© among é é é é è à",  // odd pairs outnumbered by letters
      "only two: â€™ â€™",                        // below kMinMojibakeSequences
      "新闻 2024年 ©®°±",                          // no lead characters at all
      "Ã Ã Ã Ã",                                 // leads without continuations
  };
  for (const char* c : cases) EXPECT_EQ(Repaired(c), c) << c;
}

TEST(MojibakeTest, RejectsInvalidOrOverlongSequences) {
  // Ã€ would be C3 80: valid. Â€ (C2 80) is valid too; but à followed by
  // one continuation (E0 80) needs a second and A0+ first: left alone.
  EXPECT_EQ(Repaired("à€ x à€ x à€ x"), "à€ x à€ x à€ x");
}

}  // namespace
}  // namespace crawlstream::extractor
