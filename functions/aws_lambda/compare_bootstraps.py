#!/usr/bin/env python3
"""The packaged bootstrap answers exactly as the normal build's.

package.sh links the packaged bootstrap against ICU data trimmed to the items
in icu_keep.txt; the normal build links all of ICU's data. This runs both
bootstraps under the Runtime Interface Emulator on the same indexes and
compares every answer byte for byte (took_us aside):

* the bundled catalogue (English analyzers), on a set of catalogue queries
  with their stored documents; with --reference-catalogue the normal build
  reads the catalogue as the CLI builds it by default, so the bundled file's
  document-store options (package.sh) are checked too;
* a small index written here by the normal build's CLI, with one text field
  per analyzer setting (English, French, German, Russian, Greek, Arabic, and
  "none" with and without accent folding) and documents in Latin with
  accents, Greek, Cyrillic, Arabic, Hebrew, Chinese, Japanese, Korean, Thai,
  Lao, Khmer, Burmese and emoji. Every word of every document is queried
  with highlights, so the query's tokens must equal those the full data
  indexed, and the documents are re-analysed for highlighting.

With --layer-python, the Python layer's module (also linked against the
trimmed data) must give the same answers through handle_json.

Then, with --trimmed-data (the trimmed .dat that icu_data.sh keeps), the normal
build's bootstrap runs on that data minus one kept item (Thai's dictionary, as a
libicudata.so loaded first): it must refuse the index and name the item, not
answer with other tokens.

  compare_bootstraps.py --rie RIE --cli CLI --reference BOOTSTRAP --packaged BOOTSTRAP --catalogue INDEX
                        [--reference-catalogue INDEX] [--layer-python PYTHON --layer DIR] [--trimmed-data DAT] WORKDIR
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Dict, List, Optional, Tuple

TEXTS = [
    "Crème brûlée, jalapeño, Ærøskøbing, straße, İstanbul, ﬁne, Ⅻ, naïve café",
    "Ελληνικά: καλημέρα κόσμε, ΣΊΣΥΦΟΣ σίσυφος",
    "Русский текст: Ёлка и ЁЖИК, пирожки с капустой",
    "العربية: السلام عليكم، كتاب الطبخ",
    "עברית: שלום עולם, ג׳ירפה",
    "中文分词测试：我们在北京吃烤鸭，食品添加剂",
    "日本語のテキスト：東京でラーメンを食べました。カタカナとひらがな",
    "한국어 텍스트: 안녕하세요 세계, 김치찌개",
    "ภาษาไทย: สวัสดีครับ ร้านอาหารไทยอร่อยมาก",
    "ພາສາລາວ: ສະບາຍດີ ປະເທດລາວ",
    "ភាសាខ្មែរ: សួស្តី ប្រទេសកម្ពុជា",
    "မြန်မာဘာသာ: မင်္ဂလာပါ မြန်မာနိုင်ငံ",
    "Emoji 🍫 chocolate 👍🏽 and 🇫🇷 flags, x² ½ cup",
    "Mixed 東京 tokyo ไทย thai Ελλάδα greece 500ml iPhone15 U.S.A.",
]
FIELDS: Dict[str, Dict[str, object]] = {
    "en": {"language": "en"},
    "fr": {"language": "fr"},
    "de": {"language": "de"},
    "ru": {"language": "ru"},
    "el": {"language": "el"},
    "ar": {"language": "ar"},
    "none": {"language": "none"},
    "none_accents": {"language": "none", "fold_accents": False},
}
CATALOGUE_QUERIES = [
    "peanut butter", "crème brûlée", "creme brulee", "café", "jalapeño", "dark chocolate", "olive oil",
    "🍫 chocolate", "straße", "ÉPICES", "coca-cola", "wi-fi", "greek yogurt", "naïve",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Emulated:
    """One bootstrap under the emulator, serving `index`."""

    def __init__(self, rie: str, bootstrap: str, index: pathlib.Path, log: pathlib.Path,
                 extra_env: Optional[Dict[str, str]] = None) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "LIBSEARCH_INDEX"}
        env["LIBSEARCH_INDEX"] = str(index)
        env.update(extra_env or {})
        self.log = log.open("wb")
        self.proc = subprocess.Popen(
            [rie, "--log-level", "error", "--runtime-interface-emulator-address", f"127.0.0.1:{self.port}",
             "--runtime-api-address", f"127.0.0.1:{free_port()}", bootstrap],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def invoke(self, request: Dict[str, object]) -> str:
        """The answer's body; a failed invocation's error body too."""
        url = f"http://127.0.0.1:{self.port}/2015-03-31/functions/function/invocations"
        data = json.dumps(request, ensure_ascii=False).encode()
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, data=data, timeout=30) as reply:
                    return re.sub(r'"took_us":[0-9]+', '"took_us":0', reply.read().decode())
            except urllib.error.HTTPError as e:
                return e.read().decode()
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise
                time.sleep(0.1)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


def multilingual_index(cli: str, work: pathlib.Path) -> Tuple[pathlib.Path, List[Dict[str, object]]]:
    schema = {"id": "id", "fields": {name: {"type": "text", "stored": True, **opts} for name, opts in FIELDS.items()}}
    (work / "schema.json").write_text(json.dumps(schema))
    with (work / "docs.jsonl").open("w", encoding="utf-8") as out:
        for i, text in enumerate(TEXTS):
            out.write(json.dumps({"id": str(i), **dict.fromkeys(FIELDS, text)}, ensure_ascii=False) + "\n")
    index = work / "multilingual.idx"
    subprocess.run([cli, "index", "--schema", str(work / "schema.json"), "--input", str(work / "docs.jsonl"),
                    "--output", str(index)], check=True, stdout=subprocess.DEVNULL)
    requests: List[Dict[str, object]] = []
    for text in TEXTS:
        requests.append({"query": text, "operator": "or", "k": 20, "highlight": list(FIELDS), "syntax": "simple"})
        for word in text.split():
            requests.append({"query": word, "k": 20, "highlight": list(FIELDS), "syntax": "simple"})
            for field in FIELDS:
                requests.append({"query": word, "fields": [field], "k": 20, "syntax": "simple"})
    return index, requests


# Runs in the layer's CPython: one request per line in, one JSON string out.
LAYER_SCRIPT = """
import json, sys, libsearch
index = libsearch.Index.open(sys.argv[1])
for line in sys.stdin:
    print(json.dumps(index.handle_json(line)[1]))
"""


def layer_answers(python: str, layer: str, index: pathlib.Path, requests: List[Dict[str, object]]) -> List[str]:
    """The Python layer's module's answers (handle_json, as its handler), took_us zeroed."""
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in requests)
    out = subprocess.run([python, "-c", LAYER_SCRIPT, str(index)], input=lines, capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": layer})
    return [re.sub(r'"took_us":[0-9]+', '"took_us":0', json.loads(line)) for line in out.stdout.splitlines()]


def missing_item_fails(args: argparse.Namespace, index: pathlib.Path) -> bool:
    """The normal build's bootstrap on the trimmed data without thaidict.dict."""
    dat = pathlib.Path(args.trimmed_data)
    work = args.workdir / "missing-item"
    work.mkdir(exist_ok=True)
    (work / "remove.txt").write_text("brkitr/thaidict.dict\n")
    name = dat.stem  # icudt72l: the entry point is icudt72_dat, the library libicudata.so.72.
    subprocess.run(["icupkg", "--ignore-deps", "-r", str(work / "remove.txt"), str(dat), str(work / dat.name)],
                   check=True, capture_output=True)
    subprocess.run(["genccode", "-q", "-a", "gcc", "-e", name[:-1], "-d", str(work), str(work / dat.name)],
                   check=True)
    soname = f"libicudata.so.{name[5:-1]}"
    subprocess.run([os.environ.get("CC", "cc"), "-shared", f"-Wl,-soname,{soname}", "-o", str(work / soname),
                    str(work / f"{name}_dat.S")], check=True)
    lam = Emulated(args.rie, args.reference, index, work / "bootstrap.log", {"LD_LIBRARY_PATH": str(work)})
    try:
        answer = lam.invoke({"query": "x"})
    finally:
        lam.close()
    if "ICU data lacks" not in answer or "thaidict.dict" not in answer:
        print(f"compare_bootstraps: without thaidict.dict the bootstrap answered {answer}", file=sys.stderr)
        return False
    print("package: without one kept ICU data item the bootstrap refuses the index and names the item")
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag in ("--rie", "--cli", "--reference", "--packaged", "--catalogue"):
        ap.add_argument(flag, required=True)
    ap.add_argument("--reference-catalogue",
                    help="the catalogue as the CLI builds it by default, for the normal build's bootstrap "
                         "(else --catalogue): the bundled one has other document-store options")
    ap.add_argument("--layer-python", help="a CPython to run the Python layer's module with (else not compared)")
    ap.add_argument("--layer", help="the unpacked layer's python/ directory")
    ap.add_argument("--trimmed-data", help="the trimmed .dat (icu_data.sh) for the missing-item check")
    ap.add_argument("workdir", type=pathlib.Path)
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    multi, multi_requests = multilingual_index(args.cli, args.workdir)
    catalogue_requests: List[Dict[str, object]] = [
        {"query": q, "k": 10, "highlight": ["product_name", "ingredients"], "include_docs": True}
        for q in CATALOGUE_QUERIES]
    compared = hits = 0
    catalogue = pathlib.Path(args.catalogue)
    reference_catalogue = pathlib.Path(args.reference_catalogue or args.catalogue)
    for index, ref_index, requests in ((catalogue, reference_catalogue, catalogue_requests),
                                       (multi, multi, multi_requests)):
        ref = Emulated(args.rie, args.reference, ref_index, args.workdir / "reference.log")
        pkg = Emulated(args.rie, args.packaged, index, args.workdir / "packaged.log")
        layer = layer_answers(args.layer_python, args.layer, index, requests) if args.layer_python else []
        try:
            for i, request in enumerate(requests):
                a, b = ref.invoke(request), pkg.invoke(request)
                if layer and layer[i] != a:
                    print(f"compare_bootstraps: answers differ for {request}\n  normal: {a}\n  layer:  {layer[i]}",
                          file=sys.stderr)
                    return 1
                if a != b:
                    print(f"compare_bootstraps: answers differ for {request}\n  normal:   {a}\n  packaged: {b}",
                          file=sys.stderr)
                    return 1
                if '"error"' in a:
                    print(f"compare_bootstraps: error for {request}: {a}", file=sys.stderr)
                    return 1
                hits += len(json.loads(a)["hits"])
                compared += 1
        finally:
            ref.close()
            pkg.close()
    # Every word query finds at least its own document: a check that cannot
    # pass on two empty answers.
    if hits < len(multi_requests):
        print(f"compare_bootstraps: only {hits} hits over {compared} requests", file=sys.stderr)
        return 1
    also = " (and the Python layer's module)" if args.layer_python else ""
    print(f"package: the packaged bootstrap{also} answers {compared} requests ({hits} hits, "
          f"{len(FIELDS)} analyzer settings, {len(TEXTS)} scripts' texts) byte for byte as the normal build's")
    if args.trimmed_data and not missing_item_fails(args, multi):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
