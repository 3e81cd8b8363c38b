// Postings: the doc ids, term frequencies and positions of one term.
//
// Docs come in blocks of 128: full blocks bit-pack (gap - 1) and (tf - 1)
// with the widths recorded in BlockInfo; the last, partial block is varint
// coded (gap - 1) << 1 | (tf == 1), then tf if it is not 1. Per-block
// metadata (last doc, offsets, widths, score bounds) lives in separate arrays
// so skipping and block-max pruning never touch the payload.
//
// Since 2.0 only terms with two or more blocks have block-array entries: a
// one-block term is decoded whole when its cursor opens, which gives its last
// doc, and its exact score bound is computed from those docs at query time.
// Its block is always varint coded, and a doc_freq-1 term keeps its doc and
// tf in the term info (no payload at all).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstring>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "index/bm25.h"
#include "storage/format.h"
#include "util/coding.h"
#include "util/count_bitset.h"

namespace libsearch::internal {

inline constexpr uint32_t kNoMoreDocs = 0x7fffffffu;
inline constexpr uint32_t kNoBlockEntries = 0xffffffffu;

// A term's postings metadata as decoded from either file layout (1.x
// TermInfoV1, 2.x packed records; see term_infos.h).
struct TermInfo {
  uint32_t doc_freq = 0;
  // Its first entry in the field's block arrays, or kNoBlockEntries: a
  // one-block term (2.x), varint coded at postings_offset or inline.
  uint32_t first_block = kNoBlockEntries;
  uint64_t postings_offset = 0;
  uint64_t positions_offset = 0;
  uint32_t inline_doc = 0;  // With inline_tf > 0 (doc_freq 1): the doc, no payload.
  uint32_t inline_tf = 0;
  bool corrupt = false;     // The record was damaged: cursors fail at once.
};

// Output buffers for one field's postings-related sections.
struct PostingsSink {
  std::string postings;
  std::string positions;
  std::vector<uint32_t> last_doc;
  std::vector<float> max_score;
  std::vector<BlockInfo> info;
};

struct TermPostingsInput {
  const uint32_t* docs;       // Strictly increasing.
  const uint32_t* tfs;        // >= 1 each.
  const uint32_t* positions;  // sum(tfs) increasing-per-doc positions, or null.
  uint32_t doc_freq;
};

// Encodes one term's postings into *sink (2.x layout). `norms` is the field's
// norm byte per doc, or null for fields without norms (keyword: every length
// is 1). `weight` is the term's boost-1 BM25 weight (its idf) and
// `norm_inverse` the field's table; they give the stored score bounds.
TermInfo WritePostings(const TermPostingsInput& in, const uint8_t* norms, float weight,
                       const NormInverseTable& norm_inverse, PostingsSink* sink);

// Lazily computed facts about one field that score bounds need, shared by
// every copy of the field's view. Thread-safe.
//
// Per term: are the stored block maxima (block_max_score) exactly
// the maxima that Bm25Score(idf, tf, norm_inverse[norm]) gives with the
// search's BM25 parameters? The file does not record the build's k1 and b,
// so a term is checked once (StoredMaximaExact decodes all its blocks) and
// the answer is remembered here for the parameters of the first caller.
class FieldBoundCache {
 public:
  // The largest norm code of any doc (one pass over the norms, once); 1 for
  // fields without norms. Gives a lower bound on any match's score.
  uint8_t MaxNorm(const uint8_t* norms, uint32_t num_docs) const {
    std::call_once(norm_once_, [&] {
      uint8_t m = 1;
      if (norms != nullptr) {
        m = 0;
        for (uint32_t d = 0; d < num_docs; ++d) m = std::max(m, norms[d]);
      }
      max_norm_ = m;
    });
    return max_norm_;
  }
  // The field's norm table for (p, avgdl), built once for the first caller's
  // values; null for other values (the caller then builds its own). Saves
  // each short query the 256 divisions.
  const NormInverseTable* NormTable(const Bm25Params& p, float avgdl) const {
    std::call_once(table_once_, [&] {
      table_params_ = p;
      table_avgdl_ = avgdl;
      table_ = MakeNormInverseTable(p, avgdl);
    });
    const bool same = p.k1 == table_params_.k1 && p.b == table_params_.b &&
                      std::memcmp(&avgdl, &table_avgdl_, sizeof avgdl) == 0;
    return same ? &table_ : nullptr;
  }
  enum State : uint8_t { kUnknown = 0, kExact = 1, kInexact = 2 };
  // The state of the term whose first block is `first_block`; kUnknown for
  // parameters other than the ones the cache was started with.
  State Get(uint64_t num_blocks, uint32_t first_block, const Bm25Params& p) const {
    Init(num_blocks, p);
    if (!Same(p) || first_block >= size_) return kUnknown;
    return static_cast<State>(states_[first_block].load(std::memory_order_relaxed));
  }
  void Set(uint64_t num_blocks, uint32_t first_block, const Bm25Params& p, State s) const {
    Init(num_blocks, p);
    if (Same(p) && first_block < size_) states_[first_block].store(s, std::memory_order_relaxed);
  }

 private:
  void Init(uint64_t num_blocks, const Bm25Params& p) const {
    std::call_once(once_, [&] {
      params_ = p;
      size_ = num_blocks;
      states_ = std::make_unique<std::atomic<uint8_t>[]>(num_blocks);
    });
  }
  bool Same(const Bm25Params& p) const { return p.k1 == params_.k1 && p.b == params_.b; }
  mutable std::once_flag table_once_;
  mutable Bm25Params table_params_;
  mutable float table_avgdl_ = 0;
  mutable NormInverseTable table_{};
  mutable std::once_flag norm_once_;
  mutable uint8_t max_norm_ = 255;
  mutable std::once_flag once_;
  mutable Bm25Params params_;
  mutable uint64_t size_ = 0;
  mutable std::unique_ptr<std::atomic<uint8_t>[]> states_;
};

// Read-side views of one field's sections (all inside the mapped file).
struct FieldPostingsView {
  std::string_view postings;
  std::string_view positions;  // Empty for fields without positions.
  const uint32_t* last_doc = nullptr;
  const float* max_score = nullptr;
  const BlockInfo* info = nullptr;
  uint64_t num_blocks = 0;
  uint32_t num_docs = 0;  // Doc ids must be < num_docs.
  // The BM25 parameters max_score was computed with, if the file records
  // them for this reader's scoring version: searches with exactly these
  // trust the maxima without checking them term by term. Null otherwise.
  const Bm25Params* max_score_params = nullptr;
  std::shared_ptr<const FieldBoundCache> bound_cache = std::make_shared<FieldBoundCache>();
};

// True iff the term has block entries and every block of it stores exactly (bit for bit) the largest
// Bm25Score(idf, tf, norm_inverse[norm]) over its docs. Decodes the whole
// list; false on any damage. `norms` null: every norm is 1 (keyword fields).
bool StoredMaximaExact(const FieldPostingsView* view, const TermInfo& term,
                       const uint8_t* norms, float idf, const NormInverseTable& norm_inverse);

// Iterates one term's postings. Corrupt data never causes an out-of-range
// read: the cursor ends (doc() == kNoMoreDocs) and corrupt() turns true.
//
// Thread-safety: a cursor is used by one thread; many cursors may read the
// same view concurrently.
class PostingsCursor {
 public:
  PostingsCursor(const FieldPostingsView* view, const TermInfo& term);
  // Not copyable: last_docs_ may point into the cursor itself.
  PostingsCursor(const PostingsCursor&) = delete;
  PostingsCursor& operator=(const PostingsCursor&) = delete;

  uint32_t doc() const { return doc_; }
  uint32_t freq() { return block_tfs()[pos_]; }
  // Moves to the next doc; returns it (kNoMoreDocs at the end).
  uint32_t Next();
  // Moves to the first doc >= target. REQUIRES: target >= doc().
  uint32_t Advance(uint32_t target);
  // Positions of the current doc, increasing. REQUIRES: doc() is a real doc
  // and the field has positions. With `shift`, positions below it are left
  // out and the others come as position - shift (a phrase word's positions
  // as phrase starts).
  void Positions(std::vector<uint32_t>* out, uint32_t shift = 0);
  // As Positions() into buf[0, returned count), growing buf if needed but
  // never shrinking it (a reused buffer is not zero-filled per doc).
  uint32_t PositionsInto(std::vector<uint32_t>* buf, uint32_t shift = 0);
  // Keeps, in place and in order, those of starts[0..n) (increasing) for
  // which start + offset is a position of the current doc; returns how many.
  // Positions are decoded only up to the last start + offset, with no output
  // buffer, and runs of 16 one-byte deltas that stay below the next wanted
  // position are summed at once (SSE2). Same REQUIRES as Positions().
  uint32_t KeepPositions(uint32_t* starts, uint32_t n, uint32_t offset);

  uint32_t doc_freq() const { return term_.doc_freq; }
  // On its first doc, not corrupt (so far): doc_freq() docs remain.
  bool AtStart() const { return block_ == 0 && pos_ == 0 && doc_ != kNoMoreDocs && !corrupt_; }
  const TermInfo& term() const { return term_; }
  // Sets bit d of `bits` for every doc from doc() to the end, decoding doc
  // ids only (no tfs), and leaves the cursor at the end. REQUIRES: `bits`
  // has room for num_docs (every id is checked against num_docs).
  void OrInto(CountBitset* bits);
  bool corrupt() const { return corrupt_; }

  // Block-level access for pruning: current block, its last doc and the
  // stored bound (build-time BM25 parameters, boost 1; 0 for a term without
  // block entries, whose bound SingleBlock() gives).
  uint64_t block() const { return block_; }
  uint32_t block_last_doc() const;
  float block_max_score() const;
  // False for a one-block term of a 2.x file: no stored maxima, no
  // (max_tf, min_norm); the ForEachBlock* calls below see no blocks.
  bool has_block_entries() const { return term_.first_block != kNoBlockEntries; }
  // A term without block entries: all its docs and tfs (decoded at open).
  // Returns the count, 0 if the term is corrupt. They stay valid whatever
  // the cursor does next.
  uint32_t SingleBlock(const uint32_t** docs, const uint32_t** tfs) const {
    *docs = docs_;
    *tfs = tfs_;
    return has_block_entries() || corrupt_ ? 0 : term_.doc_freq;
  }
  // Block-at-a-time access (conjunction kernels): the decoded block's docs
  // (increasing; entries past block_size() are defined but meaningless), its
  // size, and the current doc's index in it.
  // A bitmap block's ids are decoded here if they are still pending.
  const uint32_t* block_docs() {
    DecodePendingDocs();
    return docs_;
  }
  uint32_t block_size() {
    DecodePendingDocs();
    return count_;
  }
  uint32_t block_pos() const { return pos_; }
  // Whether the current block is a bitmap block whose ids are not decoded:
  // then BitmapHas and BitmapIndices answer membership from its words.
  bool bitmap_pending() const { return bitmap_ != nullptr; }
  // Whether `doc` is in the undecoded bitmap block at or after doc().
  // REQUIRES: bitmap_pending(), doc <= block_last_doc().
  bool BitmapHas(uint32_t doc) const {
    const uint32_t o = std::max(doc, doc_) - bitmap_base_;  // In the words for any doc.
    return doc >= doc_ && ((DecodeFixed64(bitmap_ + 8 * (o >> 6)) >> (o & 63)) & 1) != 0;
  }
  // index[i] = the index in the block of docs[i], for n docs BitmapHas
  // accepted (what block_tfs() is indexed by). REQUIRES: bitmap_pending().
  void BitmapIndices(const uint32_t* docs, uint32_t n, uint32_t* index) const;
  // The decoded block's tfs (unpacked now if still pending).
  const uint32_t* block_tfs() {
    if (tf_src_ != nullptr) DecodeTfs();
    return tfs_;
  }
  // Moves to index i of the decoded block. REQUIRES: block_pos() <= i <
  // block_size().
  void SetBlockPos(uint32_t i) {
    DecodePendingDocs();
    pos_ = i;
    doc_ = docs_[i];
  }
  // Index of the first doc >= target in the decoded block, searching from
  // index `from`. REQUIRES: from < block_size() and target <= its last doc.
  uint32_t SeekIndex(uint32_t from, uint32_t target);
  // Index of the first doc > up_to in the decoded block, from the current
  // doc on (block_size() if none).
  uint32_t EndIndex(uint32_t up_to) {
    const uint32_t n = block_size();
    if (n == 0 || docs_[n - 1] <= up_to) return n;
    return SeekIndex(pos_, up_to + 1);
  }

  // Whether blocks remain from the shallow (or current) block on.
  bool BlocksLeft() const { return std::max(shallow_, block_) < num_blocks_; }

  // Shallow skipping: moves a second block pointer (never behind the decoded
  // block) to the block that holds the first doc >= target, reading only the
  // skip arrays, and returns that block's last doc (kNoMoreDocs past the end).
  uint32_t ShallowAdvance(uint32_t target);
  // Last doc of the block `ahead` blocks after the shallow (or current) one;
  // kNoMoreDocs past the end.
  uint32_t ShallowLastDoc(uint64_t ahead) const {
    const uint64_t b = std::max(shallow_, block_) + ahead;
    return b < num_blocks_ ? LastDoc(b) : kNoMoreDocs;
  }
  // Calls f(max_tf, min_norm) for each block from the shallow block up to the
  // one containing `up_to`: the inputs of a safe score bound for any k1, b.
  template <typename F>
  void ForEachBlockBound(uint32_t up_to, F&& f) const {
    if (!has_block_entries()) return;
    for (uint64_t b = std::max(shallow_, block_); b < num_blocks_; ++b) {
      const BlockInfo& bi = view_->info[term_.first_block + b];
      f(bi.max_tf, bi.min_norm);
      if (view_->last_doc[term_.first_block + b] >= up_to) break;
    }
  }
  // As ForEachBlockBound, with the stored maximum of each block.
  template <typename F>
  void ForEachBlockStoredMax(uint32_t up_to, F&& f) const {
    if (!has_block_entries()) return;
    for (uint64_t b = std::max(shallow_, block_); b < num_blocks_; ++b) {
      f(view_->max_score[term_.first_block + b]);
      if (view_->last_doc[term_.first_block + b] >= up_to) break;
    }
  }
  // The largest stored block maximum of the term.
  float StoredMax() const {
    float m = 0;
    if (!has_block_entries()) return m;
    for (uint64_t b = 0; b < num_blocks_; ++b) m = std::max(m, view_->max_score[term_.first_block + b]);
    return m;
  }
  // As above over all blocks of the term.
  template <typename F>
  void ForEachBlock(F&& f) const {
    if (!has_block_entries()) return;
    for (uint64_t b = 0; b < num_blocks_; ++b) {
      const BlockInfo& bi = view_->info[term_.first_block + b];
      f(bi.max_tf, bi.min_norm);
    }
  }

 private:
  // Decodes block b (relative); false at end. Without tfs, freq() is
  // undefined until the next LoadBlock with them.
  bool LoadBlock(uint64_t b, bool with_tfs = true);
  // Unpacks the tfs of the current packed block. They are decoded on first
  // use: a conjunction seeks through many blocks and scores few of their docs.
  void DecodeTfs();
  // The one block of a term without block entries (inline or varint).
  bool LoadSingleBlock();
  void Fail();
  // The current doc's first position byte, skipping earlier docs of the
  // block (lazily, from where the last call stopped); null after Fail().
  const char* DocPositions();
  // Decodes the current bitmap block's ids into docs_ (bitmap_ then null).
  void DecodeBitmapDocs();
  // docs_ and count_ hold the whole decoded block from here on.
  void DecodePendingDocs() {
    if (bitmap_ != nullptr) DecodeBitmapDocs();
  }
  // Advance within the current, undecoded bitmap block: sets pos_, returns
  // the doc. REQUIRES: bitmap_base_ <= target <= the block's last doc.
  uint32_t SeekInBitmap(uint32_t target);
  // OrInto's step for bitmap block b (not the last): its words ORed into
  // bits, no decoding. False (nothing set) if the block is damaged.
  bool OrBitmapBlock(uint64_t b, CountBitset* bits);
  // Last doc of block b (relative); b < num_blocks_.
  uint32_t LastDoc(uint64_t b) const { return last_docs_[b]; }

  const FieldPostingsView* view_;
  TermInfo term_;
  uint64_t num_blocks_ = 0;  // Blocks of this term.
  uint64_t block_ = 0;       // Current block, relative to term_.first_block.
  uint64_t shallow_ = 0;     // ShallowAdvance's block, >= block_ when used.
  uint32_t count_ = 0;       // Docs in the current block (1 for an undecoded bitmap).
  uint32_t pos_ = 0;         // Index in the current block.
  uint32_t doc_ = kNoMoreDocs;
  uint32_t single_last_ = 0;  // Last doc of a term without block entries.
  // The term's block_last_doc entries, or &single_last_ (no branch per skip).
  const uint32_t* last_docs_ = &single_last_;
  bool corrupt_ = false;
  uint8_t tf_bits_ = 0;              // Width of the pending tfs.
  const char* tf_src_ = nullptr;     // Packed tfs not yet in tfs_, or null.
  // Lazily advanced positions reader inside the current block.
  const char* pos_ptr_ = nullptr;
  uint32_t pos_index_ = 0;   // Doc index in block that pos_ptr_ points at.
  // The current block's words while it is a bitmap block not yet decoded
  // into docs_ (only docs_[0] is then set, and count_ is 1), else null.
  const char* bitmap_ = nullptr;
  uint32_t bitmap_words_ = 0;
  uint32_t bitmap_base_ = 0;  // The id of bit 0.
  uint8_t bitmap_rank_[kMaxBitmapWords];  // Bits set in the words before word k.
  // Defined throughout: SeekInBlock reads whole groups of four. The slack
  // takes the entries a bitmap decoder writes past the last doc.
  alignas(64) uint32_t docs_[128 + 4] = {};
  alignas(64) uint32_t tfs_[128];
};

}  // namespace libsearch::internal
