#!/usr/bin/env bash
# Measurements of the deployment surfaces (functions/): cold start, warm
# latency, peak RSS, artefact sizes. Needs `make build` and the Python package
# in $PYTHON (`pip install .`: the harness is libsearch.advisor.profile);
# optionally `make package` for the zip sizes and bench/coldopen/coldopen.sh for
# the 818k index. Writes bench/results/functions-<date>.{md,json}.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
exec "${PYTHON:-python3}" "$ROOT/bench/functions/measure.py" --build "${BUILD:-$ROOT/build}" "$@"
