#!/usr/bin/env python3
"""Checks what a shared libsearch exports (nm -D --defined-only):

- no symbol of the internal namespaces (libsearch::internal, libsearch::analysis);
- every exported libsearch:: symbol belongs to a name the public headers
  declare (libsearch/include/libsearch/*.h);
- every function the public headers mark LIBSEARCH_EXPORT is exported, and
  every class marked LIBSEARCH_EXPORT has exported members;
- with --soname, the library's SONAME.

Usage: check_exports.py LIBRARY.so REPO_ROOT [--soname libsearch.so.0.1]"""
import argparse
import pathlib
import re
import subprocess
import sys

INTERNAL = ("libsearch::internal::", "libsearch::analysis::")
# Prefixes nm -C puts before a class's special symbols.
SPECIAL = re.compile(r"^(typeinfo name for |typeinfo for |vtable for |VTT for |"
                     r"non-virtual thunk to |virtual thunk to |guard variable for )")


def public_names(headers):
    text = "\n".join(h.read_text(encoding="utf-8") for h in headers)
    text = re.sub(r"//.*", "", text)
    declared = set(re.findall(r"\b(?:class|struct|enum class|using)\s+(?:\[\[[^\]]*\]\]\s*)*"
                              r"(?:LIBSEARCH_EXPORT\s+)?(\w+)", text))
    functions = set(re.findall(r"LIBSEARCH_EXPORT\s+[\w:<>,\s*&]+?\b(\w+)\(", text))
    classes = set(re.findall(r"\bclass\s+(?:\[\[[^\]]*\]\]\s*)*LIBSEARCH_EXPORT\s+(\w+)", text))
    return declared | functions, functions, classes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("root")
    ap.add_argument("--soname", default="")
    args = ap.parse_args()
    headers = sorted(pathlib.Path(args.root, "libsearch/include/libsearch").glob("*.h"))
    names, functions, classes = public_names(headers)
    out = subprocess.run(["nm", "-D", "--defined-only", "-C", args.library], capture_output=True,
                         text=True, check=True).stdout
    symbols = [line.split(" ", 2)[2] for line in out.splitlines() if line.count(" ") >= 2]
    errors = []
    exported_top = set()
    for sym in symbols:
        if any(ns in sym for ns in INTERNAL):
            errors.append(f"internal symbol exported: {sym}")
            continue
        bare = SPECIAL.sub("", sym)
        if bare.startswith("libsearch::"):
            top = re.match(r"libsearch::(\w+)", bare).group(1)
            exported_top.add(top)
            if top not in names:
                errors.append(f"exported symbol outside the public headers: {sym}")
    for name in sorted(functions | classes):
        if name not in exported_top:
            errors.append(f"libsearch::{name} is marked LIBSEARCH_EXPORT but not exported")
    if args.soname:
        dyn = subprocess.run(["readelf", "-d", args.library], capture_output=True, text=True,
                             check=True).stdout
        m = re.search(r"\(SONAME\)\s+Library soname: \[(.*)\]", dyn)
        if not m or m.group(1) != args.soname:
            errors.append(f"SONAME is {m.group(1) if m else 'missing'}, expected {args.soname}")
    for e in errors:
        print(e)
    print(f"exports: {len(symbols)} symbols, {len(exported_top)} public names "
          f"({len(functions)} functions and {len(classes)} classes marked), {len(errors)} problems")
    return 1 if errors or not functions else 0


if __name__ == "__main__":
    sys.exit(main())
