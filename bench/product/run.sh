#!/usr/bin/env bash
# Product-search benchmark cases on the full Open Food Facts catalogue
# (818k products, from ../shared/data): builds the JSONL (with the derived
# country / nutrition_band fields) and the index once, then runs
# libsearch_product_bench against it.
# Env: LIBSEARCH (CLI), BENCH (bench binary), DATA, OUT.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LIBSEARCH=${LIBSEARCH:-$ROOT/build/tools/libsearch}
BENCH=${BENCH:-$ROOT/build/bench/libsearch_product_bench}
DATA=${DATA:-$ROOT/../shared/data}
OUT=${OUT:-$ROOT/build/eval/product}
mkdir -p "$OUT"
JSONL=$OUT/products-818k.jsonl
INDEX=$OUT/products-818k.idx
if [[ ! -s $JSONL || $JSONL -ot $ROOT/tools/derive_product_fields.py ]]; then
  python3 "$ROOT/tools/eval/off_tsv_to_jsonl.py" --input "$DATA/openfoodfacts-products/products.tsv.zst" --output "$JSONL"
fi
if [[ ! -s $INDEX || $INDEX -ot $JSONL || $INDEX -ot $LIBSEARCH ]]; then
  "$LIBSEARCH" index --schema "$ROOT/examples/products/schema.json" --input "$JSONL" --output "$INDEX"
fi
LIBSEARCH_BENCH_INDEX=$INDEX "$BENCH" "$@"
