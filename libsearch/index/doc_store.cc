#include "index/doc_store.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string_view>

#include "util/coding.h"
#include "util/json_check.h"

namespace libsearch::internal {

Status DocStoreWriter::Add(std::string_view record) {
  if (offsets_.empty()) offsets_.push_back(0);
  pending_.append(record);
  offsets_.push_back(static_cast<uint32_t>(pending_.size()));
  ++next_doc_;
  if (pending_.size() >= block_bytes_) return Flush();
  return Status::Ok();
}

Status DocStoreWriter::Flush() {
  if (offsets_.size() <= 1) return Status::Ok();
  const uint32_t n = static_cast<uint32_t>(offsets_.size() - 1);
  std::string raw;
  raw.reserve(4 * offsets_.size() + pending_.size());
  for (uint32_t off : offsets_) PutFixed32(&raw, off);
  raw.append(pending_);
  std::string compressed(ZSTD_compressBound(raw.size()), '\0');
  const size_t size =
      ZSTD_compress(compressed.data(), compressed.size(), raw.data(), raw.size(), level_);
  if (ZSTD_isError(size)) {
    return Status::Internal(std::string("zstd compression failed: ") + ZSTD_getErrorName(size));
  }
  index_.push_back({next_doc_ - n, n, data_.size()});
  data_.append(compressed.data(), size);
  pending_.clear();
  offsets_.clear();
  return Status::Ok();
}

Status DocStoreWriter::Finish() { return Flush(); }

Result<DocStoreReader> DocStoreReader::Open(std::string_view index, std::string_view data,
                                            uint64_t /*num_docs*/) {
  if (index.size() % sizeof(DocStoreIndexEntry) != 0) {
    return Status::Corruption("document store index has a partial entry");
  }
  DocStoreReader r;
  r.entries_ = reinterpret_cast<const DocStoreIndexEntry*>(index.data());
  r.num_blocks_ = index.size() / sizeof(DocStoreIndexEntry);
  r.data_ = data;
  return r;
}

Result<std::string> DocStoreReader::Get(uint32_t doc) const {
  // Last block whose first_doc <= doc.
  const DocStoreIndexEntry* end = entries_ + num_blocks_;
  const DocStoreIndexEntry* it = std::upper_bound(
      entries_, end, doc, [](uint32_t d, const DocStoreIndexEntry& e) { return d < e.first_doc; });
  // Every doc below the file's doc count has a record.
  if (it == entries_) {
    return Status::Corruption("document store has no block for doc " + std::to_string(doc));
  }
  --it;
  if (doc - it->first_doc >= it->num_docs) {
    return Status::Corruption("document store has no block for doc " + std::to_string(doc));
  }
  const uint64_t begin = it->offset;
  const uint64_t stop = it + 1 < end ? (it + 1)->offset : data_.size();
  if (begin > stop || stop > data_.size()) {
    return Status::Corruption("document store block offsets out of range");
  }
  chunks_.Use(begin, stop);
  const char* src = data_.data() + begin;
  const size_t src_size = stop - begin;
  const unsigned long long raw_size = ZSTD_getFrameContentSize(src, src_size);
  // Each zstd block takes at least 3 bytes and yields at most
  // ZSTD_BLOCKSIZE_MAX: a larger size than that is damage, not data.
  const uint64_t most = (src_size / 3 + 1) * uint64_t{ZSTD_BLOCKSIZE_MAX};
  if (raw_size == ZSTD_CONTENTSIZE_ERROR || raw_size == ZSTD_CONTENTSIZE_UNKNOWN ||
      raw_size > (1ull << 30) || raw_size > most || raw_size < 4ull * (it->num_docs + 1)) {
    return Status::Corruption("document store block for doc " + std::to_string(doc) +
                              " has a bad header");
  }
  // A decompression context costs more to set up than a block costs to
  // decode: keep one per thread (see docs/design-notes.md, "Postings layout").
  struct DCtx {
    ZSTD_DCtx* ctx = ZSTD_createDCtx();
    ~DCtx() { ZSTD_freeDCtx(ctx); }
  };
  thread_local DCtx dctx;
  // Not zero-filled: a damaged header that claims far more than the frame
  // holds then costs the pages zstd writes before it fails, not its claim.
  const std::unique_ptr<char[]> buffer(new char[raw_size]);
  const std::string_view raw(buffer.get(), raw_size);
  const size_t got = ZSTD_decompressDCtx(dctx.ctx, buffer.get(), raw_size, src, src_size);
  if (ZSTD_isError(got) || got != raw_size) {
    return Status::Corruption("document store block for doc " + std::to_string(doc) +
                              " does not decompress");
  }
  const uint32_t i = doc - it->first_doc;
  const size_t header = 4ull * (it->num_docs + 1);
  const uint32_t lo = DecodeFixed32(raw.data() + 4ull * i);
  const uint32_t hi = DecodeFixed32(raw.data() + 4ull * (i + 1));
  if (lo > hi || header + hi > raw.size()) {
    return Status::Corruption("document store record " + std::to_string(doc) + " out of range");
  }
  // Every record is a JSON object (stored fields, a source), which callers
  // pass on as is: a damaged one must not reach a response.
  std::string record(raw.substr(header + lo, hi - lo));
  if (!IsJsonObject(record)) {
    return Status::Corruption("stored document " + std::to_string(doc) +
                              " is not a JSON object (the file is damaged)");
  }
  return record;
}

}  // namespace libsearch::internal
