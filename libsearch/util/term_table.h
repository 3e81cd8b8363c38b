// TermTable: interns byte strings as dense ids 0, 1, 2, ... in first-seen
// order. The index builder looks up every token here, so it is built for
// that: all keys live back to back in one buffer (no allocation per term),
// and the open-addressing slots hold the key's offset, length and a hash tag,
// so a lookup usually touches one slot and the key's bytes. (We keep our own
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

  // The id of `term`, adding it (with the next id) if it is new. `*inserted`
  // tells which.
  uint32_t Insert(std::string_view term, bool* inserted) {
    if ((size() + 1) * 2 > slots_.size()) Grow();
    const uint64_t h = Hash64(term.data(), term.size());
    const uint64_t tag = h >> 48;
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.len == kEmpty) {
        const uint32_t id = static_cast<uint32_t>(ends_.size());
        s.offset_tag = (bytes_.size() << 16) | tag;
        s.len = static_cast<uint32_t>(term.size());
        s.id = id;
        bytes_.append(term);
        ends_.push_back(bytes_.size());
        *inserted = true;
        return id;
      }
      if (Matches(s, tag, term)) {
        *inserted = false;
        return s.id;
      }
    }
  }

  // The id of `term`, or kNotFound.
  uint32_t Find(std::string_view term) const {
    if (slots_.empty()) return kNotFound;
    const uint64_t h = Hash64(term.data(), term.size());
    const uint64_t tag = h >> 48;
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.len == kEmpty) return kNotFound;
      if (Matches(s, tag, term)) return s.id;
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
  struct Slot {
    uint64_t offset_tag;  // Offset of the key in bytes_ << 16 | top 16 hash bits.
    uint32_t len;
    uint32_t id;
  };

  bool Matches(const Slot& s, uint64_t tag, std::string_view term) const {
    return (s.offset_tag & 0xffff) == tag && s.len == term.size() &&
           std::memcmp(bytes_.data() + (s.offset_tag >> 16), term.data(), term.size()) == 0;
  }

  void Grow() {
    const size_t n = slots_.empty() ? 1024 : slots_.size() * 2;
    slots_.assign(n, Slot{0, kEmpty, 0});
    const size_t mask = n - 1;
    uint64_t begin = 0;
    for (uint32_t id = 0; id < ends_.size(); ++id) {
      const uint64_t end = ends_[id];
      const uint64_t h = Hash64(bytes_.data() + begin, end - begin);
      size_t i = h & mask;
      while (slots_[i].len != kEmpty) i = (i + 1) & mask;
      slots_[i] = Slot{(begin << 16) | (h >> 48), static_cast<uint32_t>(end - begin), id};
      begin = end;
    }
  }

  std::vector<Slot> slots_;      // A power of two, at most half full.
  std::string bytes_;            // Every key once, in id order.
  std::vector<uint64_t> ends_;   // Key id ends at ends_[id] in bytes_.
};

}  // namespace libsearch::internal
