#!/usr/bin/env python3
"""Lists the licence of every library linked into each artefact and fails on
GPL code or on a library whose licence it does not know.

Usage: check_licences.py [--notices THIRD_PARTY_NOTICES.md] [--scan ARTEFACT]... [MAP]...

Each MAP is a GNU ld link map (`-Wl,-Map=FILE`) of one linked program or
module: `make package` writes one for the Lambda bootstrap and one for the
Python extension. From the map come the archives that contributed members
("Archive member included ...") and the shared libraries and object files the
linker loaded (LOAD lines), so a static archive that was on the command line
but gave nothing is not counted, and nothing is guessed from a stripped ELF.
Each file is matched against LIBRARIES below; a GPL licence (without the GCC
runtime exception) or an unknown library is an error.

--notices: every third-party component found must be named in that file
(the notices shipped with the artefacts), so it cannot go stale silently.
--scan: zips, directories or ELF files to search for GPL code the maps would
not show (Xapian's RTTI names survive `strip`), as a second guard.
Exits 1 and lists every offence.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pathlib
import re
import sys
import tempfile
import zipfile
from typing import Dict, Iterator, List, Optional, Tuple

from check_al2023_abi import elf_files  # A sibling script: one ELF walk for both checks.


@dataclasses.dataclass(frozen=True)
class Library:
    pattern: str  # Regular expression on the file's base name.
    component: str  # As named in THIRD_PARTY_NOTICES.md ("" if not a third party).
    licence: str  # SPDX expression.
    allowed: bool = True


# Base names of what a link of libsearch may pull in. GPL with the GCC
# Runtime Library Exception (libstdc++, libgcc, crt files) allows any licence
# for the program; glibc is LGPL and linked dynamically (its crt and
# libc_nonshared.a carry the LGPL's linking exception).
LIBRARIES = [
    Library(r"(lib)?libsearch(_lambda_runtime)?\.a", "", "Apache-2.0"),
    Library(r"libicu(uc|i18n|data|io|tu)\.(a|so(\.\d+)*)", "ICU", "Unicode-DFS-2016"),
    Library(r"libstemmer\.(a|so(\.\d+)*)", "Snowball libstemmer", "BSD-3-Clause"),
    Library(r"libzstd\.(a|so(\.\d+)*)", "Zstandard", "BSD-3-Clause OR GPL-2.0-only"),
    Library(r"libxxhash\.(a|so(\.\d+)*)", "xxHash", "BSD-2-Clause"),
    Library(r"libz\.(a|so(\.\d+)*)", "zlib", "Zlib"),
    Library(r"libcurl\.(a|so(\.\d+)*)", "libcurl", "curl"),
    Library(r"lib(ssl|crypto)\.(a|so(\.\d+)*)", "OpenSSL", "Apache-2.0"),
    Library(r"libmbed(tls|x509|crypto)\.(a|so(\.\d+)*)", "Mbed TLS", "Apache-2.0"),
    Library(r"libroaring\.(a|so(\.\d+)*)", "CRoaring", "Apache-2.0"),
    Library(r"libuuid\.(a|so(\.\d+)*)", "libuuid", "BSD-3-Clause"),
    Library(r"libxapian\.(a|so(\.\d+)*)", "Xapian", "GPL-2.0-or-later", allowed=False),
    Library(r"lib(stdc\+\+|supc\+\+|gcc|gcc_s|gcc_eh|atomic)\.(a|so(\.\d+)*)", "GCC runtime",
            "GPL-3.0-or-later WITH GCC-exception-3.1"),
    Library(r"crt(begin|end)(S|T)?\.o", "GCC runtime", "GPL-3.0-or-later WITH GCC-exception-3.1"),
    Library(r"(S?crt1|crti|crtn|Scrt1)\.o", "GNU C library", "LGPL-2.1-or-later"),
    Library(r"lib(c|m|mvec|pthread|dl|rt|resolv|util|c_nonshared)\.(a|so(\.\d+)*)",
            "GNU C library", "LGPL-2.1-or-later"),
    Library(r"ld-linux-x86-64\.so\.\d+", "GNU C library", "LGPL-2.1-or-later"),
    # Sanitizer runtimes (test builds only: make test's ASan/UBSan build).
    Library(r"lib(asan|ubsan|lsan|tsan)(_preinit)?\.(a|o|so(\.\d+)*)", "sanitizer runtime",
            "Apache-2.0 WITH LLVM-exception OR MIT"),
    Library(r"(lib)?clang_rt\..+\.(a|o|so)", "sanitizer runtime", "Apache-2.0 WITH LLVM-exception"),
]
# Components that are the system's or the project's own, not in the notices.
NOT_IN_NOTICES = {"", "GNU C library", "libuuid", "sanitizer runtime"}
# Strings that betray GPL code in a linked (even stripped) ELF file.
FINGERPRINTS = {b"N6Xapian": ("Xapian", "GPL-2.0-or-later")}


def classify(path: str, project_dirs: List[str]) -> Optional[Library]:
    base = os.path.basename(path)
    for library in LIBRARIES:
        if re.fullmatch(library.pattern, base):
            return library
    # The link-time optimiser's output (package.sh links the bootstrap with
    # LTO): its partitions hold the code of the inputs that carry LTO
    # bytecode, which only the project's own objects do; every archive member
    # it came from is still listed, and matched, under "Archive member included".
    if re.fullmatch(r"cc\w+\.ltrans\d+\.ltrans\.o", base):
        return Library(re.escape(base), "", "Apache-2.0")
    # The project's own objects (the program's main, say): the build passes
    # them by relative path (Ninja) or from under a --project-dir; the
    # toolchain's own objects come by absolute path from its directories.
    if base.endswith(".o") and (not os.path.isabs(path) or
                                any(path.startswith(d + os.sep) for d in project_dirs)):
        return Library(re.escape(base), "", "Apache-2.0")
    return None


def linked_files(map_text: str) -> Iterator[str]:
    """Archives that contributed members, plus every loaded .so and .o."""
    seen = set()
    in_members = False
    for line in map_text.splitlines():
        if line.startswith("Archive member included"):
            in_members = True
            continue
        if in_members:
            m = re.match(r"^(\S.*?)\((.+?)\)$", line)
            if m:
                if m.group(1) not in seen:
                    seen.add(m.group(1))
                    yield m.group(1)
                continue
            if line and not line.startswith(" ") and not line.startswith("\t"):
                in_members = False
        m = re.match(r"^LOAD (.+)$", line)
        if m:
            path = m.group(1).strip()
            if path.endswith(".a") or path in seen:
                continue  # An archive counts only through its members above.
            seen.add(path)
            yield path


def check_map(map_path: pathlib.Path, project_dirs: List[str],
              found: Dict[str, Tuple[str, bool]]) -> List[str]:
    errors = []
    rows: Dict[Tuple[str, str], List[str]] = {}
    for path in linked_files(map_path.read_text(errors="replace")):
        library = classify(os.path.normpath(path), project_dirs)
        if library is None:
            errors.append(f"{map_path.name}: {path}: unknown licence (add it to LIBRARIES in "
                          f"{os.path.basename(__file__)} and to THIRD_PARTY_NOTICES.md)")
            continue
        component = library.component or "libsearch"
        rows.setdefault((component, library.licence), []).append(os.path.basename(path))
        found[component] = (library.licence, library.allowed)
        if not library.allowed:
            errors.append(f"{map_path.name}: {path}: {library.component} is {library.licence}, "
                          "which would make the whole artefact a GPL work")
    if not rows:
        errors.append(f"{map_path.name}: no linked file found (not a GNU ld map?)")
    print(f"check_licences: {map_path}")
    for (component, licence), files in sorted(rows.items()):
        shown = sorted(set(files))
        more = f" and {len(shown) - 3} more" if len(shown) > 3 else ""
        print(f"  {component:<22} {licence:<42} {', '.join(shown[:3])}{more}")
    return errors


def scan(artefact: pathlib.Path) -> List[str]:
    errors = []
    with tempfile.TemporaryDirectory() as tmp:
        root = artefact
        if zipfile.is_zipfile(artefact):
            with zipfile.ZipFile(artefact) as z:
                z.extractall(tmp)
            root = pathlib.Path(tmp)
        elves = list(elf_files(root))
        for elf in elves:
            data = elf.read_bytes()
            for needle, (component, licence) in FINGERPRINTS.items():
                if needle in data:
                    errors.append(f"{artefact.name}:{elf.name}: contains {component} ({licence}) code")
        print(f"check_licences: scanned {len(elves)} ELF files in {artefact} for GPL code")
    return errors


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("maps", nargs="*", type=pathlib.Path, help="GNU ld link maps")
    ap.add_argument("--notices", type=pathlib.Path, help="the third-party notices file to check")
    ap.add_argument("--scan", type=pathlib.Path, action="append", default=[],
                    help="a zip, directory or ELF file to search for GPL code")
    ap.add_argument("--project-dir", action="append", default=[],
                    help="object files under this directory are libsearch's own")
    args = ap.parse_args()
    if not args.maps and not args.scan:
        ap.error("give at least one link map or --scan")
    errors: List[str] = []
    found: Dict[str, Tuple[str, bool]] = {}
    for map_path in args.maps:
        errors += check_map(map_path, [os.path.abspath(d) for d in args.project_dir], found)
    if args.notices:
        notices = args.notices.read_text()
        for component, (licence, allowed) in sorted(found.items()):
            if allowed and component not in NOT_IN_NOTICES | {"libsearch"} and component not in notices:
                errors.append(f"{component} ({licence}) is linked but not named in {args.notices}")
    for artefact in args.scan:
        errors += scan(artefact)
    for e in errors:
        print("check_licences: FAIL " + e)
    print(f"check_licences: {len(args.maps)} link maps, {len(found)} components, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
