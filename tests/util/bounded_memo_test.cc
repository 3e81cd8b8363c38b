#include "util/bounded_memo.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

namespace libsearch::internal {
namespace {

size_t NoHeap(const int&) { return 0; }
// Each entry's bytes: the overhead (64) + its key (4 chars here).
constexpr size_t kEntry = 64 + 4;

std::string Key(int i) {
  std::string k = std::to_string(i);
  return std::string(4 - k.size(), '0') + k;
}

TEST(BoundedMemo, AWorkingSetUnderHalfTheBudgetIsNeverEvicted) {
  BoundedMemo<int> memo(2 * 100 * kEntry, NoHeap);  // 100 entries per generation.
  for (int i = 0; i < 100; ++i) memo.Put(Key(i), i);
  // Asked again and again, with other keys coming and going in between.
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 100; ++i) {
      const int* v = memo.Find(Key(i));
      ASSERT_NE(v, nullptr) << "round " << round << " key " << i;
      EXPECT_EQ(*v, i);
    }
  }
  EXPECT_LE(memo.size(), 200u);
}

TEST(BoundedMemo, ALargerWorkingSetLosesItsLeastRecentlyUsedFirst) {
  BoundedMemo<int> memo(2 * 100 * kEntry, NoHeap);
  for (int i = 0; i < 1000; ++i) {
    memo.Put(Key(i), i);
    if (i >= 10) {
      ASSERT_NE(memo.Find(Key(0)), nullptr) << i;  // Kept by use.
    }
  }
  EXPECT_EQ(memo.Find(Key(500)), nullptr);  // Not used since: dropped.
  EXPECT_NE(memo.Find(Key(999)), nullptr);  // The latest stays.
  EXPECT_LE(memo.size(), 200u);
}

// Random puts and finds against a map: a hit is always the value put last
// for that key, and the memo never holds more than its budget.
TEST(BoundedMemo, HitsAreAlwaysTheValuePutForTheKey) {
  BoundedMemo<int> memo(2 * 50 * kEntry, NoHeap);
  std::map<std::string, int> model;
  std::mt19937 rng(7);
  int hits = 0;
  for (int step = 0; step < 20000; ++step) {
    const std::string k = Key(static_cast<int>(rng() % 300));
    if (rng() % 2) {
      const int v = static_cast<int>(rng());
      memo.Put(k, v);
      model[k] = v;
    } else if (const int* v = memo.Find(k)) {
      ASSERT_EQ(*v, model.at(k)) << k;
      ++hits;
    }
    ASSERT_LE(memo.size(), 100u);
  }
  EXPECT_GT(hits, 1000);
}

}  // namespace
}  // namespace libsearch::internal
