// Test support: makes a damaged index file's checksums agree with its bytes
// again, so that a test or fuzzer reaches the decoders behind them instead of
// stopping at the checksum checks of Index::Open (docs/format.md, "What is
// checked, and when").
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "storage/format.h"
#include "util/hash.h"

namespace libsearch::testing {

// Rewrites, in place: FileHeader::file_size (the real size), the checksum of
// every section that lies inside the file, the section table's checksum and
// the header checksum. Bytes too damaged to be an index (shorter than the
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
