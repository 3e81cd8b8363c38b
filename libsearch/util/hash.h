// Checksums for the file format: XXH3-64 (libxxhash), chosen over CRC32C for
// speed without needing SSE4.2 dispatch.
#pragma once

#include <cstddef>
#include <cstdint>

namespace libsearch::internal {

uint64_t Checksum64(const void* data, size_t size);

// The same function, for hash tables (no format depends on it).
uint64_t Hash64(const void* data, size_t size);

}  // namespace libsearch::internal
