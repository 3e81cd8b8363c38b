// Leapfrog intersection of doc iterators (scorers or postings cursors).
#pragma once

#include <cstdint>
#include <vector>

#include "index/postings_cursor.h"

namespace libsearch::internal {

// Brings all of `its` (each positioned) to their first common doc >= target;
// returns it, or kNoMoreDocs.
template <typename Child>
uint32_t Align(const std::vector<Child*>& its, uint32_t target) {
  while (target != kNoMoreDocs) {
    bool agreed = true;
    for (Child* it : its) {
      const uint32_t d = it->doc() < target ? it->Advance(target) : it->doc();
      if (d > target) {
        target = d;
        agreed = false;
        break;
      }
    }
    if (agreed) return target;
  }
  return kNoMoreDocs;
}

}  // namespace libsearch::internal
