#include "util/json_check.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace libsearch::internal {
namespace {

TEST(JsonCheck, Objects) {
  for (const char* ok :
       {"{}", " { } ", R"({"a":1})", R"({"a":[1,-2.5e+3,0,true,false,null,"x",{},[]]})",
        R"({"k":{"n":{"m":[[[]]]}}})", R"({"s":"tab\t\"q\" \\ \/ \u00e9 \ud83d\ude00"})",
        "{\"utf8\":\"cr\xc3\xa8me \xf0\x9f\x98\x80\"}", R"({"big":1e400,"neg":-0})"}) {
    EXPECT_TRUE(IsJsonObject(ok)) << ok;
  }
  for (const char* bad : {"",
                          "[]",
                          "1",
                          "\"s\"",
                          "{",
                          "}",
                          R"({"a"})",
                          R"({"a":})",
                          R"({"a":1,})",
                          R"({,})",
                          R"({"a":1}{})",
                          R"({"a":01})",
                          R"({"a":1.})",
                          R"({"a":.5})",
                          R"({"a":1e})",
                          R"({"a":+1})",
                          R"({"a":tru})",
                          R"({"a":nul})",
                          R"({"a":[1,]})",
                          R"({"a":[1 2]})",
                          R"({"a":"x)",
                          R"({"a":"\x"})",
                          R"({"a":"\u12g4"})",
                          R"({"a":"\ud800"})",
                          R"({"a":"\udc00\ud800"})",
                          "{\"a\":\"\x01\"}",
                          "{\"a\":\"\xff\"}",
                          "{\"a\":\"\xed\xa0\x80\"}",
                          R"({1:2})",
                          R"({"url":"httn"Yk"o/a1"})",
                          R"({"a":[}])",
                          R"({"a":{]})"}) {
    EXPECT_FALSE(IsJsonObject(bad)) << bad;
  }
  EXPECT_TRUE(
      IsJsonObject(std::string(100000, '[').insert(0, "{\"a\":") + std::string(100000, ']') + "}"))
      << "deep nesting, no recursion";
}

// Agrees with nlohmann's parser (which the writer's dump() output passes) on
// mutations of valid documents.
TEST(JsonCheck, AgreesWithNlohmannOnMutations) {
  const std::string base =
      R"({"sku":"a1","title":"Peanut butter \"smooth\"","tags":["x","y"],"price":3.5,)"
      R"("qty":-12,"ok":true,"none":null,"nested":{"e":1e-3,"u":"\u00e9"}})";
  std::mt19937 rng(7);
  const std::string alphabet = "{}[]\",:0123456789.eE+-truefalsn \\u\t";
  int agreed_valid = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s = base;
    for (int m = 0; m <= static_cast<int>(rng() % 3); ++m) {
      const size_t pos = rng() % s.size();
      switch (rng() % 3) {
        case 0: s[pos] = alphabet[rng() % alphabet.size()]; break;
        case 1: s.erase(pos, 1); break;
        default: s.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
      }
    }
    const auto parsed = nlohmann::json::parse(s, nullptr, false);
    const bool expected = !parsed.is_discarded() && parsed.is_object();
    ASSERT_EQ(IsJsonObject(s), expected) << s;
    agreed_valid += expected;
  }
  EXPECT_GT(agreed_valid, 100);
}

}  // namespace
}  // namespace libsearch::internal
