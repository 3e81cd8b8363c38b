// Term dictionary of one field: terms in byte order, front-coded in blocks of
// kTermsPerBlock, plus a block index of offsets. A term's ordinal (its rank)
// indexes the TermInfo array. Exact lookup = binary search over block first
// keys (first over their 8-byte prefixes, kept in their own dense array so
// the search's last probes share cache lines) + a scan of at most one block;
// prefix ranges are ordinal ranges.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "index/chunk_checks.h"
#include "libsearch/status.h"

namespace libsearch::internal {

inline constexpr uint32_t kTermsPerBlock = 32;

// Encodes sorted, distinct terms. Output: `blocks` (kTermBlocks section),
// `index` (kTermIndex: u64 offsets[num_blocks + 1] into `blocks`) and
// `prefixes` (kTermKeyPrefixes: KeyPrefix of each block's first term, u64).
void WriteTermDict(const std::vector<std::string_view>& sorted_terms, std::string* blocks,
                   std::string* index, std::string* prefixes);

// WriteTermDict one term at a time, so that a build need not hold a sorted
// copy of a field's terms (818k ids take 13 MB as string_views).
class TermDictWriter {
 public:
  // Clears the three outputs, which must outlive the writer.
  TermDictWriter(std::string* blocks, std::string* index, std::string* prefixes);
  // The next term. REQUIRES: greater than the last one added.
  void Add(std::string_view term);
  // Completes the outputs.
  void Finish();

 private:
  std::string* blocks_;
  std::string* index_;
  std::string* prefixes_;
  std::string prev_;
  uint64_t count_ = 0;
};

// The first 8 bytes of `key`, zero-padded, read as a big-endian number. For
// two keys, a smaller number means a smaller key and a larger one a larger
// key; equal numbers decide nothing (a byte 0 and padding look alike).
uint64_t KeyPrefix(std::string_view key);

// Read side over the two mapped sections. Every read is bounds-checked, so a
// corrupt file yields errors, never out-of-range reads.
//
// Thread-safety: immutable; safe from any thread.
class TermDictReader {
 public:
  TermDictReader() = default;
  // Checks the section sizes; offsets are checked lazily on each read.
  // `prefixes` may be empty (files before 2.2): lookups then binary-search
  // the blocks' first keys, about one more cache miss per probe.
  static Result<TermDictReader> Open(std::string_view blocks, std::string_view index,
                                     std::string_view prefixes, uint64_t num_terms);

  uint64_t num_terms() const { return num_terms_; }
  // First-use checks by chunk of the blocks section: each read checks the
  // block it decodes (the index and prefixes are checked whole, by group).
  void set_chunks(ChunkGuard chunks) { chunks_ = chunks; }

  // Ordinal of `term`, or nullopt if absent (or the block is corrupt).
  std::optional<uint32_t> Find(std::string_view term) const;
  // Ordinal of the first term >= `key` (num_terms() if none).
  uint32_t LowerBound(std::string_view key) const;
  // The term with ordinal `ord` into *out; false if ord is out of range or
  // its block is malformed. No allocation once *out has grown (doc ids of
  // every hit come this way).
  bool Term(uint32_t ord, std::string* out) const;
  // Starts loading the block of `ord` into the cache (no effect if out of
  // range), so that many Term() calls can overlap their memory reads.
  void Prefetch(uint32_t ord) const;
  // Decodes terms [first, first + count) in order into *out (appends).
  // Returns Corruption if the block bytes are malformed.
  Status Terms(uint32_t first, uint32_t count, std::vector<std::string>* out) const;

  // Walks terms in order without allocating per term: front coding tells how
  // many leading bytes each term shares with the one before, which lets a
  // caller reuse work done on that prefix (the typo walk reuses DP rows).
  //
  // Lifetime: must not outlive the reader. Not thread-safe; cheap to create.
  class Iterator {
   public:
    explicit Iterator(const TermDictReader& dict) : dict_(&dict) {}
    // Positions on term `ord`; false at the end or if its block is corrupt.
    // After a seek, shared() is 0.
    bool Seek(uint32_t ord);
    // Moves to the next term; false at the end or on corruption.
    bool Next();
    uint32_t ord() const { return ord_; }
    std::string_view term() const { return term_; }
    // Leading bytes term() shares with the previous term of the walk.
    size_t shared() const { return shared_; }
    bool corrupt() const { return corrupt_; }

   private:
    bool Decode();  // Reads the entry at p_ into term_ and shared_.
    const TermDictReader* dict_;
    const char* p_ = nullptr;
    const char* limit_ = nullptr;
    uint32_t ord_ = 0;
    std::string term_;
    std::string previous_;
    size_t shared_ = 0;
    bool corrupt_ = false;
  };

 private:
  // Byte range of block `b`; false if its offsets are corrupt.
  bool BlockRange(uint64_t b, const char** begin, const char** end) const;
  // Decodes the first key of block `b` (stored with zero shared prefix).
  std::string_view BlockKey(uint64_t b) const;
  // The last block whose first key is <= key (0 if none is).
  uint64_t LastBlockAtMost(std::string_view key) const;
  // Scans block `b` for the first term >= key; returns its ordinal and sets
  // *exact if equal. Returns the next block's first ordinal if none.
  uint32_t ScanBlock(uint64_t b, std::string_view key, bool* exact) const;

  ChunkGuard chunks_;
  std::string_view blocks_;
  const char* offsets_ = nullptr;   // u64[num_blocks_ + 1], little-endian.
  const char* prefixes_ = nullptr;  // u64[num_blocks_] KeyPrefix values, or null.
  uint64_t num_blocks_ = 0;
  uint64_t num_terms_ = 0;
};

}  // namespace libsearch::internal
