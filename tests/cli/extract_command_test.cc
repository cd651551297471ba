#include "services/cli/extract_command.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace crawlstream {
namespace {

struct Captured {
  int status = 0;
  std::vector<nlohmann::json> lines;
};

Captured RunCommand(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream out;
  std::streambuf* saved = std::cout.rdbuf(out.rdbuf());
  Captured c;
  c.status = RunExtractCommand(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(saved);
  std::istringstream in(out.str());
  std::string line;
  while (std::getline(in, line)) c.lines.push_back(nlohmann::json::parse(line));
  return c;
}

std::string Fixture(const char* name) {
  const char* root = std::getenv("CRAWLSTREAM_SOURCE_DIR");
  return std::string(root ? root : ".") + "/tests/fixtures/extractor/" + name;
}

TEST(ExtractCommandTest, WritesOneJsonLinePerFile) {
  auto tmp = std::filesystem::temp_directory_path() / "extract_command_test_empty.html";
  std::ofstream(tmp) << "<p>hi</p>";
  auto c = RunCommand({"extract", "--url", "https://economy.gmw.cn/a.htm",
                       Fixture("seed000_gmw.html"), tmp.string()});
  EXPECT_EQ(c.status, 0);
  ASSERT_EQ(c.lines.size(), 2u);
  const auto& a = c.lines[0];
  for (const char* key : {"source_path", "url", "canonical_url", "title", "body",
                          "published_at", "authors", "editors", "publisher",
                          "original_source", "language", "script", "body_simplified"})
    EXPECT_TRUE(a.contains(key)) << key;
  EXPECT_EQ(a["url"], "https://economy.gmw.cn/a.htm");
  EXPECT_EQ(a["published_at"], "2024-07-05T13:53:00+08:00");
  EXPECT_EQ(c.lines[1]["source_path"], tmp.string());
  EXPECT_TRUE(c.lines[1].contains("error"));
  std::filesystem::remove(tmp);
}

TEST(ExtractCommandTest, UnreadableFileIsNonZeroButOthersStillRun) {
  auto c = RunCommand({"extract", "/nonexistent/page.html", Fixture("seed004_spam.html")});
  EXPECT_NE(c.status, 0);
  ASSERT_EQ(c.lines.size(), 2u);
  EXPECT_TRUE(c.lines[0].contains("error"));
  EXPECT_FALSE(c.lines[1].contains("error"));
}

TEST(ExtractCommandTest, ContentTypeFlagSetsCharset) {
  auto c = RunCommand({"extract", "--content-type", "text/html; charset=gbk",
                       Fixture("seed002_mirror_gbk.html")});
  ASSERT_EQ(c.lines.size(), 1u);
  EXPECT_EQ(c.lines[0]["charset_source"], "http");
  EXPECT_EQ(c.lines[0]["source_charset"], "GB18030");
}

// --blocks: every text block with the selection's verdict, for debugging
// a page; the kept blocks are the body.
TEST(ExtractCommandTest, BlocksShowEveryVerdict) {
  auto c = RunCommand({"extract", "--blocks", Fixture("seed000_gmw.html")});
  ASSERT_EQ(c.lines.size(), 1u);
  const auto& blocks = c.lines[0]["blocks"];
  ASSERT_TRUE(blocks.is_array());
  std::string kept;
  std::set<std::string> verdicts;
  for (const auto& b : blocks) {
    verdicts.insert(b[0].get<std::string>());
    if (b[0] == "k") kept += b[1].get<std::string>();
  }
  EXPECT_TRUE(verdicts.contains("k") && verdicts.contains("o")) << blocks.dump();
  for (const auto& v : verdicts) EXPECT_TRUE(v == "k" || v == "d" || v == "o") << v;
  const std::string body = c.lines[0]["body"];
  EXPECT_NE(kept.find(body.substr(0, 30)), std::string::npos);
  EXPECT_FALSE(RunCommand({"extract", Fixture("seed000_gmw.html")}).lines[0].contains("blocks"));
}

TEST(ExtractCommandTest, UsageErrors) {
  EXPECT_EQ(RunCommand({"extract"}).status, 2);
  EXPECT_EQ(RunCommand({"extract", "--bogus", "x"}).status, 2);
}

}  // namespace
}  // namespace crawlstream
