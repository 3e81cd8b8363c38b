// Bitmap postings blocks (format 2.1) against plain arrays: random lists
// that mix dense runs (bitmap blocks), sparse stretches (packed), runs of
// consecutive docs (width 0) and partial tails (varint), with fixed seeds.
// Every cursor operation (iteration, freq, positions, Advance, OrInto) must
// give exactly the input, from any starting point.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "index/bm25.h"
#include "index/postings_cursor.h"
#include "index/postings_writer.h"
#include "util/bitpack.h"

namespace libsearch::internal {
namespace {

struct List {
  std::vector<uint32_t> docs, tfs, positions;
};

// Positions and tfs for given docs (tf 1 mostly, as in real text).
List WithTfs(std::vector<uint32_t> docs, std::mt19937* rng) {
  List l;
  l.docs = std::move(docs);
  for (size_t i = 0; i < l.docs.size(); ++i) {
    const uint32_t tf = (*rng)() % 3 == 0 ? 1 + (*rng)() % 9 : 1;
    l.tfs.push_back(tf);
    uint32_t p = (*rng)() % 5;
    for (uint32_t k = 0; k < tf; ++k) {
      l.positions.push_back(p);
      p += 1 + (*rng)() % 50;
    }
  }
  return l;
}

// A list over [0, num_docs) made of stretches of random length, each with
// its own density: dense (most docs), sparse, all docs, or none.
List MixedList(std::mt19937* rng, uint32_t num_docs) {
  std::vector<uint32_t> docs;
  for (uint32_t d = 0; d < num_docs;) {
    const uint32_t kind = (*rng)() % 4;
    const uint32_t len = 1 + (*rng)() % (kind == 1 ? 8000 : 700);
    const double p = kind == 0   ? 0.3 + 0.7 * ((*rng)() % 1000) / 1000.0    // Dense.
                     : kind == 1 ? 0.002 + 0.1 * ((*rng)() % 1000) / 1000.0  // Sparse.
                     : kind == 2 ? 1.0                                       // Every doc.
                                 : 0.0;
    for (uint32_t e = std::min(num_docs, d + len); d < e; ++d) {
      if (p >= 1.0 || ((*rng)() % 1000000) < p * 1000000) docs.push_back(d);
    }
  }
  return WithTfs(std::move(docs), rng);
}

// 128 gaps of width exactly `width` (one gap is 2^width - 1) whose docs span
// exactly `span` ids after doc -1, as one list of 256 docs: this block, then
// 128 more docs spaced 50 apart (a packed block).
List BlockWithSpan(uint32_t width, uint32_t span, std::mt19937* rng) {
  const uint32_t max_gap = (1u << width) - 1;
  std::vector<uint32_t> gaps(128, 0);
  gaps[0] = max_gap;
  uint32_t left = span - 128 - max_gap;  // Gaps sum to span - 128.
  for (uint32_t i = 1; left > 0; i = 1 + (i % 127)) {
    const uint32_t add =
        std::min<uint32_t>(left, std::min<uint32_t>(max_gap - gaps[i], 1 + (*rng)() % 3));
    gaps[i] += add;
    left -= add;
  }
  std::vector<uint32_t> docs;
  uint32_t d = 0xffffffffu;
  for (uint32_t g : gaps) docs.push_back(d += g + 1);
  for (int i = 0; i < 128; ++i) docs.push_back(d += 50);
  return WithTfs(std::move(docs), rng);
}

// Writes the lists into one sink (so offsets are nonzero) and checks each.
class Checker {
 public:
  explicit Checker(uint32_t num_docs)
      : num_docs_(num_docs), table_(MakeNormInverseTable({}, 10.0f)) {
    std::mt19937 rng(num_docs);
    norms_.resize(num_docs);
    for (auto& n : norms_) n = static_cast<uint8_t>(rng() % 50);
  }

  TermInfo Add(const List& l) {
    return WritePostings(
        {l.docs.data(), l.tfs.data(), l.positions.data(), static_cast<uint32_t>(l.docs.size())},
        norms_.data(), 1.5f, table_, &sink_);
  }
  FieldPostingsView View() const {
    return {sink_.postings,
            sink_.positions,
            sink_.last_doc.data(),
            sink_.max_score.data(),
            sink_.info.data(),
            sink_.info.size(),
            num_docs_};
  }
  PostingsSink& sink() { return sink_; }

  // How many of the term's blocks are bitmaps.
  int BitmapBlocks(const TermInfo& ti, const List& l) const {
    if (ti.first_block == kNoBlockEntries) return 0;
    int n = 0;
    for (size_t b = 0; b < (l.docs.size() + 127) / 128; ++b) {
      n += sink_.info[ti.first_block + b].flags == kBlockBitmap;
    }
    return n;
  }

  void Check(const TermInfo& ti, const List& l, std::mt19937* rng) {
    const FieldPostingsView view = View();
    const uint32_t df = static_cast<uint32_t>(l.docs.size());
    {  // Every doc, freq and position in order.
      PostingsCursor c(&view, ti);
      std::vector<uint32_t> got;
      size_t at = 0;
      for (uint32_t i = 0; i < df; ++i) {
        ASSERT_EQ(c.doc(), l.docs[i]) << "i " << i;
        ASSERT_EQ(c.freq(), l.tfs[i]) << "i " << i;
        if (i % 3 != 1) {  // Skipping some exercises the lazy positions skip.
          c.Positions(&got);
          ASSERT_EQ(got, std::vector<uint32_t>(l.positions.begin() + at,
                                               l.positions.begin() + at + l.tfs[i]))
              << "i " << i;
        }
        at += l.tfs[i];
        c.Next();
      }
      ASSERT_EQ(c.doc(), kNoMoreDocs);
      ASSERT_FALSE(c.corrupt());
    }
    for (int trial = 0; trial < 8; ++trial) {  // Advance = lower_bound, then freq/positions.
      PostingsCursor c(&view, ti);
      std::vector<uint32_t> got;
      const uint32_t step = 1 + (*rng)() % (trial < 4 ? 8 : 400);
      for (uint32_t target = (*rng)() % step;; target += 1 + (*rng)() % step) {
        const auto it = std::lower_bound(l.docs.begin(), l.docs.end(), target);
        const uint32_t d = c.Advance(target);
        if (it == l.docs.end()) {
          ASSERT_EQ(d, kNoMoreDocs);
          break;
        }
        ASSERT_EQ(d, *it) << "target " << target;
        const size_t i = it - l.docs.begin();
        ASSERT_EQ(c.freq(), l.tfs[i]);
        if ((*rng)() % 4 == 0) {
          size_t at = 0;
          for (size_t k = 0; k < i; ++k) at += l.tfs[k];
          c.Positions(&got);
          ASSERT_EQ(got, std::vector<uint32_t>(l.positions.begin() + at,
                                               l.positions.begin() + at + l.tfs[i]));
        }
        target = std::max(target, d);
      }
      ASSERT_FALSE(c.corrupt());
    }
    for (int trial = 0; trial < 4; ++trial) {  // Next and Advance interleaved.
      PostingsCursor c(&view, ti);
      std::vector<uint32_t> got;
      size_t i = 0;
      while (i < df) {
        ASSERT_EQ(c.doc(), l.docs[i]);
        ASSERT_EQ(c.freq(), l.tfs[i]);
        if ((*rng)() % 5 == 0) {
          size_t at = 0;
          for (size_t k = 0; k < i; ++k) at += l.tfs[k];
          c.Positions(&got);
          ASSERT_EQ(got, std::vector<uint32_t>(l.positions.begin() + at,
                                               l.positions.begin() + at + l.tfs[i]));
        }
        if ((*rng)() % 2 == 0) {
          c.Next();
          ++i;
        } else {
          const uint32_t target = l.docs[i] + 1 + (*rng)() % (trial % 2 ? 5 : 300);
          i = std::lower_bound(l.docs.begin(), l.docs.end(), target) - l.docs.begin();
          c.Advance(target);
        }
      }
      ASSERT_EQ(c.doc(), kNoMoreDocs);
      ASSERT_FALSE(c.corrupt());
    }
    // OrInto from the start, mid-block, block ends and random points, into
    // a bitset that already has bits set (OR, not assign).
    std::vector<uint32_t> skips = {0, 1, 126, 127, 128, 129, 255, 256, df - (df > 0), df};
    for (int i = 0; i < 6; ++i) skips.push_back(df == 0 ? 0 : static_cast<uint32_t>((*rng)() % df));
    for (const uint32_t skip : skips) {
      if (skip > df) continue;
      PostingsCursor c(&view, ti);
      if (skip % 2 == 1 && skip < df) {
        c.Advance(l.docs[skip]);  // Mid-block by a seek (bitmap words, not decoded).
      } else {
        for (uint32_t i = 0; i < skip; ++i) c.Next();
      }
      // Words past num_docs (the set rounds up to 512-doc lines) stay 0.
      CountBitset set;
      set.Reserve(num_docs_);
      std::vector<uint64_t> want(set.num_words(), 0);
      for (uint32_t d = 0; d < num_docs_; d += 7 * 64 + 63) {
        set.Set(d);
        want[d >> 6] |= uint64_t{1} << (d & 63);
      }
      for (uint32_t i = skip; i < df; ++i) want[l.docs[i] >> 6] |= uint64_t{1} << (l.docs[i] & 63);
      c.OrInto(&set);
      ASSERT_EQ(c.doc(), kNoMoreDocs);
      ASSERT_FALSE(c.corrupt());
      auto bits = [&] { return std::vector<uint64_t>(set.words(), set.words() + set.num_words()); };
      ASSERT_EQ(bits(), want) << "skip " << skip << " df " << df;
      c.OrInto(&set);  // At the end: a no-op.
      ASSERT_EQ(bits(), want);
      // Counting reads only the lines marked written: every bit is counted
      // (bitmap words and runs mark their spans), then all are cleared.
      uint64_t ones = 0;
      for (uint64_t w : want) ones += static_cast<uint64_t>(__builtin_popcountll(w));
      ASSERT_EQ(set.CountAndClear(), ones) << "skip " << skip << " df " << df;
      ASSERT_EQ(bits(), std::vector<uint64_t>(set.num_words(), 0));
    }
  }

 private:
  uint32_t num_docs_;
  std::vector<uint8_t> norms_;
  NormInverseTable table_;
  PostingsSink sink_;
};

// Mixed random lists: the seeds cover hundreds of bitmap, packed, width-0
// and varint blocks at every alignment of a block's first doc.
TEST(BitmapPostings, MixedListsMatchArrays) {
  int bitmaps = 0, packed = 0, runs = 0;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    const uint32_t num_docs = 200 + rng() % 20000;
    Checker checker(num_docs);
    std::vector<List> lists;
    std::vector<TermInfo> infos;
    for (int t = 0; t < 4; ++t) {
      lists.push_back(MixedList(&rng, num_docs));
      infos.push_back(checker.Add(lists.back()));
    }
    for (size_t t = 0; t < lists.size(); ++t) {
      SCOPED_TRACE("seed " + std::to_string(seed) + " term " + std::to_string(t));
      checker.Check(infos[t], lists[t], &rng);
      if (HasFatalFailure()) return;
      bitmaps += checker.BitmapBlocks(infos[t], lists[t]);
    }
    for (const BlockInfo& bi : checker.sink().info) {
      packed += bi.flags == kBlockPacked && bi.doc_bits > 0;
      runs += bi.flags == kBlockPacked && bi.doc_bits == 0;
    }
  }
  EXPECT_GT(bitmaps, 300);
  EXPECT_GT(packed, 200);
  EXPECT_GT(runs, 200);
}

// Block boundaries: 127/128/129/256/257 docs, every doc of the index, dense
// and sparse, and a list that ends with a full bitmap block.
TEST(BitmapPostings, BlockBoundaries) {
  std::mt19937 rng(77);
  for (const uint32_t df : {2u, 127u, 128u, 129u, 255u, 256u, 257u, 384u, 1000u}) {
    for (const uint32_t spread : {1u, 2u, 3u, 8u, 40u}) {  // Docs per slot: density 1/spread.
      SCOPED_TRACE("df " + std::to_string(df) + " spread " + std::to_string(spread));
      const uint32_t num_docs = df * spread + 3;
      Checker checker(num_docs);
      std::vector<uint32_t> all(num_docs);
      for (uint32_t i = 0; i < num_docs; ++i) all[i] = i;
      std::shuffle(all.begin(), all.end(), rng);
      std::vector<uint32_t> docs(all.begin(), all.begin() + df);
      std::sort(docs.begin(), docs.end());
      const List l = WithTfs(docs, &rng);
      const TermInfo ti = checker.Add(l);
      checker.Check(ti, l, &rng);
      if (HasFatalFailure()) return;
      if (spread <= 2 && df >= 256) {
        EXPECT_GT(checker.BitmapBlocks(ti, l), 0);
      }
      if (spread >= 40) {
        EXPECT_EQ(checker.BitmapBlocks(ti, l), 0);
      }
    }
    // Every doc: 128 consecutive docs per block (width 0, a range for COUNT).
    std::vector<uint32_t> docs(df);
    for (uint32_t i = 0; i < df; ++i) docs[i] = i;
    Checker checker(df);
    const List l = WithTfs(docs, &rng);
    const TermInfo ti = checker.Add(l);
    checker.Check(ti, l, &rng);
    if (HasFatalFailure()) return;
    EXPECT_EQ(checker.BitmapBlocks(ti, l), 0);
  }
}

// A bitmap is written when its span takes at most 2 * width + 2 words
// (16 bytes more than the packed gaps), and not one bit beyond.
TEST(BitmapPostings, SpanAtThreshold) {
  std::mt19937 rng(5);
  for (uint32_t width = 1; width <= 10; ++width) {
    const uint32_t limit = 64 * (2 * width + 2);
    for (const uint32_t span : {limit - 64, limit - 1, limit, limit + 1}) {
      if (span > 128 * (1u << width) || span < 128 + (1u << width) - 1) continue;
      SCOPED_TRACE("width " + std::to_string(width) + " span " + std::to_string(span));
      const List l = BlockWithSpan(width, span, &rng);
      ASSERT_EQ(l.docs[127], span - 1);
      Checker checker(l.docs.back() + 1);
      const TermInfo ti = checker.Add(l);
      const BlockInfo& bi = checker.sink().info[ti.first_block];
      if (span <= limit) {
        EXPECT_EQ(bi.flags, kBlockBitmap);
        EXPECT_EQ(bi.doc_bits, (span + 63) / 64);
        EXPECT_LE(8 * bi.doc_bits, PackedBytes(width) + 16);
      } else {
        EXPECT_EQ(bi.flags, kBlockPacked);
        EXPECT_EQ(bi.doc_bits, width);
      }
      checker.Check(ti, l, &rng);
      if (HasFatalFailure()) return;
    }
  }
}

// Damage to a bitmap block ends the cursor with the corrupt flag, in
// iteration and in OrInto alike, without reading or writing out of bounds
// (ASan): a flipped bit (127 or 129 docs), a bit past the span, a wrong word
// count, a last doc that does not match.
TEST(BitmapPostings, DamagedBitmapIsCorrupt) {
  std::vector<uint32_t> docs;
  for (uint32_t d = 0; docs.size() < 384; ++d) {
    if (d % 3 != 1) docs.push_back(d);  // Gaps 0 and 1: bitmap blocks.
  }
  const uint32_t num_docs = docs.back() + 1;
  for (int damage = 0; damage < 6; ++damage) {
    for (uint32_t b : {0u, 1u, 2u}) {
      SCOPED_TRACE("damage " + std::to_string(damage) + " block " + std::to_string(b));
      std::mt19937 rng(damage);
      Checker checker(num_docs);
      const List l = WithTfs(docs, &rng);
      const TermInfo ti = checker.Add(l);
      PostingsSink& sink = checker.sink();
      BlockInfo& bi = sink.info[ti.first_block + b];
      ASSERT_EQ(bi.flags, kBlockBitmap);
      char* words = sink.postings.data() + ti.postings_offset + bi.doc_offset;
      const uint32_t prev = b == 0 ? 0xffffffffu : sink.last_doc[ti.first_block + b - 1];
      const uint32_t span = sink.last_doc[ti.first_block + b] - prev;
      switch (damage) {
        case 0: words[3] ^= 0x10; break;  // A doc more or less.
        case 1: words[8 * bi.doc_bits - 1] |= static_cast<char>(0x80); break;  // Past the span.
        case 2: bi.doc_bits += 1; break;                                       // Word count.
        case 3: bi.doc_bits -= 1; break;
        case 4: sink.last_doc[ti.first_block + b] -= 1; break;  // Last doc.
        case 5:
          words[(span - 1) / 8] ^= static_cast<char>(1 << ((span - 1) % 8));
          break;  // Drops it.
      }
      if (damage == 1 && span % 64 == 0) continue;  // The last word is full.
      const FieldPostingsView view = checker.View();
      PostingsCursor c(&view, ti);
      uint32_t n = 0;
      while (c.doc() != kNoMoreDocs) {
        c.Next();
        ++n;
      }
      EXPECT_TRUE(c.corrupt());
      EXPECT_EQ(n, 128 * b);  // The blocks before were fine.
      PostingsCursor oc(&view, ti);
      CountBitset bits;
      bits.Reserve(num_docs);
      oc.OrInto(&bits);
      EXPECT_TRUE(oc.corrupt());
      EXPECT_EQ(oc.doc(), kNoMoreDocs);
    }
  }
}

}  // namespace
}  // namespace libsearch::internal
