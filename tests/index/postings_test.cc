#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "index/bm25.h"
#include "index/postings_cursor.h"
#include "index/postings_writer.h"
#include "util/bitpack.h"

namespace libsearch::internal {
namespace {

struct Term {
  std::vector<uint32_t> docs, tfs, positions;
};

Term RandomTerm(std::mt19937* rng, uint32_t df, uint32_t num_docs) {
  Term t;
  std::vector<uint32_t> all(num_docs);
  for (uint32_t i = 0; i < num_docs; ++i) all[i] = i;
  std::shuffle(all.begin(), all.end(), *rng);
  t.docs.assign(all.begin(), all.begin() + df);
  std::sort(t.docs.begin(), t.docs.end());
  for (uint32_t i = 0; i < df; ++i) {
    const uint32_t tf = (*rng)() % 4 == 0 ? 1 + (*rng)() % 40 : 1;
    t.tfs.push_back(tf);
    uint32_t p = (*rng)() % 3;
    for (uint32_t k = 0; k < tf; ++k) {
      t.positions.push_back(p);
      p += 1 + (*rng)() % 300;
    }
  }
  return t;
}

// Encodes several terms into one sink, as a field would, and checks every
// cursor operation against the plain vectors, at block boundaries especially.
class PostingsTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(PostingsTest, CursorMatchesInput) {
  const uint32_t df = GetParam();
  const uint32_t num_docs = std::max<uint32_t>(df, 1) * 3 + 5;
  std::mt19937 rng(df);
  std::vector<uint8_t> norms(num_docs);
  for (auto& n : norms) n = static_cast<uint8_t>(rng() % 60);
  const NormInverseTable table = MakeNormInverseTable({}, 12.0f);
  PostingsSink sink;
  std::vector<Term> terms = {RandomTerm(&rng, 3, num_docs), RandomTerm(&rng, df, num_docs),
                             RandomTerm(&rng, std::min(df, 129u), num_docs)};
  std::vector<TermInfo> infos;
  for (const Term& t : terms) {
    infos.push_back(WritePostings(
        {t.docs.data(), t.tfs.data(), t.positions.data(), static_cast<uint32_t>(t.docs.size())},
        norms.data(), 2.5f, table, &sink));
  }
  FieldPostingsView view{sink.postings,
                         sink.positions,
                         sink.last_doc.data(),
                         sink.max_score.data(),
                         sink.info.data(),
                         sink.info.size(),
                         num_docs};
  for (size_t ti = 0; ti < terms.size(); ++ti) {
    const Term& t = terms[ti];
    // Sequential walk with positions.
    PostingsCursor c(&view, infos[ti]);
    size_t pos_at = 0;
    float max_score = 0;
    std::vector<uint32_t> got;
    for (size_t i = 0; i < t.docs.size(); ++i) {
      ASSERT_EQ(c.doc(), t.docs[i]) << "df " << t.docs.size() << " i " << i;
      ASSERT_EQ(c.freq(), t.tfs[i]);
      c.Positions(&got);
      ASSERT_EQ(got, std::vector<uint32_t>(t.positions.begin() + pos_at,
                                           t.positions.begin() + pos_at + t.tfs[i]));
      pos_at += t.tfs[i];
      const float s = Bm25Score(2.5f, t.tfs[i], table[norms[t.docs[i]]]);
      if (c.has_block_entries()) {
        EXPECT_LE(s, c.block_max_score()) << "block bound must hold";
      }
      max_score = std::max(max_score, s);
      c.Next();
    }
    EXPECT_EQ(c.doc(), kNoMoreDocs);
    EXPECT_FALSE(c.corrupt());
    // Only terms of two or more blocks have block entries (2.x).
    EXPECT_EQ(c.has_block_entries(), t.docs.size() > 128);
    if (c.has_block_entries()) {
      EXPECT_EQ(c.StoredMax(), max_score);
    }
    EXPECT_EQ(infos[ti].inline_tf != 0, t.docs.size() == 1);
    // Random Advance targets agree with lower_bound; positions still right
    // after skipping (they are decoded lazily within a block).
    for (int trial = 0; trial < 20; ++trial) {
      PostingsCursor a(&view, infos[ti]);
      uint32_t target = 0;
      while (true) {
        target += rng() % 50;
        const auto it = std::lower_bound(t.docs.begin(), t.docs.end(), target);
        const uint32_t d = a.Advance(target);
        if (it == t.docs.end()) {
          ASSERT_EQ(d, kNoMoreDocs);
          break;
        }
        ASSERT_EQ(d, *it);
        const size_t i = it - t.docs.begin();
        ASSERT_EQ(a.freq(), t.tfs[i]);
        if (trial % 4 == 0) {
          size_t start = 0;
          for (size_t k = 0; k < i; ++k) start += t.tfs[k];
          a.Positions(&got);
          ASSERT_EQ(got.size(), t.tfs[i]);
          ASSERT_EQ(got[0], t.positions[start]);
        }
        target = d + 1;
      }
    }
  }
}

// OrInto (COUNT's docs-only decode) sets exactly the remaining docs, from any
// starting point: the first doc, mid-block, a block's last doc.
TEST_P(PostingsTest, OrIntoSetsRemainingDocs) {
  const uint32_t df = GetParam();
  const uint32_t num_docs = df * 3 + 70;
  std::mt19937 rng(df + 7);
  const NormInverseTable table = MakeNormInverseTable({}, 5.0f);
  PostingsSink sink;
  const Term t = RandomTerm(&rng, df, num_docs);
  const TermInfo info =
      WritePostings({t.docs.data(), t.tfs.data(), nullptr, df}, nullptr, 1.0f, table, &sink);
  FieldPostingsView view{
      sink.postings,    "",      sink.last_doc.data(), sink.max_score.data(), sink.info.data(),
      sink.info.size(), num_docs};
  for (const uint32_t skip : {0u, 1u, 127u, 128u, 200u, df}) {
    if (skip > df) continue;
    PostingsCursor c(&view, info);
    for (uint32_t i = 0; i < skip; ++i) c.Next();
    CountBitset set;
    set.Reserve(num_docs);
    c.OrInto(&set);
    EXPECT_EQ(c.doc(), kNoMoreDocs);
    EXPECT_FALSE(c.corrupt());
    const uint64_t* bits = set.words();
    for (uint32_t d = 0, i = 0; d < num_docs; ++d) {
      const bool want = i < df && t.docs[i] == d && i >= skip;
      if (i < df && t.docs[i] == d) ++i;
      ASSERT_EQ((bits[d >> 6] >> (d & 63)) & 1, want ? 1u : 0u) << "doc " << d << " skip " << skip;
    }
    EXPECT_EQ(set.CountAndClear(), df - skip);
    EXPECT_EQ(std::count(bits, bits + set.num_words(), 0u),
              static_cast<ptrdiff_t>(set.num_words()));
  }
}

// COUNT's bitset counts only the 512-doc lines marked as written: runs of
// 128 consecutive docs (a bit range) and bitmap blocks (ORed words) must
// mark every line they span, decoded blocks each doc's. Long runs and dense
// stretches span lines no other block touches.
TEST(Postings, CountBitsetCountsEveryBlockKind) {
  const uint32_t num_docs = 20000;
  std::mt19937 rng(11);
  const NormInverseTable table = MakeNormInverseTable({}, 5.0f);
  std::vector<std::vector<uint32_t>> lists(3);
  for (uint32_t d = 0; d < 6000; ++d) lists[0].push_back(d);                       // Runs.
  for (uint32_t d = 1; d < 12000; d += 2) lists[1].push_back(d);                   // Bitmaps.
  for (uint32_t d = 7; d < num_docs; d += 1 + rng() % 300) lists[2].push_back(d);  // Packed.
  for (uint32_t d = 14000; d < 19000; ++d) lists[2].push_back(d);
  std::sort(lists[2].begin(), lists[2].end());
  lists[2].erase(std::unique(lists[2].begin(), lists[2].end()), lists[2].end());
  PostingsSink sink;
  std::vector<TermInfo> infos;
  for (const auto& docs : lists) {
    const std::vector<uint32_t> tfs(docs.size(), 1);
    infos.push_back(
        WritePostings({docs.data(), tfs.data(), nullptr, static_cast<uint32_t>(docs.size())},
                      nullptr, 1.0f, table, &sink));
  }
  FieldPostingsView view{
      sink.postings,    "",      sink.last_doc.data(), sink.max_score.data(), sink.info.data(),
      sink.info.size(), num_docs};
  CountBitset set;
  set.Reserve(num_docs);
  std::vector<bool> all(num_docs);
  for (size_t t = 0; t < lists.size(); ++t) {
    PostingsCursor one(&view, infos[t]);
    one.OrInto(&set);
    EXPECT_EQ(set.CountAndClear(), lists[t].size()) << "list " << t;
    for (uint32_t d : lists[t]) all[d] = true;
  }
  for (size_t t = 0; t < lists.size(); ++t) {
    PostingsCursor c(&view, infos[t]);
    c.OrInto(&set);
  }
  EXPECT_EQ(set.CountAndClear(), static_cast<uint64_t>(std::count(all.begin(), all.end(), true)));
  EXPECT_EQ(std::count(set.words(), set.words() + set.num_words(), 0u),
            static_cast<ptrdiff_t>(set.num_words()));
}

// The stored block maxima are recognised as exact only for the weight and
// parameters they were written with, and not once one of them is damaged.
TEST_P(PostingsTest, StoredMaximaExactOnlyForBuildParameters) {
  const uint32_t df = GetParam();
  const uint32_t num_docs = df * 2 + 7;
  std::mt19937 rng(df + 99);
  std::vector<uint8_t> norms(num_docs);
  for (auto& n : norms) n = static_cast<uint8_t>(rng() % 60);
  const NormInverseTable table = MakeNormInverseTable({}, 9.0f);
  PostingsSink sink;
  const Term t = RandomTerm(&rng, df, num_docs);
  const TermInfo info =
      WritePostings({t.docs.data(), t.tfs.data(), nullptr, df}, norms.data(), 1.75f, table, &sink);
  FieldPostingsView view{
      sink.postings,    "",      sink.last_doc.data(), sink.max_score.data(), sink.info.data(),
      sink.info.size(), num_docs};
  if (df <= 128) {  // One block: no stored maxima, bounds are computed at query time.
    EXPECT_FALSE(StoredMaximaExact(&view, info, norms.data(), 1.75f, table));
    EXPECT_TRUE(sink.max_score.empty());
    return;
  }
  EXPECT_TRUE(StoredMaximaExact(&view, info, norms.data(), 1.75f, table));
  EXPECT_FALSE(StoredMaximaExact(&view, info, norms.data(), 1.5f, table));
  EXPECT_FALSE(StoredMaximaExact(&view, info, norms.data(), 1.75f,
                                 MakeNormInverseTable({2.0f, 0.3f}, 9.0f)));
  sink.max_score.back() = std::nextafter(sink.max_score.back(), 100.0f);
  EXPECT_FALSE(StoredMaximaExact(&view, info, norms.data(), 1.75f, table));
}

// 127/128/129 straddle the packed/varint boundary; 256 is two full blocks.
INSTANTIATE_TEST_SUITE_P(DocFreqs, PostingsTest,
                         ::testing::Values(1u, 2u, 127u, 128u, 129u, 255u, 256u, 257u, 1000u));

TEST(Postings, CorruptPayloadEndsCursorWithFlag) {
  std::vector<uint32_t> docs(300), tfs(300, 1);
  for (uint32_t i = 0; i < 300; ++i) docs[i] = i * 2;
  PostingsSink sink;
  const NormInverseTable table = MakeNormInverseTable({}, 1.0f);
  const TermInfo info =
      WritePostings({docs.data(), tfs.data(), nullptr, 300}, nullptr, 1.0f, table, &sink);
  FieldPostingsView view{
      sink.postings,    "", sink.last_doc.data(), sink.max_score.data(), sink.info.data(),
      sink.info.size(), 600};
  sink.info[1].doc_bits = 40;  // Impossible width.
  PostingsCursor c(&view, info);
  uint32_t n = 0;
  while (c.doc() != kNoMoreDocs) {
    c.Next();
    ++n;
  }
  EXPECT_EQ(n, 128u);  // The first block was fine.
  EXPECT_TRUE(c.corrupt());
  {  // COUNT's docs-only decode stops the same way.
    PostingsCursor oc(&view, info);
    CountBitset bits;
    bits.Reserve(600);
    oc.OrInto(&bits);
    EXPECT_TRUE(oc.corrupt());
    EXPECT_EQ(oc.doc(), kNoMoreDocs);
  }
  view.num_docs = 100;  // Ids beyond the doc count are corruption too.
  PostingsCursor c2(&view, info);
  EXPECT_EQ(c2.doc(), kNoMoreDocs);
  EXPECT_TRUE(c2.corrupt());
}

// A packed block checks only its last id when its gaps cannot wrap (width
// <= 24). Wide gaps that wrap around 2^32 onto the right last id must still
// be caught: then every id of the block is checked.
TEST(Postings, WrappingWideGapsAreCorrupt) {
  std::vector<uint32_t> docs(256), tfs(256, 1);
  for (uint32_t i = 0; i < 256; ++i) docs[i] = i;
  for (uint32_t b : {0u, 1u}) {
    PostingsSink sink;
    const NormInverseTable table = MakeNormInverseTable({}, 1.0f);
    const TermInfo info =
        WritePostings({docs.data(), tfs.data(), nullptr, 256}, nullptr, 1.0f, table, &sink);
    // Block b as 32-bit gaps: its first id is 2^31 and more, the second gap
    // wraps around to the block's own second id, and the last id is right.
    std::vector<uint32_t> gaps(128, 0), zeros(128, 0);
    gaps[0] = 0x80000000u;
    gaps[1] = 0x80000000u;
    sink.info[b].doc_offset = static_cast<uint32_t>(sink.postings.size() - info.postings_offset);
    sink.info[b].doc_bits = 32;
    sink.info[b].tf_bits = 0;
    PackBlock(gaps.data(), 32, &sink.postings);
    PackBlock(zeros.data(), 0, &sink.postings);
    FieldPostingsView view{
        sink.postings,    "", sink.last_doc.data(), sink.max_score.data(), sink.info.data(),
        sink.info.size(), 256};
    PostingsCursor c(&view, info);
    uint32_t n = 0;
    for (; c.doc() != kNoMoreDocs; c.Next(), ++n) ASSERT_LT(c.doc(), 256u) << "block " << b;
    EXPECT_EQ(n, 128 * b) << "block " << b;
    EXPECT_TRUE(c.corrupt()) << "block " << b;
  }
}

// Damaged skip data: a block whose stored last doc is past the index. Block-
// max collectors walk windows up to the last doc shallow skipping reports,
// so the cursor must end (corrupt) rather than report it: a fuzzed 660-doc
// file took 1-2 s per search under ASan, window by window up to ~2^32
// (tests/fuzz/corpus/index_reader/regression-skip-data-past-the-index-*).
TEST(Postings, SkipDataPastTheIndexIsCorrupt) {
  std::vector<uint32_t> docs(300), tfs(300, 1);
  for (uint32_t i = 0; i < 300; ++i) docs[i] = i * 2;
  PostingsSink sink;
  const NormInverseTable table = MakeNormInverseTable({}, 1.0f);
  const TermInfo info =
      WritePostings({docs.data(), tfs.data(), nullptr, 300}, nullptr, 1.0f, table, &sink);
  FieldPostingsView view{
      sink.postings,    "", sink.last_doc.data(), sink.max_score.data(), sink.info.data(),
      sink.info.size(), 600};
  {
    PostingsCursor intact(&view, info);
    EXPECT_EQ(intact.ShallowAdvance(300), sink.last_doc[1]);
    EXPECT_FALSE(intact.corrupt());
  }
  sink.last_doc[1] = 0xfffffff0u;
  PostingsCursor c(&view, info);
  EXPECT_EQ(c.ShallowAdvance(0), sink.last_doc[0]);  // The first block is fine.
  EXPECT_FALSE(c.corrupt());
  EXPECT_EQ(c.ShallowAdvance(300), kNoMoreDocs);
  EXPECT_TRUE(c.corrupt());
  EXPECT_EQ(c.doc(), kNoMoreDocs);
}

}  // namespace
}  // namespace libsearch::internal
