#include "index/numeric_summary.h"

#include <algorithm>

namespace libsearch::internal {

NumericSummary SummarizeNumeric(const NumericColumn& column, uint32_t num_docs) {
  NumericSummary s;
  for (uint32_t doc = 0; doc < num_docs; ++doc) {
    if (!column.Has(doc)) continue;
    const double v = column.Value(doc);
    s.min = s.docs == 0 ? v : std::min(s.min, v);
    s.max = s.docs == 0 ? v : std::max(s.max, v);
    ++s.docs;
  }
  return s;
}

}  // namespace libsearch::internal
