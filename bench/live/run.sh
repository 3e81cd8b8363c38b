#!/usr/bin/env bash
# Live index benchmarks (bench/live_bench.cc) on the full Open Food Facts
# catalogue (818k products, from ../shared/data): builds the products JSONL
# once (as bench/product/run.sh does), then runs libsearch_live_bench on it.
# Without the shared data it runs on the bundled 10k catalogue.
# Env: BENCH (bench binary), DATA, OUT; arguments go to the benchmark.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH=${BENCH:-$ROOT/build/bench/libsearch_live_bench}
DATA=${DATA:-$ROOT/../shared/data}
OUT=${OUT:-$ROOT/build/eval/product}
TSV=$DATA/openfoodfacts-products/products.tsv.zst
if [[ -f $TSV ]]; then
  mkdir -p "$OUT"
  JSONL=$OUT/products-818k.jsonl
  if [[ ! -s $JSONL || $JSONL -ot $ROOT/tools/derive_product_fields.py ]]; then
    python3 "$ROOT/tools/eval/off_tsv_to_jsonl.py" --input "$TSV" --output "$JSONL"
  fi
  export LIBSEARCH_LIVE_CORPUS=$JSONL
fi
export LIBSEARCH_LIVE_DIR=${LIBSEARCH_LIVE_DIR:-$OUT/live}
"$BENCH" "$@"
