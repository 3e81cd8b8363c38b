// First-use checksums by chunk (format 2.5, kChunkChecksums): a search
// checks only the chunks of the large sections (dictionaries, postings,
// positions, ids, stored documents) it reads, not the whole sections, so a
// cold first search reads about what it would read without checksums
// (docs/design-notes.md, "Checksums").
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "libsearch/status.h"
#include "storage/file.h"
#include "storage/format.h"

namespace libsearch::internal {

// The chunks of one section and which of them are checked.
// Thread-safety: Use() from any thread; a chunk checked by two threads at
// once is hashed twice, which is harmless.
class ChunkedSectionChecks {
 public:
  // Checks, unless done, every chunk that holds a byte of [begin, end)
  // (offsets in the section; clipped to it). A mismatch is recorded in
  // *damaged (this section's table index) and the chunk stays unchecked.
  void Use(uint64_t begin, uint64_t end) const {
    if (end > length_) end = length_;
    if (begin >= end) return;
    for (uint64_t c = begin >> shift_, last = (end - 1) >> shift_; c <= last; ++c) {
      if (!checked_[c].load(std::memory_order_acquire)) Check(c);
    }
  }

 private:
  friend class ChunkChecks;
  void Check(uint64_t chunk) const;

  const MappedFile* file_ = nullptr;
  uint64_t offset_ = 0;  // The section's, in the file.
  uint64_t length_ = 0;
  uint32_t shift_ = 0;          // log2(chunk bytes).
  const char* sums_ = nullptr;  // u64 per chunk (the checked table, mapped).
  uint32_t section_ = 0;        // Index in the section table.
  std::atomic<int64_t>* damaged_ = nullptr;
  std::unique_ptr<std::atomic<bool>[]> checked_;
};

// A view's handle on its section's chunks: does nothing when the section
// is not checked by chunk (no chunk table, policy kOff or kAtOpen, or a
// section checked whole with its group).
class ChunkGuard {
 public:
  ChunkGuard() = default;
  explicit ChunkGuard(const ChunkedSectionChecks* checks) : checks_(checks) {}
  void Use(uint64_t begin, uint64_t end) const {
    if (checks_ != nullptr) checks_->Use(begin, end);
  }
  bool active() const { return checks_ != nullptr; }

 private:
  const ChunkedSectionChecks* checks_ = nullptr;
};

// Every chunked section of one file.
class ChunkChecks {
 public:
  // `table` is the kChunkChecksums section, already checked whole. Corruption
  // if it does not describe `sections` (sizes, kinds, chunk counts).
  static Result<std::unique_ptr<ChunkChecks>> Open(std::string_view table,
                                                   const std::vector<SectionEntry>& sections,
                                                   const MappedFile* file,
                                                   std::atomic<int64_t>* damaged);
  // The checks of section `i` of the table, or null if it is not chunked.
  const ChunkedSectionChecks* Section(uint32_t i) const {
    return i < by_section_.size() ? by_section_[i] : nullptr;
  }
  // Marks checked what `other` (the same file, another reader) checked.
  void AdoptFrom(const ChunkChecks& other);
  // Checks every chunk (Verify: the table must agree with the sections);
  // the index in the section table of the first bad section, or -1.
  int64_t CheckAll() const;

 private:
  std::vector<std::unique_ptr<ChunkedSectionChecks>> sections_;
  std::vector<const ChunkedSectionChecks*> by_section_;  // Per table entry.
};

}  // namespace libsearch::internal
