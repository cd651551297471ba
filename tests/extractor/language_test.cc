#include "services/extractor/language.h"

#include <gtest/gtest.h>

#include <cstddef>

namespace crawlstream::extractor {
namespace {

struct LanguageCase {
  const char* name;
  const char* text;
  size_t hant_chars;  // characters t2s would change
  size_t hans_chars;  // characters s2t would change
  const char* html_lang;
  const char* language;
  const char* script;
};

const LanguageCase kCases[] = {
    {"en", "The cat sat on the mat and it is in the house.", 0, 0, "", "en", "Latn"},
    {"zh_hans",
     "国务院总理李强主持召开国务院常务会议，研究部署进一步促进消费的政策措施，审议通过相关条例草案。",
     0, 9, "", "zh", "Hans"},
    {"zh_hant",
     "國務院總理主持召開國務院常務會議，研究部署進一步促進消費的政策措施，審議通過相關條例草案。",
     9, 0, "", "zh", "Hant"},
    {"zh_short_hans", "中文新闻内容", 0, 3, "", "zh", "Hans"},
    {"zh_short_hant", "中文新聞內容", 3, 0, "", "zh", "Hant"},
    {"ja", "政府は木曜日、再生可能エネルギーの導入を促進するための新しい法案を閣議決定した。", 0, 0,
     "", "ja", "Jpan"},
    {"ja_kana", "これは日本語のニュースです", 0, 0, "", "ja", "Jpan"},
    {"ko", "정부는 목요일 재생 에너지 도입을 촉진하기 위한 새로운 법안을 국무회의에서 의결했다.", 0,
     0, "", "ko", "Kore"},
    {"de",
     "Der Bundestag hat am Donnerstag ein neues Gesetz zur Förderung erneuerbarer Energien "
     "beschlossen, das die Ausbauziele deutlich anhebt.",
     0, 0, "", "de", "Latn"},
    {"fr",
     "Le gouvernement a présenté mercredi un projet de loi visant à renforcer la protection des "
     "données personnelles des citoyens.",
     0, 0, "", "fr", "Latn"},
    {"fr_with_region", "Le chat est sur la table.", 0, 0, "fr-FR", "fr", "Latn"},
    {"ru",
     "Правительство России в четверг одобрило новый законопроект о поддержке малого и среднего "
     "бизнеса в регионах страны.",
     0, 0, "", "ru", "Cyrl"},
    {"ar",
     "أعلنت الحكومة اليوم عن خطة جديدة لدعم الاقتصاد الوطني وتعزيز الاستثمار في قطاع الطاقة "
     "المتجددة.",
     0, 0, "", "ar", "Arab"},
    // The text outweighs a template's lang attribute.
    {"de_despite_html_en",
     "Der Bundestag hat am Donnerstag ein neues Gesetz zur Förderung erneuerbarer Energien "
     "beschlossen, das die Ausbauziele deutlich anhebt.",
     0, 0, "en", "de", "Latn"},
    {"zh_despite_html_en",
     "国务院总理李强主持召开国务院常务会议，研究部署进一步促进消费的政策措施，审议通过相关条例草案。",
     0, 9, "en-US", "zh", "Hans"},
    // The language of most of the text, even when a quote in German holds
    // a quarter of it (CLD2's summary would say "de").
    {"en_quoting_de",
     "I have to say I am very pleasantly surprised with the new series of guitars from this "
     "maker. The frets are perfectly smooth around the edges and the rolled fretboard feels nice "
     "in the hand. It plays and sounds great, though it needed a bit of a setup when it arrived "
     "at my door. Der Hals mit den abgerundeten Bundkanten liegt perfekt in der Hand und lädt "
     "dazu ein, lange zu spielen.",
     0, 0, "", "en", "Latn"},
    // Too little text for CLD2: the lang attribute, else undetermined.
    {"empty", "", 0, 0, "", "und", "Zyyy"},
    {"empty_with_html_lang", "", 0, 0, "de-DE", "de", "Zyyy"},
    {"short", "OK", 0, 0, "", "und", "Latn"},
    {"short_with_html_lang", "hello", 0, 0, "en_US", "en", "Latn"},
    {"short_han_with_html_lang", "新闻", 0, 0, "zh-CN", "zh", "Hans"},
    {"digits_only", "2024 - 05 - 01", 0, 0, "", "und", "Zyyy"},
    // Legacy and non-language tags.
    {"html_lang_legacy_hebrew", "שלום", 0, 0, "iw", "he", "Hebr"},
    {"html_lang_not_a_language", "OK", 0, 0, "x-default", "und", "Latn"},
};

TEST(LanguageTest, GuessesLanguageAndScriptTable) {
  for (const auto& c : kCases) {
    const LanguageGuess got = GuessLanguage(c.text, c.hant_chars, c.hans_chars, c.html_lang);
    EXPECT_EQ(got.language, c.language) << c.name;
    EXPECT_EQ(got.script, c.script) << c.name;
  }
}

}  // namespace
}  // namespace crawlstream::extractor
