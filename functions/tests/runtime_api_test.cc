// Tests of the Runtime API client's helpers. The bootstrap under the real
// Runtime Interface Emulator is tested by functions/tests/test_aws_lambda.py.
#include "functions/aws_lambda/runtime_api.h"

#include <gtest/gtest.h>

#include <string>

namespace libsearch::functions {
namespace {

TEST(RuntimeApi, SplitHostPort) {
  EXPECT_EQ(SplitHostPort("127.0.0.1:9001"),
            std::make_pair(std::string("127.0.0.1"), std::string("9001")));
  EXPECT_EQ(SplitHostPort("[::1]:9001"), std::make_pair(std::string("::1"), std::string("9001")));
  EXPECT_FALSE(SplitHostPort("localhost"));
  EXPECT_FALSE(SplitHostPort(":9001"));
}

}  // namespace
}  // namespace libsearch::functions
