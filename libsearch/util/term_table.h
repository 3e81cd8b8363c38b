// TermTable: interns byte strings as dense ids 0, 1, 2, ... in first-seen
// order. The index builder looks up every token here, so it is built for
// that: all keys live back to back in one buffer (no allocation per term),
// and an open-addressing slot holds a key of up to 8 bytes itself, else its
// offset and a hash tag, so a lookup usually touches one slot (and the
// bytes of a longer key). (We keep our own
// rather than absl::flat_hash_map<std::string_view, ...>: the keys need our
// arena anyway, and abseil is not among the dependencies the static Lambda
// build compiles.)
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "util/hash.h"

namespace libsearch::internal {

class TermTable {
 public:
  static constexpr uint32_t kNotFound = 0xffffffffu;

  static uint64_t Hash(std::string_view term) { return Hash64(term.data(), term.size()); }

  // Brings the first slot a key of hash `h` probes into the cache.
  void Prefetch(uint64_t h) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[h & (slots_.size() - 1)]);
  }

  // The id of `term`, adding it (with the next id) if it is new. `*inserted`
  // tells which. `h` is Hash(term).
  uint32_t Insert(std::string_view term, uint64_t h, bool* inserted) {
    if ((size() + 1) * 2 > slots_.size()) Grow();
    const uint64_t word = Word(term, bytes_.size(), h);
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.len == kEmpty) {
        const uint32_t id = static_cast<uint32_t>(ends_.size());
        s = Slot{word, static_cast<uint32_t>(term.size()), id};
        bytes_.append(term);
        ends_.push_back(bytes_.size());
        *inserted = true;
        return id;
      }
      if (Matches(s, word, term)) {
        *inserted = false;
        return s.id;
      }
    }
  }

  // The id of `term`, or kNotFound.
  uint32_t Find(std::string_view term) const {
    if (slots_.empty()) return kNotFound;
    const uint64_t h = Hash(term);
    const uint64_t word = Word(term, 0, h);
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.len == kEmpty) return kNotFound;
      if (Matches(s, word, term)) return s.id;
    }
  }

  // Valid until the next Insert.
  std::string_view Term(uint32_t id) const {
    const uint64_t begin = id == 0 ? 0 : ends_[id - 1];
    return std::string_view(bytes_).substr(begin, ends_[id] - begin);
  }

  size_t size() const { return ends_.size(); }

 private:
  static constexpr uint32_t kEmpty = 0xffffffffu;  // Keys are < 4 GiB.
  static constexpr size_t kInline = 8;
  struct Slot {
    // A key of up to kInline bytes, zero-padded; a longer one's offset in
    // bytes_ << 16 | the top 16 bits of its hash.
    uint64_t word;
    uint32_t len;
    uint32_t id;
  };

  // The slot word of `term`, were it stored at `offset`.
  static uint64_t Word(std::string_view term, uint64_t offset, uint64_t hash) {
    if (term.size() > kInline) return offset << 16 | hash >> 48;
    uint64_t word = 0;
    std::memcpy(&word, term.data(), term.size());
    return word;
  }

  bool Matches(const Slot& s, uint64_t word, std::string_view term) const {
    if (s.len != term.size()) return false;
    if (term.size() <= kInline) return s.word == word;
    return (s.word & 0xffff) == (word & 0xffff) &&
           std::memcmp(bytes_.data() + (s.word >> 16), term.data(), term.size()) == 0;
  }

  void Grow() {
    const size_t n = slots_.empty() ? 1024 : slots_.size() * 2;
    slots_.assign(n, Slot{0, kEmpty, 0});
    const size_t mask = n - 1;
    uint64_t begin = 0;
    for (uint32_t id = 0; id < ends_.size(); ++id) {
      const uint64_t end = ends_[id];
      const std::string_view term(bytes_.data() + begin, end - begin);
      const uint64_t h = Hash64(term.data(), term.size());
      size_t i = h & mask;
      while (slots_[i].len != kEmpty) i = (i + 1) & mask;
      slots_[i] = Slot{Word(term, begin, h), static_cast<uint32_t>(term.size()), id};
      begin = end;
    }
  }

  std::vector<Slot> slots_;     // A power of two, at most half full.
  std::string bytes_;           // Every key once, in id order.
  std::vector<uint64_t> ends_;  // Key id ends at ends_[id] in bytes_.
};

}  // namespace libsearch::internal
