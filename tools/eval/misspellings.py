#!/usr/bin/env python3
"""Precision and recall of "did you mean" on real misspellings.

Reads a misspelling list in codespell's format (`wrong->right` per line; the
list the codespell package ships as codespell_lib/data/dictionary.txt, from
Wikipedia's lists of common misspellings, CC BY-SA 3.0), keeps the pairs of
plain lower-case words whose correction is a word of the catalogue (written
in one of its text fields: `--catalogue`, `--fields`) and whose misspelling
finds nothing in the index, then asks the index for each misspelling through
`libsearch batch` and counts:

  precision = right suggestions / suggestions made
  recall    = right suggestions / pairs

A suggestion is right if it is the listed correction or another form of it
that the index analyses to the same terms (e.g. a plural), checked with a
search. Usage:

  tools/eval/misspellings.py --cli build/tools/libsearch --index INDEX \
      --catalogue products.jsonl.gz --fields product_name,ingredients \
      --list dictionary.txt [--pairs-out kept.tsv] [--json out.json]
"""
import argparse
import gzip
import json
import re
import subprocess
import sys
import tempfile

WORD = re.compile(r"^[a-z]+$")


def batch(cli, index, queries):
    """Runs `libsearch batch` on [(id, request dict)]; returns {id: response}."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for qid, req in queries:
            f.write(json.dumps(dict(req, id=qid)) + "\n")
        path = f.name
    out = subprocess.run([cli, "batch", index, "--queries", path, "--format", "json"],
                         check=True, capture_output=True, text=True).stdout
    return {r["id"]: r for r in map(json.loads, out.splitlines())}


def catalogue_words(path, fields):
    """The lower-case ASCII words written in `fields` of a JSONL catalogue."""
    words = set()
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            for name in fields:
                value = doc.get(name)
                for text in value if isinstance(value, list) else [value]:
                    if isinstance(text, str):
                        words.update(re.findall(r"[a-z]+", text.lower()))
    return words


def read_pairs(path):
    pairs = []
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if "->" not in line:
            continue
        wrong, right = line.split("->", 1)
        right = right.split(",")[0].strip() if right.count(",") == 0 else ""
        if WORD.match(wrong) and WORD.match(right) and wrong != right:
            pairs.append((wrong, right))
    return pairs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--index", required=True)
    ap.add_argument("--catalogue", required=True, help="the JSONL the index was built from")
    ap.add_argument("--fields", required=True, help="comma-separated text fields")
    ap.add_argument("--list", required=True, help="wrong->right per line (codespell format)")
    ap.add_argument("--pairs-out", help="write the kept pairs here (TSV)")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--show", type=int, default=15, help="print this many wrong suggestions")
    args = ap.parse_args()
    vocabulary = catalogue_words(args.catalogue, args.fields.split(","))
    pairs = [(w, r) for w, r in read_pairs(args.list) if r in vocabulary]
    words = sorted({w for p in pairs for w in p})
    found = batch(args.cli, args.index,
                  [(w, {"query": w, "k": 0, "suggest": False}) for w in words])
    kept = [(w, r) for w, r in pairs if found[r]["total"] > 0 and found[w]["total"] == 0]
    if args.pairs_out:
        with open(args.pairs_out, "w", encoding="utf-8") as f:
            f.writelines(f"{w}\t{r}\n" for w, r in kept)
    asked = batch(args.cli, args.index, [(w, {"query": w, "k": 0}) for w, _ in kept])
    # A suggestion other than the listed word is right if it finds exactly
    # the listed word's docs (another form of it, e.g. a plural).
    others = sorted({asked[w]["suggestion"] for w, r in kept
                     if asked[w]["suggestion"] not in (None, r)})
    other_found = batch(args.cli, args.index,
                        [(s, {"query": s, "k": 0, "suggest": False}) for s in others])
    made = right = 0
    wrong = []
    for w, r in kept:
        s = asked[w]["suggestion"]
        if s is None:
            continue
        made += 1
        if s == r or other_found[s]["total"] == found[r]["total"]:
            right += 1
        else:
            wrong.append((w, r, s))
    precision = right / made if made else 0.0
    recall = right / len(kept) if kept else 0.0
    figures = {"pairs_with_catalogue_word": len(pairs), "pairs_kept": len(kept), "suggestions": made,
               "right": right, "precision": round(precision, 4), "recall": round(recall, 4)}
    print(json.dumps(figures))
    for w, r, s in wrong[:args.show]:
        print(f"  wrong: {w} -> {s} (listed: {r})", file=sys.stderr)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(figures, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
