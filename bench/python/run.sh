#!/usr/bin/env bash
# Python binding benchmark: builds the C++ baseline (cpp_timing) against this
# checkout, installs the package (pip install .) and tantivy-py if missing, then
# runs bench_python.py. Not part of `make test`: timings are not assertions.
#
#   bench/python/run.sh [--queries N] [--reps N] [--json FILE]
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
BUILD=${BUILD:-build}
cmake -S bench/python -B "$BUILD/bench-python" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD/bench-python" --target cpp_timing libsearch_inprocess
"$PYTHON" -m pip install --quiet --root-user-action=ignore . -Cbuild-dir="$BUILD/python" \
  -Ccmake.define.LIBSEARCH_WERROR=ON  # the same configuration as make test-python
"$PYTHON" -c "import tantivy" 2>/dev/null ||
  "$PYTHON" -m pip install --quiet --root-user-action=ignore tantivy
exec "$PYTHON" bench/python/bench_python.py --cpp "$BUILD/bench-python/cpp_timing" \
  --inprocess "$BUILD/bench-python/liblsb_inprocess.so" "$@"
