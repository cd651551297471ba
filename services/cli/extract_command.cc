#include "services/cli/extract_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "services/common/article_json.h"
#include "services/extractor/extractor.h"

namespace crawlstream {
namespace {

void PrintUsage() {
  std::fprintf(stderr,
               "usage: crawlstream extract [--url URL] [--content-type CT] "
               "[--manifest FILE] [--features] [--blocks] [--keep-non-articles] FILE...\n"
               "  --features           add page_features ([name, value] pairs in the "
               "model's order) and article_probability\n"
               "  --blocks             add blocks: [verdict, text] for every text block "
               "(k kept, d dropped inside the chosen container, o outside it)\n"
               "  --keep-non-articles  publish pages the page-type model rejects\n"
               "  --manifest FILE  more inputs, one per line: PATH<TAB>URL "
               "(URL optional)\n");
}

struct Input {
  std::string path;
  std::string url;  // empty: --url, else file://PATH
};

// Lines "PATH<TAB>URL" or "PATH"; blank lines are skipped.
bool ReadManifest(const std::string& manifest, std::vector<Input>* out) {
  std::ifstream f(manifest);
  if (!f) return false;
  std::string line;
  while (std::getline(f, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    size_t tab = line.find('\t');
    if (tab == std::string::npos) {
      out->push_back({line, ""});
    } else {
      out->push_back({line.substr(0, tab), line.substr(tab + 1)});
    }
  }
  return !f.bad();
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return false;
  *out = std::move(ss).str();
  return true;
}

}  // namespace

int RunExtractCommand(int argc, char** argv) {
  std::string url;
  std::string content_type;
  std::vector<Input> files;
  bool features = false;
  bool blocks = false;
  bool keep_non_articles = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "extract" && files.empty() && i == 1) continue;
    if (arg == "--manifest" && i + 1 < argc) {
      const std::string manifest = argv[++i];
      if (!ReadManifest(manifest, &files)) {
        std::fprintf(stderr, "extract: cannot read manifest %s\n", manifest.c_str());
        return 2;
      }
    } else if ((arg == "--url" || arg == "--content-type") && i + 1 < argc) {
      (arg == "--url" ? url : content_type) = argv[++i];
    } else if (arg.starts_with("--url=")) {
      url = arg.substr(6);
    } else if (arg.starts_with("--content-type=")) {
      content_type = arg.substr(15);
    } else if (arg == "--features") {
      features = true;
    } else if (arg == "--blocks") {
      blocks = true;
    } else if (arg == "--keep-non-articles") {
      keep_non_articles = true;
    } else if (arg == "-h" || arg == "--help") {
      PrintUsage();
      return 0;
    } else if (arg.starts_with("--")) {
      std::fprintf(stderr, "extract: unknown flag %s\n", arg.c_str());
      PrintUsage();
      return 2;
    } else {
      files.push_back({arg, ""});
    }
  }
  if (files.empty()) {
    PrintUsage();
    return 2;
  }
  extractor::ExtractorOptions options;
  options.clock = [] { return std::chrono::system_clock::now(); };
  if (keep_non_articles) options.min_article_probability = 0.0;
  extractor::Extractor ex(std::move(options));
  int status = 0;
  for (const auto& [path, file_url] : files) {
    std::string bytes;
    nlohmann::json line;
    if (!ReadFile(path, &bytes)) {
      std::fprintf(stderr, "extract: cannot read %s\n", path.c_str());
      line["source_path"] = path;
      line["error"] = "io: cannot read file";
      std::cout << line.dump(-1, ' ', false,
                             nlohmann::json::error_handler_t::replace)
                << '\n';
      status = 1;
      continue;
    }
    extractor::PageInput in;
    in.body = bytes;
    in.content_type = content_type;
    if (!file_url.empty()) {
      in.url = file_url;
    } else if (!url.empty()) {
      in.url = url;
    } else {
      std::error_code ec;
      auto abs = std::filesystem::absolute(path, ec);
      in.url = "file://" + (ec ? path : abs.string());
    }
    extractor::ExtractDiagnostics diagnostics;
    diagnostics.want_blocks = blocks;
    auto result = ex.Extract(in, features || blocks ? &diagnostics : nullptr);
    if (!result) {
      line["source_path"] = path;
      line["url"] = in.url;
      line["error"] = result.error().ToString();
    } else {
      line = nlohmann::json::parse(MessageToJsonLine(*result), nullptr, false);
      if (line.is_discarded() || !line.is_object()) {
        line = nlohmann::json::object();
        line["error"] = "internal: cannot render article";
      }
      line["source_path"] = path;
    }
    if (features && diagnostics.article_probability >= 0) {
      // [name, value] pairs in the model's order.
      nlohmann::json f = nlohmann::json::array();
      for (const auto& [name, value] : diagnostics.page_features)
        f.push_back(nlohmann::json::array({std::string(name), value}));
      line["page_features"] = std::move(f);
      line["article_probability"] = diagnostics.article_probability;
    }
    if (blocks) {
      nlohmann::json b = nlohmann::json::array();
      for (const auto& [verdict, text] : diagnostics.blocks)
        b.push_back(nlohmann::json::array({std::string(1, verdict), text}));
      line["blocks"] = std::move(b);
    }
    std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              << '\n';
  }
  std::cout.flush();
  return status;
}

}  // namespace crawlstream
