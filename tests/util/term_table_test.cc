// TermTable against std::unordered_map on random keys (fixed seed): short
// keys from a small alphabet so most lookups hit and tags collide, long
// ones, the empty key and keys with NUL bytes.
#include "util/term_table.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace libsearch::internal {
namespace {

TEST(TermTable, MatchesUnorderedMapOnRandomKeys) {
  std::mt19937_64 rng(7);
  TermTable table;
  std::unordered_map<std::string, uint32_t> oracle;
  std::vector<std::string> by_id;
  for (int i = 0; i < 300000; ++i) {
    std::string key;
    const uint64_t kind = rng() % 10;
    const size_t len = kind < 7 ? rng() % 4 : kind < 9 ? rng() % 40 : rng() % 300;
    for (size_t j = 0; j < len; ++j) {
      key.push_back(kind < 7 ? static_cast<char>('a' + rng() % 6) : static_cast<char>(rng()));
    }
    if (rng() % 3 == 0) {  // Find only.
      auto it = oracle.find(key);
      ASSERT_EQ(table.Find(key), it == oracle.end() ? TermTable::kNotFound : it->second);
      continue;
    }
    bool inserted;
    const uint32_t id = table.Insert(key, TermTable::Hash(key), &inserted);
    auto [it, oracle_inserted] = oracle.try_emplace(key, static_cast<uint32_t>(by_id.size()));
    ASSERT_EQ(inserted, oracle_inserted) << i;
    ASSERT_EQ(id, it->second) << i;
    if (inserted) by_id.push_back(key);
  }
  ASSERT_EQ(table.size(), by_id.size());
  for (uint32_t id = 0; id < by_id.size(); ++id) {
    ASSERT_EQ(table.Term(id), by_id[id]);
    ASSERT_EQ(table.Find(by_id[id]), id);
  }
  EXPECT_EQ(TermTable().Find(""), TermTable::kNotFound);
}

}  // namespace
}  // namespace libsearch::internal
