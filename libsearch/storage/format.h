// The fixed-layout structs of the index file (docs/format.md is the prose
// version; keep the two in step). Everything is little-endian and read in
// place from the mapping: no pointers, only offsets, sizes checked at open.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace libsearch::internal {

static_assert(std::endian::native == std::endian::little,
              "the index format is little-endian; big-endian hosts need "
              "byte-swapping readers");

inline constexpr char kMagic[8] = {'L', 'S', 'R', 'C', 'H', 'I', 'D', 'X'};
inline constexpr uint16_t kFormatMajor = 1;
inline constexpr uint16_t kFormatMinor = 4;  // 1.1 kNumeric, 1.2 kKeywordOrds, 1.3 kSynonyms,
                                             // 1.4 prefix indexes (kPrefixFieldBit) and
                                             // kKeywordDense, kNumericBlocks.
inline constexpr uint64_t kSectionAlignment = 64;

struct FileHeader {
  char magic[8];
  uint16_t format_major;
  uint16_t format_minor;
  uint32_t header_size;       // sizeof(FileHeader) = 64.
  uint32_t block_size;        // Docs per postings block (128).
  uint32_t section_count;
  uint64_t table_offset;      // Section table, after the last section.
  uint64_t file_size;         // Catches truncation and appended garbage.
  uint64_t doc_count;
  uint64_t table_checksum;    // XXH3-64 of the section table.
  uint64_t header_checksum;   // XXH3-64 of the 56 bytes above.
};
static_assert(sizeof(FileHeader) == 64);

enum class SectionKind : uint32_t {
  kSchema = 1,         // Schema JSON (UTF-8).
  kFieldStats = 2,     // FieldStats[num fields].
  kDocIds = 3,         // u32 offsets[doc_count + 1], then the id bytes.
  kTermIndex = 4,      // Per field: term-block index (see TermDictReader).
  kTermBlocks = 5,     // Per field: front-coded term blocks.
  kTermInfos = 6,      // Per field: TermInfo[num terms].
  kPostings = 7,       // Per field: doc/tf payload.
  kBlockLastDoc = 8,   // Per field: u32 per postings block.
  kBlockMaxScore = 9,  // Per field: f32 per postings block.
  kBlockInfo = 10,     // Per field: BlockInfo per postings block.
  kPositions = 11,     // Per field: varint position deltas.
  kNorms = 12,         // Per field: u8 per doc (SmallFloat length code).
  kDocStoreIndex = 13, // DocStoreIndexEntry per block.
  kDocStore = 14,      // zstd-compressed blocks of stored documents.
  kNumeric = 15,       // Per int/float field: presence bitmap, then 8-byte values.
  kKeywordOrds = 16,   // Per keyword field: u32 offsets[doc_count + 1], u32 ordinals.
  kSynonyms = 17,      // Optional: JSON array of synonym groups (arrays of strings).
  kKeywordDense = 18,  // Per single-valued keyword field: u32 width, u32 0, then ordinal + 1
                       // per doc in `width` (1 or 2) bytes, 0 = no value. Replaces kKeywordOrds.
  kNumericBlocks = 19, // Per int/float field: f64 min, f64 max of the values in each block of
                       // kNumericBlockDocs docs (+inf, -inf if none), for range skipping.
};
inline constexpr uint32_t kNumSectionKinds = 20;  // Kinds below this are known.
inline constexpr uint32_t kNumericBlockDocs = 512;

std::string_view SectionKindName(SectionKind kind);

inline constexpr uint32_t kNoField = 0xffffffffu;
// Set in SectionEntry::field on the term sections (index, blocks, infos,
// postings, block metadata) of field f's prefix index: f | kPrefixFieldBit.
inline constexpr uint32_t kPrefixFieldBit = 0x40000000u;

struct SectionEntry {
  uint32_t kind;       // SectionKind.
  uint32_t field;      // Field id, or kNoField.
  uint64_t offset;     // From the start of the file; multiple of 64.
  uint64_t length;
  uint64_t checksum;   // XXH3-64 of the section bytes; checked by Verify().
};
static_assert(sizeof(SectionEntry) == 32);

struct FieldStats {
  uint64_t doc_count;        // Docs with at least one term in the field.
  uint64_t sum_total_tf;     // Sum of field lengths (tokens) over all docs.
  uint64_t num_terms;        // Distinct terms.
  uint64_t num_blocks;       // Postings blocks (full and tail).
};
static_assert(sizeof(FieldStats) == 32);

// One per term, indexed by term ordinal (its rank in sorted order).
struct TermInfo {
  uint32_t doc_freq;
  uint32_t first_block;      // Index into the field's block arrays.
  uint64_t postings_offset;  // Into the field's kPostings section.
  uint64_t positions_offset; // Into the field's kPositions section.
  float max_score;           // Max BM25 contribution (build-time k1, b, boost 1).
  uint32_t max_tf;
};
static_assert(sizeof(TermInfo) == 32);

// Block flags.
inline constexpr uint8_t kBlockPacked = 0;  // 128 docs, bit-packed.
inline constexpr uint8_t kBlockVarint = 1;  // Tail block (< 128 docs), varint.

struct BlockInfo {
  uint32_t doc_offset;  // Payload start, relative to TermInfo::postings_offset.
  uint32_t pos_offset;  // Positions start, relative to TermInfo::positions_offset.
  uint8_t doc_bits;     // Bit width of (gap - 1) values; packed blocks only.
  uint8_t tf_bits;      // Bit width of (tf - 1) values; packed blocks only.
  uint8_t flags;        // kBlockPacked or kBlockVarint.
  uint8_t min_norm;     // Smallest norm code in the block: with max_tf it bounds
                        // the block's score for any k1, b.
  uint32_t max_tf;      // Largest tf in the block.
};
static_assert(sizeof(BlockInfo) == 16);

struct DocStoreIndexEntry {
  uint32_t first_doc;
  uint32_t num_docs;
  uint64_t offset;  // Into the kDocStore section.
};
static_assert(sizeof(DocStoreIndexEntry) == 16);

}  // namespace libsearch::internal
