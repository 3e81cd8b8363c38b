#!/usr/bin/env python3
"""Writes the vocabulary extracts in tests/data/ that stemmer_parity_test
stems with libstemmer and Xapian::Stem (see tests/data/README.md).

  tools/extract_vocabulary.py enwiki /work/shared/data/enwiki-2015-sample/articles.jsonl.zst \\
      tests/data/enwiki2015_vocabulary.txt.gz
  tools/extract_vocabulary.py scifact /work/shared/data/beir-scifact/corpus.jsonl.gz \\
      tests/data/scifact_vocabulary.txt.gz

A word is a run of Unicode word characters (Python's \\w), case-folded; the
test re-tokenises each line with libsearch's analyzer, so this only has to
cut the text into candidate words. enwiki keeps the 40,000 most frequent
words (ties by word), scifact every word seen at least twice (no typos).
Output: one word a line, sorted by code point, gzip -9 without a timestamp.
"""

import collections
import gzip
import json
import re
import subprocess
import sys

WORD = re.compile(r"\w+")


def lines(path):
    if path.endswith(".zst"):
        proc = subprocess.Popen(["zstd", "-dc", path], stdout=subprocess.PIPE, text=True)
        yield from proc.stdout
        proc.wait()
    else:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            yield from f


def main():
    kind, source, output = sys.argv[1:4]
    counts = collections.Counter()
    for line in lines(source):
        doc = json.loads(line)
        text = doc["text"] if kind == "enwiki" else doc["title"] + " " + doc["text"]
        counts.update(WORD.findall(text.casefold()))
    if kind == "enwiki":
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        words = [w for w, _ in ranked[:40000]]
    else:
        words = [w for w, n in counts.items() if n >= 2]
    data = "".join(w + "\n" for w in sorted(words)).encode()
    with open(output, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0,
                                                  filename="") as f:
        f.write(data)
    print(f"{output}: {len(words)} words")


if __name__ == "__main__":
    main()
