// Test-only: damage an index file image and seal it again, so that the
// damage gets past every checksum (sections, table, header) and reaches the
// decoders. docs/format.md describes the layout changed here.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "storage/format.h"
#include "testing/index_reseal.h"
#include "util/hash.h"

namespace libsearch::testing {

// The section table of a file image. REQUIRES: an intact header and table.
inline std::vector<internal::SectionEntry> SectionTable(const std::string& file) {
  internal::FileHeader header;
  std::memcpy(&header, file.data(), sizeof header);
  std::vector<internal::SectionEntry> table(header.section_count);
  std::memcpy(table.data(), file.data() + header.table_offset,
              table.size() * sizeof(internal::SectionEntry));
  return table;
}

// Writes `table` back into the image, then recomputes every section's
// checksum from its bytes, the table checksum and the header checksum.
// REQUIRES: every entry lies inside the image.
// The chunk checksums (2.5) are recomputed first (ResealChunks).
inline void Reseal(std::vector<internal::SectionEntry> table, std::string* file) {
  internal::FileHeader header;
  std::memcpy(&header, file->data(), sizeof header);
  ResealChunks(table, file);
  for (internal::SectionEntry& e : table) {
    e.checksum = internal::Checksum64(file->data() + e.offset, e.length);
  }
  std::memcpy(file->data() + header.table_offset, table.data(),
              table.size() * sizeof(internal::SectionEntry));
  header.table_checksum = internal::Checksum64(file->data() + header.table_offset,
                                               table.size() * sizeof(internal::SectionEntry));
  header.header_checksum =
      internal::Checksum64(&header, offsetof(internal::FileHeader, header_checksum));
  std::memcpy(file->data(), &header, sizeof header);
}

// Seals the image as it is (after changing section bytes in place).
inline void Reseal(std::string* file) { Reseal(SectionTable(*file), file); }

}  // namespace libsearch::testing
