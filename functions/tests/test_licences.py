"""The licence check of `make package` (functions/aws_lambda/check_licences.py)
on the ordinary build: its bootstrap and service carry no Xapian code, and the
link map of a consumer built with Xapian (tests/CMakeLists.txt's licence
probe) fails. The ctest `licence_check` covers the maps in more detail."""

from __future__ import annotations

import subprocess
import sys

from conftest import BOOTSTRAP, BUILD, FUNCTIONS, ROOT, SERVICE, require

CHECK = FUNCTIONS / "aws_lambda" / "check_licences.py"


def run_check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), *args], capture_output=True, text=True,
                          timeout=120)


def test_the_ordinary_binaries_hold_no_gpl_code() -> None:
    require(BOOTSTRAP.exists(), f"the bootstrap at {BOOTSTRAP}")
    binaries = [BOOTSTRAP] + ([SERVICE] if SERVICE.exists() else [])
    r = run_check(*[arg for b in binaries for arg in ("--scan", str(b))])
    assert r.returncode == 0, r.stdout
    assert "0 problems" in r.stdout


def test_a_xapian_linked_consumer_fails() -> None:
    probe_map = BUILD / "tests" / "licence_probe_xapian.map"
    require(probe_map.exists(), f"the licence probe's map at {probe_map} (a build with tests)")
    r = run_check("--notices", str(ROOT / "THIRD_PARTY_NOTICES.md"), str(probe_map))
    assert r.returncode == 1, r.stdout
    assert "Xapian is GPL-2.0-or-later" in r.stdout
    plain = run_check("--notices", str(ROOT / "THIRD_PARTY_NOTICES.md"), "--project-dir", str(ROOT),
                      str(BUILD / "tests" / "licence_probe.map"))
    assert plain.returncode == 0, plain.stdout
    assert "Snowball libstemmer" in plain.stdout and "BSD-3-Clause" in plain.stdout


def test_link_time_optimised_partitions_count_as_the_project_but_not_their_archives(tmp_path) -> None:
    """package.sh links the bootstrap with LTO: the linker's map then LOADs
    the optimiser's partitions (/tmp/cc*.ltrans*.ltrans.o), which hold the
    LTO-compiled inputs' code; the archive members they came from stay listed,
    so a GPL archive is still caught."""
    def link_map(archive: str) -> str:
        return ("Archive member included to satisfy reference by file (symbol)\n\n"
                f"{archive}(member.o)\n                              bootstrap.cc.o (symbol)\n\n"
                "Linker script and memory map\n\n"
                "LOAD bootstrap.cc.o\nLOAD /tmp/ccAbC123.ltrans0.ltrans.o\nLOAD /tmp/ccAbC123.ltrans12.ltrans.o\n"
                f"LOAD {archive}\n")
    ours = tmp_path / "ours.map"
    ours.write_text(link_map("/work/build/libsearch/libsearch.a"))
    r = run_check(str(ours))
    assert r.returncode == 0, r.stdout
    assert "ccAbC123.ltrans0.ltrans.o" in r.stdout
    gpl = tmp_path / "gpl.map"
    gpl.write_text(link_map("/usr/lib/x86_64-linux-gnu/libxapian.a"))
    r = run_check(str(gpl))
    assert r.returncode == 1, r.stdout
    assert "Xapian is GPL-2.0-or-later" in r.stdout
