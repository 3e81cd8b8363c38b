// Test support: how many random rounds an oracle test runs.
#pragma once

namespace libsearch::testing {

// `n` in the Release build; a quarter of it (at least one) in the sanitized
// build (LIBSEARCH_TESTING_SANITIZED), which runs 5-20x slower. Every round
// is checked against its oracle in the Release build; the sanitized run is
// there to catch memory errors and undefined behaviour on the same paths,
// which a quarter of the same seeded inputs still walks.
constexpr int Rounds(int n) {
#ifdef LIBSEARCH_TESTING_SANITIZED
  return n / 4 > 0 ? n / 4 : 1;
#else
  return n;
#endif
}

}  // namespace libsearch::testing
