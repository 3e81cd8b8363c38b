// The build's compressed postings (TermAccum): random lists fed the way the
// inverter feeds them (text terms a position at a time, prefix terms adding
// to a doc's tf several times, a parallel build's lists chained from other
// inverters) decode to exactly the plain docs, tfs and positions.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "index/inverter.h"

namespace libsearch::internal {
namespace {

struct PlainDoc {
  uint32_t tf = 0;
  std::vector<uint32_t> positions;
};
using PlainList = std::map<uint32_t, PlainDoc>;  // By doc.

// A doc number from a spread that covers 1-byte to 5-byte varint gaps.
uint32_t RandomDoc(std::mt19937_64* rng) {
  switch ((*rng)() % 4) {
    case 0: return static_cast<uint32_t>((*rng)() % 200);
    case 1: return static_cast<uint32_t>((*rng)() % 100000);
    case 2: return static_cast<uint32_t>((*rng)() % 0xfffffff0u);
    default: return 0xfffffffeu - static_cast<uint32_t>((*rng)() % 3);  // Near the top.
  }
}

// Feeds `docs` (ascending, disjoint from other inverters') to `acc` as
// Inverter::IndexField does for a text term; records them in `plain`.
void FeedText(const std::vector<uint32_t>& docs, std::mt19937_64* rng, TermAccum* acc,
              PlainList* plain) {
  for (uint32_t doc : docs) {
    PlainDoc& p = (*plain)[doc];
    acc->last_doc = doc;
    acc->doc_tf = 0;
    acc->last_position = 0;
    uint32_t position = static_cast<uint32_t>((*rng)() % 3 == 0 ? (*rng)() : (*rng)() % 50);
    const uint32_t tf = 1 + static_cast<uint32_t>((*rng)() % 6);
    for (uint32_t k = 0; k < tf; ++k) {
      ++acc->doc_tf;
      acc->AddPosition(position);
      p.positions.push_back(position);
      // Non-decreasing, as the analyser emits them (joined words repeat one).
      if (position < 0xffff0000u) position += static_cast<uint32_t>((*rng)() % 300);
    }
    p.tf = tf;
    acc->EndDoc();
  }
}

// As Inverter::AddPrefixes: a doc's tf arrives in parts; the last doc stays
// pending until TakeMerged.
void FeedPrefix(const std::vector<uint32_t>& docs, std::mt19937_64* rng, TermAccum* acc,
                PlainList* plain) {
  for (uint32_t doc : docs) {
    const uint32_t parts = 1 + static_cast<uint32_t>((*rng)() % 4);
    for (uint32_t k = 0; k < parts; ++k) {
      const uint32_t tf = 1 + static_cast<uint32_t>((*rng)() % 1000);
      if (acc->last_doc != doc) {
        if (acc->last_doc != acc->prev_doc) acc->EndDoc();
        acc->last_doc = doc;
        acc->doc_tf = 0;
      }
      acc->doc_tf += tf;
      (*plain)[doc].tf += tf;
    }
  }
}

TEST(TermAccumTest, RandomListsAndChainsDecodeToThePlainLists) {
  std::mt19937_64 rng(20261207);
  DecodedPostings got;
  for (int round = 0; round < 3000; ++round) {
    const bool text = rng() % 2 == 0;
    const size_t inverters = 1 + rng() % 4;
    // Distinct docs dealt to the inverters in runs, as a parallel build's
    // batches deal them.
    std::vector<uint32_t> all;
    const size_t n = rng() % 4 == 0 ? 1 + rng() % 2 : 1 + rng() % 400;
    while (all.size() < n) all.push_back(RandomDoc(&rng));
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    std::vector<std::vector<uint32_t>> dealt(inverters);
    for (size_t i = 0; i < all.size();) {
      const size_t run = 1 + rng() % 20;
      std::vector<uint32_t>& to = dealt[rng() % inverters];
      for (size_t k = 0; k < run && i < all.size(); ++k) to.push_back(all[i++]);
    }
    std::vector<TermAccum> accs(inverters);
    PlainList plain;
    for (size_t i = 0; i < inverters; ++i) {
      if (text) {
        FeedText(dealt[i], &rng, &accs[i], &plain);
      } else {
        FeedPrefix(dealt[i], &rng, &accs[i], &plain);
      }
    }
    // Chain the others on the first one that has docs (MergeTerms).
    for (size_t i = 1; i < inverters; ++i) {
      TermAccum* last = &accs[0];
      while (last->more != nullptr) last = last->more;
      last->more = &accs[i];
    }
    TakeMerged(&accs[0], &got);
    std::vector<uint32_t> docs, tfs, positions;
    for (const auto& [doc, p] : plain) {
      docs.push_back(doc);
      tfs.push_back(p.tf);
      positions.insert(positions.end(), p.positions.begin(), p.positions.end());
    }
    ASSERT_EQ(got.docs, docs) << "round " << round;
    ASSERT_EQ(got.tfs, tfs) << "round " << round;
    ASSERT_EQ(got.positions, positions) << "round " << round;
    for (const TermAccum& acc : accs) {  // Freed as taken.
      ASSERT_TRUE(acc.docs.empty());
      ASSERT_TRUE(acc.positions.empty());
      ASSERT_EQ(acc.more, nullptr);
    }
  }
}

}  // namespace
}  // namespace libsearch::internal
