#!/usr/bin/env python3
"""Side-by-side benchmark: libsearch vs Xapian, Lucene and Tantivy.

Run through `make bench-peers` (which builds the drivers first, see
bench/peers/setup.sh), or directly once they are built:

    python3 bench/peers/peers.py [--corpus enwiki|passages|off|both|all] [--queries N] [--passes N]

What it does (details and rationale in bench/peers/README.md):
  1. Normalises each corpus once into `id<TAB>text` lines: NFKC, casefold,
     every run of non-alphanumeric characters (str.isalnum) becomes one space,
     tokens over 100 UTF-8 bytes are dropped. Every engine splits that text
     on spaces only, so all four index exactly the same tokens. libsearch's
     ICU analyzer (language "none", no accent folding) is checked on the whole
     vocabulary; words it would analyse differently are dropped from the text
     for every engine and counted in the report.
  2. Builds one index per engine and corpus (single-threaded where the engine
     allows), timing the build process from exec to exit, with its peak RSS
     and the index size on disk. libsearch and Tantivy (BUILD_TIMED) are
     rebuilt BUILD_ROUNDS times in every run, interleaved, keeping the
     fastest; the others are reused from earlier runs while unchanged.
  3. Starts each engine's `serve` process (one at a time) and sends it the
     search-benchmark-game queries, "MODE\\tquery" per line, in COUNT, TOP_10 and
     TOP_10_COUNT modes: WARMUP warm-up passes, then PASSES timed passes in the
     same shuffled order. Each request is timed around the pipe round trip
     with perf_counter_ns; the driver also reports the time spent inside the
     engine. This is repeated for ROUNDS rounds, each with fresh processes,
     the engine order rotating; a query's latency is its minimum over the
     timed passes of all rounds.
  4. Checks the counts agree across engines and the top-10 ids overlap.
  5. Cold start: exec -> first answer on the 10k and 818k Open Food Facts
     indexes, with the page cache dropped (root) and warm.
  6. Writes bench/results/<date>-<machine>.{md,json,png}.

Environment knobs (same as the flags): CORPUS, QUERIES, PASSES, ROUNDS, WARMUP,
ENGINES, COLD_RUNS, REBUILD=1, BUILD_ROUNDS, BUILD_TIMED, PEERS_DATA (default
../shared/data), PEERS_WORK (default build-peers), RESULTS_DIR,
MACHINE (file-name slug).
"""

import argparse
import datetime
import filecmp
import gzip
import hashlib
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
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

MODES = ["TOP_10", "COUNT", "TOP_10_COUNT"]
ALL_ENGINES = ["libsearch", "lucene", "tantivy", "xapian"]
MAX_TOKEN_BYTES = 100
PREP_VERSION = 3  # bump when the normalisation changes
COLD_QUERY = "chocolate"

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
        if engine == "lucene":
            return [self.java()] + self.jvm_flags("4g") + ["-cp", self.lucene_cp(),
                                                           "LucenePeer", "index", tsv, out]
        return [self.bins[engine], "index", tsv, out]

    def serve_cmd(self, engine, index):
        if engine == "lucene":
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


# --------------------------------------------------------------------------
# Processes


def run_measured(cmd, stdout_path):
    """Runs cmd to completion; -> (wall s, CPU s, peak RSS bytes, stdout text).

    The peak RSS comes from GNU time (its child is forked from a small
    process): ru_maxrss of a child that Python spawns directly starts at
    Python's own peak, because the kernel carries the spawning process's
    high-water mark across exec."""
    rss_file = stdout_path + ".rss"
    t0 = time.perf_counter()
    with open(stdout_path, "w") as out, open(stdout_path + ".err", "w") as err:
        p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", rss_file] + cmd,
                           stdout=out, stderr=err)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({p.returncode}); see {stdout_path}.err")
    rss_kb, user, sys_ = open(rss_file).read().split()[-3:]
    return wall, float(user) + float(sys_), int(rss_kb) * 1024, open(stdout_path).read()


def du_bytes(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(dirpath, f))
    return total


def build_index(ctx, corpus, engine, tsv, force=False):
    out = ctx.index_path(corpus, engine)
    info_path = out + ".build.json"
    binary = ctx.bins[engine]
    if not force and (corpus, engine) in ctx.built:  # REBUILD=1 rebuilds once per run, not per use
        return json.load(open(info_path))
    ctx.built.add((corpus, engine))
    if not force and not ctx.args.rebuild and os.path.exists(info_path) and os.path.exists(out):
        info = json.load(open(info_path))
        if os.path.getmtime(info_path) >= max(os.path.getmtime(tsv), os.path.getmtime(binary)):
            return info
    os.makedirs(os.path.dirname(out), exist_ok=True)
    if os.path.isdir(out):
        shutil.rmtree(out)
    elif os.path.exists(out):
        os.remove(out)
    log(f"building {engine} index for {corpus}")
    wall, cpu, rss, stdout = run_measured(ctx.index_cmd(engine, tsv, out), out + ".log")
    reported = {}
    for line in stdout.splitlines():
        if line.startswith("{"):
            reported = json.loads(line)
    info = dict(engine=engine, corpus=corpus, build_seconds=round(wall, 3),
                build_cpu_seconds=round(cpu, 2), peak_rss_bytes=rss,
                index_bytes=du_bytes(out), engine_reported=reported)
    log(f"  {wall:.1f} s ({cpu:.1f} s CPU), {info['index_bytes'] / 1e6:.1f} MB, "
        f"peak RSS {rss / 1e6:.0f} MB")
    with open(info_path, "w") as f:
        json.dump(info, f)
    return info


def build_indexes(ctx, corpus, engines, tsv):
    """Builds every engine's index. The engines in BUILD_TIMED (the build-time
    target compares libsearch with Tantivy) are rebuilt in every run, BUILD_ROUNDS
    times, interleaved with the engine order rotating, and keep their fastest
    build: on a shared VM one build is one sample of the machine's mood (two
    back-to-back builds of the same binary differ by up to 1.4x), and timing two
    engines in different runs compares two moods. The others are built once and
    reused while their driver and corpus are unchanged."""
    timed = [e for e in engines if e in ctx.args.build_timed.split(",")]
    builds = {e: build_index(ctx, corpus, e, tsv) for e in engines if e not in timed}
    walls = {e: [] for e in timed}
    for r in range(ctx.args.build_rounds if timed else 0):
        wait_for_quiet(ctx)
        order = timed[r % len(timed):] + timed[:r % len(timed)]
        for e in order:
            info = build_index(ctx, corpus, e, tsv, force=True)
            walls[e].append(info)
    for e in timed:
        best = min(walls[e], key=lambda b: b["build_seconds"])
        best = dict(best, build_seconds_all=[b["build_seconds"] for b in walls[e]],
                    build_cpu_seconds_all=[b["build_cpu_seconds"] for b in walls[e]],
                    build_cpu_seconds=min(b["build_cpu_seconds"] for b in walls[e]),
                    index_bytes=walls[e][-1]["index_bytes"])
        with open(ctx.index_path(corpus, e) + ".build.json", "w") as f:
            json.dump(best, f)
        builds[e] = best
    return {e: builds[e] for e in engines}


class Server:
    def __init__(self, cmd, stderr_path):
        self.err = open(stderr_path, "w")
        self.t_exec = time.perf_counter_ns()
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.err)

    def ask(self, mode, query):
        """-> (round-trip ns, [fields of the reply])"""
        line = (mode + "\t" + query + "\n").encode("utf-8")
        t0 = time.perf_counter_ns()
        self.p.stdin.write(line)
        self.p.stdin.flush()
        reply = self.p.stdout.readline()
        t1 = time.perf_counter_ns()
        if not reply:
            raise SystemExit(f"engine exited; see {self.err.name}")
        return t1 - t0, reply.decode("utf-8").rstrip("\n").split("\t")

    def peak_rss(self):
        """VmHWM of the live process (see run_measured for why not ru_maxrss)."""
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        return None

    def major_faults(self):
        with open(f"/proc/{self.p.pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[9])  # field 12, majflt

    def close(self):
        """-> peak RSS bytes of the process."""
        rss = self.peak_rss()
        self.p.stdin.close()
        self.p.wait()
        self.p.stdout.close()
        self.err.close()
        return rss


def percentile(sorted_vals, q):
    if not sorted_vals:
        return float("nan")
    pos = (len(sorted_vals) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


def summary_us(values_ns):
    v = sorted(x / 1000.0 for x in values_ns)
    return dict(mean=statistics.fmean(v) if v else float("nan"), p50=percentile(v, 0.5),
                p90=percentile(v, 0.9), p99=percentile(v, 0.99), n=len(v))


def wait_for_quiet(ctx):
    """On a shared machine, waits (at most QUIET_WAIT s) for the 1-minute load
    average to fall below QUIET_LOAD before timing an engine. -> seconds waited."""
    t0 = time.time()
    while os.getloadavg()[0] > ctx.args.quiet_load and time.time() - t0 < ctx.args.quiet_wait:
        time.sleep(5)
    waited = time.time() - t0
    if waited >= 5:
        log(f"  waited {waited:.0f} s for load {os.getloadavg()[0]:.2f} (limit {ctx.args.quiet_load})")
    return round(waited)


def run_queries(ctx, corpus, engine, queries):
    log(f"querying {engine} on {corpus} ({len(queries)} queries)")
    waited = wait_for_quiet(ctx)
    logdir = os.path.join(ctx.work, "logs")
    os.makedirs(logdir, exist_ok=True)
    srv = Server(ctx.serve_cmd(engine, ctx.index_path(corpus, engine)),
                 os.path.join(logdir, f"serve-{corpus}-{engine}.err"))
    order = list(range(len(queries)))
    random.Random(2).shuffle(order)
    res = dict(modes={}, errors=[], loadavg_before=list(os.getloadavg()), quiet_wait_s=waited)
    # Pipe overhead: empty requests after a short warm-up.
    for _ in range(200):
        srv.ask("PING", "")
    res["ping_rt_us"] = summary_us([srv.ask("PING", "")[0] for _ in range(2000)])
    # Warm-up: every query in every mode, WARMUP times (JIT, caches, page cache).
    t_warm = time.time()
    for _ in range(ctx.args.warmup):
        for mode in MODES:
            for i in order:
                srv.ask(mode, queries[i]["norm"])
    res["warmup_seconds"] = round(time.time() - t_warm, 1)
    log(f"  warm-up: {res['warmup_seconds']} s")
    for mode in MODES:
        rt = [[] for _ in queries]
        svc = [[] for _ in queries]
        counts = [None] * len(queries)
        t_mode = time.time()
        for p in range(ctx.args.passes):
            for i in order:
                ns, fields = srv.ask(mode, queries[i]["norm"])
                if fields[0] == "ERROR":
                    if p == 0:
                        res["errors"].append([mode, queries[i]["norm"], fields[1:]])
                    continue
                counts[i] = int(fields[0])
                rt[i].append(ns)
                svc[i].append(int(fields[1]))
        res["modes"][mode] = dict(rt_ns=[min(x) if x else None for x in rt],
                                  svc_ns=[min(x) if x else None for x in svc],
                                  rt_median_ns=[int(statistics.median(x)) if x else None for x in rt],
                                  counts=counts, seconds=round(time.time() - t_mode, 1))
        log(f"  {mode}: {time.time() - t_mode:.1f} s")
    check = []
    for q in queries:
        _, fields = srv.ask("CHECK", q["norm"])
        if fields[0] == "ERROR":
            check.append(None)
            continue
        hits = []
        if len(fields) > 2 and fields[2]:
            for h in fields[2].split(" "):
                doc_id, score = h.rsplit(":", 1)
                hits.append([doc_id, float(score)])
        check.append(dict(count=int(fields[0]), hits=hits))
    res["check"] = check
    res["peak_rss_bytes"] = srv.close()
    res["loadavg_after"] = list(os.getloadavg())
    return res


def run_rounds(ctx, corpus, engines, queries):
    """ROUNDS rounds; in each, every engine gets a fresh serve process (the
    engine order rotates by round) that warms up and runs PASSES timed passes.
    A query's latency is its minimum over all rounds' passes. On a shared
    machine one process can land on a slower core or a worse memory layout
    for its whole life (identical libsearch binaries differed by up to 1.3x
    between processes here), and load drifts over minutes: fresh processes
    per round, in alternating order, spread both over every engine alike."""
    per = {e: [] for e in engines}
    for r in range(ctx.args.rounds):
        k = r % len(engines)
        for e in engines[k:] + engines[:k]:
            if ctx.args.rounds > 1:
                log(f"round {r + 1} of {ctx.args.rounds}")
            per[e].append(run_queries(ctx, corpus, e, queries))
    return {e: merge_rounds(rs) for e, rs in per.items()}


def merge_rounds(rounds):
    """One run's result from several rounds of the same engine: per query the
    minimum latency, the median of the rounds' median round trips."""
    first = rounds[0]
    out = dict(first)
    out["modes"] = {}
    for mode, m in first["modes"].items():
        ms = [r["modes"][mode] for r in rounds]
        def elementwise(key, f):
            return [None if any(x[key][i] is None for x in ms) else f([x[key][i] for x in ms])  # noqa: B023
                    for i in range(len(m[key]))]  # noqa: B023
        counts = m["counts"]
        for x in ms[1:]:
            if x["counts"] != counts:
                first["errors"].append([mode, "counts differ between rounds", []])
        out["modes"][mode] = dict(rt_ns=elementwise("rt_ns", min), svc_ns=elementwise("svc_ns", min),
                                  rt_median_ns=elementwise("rt_median_ns", lambda v: int(statistics.median(v))),
                                  counts=counts, seconds=round(sum(x["seconds"] for x in ms), 1))
    out["peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in rounds)
    out["loadavg_after"] = rounds[-1]["loadavg_after"]
    out["warmup_seconds"] = round(sum(r["warmup_seconds"] for r in rounds), 1)
    out["quiet_wait_s"] = sum(r["quiet_wait_s"] for r in rounds)
    out["rounds"] = len(rounds)
    return out


def drop_caches():
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def cold_start(ctx, corpus, engine, runs, cold, binary=None):
    """binary: another driver for the engine's index (the static libsearch one)."""
    times, faults = [], []
    logdir = os.path.join(ctx.work, "logs")
    cmd = ctx.serve_cmd(engine, ctx.index_path(corpus, engine))
    if binary:
        cmd = [binary] + cmd[1:]
    for _ in range(runs):
        if cold and not drop_caches():
            return None
        srv = Server(cmd, os.path.join(logdir, f"cold-{corpus}-{engine}{'-static' if binary else ''}.err"))
        _, fields = srv.ask("TOP_10", COLD_QUERY)
        t = time.perf_counter_ns() - srv.t_exec
        faults.append(srv.major_faults())
        srv.close()
        if fields[0] == "ERROR":
            raise SystemExit(f"{engine}: cold query failed: {fields}")
        times.append(t / 1e6)
    return dict(median_ms=statistics.median(times), min_ms=min(times), max_ms=max(times),
                runs=runs, major_faults=int(statistics.median(faults)))


# --------------------------------------------------------------------------
# Analysis


def analyse_corpus(queries, runs, engines):
    out = dict(latency={}, by_tag={}, disagreements=[], overlap={}, score_rel_diff={})
    for engine in engines:
        r = runs[engine]
        out["latency"][engine] = {}
        for mode in MODES:
            m = r["modes"][mode]
            ok = [i for i in range(len(queries)) if m["rt_ns"][i] is not None]
            out["latency"][engine][mode] = dict(
                rt=summary_us([m["rt_ns"][i] for i in ok]),
                svc=summary_us([m["svc_ns"][i] for i in ok]))
        tags = {}
        for i, q in enumerate(queries):
            ns = r["modes"]["TOP_10"]["svc_ns"][i]
            if ns is not None:
                tags.setdefault(q["tags"][0], []).append(ns)
        out["by_tag"][engine] = {t: summary_us(v) for t, v in sorted(tags.items())}
    # Count agreement: COUNT and TOP_10_COUNT of every engine.
    for i, q in enumerate(queries):
        counts = {}
        for e in engines:
            for mode in ("COUNT", "TOP_10_COUNT"):
                c = runs[e]["modes"][mode]["counts"][i]
                counts[f"{e}" if mode == "COUNT" else f"{e}/{mode}"] = c
        if len(set(counts.values())) > 1:
            out["disagreements"].append(dict(query=q["query"], norm=q["norm"], tags=q["tags"],
                                             counts=counts))
    # Top-10 overlap and score agreement against libsearch.
    base = runs.get("libsearch")
    if base:
        for e in engines:
            if e == "libsearch":
                continue
            # Tantivy's BM25 keeps the (k1 + 1) factor that Lucene dropped.
            scale = 1 / 2.2 if e == "tantivy" else 1.0
            overlaps, rel = [], []
            for i in range(len(queries)):
                a, b = base["check"][i], runs[e]["check"][i]
                if not a or not b or not a["hits"]:
                    continue
                ids_a = {h[0]: h[1] for h in a["hits"]}
                ids_b = {h[0]: h[1] * scale for h in b["hits"]}
                overlaps.append(len(ids_a.keys() & ids_b.keys()) / len(ids_a))
                for d in ids_a.keys() & ids_b.keys():
                    if ids_a[d] > 0:
                        rel.append(abs(ids_a[d] - ids_b[d]) / ids_a[d])
            out["overlap"][e] = dict(mean=statistics.fmean(overlaps) if overlaps else None,
                                     queries=len(overlaps),
                                     identical=sum(1 for o in overlaps if o == 1.0))
            rel.sort()
            out["score_rel_diff"][e] = dict(p50=percentile(rel, 0.5), max=rel[-1] if rel else None)
    # COUNT on unions: ns per matching document.
    out["count_union_ns_per_doc"] = {}
    for e in engines:
        m = runs[e]["modes"]["COUNT"]
        ns = docs = 0
        for i, q in enumerate(queries):
            if q["tags"][0] == "union" and m["svc_ns"][i] is not None and m["counts"][i]:
                ns += m["svc_ns"][i]
                docs += m["counts"][i]
        out["count_union_ns_per_doc"][e] = ns / docs if docs else None
    return out


def machine_info():
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    flags = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                fl = line.split(":", 1)[1].split()
                flags = " ".join(f for f in ("sse4_2", "avx2", "avx512f") if f in fl)
                break
    except OSError:
        pass
    return dict(cpu_model=model, cores=os.cpu_count(), mem_bytes=mem, simd=flags,
                kernel=platform.release(), hostname=socket.gethostname(),
                python=platform.python_version())


def cmd_out(cmd):
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def versions(ctx):
    v = {}
    v["libsearch_commit"] = ctx.env.get("LIBSEARCH_COMMIT", "?")
    v["libsearch_tree"] = ctx.env.get("LIBSEARCH_TREE", "?")
    v["lucene"] = ctx.env.get("LUCENE_VERSION", "?")
    v["java"] = (cmd_out([ctx.java(), "-version"]).splitlines() or ["?"])[0]
    v["tantivy"] = ctx.env.get("TANTIVY_VERSION", "?")
    v["rustc"] = cmd_out(["rustc", "--version"])
    v["xapian"] = cmd_out(["xapian-config", "--version"]) or "?"
    v["cxx"] = (cmd_out(["c++", "--version"]).splitlines() or ["?"])[0]
    return v


# --------------------------------------------------------------------------
# Report


def fmt_us(x):
    if x != x:  # nan
        return "–"
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}"


def fmt_ratio(x, base):
    if not base or x != x or base != base:
        return "–"
    return f"{x / base:.2f}×"


def mb(b):
    return f"{b / 1e6:.1f}" if b is not None else "–"


def write_report(ctx, results, path_base):
    L = []
    m, v = results["machine"], results["versions"]
    L.append(f"# libsearch vs Xapian, Lucene and Tantivy — {results['date']}\n")
    L.append(f"Machine: **{m['cpu_model']}**, {m['cores']} cores ({m['simd']}), "
             f"{m['mem_bytes'] / 2**30:.0f} GiB RAM, Linux {m['kernel']}; 1-min load average "
             f"{results['loadavg_start'][0]:.2f} at the start, {results['loadavg_end'][0]:.2f} at "
             f"the end of the run (above ~1 means other work shared the 2 cores).  ")
    L.append(f"libsearch {v['libsearch_commit']} ({v['libsearch_tree']}); Lucene {v['lucene']} on "
             f"{v['java']}; Tantivy {v['tantivy']} ({v['rustc']}); Xapian {v['xapian']}; "
             f"{v['cxx']}.\n")
    loads = [results["loadavg_start"][0], results.get("loadavg_end", [0])[0]] + [
        x for cr in results["corpora"].values() for r in cr["runs"].values() for x in r["loadavg"]]
    if max(loads) > 1.5:
        L.append(f"**Caveat:** other work shared this machine during the run (1-min load average "
                 f"up to {max(loads):.1f} on {m['cores']} cores, see the load column of each "
                 f"table; QUIET_WAIT gave up waiting). Absolute times and build times are "
                 f"inflated and noisy; counts, sizes and overlaps are not affected. Rerun on an "
                 f"idle machine for clean absolute numbers.\n")
    a = results["settings"]
    L.append(f"Reproduce: `make bench-peers` (see bench/peers/README.md). Settings: "
             f"{a['queries']} game queries; warm-up: {a['warmup']} passes over every query in every "
             f"mode; then {a['passes']} timed passes per mode in one shuffled order"
             + (f"; all of it in {a['rounds']} rounds, each with a fresh process per engine, the engine "
                f"order rotating" if a.get("rounds", 1) > 1 else "")
             + "; latency of a query = its minimum over the timed passes; single-threaded "
             f"search, one engine process at a time talking over a pipe. JVM: `{a['jvm_search']}`.\n")
    L.append("**Round trip** = Python `perf_counter_ns` around write-request/read-reply on the "
             "pipe (what the search-benchmark-game measures). **In-engine** = time the driver "
             "measured around parse + search inside its process (no pipe, no Python). Ratios "
             "are engine ÷ libsearch (above 1× means libsearch is faster). All times in µs.\n")
    for corpus, cr in results["corpora"].items():
        meta = cr["meta"]
        L.append(f"\n## {corpus}: {meta['desc']}\n")
        L.append(f"{meta['docs']:,} docs, {meta['tokens']:,} tokens, {meta['distinct_terms']:,} "
                 f"distinct terms ({meta['empty_docs']:,} docs with no token). Tokenisation "
                 f"check: libsearch's analyzer keeps {meta['tokcheck_words'] - meta['tokcheck_mismatched_words']:,} "
                 f"of {meta['tokcheck_words']:,} distinct normalised words unchanged; "
                 f"{meta['tokcheck_mismatched_words']:,} words "
                 f"({meta['tokcheck_mismatched_occurrences']:,} occurrences) were dropped from the "
                 f"text for every engine.\n")
        engines = list(cr["builds"].keys())
        has_cpu = any(b.get("build_cpu_seconds") is not None for b in cr["builds"].values())
        L.append("| engine | build wall (s) | " + ("build CPU (s) | " if has_cpu else "")
                 + "index size (MB) | build peak RSS (MB) | search peak RSS (MB) | "
                 "pipe round trip p50 (µs) | 1-min load avg before → after the queries |")
        L.append("|---|---:|" + ("---:|" if has_cpu else "") + "---:|---:|---:|---:|---:|")
        for e in engines:
            b = cr["builds"][e]
            run = cr["runs"].get(e, {})
            cpu = b.get("build_cpu_seconds")
            cpu_cell = ("–" if cpu is None else f"{cpu:.1f}") + " | " if has_cpu else ""
            wall = f"{b['build_seconds']:.1f}"
            if len(b.get("build_seconds_all", [])) > 1:
                wall += " (of " + ", ".join(f"{w:.1f}" for w in b["build_seconds_all"]) + ")"
            L.append(f"| {e} | {wall} | {cpu_cell}"
                     f"{mb(b['index_bytes'])} | "
                     f"{mb(b['peak_rss_bytes'])} | {mb(run.get('peak_rss_bytes'))} | "
                     f"{fmt_us(run['ping_rt_us']['p50']) if run else '–'} | "
                     f"{run['loadavg'][0]:.2f} → {run['loadavg'][1]:.2f} |")
        an = cr["analysis"]
        for kind, label in (("rt", "round trip"), ("svc", "in-engine")):
            L.append(f"\n**Latency, {label} (µs)**\n")
            L.append("| mode | engine | mean | p50 | p90 | p99 | mean ÷ libsearch | p50 ÷ libsearch |")
            L.append("|---|---|---:|---:|---:|---:|---:|---:|")
            for mode in MODES:
                base = an["latency"].get("libsearch", {}).get(mode, {}).get(kind)
                for e in engines:
                    s = an["latency"][e][mode][kind]
                    L.append(f"| {mode} | {e} | {fmt_us(s['mean'])} | {fmt_us(s['p50'])} | "
                             f"{fmt_us(s['p90'])} | {fmt_us(s['p99'])} | "
                             f"{fmt_ratio(s['mean'], base and base['mean'])} | "
                             f"{fmt_ratio(s['p50'], base and base['p50'])} |")
        tags = sorted({t for e in engines for t in an["by_tag"][e]})
        L.append("\n**TOP_10 in-engine mean (µs) by query type**\n")
        L.append("| query type | n | " + " | ".join(engines) + " |")
        L.append("|---|---:|" + "---:|" * len(engines))
        for t in tags:
            n = max(an["by_tag"][e].get(t, {}).get("n", 0) for e in engines)
            L.append(f"| {t} | {n} | " + " | ".join(
                fmt_us(an["by_tag"][e][t]["mean"]) if t in an["by_tag"][e] else "–"
                for e in engines) + " |")
        L.append("\n**COUNT on unions, in-engine ns per matching doc:** " + ", ".join(
            f"{e} {an['count_union_ns_per_doc'][e]:.2f}" for e in engines
            if an["count_union_ns_per_doc"][e] is not None) + "\n")
        d = an["disagreements"]
        L.append(f"**Count agreement:** {len(d)} of {a['queries']} queries with differing counts "
                 f"(COUNT and TOP_10_COUNT of every engine compared).")
        if d:
            L.append("\n| query | " + " | ".join(d[0]["counts"].keys()) + " |")
            L.append("|---|" + "---:|" * len(d[0]["counts"]))
            for x in d[:30]:
                L.append(f"| `{x['norm']}` | " + " | ".join(str(c) for c in x["counts"].values()) + " |")
        if an["overlap"]:
            L.append("\n**Top-10 overlap with libsearch** (share of libsearch's top-10 ids the "
                     "engine also returns, mean over queries with hits; score difference on "
                     "shared hits, Tantivy's scores divided by k1 + 1 = 2.2):\n")
            for e, o in an["overlap"].items():
                s = an["score_rel_diff"][e]
                L.append(f"- {e}: {o['mean']:.3f} over {o['queries']} queries, identical sets on "
                         f"{o['identical']}; relative score difference p50 "
                         f"{s['p50']:.2e}, max {s['max']:.2e}" if o["mean"] is not None else f"- {e}: –")
        if "libsearch" in engines:
            for mode in ("TOP_10", "COUNT"):
                rows = sorted((q for q in cr["per_query"] if q["libsearch"][mode][1] is not None),
                              key=lambda q: -q["libsearch"][mode][1])[:5]
                L.append(f"\n**Slowest libsearch queries, {mode}, in-engine µs**\n")
                L.append("| query | type | matches | " + " | ".join(engines) + " |")
                L.append("|---|---|---:|" + "---:|" * len(engines))
                for q in rows:
                    L.append(f"| `{q['query']}` | {q['tags'][0]} | {q['libsearch']['COUNT'][0]:,} | "
                             + " | ".join(fmt_us(q[e][mode][1] / 1000) if q[e][mode][1] is not None
                                          else "–" for e in engines) + " |")
        errs = {e: cr["runs"][e]["errors"] for e in engines if cr["runs"][e]["errors"]}
        if errs:
            L.append("\n**Errors:** " + "; ".join(f"{e}: {len(x)} (first: {x[0]})" for e, x in errs.items()))
    targets = issue_targets(results)
    if targets:
        L.append("\n## Issue 3 targets (in-engine times)\n")
        L.append("| corpus | target | measured | met |")
        L.append("|---|---|---|---|")
        for row in targets:
            L.append("| " + " | ".join(row) + " |")
    if results.get("cold"):
        c = results["cold"]
        L.append("\n## Cold start: exec → first answer (ms)\n")
        L.append(f"Query `{COLD_QUERY}` (TOP_10) on the Open Food Facts indexes, median of "
                 f"{c['runs']} runs. *Cold* drops the whole page cache first (binary, JVM, "
                 f"libraries and index all come from disk); *warm* has everything cached. Major "
                 f"page faults: of the engine process up to its first answer, cold (each one a "
                 f"read from disk; readahead makes one fault bring in more than a page). "
                 f"*libsearch (static)*, when `make package` has been run, is the same driver "
                 f"linked like the Lambda bootstrap (all but glibc static) on the same index.\n")
        L.append("| index | engine | cold (ms) | warm (ms) | cold ÷ libsearch | warm ÷ libsearch | major page faults, cold |")
        L.append("|---|---|---:|---:|---:|---:|---:|")
        for corpus, per in c["results"].items():
            base = per.get("libsearch", {})
            for e, r in per.items():
                cold = r["cold"]["median_ms"] if r.get("cold") else float("nan")
                warm = r["warm"]["median_ms"]
                bc = base.get("cold", {}).get("median_ms") if base.get("cold") else None
                mf = r["cold"].get("major_faults", "–") if r.get("cold") else "–"
                L.append(f"| {corpus} ({r['docs']:,} docs) | {e} | {cold:.1f} | {warm:.1f} | "
                         f"{fmt_ratio(cold, bc)} | {fmt_ratio(warm, base['warm']['median_ms'])} | {mf} |")
    L.append("\n## Notes\n")
    L.extend("- " + n for n in results["notes"])
    with open(path_base + ".md", "w") as f:
        f.write("\n".join(L) + "\n")


def issue_targets(results):
    rows = []
    for corpus, cr in results["corpora"].items():
        lat = cr["analysis"]["latency"]
        if "libsearch" not in lat:
            continue
        ls = lat["libsearch"]["TOP_10"]["svc"]
        for peer, limit in (("tantivy", 0.8), ("lucene", 0.8), ("xapian", 0.25)):
            if peer not in lat:
                continue
            p = lat[peer]["TOP_10"]["svc"]
            rm, r50 = ls["mean"] / p["mean"], ls["p50"] / p["p50"]
            rows.append([corpus, f"TOP_10 mean and p50 ≤ {limit}× {peer}",
                         f"mean {rm:.2f}×, p50 {r50:.2f}×",
                         "yes" if rm <= limit and r50 <= limit else "**no**"])
        ns = cr["analysis"]["count_union_ns_per_doc"].get("libsearch")
        if ns is not None:
            rows.append([corpus, "COUNT on unions ≤ 0.5 ns per matching doc", f"{ns:.2f} ns",
                         "yes" if ns <= 0.5 else "**no**"])
        b = cr["builds"]
        if "tantivy" in b:
            ratio = b["libsearch"]["index_bytes"] / b["tantivy"]["index_bytes"]
            rows.append([corpus, "index size ≤ Tantivy's", f"{ratio:.2f}×",
                         "yes" if ratio <= 1 else "**no**"])
            ratio = b["libsearch"]["build_seconds"] / b["tantivy"]["build_seconds"]
            text = f"wall {ratio:.2f}×"
            if b["libsearch"].get("build_cpu_seconds") and b["tantivy"].get("build_cpu_seconds"):
                cratio = b["libsearch"]["build_cpu_seconds"] / b["tantivy"]["build_cpu_seconds"]
                text += f", CPU {cratio:.2f}×"
            rows.append([corpus, "build time ≤ Tantivy's (1 thread)", text,
                         "yes" if ratio <= 1 else "**no**"])
    return rows


def write_chart(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing: no chart (pip install matplotlib)")
        return False
    corpora = list(results["corpora"].keys())
    colors = {"libsearch": "#1f77b4", "lucene": "#ff7f0e", "tantivy": "#2ca02c", "xapian": "#d62728"}
    fig, axes = plt.subplots(1, len(corpora), figsize=(6.5 * len(corpora), 5.2), squeeze=False)
    for ax, corpus in zip(axes[0], corpora):
        an = results["corpora"][corpus]["analysis"]
        engines = list(an["latency"].keys())
        width = 0.8 / len(engines)
        for j, e in enumerate(engines):
            xs = [i + (j - (len(engines) - 1) / 2) * width for i in range(len(MODES))]
            means = [an["latency"][e][m]["svc"]["mean"] for m in MODES]
            p50 = [an["latency"][e][m]["svc"]["p50"] for m in MODES]
            p90 = [an["latency"][e][m]["svc"]["p90"] for m in MODES]
            ax.bar(xs, means, width, label=e, color=colors.get(e))
            ax.scatter(xs, p50, marker="_", color="black", s=120, zorder=3,
                       label="p50" if j == 0 else None)
            ax.scatter(xs, p90, marker="v", color="black", s=18, zorder=3,
                       label="p90" if j == 0 else None)
        ax.set_xticks(range(len(MODES)))
        ax.set_xticklabels(MODES)
        ax.set_yscale("log")
        ax.set_ylabel("latency per query (µs, log scale)")
        ax.set_xlabel("mode")
        meta = results["corpora"][corpus]["meta"]
        ax.set_title(f"{corpus}: {meta['docs']:,} docs, {results['settings']['queries']} game queries")
        ax.grid(axis="y", which="both", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9, frameon=False)
    m = results["machine"]
    fig.suptitle(f"Search latency inside each engine: mean (bars), p50 (–), p90 (▼); "
                 f"single-threaded, min of {results['settings']['passes']} timed passes"
                 f" × {results['settings'].get('rounds', 1)} rounds after warm-up — "
                 f"{m['cpu_model']}, {m['cores']} cores, {results['date']}", fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=110)
    return True


# --------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    env = os.environ.get
    ap.add_argument("--corpus", default=env("CORPUS", "all"),
                    help="enwiki, passages, off, both (enwiki+off) or all (default), or a comma list")
    ap.add_argument("--queries", type=int, default=int(env("QUERIES", "0")),
                    help="use only the first N game queries (0 = all 962)")
    ap.add_argument("--passes", type=int, default=int(env("PASSES", "5")),
                    help="timed passes per round")
    ap.add_argument("--rounds", type=int, default=int(env("ROUNDS", "3")),
                    help="rounds, each with a fresh serve process per engine (min over all)")
    ap.add_argument("--warmup", type=int, default=int(env("WARMUP", "3")),
                    help="warm-up passes over every query in every mode before timing")
    ap.add_argument("--engines", default=env("ENGINES", ",".join(ALL_ENGINES)))
    ap.add_argument("--cold-runs", type=int, default=int(env("COLD_RUNS", "5")),
                    help="runs per engine and index for the cold-start table (0 = skip)")
    ap.add_argument("--rebuild", action="store_true", default=env("REBUILD", "") == "1")
    ap.add_argument("--build-rounds", type=int, default=int(env("BUILD_ROUNDS", "3")),
                    help="timed builds per BUILD_TIMED engine and corpus, interleaved (min kept)")
    ap.add_argument("--build-timed", default=env("BUILD_TIMED", "libsearch,tantivy"),
                    help="engines rebuilt BUILD_ROUNDS times in every run")
    ap.add_argument("--quiet-load", type=float, default=float(env("QUIET_LOAD", "1.5")),
                    help="before timing an engine, wait for the 1-min load average to drop below this")
    ap.add_argument("--quiet-wait", type=float, default=float(env("QUIET_WAIT", "180")),
                    help="... but at most this many seconds")
    ap.add_argument("--work", default=env("PEERS_WORK", os.path.join(ROOT, "build-peers")))
    ap.add_argument("--results-dir", default=env("RESULTS_DIR", os.path.join(ROOT, "bench", "results")))
    ap.add_argument("--machine", default=env("MACHINE", ""))
    ap.add_argument("--report", metavar="RESULTS.json",
                    help="only rewrite the .md and .png next to an existing results .json")
    args = ap.parse_args()
    ctx = Ctx(args)
    if args.report:
        results = json.load(open(args.report))
        base = args.report[:-len(".json")]
        write_report(ctx, results, base)
        write_chart(results, base + ".png")
        log(f"wrote {base}.md, .png")
        return
    engines = [e for e in args.engines.split(",") if e]
    for e in engines + ["libsearch"]:
        if e not in ctx.bins:
            raise SystemExit(f"unknown engine {e}")
        if not os.path.exists(ctx.bins[e]):
            raise SystemExit(f"{e} driver not built ({ctx.bins[e]}): run bench/peers/setup.sh")
    corpora = {"both": ["enwiki", "off"], "all": ["enwiki", "passages", "off"]}.get(
        args.corpus, args.corpus.split(","))
    for c in corpora:
        if c not in ("enwiki", "passages", "off"):
            raise SystemExit(f"unknown corpus {c}")
    needed = [QUERIES] + [CORPORA[c]["source"] for c in corpora]
    if args.cold_runs > 0:
        needed += [CORPORA["off10k"]["source"], CORPORA["off"]["source"]]
    missing = sorted({p for p in needed if not os.path.exists(p)})
    if missing:
        raise SystemExit("peers: missing input data: " + ", ".join(missing) + "\n  The data "
                         f"directory is {DATA} (PEERS_DATA; default ../shared/data beside the "
                         "checkout); set PEERS_DATA to the directory holding "
                         "enwiki-2015-sample/, openfoodfacts-products/ and search-benchmark-game/.")
    t_start = time.time()

    raw_queries = [json.loads(line) for line in open(QUERIES) if line.strip()]
    if args.queries:
        raw_queries = raw_queries[:args.queries]

    results = dict(date=datetime.date.today().isoformat(), machine=machine_info(),
                   loadavg_start=list(os.getloadavg()),
                   versions=versions(ctx), corpora={},
                   settings=dict(queries=len(raw_queries), passes=args.passes, warmup=args.warmup,
                                 rounds=args.rounds, engines=engines,
                                 latency="min over timed passes of all rounds",
                                 jvm_search=" ".join(ctx.jvm_flags("2g")),
                                 jvm_index=" ".join(ctx.jvm_flags("4g")),
                                 max_token_bytes=MAX_TOKEN_BYTES),
                   notes=[])
    for corpus in corpora:
        tsv, meta = prepare_corpus(ctx, corpus)
        dropped = set(meta["dropped_words"])
        queries = []
        changed = 0
        for q in raw_queries:
            norm = normalise_query(q["query"], dropped)
            changed += norm != q["query"]
            queries.append(dict(query=q["query"], tags=q["tags"], norm=norm))
        meta_out = {k: v for k, v in meta.items() if k != "dropped_words"}
        meta_out["queries_changed_by_normalisation"] = changed
        builds = build_indexes(ctx, corpus, engines, tsv)
        runs = run_rounds(ctx, corpus, engines, queries)
        analysis = analyse_corpus(queries, runs, engines)
        results["corpora"][corpus] = dict(meta=meta_out, builds=builds, analysis=analysis,
                                          runs={e: dict(peak_rss_bytes=r["peak_rss_bytes"],
                                                        ping_rt_us=r["ping_rt_us"],
                                                        loadavg=[r["loadavg_before"][0],
                                                                 r["loadavg_after"][0]],
                                                        errors=r["errors"]) for e, r in runs.items()},
                                          per_query=[dict(query=q["norm"], tags=q["tags"], **{
                                              e: {m: [runs[e]["modes"][m]["counts"][i],
                                                      runs[e]["modes"][m]["svc_ns"][i],
                                                      runs[e]["modes"][m]["rt_ns"][i]] for m in MODES}
                                              for e in engines}) for i, q in enumerate(queries)])
    if args.cold_runs > 0:
        cold = dict(runs=args.cold_runs, results={})
        for corpus in ("off10k", "off"):
            tsv, meta = prepare_corpus(ctx, corpus)
            per = {}
            for e in engines:
                build_index(ctx, corpus, e, tsv)
                log(f"cold start {e} on {corpus}")
                per[e] = dict(docs=meta["docs"],
                              cold=cold_start(ctx, corpus, e, args.cold_runs, cold=True),
                              warm=cold_start(ctx, corpus, e, args.cold_runs, cold=False))
            static = ctx.env.get("LIBSEARCH_STATIC_DRIVER")
            if "libsearch" in engines and static and os.path.exists(static):
                log(f"cold start libsearch (static driver) on {corpus}")
                per["libsearch (static)"] = dict(
                    docs=meta["docs"],
                    cold=cold_start(ctx, corpus, "libsearch", args.cold_runs, True, static),
                    warm=cold_start(ctx, corpus, "libsearch", args.cold_runs, False, static))
            cold["results"][corpus] = per
        results["cold"] = cold
    results["notes"] = [
        "Tokenisation is done once by peers.py (NFKC, casefold, split on non-alphanumeric runs, "
        f"tokens over {MAX_TOKEN_BYTES} UTF-8 bytes dropped, no stemming, no stop words); every "
        "engine splits the result on spaces: libsearch field language \"none\", fold_accents "
        "false (ICU analyzer checked on the whole vocabulary); Lucene WhitespaceAnalyzer; Tantivy "
        "WhitespaceTokenizer; Xapian terms added with positions by the driver.",
        "Scoring: libsearch and Lucene BM25 k1=1.2, b=0.75 (Lucene's formula); Tantivy BM25 "
        "k1=1.2, b=0.75 with the (k1+1) factor; Xapian BM25Weight defaults (k1=1, b=0.5). COUNT in "
        "Xapian uses BoolWeight and checkatleast=all docs.",
        "Query semantics (game syntax): +a +b intersection, a b union (default operator OR), "
        "\"a b\" phrase, -a exclusion; optional words next to required ones only score. "
        "libsearch: SearchRequest with default_operator=kOr, include_docs=false, include_ids=false "
        "(hits as internal doc numbers, as the other engines return them), suggest=false "
        "(no \"did you mean\" on zero hits, which no other engine computes); COUNT = k 0 "
        "with the exact total; TOP_10 = k 10 with total_hits_threshold 10 (like Lucene's "
        "TopScoreDocCollectorManager(10, 10)); TOP_10_COUNT = k 10 with kExactTotal.",
        "Peak RSS: GNU time for the builds, VmHWM for the search processes. It counts the "
        "index pages a process maps (libsearch, Lucene and Tantivy mmap their index) but not "
        "Xapian's, which reads its files with pread into the page cache; the JVM's figure is "
        "mostly heap (-Xmx2g).",
        "Indexes: one segment each (Lucene forceMerge(1) on one thread with "
        "SerialMergeScheduler, Tantivy one indexing thread then a merge into one segment, Xapian "
        "built then compacted, libsearch one file). Only the id is stored; text is indexed with "
        "positions and norms. Build time = exec to exit of the index command, reading the "
        "normalised TSV. Engines in BUILD_TIMED (libsearch, Tantivy) are built BUILD_ROUNDS "
        "times in this run, interleaved, and keep the fastest build (all are listed); the "
        "others are built once, possibly in an earlier run.",
        "Latency: per query the minimum over the timed passes (the game sorts the pass durations; "
        "the median per query is kept in the JSON as rt_median_ns). In-engine time includes "
        "query parsing.",
    ]
    os.makedirs(args.results_dir, exist_ok=True)
    slug = args.machine or re.sub(r"[^a-z0-9]+", "-", results["machine"]["cpu_model"].lower()).strip("-") \
        + f"-{results['machine']['cores']}c"
    base = os.path.join(args.results_dir, f"{results['date']}-{slug}")
    results["wall_seconds"] = round(time.time() - t_start, 1)
    results["loadavg_end"] = list(os.getloadavg())
    with open(base + ".json", "w") as f:
        json.dump(results, f, indent=1)
    write_report(ctx, results, base)
    write_chart(results, base + ".png")
    log(f"wrote {base}.md, .json, .png in {results['wall_seconds']:.0f} s")


if __name__ == "__main__":
    main()
