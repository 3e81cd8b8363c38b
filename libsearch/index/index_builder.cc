// IndexBuilder: accumulates an in-memory inverted index per field, then
// serialises every section of the file in one pass (docs/format.md).
#include "libsearch/index_builder.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "analysis/analyzer.h"
#include "index/bm25.h"
#include "index/doc_store.h"
#include "index/document.h"
#include "index/postings.h"
#include "index/term_dict.h"
#include "index/term_infos.h"
#include "storage/file.h"
#include "storage/format.h"
#include "util/coding.h"
#include "util/hash.h"
#include "util/small_float.h"
#include "util/term_table.h"

namespace libsearch {
namespace {

using internal::FieldStats;
using internal::SectionEntry;
using internal::SectionKind;

// A vector of uint32_t with room for two values inline. Most terms occur in
// one or two docs, and std::vector allocated for each of their lists (malloc
// and free took ~11% of the 818k-product build); at 16 bytes, three of them
// and the per-doc state fit a TermAccum in one cache line.
class U32Vec {
 public:
  U32Vec() = default;
  U32Vec(U32Vec&& o) noexcept { Take(&o); }
  U32Vec& operator=(U32Vec&& o) noexcept {
    if (this != &o) {
      Free();
      Take(&o);
    }
    return *this;
  }
  ~U32Vec() { Free(); }

  void push_back(uint32_t v) {
    if (size_ == cap_) Grow();
    data()[size_++] = v;
  }
  uint32_t* data() { return cap_ == kInline ? inline_ : heap_; }
  const uint32_t* data() const { return cap_ == kInline ? inline_ : heap_; }
  uint32_t& back() { return data()[size_ - 1]; }
  const uint32_t& operator[](size_t i) const { return data()[i]; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  static constexpr uint32_t kInline = 2;
  void Grow() {
    if (cap_ > 0x7fffffffu) throw std::length_error("U32Vec");  // As std::vector would.
    uint32_t* bigger = new uint32_t[cap_ * 2];
    std::memcpy(bigger, data(), size_ * sizeof(uint32_t));
    Free();
    heap_ = bigger;
    cap_ *= 2;
  }
  void Free() {
    if (cap_ != kInline) delete[] heap_;
  }
  void Take(U32Vec* o) {
    std::memcpy(static_cast<void*>(this), o, sizeof(*this));
    o->size_ = 0;
    o->cap_ = kInline;
  }
  union {
    uint32_t* heap_;
    uint32_t inline_[kInline] = {0, 0};
  };
  uint32_t size_ = 0;
  uint32_t cap_ = kInline;
};

struct alignas(64) TermAccum {
  U32Vec docs;
  U32Vec tfs;
  U32Vec positions;  // Text fields only.
  // The doc being indexed's tf, while it is: its docs and tfs entries are
  // appended once the doc is done, so a token touches only this struct and
  // the end of `positions`.
  uint32_t last_doc = 0xffffffffu;
  uint32_t doc_tf = 0;
};

struct FieldAccum {
  bool text = false;
  // Int and float fields: presence bits and raw 8-byte values, one per doc.
  std::vector<uint64_t> present;
  std::vector<uint64_t> values;
  std::unique_ptr<analysis::Analyzer> analyzer;
  internal::TermTable term_ids;
  std::vector<TermAccum> terms;  // By term id.
  std::vector<uint8_t> norms;              // Text: one per doc.
  // Keyword fields (not the id): each doc's distinct term ids, for facets
  // and sorting; remapped to sorted ordinals when written.
  bool keep_ords = false;
  std::vector<uint32_t> doc_offsets{0};
  std::vector<uint32_t> doc_terms;
  uint64_t doc_count = 0;
  uint64_t sum_total_tf = 0;
  // Text fields with index_prefixes: postings per prefix, tf = the summed
  // tf of the doc's terms that start with it.
  uint32_t prefix_chars = 0;
  internal::TermTable prefix_ids;
  std::vector<TermAccum> prefix_terms;
};

constexpr uint32_t kMaxDocs = 0x7ffffff0u;  // Below kNoMoreDocs.
// Gap between values of a multi-valued text field, so phrases never match
// across two values (Lucene's position increment gap).
constexpr uint32_t kValuePositionGap = 100;

class IndexBuilderImpl : public IndexBuilder {
 public:
  IndexBuilderImpl(Schema schema, IndexBuilderOptions options)
      : schema_(std::move(schema)),
        options_(options),
        store_(options.docstore_zstd_level, options.docstore_block_bytes) {}

  Status Init() {
    fields_.resize(schema_.fields().size());
    for (size_t i = 0; i < schema_.fields().size(); ++i) {
      const FieldSpec& spec = schema_.fields()[i];
      if (spec.type != FieldType::kText) continue;
      analysis::AnalyzerOptions ao;
      ao.language = spec.language;
      ao.stopwords = spec.stopwords;
      ao.fold_accents = spec.fold_accents;
      ao.split_codes = spec.split_codes;
      auto analyzer = analysis::Analyzer::Create(ao);
      if (!analyzer.ok()) return analyzer.status().WithContext("field '" + spec.name + "'");
      fields_[i].analyzer = std::move(*analyzer);
      fields_[i].text = true;
      fields_[i].prefix_chars = spec.index_prefixes;
    }
    for (size_t i = 0; i < schema_.fields().size(); ++i) {
      const FieldSpec& spec = schema_.fields()[i];
      if (spec.name == schema_.id_field()) id_field_ = i;
      fields_[i].keep_ords = spec.type == FieldType::kKeyword && spec.indexed &&
                             spec.name != schema_.id_field();
    }
    return Status::Ok();
  }

  Status AddJson(std::string_view json) override {
    if (built_) return Status::InvalidArgument("IndexBuilder::Build() was already called");
    LIBSEARCH_RETURN_IF_ERROR(internal::ParseDocument(schema_, json, &doc_));
    return AddParsed();
  }

  Status Add(const Document& doc) override {
    if (built_) return Status::InvalidArgument("IndexBuilder::Build() was already called");
    LIBSEARCH_RETURN_IF_ERROR(internal::ConvertDocument(schema_, doc, &doc_));
    return AddParsed();
  }

  // Adds doc_, checked against the schema.
  Status AddParsed() {
    // The id field's terms are the ids seen so far.
    if (fields_[id_field_].term_ids.Find(doc_.id) != internal::TermTable::kNotFound) {
      return Status::InvalidArgument("duplicate id '" + doc_.id + "' in field '" +
                                     schema_.id_field() + "' (ids must be unique)");
    }
    if (num_docs() >= kMaxDocs) {
      return Status::ResourceExhausted("an index holds at most " + std::to_string(kMaxDocs) +
                                       " documents");
    }
    // Validated: from here on nothing can fail except the doc store.
    const uint32_t doc = static_cast<uint32_t>(num_docs());
    LIBSEARCH_RETURN_IF_ERROR(store_.Add(doc_.stored_json));
    ++num_docs_;
    for (size_t f = 0; f < fields_.size(); ++f) {
      const FieldSpec& spec = schema_.fields()[f];
      if (spec.type == FieldType::kInt || spec.type == FieldType::kFloat) {
        AddNumeric(&fields_[f], spec, doc_.values[f], doc);
        continue;
      }
      if (!spec.indexed) continue;
      IndexField(&fields_[f], doc_.values[f], doc);
    }
    return Status::Ok();
  }

  Result<IngestStats> AddJsonl(const std::string& path, const IngestOptions& options) override {
    LIBSEARCH_ASSIGN_OR_RETURN(auto reader, internal::LineReader::Open(path));
    IngestStats stats;
    std::string line;
    uint64_t line_no = 0;
    while (reader->Next(&line)) {
      ++line_no;
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      ++stats.lines;
      Status s = AddJson(line);
      if (s.ok()) {
        ++stats.docs_added;
      } else {
        Status located = s.WithContext(path + ":" + std::to_string(line_no));
        if (!options.skip_bad || s.code() != StatusCode::kInvalidArgument) return located;
        ++stats.lines_skipped;
        if (stats.errors.size() < options.max_error_messages) {
          stats.errors.push_back(located.message());
        }
      }
      if (options.progress && line_no % 4096 == 0) options.progress(line_no, reader->bytes_read());
    }
    LIBSEARCH_RETURN_IF_ERROR(reader->status());
    if (options.progress) options.progress(line_no, reader->bytes_read());
    return stats;
  }

  uint64_t num_docs() const override { return num_docs_; }

  Status Build(const std::string& path) override;

 private:
  void IndexField(FieldAccum* fa, const internal::FieldValue& value, uint32_t doc);
  void AddNumeric(FieldAccum* fa, const FieldSpec& spec, const internal::FieldValue& value,
                  uint32_t doc);
  void AddPrefixes(FieldAccum* fa, std::string_view term, uint32_t tf, uint32_t doc);
  // For the id field, *doc_ords receives each doc's id-term ordinal.
  Status WriteField(size_t f, FieldStats* stats, std::vector<uint32_t>* doc_ords,
                    internal::AtomicFileWriter* out);
  // Writes a sorted dictionary and its postings under section field id
  // `section_field`; returns the term ids in dictionary order in *order.
  Status WriteTerms(uint32_t section_field, const internal::TermTable& names,
                    std::vector<TermAccum>* terms, const uint8_t* norms, bool positions,
                    uint64_t doc_count, const internal::NormInverseTable& table,
                    std::vector<uint32_t>* order, uint64_t* num_blocks,
                    internal::AtomicFileWriter* out);

  Status AddSection(internal::AtomicFileWriter* out, SectionKind kind, uint32_t field,
                    std::string_view bytes) {
    LIBSEARCH_RETURN_IF_ERROR(out->PadTo(internal::kSectionAlignment));
    SectionEntry e{};
    e.kind = static_cast<uint32_t>(kind);
    e.field = field;
    e.offset = out->size();
    e.length = bytes.size();
    e.checksum = internal::Checksum64(bytes.data(), bytes.size());
    table_.push_back(e);
    return out->Append(bytes);
  }

  template <typename T>
  static std::string_view Bytes(const std::vector<T>& v) {
    return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)};
  }

  Schema schema_;
  IndexBuilderOptions options_;
  std::vector<FieldAccum> fields_;
  size_t id_field_ = 0;
  uint64_t num_docs_ = 0;
  internal::DocStoreWriter store_;
  internal::ParsedDocument doc_;  // Reused across AddJson calls.
  std::vector<analysis::Token> tokens_;
  std::vector<uint32_t> doc_terms_;  // The distinct term ids of one field of a doc.
  static constexpr size_t kAhead = 8;
  std::vector<uint64_t> hashes_;  // Of tokens_' terms.
  std::vector<uint32_t> ids_;     // Of tokens_' terms.
  std::vector<SectionEntry> table_;
  bool built_ = false;
};

void IndexBuilderImpl::AddNumeric(FieldAccum* fa, const FieldSpec& spec,
                                  const internal::FieldValue& value, uint32_t doc) {
  if ((doc >> 6) >= fa->present.size()) fa->present.push_back(0);
  uint64_t raw = 0;
  if (value.present) {
    fa->present[doc >> 6] |= uint64_t{1} << (doc & 63);
    if (spec.type == FieldType::kFloat) {
      std::memcpy(&raw, &value.number, 8);
    } else {
      std::memcpy(&raw, &value.integer, 8);
    }
  }
  fa->values.push_back(raw);
}

// Appends each token's position to its term as the tokens come, with no
// per-doc sort: the analyzer emits positions in non-decreasing order, so each
// term's positions come out sorted; then the doc and its tf go to each of the
// doc's terms (tests/index/term_infos_test.cc checks this against
// analyse + group + sort).
void IndexBuilderImpl::IndexField(FieldAccum* fa, const internal::FieldValue& value,
                                  uint32_t doc) {
  doc_terms_.clear();
  const bool text = fa->text;
  uint32_t length = 0;
  auto intern = [fa](std::string_view term, uint64_t hash) {
    bool inserted;
    const uint32_t id = fa->term_ids.Insert(term, hash, &inserted);
    if (inserted) fa->terms.emplace_back();
    return id;
  };
  auto add = [&](uint32_t id, uint32_t position) {
    TermAccum& acc = fa->terms[id];
    if (acc.last_doc != doc) {
      acc.last_doc = doc;
      acc.doc_tf = 0;
      doc_terms_.push_back(id);
    } else if (!text) {
      return;  // Keyword: each distinct value once, tf 1.
    }
    ++acc.doc_tf;
    if (text) acc.positions.push_back(position);
  };
  if (text) {
    uint32_t next_position = 0;
    for (const std::string& s : value.strings) {
      tokens_.clear();
      fa->analyzer->Analyze(s, &tokens_, next_position);
      // Term ids first, then the accumulators, each looking kAhead tokens
      // ahead, so that the cache misses of several tokens overlap.
      const size_t n = tokens_.size();
      hashes_.resize(n);
      ids_.resize(n);
      for (size_t i = 0; i < n; ++i) hashes_[i] = internal::TermTable::Hash(tokens_[i].term);
      for (size_t i = 0; i < n; ++i) {
        if (i + kAhead < n) fa->term_ids.Prefetch(hashes_[i + kAhead]);
        ids_[i] = intern(tokens_[i].term, hashes_[i]);
      }
      for (size_t i = 0; i < n; ++i) {
        if (i + kAhead < n) __builtin_prefetch(&fa->terms[ids_[i + kAhead]]);
        add(ids_[i], tokens_[i].position);
        length += !tokens_[i].joined;  // Joined code words overlap their parts.
      }
      if (!tokens_.empty()) next_position = tokens_.back().position + kValuePositionGap;
    }
    if (fa->norms.size() < doc) fa->norms.resize(doc, 0);
    fa->norms.push_back(internal::LengthToNorm(length));
  } else {
    for (const std::string& s : value.strings) add(intern(s, internal::TermTable::Hash(s)), 0);
    length = static_cast<uint32_t>(doc_terms_.size());  // The number of distinct values.
    if (fa->keep_ords) {  // Sorted into ordinals when written.
      fa->doc_terms.insert(fa->doc_terms.end(), doc_terms_.begin(), doc_terms_.end());
      fa->doc_offsets.push_back(static_cast<uint32_t>(fa->doc_terms.size()));
    }
  }
  if (doc_terms_.empty()) return;
  ++fa->doc_count;
  fa->sum_total_tf += length;
  for (uint32_t id : doc_terms_) {
    TermAccum& acc = fa->terms[id];
    acc.docs.push_back(doc);
    acc.tfs.push_back(acc.doc_tf);
    if (fa->prefix_chars > 0) AddPrefixes(fa, fa->term_ids.Term(id), acc.doc_tf, doc);
  }
}

// Adds `tf` to the doc's tf for each of the first 1..prefix_chars code
// points of `term` (the whole term counts as its own prefix).
void IndexBuilderImpl::AddPrefixes(FieldAccum* fa, std::string_view term, uint32_t tf,
                                   uint32_t doc) {
  size_t end = 0;
  for (uint32_t chars = 0; chars < fa->prefix_chars && end < term.size(); ++chars) {
    ++end;  // Past the lead byte, then its continuation bytes.
    while (end < term.size() && (static_cast<unsigned char>(term[end]) & 0xc0) == 0x80) ++end;
    bool inserted;
    const std::string_view prefix = term.substr(0, end);
    const uint32_t id = fa->prefix_ids.Insert(prefix, internal::TermTable::Hash(prefix), &inserted);
    if (inserted) fa->prefix_terms.emplace_back();
    TermAccum& acc = fa->prefix_terms[id];
    if (acc.docs.empty() || acc.docs.back() != doc) {
      acc.docs.push_back(doc);
      acc.tfs.push_back(tf);
    } else {
      acc.tfs.back() += tf;
    }
  }
}

Status IndexBuilderImpl::WriteTerms(uint32_t section_field,
                                    const internal::TermTable& names,
                                    std::vector<TermAccum>* terms, const uint8_t* norms,
                                    bool positions, uint64_t doc_count,
                                    const internal::NormInverseTable& table,
                                    std::vector<uint32_t>* order, uint64_t* num_blocks,
                                    internal::AtomicFileWriter* out) {
  // Keyed by the first 8 bytes as a big-endian integer (zero-padded; a tie
  // falls back to the bytes), most comparisons never touch the terms.
  struct Keyed {
    uint64_t key;
    uint32_t id;
  };
  std::vector<Keyed> keyed(terms->size());
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
  std::vector<std::string_view> sorted;
  sorted.reserve(order->size());
  for (uint32_t id : *order) sorted.push_back(names.Term(id));
  std::string blocks, index, prefixes;
  internal::WriteTermDict(sorted, &blocks, &index, &prefixes);
  internal::PostingsSink sink;
  std::vector<internal::TermInfo> infos;  // (The packed records come to ~4 bytes a term.)
  infos.reserve(order->size());
  for (uint32_t id : *order) {
    TermAccum& acc = (*terms)[id];
    internal::TermPostingsInput in{acc.docs.data(), acc.tfs.data(),
                                   positions ? acc.positions.data() : nullptr,
                                   static_cast<uint32_t>(acc.docs.size())};
    const float idf = internal::Bm25Idf(acc.docs.size(), doc_count);
    infos.push_back(internal::WritePostings(in, norms, idf, table, &sink));
    acc = TermAccum();  // Free memory as we go.
  }
  const std::string& name = schema_.fields()[section_field & ~internal::kPrefixFieldBit].name;
  if (sink.postings.size() > 0xffffffffull * 64 || sink.positions.size() > (1ull << 40)) {
    return Status::ResourceExhausted("field '" + name + "' is too large");
  }
  std::string packed;
  LIBSEARCH_RETURN_IF_ERROR(internal::WritePackedTermInfos(infos, &packed).WithContext("field '" + name + "'"));
  infos = {};
  *num_blocks = sink.info.size();
  const uint32_t fid = section_field;
  LIBSEARCH_RETURN_IF_ERROR(AddSection(out, SectionKind::kTermIndex, fid, index));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(out, SectionKind::kTermKeyPrefixes, fid, prefixes));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(out, SectionKind::kTermInfosPacked, fid, packed));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(out, SectionKind::kBlockLastDoc, fid, Bytes(sink.last_doc)));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(out, SectionKind::kBlockMaxScore, fid, Bytes(sink.max_score)));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(out, SectionKind::kBlockInfo, fid, Bytes(sink.info)));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(out, SectionKind::kTermBlocks, fid, blocks));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(out, SectionKind::kPostings, fid, sink.postings));
  if (positions) {
    LIBSEARCH_RETURN_IF_ERROR(AddSection(out, SectionKind::kPositions, fid, sink.positions));
  }
  return Status::Ok();
}

Status IndexBuilderImpl::WriteField(size_t f, FieldStats* stats, std::vector<uint32_t>* doc_ords,
                                    internal::AtomicFileWriter* out) {
  FieldAccum& fa = fields_[f];
  const uint32_t num_docs = static_cast<uint32_t>(this->num_docs());
  const uint32_t fid = static_cast<uint32_t>(f);
  const bool id_field = schema_.fields()[f].name == schema_.id_field();
  std::vector<uint32_t> term_of_doc;  // Id field: every doc has exactly one term.
  if (id_field) {
    term_of_doc.resize(num_docs);
    for (uint32_t t = 0; t < fa.terms.size(); ++t) term_of_doc[fa.terms[t].docs[0]] = t;
  }
  if (fa.text) fa.norms.resize(num_docs, 0);
  const internal::Bm25Params& params = options_.bm25;
  const float avgdl = internal::Bm25AvgFieldLength(fa.sum_total_tf, fa.doc_count);
  const internal::NormInverseTable table = internal::MakeNormInverseTable(params, avgdl);
  const uint8_t* norms = fa.text ? fa.norms.data() : nullptr;
  std::vector<uint32_t> order;
  uint64_t num_blocks = 0;
  LIBSEARCH_RETURN_IF_ERROR(WriteTerms(fid, fa.term_ids, &fa.terms, norms, fa.text, fa.doc_count,
                                       table, &order, &num_blocks, out));
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
  if (fa.text) LIBSEARCH_RETURN_IF_ERROR(AddSection(out, SectionKind::kNorms, fid, Bytes(fa.norms)));
  if (fa.prefix_chars > 0) {
    // Scored with the field's own statistics and norms (docs/format.md).
    std::vector<uint32_t> prefix_order;
    uint64_t prefix_blocks = 0;
    LIBSEARCH_RETURN_IF_ERROR(WriteTerms(fid | internal::kPrefixFieldBit, fa.prefix_ids,
                                         &fa.prefix_terms, norms, false, fa.doc_count, table,
                                         &prefix_order, &prefix_blocks, out));
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
      internal::PutFixed32(&column, width);
      internal::PutFixed32(&column, 0);
      for (size_t i = 0; i + 1 < fa.doc_offsets.size(); ++i) {
        const uint32_t code =
            fa.doc_offsets[i + 1] > fa.doc_offsets[i] ? ordinal[fa.doc_terms[fa.doc_offsets[i]]] + 1 : 0;
        column.push_back(static_cast<char>(code & 0xff));
        if (width == 2) column.push_back(static_cast<char>(code >> 8));
      }
      LIBSEARCH_RETURN_IF_ERROR(AddSection(out, SectionKind::kKeywordDense, fid, column));
      fa = FieldAccum();
      return Status::Ok();
    }
    for (size_t i = 0; i + 1 < fa.doc_offsets.size(); ++i) {  // Sorted ordinals per doc.
      for (uint32_t j = fa.doc_offsets[i]; j < fa.doc_offsets[i + 1]; ++j) {
        fa.doc_terms[j] = ordinal[fa.doc_terms[j]];
      }
      std::sort(fa.doc_terms.begin() + fa.doc_offsets[i], fa.doc_terms.begin() + fa.doc_offsets[i + 1]);
    }
    std::string column(Bytes(fa.doc_offsets));
    column.append(Bytes(fa.doc_terms));
    LIBSEARCH_RETURN_IF_ERROR(AddSection(out, SectionKind::kKeywordOrds, fid, column));
  }
  fa = FieldAccum();
  return Status::Ok();
}

Status IndexBuilderImpl::Build(const std::string& path) {
  if (built_) return Status::InvalidArgument("IndexBuilder::Build() was already called");
  // Open the output first: a bad path fails here with every document still
  // in the builder, so the caller can fix the path and call Build() again.
  LIBSEARCH_ASSIGN_OR_RETURN(auto out, internal::AtomicFileWriter::Create(path));
  built_ = true;  // From here on the accumulated state is consumed.
  LIBSEARCH_RETURN_IF_ERROR(store_.Finish());
  LIBSEARCH_RETURN_IF_ERROR(out->Append(std::string(sizeof(internal::FileHeader), '\0')));
  LIBSEARCH_RETURN_IF_ERROR(AddSection(out.get(), SectionKind::kSchema, internal::kNoField,
                                       schema_.ToJson()));
  std::vector<FieldStats> stats(fields_.size(), FieldStats{});
  std::vector<uint32_t> doc_ords;
  for (size_t f = 0; f < fields_.size(); ++f) {
    const FieldSpec& spec = schema_.fields()[f];
    if (spec.type == FieldType::kInt || spec.type == FieldType::kFloat) {
      FieldAccum& fa = fields_[f];
      fa.present.resize((num_docs() + 63) / 64, 0);
      std::string column(Bytes(fa.present));
      column.append(Bytes(fa.values));
      LIBSEARCH_RETURN_IF_ERROR(
          AddSection(out.get(), SectionKind::kNumeric, static_cast<uint32_t>(f), column));
      // Block {min, max}, so range filters skip blocks they cannot match
      // and accept whole blocks they match without reading values.
      std::vector<double> min_max;
      for (size_t first = 0; first < num_docs(); first += internal::kNumericBlockDocs) {
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        const size_t end = std::min<size_t>(num_docs(), first + internal::kNumericBlockDocs);
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
      LIBSEARCH_RETURN_IF_ERROR(AddSection(out.get(), SectionKind::kNumericBlocks,
                                           static_cast<uint32_t>(f), Bytes(min_max)));
      fa = FieldAccum();
      continue;
    }
    if (!spec.indexed || (spec.type != FieldType::kText && spec.type != FieldType::kKeyword)) {
      continue;
    }
    LIBSEARCH_RETURN_IF_ERROR(WriteField(f, &stats[f], &doc_ords, out.get()));
  }
  {  // Doc ids: each doc's id-term ordinal, in as few bits as the largest needs.
    std::string ids;
    const uint32_t width = internal::BitWidth(num_docs() > 0 ? static_cast<uint32_t>(num_docs() - 1) : 0);
    internal::PutFixed32(&ids, width);
    internal::PutFixed32(&ids, 0);
    internal::BitWriter bits(&ids);
    for (uint32_t ord : doc_ords) bits.Put(ord, width);
    bits.Finish();
    ids.append(8, '\0');  // Any ordinal is one 8-byte load.
    LIBSEARCH_RETURN_IF_ERROR(AddSection(out.get(), SectionKind::kDocIdOrds, internal::kNoField, ids));
  }
  LIBSEARCH_RETURN_IF_ERROR(
      AddSection(out.get(), SectionKind::kFieldStats, internal::kNoField, Bytes(stats)));
  {
    const internal::Bm25ParamsRecord rec{options_.bm25.k1, options_.bm25.b, internal::kScoringVersion, 0};
    LIBSEARCH_RETURN_IF_ERROR(AddSection(out.get(), SectionKind::kBm25Params, internal::kNoField,
                                         std::string(reinterpret_cast<const char*>(&rec), sizeof rec)));
  }
  if (!options_.synonyms.empty()) {
    LIBSEARCH_RETURN_IF_ERROR(AddSection(out.get(), SectionKind::kSynonyms, internal::kNoField,
                                         nlohmann::json(options_.synonyms).dump()));
  }
  LIBSEARCH_RETURN_IF_ERROR(
      AddSection(out.get(), SectionKind::kDocStoreIndex, internal::kNoField, store_.index()));
  LIBSEARCH_RETURN_IF_ERROR(
      AddSection(out.get(), SectionKind::kDocStore, internal::kNoField, store_.data()));

  LIBSEARCH_RETURN_IF_ERROR(out->PadTo(internal::kSectionAlignment));
  internal::FileHeader h{};
  std::memcpy(h.magic, internal::kMagic, sizeof(h.magic));
  h.format_major = internal::kFormatMajor;
  h.format_minor = internal::kFormatMinor;
  h.header_size = sizeof(internal::FileHeader);
  h.block_size = 128;
  h.section_count = static_cast<uint32_t>(table_.size());
  h.table_offset = out->size();
  const std::string_view table_bytes = Bytes(table_);
  h.table_checksum = internal::Checksum64(table_bytes.data(), table_bytes.size());
  LIBSEARCH_RETURN_IF_ERROR(out->Append(table_bytes));
  h.file_size = out->size();
  h.doc_count = num_docs();
  h.header_checksum = internal::Checksum64(&h, offsetof(internal::FileHeader, header_checksum));
  LIBSEARCH_RETURN_IF_ERROR(out->WriteAt(0, {reinterpret_cast<const char*>(&h), sizeof(h)}));
  return out->Commit();
}

}  // namespace

Result<std::unique_ptr<IndexBuilder>> IndexBuilder::Create(const Schema& schema,
                                                           const IndexBuilderOptions& options) {
  LIBSEARCH_RETURN_IF_ERROR(ValidateBm25Params(options.bm25));
  if (options.docstore_block_bytes == 0 || options.docstore_block_bytes > (64u << 20)) {
    return Status::InvalidArgument("docstore_block_bytes must be in [1, 64 MiB]");
  }
  auto builder = std::make_unique<IndexBuilderImpl>(schema, options);
  LIBSEARCH_RETURN_IF_ERROR(builder->Init());
  return std::unique_ptr<IndexBuilder>(std::move(builder));
}

}  // namespace libsearch
