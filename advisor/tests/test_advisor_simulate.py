"""The simulator against cases with closed-form answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from libsearch_advisor.simulate import Autoscale, simulate_fleet, simulate_pool


def rng() -> np.random.Generator:
    return np.random.default_rng(1)


def test_constant_traffic_below_capacity_never_waits() -> None:
    # One server, a request every 10 ms, each holding it 5 ms: nobody waits.
    arrivals = np.arange(1000) * 0.010
    r = simulate_fleet(arrivals, np.array([5.0]), np.array([5.0]), slots=1, instances=1, rng=rng())
    assert np.all(r.latency_ms == pytest.approx(5.0))
    assert r.instance_seconds == pytest.approx(arrivals[-1])
    assert r.busy_ms == pytest.approx(5000.0)


def test_constant_traffic_above_capacity_queues_linearly() -> None:
    # A request every 4 ms, each needing 5 ms: request k waits k ms (D/D/1 overload).
    n = 500
    arrivals = np.arange(n) * 0.004
    r = simulate_fleet(arrivals, np.array([5.0]), np.array([5.0]), slots=1, instances=1, rng=rng())
    assert r.latency_ms == pytest.approx(5.0 + np.arange(n) * 1.0)
    # Two servers: capacity 0.4 requests/ms > 0.25 arriving: no waiting again.
    r2 = simulate_fleet(arrivals, np.array([5.0]), np.array([5.0]), slots=2, instances=1, rng=rng())
    assert np.all(r2.latency_ms == pytest.approx(5.0))


def test_function_pool_constant_traffic_one_instance() -> None:
    # One request a second, 10 ms each, keep-alive 5 s: one cold start, one instance,
    # alive from the first arrival to the last release + keep-alive.
    arrivals = np.arange(100, dtype=float)
    r = simulate_pool(arrivals, np.array([10.0]), np.array([30.0]), keep_alive_s=5.0, rng=rng())
    assert r.cold.sum() == 1 and r.cold[0]
    assert r.peak_instances == 1
    assert r.latency_ms[0] == 30.0 and np.all(r.latency_ms[1:] == 10.0)
    assert r.instance_seconds == pytest.approx(99 + 0.010 + 5.0)


@pytest.mark.parametrize("gap, colds", [(4.0, 0), (6.0, 7)])
def test_single_burst_cold_starts_and_reuse(gap: float, colds: int) -> None:
    # 7 requests at once on an empty pool: exactly 7 cold starts and 7 instances. The
    # same burst again after `gap` s reuses them all if gap < keep-alive (5 s) + 30 ms busy.
    burst = np.zeros(7)
    arrivals = np.concatenate([burst, burst + gap])
    r = simulate_pool(arrivals, np.array([10.0]), np.array([30.0]), keep_alive_s=5.0, rng=rng())
    assert r.cold[:7].all()
    assert r.cold[7:].sum() == colds
    assert r.peak_instances == 7
    first_life = 0.030 + 5.0
    expected = 7 * first_life if colds else 7 * (gap + 0.010 + 5.0)
    if colds:
        expected += 7 * (0.030 + 5.0)
    assert r.instance_seconds == pytest.approx(expected)


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load a = lambda / mu."""
    s = sum(a ** k / math.factorial(k) for k in range(c))
    top = a ** c / math.factorial(c) * c / (c - a)
    return top / (s + top)


@pytest.mark.parametrize("c, rho", [(1, 0.7), (2, 0.8), (4, 0.6)])
def test_poisson_arrivals_match_mmc(c: int, rho: float) -> None:
    g = np.random.default_rng(11)
    mean_ms = 2.0
    lam = rho * c / (mean_ms / 1000.0)  # Requests per second.
    arrivals = np.cumsum(g.exponential(1 / lam, 200_000))
    service = g.exponential(mean_ms, 100_000)
    r = simulate_fleet(arrivals, service, service, slots=c, instances=1, rng=g)
    # Latency = wait + service time; M/M/c: P(wait) = Erlang C, mean wait = C / (c mu - lambda).
    pc = erlang_c(c, rho * c)
    wq = pc / (c / mean_ms - lam / 1000.0)
    assert r.latency_ms.mean() == pytest.approx(mean_ms + wq, rel=0.05)
    # The share of requests that waited at all (latency above its own service time).
    assert r.busy_ms / 1000.0 / arrivals[-1] == pytest.approx(rho * c, rel=0.03)


def test_autoscaler_adds_instances_after_the_lag() -> None:
    # 1 instance, 1 slot, 5 ms per request at 300 requests/s = 1.5 busy vCPUs: at 60 % target the
    # autoscaler wants ceil(1.5 / 0.6) = 3 instances, ready lag_s after its first 10 s interval.
    arrivals = np.arange(0, 60, 1 / 300)
    auto = Autoscale(target_util=0.6, interval_s=10, lag_s=5, min_instances=1, max_instances=10)
    r = simulate_fleet(arrivals, np.array([5.0]), np.array([5.0]), 1, 1, rng(), auto, 0.0, 60.0)
    assert r.peak_instances == 3
    # 1 instance for the first 15 s, then 3: the queue built before 15 s drains afterwards.
    assert r.instance_seconds == pytest.approx(15 * 1 + 45 * 3, rel=1e-6)
    late = r.latency_ms[arrivals[: len(r.latency_ms)] > 40]
    assert np.all(late == pytest.approx(5.0))
