#!/usr/bin/env bash
# Typos and "did you mean" on the 818k catalogue, words against stems, side
# by side in one run: the same benchmark binary on two indexes of the same
# products, one with surface words (format 2.4, the default) and one built
# with --no-surface-words (typos then match stems, as before 2.4). Runs the
# typo and suggestion cases alternately, ROUNDS times each (default 2), and
# prints the JSON files it wrote. Env: as bench/product/run.sh, plus ROUNDS.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LIBSEARCH=${LIBSEARCH:-$ROOT/build/tools/libsearch}
BENCH=${BENCH:-$ROOT/build/bench/libsearch_product_bench}
OUT=${OUT:-$ROOT/build/eval/product}
ROUNDS=${ROUNDS:-2}
JSONL=$OUT/products-818k.jsonl
# run.sh builds the JSONL and the default index (with surface words).
"$ROOT/bench/product/run.sh" --benchmark_filter=NONE >/dev/null
WORDS=$OUT/products-818k.idx
STEMS=$OUT/products-818k-stems.idx
if [[ ! -s $STEMS || $STEMS -ot $JSONL || $STEMS -ot $LIBSEARCH ]]; then
  "$LIBSEARCH" index --schema "$ROOT/examples/products/schema.json" --input "$JSONL" \
    --output "$STEMS" --no-surface-words
fi
ls -l "$WORDS" "$STEMS"
FILTER='Typo|Suggest'
for ((r = 1; r <= ROUNDS; ++r)); do
  for kind in words stems; do
    idx=$WORDS
    [[ $kind == stems ]] && idx=$STEMS
    LIBSEARCH_BENCH_INDEX=$idx "$BENCH" --benchmark_filter="$FILTER" \
      --benchmark_out="$OUT/typos-$kind-$r.json" --benchmark_out_format=json >&2
    echo "$OUT/typos-$kind-$r.json"
  done
done
