#!/usr/bin/env bash
# Measurements of the deployment surfaces (functions/): cold start, warm
# latency, peak RSS, artefact sizes. Needs `make build` and the Python package
# and the advisor in $PYTHON (default: the project's .venv; `make install-advisor`:
# the harness is libsearch_advisor.profile);
# optionally `make package` for the zip sizes and bench/coldopen/coldopen.sh for
# the 818k index. Writes bench/results/functions-<date>.{md,json}.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
exec "${PYTHON:-$ROOT/.venv/bin/python}" "$ROOT/bench/functions/measure.py" --build "${BUILD:-$ROOT/build}" "$@"
