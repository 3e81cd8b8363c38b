"""The AL2023 ABI check (functions/aws_lambda/check_al2023_abi.py) itself: it
must reject the ordinary build (`make package` runs it on its own zips)."""

from __future__ import annotations

import subprocess
import sys

from conftest import BOOTSTRAP, FUNCTIONS, require

CHECK = FUNCTIONS / "aws_lambda" / "check_al2023_abi.py"


def run_check(*paths: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), *paths], capture_output=True, text=True, timeout=120)


def test_rejects_the_dynamic_gcc12_build() -> None:
    require(BOOTSTRAP.exists(), f"the bootstrap at {BOOTSTRAP}")
    r = run_check(str(BOOTSTRAP))
    assert r.returncode == 1, r.stdout
    assert "needs libstdc++.so.6" in r.stdout and "problems" in r.stdout


# The packaged zips themselves are checked by `make package` (package.sh runs
# check_al2023_abi.py on every ELF and fails the build on any problem), so the
# default suite needs no package and skips nothing.
