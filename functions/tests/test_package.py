"""The AL2023 ABI check (functions/aws_lambda/check_al2023_abi.py) itself:
it must reject the ordinary build and accept what `make package` produced."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import BOOTSTRAP, BUILD, FUNCTIONS, require

CHECK = FUNCTIONS / "aws_lambda" / "check_al2023_abi.py"


def run_check(*paths: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), *paths], capture_output=True, text=True, timeout=120)


def test_rejects_the_dynamic_gcc12_build() -> None:
    require(BOOTSTRAP.exists(), f"the bootstrap at {BOOTSTRAP}")
    r = run_check(str(BOOTSTRAP))
    assert r.returncode == 1, r.stdout
    assert "needs libstdc++.so.6" in r.stdout and "problems" in r.stdout


def test_accepts_the_package() -> None:
    zips = sorted((BUILD / "package").glob("*.zip"))
    if not zips:
        pytest.skip("make package has not run")
    r = run_check(*map(str, zips))
    assert r.returncode == 0, r.stdout
    assert " 0 problems" in r.stdout
