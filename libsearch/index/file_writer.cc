#include "index/file_writer.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "index/bm25.h"
#include "index/postings_writer.h"
#include "index/term_dict.h"
#include "index/term_infos.h"
#include "util/coding.h"
#include "util/hash.h"

namespace libsearch::internal {
namespace {

template <typename T>
std::string_view Bytes(const std::vector<T>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)};
}

}  // namespace

Status IndexFileWriter::Write(std::vector<FieldAccum>* fields, const DocStoreWriter& store,
                              const DocStoreWriter* source) {
  LIBSEARCH_RETURN_IF_ERROR(out_->Append(std::string(sizeof(FileHeader), '\0')));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kSchema, kNoField, schema_.ToJson()));
  std::vector<FieldStats> stats(fields->size(), FieldStats{});
  std::vector<uint32_t> doc_ords;
  for (size_t f = 0; f < fields->size(); ++f) {
    const FieldSpec& spec = schema_.fields()[f];
    if (spec.type == FieldType::kInt || spec.type == FieldType::kFloat) {
      LIBSEARCH_RETURN_IF_ERROR(WriteNumeric(f, &(*fields)[f]));
      continue;
    }
    if (!spec.indexed || (spec.type != FieldType::kText && spec.type != FieldType::kKeyword)) {
      continue;
    }
    LIBSEARCH_RETURN_IF_ERROR(WriteField(f, &(*fields)[f], &stats[f], &doc_ords));
  }
  LIBSEARCH_RETURN_IF_ERROR(WriteDocIds(doc_ords));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kFieldStats, kNoField, Bytes(stats)));
  const Bm25ParamsRecord rec{options_.bm25.k1, options_.bm25.b, kScoringVersion, 0};
  const std::string_view rec_bytes(reinterpret_cast<const char*>(&rec), sizeof rec);
  LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kBm25Params, kNoField, rec_bytes));
  if (!options_.synonyms.empty()) {
    LIBSEARCH_RETURN_IF_ERROR(
        AddSection(SectionKind::kSynonyms, kNoField, nlohmann::json(options_.synonyms).dump()));
  }
  LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kDocStoreIndex, kNoField, store.index()));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kDocStore, kNoField, store.data()));
  if (source != nullptr) {
    LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kSourceIndex, kNoField, source->index()));
    LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kSource, kNoField, source->data()));
  }
  LIBSEARCH_RETURN_IF_ERROR(WriteChunkChecksums());
  return WriteTableAndHeader();
}

Status IndexFileWriter::WriteChunkChecksums() {
  const ChunkTableHeader header{kChunkBytes, static_cast<uint32_t>(chunked_.size())};
  std::string bytes(reinterpret_cast<const char*>(&header), sizeof header);
  bytes += Bytes(chunked_);
  bytes += Bytes(chunk_sums_);
  return AddSection(SectionKind::kChunkChecksums, kNoField, bytes);
}

Status IndexFileWriter::AddSection(SectionKind kind, uint32_t field, std::string_view bytes) {
  LIBSEARCH_RETURN_IF_ERROR(out_->PadTo(kSectionAlignment));
  SectionEntry e{};
  e.kind = static_cast<uint32_t>(kind);
  e.field = field;
  e.offset = out_->size();
  e.length = bytes.size();
  e.checksum = Checksum64(bytes.data(), bytes.size());
  table_.push_back(e);
  if (ChunkedKind(e.kind)) {
    chunked_.push_back({e.kind, field, chunk_sums_.size()});
    for (uint64_t at = 0; at < bytes.size(); at += kChunkBytes) {
      const uint64_t n = std::min<uint64_t>(kChunkBytes, bytes.size() - at);
      chunk_sums_.push_back(Checksum64(bytes.data() + at, n));
    }
  }
  return out_->Append(bytes);
}

Status IndexFileWriter::WriteNumeric(size_t f, FieldAccum* accum) {
  FieldAccum& fa = *accum;
  const FieldSpec& spec = schema_.fields()[f];
  fa.present.resize((num_docs_ + 63) / 64, 0);
  std::string column(Bytes(fa.present));
  column.append(Bytes(fa.values));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kNumeric, static_cast<uint32_t>(f), column));
  // Block {min, max}, so range filters skip blocks they cannot match
  // and accept whole blocks they match without reading values.
  std::vector<double> min_max;
  for (size_t first = 0; first < num_docs_; first += kNumericBlockDocs) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    const size_t end = std::min<size_t>(num_docs_, first + kNumericBlockDocs);
    for (size_t d = first; d < end; ++d) {
      if (!((fa.present[d >> 6] >> (d & 63)) & 1)) continue;
      double v;
      if (spec.type == FieldType::kFloat) {
        std::memcpy(&v, &fa.values[d], 8);
      } else {
        int64_t i;
        std::memcpy(&i, &fa.values[d], 8);
        v = static_cast<double>(i);
      }
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    min_max.push_back(lo);
    min_max.push_back(hi);
  }
  LIBSEARCH_RETURN_IF_ERROR(
      AddSection(SectionKind::kNumericBlocks, static_cast<uint32_t>(f), Bytes(min_max)));
  fa = FieldAccum();
  return Status::Ok();
}

Status IndexFileWriter::WriteTerms(uint32_t section_field, const TermTable& names,
                                   std::vector<TermAccum>* terms,
                                   const std::vector<uint32_t>* single_docs, const uint8_t* norms,
                                   bool positions, uint64_t doc_count,
                                   const NormInverseTable& table, std::vector<uint32_t>* order,
                                   uint64_t* num_blocks) {
  // Keyed by the first 8 bytes as a big-endian integer (zero-padded; a tie
  // falls back to the bytes), most comparisons never touch the terms.
  struct Keyed {
    uint64_t key;
    uint32_t id;
  };
  std::vector<Keyed> keyed(names.size());
  for (uint32_t id = 0; id < keyed.size(); ++id) {
    const std::string_view t = names.Term(id);
    uint64_t key = 0;
    for (size_t i = 0; i < 8; ++i) key = key << 8 | (i < t.size() ? static_cast<uint8_t>(t[i]) : 0);
    keyed[id] = {key, id};
  }
  std::sort(keyed.begin(), keyed.end(), [&](const Keyed& a, const Keyed& b) {
    return a.key != b.key ? a.key < b.key : names.Term(a.id) < names.Term(b.id);
  });
  order->resize(keyed.size());
  for (size_t i = 0; i < keyed.size(); ++i) (*order)[i] = keyed[i].id;
  keyed = {};
  std::string blocks, index, prefixes;
  TermDictWriter dict(&blocks, &index, &prefixes);
  const std::string& name = schema_.fields()[section_field & ~kPrefixFieldBit].name;
  PostingsSink sink;
  DecodedPostings list;
  std::string packed;
  TermInfoPacker infos(order->size(), &packed);
  for (uint32_t id : *order) {
    dict.Add(names.Term(id));
    // With a parallel build's lists of this term from other threads; frees
    // the compressed lists as we go.
    if (single_docs != nullptr) {
      list.docs.assign(1, (*single_docs)[id]);
      list.tfs.assign(1, 1);
    } else {
      TakeMerged(&(*terms)[id], &list);
    }
    TermPostingsInput in{list.docs.data(), list.tfs.data(),
                         positions ? list.positions.data() : nullptr,
                         static_cast<uint32_t>(list.docs.size())};
    const float idf = Bm25Idf(list.docs.size(), doc_count);
    const Status added = infos.Add(WritePostings(in, norms, idf, table, &sink));
    if (!added.ok()) return added.WithContext("field '" + name + "'");
  }
  if (sink.postings.size() > 0xffffffffull * 64 || sink.positions.size() > (1ull << 40)) {
    return Status::ResourceExhausted("field '" + name + "' is too large");
  }
  dict.Finish();
  LIBSEARCH_RETURN_IF_ERROR(infos.Finish().WithContext("field '" + name + "'"));
  *num_blocks = sink.info.size();
  const uint32_t fid = section_field;
  LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kTermIndex, fid, index));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kTermKeyPrefixes, fid, prefixes));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kTermInfosPacked, fid, packed));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kBlockLastDoc, fid, Bytes(sink.last_doc)));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kBlockMaxScore, fid, Bytes(sink.max_score)));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kBlockInfo, fid, Bytes(sink.info)));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kTermBlocks, fid, blocks));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kPostings, fid, sink.postings));
  if (positions) {
    LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kPositions, fid, sink.positions));
  }
  return Status::Ok();
}

Status IndexFileWriter::WriteField(size_t f, FieldAccum* accum, FieldStats* stats,
                                   std::vector<uint32_t>* doc_ords) {
  FieldAccum& fa = *accum;
  const uint32_t num_docs = static_cast<uint32_t>(num_docs_);
  const uint32_t fid = static_cast<uint32_t>(f);
  const bool id_field = schema_.fields()[f].name == schema_.id_field();
  std::vector<uint32_t> term_of_doc;  // Id field: every doc has exactly one term.
  if (id_field) {
    term_of_doc.resize(num_docs);
    for (uint32_t t = 0; t < fa.id_docs.size(); ++t) term_of_doc[fa.id_docs[t]] = t;
  }
  if (fa.text) fa.norms.resize(num_docs, 0);
  const Bm25Params& params = options_.bm25;
  const float avgdl = Bm25AvgFieldLength(fa.sum_total_tf, fa.doc_count);
  const NormInverseTable table = MakeNormInverseTable(params, avgdl);
  const uint8_t* norms = fa.text ? fa.norms.data() : nullptr;
  std::vector<uint32_t> order;
  uint64_t num_blocks = 0;
  LIBSEARCH_RETURN_IF_ERROR(WriteTerms(fid, fa.term_ids, &fa.terms,
                                       fa.unique_ids ? &fa.id_docs : nullptr, norms, fa.text,
                                       fa.doc_count, table, &order, &num_blocks));
  stats->doc_count = fa.doc_count;
  stats->sum_total_tf = fa.sum_total_tf;
  stats->num_terms = order.size();
  stats->num_blocks = num_blocks;
  if (id_field) {
    std::vector<uint32_t> ordinal(order.size());
    for (uint32_t ord = 0; ord < order.size(); ++ord) ordinal[order[ord]] = ord;
    doc_ords->resize(num_docs);
    for (uint32_t d = 0; d < num_docs; ++d) (*doc_ords)[d] = ordinal[term_of_doc[d]];
  }
  if (fa.text) LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kNorms, fid, Bytes(fa.norms)));
  if (fa.surface) LIBSEARCH_RETURN_IF_ERROR(WriteSurfaceWords(fid, fa, order));
  if (fa.prefix_chars > 0) {
    // Scored with the field's own statistics and norms (docs/format.md).
    std::vector<uint32_t> prefix_order;
    uint64_t prefix_blocks = 0;
    LIBSEARCH_RETURN_IF_ERROR(WriteTerms(fid | kPrefixFieldBit, fa.prefix_ids, &fa.prefix_terms,
                                         nullptr, norms, false, fa.doc_count, table, &prefix_order,
                                         &prefix_blocks));
  }
  if (fa.keep_ords) {
    std::vector<uint32_t> ordinal(order.size());
    for (uint32_t ord = 0; ord < order.size(); ++ord) ordinal[order[ord]] = ord;
    fa.doc_offsets.resize(num_docs + 1, static_cast<uint32_t>(fa.doc_terms.size()));
    bool single = order.size() < 0xffff;
    for (size_t i = 0; single && i + 1 < fa.doc_offsets.size(); ++i) {
      single = fa.doc_offsets[i + 1] - fa.doc_offsets[i] <= 1;
    }
    if (single) {  // One or two bytes per doc instead of eight.
      const uint32_t width = order.size() < 0xff ? 1 : 2;
      std::string column;
      PutFixed32(&column, width);
      PutFixed32(&column, 0);
      for (size_t i = 0; i + 1 < fa.doc_offsets.size(); ++i) {
        const uint32_t code = fa.doc_offsets[i + 1] > fa.doc_offsets[i]
                                  ? ordinal[fa.doc_terms[fa.doc_offsets[i]]] + 1
                                  : 0;
        column.push_back(static_cast<char>(code & 0xff));
        if (width == 2) column.push_back(static_cast<char>(code >> 8));
      }
      LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kKeywordDense, fid, column));
      fa = FieldAccum();
      return Status::Ok();
    }
    for (size_t i = 0; i + 1 < fa.doc_offsets.size(); ++i) {  // Sorted ordinals per doc.
      for (uint32_t j = fa.doc_offsets[i]; j < fa.doc_offsets[i + 1]; ++j) {
        fa.doc_terms[j] = ordinal[fa.doc_terms[j]];
      }
      std::sort(fa.doc_terms.begin() + fa.doc_offsets[i],
                fa.doc_terms.begin() + fa.doc_offsets[i + 1]);
    }
    std::string column(Bytes(fa.doc_offsets));
    column.append(Bytes(fa.doc_terms));
    LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kKeywordOrds, fid, column));
  }
  fa = FieldAccum();
  return Status::Ok();
}

Status IndexFileWriter::WriteSurfaceWords(uint32_t fid, const FieldAccum& fa,
                                          const std::vector<uint32_t>& order) {
  std::vector<uint32_t> ordinal(order.size());
  for (uint32_t ord = 0; ord < order.size(); ++ord) ordinal[order[ord]] = ord;
  std::vector<uint32_t> ids(fa.surfaces.size());
  for (uint32_t id = 0; id < ids.size(); ++id) ids[id] = id;
  std::sort(ids.begin(), ids.end(), [&](uint32_t a, uint32_t b) {
    return fa.surface_ids.Term(a) < fa.surface_ids.Term(b);
  });
  std::vector<std::string_view> sorted;
  std::vector<SurfaceWord> words;
  sorted.reserve(ids.size());
  words.reserve(ids.size());
  for (uint32_t id : ids) {
    sorted.push_back(fa.surface_ids.Term(id));
    words.push_back({ordinal[fa.surfaces[id].term_id], fa.surfaces[id].doc_freq});
  }
  std::string blocks, index, prefixes;
  WriteTermDict(sorted, &blocks, &index, &prefixes);
  LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kSurfaceIndex, fid, index));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kSurfaceKeyPrefixes, fid, prefixes));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(SectionKind::kSurfaceBlocks, fid, blocks));
  return AddSection(SectionKind::kSurfaceWords, fid, Bytes(words));
}

Status IndexFileWriter::WriteDocIds(const std::vector<uint32_t>& doc_ords) {
  std::string ids;
  const uint32_t width = BitWidth(num_docs_ > 0 ? static_cast<uint32_t>(num_docs_ - 1) : 0);
  PutFixed32(&ids, width);
  PutFixed32(&ids, 0);
  BitWriter bits(&ids);
  for (uint32_t ord : doc_ords) bits.Put(ord, width);
  bits.Finish();
  ids.append(8, '\0');  // Any ordinal is one 8-byte load.
  return AddSection(SectionKind::kDocIdOrds, kNoField, ids);
}

Status IndexFileWriter::WriteTableAndHeader() {
  LIBSEARCH_RETURN_IF_ERROR(out_->PadTo(kSectionAlignment));
  FileHeader h{};
  std::memcpy(h.magic, kMagic, sizeof(h.magic));
  h.format_major = kFormatMajor;
  h.format_minor = kFormatMinor;
  h.header_size = sizeof(FileHeader);
  h.block_size = 128;
  h.section_count = static_cast<uint32_t>(table_.size());
  h.table_offset = out_->size();
  const std::string_view table_bytes = Bytes(table_);
  h.table_checksum = Checksum64(table_bytes.data(), table_bytes.size());
  LIBSEARCH_RETURN_IF_ERROR(out_->Append(table_bytes));
  h.file_size = out_->size();
  h.doc_count = num_docs_;
  h.header_checksum = Checksum64(&h, offsetof(FileHeader, header_checksum));
  return out_->WriteAt(0, {reinterpret_cast<const char*>(&h), sizeof(h)});
}

}  // namespace libsearch::internal
