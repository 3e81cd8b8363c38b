"""Bad traffic, price, option and profile inputs fail with errors that say what, where and how to fix."""

from __future__ import annotations

import json
import pathlib

import pytest

from libsearch_advisor import (
    Artefacts,
    OptionError,
    PriceError,
    ProfileError,
    TrafficError,
    advise,
    load_prices,
    load_profile,
    load_trace,
    load_traffic,
    select_options,
)
from libsearch_advisor.options import parse_set

from advisor_util import synthetic_profile


def write(tmp_path: pathlib.Path, name: str, content: object) -> pathlib.Path:
    p = tmp_path / name
    p.write_text(content if isinstance(content, str) else json.dumps(content))
    return p


@pytest.mark.parametrize("traffic, message", [
    ({"avg_qps": -1}, "avg_qps = -1"),
    ({"avg_qps": 0}, "avg_qps must be > 0"),
    ({"avg_qps": 2, "peak_qps": 1, "shape": "diurnal"}, "peak_qps 1 is below avg_qps 2"),
    ({"avg_qps": 1, "shape": "weekly"}, "unknown shape 'weekly'"),
    ({"avg_qps": 1, "peak": 3}, "unknown field(s) peak"),
    ({"avg_qps": 1, "peak_qps": 100, "shape": "business_hours"}, "raise avg_qps to >= 37.5"),
    ({"avg_qps": 1, "peak_qps": 2}, "a flat shape has peak_qps == avg_qps"),
    ({"avg_qps": "10"}, "avg_qps = '10'"),
    ({"peak_qps": 3}, "missing avg_qps"),
])
def test_bad_traffic_profiles(tmp_path: pathlib.Path, traffic: dict, message: str) -> None:
    path = write(tmp_path, "t.json", traffic)
    with pytest.raises(TrafficError) as e:
        load_traffic(path)
    assert message in str(e.value)
    assert str(path) in str(e.value)  # Where.
    assert isinstance(e.value, ValueError)


def test_bad_trace_lines(tmp_path: pathlib.Path) -> None:
    with pytest.raises(TrafficError, match=r"t1.txt:3: 'abc' is not a timestamp"):
        load_trace(write(tmp_path, "t1.txt", "1.0\n# comment\nabc\n"))
    with pytest.raises(TrafficError, match=r"t2.txt:2: timestamp 0.5 is earlier .* sort the file"):
        load_trace(write(tmp_path, "t2.txt", "1.0\n0.5\n"))
    with pytest.raises(TrafficError, match=r"t3.txt:1: timestamp -3 must be"):
        load_trace(write(tmp_path, "t3.txt", "-3\n"))
    with pytest.raises(TrafficError, match=r"at least 2 timestamps"):
        load_trace(write(tmp_path, "t4.txt", "5\n"))
    t = load_trace(write(tmp_path, "ok.txt", "100\n100.5\n\n101\n103\n"))
    assert list(t.times) == [0, 0.5, 1, 3] and t.avg_qps == pytest.approx(4 / 3)


def test_price_overrides_merge_and_fail_clearly(tmp_path: pathlib.Path) -> None:
    base = load_prices()
    assert base.get("lambda_arm_gb_s").source and base.get("lambda_arm_gb_s").date
    p = load_prices(write(tmp_path, "p.json", {"lambda_arm_gb_s": 0.00001, "alb_hour": {"value": 0.03}}))
    assert p["lambda_arm_gb_s"] == 0.00001 and p["alb_hour"] == 0.03
    assert p["lambda_x86_gb_s"] == base["lambda_x86_gb_s"]  # Untouched entries keep the defaults.
    with pytest.raises(PriceError, match=r"unknown price name\(s\) lamda_arm_gb_s; known names: .*lambda_arm_gb_s"):
        load_prices(write(tmp_path, "typo.json", {"lamda_arm_gb_s": 1}))
    with pytest.raises(PriceError, match=r"price 'alb_hour' has value -1; it must be a finite number >= 0"):
        load_prices(write(tmp_path, "neg.json", {"alb_hour": -1}))
    with pytest.raises(PriceError, match=r"bad.json:1:\d+: not valid JSON"):
        load_prices(write(tmp_path, "bad.json", "{nope"))
    # A removed (null) price fails when an option needs it, naming the price and the fix.
    missing = write(tmp_path, "missing.json", {"fargate_x86_vcpu_hour": None})
    with pytest.raises(PriceError, match=r"missing price 'fargate_x86_vcpu_hour' .* add it to the --prices file"):
        advise(synthetic_profile(), {"avg_qps": 1}, missing, options=["fargate-service"])
    # Without the defaults, a partial table is missing everything else.
    only = load_prices(write(tmp_path, "only.json", {"lambda_arm_gb_s": 1e-5}), defaults=False)
    with pytest.raises(PriceError, match="missing price 'lambda_free_gb_s'"):
        advise(synthetic_profile(), {"avg_qps": 1}, only, options=["lambda-cpp-arm"])


def test_unknown_options_and_parameters() -> None:
    with pytest.raises(OptionError, match=r"unknown option 'lambda-rust'; known options: lambda-cpp-x86"):
        select_options(["lambda-rust"])
    with pytest.raises(OptionError, match=r"option 'ec2-vm' has no parameter 'memory_mb'; its parameters: .*vcpu"):
        select_options(overrides={"ec2-vm": {"memory_mb": "2048"}})
    with pytest.raises(OptionError, match=r"memory_mb = 'lots' is not a float"):
        select_options(overrides={"lambda-cpp-arm": {"memory_mb": "lots"}})
    with pytest.raises(OptionError, match=r"keep_alive_s = -1.0 must be a finite number >= 0"):
        select_options(overrides={"lambda-cpp-arm": {"keep_alive_s": "-1"}})
    with pytest.raises(OptionError, match=r"expected OPTION.PARAM=VALUE"):
        parse_set(["lambda-cpp-arm=1769"])
    o = select_options(["lambda-cpp-arm"], {"lambda-cpp-arm": {"memory_mb": "1769"}})[0]
    assert o.memory_mb == 1769.0 and o.cpu_share() == pytest.approx(1.0)


def test_bad_profiles(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ProfileError, match="not a libsearch profile"):
        load_profile(write(tmp_path, "p.json", {"surfaces": {}}))
    raw = synthetic_profile().to_json()
    raw["surfaces"]["service"]["warm_ms"] = []
    with pytest.raises(ProfileError, match=r"surface 'service': 'warm_ms' must be a non-empty list"):
        load_profile(write(tmp_path, "p2.json", raw))
    prof = synthetic_profile()
    del prof.surfaces["gcf-python"]
    with pytest.raises(ProfileError, match=r"no measurements of surface 'gcf-python' \(needed by option "
                                           r"cloudrun-function\).*--options"):
        advise(prof, {"avg_qps": 1})


def test_artefacts_are_made_absolute(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The surfaces run in their own working directories, so relative paths from the command line
    # must be resolved against the caller's.
    monkeypatch.chdir(tmp_path)
    a = Artefacts(service=pathlib.Path("bin/libsearch-service"), gcf_source=pathlib.Path("main.py")).absolute()
    assert a.service == tmp_path / "bin/libsearch-service" and a.gcf_source == tmp_path / "main.py"
    assert a.bootstrap is None and a.rie is None and a.lambda_handler_dir is None
