"""`libsearch-advisor advise` (and `python -m libsearch_advisor`) end to end; `profile`'s argument checks."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

from advisor_util import synthetic_profile

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_advise_writes_report_and_charts(tmp_path: pathlib.Path) -> None:
    profile = tmp_path / "profile.json"
    synthetic_profile().save(profile)
    out = tmp_path / "report"
    r = subprocess.run([sys.executable, "-m", "libsearch_advisor", "advise", "--profile", str(profile), "--traffic",
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
    r = subprocess.run([sys.executable, "-m", "libsearch_advisor", "advise", "--profile", str(profile), "--traffic",
                        str(bad), "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "libsearch-advisor advise: error:" in r.stderr and "avg_qps = -5" in r.stderr and str(bad) in r.stderr
    assert "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "libsearch_advisor", "advise", "--profile", str(profile), "--traffic",
                        str(REPO / "examples/advisor/small-shop.json"), "--out", str(tmp_path / "o"),
                        "--options", "lambda-cpp-arm,lambda-go"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "unknown option 'lambda-go'" in r.stderr


def test_console_script_and_profile_without_artefacts(tmp_path: pathlib.Path) -> None:
    # pip installs the command beside the interpreter that has the package.
    script = pathlib.Path(sys.executable).with_name("libsearch-advisor")
    r = subprocess.run([str(script), "advise", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "--traffic" in r.stdout
    r = subprocess.run([str(script), "profile", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and all(f in r.stdout for f in ("--bootstrap", "--rie", "--service", "--gcf-source"))
    index = tmp_path / "x.idx"
    r = subprocess.run([str(script), "profile", str(index), "--out", str(tmp_path / "p.json")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and f"index {index} does not exist" in r.stderr
    # An index that exists but no surface given: nothing to measure, said so by name of the flags.
    index.write_bytes(b"")
    env = {k: v for k, v in os.environ.items() if k != "LIBSEARCH_RIE"}
    env["PATH"] = str(tmp_path)  # no aws-lambda-rie to find
    r = subprocess.run([str(script), "profile", str(index), "--out", str(tmp_path / "p.json")],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 2 and "no surface could run" in r.stderr and "--bootstrap" in r.stderr
    assert "skipping lambda-cpp: no --rie given" in r.stderr
    assert not (tmp_path / "p.json").exists()
