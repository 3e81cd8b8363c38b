// Writes an index file from an Inverter's accumulators and the document
// store, every section in one pass (docs/format.md): per field its sorted
// dictionary, term infos, postings and block arrays, norms, columns; then
// the doc ids, statistics, BM25 parameters, synonyms, document store, the
// section table and the header.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "index/bm25.h"
#include "index/doc_store.h"
#include "index/inverter.h"
#include "libsearch/index_builder.h"
#include "libsearch/schema.h"
#include "libsearch/status.h"
#include "storage/file.h"
#include "storage/format.h"
#include "util/bitpack.h"

namespace libsearch::internal {

// Thread-safety: one thread; one writer per file.
class IndexFileWriter {
 public:
  IndexFileWriter(const Schema& schema, const IndexBuilderOptions& options, uint64_t num_docs,
                  AtomicFileWriter* out)
      : schema_(schema), options_(options), num_docs_(num_docs), out_(out) {}

  // Writes the whole file (not committed), consuming the accumulators.
  // REQUIRES: `store` (and `source`, if not null) is finished.
  Status Write(std::vector<FieldAccum>* fields, const DocStoreWriter& store,
               const DocStoreWriter* source = nullptr);

 private:
  // An int or float field: its column and per-block {min, max}.
  Status WriteNumeric(size_t f, FieldAccum* fa);
  // A text or keyword field. For the id field, *doc_ords receives each
  // doc's id-term ordinal.
  Status WriteField(size_t f, FieldAccum* fa, FieldStats* stats, std::vector<uint32_t>* doc_ords);
  // Writes a sorted dictionary and its postings under section field id
  // `section_field`; returns the term ids in dictionary order in *order.
  // The postings are `terms` (consumed), or, if `single_docs`, each term's
  // one doc with tf 1 (the id field, FieldAccum::id_docs).
  Status WriteTerms(uint32_t section_field, const TermTable& names, std::vector<TermAccum>* terms,
                    const std::vector<uint32_t>* single_docs, const uint8_t* norms, bool positions,
                    uint64_t doc_count, const NormInverseTable& table, std::vector<uint32_t>* order,
                    uint64_t* num_blocks);
  // A text field's surface words (docs/format.md, surface_words); `order`
  // holds the field's term ids in dictionary order.
  Status WriteSurfaceWords(uint32_t fid, const FieldAccum& fa, const std::vector<uint32_t>& order);
  // Each doc's id-term ordinal, in as few bits as the largest needs.
  Status WriteDocIds(const std::vector<uint32_t>& doc_ords);
  // The section table and, over the placeholder at offset 0, the header.
  Status WriteTableAndHeader();
  // Also records the chunk checksums of a ChunkedKind section.
  Status AddSection(SectionKind kind, uint32_t field, std::string_view bytes);
  // The kChunkChecksums section of the sections added so far.
  Status WriteChunkChecksums();

  const Schema& schema_;
  const IndexBuilderOptions& options_;
  const uint64_t num_docs_;
  AtomicFileWriter* out_;
  std::vector<SectionEntry> table_;
  std::vector<ChunkedSection> chunked_;
  std::vector<uint64_t> chunk_sums_;
};

}  // namespace libsearch::internal
