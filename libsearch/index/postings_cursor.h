// The read side of postings: a field's sections as a view, and the cursor
// over one term's postings (layout: postings_format.h).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "index/bm25.h"
#include "index/chunk_checks.h"
#include "index/field_bound_cache.h"
#include "index/postings_format.h"
#include "storage/format.h"
#include "util/coding.h"
#include "util/count_bitset.h"

namespace libsearch::internal {

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
  // First-use checks by chunk (2.5 files, ChecksumPolicy::kOnFirstUse):
  // the cursor checks the bytes of each block before it decodes them.
  ChunkGuard postings_chunks{}, positions_chunks{};
};

// True iff the term has block entries and every block of it stores exactly (bit for bit) the
// largest Bm25Score(idf, tf, norm_inverse[norm]) over its docs. Decodes the whole list; false on
// any damage. `norms` null: every norm is 1 (keyword fields).
bool StoredMaximaExact(const FieldPostingsView* view, const TermInfo& term, const uint8_t* norms,
                       float idf, const NormInverseTable& norm_inverse);

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
    for (uint64_t b = 0; b < num_blocks_; ++b)
      m = std::max(m, view_->max_score[term_.first_block + b]);
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
  uint8_t tf_bits_ = 0;           // Width of the pending tfs.
  const char* tf_src_ = nullptr;  // Packed tfs not yet in tfs_, or null.
  // Lazily advanced positions reader inside the current block.
  const char* pos_ptr_ = nullptr;
  uint32_t pos_index_ = 0;  // Doc index in block that pos_ptr_ points at.
  // The current block's words while it is a bitmap block not yet decoded
  // into docs_ (only docs_[0] is then set, and count_ is 1), else null.
  const char* bitmap_ = nullptr;
  uint32_t bitmap_words_ = 0;
  uint32_t bitmap_base_ = 0;              // The id of bit 0.
  uint8_t bitmap_rank_[kMaxBitmapWords];  // Bits set in the words before word k.
  // Defined throughout: SeekInBlock reads whole groups of four. The slack
  // takes the entries a bitmap decoder writes past the last doc.
  alignas(64) uint32_t docs_[128 + 4] = {};
  alignas(64) uint32_t tfs_[128];
};

}  // namespace libsearch::internal
