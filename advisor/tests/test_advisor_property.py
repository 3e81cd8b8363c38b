"""Acceptance 1 of issue 20: any valid traffic file (flat, shaped, traced; 0.01-10,000 QPS) produces a
report, and none crashes; with or without an "updates" object (issue 18: events, batching, export,
rebuilds, refresh), whose items are then in every option's bill.

Hypothesis draws traffic files within the documented limits and writes them as a user would; each
goes through `advise` with a report written (a small simulation cap and sweep grid keep it quick: the
code paths are the same). The rescaling that the cost sweep and the 0.5x/2x/10x columns apply to the
user's traffic is checked apart, on many more examples, since it is where flat shapes used to crash
(`peak_qps == avg_qps` broken in the last bit by the rescale).
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import tempfile

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from libsearch_advisor import advise, load_traffic
from libsearch_advisor.model import MULTIPLES, scaled
from libsearch_advisor.traffic import SHAPES, TrafficProfile
from libsearch_advisor.updates import ITEMS as UPDATE_ITEMS

from advisor_util import synthetic_profile

PROFILE = synthetic_profile()
# Deterministic in CI (the same examples every run, no example database written); set
# ADVISOR_PROPERTY_EXAMPLES=500 to explore more, with fresh random examples.
EXPLORE = int(os.environ.get("ADVISOR_PROPERTY_EXAMPLES", "0"))


def examples(n: int) -> settings:
    return settings(max_examples=EXPLORE or n, deadline=None, derandomize=not EXPLORE, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
QPS = st.floats(min_value=0.01, max_value=10_000, allow_nan=False, allow_infinity=False)


@st.composite
def traffic_files(draw: st.DrawFn) -> dict:
    """A valid traffic JSON object: any shape, an average in 0.01..10,000 QPS, a peak the shape can reach."""
    shape = draw(st.sampled_from(SHAPES))
    avg = draw(QPS)
    raw: dict = {"name": "prop", "avg_qps": avg, "shape": shape,
                 "burstiness": draw(st.sampled_from([0.0, 0.5, 1.0, 3.0]))}
    if shape == "spiky":
        raw["spikes_per_day"] = draw(st.integers(1, 6))
        raw["spike_minutes"] = draw(st.sampled_from([1.0, 15.0, 60.0]))
    t = TrafficProfile("x", avg, avg, shape, spikes_per_day=raw.get("spikes_per_day", 3),
                       spike_minutes=raw.get("spike_minutes", 15.0))
    if shape != "flat":
        top = avg / t.shape_mean()  # The highest peak the shape can reach at this average.
        raw["peak_qps"] = draw(st.sampled_from([avg, top, avg + (top - avg) * draw(st.floats(0, 1))]))
    elif draw(st.booleans()):
        raw["peak_qps"] = avg
    if draw(st.booleans()):
        raw["updates"] = draw(update_objects())
    return raw


@st.composite
def update_objects(draw: st.DrawFn) -> dict:
    """A valid "updates" object: any subset of its fields, each anywhere in its allowed range."""
    u: dict = {}
    rate = st.floats(min_value=0, max_value=2_000, allow_nan=False, allow_infinity=False)
    which = draw(st.sampled_from(["events_per_second", "events_per_day", None]))
    if which == "events_per_second":
        u[which] = draw(rate)
    elif which == "events_per_day":
        u[which] = draw(rate) * 86_400
    if draw(st.booleans()):
        u["events_shape"] = draw(st.sampled_from(SHAPES))
    if draw(st.booleans()):
        u["batch_size"] = draw(st.integers(1, 10_000))
    if draw(st.booleans()):
        u["batch_window_s"] = draw(st.floats(0, 300))
    if draw(st.booleans()):
        u["export_products"] = draw(st.floats(1, 5e7))
    elif draw(st.booleans()):
        u["export_mb"] = draw(st.floats(0.01, 50_000))
    if draw(st.booleans()):
        u["rebuilds_per_day"] = draw(st.sampled_from([0, 1, 24, 96, 1440]))
    if draw(st.booleans()):
        u["refresh_seconds"] = draw(st.floats(0.1, 3600))
    if draw(st.booleans()):
        u["events_per_message"] = draw(st.floats(1, 1000))
    if draw(st.booleans()):
        u["rebuild_memory_mb"] = draw(st.sampled_from([128, 1024, 3008, 10240]))
    return u


@st.composite
def trace_files(draw: st.DrawFn) -> str:
    """A valid trace: 2..400 sorted timestamps at an average rate in 0.01..10,000 QPS, some clumped."""
    n = draw(st.integers(2, 400))
    rate = draw(QPS)
    gaps = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).exponential(1 / rate, n - 1)
    if draw(st.booleans()):
        gaps[::3] = 0.0  # Requests arriving together.
    t0 = draw(st.sampled_from([0.0, 1_764_201_600.0]))
    return "\n".join(f"{x:.6f}" for x in t0 + np.concatenate([[0.0], np.cumsum(gaps)])) + "\n"


def _check_report(path: pathlib.Path, updates: bool = False) -> None:
    with tempfile.TemporaryDirectory() as d:
        out = pathlib.Path(d)
        a = advise(PROFILE, path, out=out, cap=2_000, sweep_qps=[0.01, 10_000])
        md = (out / "report.md").read_text()
        assert md.startswith("# libsearch advisor:") and "**Recommendation:" in md
        assert (out / "report.html").read_text().startswith("<!DOCTYPE html>")
        for png in ("cost_vs_qps.png", "latency.png"):
            assert (out / png).read_bytes()[:4] == b"\x89PNG"
        assert a.recommendation.option.shipped
        for r in a.results:
            assert math.isfinite(r.monthly_cost) and r.monthly_cost >= 0, r.option.name
            assert r.cost_range[0] <= r.monthly_cost <= r.cost_range[1]
            assert r.p99_range[0] <= r.p99_ms <= r.p99_range[1]
            if updates:
                assert r.updates is not None
                assert all(math.isfinite(r.cost[k]) and r.cost[k] >= 0 for k in UPDATE_ITEMS), r.cost
        assert ("## Keeping the index fresh" in md) == updates


@examples(10)
@given(traffic_files())
def test_any_traffic_file_gives_a_report(raw: dict) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = pathlib.Path(d) / "traffic.json"
        p.write_text(json.dumps(raw))
        _check_report(p, "updates" in raw)


@examples(3)
@given(trace_files())
def test_any_trace_gives_a_report(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = pathlib.Path(d) / "trace.txt"
        p.write_text(text)
        _check_report(p)


@examples(400)
@given(traffic_files(), st.lists(st.floats(0.001, 1000), min_size=1, max_size=5))
def test_rescaling_keeps_the_shape(raw: dict, factors: list) -> None:
    t = load_traffic_from(raw)
    for f in list(factors) + list(MULTIPLES):
        s = scaled(t, t.avg_qps * f)
        assert isinstance(s, TrafficProfile) and s.shape == t.shape
        if s.shape == "flat":
            assert s.peak_qps == s.avg_qps
        else:
            assert s.peak_qps == s.avg_qps * (t.peak_qps / t.avg_qps) or s.peak_qps == s.avg_qps / s.shape_mean()
            assert s.low_qps() >= 0


def load_traffic_from(raw: dict) -> TrafficProfile:
    with tempfile.TemporaryDirectory() as d:
        p = pathlib.Path(d) / "t.json"
        p.write_text(json.dumps(raw))
        t = load_traffic(p)
    assert isinstance(t, TrafficProfile)
    return t


def test_the_averages_that_crashed() -> None:
    # The issue's cases: a flat file at these averages exited 2 ("a flat shape has peak_qps ==
    # avg_qps (got 46.41588833612778 vs 46.41588833612777)") once the cost sweep rescaled it.
    for avg in (5, 10, 20, 50, 100, 200):
        t = TrafficProfile("flat", float(avg), float(avg))
        for q in np.logspace(-2, 3, 16):
            assert scaled(t, float(q)).peak_qps == float(q)
