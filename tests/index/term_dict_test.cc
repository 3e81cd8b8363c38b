#include "index/term_dict.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <tuple>

#include "testing/test_util.h"

namespace libsearch::internal {
namespace {

std::vector<std::string> RandomTerms(std::mt19937* rng, size_t n) {
  std::set<std::string> terms;
  while (terms.size() < n) {
    std::string t;
    const size_t len = 1 + (*rng)() % 8;
    for (size_t i = 0; i < len; ++i) t.push_back(static_cast<char>('a' + (*rng)() % 4));
    if ((*rng)() % 10 == 0) t += "\xc3\xa9";  // Some UTF-8.
    terms.insert(t);
  }
  return {terms.begin(), terms.end()};
}

// Size, and whether the reader gets the key prefixes (2.2) or not (older files).
class TermDictTest : public ::testing::TestWithParam<std::tuple<size_t, bool>> {};

TEST_P(TermDictTest, FindAndLowerBoundMatchSortedVector) {
  std::mt19937 rng(7);
  const auto [size, with_prefixes] = GetParam();
  const std::vector<std::string> terms = RandomTerms(&rng, size);
  std::vector<std::string_view> views(terms.begin(), terms.end());
  std::string blocks, index, prefixes;
  WriteTermDict(views, &blocks, &index, &prefixes);
  ASSERT_OK_AND_ASSIGN(
      TermDictReader dict,
      TermDictReader::Open(blocks, index,
                           with_prefixes ? std::string_view(prefixes) : std::string_view(),
                           terms.size()));
  for (size_t i = 0; i < terms.size(); ++i) {
    const auto ord = dict.Find(terms[i]);
    ASSERT_TRUE(ord.has_value()) << terms[i];
    EXPECT_EQ(*ord, i);
  }
  for (int probe = 0; probe < 2000; ++probe) {
    std::string key;
    const size_t len = rng() % 9;
    for (size_t i = 0; i < len; ++i) key.push_back(static_cast<char>('a' + rng() % 5));
    const size_t expect = std::lower_bound(terms.begin(), terms.end(), key) - terms.begin();
    EXPECT_EQ(dict.LowerBound(key), expect) << key;
    EXPECT_EQ(dict.Find(key).has_value(), expect < terms.size() && terms[expect] == key);
  }
  std::vector<std::string> all;
  ASSERT_OK(dict.Terms(0, static_cast<uint32_t>(terms.size()), &all));
  EXPECT_EQ(all, terms);
  std::string one;
  for (size_t i = 0; i < terms.size(); ++i) {
    ASSERT_TRUE(dict.Term(static_cast<uint32_t>(i), &one));
    ASSERT_EQ(one, terms[i]);
  }
  EXPECT_FALSE(dict.Term(static_cast<uint32_t>(terms.size()), &one));
  if (terms.size() > 40) {
    std::vector<std::string> mid;
    ASSERT_OK(dict.Terms(31, 5, &mid));
    EXPECT_EQ(mid, std::vector<std::string>(terms.begin() + 31, terms.begin() + 36));
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, TermDictTest,
                         ::testing::Combine(::testing::Values(0, 1, 31, 32, 33, 1000),
                                            ::testing::Bool()));

// Keys whose first 8 bytes tie across many blocks (product codes, long
// shared stems), bytes 0x00 and 0xff, and keys that are prefixes of others:
// the prefix search must fall back to whole keys exactly where it cannot
// decide. Probes are terms, their neighbours and random keys.
TEST(TermDict, KeyPrefixTiesFallBackToWholeKeys) {
  std::mt19937 rng(2026);
  std::set<std::string> set;
  const std::string stems[] = {
      "00447000", "abcdefgh", std::string("ab\0", 3), "ab", "\xff\xff\xff\xff\xff\xff\xff\xff",
      "zz"};
  while (set.size() < 5000) {
    std::string t = stems[rng() % 6];
    const size_t len = rng() % 6;
    for (size_t i = 0; i < len; ++i) t.push_back("\0a9\xff"[rng() % 4]);
    set.insert(t);
  }
  const std::vector<std::string> terms(set.begin(), set.end());
  std::vector<std::string_view> views(terms.begin(), terms.end());
  std::string blocks, index, prefixes;
  WriteTermDict(views, &blocks, &index, &prefixes);
  ASSERT_OK_AND_ASSIGN(TermDictReader dict,
                       TermDictReader::Open(blocks, index, prefixes, terms.size()));
  std::vector<std::string> probes = terms;
  for (const std::string& t : terms) {
    probes.push_back(t + std::string(1, '\0'));
    probes.push_back(t.substr(0, t.size() - 1));
    std::string up = t;
    up.back() = static_cast<char>(static_cast<uint8_t>(up.back()) + 1);
    probes.push_back(up);
  }
  probes.push_back("");
  for (const std::string& key : probes) {
    const size_t expect = std::lower_bound(terms.begin(), terms.end(), key) - terms.begin();
    ASSERT_EQ(dict.LowerBound(key), expect) << ::testing::PrintToString(key);
    ASSERT_EQ(dict.Find(key).has_value(), expect < terms.size() && terms[expect] == key);
  }
}

TEST(TermDict, KeyPrefixesOfTheWrongSizeAreCorruption) {
  std::vector<std::string_view> terms = {"apple", "banana", "cherry"};
  std::string blocks, index, prefixes;
  WriteTermDict(terms, &blocks, &index, &prefixes);
  EXPECT_EQ(prefixes.size(), 8u);
  EXPECT_EQ(TermDictReader::Open(blocks, index, prefixes + "x", 3).status().code(),
            StatusCode::kCorruption);
}

TEST(TermDict, CorruptOffsetsGiveErrorsNotCrashes) {
  std::vector<std::string_view> terms = {"apple", "banana", "cherry"};
  std::string blocks, index, prefixes;
  WriteTermDict(terms, &blocks, &index, &prefixes);
  index[8] = '\x7f';  // Block end offset far beyond the blocks section.
  ASSERT_OK_AND_ASSIGN(TermDictReader dict, TermDictReader::Open(blocks, index, prefixes, 3));
  EXPECT_FALSE(dict.Find("banana").has_value());
  std::vector<std::string> out;
  EXPECT_EQ(dict.Terms(0, 3, &out).code(), StatusCode::kCorruption);
  EXPECT_EQ(TermDictReader::Open(blocks, index.substr(1), prefixes, 3).status().code(),
            StatusCode::kCorruption);
}

// Term (one term, the doc-id path) and Terms agree on damaged blocks: the
// same term, or both refuse; neither reads outside the section (ASan).
TEST(TermDict, TermAgreesWithTermsOnDamagedBlocks) {
  std::mt19937 rng(99);
  const std::vector<std::string> terms = RandomTerms(&rng, 200);
  std::vector<std::string_view> views(terms.begin(), terms.end());
  std::string good, index, prefixes;
  WriteTermDict(views, &good, &index, &prefixes);
  for (int flip = 0; flip < 300; ++flip) {
    std::string blocks = good;
    blocks[rng() % blocks.size()] ^= static_cast<char>(1 + rng() % 255);
    ASSERT_OK_AND_ASSIGN(TermDictReader dict,
                         TermDictReader::Open(blocks, index, prefixes, terms.size()));
    for (uint32_t ord = 0; ord < terms.size(); ++ord) {
      std::string one;
      std::vector<std::string> many;
      const bool ok = dict.Term(ord, &one);
      ASSERT_EQ(ok, dict.Terms(ord, 1, &many).ok()) << ord;
      if (ok) {
        ASSERT_EQ(one, many[0]);
      }
    }
  }
}

}  // namespace
}  // namespace libsearch::internal
