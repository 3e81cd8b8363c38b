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
    s.response_bytes, s.log_bytes = 4000.0, 250.0
    prices = load_prices()
    opts = select_options(["lambda-cpp-x86"], {"lambda-cpp-x86": {"memory_mb": 1769}})  # 1 vCPU: no slow-down.
    r = evaluate(prof, TrafficProfile("t", 100.0, 100.0), opts, prices)[0]
    month_requests = 100.0 * MONTH_HOURS * 3600
    assert r.usage.requests == pytest.approx(month_requests, rel=0.01)
    # Warm requests: 2 ms each (cold starts are a handful: keep-alive 600 s at 100 QPS).
    assert r.cold_share < 1e-4
    assert r.usage.billed_ms == pytest.approx(month_requests * 2.0, rel=0.01)
    gb_s = 1769 / 1024 * r.usage.billed_ms / 1000
    # No free tier unless asked for; the SAM template's HTTP API is the front door.
    assert r.cost["compute"] == pytest.approx(gb_s * prices["lambda_x86_gb_s"])
    assert r.cost["requests"] == pytest.approx(r.usage.requests / 1e6 * 0.20)
    assert r.cost["front door"] == pytest.approx(r.usage.requests / 1e6 * prices["apigw_http_per_million"])
    assert r.cost["egress"] == pytest.approx(r.usage.requests * 4300 / 1e9 * prices["aws_egress_gb"])
    assert r.cost["logs"] == pytest.approx(r.usage.requests * 250 / 1e9 * prices["cloudwatch_logs_gb"])
    free = r.cost_free_tier
    assert free["compute"] == pytest.approx((gb_s - prices["lambda_free_gb_s"]) * prices["lambda_x86_gb_s"])
    assert free["requests"] == pytest.approx((r.usage.requests - 1e6) / 1e6 * 0.20)
    # The runtime's own REPORT durations, when the profile has them, are what is billed: 0.3 ms -> 1 ms.
    s.duration_ms = [0.3] * 10
    r2 = evaluate(prof, TrafficProfile("t", 100.0, 100.0), opts, prices)[0]
    assert r2.usage.billed_ms == pytest.approx(month_requests * 1.0, rel=0.01)
    assert r2.cost["compute"] == pytest.approx(r.cost["compute"] / 2, rel=0.01)
    assert "REPORT" in r2.billed_from and "round trip" in r.billed_from
    assert r2.p99_ms == r.p99_ms  # Latency is still the client's round trip.


def test_load_balancer_bills_connections_not_requests() -> None:
    # 2,000 QPS flat on Fargate: with kept-alive connections the ALB's LCUs come from processed bytes,
    # far below "every request a new connection" (2,000 / 25 = 80 LCU).
    prof = synthetic_profile()
    prof.surfaces["service"].response_bytes = 5000.0
    prices = load_prices()
    t = TrafficProfile("t", 2000.0, 2000.0)
    r = evaluate(prof, t, select_options(["fargate-service"]), prices, cap=20_000)[0]
    lcu_bytes = r.usage.requests * (5000 + 300 + 500) / 1e9  # GB processed = LCU-hours at 1 GB per LCU-hour
    assert r.cost["load balancer"] == pytest.approx(MONTH_HOURS * prices["alb_hour"] + lcu_bytes
                                                    * prices["alb_lcu_hour"], rel=1e-6)
    every_request_new = MONTH_HOURS * (prices["alb_hour"] + 2000 / 25 * prices["alb_lcu_hour"])
    assert r.cost["load balancer"] < 0.6 * every_request_new
    one = evaluate(prof, t, select_options(["fargate-service"], {"fargate-service": {"requests_per_connection": 1}}),
                   prices, cap=20_000)[0]
    assert one.cost["load balancer"] == pytest.approx(every_request_new, rel=0.02)
    # High availability by default: never fewer than 2 tasks, even when one would do.
    quiet = evaluate(prof, TrafficProfile("q", 0.5, 0.5), select_options(["fargate-service"]), prices)[0]
    assert quiet.usage.instance_seconds == pytest.approx(2 * MONTH_HOURS * 3600, rel=1e-3)
    single = evaluate(prof, TrafficProfile("q", 0.5, 0.5), select_options(["fargate-service"],
                                                                        {"fargate-service": {"ha": False}}), prices)[0]
    assert single.usage.instance_seconds == pytest.approx(MONTH_HOURS * 3600, rel=1e-3)


def test_advise_recommends_functions_when_quiet_and_a_service_when_busy() -> None:
    prof = synthetic_profile()
    grid = [0.01, 0.1, 1, 10, 100, 1000]
    quiet = advise(prof, {"name": "quiet", "avg_qps": 0.05}, sweep_qps=grid, cap=20_000)
    assert quiet.recommendation.option.kind == "function"
    busy = advise(prof, {"name": "busy", "avg_qps": 500}, sweep_qps=grid, cap=20_000)
    assert busy.recommendation.option.kind in ("service", "hybrid")
    assert quiet.break_even and 1 < quiet.break_even[0].qps < 1000
    assert quiet.break_even[0].direction == "service cheaper above"
    # A request every ~17 min on average outlives the keep-alive (600-900 s): most requests start
    # an instance, which a p99 target of 5 ms rules out.
    strict = advise(prof, {"name": "rare", "avg_qps": 0.001}, p99_target_ms=5, sweep_qps=grid, cap=20_000)
    assert min(r.cold_share for r in strict.results if r.option.kind == "function") > 0.3
    assert strict.recommendation.p99_ms <= 5
    assert strict.recommendation.option.kind != "function"


def test_deterministic() -> None:
    prof = synthetic_profile()
    t = TrafficProfile("t", 3.0, 6.0, "diurnal", burstiness=1.0)
    a = evaluate(prof, t, select_options(), load_prices(), seed=4, cap=20_000)
    b = evaluate(prof, t, select_options(), load_prices(), seed=4, cap=20_000)
    assert [r.monthly_cost for r in a] == [r.monthly_cost for r in b]
    assert [r.p99_ms for r in a] == [r.p99_ms for r in b]
