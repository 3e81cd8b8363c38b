#!/usr/bin/env bash
# C++ style checks for `make lint`: clang-format (the repository's
# .clang-format, applied to every tracked C/C++ file) and clang-tidy (the
# agreed set in .clang-tidy) over the library, the tools and the functions,
# using a Clang 14 compile database in $LINT_BUILD (default build-lint).
# Usage: tools/lint-cpp.sh [--fix]   (--fix rewrites files with clang-format)
set -euo pipefail
cd "$(dirname "$0")/.."
LINT_BUILD=${LINT_BUILD:-build-lint}
FORMAT=${CLANG_FORMAT:-clang-format-14}
TIDY=${CLANG_TIDY:-clang-tidy-14}

mapfile -t sources < <(git ls-files '*.cc' '*.h' | grep -v '^tests/data/')
if [[ "${1:-}" == "--fix" ]]; then
  "$FORMAT" -i "${sources[@]}"
  echo "lint-cpp: formatted ${#sources[@]} files"
  exit 0
fi

echo "lint-cpp: clang-format on ${#sources[@]} files"
"$FORMAT" --dry-run --Werror "${sources[@]}"

# The compile database: the same options as the build, with Clang, the
# functions included; generated sources are built so headers they produce
# exist.
if [[ ! -f "$LINT_BUILD/compile_commands.json" ]]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$LINT_BUILD" -G Ninja \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
      -DLIBSEARCH_BUILD_FUNCTIONS=ON >/dev/null
fi
# The service includes the demo page as a generated header.
cmake --build "$LINT_BUILD" --target functions/http_service/generated/web_assets.h >/dev/null
mapfile -t tidy_sources < <(git ls-files 'libsearch/*.cc' 'tools/*.cc' 'functions/*.cc')
echo "lint-cpp: clang-tidy on ${#tidy_sources[@]} files"
printf '%s\n' "${tidy_sources[@]}" |
    xargs -P "$(nproc)" -n 4 "$TIDY" -p "$LINT_BUILD" --quiet 2>/dev/null
echo "lint-cpp: clean"
