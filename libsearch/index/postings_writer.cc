#include "index/postings_writer.h"

#include <algorithm>

#include "util/bitpack.h"
#include "util/coding.h"

namespace libsearch::internal {

TermInfo WritePostings(const TermPostingsInput& in, const uint8_t* norms, float weight,
                       const NormInverseTable& norm_inverse, PostingsSink* sink) {
  TermInfo ti;
  ti.doc_freq = in.doc_freq;
  ti.postings_offset = sink->postings.size();
  ti.positions_offset = sink->positions.size();
  const uint32_t* pos = in.positions;
  auto put_positions = [&](uint32_t start, uint32_t n) {  // Of docs [start, start + n).
    if (pos == nullptr) return;
    for (uint32_t i = start; i < start + n; ++i) {
      uint32_t last = 0;
      for (uint32_t k = 0; k < in.tfs[i]; ++k) {
        PutVarint32(&sink->positions, *pos - last);
        last = *pos++;
      }
    }
  };
  if (in.doc_freq <= kBlockSize) put_positions(0, in.doc_freq);
  if (in.doc_freq == 1) {  // Inline: the term info holds the doc and tf.
    ti.inline_doc = in.docs[0];
    ti.inline_tf = in.tfs[0];
    return ti;
  }
  if (in.doc_freq <= kBlockSize) {  // One varint block, no block entries.
    uint32_t p = 0xffffffffu;
    for (uint32_t i = 0; i < in.doc_freq; ++i) {
      const uint32_t gap = in.docs[i] - p - 1, tf = in.tfs[i];
      PutVarint32(&sink->postings, (gap << 1) | (tf == 1 ? 1u : 0u));
      if (tf != 1) PutVarint32(&sink->postings, tf);
      p = in.docs[i];
    }
    return ti;
  }
  ti.first_block = static_cast<uint32_t>(sink->info.size());
  uint32_t prev = 0xffffffffu;  // "doc -1": the first gap is doc + 1.
  uint32_t buf[kBlockSize];
  for (uint32_t start = 0; start < in.doc_freq; start += kBlockSize) {
    const uint32_t n = std::min<uint32_t>(kBlockSize, in.doc_freq - start);
    BlockInfo bi{};
    bi.doc_offset = static_cast<uint32_t>(sink->postings.size() - ti.postings_offset);
    bi.pos_offset = static_cast<uint32_t>(sink->positions.size() - ti.positions_offset);
    bi.min_norm = 255;
    float block_max = 0;
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t d = in.docs[start + i], tf = in.tfs[start + i];
      const uint8_t norm = norms ? norms[d] : 1;
      bi.max_tf = std::max(bi.max_tf, tf);
      bi.min_norm = std::min(bi.min_norm, norm);
      block_max = std::max(block_max, Bm25Score(weight, tf, norm_inverse[norm]));
    }
    if (n == kBlockSize) {
      bi.flags = kBlockPacked;
      uint32_t p = prev, max_gap = 0;
      for (uint32_t i = 0; i < n; ++i) {
        buf[i] = in.docs[start + i] - p - 1;
        max_gap = std::max(max_gap, buf[i]);
        p = in.docs[start + i];
      }
      bi.doc_bits = static_cast<uint8_t>(BitWidth(max_gap));
      // Dense blocks as bitmaps (2.1), which COUNT ORs without decoding:
      // when the bitmap of the block's span of ids is at most 16 bytes (one
      // width step) larger than the packed gaps. Most bitmap blocks are
      // smaller than their gaps (a field's postings shrink overall); the
      // slack takes the densest blocks too, of width 1 and 2. Width 0 (128
      // consecutive docs) stays packed: 0 bytes, and COUNT sets the range.
      const uint32_t span = in.docs[start + n - 1] - prev;  // Docs prev+1 .. last.
      const uint32_t words = static_cast<uint32_t>((uint64_t{span} + 63) / 64);
      if (bi.doc_bits > 0 && words * 8 <= PackedBytes(bi.doc_bits) + kBitmapSlackBytes) {
        uint64_t bitmap[kMaxBitmapWords] = {};
        for (uint32_t i = 0; i < n; ++i) {
          const uint32_t off = in.docs[start + i] - prev - 1;
          bitmap[off >> 6] |= uint64_t{1} << (off & 63);
        }
        bi.flags = kBlockBitmap;
        bi.doc_bits = static_cast<uint8_t>(words);
        for (uint32_t k = 0; k < words; ++k) PutFixed64(&sink->postings, bitmap[k]);
      } else {
        PackBlock(buf, bi.doc_bits, &sink->postings);
      }
      for (uint32_t i = 0; i < n; ++i) buf[i] = in.tfs[start + i] - 1;
      bi.tf_bits = static_cast<uint8_t>(BitWidth(bi.max_tf - 1));
      PackBlock(buf, bi.tf_bits, &sink->postings);
    } else {
      bi.flags = kBlockVarint;
      uint32_t p = prev;
      for (uint32_t i = 0; i < n; ++i) {
        const uint32_t gap = in.docs[start + i] - p - 1, tf = in.tfs[start + i];
        PutVarint32(&sink->postings, (gap << 1) | (tf == 1 ? 1u : 0u));
        if (tf != 1) PutVarint32(&sink->postings, tf);
        p = in.docs[start + i];
      }
    }
    put_positions(start, n);
    prev = in.docs[start + n - 1];
    sink->last_doc.push_back(prev);
    sink->max_score.push_back(block_max);
    sink->info.push_back(bi);
  }
  return ti;
}

}  // namespace libsearch::internal
