// Runs the libsearch CLI (LIBSEARCH_CLI, set by tests/CMakeLists.txt) with a
// shell command line and captures its output and exit code.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace libsearch::testing {

struct CliRun {
  int exit_code;
  std::string out;  // stdout and stderr together.
};

// With `timeout_seconds` > 0 the command runs under timeout(1): a hang
// exits 124 (137 if it ignores SIGTERM).
inline CliRun Cli(const std::string& args, int timeout_seconds = 0) {
  const std::string limit =
      timeout_seconds > 0 ? "timeout -k 5 " + std::to_string(timeout_seconds) + " " : "";
  const std::string cmd = limit + std::string(LIBSEARCH_CLI) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  CliRun r{-1, ""};
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace libsearch::testing
