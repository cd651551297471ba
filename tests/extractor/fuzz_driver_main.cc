// Stand-alone driver for fuzz_extract.cc where libFuzzer is unavailable
// (GCC; clang 14 cannot build the project's std::expected). It mutates a
// seed corpus with a fixed-seed PRNG (byte flips, markup and charset
// splices, truncation, slice duplication) and feeds each input to
// LLVMFuzzerTestOneInput until -max_total_time seconds have passed.
// Usage: fuzz_extract_driver [-max_total_time=N] [-seed=N] DIR_OR_FILE...
// A crash or trap fails the run; the last input is kept in
// fuzz-crash-input.bin for reproduction.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

const char* const kTokens[] = {
    "<div>", "</div>", "<p>", "</p>", "<script>", "</script>", "<style>", "<!--",
    "-->", "<a href=#>", "</a>", "<br>", "<table><tr><td>", "</td></tr></table>",
    "<meta charset=gbk>", "<meta charset=big5>", "<meta charset=utf-16>",
    "\xEF\xBB\xBF", "\xFF\xFE", "\xFE\xFF", "<script type=\"application/ld+json\">{\"@type\":\"Article\",\"articleBody\":\"",
    "\"}</script>", "<div hidden>", "<div style=\"display:none\">", "来源：",
    "记者 ", "责编：", "2024-07-05 13:53", "11月30日", "創(chuàng)新", "转自：",
    "<h1>", "</h1>", "&lt;li id=\"x\"&gt;", "\xD6\xD0\xCE\xC4", "\xA4\xA4\xA4\xE5",
    "<noscript>", "<template>", "<svg>", "<title>", "</title>", "ct:text/html; charset=gbk\n"};

void Mutate(std::string* s, std::mt19937_64& rng) {
  int ops = 1 + static_cast<int>(rng() % 8);
  for (int k = 0; k < ops; ++k) {
    size_t pos = s->empty() ? 0 : rng() % (s->size() + 1);
    switch (rng() % 6) {
      case 0:
        if (!s->empty()) (*s)[pos % s->size()] = static_cast<char>(rng());
        break;
      case 1:
        s->insert(pos, kTokens[rng() % (sizeof kTokens / sizeof *kTokens)]);
        break;
      case 2:
        if (pos < s->size()) s->resize(pos);
        break;
      case 3:
        if (!s->empty()) {
          size_t from = rng() % s->size();
          size_t len = std::min<size_t>(rng() % 4096, s->size() - from);
          s->insert(pos, s->substr(from, len));
        }
        break;
      case 4:
        if (pos < s->size()) s->erase(pos, rng() % 256);
        break;
      default: {
        std::string junk(rng() % 64, '\0');
        for (char& c : junk) c = static_cast<char>(rng());
        s->insert(pos, junk);
      }
    }
  }
  if (s->size() > (1u << 20)) s->resize(1u << 20);
}

}  // namespace

int main(int argc, char** argv) {
  double budget = 60;
  uint64_t seed = 1;
  std::vector<std::string> corpus;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("-max_total_time=", 0) == 0) {
      budget = std::atof(a.c_str() + 16);
    } else if (a.rfind("-seed=", 0) == 0) {
      seed = std::strtoull(a.c_str() + 6, nullptr, 10);
    } else if (a[0] == '-') {
      continue;  // other libFuzzer flags are accepted and ignored
    } else if (std::filesystem::is_directory(a)) {
      for (const auto& e : std::filesystem::directory_iterator(a))
        if (e.is_regular_file()) corpus.push_back(ReadAll(e.path()));
    } else {
      corpus.push_back(ReadAll(a));
    }
  }
  if (corpus.empty()) corpus.push_back("<html><body><p>seed</p></body></html>");
  std::mt19937_64 rng(seed);
  auto start = std::chrono::steady_clock::now();
  uint64_t runs = 0;
  for (const auto& c : corpus)
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(c.data()), c.size());
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() <
         budget) {
    std::string input = corpus[rng() % corpus.size()];
    Mutate(&input, rng);
    {
      std::ofstream last("fuzz-crash-input.bin", std::ios::binary | std::ios::trunc);
      last << input;
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
    ++runs;
  }
  std::remove("fuzz-crash-input.bin");
  std::printf("fuzz_extract_driver: %llu runs in %.0f s, no crash\n",
              static_cast<unsigned long long>(runs), budget);
  return 0;
}
