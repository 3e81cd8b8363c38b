// The merge policy: a pure function from segment sizes to windows of
// adjacent segments.
#include "live/merge_policy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace libsearch::internal {
namespace {

std::vector<SegmentSize> Sizes(const std::vector<uint64_t>& live) {
  std::vector<SegmentSize> s;
  for (uint64_t n : live) s.push_back({n, 0});
  return s;
}

TEST(MergePolicy, FewSegmentsAreLeftAlone) {
  MergePolicyOptions o;
  EXPECT_TRUE(FindMerges({}, o).empty());
  EXPECT_TRUE(FindMerges(Sizes({1, 1, 1, 1, 1, 1, 1, 1, 1, 1}), o).empty());
  EXPECT_TRUE(FindMerges(Sizes({100000, 10, 10}), o).empty());
}

TEST(MergePolicy, ManySmallSegmentsMergeAtOnce) {
  MergePolicyOptions o;
  // 11 tiny segments: over the 10 a tier allows; the ten after... any ten
  // adjacent ones of equal size score the same, so the first run wins.
  const auto w = FindMerges(Sizes(std::vector<uint64_t>(11, 5)), o);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], (MergeWindow{0, 10}));
}

TEST(MergePolicy, PrefersRunsOfSimilarSizes) {
  MergePolicyOptions o;
  // A big segment, then 25 small ones: 26 segments, over the 20 the tiers
  // allow for 100125 docs. Ten small ones merge, never the big one.
  std::vector<uint64_t> live = {100000};
  live.resize(26, 5);
  EXPECT_EQ(AllowedSegmentCount(100125, o), 20u);
  const auto w = FindMerges(Sizes(live), o);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], (MergeWindow{1, 11}));
}

TEST(MergePolicy, RewritesSegmentsWithManyDeletes) {
  MergePolicyOptions o;
  std::vector<SegmentSize> s = {{1000, 100}, {1000, 400}, {1000, 0}};
  const auto w = FindMerges(s, o);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], (MergeWindow{1, 2}));
  o.max_deleted_fraction = 1.0;
  EXPECT_TRUE(FindMerges(s, o).empty());
}

TEST(MergePolicy, LargeSegmentsStayOut) {
  MergePolicyOptions o;
  o.segments_per_tier = 2;
  o.max_segment_docs = 100;
  o.floor_segment_docs = 1;
  // Every segment is at least half the maximum: nothing can merge.
  EXPECT_TRUE(FindMerges(Sizes({60, 60, 60, 60}), o).empty());
  // The small ones merge, never across the large one in between.
  o.floor_segment_docs = 10;
  const auto w = FindMerges(Sizes({10, 60, 10, 10, 10, 10, 10, 10, 10, 10}), o);
  for (const MergeWindow& m : w) {
    EXPECT_FALSE(m.begin <= 1 && 1 < m.end);
    uint64_t sum = 0;
    for (size_t i = m.begin; i < m.end; ++i) sum += i == 1 ? 60 : 10;
    EXPECT_LE(sum, 100u);
  }
  EXPECT_FALSE(w.empty());
}

TEST(MergePolicy, AllowedCountGrowsLogarithmically) {
  MergePolicyOptions o;
  EXPECT_EQ(AllowedSegmentCount(0, o), 10u);
  EXPECT_EQ(AllowedSegmentCount(10'000, o), 10u);
  EXPECT_EQ(AllowedSegmentCount(20'000, o), 11u);
  EXPECT_EQ(AllowedSegmentCount(110'000, o), 20u);
  EXPECT_LE(AllowedSegmentCount(100'000'000, o), 60u);
}

// Random inputs: windows are disjoint, ascending, in range, at most
// max_merge_at_once long, within max_segment_docs, and applying them
// repeatedly reaches a fixed point with no more segments than allowed
// (or only segments that cannot merge).
TEST(MergePolicy, RandomInvariants) {
  std::mt19937_64 rng(17);
  for (int round = 0; round < 300; ++round) {
    MergePolicyOptions o;
    o.segments_per_tier = 2 + rng() % 9;
    o.max_merge_at_once = 2 + rng() % 9;
    o.floor_segment_docs = rng() % 2000;
    o.max_segment_docs = 1000 + rng() % 1'000'000;
    std::vector<SegmentSize> segs(rng() % 40);
    for (auto& s : segs) {
      s.docs = 1 + rng() % 50000;
      s.deleted = rng() % 3 == 0 ? rng() % (s.docs + 1) : 0;
    }
    for (int step = 0; step < 100; ++step) {
      const auto w = FindMerges(segs, o);
      if (w.empty()) break;
      size_t prev_end = 0;
      for (const MergeWindow& m : w) {
        ASSERT_GE(m.begin, prev_end);
        ASSERT_LT(m.begin, m.end);
        ASSERT_LE(m.end, segs.size());
        ASSERT_LE(m.end - m.begin, o.max_merge_at_once);
        prev_end = m.end;
        if (m.end - m.begin > 1) {
          uint64_t live = 0;
          for (size_t i = m.begin; i < m.end; ++i) live += segs[i].docs - segs[i].deleted;
          ASSERT_LE(live, o.max_segment_docs);
        } else {
          ASSERT_GT(segs[m.begin].deleted, 0u);
        }
      }
      // Apply, last window first.
      for (auto m = w.rbegin(); m != w.rend(); ++m) {
        uint64_t live = 0;
        for (size_t i = m->begin; i < m->end; ++i) live += segs[i].docs - segs[i].deleted;
        segs.erase(segs.begin() + m->begin, segs.begin() + m->end);
        if (live > 0) segs.insert(segs.begin() + m->begin, SegmentSize{live, 0});
      }
      ASSERT_LT(step, 99) << "no fixed point";
    }
  }
}

// Delete generations: a pure function of their sizes, oldest first.
TEST(DeleteGenerations, TheNewestMergeByTiersOfEight) {
  EXPECT_EQ(DeleteGenerationsToMerge({5}), 0u);  // Only the new one: nothing to merge.
  EXPECT_EQ(DeleteGenerationsToMerge({1, 1, 1, 1, 1, 1, 1}), 6u);
  EXPECT_EQ(DeleteGenerationsToMerge({1, 1, 1, 1, 1, 1, 1, 1}), 0u);
  // Larger, older generations stay out.
  EXPECT_EQ(DeleteGenerationsToMerge({8, 1, 1, 1, 1, 1, 1, 1, 1}), 1u);
  // A merge that makes the eighth of the next tier merges again.
  EXPECT_EQ(DeleteGenerationsToMerge({8, 8, 8, 8, 8, 8, 8, 1, 1, 1, 1, 1, 1, 1, 1}), 0u);
  // A large new generation takes the smaller ones before it along once it is
  // the eighth of its tier or above.
  EXPECT_EQ(DeleteGenerationsToMerge({1000, 1, 1, 1, 1, 1, 1, 1000}), 0u);
  EXPECT_EQ(DeleteGenerationsToMerge({1000, 1, 1, 1, 1, 1, 1000}), 6u);
}

// Random commit sizes: few generations at any time, and each deleted doc
// indexed into a tombstone a logarithmic number of times.
TEST(DeleteGenerations, RandomCommitsKeepFewAndCostLittle) {
  std::mt19937_64 rng(5);
  for (int run = 0; run < 20; ++run) {
    std::vector<uint64_t> gens;
    uint64_t total = 0, indexed = 0;
    const uint64_t max_batch = 1 + rng() % 2000;
    for (int commit = 0; commit < 2000; ++commit) {
      gens.push_back(1 + rng() % max_batch);
      total += gens.back();
      const size_t from = DeleteGenerationsToMerge(gens);
      ASSERT_LT(from, gens.size());
      uint64_t merged = 0;
      for (size_t i = from; i < gens.size(); ++i) merged += gens[i];
      gens.resize(from);
      gens.push_back(merged);
      indexed += merged;
      uint64_t sum = 0;
      for (uint64_t g : gens) sum += g;
      ASSERT_EQ(sum, total);
      // 7 per tier at most, tiers of 8 up to the total.
      const double tiers = std::log(static_cast<double>(total)) / std::log(8.0) + 1;
      ASSERT_LE(static_cast<double>(gens.size()), 7 * tiers + 1) << "commit " << commit;
    }
    const double per_doc = static_cast<double>(indexed) / static_cast<double>(total);
    EXPECT_LE(per_doc, std::log(static_cast<double>(total)) / std::log(8.0) + 2) << "run " << run;
  }
}

}  // namespace
}  // namespace libsearch::internal
