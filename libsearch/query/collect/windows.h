// Block windows: the unit of skipping shared by the pruning strategies.
#pragma once

#include <cstdint>

#include "index/postings_cursor.h"

namespace libsearch::internal {

// Window skipping on skip data alone: from the window that starts at
// *target and ends at *up_to (ShallowAdvance's answer), moves on window by
// window until can_win(up_to) holds. False when no window is left.
// S is a scorer type (a final one lets the calls be direct).
template <typename S, typename CanWin>
bool FirstWinnableWindow(S* s, uint32_t* target, uint32_t* up_to, CanWin&& can_win) {
  while (!can_win(*up_to)) {
    if (*up_to >= kNoMoreDocs - 1) return false;
    *target = *up_to + 1;
    *up_to = s->ShallowAdvance(*target);
  }
  return true;
}

}  // namespace libsearch::internal
