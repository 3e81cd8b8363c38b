#include "index/index_reader.h"

#include <algorithm>
#include <cstring>

#include "util/coding.h"
#include "util/hash.h"

namespace libsearch::internal {

std::string_view SectionKindName(SectionKind kind) {
  switch (kind) {
    case SectionKind::kSchema: return "schema";
    case SectionKind::kFieldStats: return "field_stats";
    case SectionKind::kDocIds: return "doc_ids";
    case SectionKind::kTermIndex: return "term_index";
    case SectionKind::kTermBlocks: return "term_blocks";
    case SectionKind::kTermInfos: return "term_infos";
    case SectionKind::kPostings: return "postings";
    case SectionKind::kBlockLastDoc: return "block_last_doc";
    case SectionKind::kBlockMaxScore: return "block_max_score";
    case SectionKind::kBlockInfo: return "block_info";
    case SectionKind::kPositions: return "positions";
    case SectionKind::kNorms: return "norms";
    case SectionKind::kDocStoreIndex: return "docstore_index";
    case SectionKind::kDocStore: return "docstore";
    case SectionKind::kNumeric: return "numeric";
    case SectionKind::kKeywordOrds: return "keyword_ords";
    case SectionKind::kSynonyms: return "synonyms";
    case SectionKind::kKeywordDense: return "keyword_dense";
    case SectionKind::kNumericBlocks: return "numeric_blocks";
    case SectionKind::kTermInfosPacked: return "term_infos";
    case SectionKind::kDocIdOrds: return "doc_ids";
    case SectionKind::kTermKeyPrefixes: return "term_key_prefixes";
    case SectionKind::kBm25Params: return "bm25_params";
    case SectionKind::kSourceIndex: return "source_index";
    case SectionKind::kSource: return "source";
    case SectionKind::kSurfaceIndex: return "surface_index";
    case SectionKind::kSurfaceKeyPrefixes: return "surface_key_prefixes";
    case SectionKind::kSurfaceBlocks: return "surface_blocks";
    case SectionKind::kSurfaceWords: return "surface_words";
    case SectionKind::kChunkChecksums: return "chunk_checksums";
  }
  return "unknown";
}

Result<std::unique_ptr<IndexReader>> IndexReader::Open(const std::string& path,
                                                       ChecksumPolicy checksums) {
  std::unique_ptr<IndexReader> r(new IndexReader());
  LIBSEARCH_ASSIGN_OR_RETURN(r->file_, MappedFile::Open(path));
  Status s = r->Init();
  if (s.ok() && checksums == ChecksumPolicy::kAtOpen) s = r->Verify();
  if (s.ok()) s = r->InitGroups(checksums);
  if (!s.ok()) return s.WithContext("index '" + path + "'");
  return r;
}

Result<std::unique_ptr<IndexReader>> IndexReader::OpenDictionaries(const std::string& path,
                                                                   ChecksumPolicy checksums) {
  std::unique_ptr<IndexReader> r(new IndexReader());
  r->dictionaries_only_ = true;
  LIBSEARCH_ASSIGN_OR_RETURN(r->file_, MappedFile::Open(path));
  Status s = r->Init();
  if (s.ok() && checksums == ChecksumPolicy::kAtOpen) s = r->Verify();
  if (s.ok()) s = r->InitGroups(checksums);
  if (!s.ok()) return s.WithContext("dictionary extract '" + path + "'");
  return r;
}

namespace {

// What a dictionary extract keeps of a file (besides the schema and the
// field statistics): every field's and prefix index's dictionary sections.
bool DictionarySection(SectionKind kind) {
  switch (kind) {
    case SectionKind::kTermIndex:
    case SectionKind::kTermBlocks:
    case SectionKind::kTermInfos:
    case SectionKind::kTermInfosPacked:
    case SectionKind::kTermKeyPrefixes:
    case SectionKind::kSurfaceIndex:
    case SectionKind::kSurfaceKeyPrefixes:
    case SectionKind::kSurfaceBlocks:
    case SectionKind::kSurfaceWords: return true;
    default: return false;
  }
}

}  // namespace

Status WriteDictionaryExtract(const IndexReader& source, const std::string& path) {
  LIBSEARCH_ASSIGN_OR_RETURN(auto out, AtomicFileWriter::Create(path));
  LIBSEARCH_RETURN_IF_ERROR(out->Append(std::string(sizeof(FileHeader), '\0')));
  std::vector<SectionEntry> table;
  for (const SectionEntry& e : source.sections()) {
    if (e.kind >= kNumSectionKinds) continue;
    const auto kind = static_cast<SectionKind>(e.kind);
    const bool keep = e.field == kNoField
                          ? kind == SectionKind::kSchema || kind == SectionKind::kFieldStats
                          : DictionarySection(kind);
    if (!keep) continue;
    LIBSEARCH_RETURN_IF_ERROR(out->PadTo(kSectionAlignment));
    SectionEntry copy = e;
    copy.offset = out->size();
    table.push_back(copy);
    LIBSEARCH_RETURN_IF_ERROR(out->Append(source.SectionBytes(e)));
  }
  LIBSEARCH_RETURN_IF_ERROR(out->PadTo(kSectionAlignment));
  FileHeader h = source.header();
  h.section_count = static_cast<uint32_t>(table.size());
  h.table_offset = out->size();
  const std::string_view table_bytes(reinterpret_cast<const char*>(table.data()),
                                     table.size() * sizeof(SectionEntry));
  h.table_checksum = Checksum64(table_bytes.data(), table_bytes.size());
  LIBSEARCH_RETURN_IF_ERROR(out->Append(table_bytes));
  h.file_size = out->size();
  h.header_checksum = Checksum64(&h, offsetof(FileHeader, header_checksum));
  LIBSEARCH_RETURN_IF_ERROR(out->WriteAt(0, {reinterpret_cast<const char*>(&h), sizeof(h)}));
  return out->Commit();
}

Status IndexReader::InitGroups(ChecksumPolicy checksums) {
  const size_t num_fields = fields_.size();
  groups_.assign(num_fields * kGroupsPerField + kFileGroups, {});
  group_checked_.reset(new std::atomic<bool>[groups_.size()]);
  if (checksums == ChecksumPolicy::kOnFirstUse && !dictionaries_only_) {
    // The chunk table (8 bytes per 16 KiB of the chunked sections) is
    // checked here, whole: every chunk check trusts it.
    for (const SectionEntry& e : sections_) {
      if (e.kind != static_cast<uint32_t>(SectionKind::kChunkChecksums) || e.field != kNoField)
        continue;
      const std::string_view bytes = Section(e);
      file_->WillReadAll(e.offset, e.length);
      if (Checksum64(bytes.data(), bytes.size()) != e.checksum) {
        return Status::Corruption("checksum mismatch in section chunk_checksums (offset " +
                                  std::to_string(e.offset) + ", " + std::to_string(e.length) +
                                  " bytes): the file is damaged; rebuild or re-download it");
      }
      LIBSEARCH_ASSIGN_OR_RETURN(
          chunks_, ChunkChecks::Open(bytes, sections_, file_.get(), &damaged_section_));
      break;
    }
  }
  for (uint32_t i = 0; i < sections_.size(); ++i) {
    const SectionEntry& e = sections_[i];
    if (e.kind >= kNumSectionKinds) continue;  // A newer minor's kind: never read.
    // Only the kinds whose views check chunks (a later writer may chunk more).
    if (chunks_ != nullptr && chunks_->Section(i) != nullptr && ChunkedKind(e.kind)) {
      SetChunkGuard(i, ChunkGuard(chunks_->Section(i)));
      continue;  // Checked by chunk, as read.
    }
    const auto kind = static_cast<SectionKind>(e.kind);
    if (e.field == kNoField) {
      switch (kind) {
        case SectionKind::kDocIds:
        case SectionKind::kDocIdOrds: groups_[Group(kIdsGroup)].push_back(i); break;
        case SectionKind::kDocStoreIndex:
        case SectionKind::kDocStore: groups_[Group(kStoreGroup)].push_back(i); break;
        case SectionKind::kSourceIndex:
        case SectionKind::kSource: groups_[Group(kSourceGroup)].push_back(i); break;
        default: break;  // Schema, statistics, BM25 parameters, synonyms: checked at open.
      }
      continue;
    }
    const uint32_t f = e.field & ~kPrefixFieldBit;  // Below num_fields (FindFieldSections).
    GroupKind group = kFieldGroup;
    if (e.field & kPrefixFieldBit) {
      group = kPrefixGroup;
    } else if (kind == SectionKind::kNumeric || kind == SectionKind::kNumericBlocks) {
      group = kNumericGroup;
    } else if (kind == SectionKind::kKeywordOrds || kind == SectionKind::kKeywordDense) {
      group = kKeywordGroup;
    }
    groups_[Group(f, group)].push_back(i);
  }
  const bool checked = checksums != ChecksumPolicy::kOnFirstUse;
  for (size_t g = 0; g < groups_.size(); ++g) group_checked_[g].store(checked);
  section_checked_.assign(sections_.size(), checked);
  return Status::Ok();
}

void IndexReader::SetChunkGuard(uint32_t i, ChunkGuard guard) {
  const SectionEntry& e = sections_[i];
  const auto kind = static_cast<SectionKind>(e.kind);
  if (e.field == kNoField) {
    if (kind == SectionKind::kDocStore) store_.set_chunks(guard);
    if (kind == SectionKind::kSource) source_.set_chunks(guard);
    if (kind == SectionKind::kDocIdOrds) id_ords_chunks_ = guard;
    return;
  }
  // Below num_fields (FindFieldSections); a prefix section's field has a
  // prefix index (InitPrefixField).
  const uint32_t f = e.field & ~kPrefixFieldBit;
  std::vector<FieldReader>& readers = e.field & kPrefixFieldBit ? prefix_fields_ : fields_;
  if (f >= readers.size()) return;
  if (kind == SectionKind::kPostings) readers[f].postings.postings_chunks = guard;
  if (kind == SectionKind::kPositions) readers[f].postings.positions_chunks = guard;
  if (kind == SectionKind::kTermBlocks) readers[f].dict.set_chunks(guard);
  if (kind == SectionKind::kTermInfosPacked) readers[f].infos.set_chunks(guard);
  if (kind == SectionKind::kSurfaceBlocks) readers[f].surface.dict.set_chunks(guard);
  if (kind == SectionKind::kSurfaceWords) readers[f].surface.chunks = guard;
}

void IndexReader::CheckGroup(uint32_t group) const {
  std::lock_guard<std::mutex> lock(check_mu_);
  bool all_good = true;
  for (uint32_t i : groups_[group]) {
    if (section_checked_[i]) continue;
    const SectionEntry& e = sections_[i];
    const std::string_view bytes = Section(e);
    file_->WillReadAll(e.offset, e.length);
    if (Checksum64(bytes.data(), bytes.size()) == e.checksum) {
      section_checked_[i] = true;
    } else {
      all_good = false;
      int64_t none = -1;
      damaged_section_.compare_exchange_strong(none, i);
    }
  }
  // A damaged group is never marked: each use comes back here (and finds
  // the damage recorded), so no caller misses it.
  if (all_good) group_checked_[group].store(true, std::memory_order_release);
}

std::string IndexReader::CorruptId() const {
  bad_id_.store(true, std::memory_order_release);
  return "<corrupt id>";
}

Status IndexReader::Intact() const {
  LIBSEARCH_RETURN_IF_ERROR(SectionsIntact());
  return file_->Unchanged();
}

Status IndexReader::SectionsIntact() const {
  if (bad_id_.load(std::memory_order_acquire)) {
    return Status::Corruption("index '" + path() +
                              "': a document id is damaged (doc_ids or the id field's "
                              "dictionary); rebuild or re-download it");
  }
  const int64_t damaged = damaged_section_.load(std::memory_order_acquire);
  if (damaged >= 0) {
    const SectionEntry& e = sections_[damaged];
    return Status::Corruption("index '" + path() + "': checksum mismatch in section " +
                              SectionName(e) + " (offset " + std::to_string(e.offset) + ", " +
                              std::to_string(e.length) +
                              " bytes): the file is damaged; rebuild or re-download it");
  }
  return Status::Ok();
}

std::string IndexReader::SectionName(const SectionEntry& e) const {
  std::string name(SectionKindName(SectionKind(e.kind)));
  const uint32_t f = e.field & ~kPrefixFieldBit;
  if (e.field != kNoField && f < schema_.fields().size()) {
    name +=
        std::string(e.field & kPrefixFieldBit ? " of the prefix index of field '" : " of field '") +
        schema_.fields()[f].name + "'";
  }
  return name;
}

// Where each section is: the whole-index ones by kind, the others by
// (field, kind), for the field and for its prefix index.
struct IndexReader::SectionLookup {
  const SectionEntry* global[kNumSectionKinds] = {};
  std::vector<const SectionEntry*> per_field, per_prefix;

  const SectionEntry* field(uint32_t f, SectionKind k) const {
    return per_field[f * kNumSectionKinds + static_cast<uint32_t>(k)];
  }
};

Status IndexReader::Init() {
  LIBSEARCH_RETURN_IF_ERROR(ReadHeader());
  LIBSEARCH_RETURN_IF_ERROR(ReadSectionTable());
  SectionLookup sections;
  LIBSEARCH_RETURN_IF_ERROR(FindGlobalSections(&sections));
  LIBSEARCH_ASSIGN_OR_RETURN(std::string_view stats, ReadSchemaAndStats(sections));
  if (dictionaries_only_) {
    LIBSEARCH_RETURN_IF_ERROR(FindFieldSections(&sections));
    for (uint32_t f = 0; f < fields_.size(); ++f) {
      if (sections.field(f, SectionKind::kTermIndex) == nullptr) continue;  // Not indexed.
      LIBSEARCH_RETURN_IF_ERROR(OpenIndexedField(f, sections, stats));
      if (sections.per_prefix[f * kNumSectionKinds +
                              static_cast<uint32_t>(SectionKind::kTermIndex)] != nullptr) {
        LIBSEARCH_RETURN_IF_ERROR(InitPrefixField(f, &sections.per_prefix[f * kNumSectionKinds]));
      }
    }
    return Status::Ok();
  }
  LIBSEARCH_RETURN_IF_ERROR(ReadDocIds(sections));
  LIBSEARCH_RETURN_IF_ERROR(ReadBm25ParamsAndSynonyms(sections));
  LIBSEARCH_ASSIGN_OR_RETURN(std::string_view store_index,
                             GlobalSection(sections, SectionKind::kDocStoreIndex));
  LIBSEARCH_ASSIGN_OR_RETURN(std::string_view store_data,
                             GlobalSection(sections, SectionKind::kDocStore));
  LIBSEARCH_ASSIGN_OR_RETURN(store_, DocStoreReader::Open(store_index, store_data, num_docs_));
  const SectionEntry* source_index =
      sections.global[static_cast<uint32_t>(SectionKind::kSourceIndex)];
  const SectionEntry* source_data = sections.global[static_cast<uint32_t>(SectionKind::kSource)];
  if ((source_index == nullptr) != (source_data == nullptr)) {
    return Status::Corruption("the source sections are incomplete");
  }
  if (source_index != nullptr) {
    LIBSEARCH_ASSIGN_OR_RETURN(
        source_, DocStoreReader::Open(Section(*source_index), Section(*source_data), num_docs_));
    has_source_ = true;
  }
  LIBSEARCH_RETURN_IF_ERROR(FindFieldSections(&sections));
  for (uint32_t f = 0; f < fields_.size(); ++f) {
    LIBSEARCH_RETURN_IF_ERROR(OpenNumericColumn(f, sections));
    if (sections.field(f, SectionKind::kTermIndex) == nullptr) continue;  // Not indexed.
    LIBSEARCH_RETURN_IF_ERROR(OpenIndexedField(f, sections, stats));
    LIBSEARCH_RETURN_IF_ERROR(OpenKeywordColumn(f, sections));
    if (sections.per_prefix[f * kNumSectionKinds +
                            static_cast<uint32_t>(SectionKind::kTermIndex)] != nullptr) {
      LIBSEARCH_RETURN_IF_ERROR(InitPrefixField(f, &sections.per_prefix[f * kNumSectionKinds]));
    }
  }
  return FindIdField();
}

Status IndexReader::ReadHeader() {
  const std::string_view data = file_->data();
  if (data.size() < sizeof(FileHeader)) {
    return Status::Corruption("file is " + std::to_string(data.size()) +
                              " bytes, too short for a libsearch index (truncated?)");
  }
  std::memcpy(&header_, data.data(), sizeof(header_));
  if (std::memcmp(header_.magic, kMagic, sizeof(kMagic)) != 0) {
    return Status::Corruption("not a libsearch index (bad magic bytes)");
  }
  if (header_.header_checksum != Checksum64(&header_, offsetof(FileHeader, header_checksum))) {
    return Status::Corruption("header checksum mismatch (the file is damaged)");
  }
  if (header_.format_major < kOldestReadableMajor || header_.format_major > kFormatMajor) {
    return Status::Corruption(
        "index format version " + std::to_string(header_.format_major) + "." +
        std::to_string(header_.format_minor) + " is not supported by this libsearch (reads " +
        std::to_string(kOldestReadableMajor) + ".x to " + std::to_string(kFormatMajor) +
        ".x); rebuild the index with `libsearch index` or upgrade libsearch");
  }
  if (header_.file_size != data.size()) {
    return Status::Corruption("file is " + std::to_string(data.size()) +
                              " bytes but the header says " + std::to_string(header_.file_size) +
                              " (truncated or appended to)");
  }
  if (header_.block_size != 128 || header_.doc_count >= kNoMoreDocs) {
    return Status::Corruption("header has an unsupported block size or doc count");
  }
  num_docs_ = static_cast<uint32_t>(header_.doc_count);
  return Status::Ok();
}

Status IndexReader::ReadSectionTable() {
  const std::string_view data = file_->data();
  const uint64_t table_bytes = uint64_t{header_.section_count} * sizeof(SectionEntry);
  if (header_.table_offset > data.size() || table_bytes > data.size() - header_.table_offset) {
    return Status::Corruption("section table lies outside the file");
  }
  const char* table = data.data() + header_.table_offset;
  if (Checksum64(table, table_bytes) != header_.table_checksum) {
    return Status::Corruption("section table checksum mismatch (the file is damaged)");
  }
  if (header_.section_count == 0) return Status::Corruption("section table is empty");
  sections_.resize(header_.section_count);
  std::memcpy(sections_.data(), table, table_bytes);
  return Status::Ok();
}

Status IndexReader::FindGlobalSections(SectionLookup* sections) const {
  for (const SectionEntry& e : sections_) {
    if (e.offset % kSectionAlignment != 0 || e.offset > header_.table_offset ||
        e.length > header_.table_offset - e.offset) {
      return Status::Corruption("section " + std::string(SectionKindName(SectionKind(e.kind))) +
                                " lies outside the data area");
    }
    if (e.field == kNoField && e.kind < kNumSectionKinds) sections->global[e.kind] = &e;
  }
  return Status::Ok();
}

Result<std::string_view> IndexReader::GlobalSection(const SectionLookup& sections,
                                                    SectionKind k) const {
  const SectionEntry* e = sections.global[static_cast<uint32_t>(k)];
  if (e == nullptr) {
    return Status::Corruption("missing section " + std::string(SectionKindName(k)));
  }
  const std::string_view bytes = Section(*e);
  // The schema and field statistics are a few hundred bytes and steer how
  // everything else is read and scored: always check them.
  if ((k == SectionKind::kSchema || k == SectionKind::kFieldStats) &&
      Checksum64(bytes.data(), bytes.size()) != e->checksum) {
    return Status::Corruption("checksum mismatch in section " + std::string(SectionKindName(k)) +
                              " (the file is damaged)");
  }
  return bytes;
}

Result<std::string_view> IndexReader::ReadSchemaAndStats(const SectionLookup& sections) {
  LIBSEARCH_ASSIGN_OR_RETURN(std::string_view schema_json,
                             GlobalSection(sections, SectionKind::kSchema));
  auto schema = Schema::FromJson(schema_json);
  if (!schema.ok())
    return Status::Corruption("stored schema is invalid: " + schema.status().message());
  schema_ = std::move(*schema);
  LIBSEARCH_ASSIGN_OR_RETURN(std::string_view stats,
                             GlobalSection(sections, SectionKind::kFieldStats));
  if (stats.size() != schema_.fields().size() * sizeof(FieldStats)) {
    return Status::Corruption("field_stats size does not match the schema");
  }
  return stats;
}

Status IndexReader::ReadDocIds(const SectionLookup& sections) {
  if (header_.format_major == 1) {
    LIBSEARCH_ASSIGN_OR_RETURN(std::string_view ids, GlobalSection(sections, SectionKind::kDocIds));
    const uint64_t offsets_bytes = 4ull * (num_docs_ + 1ull);
    if (ids.size() < offsets_bytes) return Status::Corruption("doc_ids section too short");
    doc_id_offsets_ = ids.substr(0, offsets_bytes);
    doc_id_bytes_ = ids.substr(offsets_bytes);
    return Status::Ok();
  }
  LIBSEARCH_ASSIGN_OR_RETURN(std::string_view ids,
                             GlobalSection(sections, SectionKind::kDocIdOrds));
  id_ord_width_ = ids.size() >= 8 ? DecodeFixed32(ids.data()) : 99;
  if (id_ord_width_ > 32 || ids.size() != 8 + (uint64_t{num_docs_} * id_ord_width_ + 7) / 8 + 8) {
    return Status::Corruption("doc_ids section has the wrong size");
  }
  id_ords_ = ids.data() + 8;
  return Status::Ok();
}

Status IndexReader::ReadBm25ParamsAndSynonyms(const SectionLookup& sections) {
  if (const SectionEntry* bm = sections.global[static_cast<uint32_t>(SectionKind::kBm25Params)]) {
    const std::string_view bytes = Section(*bm);
    Bm25ParamsRecord rec;
    // Small and it decides whether pruning trusts the stored maxima: checked.
    if (bytes.size() != sizeof rec || Checksum64(bytes.data(), bytes.size()) != bm->checksum) {
      return Status::Corruption("section bm25_params is damaged");
    }
    std::memcpy(&rec, bytes.data(), sizeof rec);
    const Bm25Params params{rec.k1, rec.b};
    if (rec.scoring_version == kScoringVersion && ValidateBm25Params(params).ok()) {
      max_score_params_ = params;
    }
  }
  if (const SectionEntry* syn = sections.global[static_cast<uint32_t>(SectionKind::kSynonyms)]) {
    synonyms_json_ = Section(*syn);  // Small; checked like the schema.
    if (Checksum64(synonyms_json_.data(), synonyms_json_.size()) != syn->checksum) {
      return Status::Corruption("checksum mismatch in section synonyms (the file is damaged)");
    }
  }
  return Status::Ok();
}

Status IndexReader::FindFieldSections(SectionLookup* sections) {
  fields_.resize(schema_.fields().size());
  sections->per_field.assign(fields_.size() * kNumSectionKinds, nullptr);
  sections->per_prefix.assign(fields_.size() * kNumSectionKinds, nullptr);
  for (const SectionEntry& e : sections_) {
    // Kinds from a newer minor version are skipped, not refused.
    if (e.field == kNoField || e.kind >= kNumSectionKinds) continue;
    const uint32_t f = e.field & ~kPrefixFieldBit;
    if (f >= fields_.size()) {
      return Status::Corruption("section for unknown field " + std::to_string(e.field));
    }
    (e.field & kPrefixFieldBit ? sections->per_prefix
                               : sections->per_field)[f * kNumSectionKinds + e.kind] = &e;
  }
  return Status::Ok();
}

Status IndexReader::OpenNumericColumn(uint32_t f, const SectionLookup& sections) {
  const SectionEntry* num = sections.field(f, SectionKind::kNumeric);
  if (num == nullptr) return Status::Ok();
  const FieldSpec& nspec = schema_.fields()[f];
  const uint64_t words = (uint64_t{num_docs_} + 63) / 64;
  if ((nspec.type != FieldType::kInt && nspec.type != FieldType::kFloat) ||
      num->length != 8 * words + 8ull * num_docs_) {
    return Status::Corruption("field '" + nspec.name + "': numeric column has the wrong size");
  }
  numeric_.resize(fields_.size());
  const char* base = file_->data().data() + num->offset;
  numeric_[f].spec = &nspec;
  numeric_[f].present = reinterpret_cast<const uint64_t*>(base);
  numeric_[f].values = base + 8 * words;
  if (const SectionEntry* blocks = sections.field(f, SectionKind::kNumericBlocks)) {
    const uint64_t num_blocks = (uint64_t{num_docs_} + kNumericBlockDocs - 1) / kNumericBlockDocs;
    if (blocks->length != 16 * num_blocks) {
      return Status::Corruption("field '" + nspec.name + "': numeric blocks have the wrong size");
    }
    numeric_[f].block_min_max =
        reinterpret_cast<const double*>(file_->data().data() + blocks->offset);
  }
  return Status::Ok();
}

Status IndexReader::OpenIndexedField(uint32_t f, const SectionLookup& sections,
                                     std::string_view stats) {
  auto sec = [&](SectionKind k) { return sections.field(f, k); };
  const bool v1 = header_.format_major == 1;
  const FieldSpec& spec = schema_.fields()[f];
  const std::string where = "field '" + spec.name + "': ";
  const bool text = spec.type == FieldType::kText;
  const SectionKind infos_kind = v1 ? SectionKind::kTermInfos : SectionKind::kTermInfosPacked;
  const SectionKind needed[] = {SectionKind::kTermBlocks,    infos_kind,
                                SectionKind::kPostings,      SectionKind::kBlockLastDoc,
                                SectionKind::kBlockMaxScore, SectionKind::kBlockInfo};
  for (SectionKind k : needed) {
    if (dictionaries_only_ && k != SectionKind::kTermBlocks && k != infos_kind) continue;
    if (sec(k) == nullptr)
      return Status::Corruption(where + "missing section " + std::string(SectionKindName(k)));
  }
  if (text && !dictionaries_only_ &&
      (sec(SectionKind::kNorms) == nullptr || sec(SectionKind::kPositions) == nullptr)) {
    return Status::Corruption(where + "missing norms or positions");
  }
  FieldReader& fr = fields_[f];
  fr.id = f;
  std::memcpy(&fr.stats, stats.data() + f * sizeof(FieldStats), sizeof(FieldStats));
  const FieldStats& st = fr.stats;
  const std::string_view infos = Section(*sec(infos_kind));
  LIBSEARCH_ASSIGN_OR_RETURN(fr.infos,
                             v1 ? TermInfoTable::OpenV1(infos) : TermInfoTable::OpenPacked(infos));
  if (dictionaries_only_) {
    if (st.num_terms > 0xffffffffull || fr.infos.num_terms() != st.num_terms) {
      return Status::Corruption(where + "section sizes do not match the field statistics");
    }
    const SectionEntry* prefixes = sec(SectionKind::kTermKeyPrefixes);
    LIBSEARCH_ASSIGN_OR_RETURN(
        fr.dict,
        TermDictReader::Open(Section(*sec(SectionKind::kTermBlocks)),
                             Section(*sec(SectionKind::kTermIndex)),
                             prefixes ? Section(*prefixes) : std::string_view(), st.num_terms));
    fr.spec = &schema_.fields()[f];
    return OpenSurfaceWords(&fr, sections);
  }
  if (st.num_terms > 0xffffffffull || fr.infos.num_terms() != st.num_terms ||
      Section(*sec(SectionKind::kBlockLastDoc)).size() != st.num_blocks * 4 ||
      Section(*sec(SectionKind::kBlockMaxScore)).size() != st.num_blocks * 4 ||
      Section(*sec(SectionKind::kBlockInfo)).size() != st.num_blocks * sizeof(BlockInfo) ||
      (text && Section(*sec(SectionKind::kNorms)).size() != num_docs_)) {
    return Status::Corruption(where + "section sizes do not match the field statistics");
  }
  const SectionEntry* prefixes = sec(SectionKind::kTermKeyPrefixes);
  LIBSEARCH_ASSIGN_OR_RETURN(
      fr.dict, TermDictReader::Open(
                   Section(*sec(SectionKind::kTermBlocks)), Section(*sec(SectionKind::kTermIndex)),
                   prefixes ? Section(*prefixes) : std::string_view(), st.num_terms));
  // Sections are 64-byte aligned in a page-aligned mapping, so these casts
  // point at properly aligned arrays.
  fr.postings.postings = Section(*sec(SectionKind::kPostings));
  if (text) fr.postings.positions = Section(*sec(SectionKind::kPositions));
  fr.postings.last_doc =
      reinterpret_cast<const uint32_t*>(Section(*sec(SectionKind::kBlockLastDoc)).data());
  fr.postings.max_score =
      reinterpret_cast<const float*>(Section(*sec(SectionKind::kBlockMaxScore)).data());
  fr.postings.info =
      reinterpret_cast<const BlockInfo*>(Section(*sec(SectionKind::kBlockInfo)).data());
  fr.postings.num_blocks = st.num_blocks;
  fr.postings.num_docs = num_docs_;
  if (max_score_params_) fr.postings.max_score_params = &*max_score_params_;
  if (text) fr.norms = reinterpret_cast<const uint8_t*>(Section(*sec(SectionKind::kNorms)).data());
  fr.spec = &schema_.fields()[f];
  return OpenSurfaceWords(&fr, sections);
}

Status IndexReader::OpenSurfaceWords(FieldReader* fr, const SectionLookup& sections) {
  auto sec = [&](SectionKind k) { return sections.field(fr->id, k); };
  const SectionEntry* words = sec(SectionKind::kSurfaceWords);
  const SectionEntry* index = sec(SectionKind::kSurfaceIndex);
  const SectionEntry* blocks = sec(SectionKind::kSurfaceBlocks);
  const SectionEntry* prefixes = sec(SectionKind::kSurfaceKeyPrefixes);
  if (words == nullptr && index == nullptr && blocks == nullptr) return Status::Ok();
  const std::string where = "field '" + fr->spec->name + "' surface words: ";
  const bool text = dictionaries_only_ ? fr->spec->type == FieldType::kText : fr->norms != nullptr;
  if (words == nullptr || index == nullptr || blocks == nullptr || !text ||
      words->length % sizeof(SurfaceWord) != 0) {
    return Status::Corruption(where + "incomplete or misplaced sections");
  }
  fr->surface.num_words = words->length / sizeof(SurfaceWord);
  auto dict = TermDictReader::Open(Section(*blocks), Section(*index),
                                   prefixes ? Section(*prefixes) : std::string_view(),
                                   fr->surface.num_words);
  if (!dict.ok()) return dict.status().WithContext(where);
  fr->surface.dict = *dict;
  fr->surface.words = reinterpret_cast<const SurfaceWord*>(Section(*words).data());
  return Status::Ok();
}

Status IndexReader::OpenKeywordColumn(uint32_t f, const SectionLookup& sections) {
  const FieldSpec& spec = schema_.fields()[f];
  const std::string where = "field '" + spec.name + "': ";
  const uint64_t num_terms = fields_[f].stats.num_terms;
  if (const SectionEntry* ords = sections.field(f, SectionKind::kKeywordOrds)) {
    // Offsets must be checked before use; they are num_docs + 1 words, so
    // that check waits for the first facet or sort on the field (Column()).
    const uint64_t head = 4ull * (num_docs_ + 1ull);
    if (spec.type != FieldType::kKeyword || ords->length < head || (ords->length - head) % 4) {
      return Status::Corruption(where + "keyword ordinals have the wrong size");
    }
    keyword_.resize(fields_.size());
    const char* base = file_->data().data() + ords->offset;
    keyword_[f].offsets = reinterpret_cast<const uint32_t*>(base);
    keyword_[f].ords = reinterpret_cast<const uint32_t*>(base + head);
    keyword_[f].num_ords = (ords->length - head) / 4;
    keyword_[f].num_terms = static_cast<uint32_t>(num_terms);
  }
  if (const SectionEntry* dense = sections.field(f, SectionKind::kKeywordDense)) {
    const char* base = file_->data().data() + dense->offset;
    const uint32_t width = dense->length >= 8 ? DecodeFixed32(base) : 0;
    if (spec.type != FieldType::kKeyword || (width != 1 && width != 2) ||
        dense->length != 8 + uint64_t{width} * num_docs_) {
      return Status::Corruption(where + "dense keyword column has the wrong size");
    }
    keyword_.resize(fields_.size());
    keyword_[f].dense = reinterpret_cast<const uint8_t*>(base + 8);
    keyword_[f].width = width;
    keyword_[f].num_terms = static_cast<uint32_t>(num_terms);
  }
  return Status::Ok();
}

Status IndexReader::FindIdField() {
  if (header_.format_major == 1) return Status::Ok();  // 1.x: ids are strings.
  const auto id = schema_.FieldIndex(schema_.id_field());
  if (!id || *id >= fields_.size() || fields_[*id].spec == nullptr)
    return Status::Corruption("the id field has no term dictionary");
  id_field_ = static_cast<uint32_t>(*id);
  return Status::Ok();
}

// Sizes are checked against each other (the prefix index has no statistics
// of its own: term and block counts follow from the section sizes).
Status IndexReader::InitPrefixField(uint32_t f, const SectionEntry* const* sec) {
  const FieldReader& field = fields_[f];
  const std::string where = "field '" + schema_.fields()[f].name + "' prefix index: ";
  if (dictionaries_only_ ? field.spec == nullptr || field.spec->type != FieldType::kText
                         : field.norms == nullptr)
    return Status::Corruption(where + "the field is not an indexed text field");
  auto bytes = [&](SectionKind k) -> std::string_view {
    const SectionEntry* e = sec[static_cast<uint32_t>(k)];
    return e == nullptr ? std::string_view() : Section(*e);
  };
  const bool v1 = header_.format_major == 1;
  const SectionKind infos_kind = v1 ? SectionKind::kTermInfos : SectionKind::kTermInfosPacked;
  for (SectionKind k :
       {SectionKind::kTermBlocks, infos_kind, SectionKind::kPostings, SectionKind::kBlockLastDoc,
        SectionKind::kBlockMaxScore, SectionKind::kBlockInfo}) {
    if (dictionaries_only_ && k != SectionKind::kTermBlocks && k != infos_kind) continue;
    if (sec[static_cast<uint32_t>(k)] == nullptr) {
      return Status::Corruption(where + "missing section " + std::string(SectionKindName(k)));
    }
  }
  prefix_fields_.resize(fields_.size());
  FieldReader& fr = prefix_fields_[f];
  LIBSEARCH_ASSIGN_OR_RETURN(fr.infos, v1 ? TermInfoTable::OpenV1(bytes(infos_kind))
                                          : TermInfoTable::OpenPacked(bytes(infos_kind)));
  const uint64_t num_terms = fr.infos.num_terms();
  const uint64_t num_blocks = bytes(SectionKind::kBlockLastDoc).size() / 4;
  if (bytes(SectionKind::kBlockLastDoc).size() % 4 != 0 ||
      bytes(SectionKind::kBlockMaxScore).size() != num_blocks * 4 ||
      bytes(SectionKind::kBlockInfo).size() != num_blocks * sizeof(BlockInfo)) {
    return Status::Corruption(where + "section sizes do not agree");
  }
  LIBSEARCH_ASSIGN_OR_RETURN(
      fr.dict, TermDictReader::Open(bytes(SectionKind::kTermBlocks), bytes(SectionKind::kTermIndex),
                                    bytes(SectionKind::kTermKeyPrefixes), num_terms));
  fr.id = f;  // Same id: scorers share the field's norm table.
  fr.stats = field.stats;
  fr.stats.num_terms = num_terms;
  fr.stats.num_blocks = num_blocks;
  fr.postings.postings = bytes(SectionKind::kPostings);
  fr.postings.last_doc =
      reinterpret_cast<const uint32_t*>(bytes(SectionKind::kBlockLastDoc).data());
  fr.postings.max_score = reinterpret_cast<const float*>(bytes(SectionKind::kBlockMaxScore).data());
  fr.postings.info = reinterpret_cast<const BlockInfo*>(bytes(SectionKind::kBlockInfo).data());
  fr.postings.num_blocks = num_blocks;
  fr.postings.num_docs = num_docs_;
  if (max_score_params_) fr.postings.max_score_params = &*max_score_params_;
  fr.norms = field.norms;
  fr.spec = field.spec;
  return Status::Ok();
}

std::string IndexReader::DocId(uint32_t doc) const {
  Use(Group(kIdsGroup));
  if (id_ords_ == nullptr) {  // 1.x: the id strings.
    const uint32_t lo = DecodeFixed32(doc_id_offsets_.data() + 4ull * doc);
    const uint32_t hi = DecodeFixed32(doc_id_offsets_.data() + 4ull * (doc + 1));
    if (lo > hi || hi > doc_id_bytes_.size()) return CorruptId();
    return std::string(doc_id_bytes_.substr(lo, hi - lo));
  }
  // The id is the doc's term in the id field (a keyword term is its value).
  Use(Group(id_field_, kFieldGroup));
  const uint64_t bit = uint64_t{doc} * id_ord_width_;
  id_ords_chunks_.Use(8 + bit / 8, 8 + bit / 8 + 8);  // ReadBits' 8-byte load.
  const uint64_t ord = ReadBits(id_ords_, bit, id_ord_width_);
  std::string id;
  if (ord > 0xffffffffull || !fields_[id_field_].dict.Term(static_cast<uint32_t>(ord), &id)) {
    return CorruptId();
  }
  return id;
}

std::vector<std::string> IndexReader::DocIds(const std::vector<uint32_t>& docs) const {
  std::vector<std::string> ids(docs.size());
  if (id_ords_ == nullptr) {
    for (size_t i = 0; i < docs.size(); ++i) ids[i] = DocId(docs[i]);
    return ids;
  }
  Use(Group(kIdsGroup));
  Use(Group(id_field_, kFieldGroup));
  // Three dependent reads per id (ordinal, block offset, block): done in
  // stages over all docs, so that each stage's cache misses overlap.
  const TermDictReader& dict = fields_[id_field_].dict;
  std::vector<uint64_t> ords(docs.size());
  for (size_t i = 0; i < docs.size(); ++i) {
    const uint64_t bit = uint64_t{docs[i]} * id_ord_width_;
    id_ords_chunks_.Use(8 + bit / 8, 8 + bit / 8 + 8);
    ords[i] = ReadBits(id_ords_, bit, id_ord_width_);
  }
  for (uint64_t ord : ords)
    dict.Prefetch(static_cast<uint32_t>(std::min<uint64_t>(ord, 0xffffffffull)));
  for (size_t i = 0; i < docs.size(); ++i) {
    if (ords[i] > 0xffffffffull || !dict.Term(static_cast<uint32_t>(ords[i]), &ids[i])) {
      ids[i] = CorruptId();
    }
  }
  return ids;
}

Result<std::string> IndexReader::StoredDocument(uint32_t doc) const {
  if (doc >= num_docs_) return Status::NotFound("doc " + std::to_string(doc) + " out of range");
  if (updates_ != nullptr) {
    if (const DocUpdates::Doc* u = updates_->Find(doc)) return Updated(*u, /*stored=*/true);
  }
  Use(Group(kStoreGroup));
  return store_.Get(doc);
}

Result<std::string> IndexReader::Source(uint32_t doc) const {
  if (!has_source_) {
    return Status::InvalidArgument("index '" + path() +
                                   "' keeps no document sources (built without keep_source)");
  }
  if (doc >= num_docs_) return Status::NotFound("doc " + std::to_string(doc) + " out of range");
  if (updates_ != nullptr) {
    if (const DocUpdates::Doc* u = updates_->Find(doc)) return Updated(*u, /*stored=*/false);
  }
  Use(Group(kSourceGroup));
  return source_.Get(doc);
}

Status IndexReader::Verify() const {
  // Padding between sections must be zero, so that every byte of the file is
  // covered by some check.
  std::vector<std::pair<uint64_t, uint64_t>> ranges = {{0, sizeof(FileHeader)}};
  for (const SectionEntry& e : sections_) ranges.emplace_back(e.offset, e.offset + e.length);
  ranges.emplace_back(header_.table_offset, file_size());
  std::sort(ranges.begin(), ranges.end());
  const std::string_view data = file_->data();
  uint64_t covered = 0;
  for (const auto& [begin, end] : ranges) {
    for (uint64_t i = covered; i < begin; ++i) {
      if (data[i] != 0) {
        return Status::Corruption("non-zero padding byte at offset " + std::to_string(i) +
                                  ": the file is damaged; rebuild or re-download it");
      }
    }
    covered = std::max(covered, end);
  }
  auto mismatch = [&](const SectionEntry& e, const char* what) {
    return Status::Corruption(std::string(what) + " mismatch in section " + SectionName(e) +
                              " (offset " + std::to_string(e.offset) + ", " +
                              std::to_string(e.length) +
                              " bytes): the file is damaged; rebuild or re-download it");
  };
  const SectionEntry* chunk_table = nullptr;
  for (const SectionEntry& e : sections_) {
    const std::string_view bytes = Section(e);
    file_->WillReadAll(e.offset, e.length);
    if (Checksum64(bytes.data(), bytes.size()) != e.checksum) return mismatch(e, "checksum");
    if (e.kind == static_cast<uint32_t>(SectionKind::kChunkChecksums) && e.field == kNoField) {
      chunk_table = &e;
    }
  }
  if (chunk_table != nullptr && !dictionaries_only_) {
    // The chunk checksums must agree with the sections (first-use checks
    // trust them).
    std::atomic<int64_t> bad{-1};
    auto chunks = ChunkChecks::Open(Section(*chunk_table), sections_, file_.get(), &bad);
    if (!chunks.ok()) return chunks.status();
    const int64_t s = (*chunks)->CheckAll();
    if (s >= 0) return mismatch(sections_[s], "chunk checksum");
  }
  return Status::Ok();
}

}  // namespace libsearch::internal
