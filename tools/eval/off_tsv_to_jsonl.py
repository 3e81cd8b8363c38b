#!/usr/bin/env python3
"""Open Food Facts products.tsv.zst -> JSON Lines in the bundled-sample shape.

Usage:
    python3 tools/eval/off_tsv_to_jsonl.py [--input products.tsv.zst]
                                           [--output build/eval/off/products.jsonl]
                                           [--limit N]

The output matches examples/products/products.jsonl.gz (and the shared
products-sample-10k.jsonl.gz), so the same schema.json indexes both:
  * barcode, product_name, ingredients, image_url: strings, empty stays "";
  * the *_100g columns: JSON numbers (always floats, as in the sample:
    7 -> 7.0), empty -> null;
  * is_healthy: 0/1 -> false/true.
The TSV holds 6 significant digits and collapsed whitespace, so against the
sample (checked on all 10,000 of its products) numbers can differ in the last
digits (0.551181 vs 0.551181102362205) and 395 texts lose double or trailing
spaces; nothing else differs.

Decompression goes through the `zstd` CLI (a subprocess, which also runs on
a second core) rather than a Python module, so nothing needs installing
beyond Debian's zstd package. The output is written to OUTPUT.tmp and
renamed, so an interrupted run never leaves a truncated file behind. An
output ending in .zst is compressed with `zstd` as it is written. A progress
line goes to stderr every --progress-seconds (default 5), so a long run in a
CI log shows it is alive.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from derive_product_fields import derive  # same derived fields as the sample

COLUMNS = ["barcode", "product_name", "ingredients", "image_url", "fat_100g",
           "saturated_fat_100g", "carbohydrates_100g", "sugars_100g", "fiber_100g",
           "proteins_100g", "salt_100g", "sodium_100g", "alcohol_100g", "is_healthy"]
NUMERIC = set(COLUMNS[4:13])
DEFAULT_INPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                             "shared", "data", "openfoodfacts-products", "products.tsv.zst")


def convert_row(cols):
    doc = {}
    for name, value in zip(COLUMNS, cols):
        if name in NUMERIC:
            if value == "":
                doc[name] = None
                continue
            number = float(value)  # ValueError -> caller reports the line.
            # JSON has no NaN/Infinity; such a value is as good as unknown.
            doc[name] = number if math.isfinite(number) else None
        elif name == "is_healthy":
            if value not in ("0", "1"):
                raise ValueError(f"is_healthy is {value!r}, expected 0 or 1")
            doc[name] = value == "1"
        else:
            doc[name] = value
    return doc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", default=os.path.normpath(DEFAULT_INPUT),
                    help="products.tsv.zst (or a plain .tsv)")
    ap.add_argument("--output", required=True, help="JSONL file to write (.jsonl or .jsonl.zst)")
    ap.add_argument("--limit", type=int, default=0, help="stop after N products (0 = all)")
    ap.add_argument("--progress-seconds", type=float, default=5.0,
                    help="print a progress line to stderr this often (default 5)")
    args = ap.parse_args()

    if args.input.endswith(".zst"):
        reader = subprocess.Popen(["zstd", "-dc", "--", args.input], stdout=subprocess.PIPE)
        source = reader.stdout
    else:
        reader, source = None, open(args.input, "rb")

    tmp = args.output + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    if args.output.endswith(".zst"):
        sink = open(tmp, "wb")
        writer = subprocess.Popen(["zstd", "-q", "-c", "-3"], stdin=subprocess.PIPE, stdout=sink)
        out = writer.stdin
    else:
        writer, sink = None, None
        out = open(tmp, "wb")

    count, stopped_early = 0, False
    start = last_line = time.monotonic()
    try:
        header = source.readline().decode("utf-8").rstrip("\n").split("\t")
        if header != COLUMNS:
            raise SystemExit(f"{args.input}: unexpected header {header}")
        for line_no, raw in enumerate(source, 2):
            cols = raw.decode("utf-8").rstrip("\n").split("\t")
            if len(cols) != len(COLUMNS):
                raise SystemExit(f"{args.input}:{line_no}: {len(cols)} columns, "
                                 f"expected {len(COLUMNS)}")
            try:
                doc = convert_row(cols)
            except ValueError as e:
                raise SystemExit(f"{args.input}:{line_no}: {e}") from e
            out.write(json.dumps(derive(doc), ensure_ascii=False).encode("utf-8") + b"\n")
            count += 1
            if count % 1024 == 0 and time.monotonic() - last_line >= args.progress_seconds:
                last_line = time.monotonic()
                print(f"converted {count} products ({last_line - start:.1f} s)", file=sys.stderr,
                      flush=True)
            if args.limit and count >= args.limit:
                stopped_early = True
                break
        out.close()
        if writer is not None and (writer.wait() != 0):
            raise SystemExit("zstd compression failed")
        source.close()
        # After --limit, zstd -dc dies of SIGPIPE; only a full read must succeed.
        if reader is not None and reader.wait() != 0 and not stopped_early:
            raise SystemExit(f"zstd -dc {args.input} failed (exit {reader.returncode})")
        os.replace(tmp, args.output)
    except BaseException:
        out.close()
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    finally:
        if sink is not None:
            sink.close()
    print(f"wrote {count} products to {args.output} in {time.monotonic() - start:.1f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
