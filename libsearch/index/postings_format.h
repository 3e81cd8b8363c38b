// Postings: the doc ids, term frequencies and positions of one term; the
// layout that postings_writer.h writes and postings_cursor.h reads.
//
// Docs come in blocks of 128: full blocks bit-pack (gap - 1) and (tf - 1)
// with the widths recorded in BlockInfo; the last, partial block is varint
// coded (gap - 1) << 1 | (tf == 1), then tf if it is not 1. Per-block
// metadata (last doc, offsets, widths, score bounds) lives in separate arrays
// so skipping and block-max pruning never touch the payload.
//
// Since 2.0 only terms with two or more blocks have block-array entries: a
// one-block term is decoded whole when its cursor opens, which gives its last
// doc, and its exact score bound is computed from those docs at query time.
// Its block is always varint coded, and a doc_freq-1 term keeps its doc and
// tf in the term info (no payload at all).
#pragma once

#include <cstdint>

namespace libsearch::internal {

inline constexpr uint32_t kNoMoreDocs = 0x7fffffffu;
inline constexpr uint32_t kNoBlockEntries = 0xffffffffu;

// A term's postings metadata as decoded from either file layout (1.x
// TermInfoV1, 2.x packed records; see term_infos.h).
struct TermInfo {
  uint32_t doc_freq = 0;
  // Its first entry in the field's block arrays, or kNoBlockEntries: a
  // one-block term (2.x), varint coded at postings_offset or inline.
  uint32_t first_block = kNoBlockEntries;
  uint64_t postings_offset = 0;
  uint64_t positions_offset = 0;
  uint32_t inline_doc = 0;  // With inline_tf > 0 (doc_freq 1): the doc, no payload.
  uint32_t inline_tf = 0;
  bool corrupt = false;  // The record was damaged: cursors fail at once.
};

}  // namespace libsearch::internal
