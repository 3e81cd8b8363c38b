"""The AL2023 ABI check (functions/aws_lambda/check_al2023_abi.py) itself: it
must reject the ordinary build (`make package` runs it on its own zips)."""

from __future__ import annotations

import pathlib
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


def test_the_sam_template_passes_aws_cfn_lint() -> None:
    """The SAM template (functions, queue, schedule, IAM) is valid CloudFormation
    as AWS's own linter reads it, with the SAM transform applied."""
    template = FUNCTIONS / "aws_lambda" / "template.yaml"
    linter = pathlib.Path(sys.executable).parent / "cfn-lint"  # Installed beside Python by make deps.
    r = subprocess.run([str(linter), str(template)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
