// Test support: makes a damaged index file's checksums agree with its bytes
// again, so that a test or fuzzer reaches the decoders behind them instead of
// stopping at the checksum checks of Index::Open (docs/format.md, "What is
// checked, and when").
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "storage/format.h"
#include "util/hash.h"

namespace libsearch::testing {

// Recomputes, in place, the chunk checksums (format 2.5) of every section
// the chunk_checksums section of `table` lists, as far as the table and the
// sections lie inside the file and the checksums fit the table (whose own
// checksum the caller recomputes afterwards).
inline void ResealChunks(const std::vector<internal::SectionEntry>& table, std::string* file) {
  using internal::SectionEntry;
  auto inside = [&](const SectionEntry& e) {
    return e.offset <= file->size() && e.length <= file->size() - e.offset;
  };
  for (const SectionEntry& c : table) {
    if (c.kind != static_cast<uint32_t>(internal::SectionKind::kChunkChecksums) || !inside(c)) {
      continue;
    }
    internal::ChunkTableHeader h;
    if (c.length < sizeof h) return;
    std::memcpy(&h, file->data() + c.offset, sizeof h);
    const uint64_t entries = sizeof h + uint64_t{h.num_sections} * sizeof(internal::ChunkedSection);
    if (h.chunk_bytes == 0 || entries > c.length) return;
    const uint64_t num_sums = (c.length - entries) / 8;
    for (uint32_t s = 0; s < h.num_sections; ++s) {
      internal::ChunkedSection cs;
      std::memcpy(&cs, file->data() + c.offset + sizeof h + sizeof cs * s, sizeof cs);
      for (const SectionEntry& e : table) {
        if (e.kind != cs.kind || e.field != cs.field || !inside(e)) continue;
        for (uint64_t k = 0; k * h.chunk_bytes < e.length; ++k) {
          if (cs.first >= num_sums || k >= num_sums - cs.first) break;
          const uint64_t n = std::min<uint64_t>(h.chunk_bytes, e.length - k * h.chunk_bytes);
          const uint64_t sum = internal::Checksum64(file->data() + e.offset + k * h.chunk_bytes, n);
          std::memcpy(file->data() + c.offset + entries + 8 * (cs.first + k), &sum, 8);
        }
      }
    }
    return;
  }
}

// Rewrites, in place: FileHeader::file_size (the real size), the chunk
// checksums (ResealChunks), the checksum of every section that lies inside the file, the section
// table's checksum and the header checksum. Bytes too damaged to be an index (shorter than the
// header, a table outside the file) get only what still applies. Sections
// overlapping the header or the table are checksummed before those change,
// so theirs may still mismatch.
inline void ResealIndex(std::string* file) {
  using internal::FileHeader;
  using internal::SectionEntry;
  if (file->size() < sizeof(FileHeader)) return;
  FileHeader header;
  std::memcpy(&header, file->data(), sizeof header);
  header.file_size = file->size();
  const uint64_t table_bytes = uint64_t{header.section_count} * sizeof(SectionEntry);
  if (header.table_offset <= file->size() && table_bytes <= file->size() - header.table_offset) {
    char* table = file->data() + header.table_offset;
    std::vector<SectionEntry> entries(header.section_count);
    if (table_bytes > 0) std::memcpy(entries.data(), table, table_bytes);
    ResealChunks(entries, file);
    for (uint64_t i = 0; i < header.section_count; ++i) {
      SectionEntry e;
      std::memcpy(&e, table + i * sizeof e, sizeof e);
      if (e.offset > file->size() || e.length > file->size() - e.offset) continue;
      e.checksum = internal::Checksum64(file->data() + e.offset, e.length);
      std::memcpy(table + i * sizeof e, &e, sizeof e);
    }
    header.table_checksum = internal::Checksum64(table, table_bytes);
  }
  header.header_checksum = internal::Checksum64(&header, offsetof(FileHeader, header_checksum));
  std::memcpy(file->data(), &header, sizeof header);
}

}  // namespace libsearch::testing
