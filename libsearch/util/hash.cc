#include "util/hash.h"

#include <xxhash.h>

namespace libsearch::internal {

uint64_t Checksum64(const void* data, size_t size) { return XXH3_64bits(data, size); }

uint64_t Hash64(const void* data, size_t size) { return XXH3_64bits(data, size); }

}  // namespace libsearch::internal
