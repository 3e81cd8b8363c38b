"""`python -m libsearch.advisor advise` end to end, and the C++ CLI's pass-through."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from advisor_util import synthetic_profile

REPO = pathlib.Path(__file__).resolve().parents[3]


def test_advise_writes_report_and_charts(tmp_path: pathlib.Path) -> None:
    profile = tmp_path / "profile.json"
    synthetic_profile().save(profile)
    out = tmp_path / "report"
    r = subprocess.run([sys.executable, "-m", "libsearch.advisor", "advise", "--profile", str(profile), "--traffic",
                        str(REPO / "examples/advisor/business-hours-shop.json"), "--out", str(out),
                        "--set", "lambda-cpp-arm.memory_mb=1769"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "recommendation:" in r.stdout
    md = (out / "report.md").read_text()
    assert md.startswith("# libsearch advisor: business-hours-shop")
    assert "**Recommendation:" in md and "## Break-even" in md and "break-even" in md.lower()
    assert "memory_mb=1769.0" in md and "user-set" in md  # The override is traced in the inputs.
    assert "| lambda_arm_gb_s | 1.33334e-05 |" in md  # Prices with their sources.
    for png in ("cost_vs_qps.png", "latency.png"):
        data = (out / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
        assert f"![{png}]({png})" in md


def test_bad_input_exits_2_with_message(tmp_path: pathlib.Path) -> None:
    profile = tmp_path / "profile.json"
    synthetic_profile().save(profile)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"avg_qps": -5}))
    r = subprocess.run([sys.executable, "-m", "libsearch.advisor", "advise", "--profile", str(profile), "--traffic",
                        str(bad), "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "libsearch advise: error:" in r.stderr and "avg_qps = -5" in r.stderr and str(bad) in r.stderr
    assert "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "libsearch.advisor", "advise", "--profile", str(profile), "--traffic",
                        str(REPO / "examples/advisor/small-shop.json"), "--out", str(tmp_path / "o"),
                        "--options", "lambda-cpp-arm,lambda-go"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "unknown option 'lambda-go'" in r.stderr


def test_cpp_cli_runs_the_python_advisor(tmp_path: pathlib.Path) -> None:
    cli = os.environ.get("LIBSEARCH_CLI")
    if not cli:
        pytest.skip("LIBSEARCH_CLI not set (make test-python sets it)")
    profile = tmp_path / "profile.json"
    synthetic_profile().save(profile)
    env = {**os.environ, "LIBSEARCH_PYTHON": sys.executable}
    r = subprocess.run([cli, "advise", "--profile", str(profile), "--traffic", str(tmp_path / "missing.json"),
                        "--out", str(tmp_path / "o")], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2 and "cannot read traffic file" in r.stderr
    r = subprocess.run([cli, "advise", "--help"], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0 and "--traffic" in r.stdout
    env["LIBSEARCH_PYTHON"] = str(tmp_path / "no-python")
    r = subprocess.run([cli, "profile", "x.idx"], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 1 and "cannot run" in r.stderr and "LIBSEARCH_PYTHON" in r.stderr
