#!/usr/bin/env python3
"""Writes bench/peers/fuzzy-queries.tsv: misspelled product words for the
fuzzy mode of bench/peers (fuzzy.py), on the `off` corpus, and
fuzzy-warmup.tsv: more of the same from other words, to warm the engines on.

    python3 bench/peers/fuzzy_queries.py [--out-dir bench/peers]

Lines are `query<TAB>intended<TAB>kind`: the misspelled query, the correctly
spelled words it came from, and `issue` (issue 16's examples), `word` (one
misspelled word) or `pair` (two words, one or both misspelled). Derived
from the product names of products.tsv.zst, normalised as peers.py does:
  - words: the most frequent ASCII-letter product-name words of 5+ letters
    (by document frequency), a seeded sample of them;
  - pairs: the most frequent adjacent pairs of such words (each 3+ letters,
    at least one of 5+), a seeded sample;
  - each chosen word gets 1 edit (5-8 letters) or 1-2 (9+): deletion,
    transposition of neighbours, substitution or insertion, never on the
    first letter (most real slips keep it, and libsearch charges a
    first-letter typo double, so such a query would test that rule rather
    than the speed); the result must be within libsearch's budget for its
    own length (typo_budget) and not a product-name word of 3+ products.
The warm-up set (the same counts, drawn after the main set from the words and
pairs it did not take) lets fuzzy.py warm every engine without showing it the
timed words: libsearch memoises each word's dictionary walk (TypoCache), so
the first timed pass measures words it has not seen.
Seeded (SEED), so the same data gives the same files; they are committed.
"""

import argparse
import collections
import os
import random
import subprocess

from corpus import HERE, OFF_TSV, normalise_tokens

SEED = 16
N_WORDS = 60
N_PAIRS = 30
TOP_WORDS = 400
TOP_PAIRS = 300
ISSUE = ["choclate", "peanutt buter", "strawbery", "yoghourt", "biscuts", "cheesse", "tomatoe",
         "vanila", "almnds", "cerael", "orgnic"]
ISSUE_INTENDED = ["chocolate", "peanut butter", "strawberry", "yoghurt", "biscuits", "cheese",
                  "tomato", "vanilla", "almonds", "cereal", "organic"]
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def typo_budget(word):
    """libsearch's typo rule (TyposFor in libsearch/query/query.cc): no edits
    for a word with a digit or of up to 4 code points, 1 up to 8, then 2."""
    if any("0" <= c <= "9" for c in word):
        return 0
    return 0 if len(word) <= 4 else 1 if len(word) <= 8 else 2


def one_edit(word, rng):
    i = rng.randrange(1, len(word))  # never the first letter
    op = rng.choice(["delete", "transpose", "substitute", "insert"])
    if op == "delete":
        return word[:i] + word[i + 1:]
    if op == "transpose":
        if i + 1 >= len(word) or word[i] == word[i + 1]:
            return None
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op == "substitute":
        c = rng.choice([c for c in LETTERS if c != word[i]])
        return word[:i] + c + word[i + 1:]
    return word[:i] + rng.choice(LETTERS) + word[i:]


def misspell(word, rng, name_df):
    for _ in range(100):
        edits = 1 if len(word) <= 8 else rng.choice([1, 2])
        typo = word
        for _ in range(edits):
            typo = typo and one_edit(typo, rng)
        if not typo or typo == word or edits > typo_budget(typo) or name_df.get(typo, 0) >= 3:
            continue
        return typo
    raise SystemExit(f"no misspelling found for {word}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-dir", default=HERE)
    args = ap.parse_args()
    name_df, pair_df = collections.Counter(), collections.Counter()
    p = subprocess.Popen(["zstd", "-dc", OFF_TSV], stdout=subprocess.PIPE)
    header = None
    for raw in p.stdout:
        cols = raw.decode("utf-8").rstrip("\n").split("\t")
        if header is None:
            header = cols.index("product_name")
            continue
        toks = normalise_tokens(cols[header])
        name_df.update(set(toks))
        pair_df.update({(a, b) for a, b in zip(toks, toks[1:])})
    if p.wait() != 0:
        raise SystemExit("zstd failed on " + OFF_TSV)

    def plain(w, n):
        return len(w) >= n and w.isascii() and w.isalpha()

    rng = random.Random(SEED)
    top_words = [w for w, _ in name_df.most_common() if plain(w, 5)][:TOP_WORDS]
    top_pairs = [ab for ab, _ in pair_df.most_common()
                 if ab[0] != ab[1] and plain(ab[0], 3) and plain(ab[1], 3)
                 and max(len(ab[0]), len(ab[1])) >= 5][:TOP_PAIRS]

    def draw(words, pairs):
        rows = [(misspell(w, rng, name_df), w, "word") for w in words]
        for a, b in pairs:
            # One word misspelled (a random one of those with a budget), or both.
            can = [w for w in (a, b) if len(w) >= 5]
            hit = set(can) if len(can) == 2 and rng.random() < 0.3 else {rng.choice(can)}
            q = " ".join(misspell(w, rng, name_df) if w in hit else w for w in (a, b))
            rows.append((q, a + " " + b, "pair"))
        return rows

    words = rng.sample(top_words, N_WORDS)
    pairs = rng.sample(top_pairs, N_PAIRS)
    main_rows = [(q, i, "issue") for q, i in zip(ISSUE, ISSUE_INTENDED)] + draw(words, pairs)
    # Warm-up: words and pairs sharing no word with the main set.
    taken = set(words) | {w for ab in pairs for w in ab} | {w for i in ISSUE_INTENDED for w in i.split()}
    warm_words = rng.sample([w for w in top_words if w not in taken], N_WORDS + len(ISSUE))
    warm_pairs = rng.sample([ab for ab in top_pairs if not set(ab) & taken], N_PAIRS)
    for name, rows in (("fuzzy-queries.tsv", main_rows),
                       ("fuzzy-warmup.tsv", draw(warm_words, warm_pairs))):
        path = os.path.join(args.out_dir, name)
        with open(path, "w") as f:
            f.write("# bench/peers/fuzzy_queries.py (seed %d) from the Open Food Facts product "
                    "names; query<TAB>intended<TAB>kind\n" % SEED)
            for r in rows:
                f.write("\t".join(r) + "\n")
        print(f"wrote {len(rows)} queries to {path}")


if __name__ == "__main__":
    main()
