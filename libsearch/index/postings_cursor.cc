#include "index/postings_cursor.h"

#include <algorithm>
#include <bit>
#include <type_traits>

#include "util/bitpack.h"
#include "util/coding.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <emmintrin.h>
#include <immintrin.h>  // _tzcnt_u64, in target("bmi") code only.
#define LIBSEARCH_HAVE_SSE2 1
#endif

namespace libsearch::internal {
namespace {

// A doc of a varint block: its gap and its tf, two varints of at most 5
// bytes (the most a chunk check must cover per doc).
constexpr uint64_t kMaxVarintDocBytes = 10;

// Index of the first of docs[from..] that is >= target. REQUIRES: one is,
// at an index below 128 (the block's last doc), and docs holds 128 entries,
// increasing up to that one. SSE2 (part of x86-64): four docs per compare,
// from the aligned group of four holding `from` (entries before `from` are
// smaller still). Unsigned order via the sign flip.
inline uint32_t SeekInBlock(const uint32_t* docs, uint32_t from, uint32_t target) {
#if LIBSEARCH_HAVE_SSE2
  const __m128i flip = _mm_set1_epi32(static_cast<int>(0x80000000u));
  const __m128i t = _mm_xor_si128(_mm_set1_epi32(static_cast<int>(target)), flip);
  for (uint32_t i = from & ~3u;; i += 4) {
    const __m128i v =
        _mm_xor_si128(_mm_load_si128(reinterpret_cast<const __m128i*>(docs + i)), flip);
    const uint32_t less =
        static_cast<uint32_t>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmplt_epi32(v, t))));
    if (less != 0xf) return i + static_cast<uint32_t>(__builtin_ctz(~less));
  }
#else
  while (docs[from] < target) ++from;
  return from;
#endif
}

// n docs of a varint block after doc `prev`; false if the bytes run out.
// (Ids are checked by the caller.)
bool DecodeVarintBlock(const char* p, const char* limit, uint32_t prev, uint32_t n, uint32_t* docs,
                       uint32_t* tfs) {
  uint32_t d = prev;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t v, tf = 1;
    p = GetVarint32(p, limit, &v);
    if (p != nullptr && (v & 1) == 0) p = GetVarint32(p, limit, &tf);
    if (p == nullptr || tf == 0) return false;
    d += (v >> 1) + 1;
    docs[i] = d;
    tfs[i] = tf;
  }
  return true;
}

// Decodes one position delta at *p: the one- and two-byte cases inline
// (deltas of rarer terms in long fields often take two), longer ones
// through GetVarint32. False if the bytes run out or the varint is bad.
// kRoomy: the caller checked that at least 5 bytes (a whole varint) remain.
template <bool kRoomy = false>
inline bool DecodeDelta(const char** p, const char* limit, uint32_t* v) {
  const char* q = *p;
  if (kRoomy || limit - q >= 2) {
    const uint32_t b0 = static_cast<uint8_t>(q[0]);
    if (b0 < 0x80) {
      *v = b0;
      *p = q + 1;
      return true;
    }
    const uint32_t b1 = static_cast<uint8_t>(q[1]);
    if (b1 < 0x80) {
      *v = (b0 & 0x7f) | (b1 << 7);
      *p = q + 2;
      return true;
    }
  }
  *p = GetVarint32(q, limit, v);
  return *p != nullptr;
}

// The docs of a bitmap block (bit i = doc base + i) into out, in order.
// REQUIRES: the words hold at most 128 bits (checked at load); out has
// kBlockSize + 4 entries (the BMI version writes up to 3 past the last doc).
void DecodeBitmapScalar(const char* p, uint32_t words, uint32_t base, uint32_t* out) {
  uint32_t n = 0;
  for (uint32_t k = 0; k < words; ++k, base += 64) {
    for (uint64_t w = DecodeFixed64(p + 8 * k); w != 0; w &= w - 1) {
      out[n++] = base + static_cast<uint32_t>(__builtin_ctzll(w));
    }
  }
}

#if defined(__x86_64__) || defined(__i386__)
// With TZCNT, BLSR and POPCNT: four bits per step without a branch each
// (TZCNT of 0 is 64: the extra entries past the word's docs are overwritten
// by the next word or lie past the block's last doc).
__attribute__((target("popcnt,bmi"))) void DecodeBitmapBmi(const char* p, uint32_t words,
                                                           uint32_t base, uint32_t* out) {
  for (uint32_t k = 0; k < words; ++k, base += 64) {
    uint64_t w = DecodeFixed64(p + 8 * k);
    const uint32_t count = static_cast<uint32_t>(__builtin_popcountll(w));
    for (uint32_t i = 0; i < count; i += 4) {
      out[i] = base + static_cast<uint32_t>(_tzcnt_u64(w));
      w &= w - 1;
      out[i + 1] = base + static_cast<uint32_t>(_tzcnt_u64(w));
      w &= w - 1;
      out[i + 2] = base + static_cast<uint32_t>(_tzcnt_u64(w));
      w &= w - 1;
      out[i + 3] = base + static_cast<uint32_t>(_tzcnt_u64(w));
      w &= w - 1;
    }
    out += count;
  }
}
#endif

void DecodeBitmap(const char* p, uint32_t words, uint32_t base, uint32_t* out) {
#if defined(__x86_64__) || defined(__i386__)
  // LIBSEARCH_SIMD=scalar (ActiveKernels) forces the scalar loop here too.
  static const bool bmi = __builtin_cpu_supports("bmi") && __builtin_cpu_supports("popcnt") &&
                          &ActiveKernels() != &ScalarKernels();
  if (bmi) return DecodeBitmapBmi(p, words, base, out);
#endif
  DecodeBitmapScalar(p, words, base, out);
}

// ORs a bitmap block's words (bit i = doc base + i) into `bits`; returns
// the number of bits set. Word k lands on bits[base / 64 + k] shifted up by
// base % 64, its top bits on the next word. REQUIRES: no bit maps to a doc
// beyond `bits`.
inline __attribute__((always_inline)) uint32_t OrBitmapWordsImpl(const char* p, uint32_t words,
                                                                 uint32_t base, uint64_t* bits) {
  const uint32_t s = base & 63;
  uint64_t* out = bits + (base >> 6);
  uint32_t count = 0;
  if (s == 0) {
    for (uint32_t k = 0; k < words; ++k) {
      const uint64_t w = DecodeFixed64(p + 8 * k);
      out[k] |= w;
      count += static_cast<uint32_t>(__builtin_popcountll(w));
    }
  } else {
    uint64_t carry = 0;
    for (uint32_t k = 0; k < words; ++k) {
      const uint64_t w = DecodeFixed64(p + 8 * k);
      out[k] |= (w << s) | carry;
      carry = w >> (64 - s);
      count += static_cast<uint32_t>(__builtin_popcountll(w));
    }
    if (carry != 0) out[words] |= carry;
  }
  return count;
}

// Sets bits [from, to) of `bits`.
void SetBitRange(uint64_t* bits, uint32_t from, uint32_t to) {
  const uint32_t lo = from >> 6, hi = (to - 1) >> 6;
  const uint64_t first = ~uint64_t{0} << (from & 63), last = ~uint64_t{0} >> (63 - ((to - 1) & 63));
  if (lo == hi) {
    bits[lo] |= first & last;
    return;
  }
  bits[lo] |= first;
  for (uint32_t k = lo + 1; k < hi; ++k) bits[k] = ~uint64_t{0};
  bits[hi] |= last;
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("popcnt"))) uint32_t OrBitmapWordsHw(const char* p, uint32_t words,
                                                           uint32_t base, uint64_t* bits) {
  return OrBitmapWordsImpl(p, words, base, bits);
}
#endif

// rank[k] = bits set in words 0..k-1 (at most 128: checked by the caller
// from the returned total before use).
inline __attribute__((always_inline)) uint32_t BitmapRanksImpl(const char* p, uint32_t words,
                                                               uint8_t* rank) {
  uint32_t total = 0;
  for (uint32_t k = 0; k < words; ++k) {
    rank[k] = static_cast<uint8_t>(total);
    total += static_cast<uint32_t>(__builtin_popcountll(DecodeFixed64(p + 8 * k)));
  }
  return total;
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("popcnt"))) uint32_t BitmapRanksHw(const char* p, uint32_t words,
                                                         uint8_t* rank) {
  return BitmapRanksImpl(p, words, rank);
}
#endif

uint32_t BitmapRanks(const char* p, uint32_t words, uint8_t* rank) {
#if defined(__x86_64__) || defined(__i386__)
  static const bool hw = __builtin_cpu_supports("popcnt");
  if (hw) return BitmapRanksHw(p, words, rank);
#endif
  return BitmapRanksImpl(p, words, rank);
}

inline uint32_t Popcount64(uint64_t x) {  // Portable: no POPCNT in the baseline ISA.
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return static_cast<uint32_t>((x * 0x0101010101010101ull) >> 56);
}

uint32_t OrBitmapWords(const char* p, uint32_t words, uint32_t base, uint64_t* bits) {
#if defined(__x86_64__) || defined(__i386__)
  static const bool hw = __builtin_cpu_supports("popcnt");  // As util/popcount.h.
  if (hw) return OrBitmapWordsHw(p, words, base, bits);
#endif
  return OrBitmapWordsImpl(p, words, base, bits);
}

}  // namespace

bool StoredMaximaExact(const FieldPostingsView* view, const TermInfo& term, const uint8_t* norms,
                       float idf, const NormInverseTable& norm_inverse) {
  if (term.first_block == kNoBlockEntries) return false;
  PostingsCursor c(view, term);
  const uint64_t num_blocks = (static_cast<uint64_t>(term.doc_freq) + kBlockSize - 1) / kBlockSize;
  for (uint64_t b = 0; b < num_blocks; ++b) {
    if (c.doc() == kNoMoreDocs || c.block() != b) return false;
    float m = 0;
    for (; c.doc() != kNoMoreDocs && c.block() == b; c.Next()) {
      const uint8_t norm = norms ? norms[c.doc()] : 1;
      m = std::max(m, Bm25Score(idf, c.freq(), norm_inverse[norm]));
    }
    // Bitwise: the bound must be this very float.
    const float stored = view->max_score[term.first_block + b];
    if (std::bit_cast<uint32_t>(m) != std::bit_cast<uint32_t>(stored)) return false;
  }
  return !c.corrupt() && c.doc() == kNoMoreDocs;
}

PostingsCursor::PostingsCursor(const FieldPostingsView* view, const TermInfo& term)
    : view_(view), term_(term) {
  num_blocks_ = (static_cast<uint64_t>(term.doc_freq) + kBlockSize - 1) / kBlockSize;
  if (term.corrupt ||
      (has_block_entries() ? term.first_block + num_blocks_ > view->num_blocks : num_blocks_ > 1) ||
      term.postings_offset > view->postings.size() ||
      term.positions_offset > view->positions.size()) {
    Fail();
    return;
  }
  if (has_block_entries()) last_docs_ = view->last_doc + term.first_block;
  if (num_blocks_ == 0 || !LoadBlock(0)) {
    doc_ = kNoMoreDocs;
    return;
  }
  doc_ = docs_[0];
}

void PostingsCursor::DecodeTfs() {
  UnpackBlock(tf_src_, tf_bits_, tfs_);
  for (uint32_t i = 0; i < kBlockSize; ++i) tfs_[i] += 1;
  tf_src_ = nullptr;
}

void PostingsCursor::Fail() {
  corrupt_ = true;
  bitmap_ = nullptr;
  tf_src_ = nullptr;
  doc_ = kNoMoreDocs;
  count_ = 0;
  pos_ = 0;
  tfs_[0] = 0;
  block_ = num_blocks_;
}

uint32_t PostingsCursor::block_last_doc() const {
  if (block_ >= num_blocks_) return kNoMoreDocs;
  return LastDoc(block_);
}

uint32_t PostingsCursor::ShallowAdvance(uint32_t target) {
  uint64_t b = std::max(shallow_, block_);
  while (b < num_blocks_ && LastDoc(b) < target) ++b;
  shallow_ = b;
  if (b >= num_blocks_) return kNoMoreDocs;
  // Damaged skip data: a last doc past the index would send block-max
  // collectors window by window up to it (billions of windows).
  if (LastDoc(b) >= view_->num_docs) {
    Fail();
    return kNoMoreDocs;
  }
  return LastDoc(b);
}

float PostingsCursor::block_max_score() const {
  if (block_ >= num_blocks_ || !has_block_entries()) return 0;
  return view_->max_score[term_.first_block + block_];
}

bool PostingsCursor::LoadSingleBlock() {
  const uint32_t n = term_.doc_freq;
  if (term_.inline_tf != 0) {
    docs_[0] = term_.inline_doc;
    tfs_[0] = term_.inline_tf;
  } else {
    view_->postings_chunks.Use(term_.postings_offset,
                               term_.postings_offset + kMaxVarintDocBytes * n);
    if (!DecodeVarintBlock(view_->postings.data() + term_.postings_offset,
                           view_->postings.data() + view_->postings.size(), 0xffffffffu, n, docs_,
                           tfs_)) {
      Fail();
      return false;
    }
  }
  uint32_t bad = (term_.inline_tf != 0 && n != 1) || docs_[0] >= view_->num_docs;
  for (uint32_t i = 1; i < n; ++i) bad |= docs_[i] <= docs_[i - 1];
  if (bad || docs_[n - 1] >= view_->num_docs) {
    Fail();
    return false;
  }
  single_last_ = docs_[n - 1];
  count_ = n;
  pos_ptr_ = nullptr;
  return true;
}

bool PostingsCursor::LoadBlock(uint64_t b, bool with_tfs) {
  block_ = b;
  pos_ = 0;
  tf_src_ = nullptr;
  bitmap_ = nullptr;
  if (b >= num_blocks_) {
    count_ = 0;
    return false;
  }
  if (!has_block_entries()) return LoadSingleBlock();
  const uint64_t gb = term_.first_block + b;
  const BlockInfo& bi = view_->info[gb];
  const uint32_t prev = b == 0 ? 0xffffffffu : view_->last_doc[gb - 1];
  const uint64_t off = term_.postings_offset + bi.doc_offset;
  if (off > view_->postings.size()) {
    Fail();
    return false;
  }
  const char* p = view_->postings.data() + off;
  const char* limit = view_->postings.data() + view_->postings.size();
  const uint32_t n = b + 1 < num_blocks_ ? static_cast<uint32_t>(kBlockSize)
                                         : term_.doc_freq - static_cast<uint32_t>(b * kBlockSize);
  if (view_->postings_chunks.active()) {
    // At least the bytes the decoder below can read (sizes clamped as it
    // refuses larger ones).
    const uint64_t gaps = bi.flags == kBlockVarint ? kMaxVarintDocBytes * n
                          : bi.flags == kBlockBitmap
                              ? 8ull * std::min<uint32_t>(bi.doc_bits, kMaxBitmapWords)
                              : PackedBytes(std::min<uint32_t>(bi.doc_bits, 32));
    view_->postings_chunks.Use(off, off + gaps + PackedBytes(std::min<uint32_t>(bi.tf_bits, 32)));
  }
  if (bi.flags == kBlockPacked) {
    if (n != kBlockSize || bi.doc_bits > 32 || bi.tf_bits > 32 ||
        PackedBytes(bi.doc_bits) + PackedBytes(bi.tf_bits) > static_cast<size_t>(limit - p)) {
      Fail();
      return false;
    }
    UnpackDeltaBlock(p, bi.doc_bits, prev, docs_);
    if (with_tfs) {  // Sizes checked above; decoded by DecodeTfs().
      tf_src_ = p + PackedBytes(bi.doc_bits);
      tf_bits_ = bi.tf_bits;
    }
  } else if (bi.flags == kBlockBitmap) {
    // The span's words follow from the two last docs. 128 bits set, the
    // highest at `last` (so none past the span) and last < num_docs make a
    // well-formed block: ids above prev, increasing, below num_docs.
    const uint32_t last = view_->last_doc[gb], words = bi.doc_bits;
    if (n != kBlockSize || (b > 0 && last <= prev) || last >= view_->num_docs ||
        words > kMaxBitmapWords || words != (uint64_t{last - prev} + 63) / 64 || bi.tf_bits > 32 ||
        8 * words + PackedBytes(bi.tf_bits) > static_cast<size_t>(limit - p) ||
        (DecodeFixed64(p + 8 * (words - 1)) >> ((last - prev - 1) & 63)) != 1 ||
        BitmapRanks(p, words, bitmap_rank_) != kBlockSize) {
      Fail();
      return false;
    }
    // Ids are decoded into docs_ on the first Next() in the block; until
    // then Advance seeks in the words (a pruned search often lands on a
    // block once and leaves it). docs_[0] is set now, and count_ is 1 so
    // that Next() leaves its fast path, decodes and sets it to 128.
    bitmap_ = p;
    bitmap_words_ = words;
    bitmap_base_ = prev + 1;
    uint32_t k = 0;
    while (DecodeFixed64(p + 8 * k) == 0) ++k;
    docs_[0] =
        bitmap_base_ + 64 * k + static_cast<uint32_t>(__builtin_ctzll(DecodeFixed64(p + 8 * k)));
    if (with_tfs) {
      tf_src_ = p + 8 * words;
      tf_bits_ = bi.tf_bits;
    }
    count_ = 1;
    pos_ptr_ = nullptr;
    return true;
  } else if (bi.flags == kBlockVarint) {
    if (!DecodeVarintBlock(p, limit, prev, n, docs_, tfs_)) {
      Fail();
      return false;
    }
  } else {
    Fail();
    return false;
  }
  // Damaged gaps can wrap around 2^32; every id must grow and stay below
  // num_docs, since ids index the norms array. A packed block of gaps below
  // 2^24 after a doc below 2^31 (or doc -1) cannot wrap: 128 steps of at
  // most 2^24 add at most 2^31. Its ids then grow, and the last one's check
  // covers them all. Otherwise, one pass per block.
  uint32_t bad = 0;
  if (bi.flags == kBlockVarint || bi.doc_bits > 24 || (b > 0 && prev > 0x7fffffffu)) {
    bad = docs_[0] >= view_->num_docs || (b > 0 && docs_[0] <= prev);
    for (uint32_t i = 1; i < n; ++i) bad |= docs_[i] <= docs_[i - 1];
  }
  if (bad || docs_[n - 1] >= view_->num_docs || docs_[n - 1] != view_->last_doc[gb]) {
    Fail();
    return false;
  }
  count_ = n;
  pos_ptr_ = nullptr;
  return true;
}

void PostingsCursor::DecodeBitmapDocs() {
  DecodeBitmap(bitmap_, bitmap_words_, bitmap_base_, docs_);  // 128 docs: checked at load.
  bitmap_ = nullptr;
  count_ = kBlockSize;
}

uint32_t PostingsCursor::SeekInBitmap(uint32_t target) {
  // First set bit at or after target's; the block's last doc (>= target)
  // is set, so the scan ends inside the words. Its index in the block (for
  // tfs and positions) is the rank of its bit.
  const uint32_t o = target - bitmap_base_;
  uint32_t k = o >> 6;
  uint64_t w = DecodeFixed64(bitmap_ + 8 * k) & (~uint64_t{0} << (o & 63));
  while (w == 0) w = DecodeFixed64(bitmap_ + 8 * ++k);
  const uint64_t below = (w & (0 - w)) - 1;  // Bits under the lowest set one.
  pos_ = bitmap_rank_[k] + Popcount64(DecodeFixed64(bitmap_ + 8 * k) & below);
  return bitmap_base_ + 64 * k + static_cast<uint32_t>(__builtin_ctzll(w));
}

void PostingsCursor::BitmapIndices(const uint32_t* docs, uint32_t n, uint32_t* index) const {
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t o = docs[i] - bitmap_base_;
    const uint64_t below = (uint64_t{1} << (o & 63)) - 1;
    index[i] = bitmap_rank_[o >> 6] + Popcount64(DecodeFixed64(bitmap_ + 8 * (o >> 6)) & below);
  }
}

bool PostingsCursor::OrBitmapBlock(uint64_t b, CountBitset* bits) {
  const uint64_t gb = term_.first_block + b;
  const BlockInfo& bi = view_->info[gb];
  const uint32_t prev = b == 0 ? 0xffffffffu : view_->last_doc[gb - 1];
  const uint32_t last = view_->last_doc[gb], words = bi.doc_bits;
  const uint64_t off = term_.postings_offset + bi.doc_offset;
  const uint64_t n = std::min<uint64_t>(kBlockSize, term_.doc_freq - b * kBlockSize);
  // As LoadBlock checks: the span's words, last < num_docs, and the last
  // word's top bit at last - prev - 1 (so no bit past `last`: every write
  // below stays inside `bits`); 128 bits set is checked after ORing.
  if (n != kBlockSize || (b > 0 && last <= prev) || last >= view_->num_docs ||
      words > kMaxBitmapWords || words != (uint64_t{last - prev} + 63) / 64 ||
      off > view_->postings.size() || 8 * words > view_->postings.size() - off) {
    return false;
  }
  view_->postings_chunks.Use(off, off + 8 * words);
  const char* p = view_->postings.data() + off;
  if ((DecodeFixed64(p + 8 * (words - 1)) >> ((last - prev - 1) & 63)) != 1) return false;
  bits->MarkRange(prev + 1, last + 1);
  return OrBitmapWords(p, words, prev + 1, bits->words()) == kBlockSize;
}

void PostingsCursor::OrInto(CountBitset* bits) {
  if (doc_ == kNoMoreDocs) return;
  // The current block from pos_ (its words if it is a whole bitmap block),
  // then the rest: bitmap blocks by words, runs of 128 consecutive docs as a
  // range, other blocks decoded (docs only). Terms without block entries
  // have the current block only. (Bits are stored one by one: gathering a
  // word's bits in a register first gained nothing, the branch on "same
  // word" mispredicting for lists of middling density; see
  // docs/design-notes.md, "Postings layout".)
  if (pos_ == 0 && has_block_entries() &&
      view_->info[term_.first_block + block_].flags == kBlockBitmap) {
    if (!OrBitmapBlock(block_, bits)) {
      Fail();
      return;
    }
  } else {
    DecodePendingDocs();
    bits->SetSorted(docs_ + pos_, count_ - pos_);
  }
  for (uint64_t b = block_ + 1; b < num_blocks_; ++b) {
    const uint64_t gb = term_.first_block + b;
    const BlockInfo& bi = view_->info[gb];
    if (bi.flags == kBlockBitmap) {
      if (!OrBitmapBlock(b, bits)) {
        Fail();
        return;
      }
      continue;
    }
    if (bi.flags == kBlockPacked && bi.doc_bits == 0 &&
        term_.doc_freq - b * kBlockSize >= kBlockSize) {
      // 128 consecutive docs (b > 0 here): prev + 1 .. last, a bit range.
      const uint32_t prev = view_->last_doc[gb - 1], last = view_->last_doc[gb];
      if (last >= view_->num_docs || last - prev != kBlockSize || prev >= last) {
        Fail();
        return;
      }
      SetBitRange(bits->words(), prev + 1, last + 1);
      bits->MarkRange(prev + 1, last + 1);
      continue;
    }
    if (!LoadBlock(b, /*with_tfs=*/false)) return;  // Corrupt: flagged, at the end.
    bits->SetSorted(docs_, count_);
  }
  block_ = num_blocks_;
  count_ = pos_ = 0;
  doc_ = kNoMoreDocs;
}

uint32_t PostingsCursor::Next() {
  if (doc_ == kNoMoreDocs) return doc_;
  if (++pos_ < count_) return doc_ = docs_[pos_];
  if (bitmap_ != nullptr) {  // An undecoded bitmap block (count_ 1 until now).
    DecodeBitmapDocs();
    if (pos_ < count_) return doc_ = docs_[pos_];
  }
  if (!LoadBlock(block_ + 1)) return doc_ = kNoMoreDocs;
  return doc_ = docs_[0];
}

uint32_t PostingsCursor::SeekIndex(uint32_t from, uint32_t target) {
  DecodePendingDocs();
  return docs_[from] >= target ? from : SeekInBlock(docs_, from, target);
}

uint32_t PostingsCursor::Advance(uint32_t target) {
  if (doc_ >= target) return doc_;
  if (LastDoc(block_) < target) {
    uint64_t b = block_ + 1;
    while (b < num_blocks_ && LastDoc(b) < target) ++b;
    if (!LoadBlock(b)) return doc_ = kNoMoreDocs;
  }
  // Seek in the words rather than decode the block: cheaper even when a
  // block is sought many times (see docs/design-notes.md, "Postings layout").
  if (bitmap_ != nullptr) return doc_ = SeekInBitmap(target);
  // The block's last doc is >= target; short hops stay scalar.
  if (docs_[pos_ + 1 < count_ ? pos_ + 1 : pos_] >= target) {
    pos_ += docs_[pos_] < target;
  } else {
    pos_ = SeekInBlock(docs_, pos_, target);
  }
  return doc_ = docs_[pos_];
}

const char* PostingsCursor::DocPositions() {
  const char* limit = view_->positions.data() + view_->positions.size();
  if (pos_ptr_ == nullptr || pos_index_ > pos_) {
    const uint64_t off =
        term_.positions_offset +
        (has_block_entries() ? view_->info[term_.first_block + block_].pos_offset : 0);
    if (off > view_->positions.size()) {
      Fail();
      return nullptr;
    }
    pos_ptr_ = view_->positions.data() + off;
    pos_index_ = 0;
    if (view_->positions_chunks.active()) {
      // The block's positions: at most 5 bytes each, and 16 more that a
      // vector load may read past a doc's last one.
      if (tf_src_ != nullptr) DecodeTfs();
      const uint64_t n = std::min<uint64_t>(
          kBlockSize, term_.doc_freq - std::min<uint64_t>(term_.doc_freq, block_ * kBlockSize));
      uint64_t sum = 0;
      for (uint64_t i = 0; i < n; ++i) sum += tfs_[i];
      view_->positions_chunks.Use(off, off + 5 * sum + 16);
    }
  }
  if (tf_src_ != nullptr) DecodeTfs();
  if (pos_index_ < pos_) {  // Skip earlier docs' positions in one go.
    uint64_t skip = 0;
    for (uint32_t i = pos_index_; i < pos_; ++i) skip += tfs_[i];  // Locals: vectorised.
    pos_index_ = pos_;
    pos_ptr_ = SkipVarints(pos_ptr_, limit, skip);
    if (pos_ptr_ == nullptr) {
      Fail();
      return nullptr;
    }
  }
  return pos_ptr_;
}

#if LIBSEARCH_HAVE_SSE2
// The 16 one-byte deltas in v as inclusive prefix sums, in two vectors of
// eight u16 (a sum is at most 16 * 127).
inline void PrefixSums16(__m128i v, __m128i* lo, __m128i* hi) {
  const __m128i zero = _mm_setzero_si128();
  __m128i a = _mm_unpacklo_epi8(v, zero), b = _mm_unpackhi_epi8(v, zero);
  a = _mm_add_epi16(a, _mm_slli_si128(a, 2));
  b = _mm_add_epi16(b, _mm_slli_si128(b, 2));
  a = _mm_add_epi16(a, _mm_slli_si128(a, 4));
  b = _mm_add_epi16(b, _mm_slli_si128(b, 4));
  a = _mm_add_epi16(a, _mm_slli_si128(a, 8));
  b = _mm_add_epi16(b, _mm_slli_si128(b, 8));
  *lo = a;
  *hi = _mm_add_epi16(b, _mm_shuffle_epi32(_mm_shufflehi_epi16(a, 0xff), 0xff));  // + a[7].
}

// The sum of the 16 bytes of v.
inline uint32_t Sum16(__m128i v) {
  const __m128i sums = _mm_sad_epu8(v, _mm_setzero_si128());
  return static_cast<uint32_t>(_mm_cvtsi128_si32(sums)) +
         static_cast<uint32_t>(_mm_extract_epi16(sums, 4));
}
#endif

void PostingsCursor::Positions(std::vector<uint32_t>* out, uint32_t shift) {
  out->resize(PositionsInto(out, shift));
}

uint32_t PostingsCursor::PositionsInto(std::vector<uint32_t>* buf, uint32_t shift) {
  if (doc_ == kNoMoreDocs) return 0;
  const char* p = DocPositions();
  if (p == nullptr) return 0;
  const char* limit = view_->positions.data() + view_->positions.size();
  const uint32_t tf = tfs_[pos_];
  if (buf->size() < tf) buf->resize(tf);  // Never shrunk: no zero fill per doc.
  uint32_t* o = buf->data();
  uint32_t last = 0, v, n = 0;
  auto decode_all = [&](auto roomy) {
    for (uint32_t i = 0; i < tf; ++i) {
      if (!DecodeDelta<decltype(roomy)::value>(&p, limit, &v)) return false;
      last += v;
      o[n] = last - shift;
      n += last >= shift;
    }
    return true;
  };
  // With room for tf whole varints, no delta needs a bounds check.
  const bool ok = static_cast<uint64_t>(limit - p) >= 5 * uint64_t{tf}
                      ? decode_all(std::true_type())
                      : decode_all(std::false_type());
  if (!ok) {
    Fail();
    return 0;
  }
  return n;
}

uint32_t PostingsCursor::KeepPositions(uint32_t* starts, uint32_t n, uint32_t offset) {
  if (doc_ == kNoMoreDocs || n == 0) return 0;
  const char* p = DocPositions();
  if (p == nullptr) return 0;
  const char* limit = view_->positions.data() + view_->positions.size();
  uint32_t left = tfs_[pos_];  // Positions not decoded yet.
  // The last decoded position (0 before the first). Invariant: every
  // decoded position is below `want`, so want - base does not wrap.
  uint32_t base = 0;
  uint32_t kept = 0, i = 0;
  uint32_t want = starts[0] + offset;
  // Roomy: 5 bytes (a whole varint) per position left remain, which stays
  // true as positions are decoded, so no read needs a bounds check.
  auto run = [&](auto roomy) -> uint32_t {
    constexpr bool kRoomy = decltype(roomy)::value;
    while (true) {
#if LIBSEARCH_HAVE_SSE2
      // 16 one-byte deltas at a time: skipped whole while the last of their
      // positions is below `want`; else each start wanted among them is
      // looked up in their prefix sums.
      while (left >= 16 && (kRoomy || limit - p >= 16)) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        if (_mm_movemask_epi8(v) != 0) break;
        const uint32_t s = Sum16(v);
        if (want - base <= s) {
          __m128i lo, hi;
          PrefixSums16(v, &lo, &hi);
          do {
            const __m128i r = _mm_set1_epi16(static_cast<int16_t>(want - base));
            const __m128i eq = _mm_or_si128(_mm_cmpeq_epi16(lo, r), _mm_cmpeq_epi16(hi, r));
            if (_mm_movemask_epi8(eq) != 0) starts[kept++] = starts[i];
            if (++i == n) return kept;
            want = starts[i] + offset;
          } while (want - base <= s);
        }
        base += s;
        p += 16;
        left -= 16;
      }
#endif
      // One delta at a time: a longer varint is near, or few positions are left.
      if (left == 0) return kept;
      uint32_t v;
      if (!DecodeDelta<kRoomy>(&p, limit, &v)) {
        Fail();
        return 0;
      }
      --left;
      const uint32_t pos = base + v;
      while (want < pos) {
        if (++i == n) return kept;
        want = starts[i] + offset;
      }
      if (want == pos) {
        starts[kept++] = starts[i];
        if (++i == n) return kept;
        want = starts[i] + offset;
      }
      base = pos;
    }
  };
  return static_cast<uint64_t>(limit - p) >= 5 * uint64_t{left} ? run(std::true_type())
                                                                : run(std::false_type());
}

}  // namespace libsearch::internal
