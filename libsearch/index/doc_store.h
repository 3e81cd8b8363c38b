// Stored documents: compact JSON records packed into blocks, each block
// compressed with zstd. A block holds u32 offsets[num_docs + 1] then the
// records. The index section lists (first doc, doc count, offset) per block.
// Records are JSON because hits are returned as JSON objects; the decoding
// cost stays with the caller who asked for the document.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "index/chunk_checks.h"
#include "libsearch/status.h"
#include "storage/format.h"

namespace libsearch::internal {

// Thread-safety: single-threaded.
class DocStoreWriter {
 public:
  DocStoreWriter(int zstd_level, uint32_t block_bytes)
      : level_(zstd_level), block_bytes_(block_bytes) {}
  Status Add(std::string_view record);
  // Flushes the last block; then index() and data() are the two sections.
  Status Finish();
  std::string_view index() const {
    return {reinterpret_cast<const char*>(index_.data()),
            index_.size() * sizeof(DocStoreIndexEntry)};
  }
  const std::string& data() const { return data_; }

 private:
  Status Flush();
  int level_;
  uint32_t block_bytes_;
  uint32_t next_doc_ = 0;
  std::vector<uint32_t> offsets_;
  std::string pending_;
  std::string data_;
  std::vector<DocStoreIndexEntry> index_;
};

// Thread-safety: immutable; Get() is safe from any thread.
class DocStoreReader {
 public:
  DocStoreReader() = default;
  static Result<DocStoreReader> Open(std::string_view index, std::string_view data,
                                     uint64_t num_docs);
  // The stored JSON record of `doc`. Corruption if the block fails to decode
  // or the record is not a JSON object.
  Result<std::string> Get(uint32_t doc) const;
  // First-use checks by chunk of the data section: Get() checks the block
  // it reads (the index section is checked whole, by the caller).
  void set_chunks(ChunkGuard chunks) { chunks_ = chunks; }

 private:
  ChunkGuard chunks_;
  const DocStoreIndexEntry* entries_ = nullptr;
  uint64_t num_blocks_ = 0;
  std::string_view data_;
};

}  // namespace libsearch::internal
