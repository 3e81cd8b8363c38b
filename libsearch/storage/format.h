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
// 2.0: packed term infos (kTermInfosPacked), singleton terms inlined, block
// arrays only for terms with >= 2 blocks, doc ids as id-term ordinals
// (kDocIdOrds). Readers also read 1.x files (kTermInfos, kDocIds).
// 2.1: dense full postings blocks as bitmaps (kBlockBitmap). A 2.0 reader
// reports such blocks as corrupt; this one reads 2.0 files unchanged.
// 2.2: term-block key prefixes (kTermKeyPrefixes) for the dictionary search,
// and the BM25 parameters of the block maxima (kBm25Params); older readers
// skip the unknown sections, this one works without them.
// 2.3: optional document sources (kSourceIndex, kSource).
// 2.4: per text field, the dictionary of surface words (kSurface*), which
// typos are matched on; without it typos are matched on the stems.
// 2.5: per-chunk checksums of the large sections (kChunkChecksums), so that
// first-use checks read only the chunks a search touches.
inline constexpr uint16_t kFormatMajor = 2;
inline constexpr uint16_t kFormatMinor = 5;
inline constexpr uint16_t kOldestReadableMajor = 1;  // 1.1 kNumeric, 1.2 kKeywordOrds,
                                                     // 1.3 kSynonyms, 1.4 prefix indexes,
                                                     // kKeywordDense, kNumericBlocks.
inline constexpr uint64_t kSectionAlignment = 64;

struct FileHeader {
  char magic[8];
  uint16_t format_major;
  uint16_t format_minor;
  uint32_t header_size;  // sizeof(FileHeader) = 64.
  uint32_t block_size;   // Docs per postings block (128).
  uint32_t section_count;
  uint64_t table_offset;  // Section table, after the last section.
  uint64_t file_size;     // Catches truncation and appended garbage.
  uint64_t doc_count;
  uint64_t table_checksum;   // XXH3-64 of the section table.
  uint64_t header_checksum;  // XXH3-64 of the 56 bytes above.
};
static_assert(sizeof(FileHeader) == 64);

enum class SectionKind : uint32_t {
  kSchema = 1,            // Schema JSON (UTF-8).
  kFieldStats = 2,        // FieldStats[num fields].
  kDocIds = 3,            // 1.x: u32 offsets[doc_count + 1], then the id bytes.
  kTermIndex = 4,         // Per field: term-block index (see TermDictReader).
  kTermBlocks = 5,        // Per field: front-coded term blocks.
  kTermInfos = 6,         // 1.x, per field: TermInfoV1[num terms].
  kPostings = 7,          // Per field: doc/tf payload.
  kBlockLastDoc = 8,      // Per field: u32 per postings block (2.x: of terms with >= 2 blocks).
  kBlockMaxScore = 9,     // Per field: f32 per postings block (idem).
  kBlockInfo = 10,        // Per field: BlockInfo per postings block (idem).
  kPositions = 11,        // Per field: varint position deltas.
  kNorms = 12,            // Per field: u8 per doc (SmallFloat length code).
  kDocStoreIndex = 13,    // DocStoreIndexEntry per block.
  kDocStore = 14,         // zstd-compressed blocks of stored documents.
  kNumeric = 15,          // Per int/float field: presence bitmap, then 8-byte values.
  kKeywordOrds = 16,      // Per keyword field: u32 offsets[doc_count + 1], u32 ordinals.
  kSynonyms = 17,         // Optional: JSON array of synonym groups (arrays of strings).
  kKeywordDense = 18,     // Per single-valued keyword field: u32 width, u32 0, then ordinal + 1
                          // per doc in `width` (1 or 2) bytes, 0 = no value. Replaces kKeywordOrds.
  kNumericBlocks = 19,    // Per int/float field: f64 min, f64 max of the values in each block of
                          // kNumericBlockDocs docs (+inf, -inf if none), for range skipping.
  kTermInfosPacked = 20,  // 2.x, per field: TermInfoGroup per 32 terms + bit-packed records.
  kDocIdOrds = 21,        // 2.x: u32 width, u32 0, the id-field term ordinal of each doc
                          // bit-packed LSB-first in `width` bits, 8 zero bytes.
  kTermKeyPrefixes = 22,  // 2.2, per field (optional): u64 per term block, the first 8 bytes
                          // of its first key, zero-padded, as a big-endian number.
  kBm25Params = 23,   // 2.2 (optional): Bm25ParamsRecord, what block_max_score was computed with.
  kSourceIndex = 24,  // 2.3 (optional): as kDocStoreIndex, for kSource.
  kSource = 25,       // 2.3 (optional): every schema field of each doc, as kDocStore blocks.
  // 2.4 (optional), per text field: its surface words (folded, not stemmed)
  // as a term dictionary (as kTermIndex, kTermKeyPrefixes, kTermBlocks) ...
  kSurfaceIndex = 26,
  kSurfaceKeyPrefixes = 27,
  kSurfaceBlocks = 28,
  kSurfaceWords = 29,    // ... and a SurfaceWord per word, in dictionary order.
  kChunkChecksums = 30,  // 2.5 (optional): ChunkTableHeader, ChunkedSection[], u64 checksums.
};
inline constexpr uint32_t kNumSectionKinds = 31;  // Kinds below this are known.

// kChunkChecksums: an XXH3-64 per chunk of chunk_bytes (the last one
// shorter) of each listed section, relative to the section's start; the
// sections' whole checksums stay in the table (Verify, older readers).
struct ChunkTableHeader {
  uint32_t chunk_bytes;  // A power of two, >= 4096.
  uint32_t num_sections;
};
static_assert(sizeof(ChunkTableHeader) == 8);
struct ChunkedSection {
  uint32_t kind;  // With field, names the section (as in the table).
  uint32_t field;
  uint64_t first;  // Index of its first chunk's checksum.
};
static_assert(sizeof(ChunkedSection) == 16);
// The kinds the writer chunks: the large ones that searches read in pieces
// (term_blocks, postings, positions, docstore, term_infos, doc_ids, source,
// surface_blocks, surface_words).
inline constexpr bool ChunkedKind(uint32_t kind) {
  return kind == 5 || kind == 7 || kind == 11 || kind == 14 || kind == 20 || kind == 21 ||
         kind == 25 || kind == 28 || kind == 29;
}
inline constexpr uint32_t kChunkBytes = 16384;

// A surface word's stem (the field's term it analyses to) and how many docs
// hold the word.
struct SurfaceWord {
  uint32_t stem_ord;
  uint32_t doc_freq;
};
static_assert(sizeof(SurfaceWord) == 8);

// The parameters the block maxima were computed with, and the scoring code's
// version: a reader whose BM25 arithmetic is that version trusts the maxima
// for searches with exactly these k1 and b, instead of recomputing each
// term's once (StoredMaximaExact) to find out.
struct Bm25ParamsRecord {
  float k1;
  float b;
  uint32_t scoring_version;  // kScoringVersion of the writer.
  uint32_t reserved;         // 0.
};
static_assert(sizeof(Bm25ParamsRecord) == 16);
// Bump when Bm25Score, Bm25Idf, Bm25AvgFieldLength or MakeNormInverseTable
// change a single bit of their results.
inline constexpr uint32_t kScoringVersion = 1;
inline constexpr uint32_t kNumericBlockDocs = 512;

std::string_view SectionKindName(SectionKind kind);

inline constexpr uint32_t kNoField = 0xffffffffu;
// Set in SectionEntry::field on the term sections (index, blocks, infos,
// postings, block metadata) of field f's prefix index: f | kPrefixFieldBit.
inline constexpr uint32_t kPrefixFieldBit = 0x40000000u;

struct SectionEntry {
  uint32_t kind;    // SectionKind.
  uint32_t field;   // Field id, or kNoField.
  uint64_t offset;  // From the start of the file; multiple of 64.
  uint64_t length;
  uint64_t checksum;  // XXH3-64 of the section bytes; checked by Verify().
};
static_assert(sizeof(SectionEntry) == 32);

struct FieldStats {
  uint64_t doc_count;     // Docs with at least one term in the field.
  uint64_t sum_total_tf;  // Sum of field lengths (tokens) over all docs.
  uint64_t num_terms;     // Distinct terms.
  // Entries of the field's block arrays (block_last_doc, block_max_score,
  // block_info): in 2.x the postings blocks of terms with two or more blocks,
  // in 1.x every postings block (full and tail).
  uint64_t num_blocks;
};
static_assert(sizeof(FieldStats) == 32);

// 1.x: one per term, indexed by term ordinal (its rank in sorted order).
struct TermInfoV1 {
  uint32_t doc_freq;
  uint32_t first_block;       // Index into the field's block arrays.
  uint64_t postings_offset;   // Into the field's kPostings section.
  uint64_t positions_offset;  // Into the field's kPositions section.
  float max_score;            // Max BM25 contribution (build-time k1, b, boost 1).
  uint32_t max_tf;
};
static_assert(sizeof(TermInfoV1) == 32);

// 2.x kTermInfosPacked: u64 num_terms, u64 0, then one TermInfoGroup per 32
// terms (the term dictionary's blocks), then the groups' records, then 8 zero
// bytes (so a record field is one unaligned 8-byte load). A group's 32
// records are fixed-width, LSB-first: `code` (code_bits), `slot`
// (slot_bits), `pos` (pos_bits). Odd code: doc_freq 1, tf (code >> 1) + 1,
// slot = the doc (inline, no postings payload). Even code: doc_freq
// (code >> 1) + 2, slot = postings offset - postings_base. pos = positions
// offset - positions_base.
struct TermInfoGroup {
  uint64_t postings_base;
  uint64_t positions_base;
  uint64_t data_offset;  // Records start, in bytes after the last group.
  uint32_t first_block;  // Block-array entries of all earlier groups' terms.
  uint8_t code_bits;
  uint8_t slot_bits;
  uint8_t pos_bits;
  uint8_t reserved;  // 0.
};
static_assert(sizeof(TermInfoGroup) == 32);
inline constexpr uint32_t kTermsPerInfoGroup = 32;

// Block flags.
inline constexpr uint8_t kBlockPacked = 0;  // 128 docs, bit-packed.
inline constexpr uint8_t kBlockVarint = 1;  // Tail block (< 128 docs), varint.
// 2.1: 128 docs as a bitmap of the block's span (bit i = doc prev_last + 1 + i)
// in doc_bits u64 words, then the packed tfs as in a packed block.
inline constexpr uint8_t kBlockBitmap = 2;
// A bitmap block is written only when at most kBitmapSlackBytes larger than
// its packed gaps (8 * words <= 16 * width + 16, width <= 32), so it has at
// most 66 words; a reader accepts up to kMaxBitmapWords.
inline constexpr uint32_t kBitmapSlackBytes = 16;
inline constexpr uint32_t kMaxBitmapWords = 66;

struct BlockInfo {
  uint32_t doc_offset;  // Payload start, relative to the term's postings offset.
  uint32_t pos_offset;  // Positions start, relative to the term's positions offset.
  uint8_t doc_bits;     // Bit width of (gap - 1) values (packed blocks), or the
                        // bitmap's length in u64 words (bitmap blocks).
  uint8_t tf_bits;      // Bit width of (tf - 1) values; packed blocks only.
  uint8_t flags;        // kBlockPacked, kBlockVarint or kBlockBitmap (2.1).
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
