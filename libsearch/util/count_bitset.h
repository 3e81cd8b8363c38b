// A bitset over doc ids for counting a union of posting lists (COUNT), with a
// byte per 512-doc line that records which lines were written. Counting and
// clearing read only those lines, so the set is left all-zero after each use
// and one per thread is reused: on the 818k-doc catalogue, allocating,
// zeroing and popcounting a fresh 100 KB bitset was a third of a union COUNT.
#pragma once

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
    }
  }
  // The words, doc d at bit d % 64 of word d / 64. Writers that set bits
  // here directly must MarkRange what they wrote.
  uint64_t* words() { return words_.data(); }
  size_t num_words() const { return words_.size(); }  // >= the Reserve()d docs / 64.
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
  Writer writer() { return {words_.data(), lines_.data()}; }
  void Set(uint32_t doc) { writer().Set(doc); }
  // Sets docs[0, n) (increasing): their lines are marked as one range when
  // it has fewer lines than docs (one store per line instead of per doc; a
  // line in the range without docs only costs its count), else doc by doc.
  void SetSorted(const uint32_t* docs, uint32_t n) {
    if (n == 0) return;
    const Writer w = writer();
    if ((docs[n - 1] - docs[0]) / kLineDocs < n) {
      for (uint32_t i = 0; i < n; ++i) w.words[docs[i] >> 6] |= uint64_t{1} << (docs[i] & 63);
      MarkRange(docs[0], docs[n - 1] + 1);
    } else {
      for (uint32_t i = 0; i < n; ++i) w.Set(docs[i]);
    }
  }
  // Marks the lines of docs [from, to) as written. REQUIRES: from < to.
  void MarkRange(uint32_t from, uint32_t to) {
    for (uint32_t l = from / kLineDocs; l <= (to - 1) / kLineDocs; ++l) lines_[l] = 1;
  }
  // The number of bits set; leaves the set clear.
  uint64_t CountAndClear();

 private:
  std::vector<uint64_t> words_;
  std::vector<uint8_t> lines_;
};

}  // namespace libsearch::internal
