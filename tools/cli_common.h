// What the `libsearch` commands share: errors and their exit codes.
#pragma once

#include <libsearch/status.h>

#include <iostream>

namespace libsearch_cli {

// Prints the error; exit code 2 for bad input, 3 for not found, 4 for a
// damaged index, 1 otherwise.
inline int Fail(const libsearch::Status& s) {
  std::cerr << "libsearch: " << s.ToString() << "\n";
  switch (s.code()) {
    case libsearch::StatusCode::kInvalidArgument: return 2;
    case libsearch::StatusCode::kNotFound: return 3;
    case libsearch::StatusCode::kCorruption: return 4;
    default: return 1;
  }
}

}  // namespace libsearch_cli
