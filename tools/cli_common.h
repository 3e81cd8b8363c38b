// What the `libsearch` commands share: errors and their exit codes.
#pragma once

#include <libsearch/status.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>

namespace libsearch_cli {

// Prints the error; exit code 2 for bad input (a limit it exceeds
// included, as the HTTP surfaces answer 400), 3 for not found, 4 for a
// damaged index, 5 for a commit another writer won, 1 otherwise (README "A five-minute tour").
inline int Fail(const libsearch::Status& s) {
  std::cerr << "libsearch: " << s.ToString() << "\n";
  switch (s.code()) {
    case libsearch::StatusCode::kInvalidArgument:
    case libsearch::StatusCode::kResourceExhausted: return 2;
    case libsearch::StatusCode::kNotFound: return 3;
    case libsearch::StatusCode::kCorruption: return 4;
    case libsearch::StatusCode::kAborted: return 5;
    default: return 1;
  }
}

// Parses the command line. Returns the exit code when the program should
// stop: 0 after --help or --version, 2 for a usage error (CLI11's own codes,
// 105 to 120, are not the documented ones); nothing to go on.
inline std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // app.exit prints the message or the help.
  }
  return std::nullopt;
}

}  // namespace libsearch_cli
