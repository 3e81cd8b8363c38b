// A set of doc ids as a Roaring bitmap (CRoaring): compact whether the set
// is sparse (sorted arrays), dense (bitsets) or runs, with fast iteration
// and seeks. Used for cached filters and a segment's deleted docs.
#pragma once

#include <roaring/roaring.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace libsearch::internal {

// Thread-safety: const methods are safe from any thread once built.
class DocSet {
 public:
  DocSet() : bitmap_(roaring_bitmap_create()) {}
  ~DocSet() { roaring_bitmap_free(bitmap_); }
  DocSet(const DocSet&) = delete;
  DocSet& operator=(const DocSet&) = delete;

  // REQUIRES: docs increase across calls (how a scorer yields them).
  void AddMany(const uint32_t* docs, size_t n) { roaring_bitmap_add_many(bitmap_, n, docs); }
  void Add(uint32_t doc) { roaring_bitmap_add(bitmap_, doc); }
  // Adds every doc of `other`.
  void AddAll(const DocSet& other) { roaring_bitmap_or_inplace(bitmap_, other.bitmap_); }
  std::unique_ptr<DocSet> Clone() const {
    return std::unique_ptr<DocSet>(new DocSet(roaring_bitmap_copy(bitmap_)));
  }
  // Converts long runs to run containers; call once when done adding.
  void Optimize() { roaring_bitmap_run_optimize(bitmap_); }
  uint64_t cardinality() const { return roaring_bitmap_get_cardinality(bitmap_); }
  // The largest doc; 0 if the set is empty.
  uint32_t maximum() const { return roaring_bitmap_maximum(bitmap_); }
  bool Contains(uint32_t doc) const { return roaring_bitmap_contains(bitmap_, doc); }
  // Memory held, approximately (the serialised size).
  size_t bytes() const { return roaring_bitmap_size_in_bytes(bitmap_) + sizeof(*this); }

  // Roaring's portable serialisation (the same bytes on every platform).
  std::string Serialize() const {
    std::string out(roaring_bitmap_portable_size_in_bytes(bitmap_), '\0');
    roaring_bitmap_portable_serialize(bitmap_, out.data());
    return out;
  }
  // The set serialised in `bytes`, or null if they are not a valid
  // serialisation of exactly that length.
  static std::unique_ptr<DocSet> Deserialize(std::string_view bytes) {
    roaring_bitmap_t* b = roaring_bitmap_portable_deserialize_safe(bytes.data(), bytes.size());
    if (b == nullptr) return nullptr;
    auto set = std::unique_ptr<DocSet>(new DocSet(b));
    if (roaring_bitmap_portable_size_in_bytes(b) != bytes.size()) return nullptr;
    return set;
  }

  // Walks the set in increasing order. Lifetime: within the set's.
  class Iterator {
   public:
    explicit Iterator(const DocSet& set) { roaring_init_iterator(set.bitmap_, &it_); }
    // Current doc, or `end` once past the last.
    uint32_t doc(uint32_t end) const { return it_.has_value ? it_.current_value : end; }
    void Next() { roaring_advance_uint32_iterator(&it_); }
    // Moves to the first doc >= target.
    void Advance(uint32_t target) { roaring_move_uint32_iterator_equalorlarger(&it_, target); }

   private:
    roaring_uint32_iterator_t it_;
  };

 private:
  explicit DocSet(roaring_bitmap_t* bitmap) : bitmap_(bitmap) {}
  roaring_bitmap_t* bitmap_;
};

// A DocSet of docs < num_docs as one bit per doc: a membership test is one
// load, for a set tested at every match (a segment's deleted docs, TopK).
class DocBits {
 public:
  DocBits(const DocSet& set, uint32_t num_docs) : words_((uint64_t{num_docs} + 63) / 64) {
    constexpr uint32_t kEnd = 0xffffffffu;
    DocSet::Iterator it(set);
    for (uint32_t d = it.doc(kEnd); d < num_docs; it.Next(), d = it.doc(kEnd)) {
      words_[d >> 6] |= uint64_t{1} << (d & 63);
    }
  }
  bool Contains(uint32_t doc) const {
    const size_t w = doc >> 6;
    return w < words_.size() && ((words_[w] >> (doc & 63)) & 1) != 0;
  }

 private:
  std::vector<uint64_t> words_;
};

}  // namespace libsearch::internal
