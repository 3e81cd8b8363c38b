// What an int or float column holds, for IndexInfo: how many docs have a
// value and the range of the values.
#pragma once

#include <cstdint>

#include "index/index_reader.h"

namespace libsearch::internal {

struct NumericSummary {
  uint64_t docs = 0;  // Docs with a value.
  double min = 0;     // Both 0 when no doc has a value.
  double max = 0;
};

// Reads the whole column (once per call: info is not on the search path).
NumericSummary SummarizeNumeric(const NumericColumn& column, uint32_t num_docs);

}  // namespace libsearch::internal
