#!/usr/bin/env python3
"""Checks the module dependency rule: util -> storage, analysis -> index ->
query -> search, api on util and the public headers only, and public headers / tools see only <libsearch/...>.

Run from anywhere; exits 1 and lists every offending #include."""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# What each module may include (besides itself and public headers).
ALLOWED = {
    "util": set(),
    "storage": {"util"},
    "analysis": {"util"},
    "index": {"util", "storage", "analysis"},
    "query": {"util", "storage", "analysis", "index"},
    "search": {"util", "storage", "analysis", "index", "query"},
    # The index writer: segments are index files, built and read by index/.
    "live": {"util", "storage", "analysis", "index"},
    # Remote indexes: object stores, and index directories mirrored through
    # the public Index and IndexWriter.
    "remote": {"util", "storage"},
    # The JSON model sits on the public API and util alone (schema.cc
    # reaches it through <libsearch/json.h> to check search defaults).
    "api": {"util"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)
MODULES = set(ALLOWED)


def internal_module(path: str):
    head = path.split("/", 1)[0]
    return head if head in MODULES and "/" in path else None


def main() -> int:
    errors = []
    for module, allowed in ALLOWED.items():
        for f in sorted(p for p in (ROOT / "libsearch" / module).rglob("*") if p.is_file()):
            for inc in INCLUDE.findall(f.read_text(encoding="utf-8")):
                dep = internal_module(inc)
                if dep and dep != module and dep not in allowed:
                    errors.append(f"{f.relative_to(ROOT)}: includes {inc} ({module} may not depend on {dep})")
    outside = list((ROOT / "libsearch" / "include").rglob("*.h"))
    for d in ("tools", "bindings", "functions"):
        outside += [p for p in (ROOT / d).rglob("*") if p.suffix in (".h", ".cc", ".cpp")]
    for f in outside:
        for inc in INCLUDE.findall(f.read_text(encoding="utf-8")):
            if internal_module(inc):
                errors.append(f"{f.relative_to(ROOT)}: includes internal header {inc}; use <libsearch/...> only")
    for e in errors:
        print(e)
    print(f"layering: {len(errors)} violations")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
