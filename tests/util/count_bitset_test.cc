// CountBitset against a std::set on random sparse and dense sets: the count
// is exact whichever lines and 64-line groups were written, and the set is
// all-zero afterwards, ready for the next use (also after growing).
#include "util/count_bitset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

namespace libsearch::internal {
namespace {

TEST(CountBitset, CountsAndClearsRandomSets) {
  std::mt19937 rng(20261128);
  CountBitset bits;
  for (const uint32_t num_docs : {1u, 511u, 512u, 40000u, 300000u, 1000003u}) {
    bits.Reserve(num_docs);
    for (int round = 0; round < 20; ++round) {
      const uint32_t n = std::uniform_int_distribution<uint32_t>(0, round % 2 ? 40 : 5000)(rng);
      std::set<uint32_t> want;
      std::vector<uint32_t> sorted;
      for (uint32_t i = 0; i < n; ++i) {
        const uint32_t d = std::uniform_int_distribution<uint32_t>(0, num_docs - 1)(rng);
        want.insert(d);
        if (i % 3 == 0) {
          bits.Set(d);
        } else {
          sorted.push_back(d);
        }
      }
      std::sort(sorted.begin(), sorted.end());
      sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
      bits.SetSorted(sorted.data(), static_cast<uint32_t>(sorted.size()));
      if (round % 5 == 4 && num_docs > 2000) {  // A range as the runs of 128 docs write it.
        const uint32_t from = std::uniform_int_distribution<uint32_t>(0, num_docs - 1500)(rng);
        for (uint32_t d = from; d < from + 1300; ++d) {
          bits.words()[d >> 6] |= uint64_t{1} << (d & 63);
          want.insert(d);
        }
        bits.MarkRange(from, from + 1300);
      }
      ASSERT_EQ(bits.CountAndClear(), want.size()) << num_docs << " docs, round " << round;
      ASSERT_EQ(std::count(bits.words(), bits.words() + bits.num_words(), 0u),
                static_cast<ptrdiff_t>(bits.num_words()));
    }
  }
}

}  // namespace
}  // namespace libsearch::internal
