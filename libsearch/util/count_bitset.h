// A bitset over doc ids for counting a union of posting lists (COUNT), with a
// byte per 512-doc line that records which lines were written. Counting and
// clearing read only those lines, so the set is left all-zero after each use
// and one per thread is reused: a fresh bitset per query, allocated, zeroed
// and popcounted, costs a large share of a union COUNT on a big index (see
// docs/design-notes.md, COUNT).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace libsearch::internal {

// Thread-safety: one user at a time (CountMatches keeps one per thread).
class CountBitset {
 public:
  static constexpr uint32_t kLineDocs = 512;  // 8 words: one cache line.

  // Room for docs [0, num_docs). REQUIRES: the set is clear (new, or after
  // CountAndClear); bits already there stay valid.
  void Reserve(uint32_t num_docs) {
    const size_t lines = (size_t{num_docs} + kLineDocs - 1) / kLineDocs;
    if (lines > lines_.size()) {
      // Whole 8-byte groups of line flags, for CountAndClear's scan.
      lines_.resize((lines + 7) / 8 * 8, 0);
      words_.resize(lines_.size() * (kLineDocs / 64), 0);
      // Listing pays only where the scan is long (it costs a store per doc).
      max_touched_ = static_cast<uint32_t>(std::min<size_t>(kMaxTouched, lines_.size() / 2));
    }
  }
  // The words, doc d at bit d % 64 of word d / 64. Writers that set bits
  // here directly must MarkRange what they wrote.
  uint64_t* words() { return words_.data(); }
  size_t num_words() const { return words_.size(); }  // >= the Reserve()d docs / 64.
  void Set(uint32_t doc) { SetSorted(&doc, 1); }
  // Sets docs[0, n) (increasing): their lines are marked as one range when
  // it has fewer lines than docs (one store per line instead of per doc; a
  // line in the range without docs only costs its count), else doc by doc.
  void SetSorted(const uint32_t* docs, uint32_t n) {
    if (n == 0) return;
    const Writer w{words_.data(), lines_.data()};
    if (num_touched_ + n <= max_touched_) {
      // Each doc's own line, so that every flagged line has a listed word.
      for (uint32_t i = 0; i < n; ++i) {
        touched_[num_touched_ + i] = docs[i] >> 6;
        w.Set(docs[i]);
      }
      num_touched_ += n;
      return;
    }
    num_touched_ = kTooMany;
    if ((docs[n - 1] - docs[0]) / kLineDocs < n) {
      for (uint32_t i = 0; i < n; ++i) w.words[docs[i] >> 6] |= uint64_t{1} << (docs[i] & 63);
      MarkLines(docs[0], docs[n - 1] + 1);
    } else {
      for (uint32_t i = 0; i < n; ++i) w.Set(docs[i]);
    }
  }
  // Marks the lines of docs [from, to) as written (bits set through
  // words()). REQUIRES: from < to.
  void MarkRange(uint32_t from, uint32_t to) {
    num_touched_ = kTooMany;
    MarkLines(from, to);
  }
  // The number of bits set; leaves the set clear.
  uint64_t CountAndClear();

 private:
  // Sets bits through two raw pointers: held in registers across a loop
  // (the flag stores are char stores, which may alias anything in memory,
  // so Set through the vectors would reload their pointers every doc).
  // Lifetime: until the next Reserve().
  struct Writer {
    uint64_t* words;
    uint8_t* lines;
    // REQUIRES: doc < the Reserve()d count.
    void Set(uint32_t doc) const {
      words[doc >> 6] |= uint64_t{1} << (doc & 63);
      lines[doc / kLineDocs] = 1;  // A plain store: no read-modify-write chain.
    }
  };
  // Up to max_touched_ docs set with Set/SetSorted are also listed by word,
  // and counting visits just those words: a union of rare terms touches few
  // of a big index's lines, and scanning every line's flag, then the words
  // of each flagged line, would cost more than the words it finds. Past
  // that, or after a bulk write, the flags are scanned. On small indexes the
  // scan is short and listing costs more, hence a cap of half the lines (see
  // docs/design-notes.md, COUNT).
  static constexpr uint32_t kMaxTouched = 1024;
  static constexpr uint32_t kTooMany = kMaxTouched + 1;

  void MarkLines(uint32_t from, uint32_t to) {
    for (uint32_t l = from / kLineDocs; l <= (to - 1) / kLineDocs; ++l) lines_[l] = 1;
  }

  std::vector<uint64_t> words_;
  std::vector<uint8_t> lines_;
  uint32_t max_touched_ = 0;
  uint32_t num_touched_ = 0;  // Above max_touched_ (kTooMany): not listed.
  uint32_t touched_[kMaxTouched];
};

}  // namespace libsearch::internal
