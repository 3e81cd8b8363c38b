#!/usr/bin/env bash
# BEIR SciFact relevance check: nDCG@10 of `libsearch batch` on the 300 test
# queries, to compare with the published BM25 numbers (0.665 BEIR paper,
# 0.6789 Anserini "flat", 0.6647 Anserini "multifield").
#
# Usage: tools/eval/scifact.sh            (from anywhere)
# Env:   LIBSEARCH  CLI binary      (default: <repo>/build/tools/libsearch)
#        DATA       shared data dir (default: <repo>/../shared/data)
#        OUT        work dir        (default: <repo>/build/eval/scifact)
#        LANGUAGE   analyser language (default en; en-minimal: plurals only)
#        CROSSCHECK=1  also check ndcg.py against pytrec_eval (needs
#                      `.venv/bin/pip install pytrec-eval-terrier`, the project venv)
#
# Layouts, each with and without Lucene's English stop words:
#   split  title and text as two text fields, boost 1 each (like BEIR's
#          Elasticsearch run and Anserini "multifield"), scored by BM25F
#   split-perfield  the same, a BM25 per field summed (--field-scoring per_field)
#   split-combined  the same, BM25F with one summed length per document
#          (--field-scoring bm25f_combined_length, Lucene's CombinedFieldQuery)
#   flat   one text field body = title + " " + text (like Anserini "flat")
#   split-bm25f / split-bm25f_combined_length with the title's boost chosen
#          on the training queries (qrels/train.tsv), then run once on test
#
# Query sanitising. SciFact claims are natural language, but some characters
# are libsearch query syntax, and a claim must be searched as a bag of words
# (as Anserini/Elasticsearch do), not as a structured query:
#   * `"`, `(`, `)` and `:` become spaces: quotes would make phrases, parens
#     groups, and `word:` a field prefix (an unknown one is an error).
#   * a leading `+`/`-` is dropped from each word: they mean must/must-not.
#   * bare uppercase AND/OR/NOT are lowercased so they are plain words (they
#     are not stop words in the default analyser, and are rare anyway).
#   * `-`, `/`, `.` etc. INSIDE a word are left alone (the brief's rules).
#     NOTE: libsearch turns one query word that analyses into several tokens
#     ("TNF-alpha", "IL-10", "p53/p21") into an exact PHRASE, whereas Lucene's
#     classic parser (Anserini) makes them independent OR-ed terms. Set
#     SPLIT_WORDS=1 to also replace every character that is not a letter or
#     digit with a space, which gives Anserini's bag-of-words semantics.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LIBSEARCH=${LIBSEARCH:-$ROOT/build/tools/libsearch}
DATA=${DATA:-$ROOT/../shared/data}
OUT=${OUT:-$ROOT/build/eval/scifact}
SPLIT_WORDS=${SPLIT_WORDS:-0}
LANGUAGE=${LANGUAGE:-en}
CROSSCHECK=${CROSSCHECK:-0}
# The project venv (tools/install-deps.sh), where pytrec_eval goes; never the system pip.
if [[ -z ${PYTHON:-} ]]; then
  PYTHON=python3
  [[ -x $ROOT/.venv/bin/python ]] && PYTHON=$ROOT/.venv/bin/python
fi
SCIFACT=$DATA/beir-scifact
QRELS=$SCIFACT/qrels/test.tsv

[[ -x $LIBSEARCH ]] || { echo "scifact.sh: no libsearch CLI at $LIBSEARCH (set LIBSEARCH)" >&2; exit 1; }
[[ -f $QRELS ]] || { echo "scifact.sh: no SciFact data under $SCIFACT (set DATA)" >&2; exit 1; }
mkdir -p "$OUT"

# Corpus in both layouts and the sanitised test queries. Regenerated on every
# run (5k docs, well under a second) so the outputs never go stale.
python3 - "$SCIFACT" "$OUT" "$SPLIT_WORDS" <<'PY'
import gzip, json, os, re, sys

scifact, out, split_words = sys.argv[1], sys.argv[2], sys.argv[3] == "1"

def write_atomic(path, lines):
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        for obj in lines:
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
    os.replace(path + ".tmp", path)

docs = []
with gzip.open(os.path.join(scifact, "corpus.jsonl.gz"), "rt", encoding="utf-8") as f:
    for line in f:
        d = json.loads(line)
        docs.append((d["_id"], d.get("title") or "", d.get("text") or ""))
write_atomic(os.path.join(out, "corpus-split.jsonl"),
             ({"id": i, "title": t, "text": x} for i, t, x in docs))
write_atomic(os.path.join(out, "corpus-flat.jsonl"),
             ({"id": i, "body": (t + " " + x).strip()} for i, t, x in docs))

def query_ids(split):
    """The ids of the queries a qrels split judges."""
    ids = set()
    with open(os.path.join(scifact, "qrels", split + ".tsv"), encoding="utf-8") as f:
        next(f)  # header
        for line in f:
            if line.strip():
                ids.add(line.split("\t")[0])
    return ids

test_ids, train_ids = query_ids("test"), query_ids("train")

def sanitise(text):
    if split_words:
        return " ".join(re.sub(r"[^\w]|_", " ", text).split())
    text = re.sub(r'["():]', " ", text)
    words = []
    for w in text.split():
        w = w.lstrip("+-")
        if w in ("AND", "OR", "NOT", "&&", "||"):
            w = w.lower() if w.isalpha() else ""
        if w:
            words.append(w)
    return " ".join(words)

queries, train = [], []
with open(os.path.join(scifact, "queries.jsonl"), encoding="utf-8") as f:
    for line in f:
        q = json.loads(line)
        if q["_id"] in test_ids:
            queries.append({"id": q["_id"], "query": sanitise(q["text"])})
        elif q["_id"] in train_ids:
            train.append({"id": q["_id"], "query": sanitise(q["text"])})
if len(queries) != len(test_ids):
    sys.exit(f"scifact.sh: {len(test_ids)} test queries in qrels, {len(queries)} found")
write_atomic(os.path.join(out, "queries-test.jsonl"), queries)
write_atomic(os.path.join(out, "queries-train.jsonl"), train)
PY

# schema LAYOUT STOPWORDS [TITLE_BOOST] -> schema JSON on stdout.
schema() {
  local stop=$2 title_boost=${3:-1.0}
  if [[ $1 == split ]]; then
    cat <<JSON
{"id": "id", "fields": {
  "title": {"type": "text", "language": "$LANGUAGE", "boost": $title_boost, "stopwords": $stop},
  "text":  {"type": "text", "language": "$LANGUAGE", "boost": 1.0, "stopwords": $stop}}}
JSON
  else
    cat <<JSON
{"id": "id", "fields": {
  "body": {"type": "text", "language": "$LANGUAGE", "stopwords": $stop}}}
JSON
  fi
}

declare -a summary
for layout in split split-perfield split-combined flat; do
  for stop in false true; do
    name=$layout-stop$stop
    # The split corpus is scored three ways: BM25F (the default), BM25F
    # with one summed length, and a BM25 per field, summed.
    corpus=${layout%-*}
    scoring=bm25f
    [[ $layout == split-perfield ]] && scoring=per_field
    [[ $layout == split-combined ]] && scoring=bm25f_combined_length
    schema "$corpus" "$stop" > "$OUT/schema-$name.json"
    "$LIBSEARCH" index --schema "$OUT/schema-$name.json" --input "$OUT/corpus-$corpus.jsonl" \
      --output "$OUT/$name.idx" > /dev/null
    # --operator or: a claim is a bag of words; AND would demand every word.
    "$LIBSEARCH" batch "$OUT/$name.idx" --queries "$OUT/queries-test.jsonl" --k 100 \
      --format trec --operator or --field-scoring "$scoring" > "$OUT/run-$name.trec"
    echo "== $name (field scoring $scoring, split_words=$SPLIT_WORDS, language=$LANGUAGE)"
    args=(--qrels "$QRELS" --run "$OUT/run-$name.trec" --k 10)
    # One cross-check is enough: the evaluator code path is the same for all.
    if [[ $CROSSCHECK == 1 && $name == flat-stopfalse ]]; then args+=(--crosscheck); fi
    "$PYTHON" "$ROOT/tools/eval/ndcg.py" "${args[@]}" | tee "$OUT/eval-$name.txt"
    summary+=("$(printf '%-16s nDCG@10 %s' "$name" \
      "$(awk '$1 == "ndcg_cut_10" {print $3}' "$OUT/eval-$name.txt")")")
  done
done

# The title's boost, chosen as a BM25F schema's would be: on the 809
# training queries (qrels/train.tsv, disjoint from the test queries), then
# scored once on the test queries. Stop words off, as the best layouts above.
ndcg() {  # QRELS RUN -> nDCG@10
  "$PYTHON" "$ROOT/tools/eval/ndcg.py" --qrels "$1" --run "$2" --k 10 | awk '$1 == "ndcg_cut_10" {print $3}'
}
for scoring in bm25f bm25f_combined_length; do
  best_boost="" best_train=-1
  for boost in 0.5 0.75 1.0 1.5 2.0 2.5 3.0 4.0 5.0; do
    schema split false "$boost" > "$OUT/schema-tuned.json"
    "$LIBSEARCH" index --schema "$OUT/schema-tuned.json" --input "$OUT/corpus-split.jsonl" \
      --output "$OUT/tuned-$boost.idx" > /dev/null
    "$LIBSEARCH" batch "$OUT/tuned-$boost.idx" --queries "$OUT/queries-train.jsonl" --k 100 \
      --format trec --operator or --field-scoring "$scoring" > "$OUT/run-tuned-train.trec"
    train=$(ndcg "$SCIFACT/qrels/train.tsv" "$OUT/run-tuned-train.trec")
    echo "== split-$scoring title boost $boost: train nDCG@10 $train"
    if awk -v a="$train" -v b="$best_train" 'BEGIN {exit !(a > b)}'; then
      best_boost=$boost best_train=$train
    fi
  done
  "$LIBSEARCH" batch "$OUT/tuned-$best_boost.idx" --queries "$OUT/queries-test.jsonl" --k 100 \
    --format trec --operator or --field-scoring "$scoring" > "$OUT/run-tuned-$scoring.trec"
  summary+=("$(printf 'split-%s, title boost %s (best on train, %s) nDCG@10 %s' "$scoring" \
    "$best_boost" "$best_train" "$(ndcg "$QRELS" "$OUT/run-tuned-$scoring.trec")")")
done
rm -rf "$OUT"/tuned-*.idx

echo
echo "SciFact test (300 queries), language $LANGUAGE, BM25 k1=1.2 b=0.75 (libsearch defaults); published: 0.665 BEIR, 0.6789 Anserini flat, 0.6647 Anserini multifield"
printf '%s\n' "${summary[@]}"
