#!/usr/bin/env python3
"""Fails if an ELF file would not load on Amazon Linux 2023 (the provided.al2023
and python3.12+ Lambda runtimes).

Usage: check_al2023_abi.py ARTEFACT... (zip files, directories or ELF files)

AL2023 has glibc 2.34; its libstdc++ is GCC 11's (GLIBCXX_3.4.29,
CXXABI_1.3.13), but the provided.al2023 image is the minimal AL2023 and is
not documented to ship libstdc++ at all. So every ELF may need:
  * shared libraries of glibc only (libc, libm, libpthread, libdl, librt,
    libresolv, libutil, the loader), unless --allow-libstdcxx;
  * symbol versions GLIBC_2.34 or older;
  * with --allow-libstdcxx, GLIBCXX <= 3.4.29, CXXABI <= 1.3.13, GCC <= 7.0.0.
The versions an ELF needs are read with `readelf -V` (the .gnu.version_r
section). Exits 1 and lists every offence; prints a per-file summary.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import zipfile
from typing import Dict, Iterator, List, Set, Tuple

GLIBC_LIBS = {
    "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libresolv.so.2",
    "libutil.so.1", "ld-linux-x86-64.so.2",
}
CXX_LIBS = {"libstdc++.so.6", "libgcc_s.so.1"}
MAX = {"GLIBC": (2, 34), "GLIBCXX": (3, 4, 29), "CXXABI": (1, 3, 13), "GCC": (7, 0, 0)}


def elf_files(root: pathlib.Path) -> Iterator[pathlib.Path]:
    for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
        if path.is_file() and not path.is_symlink():
            with open(path, "rb") as f:
                if f.read(4) == b"\x7fELF":
                    yield path


def needs(path: pathlib.Path) -> Tuple[List[str], Dict[str, Set[str]]]:
    """(NEEDED libraries, {library: required version names})."""
    dyn = subprocess.run(["readelf", "-d", "-W", str(path)], capture_output=True, text=True, check=True).stdout
    libs = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn)
    ver = subprocess.run(["readelf", "-V", "-W", str(path)], capture_output=True, text=True, check=True).stdout
    versions: Dict[str, Set[str]] = {}
    current = None
    in_needs = False
    for line in ver.splitlines():
        if "Version needs section" in line:
            in_needs = True
            continue
        if in_needs and line.startswith("Version") and "needs" not in line:
            in_needs = False
        if not in_needs:
            continue
        m = re.search(r"File: (\S+)\s+Cnt:", line)
        if m:
            current = m.group(1)
            versions.setdefault(current, set())
            continue
        m = re.search(r"Name: (\S+)", line)
        if m and current:
            versions[current].add(m.group(1))
    return libs, versions


def too_new(version: str) -> bool:
    m = re.fullmatch(r"(GLIBC|GLIBCXX|CXXABI|GCC)_([0-9.]+)", version)
    if not m:
        return False
    number = tuple(int(x) for x in m.group(2).split("."))
    return number > MAX[m.group(1)]


def check(path: pathlib.Path, label: str, allow_cxx: bool) -> List[str]:
    libs, versions = needs(path)
    errors = []
    allowed = GLIBC_LIBS | (CXX_LIBS if allow_cxx else set())
    for lib in libs:
        if lib not in allowed:
            errors.append(f"{label}: needs {lib}, which the AL2023 Lambda image may not have")
    newest: Dict[str, str] = {}
    for lib, names in versions.items():
        for name in names:
            family = name.split("_", 1)[0]
            if family in ("GLIBCXX", "CXXABI", "GCC") and not allow_cxx:
                errors.append(f"{label}: needs {name} from {lib} (libstdc++/libgcc must be linked statically)")
            elif too_new(name):
                errors.append(f"{label}: needs {name} from {lib}; AL2023 has {family} "
                              f"{'.'.join(map(str, MAX[family]))} at most")
            if family in MAX:
                key = lambda v: tuple(int(x) for x in v.split("_", 1)[1].split("."))  # noqa: E731
                if family not in newest or key(name) > key(newest[family]):
                    newest[family] = name
    summary = ", ".join(sorted(newest.values())) or "no versioned symbols"
    print(f"  {label}: NEEDED {', '.join(libs) or '(none)'}; newest: {summary}")
    return errors


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("artefacts", nargs="+", type=pathlib.Path)
    ap.add_argument("--allow-libstdcxx", action="store_true",
                    help="accept libstdc++.so.6 / libgcc_s.so.1 up to AL2023's versions")
    args = ap.parse_args()
    errors: List[str] = []
    checked = 0
    for artefact in args.artefacts:
        print(f"check_al2023_abi: {artefact}")
        with tempfile.TemporaryDirectory() as tmp:
            root = artefact
            if zipfile.is_zipfile(artefact):
                with zipfile.ZipFile(artefact) as z:
                    z.extractall(tmp)
                root = pathlib.Path(tmp)
            for elf in elf_files(root):
                label = f"{artefact.name}:{os.path.relpath(elf, root)}" if root != artefact else str(elf)
                errors += check(elf, label, args.allow_libstdcxx)
                checked += 1
    for e in errors:
        print("check_al2023_abi: FAIL " + e)
    if checked == 0:
        print("check_al2023_abi: FAIL no ELF file found")
        return 1
    print(f"check_al2023_abi: {checked} ELF files, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
