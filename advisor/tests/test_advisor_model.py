"""Traffic shapes, the month windows and the option model."""

from __future__ import annotations

import numpy as np
import pytest

from libsearch_advisor import TrafficProfile, advise, load_prices, select_options
from libsearch_advisor.model import evaluate, windows
from libsearch_advisor.prices import MONTH_HOURS
from libsearch_advisor.traffic import DAY

from advisor_util import synthetic_profile


@pytest.mark.parametrize("shape, peak", [("flat", 5.0), ("business_hours", 12.0), ("diurnal", 9.0), ("spiky", 60.0)])
def test_shapes_average_and_peak(shape: str, peak: float) -> None:
    t = TrafficProfile("t", 5.0, peak, shape)
    rates = t.rate_at(np.arange(0, DAY, 1.0))
    assert rates.mean() == pytest.approx(5.0, rel=1e-3)
    assert rates.max() == pytest.approx(peak)
    n = len(t.arrivals(0, DAY, np.random.default_rng(2)))
    assert abs(n - 5.0 * DAY) < 4 * np.sqrt(5.0 * DAY)  # Poisson count within 4 sigma.


def test_burstiness_keeps_the_rate_and_clumps() -> None:
    t = TrafficProfile("t", 2.0, 2.0, "flat", burstiness=3.0)
    a = t.arrivals(0, DAY, np.random.default_rng(5))
    assert len(a) / DAY == pytest.approx(2.0, rel=0.05)
    _, sizes = np.unique(a, return_counts=True)
    assert sizes.mean() == pytest.approx(4.0, rel=0.05)  # 1 + burstiness requests per clump.


def test_segmented_windows_agree_with_the_full_day() -> None:
    # The approximation for busy traffic (segments, scaled) against simulating every request.
    prof, prices = synthetic_profile(), load_prices()
    opts = select_options(["lambda-cpp-arm", "fargate-service", "ec2-vm"])
    t = TrafficProfile("t", 2.0, 5.0, "business_hours")
    assert len(windows(t, np.random.default_rng(1), cap=10**6)) == 1
    assert len(windows(t, np.random.default_rng(1), cap=20_000)) > 1
    full = {r.option.name: r for r in evaluate(prof, t, opts, prices, cap=10**6)}
    seg = {r.option.name: r for r in evaluate(prof, t, opts, prices, cap=20_000)}
    for name in full:
        assert seg[name].monthly_cost == pytest.approx(full[name].monthly_cost, rel=0.1), name
        assert seg[name].usage.requests == pytest.approx(full[name].usage.requests, rel=0.02)
        assert seg[name].p99_ms == pytest.approx(full[name].p99_ms, rel=0.25), name


def test_lambda_bill_by_hand() -> None:
    # Flat 100 QPS, every query 1.2 ms round trip -> 2 ms billed at 1 ms granularity, 1,024 MB.
    prof = synthetic_profile()
    s = prof.surfaces["lambda-cpp"]
    s.warm_ms, s.cpu_ms = [1.2] * 10, [0.4] * 10
    prices = load_prices()
    r = evaluate(prof, TrafficProfile("t", 100.0, 100.0), select_options(["lambda-cpp-arm"]), prices)[0]
    month_requests = 100.0 * MONTH_HOURS * 3600
    assert r.usage.requests == pytest.approx(month_requests, rel=0.01)
    # Warm requests: 2 ms each (cold starts are a handful: keep-alive 600 s at 100 QPS).
    assert r.cold_share < 1e-4
    gb_s = 1.0 * r.usage.billed_ms / 1000
    assert r.usage.billed_ms == pytest.approx(month_requests * 2.0, rel=0.01)
    assert gb_s > prices["lambda_free_gb_s"]
    assert r.cost["duration"] == pytest.approx((gb_s - prices["lambda_free_gb_s"]) * prices["lambda_arm_gb_s"])
    assert r.cost["requests"] == pytest.approx((r.usage.requests - 1e6) / 1e6 * 0.20)


def test_advise_recommends_functions_when_quiet_and_a_service_when_busy() -> None:
    prof = synthetic_profile()
    grid = [0.01, 0.1, 1, 10, 100, 1000]
    quiet = advise(prof, {"name": "quiet", "avg_qps": 0.05}, sweep_qps=grid)
    assert quiet.recommendation.option.kind == "function"
    busy = advise(prof, {"name": "busy", "avg_qps": 500}, sweep_qps=grid)
    assert busy.recommendation.option.kind == "service"
    assert quiet.break_even and 1 < quiet.break_even[0].qps < 1000
    assert quiet.break_even[0].direction == "service cheaper above"
    # A request every ~17 min on average outlives the keep-alive (600-900 s): most requests start
    # an instance, which a p99 target of 5 ms rules out.
    strict = advise(prof, {"name": "rare", "avg_qps": 0.001}, p99_target_ms=5, sweep_qps=grid)
    assert min(r.cold_share for r in strict.results if r.option.kind == "function") > 0.3
    assert strict.recommendation.p99_ms <= 5
    assert strict.recommendation.option.kind == "service"


def test_deterministic() -> None:
    prof = synthetic_profile()
    t = TrafficProfile("t", 3.0, 6.0, "diurnal", burstiness=1.0)
    a = evaluate(prof, t, select_options(), load_prices(), seed=4)
    b = evaluate(prof, t, select_options(), load_prices(), seed=4)
    assert [r.monthly_cost for r in a] == [r.monthly_cost for r in b]
    assert [r.p99_ms for r in a] == [r.p99_ms for r in b]
