#include "live/merge_policy.h"

#include <algorithm>
#include <cmath>

namespace libsearch::internal {

uint64_t AllowedSegmentCount(uint64_t live_docs, const MergePolicyOptions& options) {
  // Lucene's tier budget: segments_per_tier segments of the floor size, then
  // as many of max_merge_at_once times that size, and so on; the last tier
  // holds what is left. Never fewer than segments_per_tier, so a small index
  // is left alone.
  const double floor = static_cast<double>(std::max<uint64_t>(options.floor_segment_docs, 1));
  const double max_size = static_cast<double>(std::max<uint64_t>(options.max_segment_docs, 1));
  double level = floor;
  double left = static_cast<double>(live_docs);
  double allowed = 0;
  while (true) {
    const double at_level = left / level;
    if (at_level < options.segments_per_tier || level >= max_size) {
      allowed += std::ceil(at_level);
      break;
    }
    allowed += options.segments_per_tier;
    left -= options.segments_per_tier * level;
    level = std::min(max_size, level * options.max_merge_at_once);
  }
  return std::max<uint64_t>(static_cast<uint64_t>(allowed), options.segments_per_tier);
}

std::vector<MergeWindow> FindMerges(const std::vector<SegmentSize>& segments,
                                    const MergePolicyOptions& options) {
  const size_t n = segments.size();
  std::vector<uint64_t> live(n), size(n);
  uint64_t total_live = 0;
  for (size_t i = 0; i < n; ++i) {
    live[i] = segments[i].docs - std::min(segments[i].deleted, segments[i].docs);
    size[i] = std::max(live[i], options.floor_segment_docs);
    total_live += live[i];
  }
  // A segment of half the maximum or more would only merge into something
  // too big: it stays out of tiered merges.
  auto too_large = [&](size_t i) { return live[i] >= options.max_segment_docs / 2; };
  std::vector<bool> used(n, false);
  std::vector<MergeWindow> windows;

  const uint64_t allowed = AllowedSegmentCount(total_live, options);
  uint64_t count = n;
  const size_t max_len = std::max<uint32_t>(options.max_merge_at_once, 2);
  while (count > allowed) {
    // The best run of 2..max_len free adjacent segments: Lucene's score,
    // lower is better: skew (largest / total, so runs of similar sizes win),
    // times a mild preference for smaller merges, times the share of docs
    // that survive (merges that drop deletes win).
    bool found = false;
    MergeWindow best;
    double best_score = 0;
    for (size_t b = 0; b < n; ++b) {
      uint64_t sum_size = 0, sum_live = 0, sum_docs = 0, largest = 0;
      for (size_t e = b; e < n && e - b < max_len; ++e) {
        if (used[e] || too_large(e)) break;
        sum_live += live[e];
        if (sum_live > options.max_segment_docs) break;
        sum_size += size[e];
        sum_docs += segments[e].docs;
        largest = std::max(largest, size[e]);
        if (e == b) continue;
        const double skew = static_cast<double>(largest) / static_cast<double>(sum_size);
        const double survive =
            sum_docs == 0 ? 1.0 : static_cast<double>(sum_live) / static_cast<double>(sum_docs);
        const double score =
            skew * std::pow(static_cast<double>(sum_size), 0.05) * survive * survive;
        if (!found || score < best_score) {
          found = true;
          best_score = score;
          best = {b, e + 1};
        }
      }
    }
    if (!found) break;
    for (size_t i = best.begin; i < best.end; ++i) used[i] = true;
    windows.push_back(best);
    count -= best.end - best.begin - 1;
  }
  // Segments with many deletes that no merge took: rewritten alone.
  for (size_t i = 0; i < n; ++i) {
    const SegmentSize& s = segments[i];
    if (!used[i] && s.docs > 0 && s.deleted > 0 &&
        static_cast<double>(s.deleted) >
            options.max_deleted_fraction * static_cast<double>(s.docs)) {
      windows.push_back({i, i + 1});
    }
  }
  std::sort(windows.begin(), windows.end(),
            [](const MergeWindow& a, const MergeWindow& b) { return a.begin < b.begin; });
  return windows;
}

namespace {

// floor(log_8(docs)): 1-7 docs are tier 0, 8-63 tier 1, ...
uint32_t GenerationTier(uint64_t docs) {
  uint32_t tier = 0;
  for (uint64_t d = std::max<uint64_t>(docs, 1); d >= kDeleteGenerationsPerTier;
       d /= kDeleteGenerationsPerTier) {
    ++tier;
  }
  return tier;
}

}  // namespace

size_t DeleteGenerationsToMerge(const std::vector<uint64_t>& sizes) {
  std::vector<uint64_t> s = sizes;
  size_t from = s.size() - 1;
  while (true) {
    const size_t n = s.size();
    const uint32_t tier = GenerationTier(s[n - 1]);
    size_t j = n - 1;
    while (j > 0 && GenerationTier(s[j - 1]) <= tier) --j;
    if (n - j < kDeleteGenerationsPerTier) break;
    uint64_t merged = 0;
    for (size_t i = j; i < n; ++i) merged += s[i];
    s.resize(j);
    s.push_back(merged);
    from = j;
  }
  return from;
}

}  // namespace libsearch::internal
