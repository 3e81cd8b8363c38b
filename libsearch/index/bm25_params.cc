// ValidateBm25Params: the one range check of libsearch/bm25.h, used by
// Index::Open and IndexBuilder::Create.
#include <cmath>
#include <string>

#include "libsearch/bm25.h"

namespace libsearch {

Status ValidateBm25Params(const Bm25Params& params) {
  if (!(params.k1 >= 0) || !std::isfinite(params.k1)) {  // NaN fails too.
    return Status::InvalidArgument("BM25 k1 must be >= 0, got " + std::to_string(params.k1));
  }
  if (!(params.b >= 0 && params.b <= 1)) {
    return Status::InvalidArgument("BM25 b must be in [0, 1], got " + std::to_string(params.b));
  }
  return Status::Ok();
}

}  // namespace libsearch
