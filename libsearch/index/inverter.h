// The in-memory inversion of documents: per indexed field a term table and,
// per term, its docs, tfs and positions; a norm byte per doc for text;
// keyword ordinals per doc for facets and sorting; raw numeric columns.
// IndexFileWriter (file_writer.h) writes what it holds.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "analysis/analyzer.h"
#include "index/document.h"
#include "libsearch/schema.h"
#include "libsearch/status.h"
#include "util/term_table.h"

namespace libsearch::internal {

// A growable byte string with room for 8 bytes inline, holding varints.
// Postings stay compressed while a build holds them: as 32-bit docs, tfs
// and positions they were most of its peak memory (see docs/design-notes.md,
// "Build memory"); most terms occur once or twice and fit inline.
class ByteVec {
 public:
  ByteVec() = default;
  ByteVec(ByteVec&& o) noexcept { Take(&o); }
  ByteVec& operator=(ByteVec&& o) noexcept {
    if (this != &o) {
      Free();
      Take(&o);
    }
    return *this;
  }
  ~ByteVec() { Free(); }

  void PutVarint(uint32_t v) {
    if (cap_ - size_ < 5) Grow();
    uint8_t* p = data() + size_;
    while (v >= 0x80) {
      *p++ = static_cast<uint8_t>(v | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<uint8_t>(v);
    size_ = static_cast<uint32_t>(p - data());
  }
  uint8_t* data() { return cap_ == kInline ? inline_ : heap_; }
  const uint8_t* data() const { return cap_ == kInline ? inline_ : heap_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  static constexpr uint32_t kInline = 8;
  void Grow() {
    if (cap_ > 0x7fffffffu) throw std::length_error("ByteVec");  // As std::vector would.
    uint8_t* bigger = new uint8_t[cap_ * 2];
    std::memcpy(bigger, data(), size_);
    Free();
    heap_ = bigger;
    cap_ *= 2;
  }
  void Free() {
    if (cap_ != kInline) delete[] heap_;
  }
  void Take(ByteVec* o) {
    std::memcpy(static_cast<void*>(this), o, sizeof(*this));
    o->size_ = 0;
    o->cap_ = kInline;
  }
  union {
    uint8_t* heap_;
    uint8_t inline_[kInline] = {};
  };
  uint32_t size_ = 0;
  uint32_t cap_ = kInline;
};

// One term's postings while a build holds them. `docs` holds per doc the
// gap from the previous doc minus one (the first doc itself) and the tf,
// as varints; `positions` (text terms) per occurrence the gap from the
// previous position in the doc (the first position itself).
struct alignas(64) TermAccum {
  static constexpr uint32_t kNoDoc = 0xffffffffu;
  ByteVec docs;
  ByteVec positions;
  // The doc being indexed and its tf so far, not yet in `docs` while
  // last_doc != prev_doc: a token touches only this struct and the end of
  // `positions`, and prefix terms add to a doc's tf several times.
  uint32_t last_doc = kNoDoc;
  uint32_t doc_tf = 0;
  uint32_t prev_doc = kNoDoc;  // The last doc in `docs`.
  uint32_t last_position = 0;  // The last position in the doc being indexed.
  uint32_t doc_freq = 0;       // Docs in `docs`.
  // A parallel build's lists of the same term from other inverters (other
  // docs), merged in only as the writer reaches the term (TakeMerged), so
  // that no two copies of the postings are ever held. Owned by
  // FieldAccum::merged_from. Fits in the padding to 64 bytes.
  TermAccum* more = nullptr;

  // Appends the doc being indexed to `docs`. REQUIRES: doc > prev_doc.
  void EndDoc() {
    docs.PutVarint(last_doc - prev_doc - 1);
    docs.PutVarint(doc_tf);
    prev_doc = last_doc;
    ++doc_freq;
  }
  // Appends an occurrence at `position` of the doc being indexed.
  void AddPosition(uint32_t position) {
    positions.PutVarint(position - last_position);
    last_position = position;
  }
};
static_assert(sizeof(TermAccum) == 64);

// A term's postings decoded: docs ascending, their tfs, and (text terms)
// tf positions per doc.
struct DecodedPostings {
  std::vector<uint32_t> docs;
  std::vector<uint32_t> tfs;
  std::vector<uint32_t> positions;
};

// Decodes `acc` and the lists chained on it (TermAccum::more) into `out`,
// merged in doc order, and frees them all.
void TakeMerged(TermAccum* acc, DecodedPostings* out);

// A surface word of a text field: the word folded but not stemmed, the
// term id of its stem, and how many docs hold it.
struct SurfaceAccum {
  uint32_t term_id = 0;
  uint32_t last_doc = 0xffffffffu;
  uint32_t doc_freq = 0;
  // The doc it first appeared in: merged inverters keep the term_id of the
  // earliest, as one inverter would.
  uint32_t first_doc = 0xffffffffu;
};

struct FieldAccum {
  bool text = false;
  // Int and float fields: presence bits and raw 8-byte values, one per doc.
  std::vector<uint64_t> present;
  std::vector<uint64_t> values;
  std::unique_ptr<analysis::Analyzer> analyzer;
  TermTable term_ids;
  std::vector<TermAccum> terms;  // By term id; empty for the id field.
  // The id field: each id's one doc, by term id (an id is one value,
  // unique: ParseDocument, IndexBuilder), 4 bytes an id instead of a
  // TermAccum's 64.
  bool unique_ids = false;
  std::vector<uint32_t> id_docs;
  std::vector<uint8_t> norms;  // Text: one per doc.
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
  TermTable prefix_ids;
  std::vector<TermAccum> prefix_terms;
  // Text fields: the surface words, which typos are matched on (a
  // misspelling is often further from the stem than from the word), if
  // `surface`.
  bool surface = false;
  TermTable surface_ids;
  std::vector<SurfaceAccum> surfaces;
  // Other inverters' term lists that TermAccum::more points into.
  std::vector<std::vector<TermAccum>> merged_from;
};

// Which fields an Inverter inverts: a parallel build gives the text fields
// (most of the work: analysis) to one inverter per thread and the rest (the
// id, which the duplicate check needs in order, keywords, numbers) to one.
enum class InvertedFields { kAll, kText, kNonText };

// Inverts documents, one at a time, into per-field accumulators.
// Thread-safety: one thread.
class Inverter {
 public:
  // Creates each text field's analyser; `surface_words`: also collect each
  // text field's surface words (IndexBuilderOptions::surface_words).
  Status Init(const Schema& schema, bool surface_words,
              InvertedFields which = InvertedFields::kAll);

  // From the next Add() on, inverts only these fields.
  void set_inverted_fields(InvertedFields which) { which_ = which; }

  // Whether a doc with this id was added (the id field's terms are the ids).
  bool HasId(const std::string& id) const {
    return fields_[id_field_].term_ids.Find(id) != TermTable::kNotFound;
  }
  // Adds doc number `doc` (one more than the last), checked against the
  // schema; cannot fail.
  void Add(const ParsedDocument& parsed, uint32_t doc);

  // The accumulators, by schema field; the writer consumes them.
  std::vector<FieldAccum>& fields() { return fields_; }

  // Moves the text fields of `other` (an inverter of the same schema given
  // other documents) into this one, as if this one had been given them
  // too: the same postings, norms, statistics and surface words, so the
  // file written is byte for byte the one a single inverter writes.
  // Leaves `other` empty.
  void MergeTextFieldsFrom(Inverter* other);

 private:
  void IndexField(FieldAccum* fa, const FieldValue& value, uint32_t doc);
  void AddNumeric(FieldAccum* fa, const FieldSpec& spec, const FieldValue& value, uint32_t doc);
  void AddPrefixes(FieldAccum* fa, std::string_view term, uint32_t tf, uint32_t doc);
  void AddSurface(FieldAccum* fa, const analysis::Token& token, uint32_t term_id, uint32_t doc);

  bool Inverts(const FieldSpec& spec) const {
    return which_ == InvertedFields::kAll ||
           (which_ == InvertedFields::kText) == (spec.type == FieldType::kText);
  }

  const Schema* schema_ = nullptr;
  InvertedFields which_ = InvertedFields::kAll;
  std::vector<FieldAccum> fields_;
  size_t id_field_ = 0;
  std::vector<analysis::Token> tokens_;
  std::vector<uint32_t> doc_terms_;  // The distinct term ids of one field of a doc.
  static constexpr size_t kAhead = 8;
  std::vector<uint64_t> hashes_;  // Of tokens_' terms.
  std::vector<uint32_t> ids_;     // Of tokens_' terms.
};

}  // namespace libsearch::internal
