#!/usr/bin/env bash
# Cold-open benchmark: opening an index and answering one query in a fresh
# process should cost the same whether the index holds 10k or 818k products,
# because Index::Open only mmaps the file and reads the header, section table,
# schema and field statistics; nothing proportional to the corpus.
#
# Usage: bench/coldopen/coldopen.sh
# Env:   LIBSEARCH  CLI binary      (default: <repo>/build/tools/libsearch)
#        DATA       shared data dir (default: <repo>/../shared/data)
#        OUT        work dir        (default: <repo>/build/eval/coldopen)
#        RUNS       warm samples per index and case (default 30)
#        COLD_RUNS  cold samples per index and case (default 15)
#        MODES      comma list of warm,cold-index,cold-all (default: all)
#
# Builds (only when missing or older than their inputs or the binary):
#   10k   examples/products/products.jsonl.gz (the bundled sample)
#   818k  all of openfoodfacts-products/products.tsv.zst, converted to the
#         same JSON shape by tools/eval/off_tsv_to_jsonl.py
# both with examples/products/schema.json, then times three cases per index:
#   `info IDX` (open only), `search IDX barcode:B` (one posting: isolates the
#   open), `search IDX chocolate --k 10 --json` (exhaustive BM25 over every
#   matching doc: 417 vs ~21.8k docs, so it is NOT expected to be flat).
# "cold-all" drops the whole page cache (root); it is system-wide and slows
# anything else running on the machine for a moment.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LIBSEARCH=${LIBSEARCH:-$ROOT/build/tools/libsearch}
DATA=${DATA:-$ROOT/../shared/data}
OUT=${OUT:-$ROOT/build/eval/coldopen}
RUNS=${RUNS:-30}
COLD_RUNS=${COLD_RUNS:-15}
MODES=${MODES:-warm,cold-index,cold-all}
SCHEMA=$ROOT/examples/products/schema.json
SMALL_INPUT=$ROOT/examples/products/products.jsonl.gz
TSV=$DATA/openfoodfacts-products/products.tsv.zst
BIG_INPUT=$OUT/products-818k.jsonl
# "Assorted Chocolates": in the bundled sample, hence in both indexes.
BARCODE=0041761101599

[[ -x $LIBSEARCH ]] || { echo "coldopen.sh: no libsearch CLI at $LIBSEARCH (set LIBSEARCH)" >&2; exit 1; }
[[ -f $TSV ]] || { echo "coldopen.sh: no $TSV (set DATA)" >&2; exit 1; }
command -v zstd > /dev/null || { echo "coldopen.sh: needs zstd (apt-get install zstd)" >&2; exit 1; }
mkdir -p "$OUT"

# stale TARGET DEP... : true if TARGET is missing or older than any DEP.
stale() {
  local target=$1 dep
  shift
  [[ -e $target ]] || return 0
  for dep; do [[ $dep -nt $target ]] && return 0; done
  return 1
}

if stale "$BIG_INPUT" "$TSV" "$ROOT/tools/eval/off_tsv_to_jsonl.py"; then
  python3 "$ROOT/tools/eval/off_tsv_to_jsonl.py" --input "$TSV" --output "$BIG_INPUT"
fi
if stale "$OUT/products-10k.idx" "$SMALL_INPUT" "$SCHEMA" "$LIBSEARCH"; then
  "$LIBSEARCH" index --schema "$SCHEMA" --input "$SMALL_INPUT" --output "$OUT/products-10k.idx"
fi
if stale "$OUT/products-818k.idx" "$BIG_INPUT" "$SCHEMA" "$LIBSEARCH"; then
  "$LIBSEARCH" index --schema "$SCHEMA" --input "$BIG_INPUT" --output "$OUT/products-818k.idx"
fi

echo "# $(stat -c %s "$OUT/products-10k.idx") bytes: $OUT/products-10k.idx"
echo "# $(stat -c %s "$OUT/products-818k.idx") bytes: $OUT/products-818k.idx"
echo "# $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), binary $LIBSEARCH"
python3 "$ROOT/bench/coldopen/coldopen_time.py" --libsearch "$LIBSEARCH" \
  --index "10k=$OUT/products-10k.idx" --index "818k=$OUT/products-818k.idx" \
  --runs "$RUNS" --cold-runs "$COLD_RUNS" --barcode "$BARCODE" --modes "$MODES"
