"""bench/peers: the corpora and the one tokeniser every engine shares.

Normalisation (NFKC, casefold, non-alphanumeric runs -> one space, tokens
over MAX_TOKEN_BYTES dropped), the game query parser, the corpus readers, the
run context (Ctx: paths, driver binaries, JVM flags) and prepare_corpus, which
writes the normalised `id<TAB>text` TSV once per corpus after checking
libsearch's analyzer on the whole vocabulary. See peers.py and README.md.
"""

import filecmp
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import unicodedata

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERE = os.path.join(ROOT, "bench", "peers")
DATA = os.environ.get("PEERS_DATA", os.path.join(ROOT, "..", "shared", "data"))
ENWIKI = os.path.join(DATA, "enwiki-2015-sample", "articles.jsonl.zst")
OFF_TSV = os.path.join(DATA, "openfoodfacts-products", "products.tsv.zst")
OFF_10K = os.path.join(DATA, "openfoodfacts-products", "products-sample-10k.jsonl.gz")
QUERIES = os.path.join(DATA, "search-benchmark-game", "queries.jsonl")

MAX_TOKEN_BYTES = 100
PREP_VERSION = 3  # bump when the normalisation changes

_NON_ALNUM = re.compile(r"[\W_]+")  # \w is str.isalnum() plus '_'


def log(*args):
    print("[peers]", *args, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Normalisation (the one tokeniser every engine shares)


def normalise_tokens(text):
    s = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return [t for t in _NON_ALNUM.split(s) if t and len(t.encode("utf-8")) <= MAX_TOKEN_BYTES]


def parse_game_query(q):
    """Game syntax -> [(sign, [words], quoted)]; sign is '', '+' or '-'."""
    clauses, i = [], 0
    while i < len(q):
        while i < len(q) and q[i] == " ":
            i += 1
        if i >= len(q):
            break
        sign = ""
        if q[i] in "+-":
            sign, i = q[i], i + 1
        if i < len(q) and q[i] == '"':
            end = q.find('"', i + 1)
            end = len(q) if end < 0 else end
            words, quoted, i = q[i + 1:end], True, end + 1
        else:
            end = q.find(" ", i)
            end = len(q) if end < 0 else end
            words, quoted, i = q[i:end], False, end
        clauses.append((sign, words, quoted))
    return clauses


def normalise_query(q, dropped):
    """Normalises every word of a game query; keeps +, - and quotes."""
    out = []
    for sign, words, quoted in parse_game_query(q):
        toks = [t for t in normalise_tokens(words) if t not in dropped]
        if not toks:
            continue
        if quoted or len(toks) > 1:
            out.append(sign + '"' + " ".join(toks) + '"')
        else:
            out.append(sign + toks[0])
    return " ".join(out)


# --------------------------------------------------------------------------
# Corpora


def iter_enwiki():
    p = subprocess.Popen(["zstd", "-dc", ENWIKI], stdout=subprocess.PIPE)
    for line in p.stdout:
        d = json.loads(line)
        yield str(d["id"]), d["title"] + "\n" + d["text"]
    if p.wait() != 0:
        raise SystemExit("zstd failed on " + ENWIKI)


def iter_passages():
    # The enwiki README's passage form: paragraphs of >= 5 words, id <article>-<n>.
    p = subprocess.Popen(["zstd", "-dc", ENWIKI], stdout=subprocess.PIPE)
    for line in p.stdout:
        d = json.loads(line)
        for n, para in enumerate(d["text"].split("\n")):
            if len(para.split()) >= 5:
                yield f"{d['id']}-{n}", para
    if p.wait() != 0:
        raise SystemExit("zstd failed on " + ENWIKI)


def iter_off():
    # Same columns as tools/eval/off_tsv_to_jsonl.py; text = name + ingredients.
    p = subprocess.Popen(["zstd", "-dc", OFF_TSV], stdout=subprocess.PIPE)
    header = None
    for raw in p.stdout:
        cols = raw.decode("utf-8").rstrip("\n").split("\t")
        if header is None:
            header = {c: i for i, c in enumerate(cols)}
            ib, ip, ii = header["barcode"], header["product_name"], header["ingredients"]
            continue
        yield cols[ib], cols[ip] + "\n" + cols[ii]
    if p.wait() != 0:
        raise SystemExit("zstd failed on " + OFF_TSV)


def iter_off10k():
    with gzip.open(OFF_10K, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            yield d["barcode"], (d.get("product_name") or "") + "\n" + (d.get("ingredients") or "")


CORPORA = {
    "enwiki": dict(source=ENWIKI, reader=iter_enwiki,
                   desc="English Wikipedia 2015 sample, 12,980 whole articles (title + text)"),
    "passages": dict(source=ENWIKI, reader=iter_passages,
                     desc="the same Wikipedia sample as ~442k passages (paragraphs of >= 5 words)"),
    "off": dict(source=OFF_TSV, reader=iter_off,
                desc="Open Food Facts, all 818,776 products (product_name + ingredients)"),
    "off10k": dict(source=OFF_10K, reader=iter_off10k,
                   desc="Open Food Facts 10k sample (cold-start only)"),
}


class Ctx:
    def __init__(self, args):
        self.args = args
        self.work = os.path.abspath(args.work)
        self.env = read_env(os.path.join(self.work, "peers.env"))
        self.built = set()
        self.bins = {
            "libsearch": os.path.join(self.work, "libsearch", "libsearch_peer"),
            "xapian": os.path.join(self.work, "xapian", "xapian_peer"),
            "tantivy": os.path.join(self.work, "tantivy-target", "release", "tantivy_peer"),
            "lucene": os.path.join(self.work, "lucene", "lucene-peer-1.0.jar"),
        }
        # lucene-bp: the same driver building a BP-reordered index (`index --bp`).
        self.bins["lucene-bp"] = self.bins["lucene"]

    def java(self):
        home = self.env.get("JAVA_HOME") or os.environ.get("JAVA_HOME", "")
        return os.path.join(home, "bin", "java") if home else "java"

    def lucene_cp(self):
        return self.bins["lucene"] + ":" + os.path.join(self.work, "lucene", "lib", "*")

    def jvm_flags(self, heap):
        flags = [f"-Xmx{heap}", "-XX:+UseParallelGC"]
        if int(self.env.get("JAVA_FEATURE", "17")) >= 21:
            flags += ["--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"]
        return flags

    def index_path(self, corpus, engine):
        name = {"libsearch": "libsearch.idx"}.get(engine, engine)
        return os.path.join(self.work, "index", corpus, name)

    def index_cmd(self, engine, tsv, out):
        if engine in ("lucene", "lucene-bp"):
            bp = ["--bp"] if engine == "lucene-bp" else []
            return [self.java()] + self.jvm_flags("4g") + ["-cp", self.lucene_cp(),
                                                           "LucenePeer", "index"] + bp + [tsv, out]
        return [self.bins[engine], "index", tsv, out]

    def serve_cmd(self, engine, index):
        if engine in ("lucene", "lucene-bp"):
            return [self.java()] + self.jvm_flags("2g") + ["-cp", self.lucene_cp(),
                                                           "LucenePeer", "serve", index]
        return [self.bins[engine], "serve", index]


def read_env(path):
    env = {}
    if os.path.exists(path):
        for line in open(path):
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                env[k] = v
    return env


def analyze_vocab(ctx, words):
    """Runs libsearch's analyzer on each word; returns {word: explain} for the
    words it does not keep unchanged."""
    tok_dir = os.path.join(ctx.work, "tokcheck")
    os.makedirs(tok_dir, exist_ok=True)
    tiny_tsv, tiny_idx = os.path.join(tok_dir, "tiny.tsv"), os.path.join(tok_dir, "tiny.idx")
    with open(tiny_tsv, "w") as f:
        f.write("x\tx\n")
    subprocess.run([ctx.bins["libsearch"], "index", tiny_tsv, tiny_idx], check=True,
                   stdout=subprocess.DEVNULL)
    inp = "".join(w + "\n" for w in words).encode("utf-8")
    res = subprocess.run([ctx.bins["libsearch"], "analyze", tiny_idx], input=inp,
                         stdout=subprocess.PIPE, check=True)
    lines = res.stdout.decode("utf-8").split("\n")
    bad = {}
    for w, got in zip(words, lines):
        if got != "text:" + w:
            bad[w] = got
    if len(lines) < len(words):
        raise SystemExit("libsearch analyze returned too few lines")
    return bad


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def prepare_corpus(ctx, name):
    """-> (tsv path, meta dict); cached in PEERS_WORK/corpus/."""
    cdir = os.path.join(ctx.work, "corpus")
    os.makedirs(cdir, exist_ok=True)
    tsv, meta_path = os.path.join(cdir, name + ".tsv"), os.path.join(cdir, name + ".meta.json")
    src = CORPORA[name]["source"]
    # Keyed on the source's bytes, not its mtime: a machine that re-provisions
    # the shared data touches every file, and a new TSV would rebuild every
    # engine's index (Xapian's take minutes).
    source_sha = file_sha256(src)
    if os.path.exists(meta_path) and os.path.exists(tsv):
        meta = json.load(open(meta_path))
        if meta.get("prep_version") == PREP_VERSION and meta.get("source_sha256") == source_sha:
            return tsv, meta
    log(f"normalising {name} from {src}")
    t0 = time.time()
    vocab = {}
    docs = tokens = empty = 0
    tmp = tsv + ".pass1"
    seen_ids = set()
    dup_ids = 0
    with open(tmp, "w", encoding="utf-8") as out:
        for doc_id, text in CORPORA[name]["reader"]():
            doc_id = doc_id.strip()
            if not doc_id or doc_id in seen_ids or "\t" in doc_id:
                dup_ids += 1
                continue
            seen_ids.add(doc_id)
            toks = normalise_tokens(text)
            for t in toks:
                vocab[t] = vocab.get(t, 0) + 1
            docs += 1
            tokens += len(toks)
            empty += not toks
            out.write(doc_id + "\t" + " ".join(toks) + "\n")
    log(f"  {docs} docs, {tokens} tokens, {len(vocab)} distinct; checking libsearch's analyzer")
    words = sorted(vocab)
    bad = analyze_vocab(ctx, words)
    bad_occ = sum(vocab[w] for w in bad)
    if bad:
        log(f"  {len(bad)} words ({bad_occ} occurrences) analysed differently by libsearch: dropped")
        with open(tmp, encoding="utf-8") as f, open(tmp + ".2", "w", encoding="utf-8") as out:
            for line in f:
                doc_id, text = line.rstrip("\n").split("\t", 1)
                out.write(doc_id + "\t" + " ".join(t for t in text.split(" ") if t and t not in bad)
                          + "\n")
        os.replace(tmp + ".2", tmp)
    # The same text as before keeps the old file, and so the indexes built from it.
    if os.path.exists(tsv) and filecmp.cmp(tmp, tsv, shallow=False):
        os.remove(tmp)
    else:
        os.replace(tmp, tsv)
    examples = sorted(bad.items(), key=lambda kv: -vocab[kv[0]])[:15]
    meta = dict(prep_version=PREP_VERSION, source_sha256=source_sha, name=name,
                desc=CORPORA[name]["desc"], docs=docs,
                tokens=tokens - bad_occ, distinct_terms=len(vocab) - len(bad), empty_docs=empty,
                skipped_duplicate_ids=dup_ids, tokcheck_words=len(words),
                tokcheck_mismatched_words=len(bad), tokcheck_mismatched_occurrences=bad_occ,
                tokcheck_examples=[[w, got, vocab[w]] for w, got in examples],
                dropped_words=sorted(bad), seconds=round(time.time() - t0, 1),
                bytes=os.path.getsize(tsv))
    with open(meta_path, "w") as f:
        json.dump(meta, f)
    return tsv, meta
