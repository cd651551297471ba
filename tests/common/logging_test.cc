#include "services/common/logging.h"

#include <gtest/gtest.h>

namespace crawlstream {
namespace {

TEST(LoggingTest, JsonEscapeHandlesQuotesControlAndUtf8) {
  EXPECT_EQ(JsonEscape("a\"b\\c\n\t\x01"), "a\\\"b\\\\c\\n\\t\\u0001");
  EXPECT_EQ(JsonEscape("来源:光明网"), "来源:光明网");
}

TEST(LoggingTest, RejectsUnknownLevel) {
  auto st = InitLogging("test", "verbose", LogFormat::kText);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("verbose"), std::string::npos);
  EXPECT_TRUE(InitLogging("test", "warn", LogFormat::kJson));
}

}  // namespace
}  // namespace crawlstream
