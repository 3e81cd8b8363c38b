// Read side of one index file: validates the header and section table at open
// (O(1) in the index size) and hands out views of each field's sections.
#pragma once

#include <atomic>
#include <bit>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "index/chunk_checks.h"
#include "index/doc_store.h"
#include "index/postings_cursor.h"
#include "index/term_dict.h"
#include "index/term_infos.h"
#include "libsearch/index.h"
#include "libsearch/schema.h"
#include "libsearch/status.h"
#include "storage/file.h"
#include "storage/format.h"
#include "storage/index_dir.h"

namespace libsearch::internal {

// A text field's surface words (2.4 files): the words of its text folded
// but not stemmed, each with its stem's term ordinal and doc frequency.
// Typos are matched on these. Absent (present() false) in older files.
struct SurfaceWords {
  TermDictReader dict;
  const SurfaceWord* words = nullptr;  // [num_words], in dictionary order.
  uint64_t num_words = 0;
  ChunkGuard chunks;  // First-use checks by chunk of `words` (2.5 files).

  bool present() const { return words != nullptr; }
  // REQUIRES: ord < num_words. stem_ord is unchecked (callers check it
  // against the field's num_terms: a damaged file can hold anything).
  SurfaceWord Get(uint32_t ord) const {
    chunks.Use(uint64_t{ord} * sizeof(SurfaceWord), (uint64_t{ord} + 1) * sizeof(SurfaceWord));
    SurfaceWord w;
    std::memcpy(&w, words + ord, sizeof w);
    return w;
  }
};

// One indexed (text or keyword) field.
struct FieldReader {
  uint32_t id = 0;
  const FieldSpec* spec = nullptr;
  FieldStats stats{};
  TermDictReader dict;
  TermInfoTable infos;
  FieldPostingsView postings;
  const uint8_t* norms = nullptr;  // Null for keyword fields (all lengths 1).
  SurfaceWords surface;            // Text fields of 2.4 files.

  uint8_t norm(uint32_t doc) const { return norms ? norms[doc] : 1; }
  // REQUIRES: ord < stats.num_terms (an ordinal from `dict`).
  TermInfo Term(uint32_t ord) const { return infos.Get(ord); }
  uint32_t DocFreq(uint32_t ord) const { return infos.DocFreq(ord); }
};

// One int or float field, a value per doc: read straight from the mapping,
// but for the docs an in-place update changed (IndexReader::ApplyUpdates),
// whose values are in an overlay, so that a reader of the updated segment
// costs the updated docs, not a copy of the column.
struct NumericColumn {
  const FieldSpec* spec = nullptr;
  const uint64_t* present = nullptr;  // Bit d set iff doc d has a value.
  const char* values = nullptr;       // 8 bytes per doc: int64 or double.
  // Per block of kNumericBlockDocs docs: {min, max} of its values as
  // doubles ({+inf, -inf} if it has none). Null in files before 1.4.
  const double* block_min_max = nullptr;
  // The overlay, null without updates: bit d of `overlay_docs` set iff doc
  // d's value is overlay_values[its rank], the rank being overlay_rank[d /
  // 64] (the set bits before d's word) plus those before d in its word.
  const uint64_t* overlay_docs = nullptr;
  const uint32_t* overlay_rank = nullptr;
  const uint64_t* overlay_values = nullptr;

  bool Has(uint32_t doc) const { return (present[doc >> 6] >> (doc & 63)) & 1; }
  // The 8 bytes of doc's value (int64 or double). REQUIRES: Has(doc).
  uint64_t Bits(uint32_t doc) const {
    uint64_t v;
    if (overlay_docs != nullptr) {
      const uint64_t word = overlay_docs[doc >> 6];
      if ((word >> (doc & 63)) & 1) {
        const uint64_t before = word & ((uint64_t{1} << (doc & 63)) - 1);
        return overlay_values[overlay_rank[doc >> 6] + std::popcount(before)];
      }
    }
    std::memcpy(&v, values + 8ull * doc, 8);
    return v;
  }
  // The value as a double. REQUIRES: Has(doc).
  double Value(uint32_t doc) const {
    const uint64_t bits = Bits(doc);
    if (spec->type == FieldType::kFloat) {
      double v;
      std::memcpy(&v, &bits, 8);
      return v;
    }
    int64_t v;
    std::memcpy(&v, &bits, 8);
    return static_cast<double>(v);
  }
};

// A keyword field's values per doc, as term ordinals (their rank in the
// field's dictionary, so ordinal order is value byte order).
// Either form: multi-valued (offsets + ords) or, when every doc has at most
// one value, dense (one code per doc: ordinal + 1, 0 for none), which is a
// single small read per doc for facets and sorting.
struct KeywordColumn {
  const uint32_t* offsets = nullptr;  // [num_docs + 1] into ords.
  const uint32_t* ords = nullptr;
  uint64_t num_ords = 0;           // Entries in `ords`.
  const uint8_t* dense = nullptr;  // Dense form: `width` bytes per doc.
  uint32_t width = 0;              // 1 or 2.
  uint32_t num_terms = 0;          // Every valid ordinal is below this.

  // Dense form only: doc's code (ordinal + 1, 0 for none; unchecked).
  uint32_t Code(uint32_t doc) const {
    if (width == 1) return dense[doc];
    uint16_t v;
    std::memcpy(&v, dense + 2ull * doc, 2);
    return v;
  }
  // The ordinals of `doc` as [*begin, *end), or false if the offsets are
  // bad. A dense column's ordinal goes through `scratch`.
  bool Ords(uint32_t doc, uint32_t* scratch, const uint32_t** begin, const uint32_t** end) const {
    if (dense != nullptr) {
      const uint32_t code = Code(doc);
      *scratch = code - 1;
      *begin = scratch;
      *end = scratch + (code != 0);
      return true;
    }
    const uint32_t lo = offsets[doc], hi = offsets[doc + 1];
    if (lo > hi || hi > num_ords) return false;
    *begin = ords + lo;
    *end = ords + hi;
    return true;
  }
};

// Thread-safety: immutable after Open (but for the record of which sections
// are checked); all methods are safe from any thread.
//
// Checksums (ChecksumPolicy): with kOnFirstUse, each accessor below checks
// the sections of what it returns the first time it is called (a field's
// dictionary, postings and surface words; its prefix index; a column; the
// ids; the stored documents), so no section is read unchecked; a mismatch
// is remembered and Intact() reports it. In 2.5 files the large sections
// (term blocks and infos, postings, positions, surface words, ids, stored
// documents, sources) are checked by chunk instead, as they are read
// (ChunkChecks). The data is still returned (the
// decoders bounds-check it), so the caller must call Intact() after it has
// read and before it trusts what it read.
class IndexReader {
 public:
  static Result<std::unique_ptr<IndexReader>> Open(
      const std::string& path, ChecksumPolicy checksums = ChecksumPolicy::kOnFirstUse);
  // A dictionary extract (WriteDictionaryExtract): the schema, the field
  // statistics and each indexed field's dictionaries (terms, term infos,
  // surface words, its prefix index's terms and term infos), which is what
  // index-wide statistics read of a segment (search/global_stats.h). Its
  // fields have no postings, norms or columns, and it has no ids or stored
  // documents: only field(), prefix_field(), field_stats(), schema() and
  // Verify() may be used.
  static Result<std::unique_ptr<IndexReader>> OpenDictionaries(
      const std::string& path, ChecksumPolicy checksums = ChecksumPolicy::kOnFirstUse);
  bool dictionaries_only() const { return dictionaries_only_; }
  // The bytes of one of sections() (for copying them: WriteDictionaryExtract).
  std::string_view SectionBytes(const SectionEntry& e) const { return Section(e); }

  const Schema& schema() const { return schema_; }
  uint32_t num_docs() const { return num_docs_; }
  const FileHeader& header() const { return header_; }
  const std::vector<SectionEntry>& sections() const { return sections_; }
  uint64_t file_size() const { return file_->data().size(); }
  const std::string& path() const { return file_->path(); }

  // Corruption if a section read so far failed its checksum, or if the file
  // has changed since it was opened (MappedFile::Unchanged); one fstat.
  Status Intact() const;
  // Intact() without the fstat: for a caller that knows the file is
  // unchanged (a FileWatch that stayed quiet).
  Status SectionsIntact() const;
  // The mapped file's descriptor, to watch it.
  int file_descriptor() const { return file_->fd(); }

  // The statistics of an indexed field (from field_stats, checked at open:
  // reading them checks nothing else), or null.
  const FieldStats* field_stats(size_t id) const {
    return id < fields_.size() && fields_[id].spec != nullptr ? &fields_[id].stats : nullptr;
  }
  // Null if the field is not indexed or has no terms section.
  const FieldReader* field(size_t id) const {
    if (id >= fields_.size() || fields_[id].spec == nullptr) return nullptr;
    Use(Group(id, kFieldGroup));
    return &fields_[id];
  }
  // The prefix index of a text field (schema index_prefixes > 0): terms are
  // prefixes, postings merge their completions' docs (tf summed), and
  // stats and norms are the field's own. Null if the field has none.
  const FieldReader* prefix_field(size_t id) const {
    if (id >= prefix_fields_.size() || prefix_fields_[id].spec == nullptr) return nullptr;
    Use(Group(id, kPrefixGroup));
    return &prefix_fields_[id];
  }
  // Null if the field is not numeric or was written by a 1.0 file.
  const NumericColumn* numeric(size_t id) const {
    if (id >= numeric_.size() || numeric_[id].spec == nullptr) return nullptr;
    Use(Group(id, kNumericGroup));
    return &numeric_[id];
  }
  // Null unless the field is an indexed keyword field (not the id) of a 1.2+ file.
  const KeywordColumn* keyword(size_t id) const {
    if (id >= keyword_.size() || (keyword_[id].offsets == nullptr && keyword_[id].dense == nullptr))
      return nullptr;
    Use(Group(id, kKeywordGroup));
    return &keyword_[id];
  }
  // Synonym groups stored at build time (JSON), empty if none.
  std::string_view synonyms_json() const { return synonyms_json_; }
  // The external id of `doc` ("<corrupt id>" if damaged, and Intact() then
  // reports it). REQUIRES: doc < num_docs().
  std::string DocId(uint32_t doc) const;
  // DocId of each doc, faster than one at a time: the lookups of all of them
  // overlap in memory. REQUIRES: every doc < num_docs().
  std::vector<std::string> DocIds(const std::vector<uint32_t>& docs) const;
  Result<std::string> StoredDocument(uint32_t doc) const;
  // Whether the file keeps every field of each doc (IndexBuilderOptions::
  // keep_source), and that source: JSON that AddJson turns back into the doc.
  bool has_source() const { return has_source_; }
  Result<std::string> Source(uint32_t doc) const;

  // Recomputes every section checksum. Corruption names the first bad section.
  Status Verify() const;

  // doc_updates.cc. A live segment's in-place updates (IndexWriter `_set`):
  // from now on numeric columns, StoredDocument and Source read the updated
  // values. Each changed numeric column gets a copy of its presence bits
  // and block bounds and an overlay of the updated docs' values (the values
  // themselves stay in the mapping): about num_docs / 4 bytes per changed
  // field plus the entries, not a copy of the column. Corruption if an entry
  // does not fit the schema. REQUIRES: called at most once, before the
  // reader is shared.
  Status ApplyUpdates(std::shared_ptr<const DocUpdates> updates);
  // Null if none were applied.
  const DocUpdates* updates() const { return updates_.get(); }
  // Takes over the checksum checks `other` has done when it maps the same
  // file (a segment opened again with new updates): its sections are not
  // read again. REQUIRES: before the reader is shared.
  void AdoptChecks(const IndexReader& other);
  // Checks that every update entry parses and fits the schema (Verify's
  // share for update files; ApplyUpdates checks only the numeric entries).
  Status VerifyUpdates() const;

 private:
  // Sections checked together on first use: per field, then per file.
  enum GroupKind : uint32_t {
    kFieldGroup,  // Dictionary, term infos, postings, positions, norms, surface words.
    kPrefixGroup,
    kNumericGroup,
    kKeywordGroup,
    kGroupsPerField,
  };
  enum FileGroup : uint32_t { kIdsGroup, kStoreGroup, kSourceGroup, kFileGroups };
  uint32_t Group(size_t field, GroupKind kind) const {
    return static_cast<uint32_t>(field) * kGroupsPerField + kind;
  }
  uint32_t Group(FileGroup g) const {
    return static_cast<uint32_t>(fields_.size()) * kGroupsPerField + g;
  }
  // Checks the group's sections unless done (ChecksumPolicy::kOnFirstUse).
  void Use(uint32_t group) const {
    if (!group_checked_[group].load(std::memory_order_acquire)) CheckGroup(group);
  }
  void CheckGroup(uint32_t group) const;
  // Assigns every section to its group, or to the views' chunk checks when
  // the file has chunk checksums (which it checks whole here); marks them
  // all checked unless the policy is kOnFirstUse.
  Status InitGroups(ChecksumPolicy checksums);
  // The chunk checks of section i, for the view that reads it.
  void SetChunkGuard(uint32_t i, ChunkGuard guard);
  // "<corrupt id>", remembered for Intact().
  std::string CorruptId() const;
  // "postings of field 'name'", for messages.
  std::string SectionName(const SectionEntry& e) const;

  IndexReader() = default;
  struct SectionLookup;
  // Open's steps, in the order Init() runs them; each fails on damage.
  Status Init();
  Status ReadHeader();
  Status ReadSectionTable();
  Status FindGlobalSections(SectionLookup* sections) const;
  // A whole-index section's bytes; Corruption if it is missing.
  Result<std::string_view> GlobalSection(const SectionLookup& sections, SectionKind k) const;
  // Returns the field_stats section.
  Result<std::string_view> ReadSchemaAndStats(const SectionLookup& sections);
  Status ReadDocIds(const SectionLookup& sections);
  Status ReadBm25ParamsAndSynonyms(const SectionLookup& sections);
  Status FindFieldSections(SectionLookup* sections);
  Status OpenNumericColumn(uint32_t f, const SectionLookup& sections);
  Status OpenIndexedField(uint32_t f, const SectionLookup& sections, std::string_view stats);
  Status OpenKeywordColumn(uint32_t f, const SectionLookup& sections);
  // After the field's own sections: its surface words, if the file has them.
  Status OpenSurfaceWords(FieldReader* fr, const SectionLookup& sections);
  Status FindIdField();
  Status InitPrefixField(uint32_t f, const SectionEntry* const* sections);
  std::string_view Section(const SectionEntry& e) const {
    return file_->data().substr(e.offset, e.length);
  }

  // The updated document of `doc` (`stored` or its source).
  Result<std::string> Updated(const DocUpdates::Doc& doc, bool stored) const;

  std::unique_ptr<MappedFile> file_;
  FileHeader header_{};
  std::vector<SectionEntry> sections_;
  Schema schema_;
  uint32_t num_docs_ = 0;
  std::vector<FieldReader> fields_;
  std::vector<FieldReader> prefix_fields_;
  std::vector<NumericColumn> numeric_;
  std::vector<KeywordColumn> keyword_;
  // ApplyUpdates: the entries, and for each updated numeric field its
  // presence words, overlay and block bounds, which numeric_ then points to.
  std::shared_ptr<const DocUpdates> updates_;
  struct Overlay {
    std::vector<uint64_t> present, docs, values;
    std::vector<uint32_t> rank;
    std::vector<double> bounds;
  };
  std::vector<Overlay> overlays_;
  std::string_view doc_id_offsets_, doc_id_bytes_;  // 1.x.
  const char* id_ords_ = nullptr;                   // 2.x: bit-packed id-term ordinals.
  ChunkGuard id_ords_chunks_;                       // Of the doc_ids section (2.5).
  uint32_t id_ord_width_ = 0;
  uint32_t id_field_ = 0;
  std::string_view synonyms_json_;
  // What block_max_score was computed with (2.2 files of this scoring
  // version); the fields' views point here.
  std::optional<Bm25Params> max_score_params_;
  DocStoreReader store_;
  DocStoreReader source_;
  bool has_source_ = false;
  bool dictionaries_only_ = false;  // OpenDictionaries.
  // First-use checks: each group's sections, whether the group is done,
  // and the first section found damaged (-1: none).
  std::vector<std::vector<uint32_t>> groups_;
  std::unique_ptr<ChunkChecks> chunks_;  // Null: no chunk checksums, or not kOnFirstUse.
  std::unique_ptr<std::atomic<bool>[]> group_checked_;
  mutable std::mutex check_mu_;  // Guards section_checked_.
  mutable std::vector<bool> section_checked_;
  mutable std::atomic<int64_t> damaged_section_{-1};
  mutable std::atomic<bool> bad_id_{false};  // An id failed to decode.
};

// Writes the dictionary extract of `source` (see IndexReader::
// OpenDictionaries) to `path`, through a temporary file: the sections copied
// byte for byte, with their checksums, in a file of the same format version
// and doc count. A few percent of a catalogue segment's size (the postings,
// norms, columns and stored documents stay behind).
Status WriteDictionaryExtract(const IndexReader& source, const std::string& path);

}  // namespace libsearch::internal
