"""The advisor's replay check: the simulator against the real local surfaces.

A synthetic trace (libsearch.advisor.replay.synthetic_trace: sessions of 1-3
simultaneous requests, quiet gaps of 0.5-2 x the keep-alive) is replayed
against RIE-hosted C++ bootstrap instances that the replay starts and stops by
the model's own rules (keep-alive 3 s), and against one libsearch-service.
The simulator gets the same trace and the profile measured here just before.
Asserted: the same cold starts and peak instance count (exactly), and the
instance-seconds within 15 %.

p99 latency is reported, not held to 15 %: on this shared 2-core machine the
p99 of the *same* surface, measured twice a minute apart, moves by more than
15 % (other processes' load sets the tail; the last column of the table re-runs
the model with a profile measured right after the replay to show it), and the
local replay starts up to 3 instances at once on 2 cores, which no cloud does.
The functions' p99 is checked coarsely (within a factor of 2): it sits among
the cold starts, so a model that got the cold starts wrong would miss it by
far more.

Writes the measured-vs-predicted table to $LIBSEARCH_BUILD_DIR/advisor-replay.md
(and .json). Takes about 3 minutes.
"""

from __future__ import annotations

import json
import os
import pathlib
import tempfile

import numpy as np
import pytest

from conftest import BOOTSTRAP, BUILD, RIE, ROOT, SERVICE, require

KEEP_ALIVE_S = 3.0
TOLERANCE = 0.15


def p99(x: np.ndarray) -> float:
    return float(np.percentile(x, 99))


@pytest.fixture(scope="module")
def measured(catalogue_index: pathlib.Path) -> dict:
    require(RIE.exists(), f"aws-lambda-rie at {RIE}")
    require(BOOTSTRAP.exists() and SERVICE.exists(), "the bootstrap and libsearch-service (make build)")
    import libsearch.advisor
    from libsearch.advisor.profile import QUERIES, Layout
    from libsearch.advisor.replay import replay_pool, replay_service, synthetic_trace
    from libsearch.advisor.simulate import simulate_fleet, simulate_pool

    def measure_profile():  # Isolated requests (150 ms apart, the trace's shortest gap).
        return libsearch.advisor.profile(catalogue_index, build_dir=BUILD, source_dir=ROOT,
                                         surfaces=["lambda-cpp", "service"], cold_runs=20, warm=100, gap_ms=150,
                                         log=lambda s: None)

    profile = measure_profile()
    layout = Layout(BUILD, ROOT)
    times = synthetic_trace(seconds=45.0, keep_alive_s=KEEP_ALIVE_S)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as d:
        fn = replay_pool(times, lambda: layout.surfaces()["lambda-cpp"], catalogue_index, KEEP_ALIVE_S,
                         pathlib.Path(d))
    svc_surface = layout.surfaces()["service"]
    with tempfile.TemporaryDirectory() as d:
        proc = svc_surface.start(catalogue_index, pathlib.Path(d))
        try:
            svc_surface.ready(proc)
            for q in QUERIES * 3:
                svc_surface.search({"query": q, "k": 10})
            svc = replay_service(times, svc_surface, proc)
        finally:
            proc.stop()
    after = measure_profile()

    def predict(prof: "libsearch.advisor.Profile") -> tuple:
        lam, ser = prof.surfaces["lambda-cpp"], prof.surfaces["service"]
        rng = np.random.default_rng(1)
        f = simulate_pool(times, np.array(lam.warm_ms), np.array(lam.cold_ms), KEEP_ALIVE_S, rng)
        s = simulate_fleet(times, np.array(ser.warm_ms), np.array(ser.cpu_ms), os.cpu_count() or 1, 1, rng,
                           start=0.0, end=float(times[-1]))
        return f, s

    model_fn, model_svc = predict(profile)
    again_fn, again_svc = predict(after)
    fkey, skey = "functions (RIE + C++ bootstrap, keep-alive 3 s)", "service (1 x libsearch-service)"
    rows = {
        fkey: {
            "instance_seconds": (fn.instance_seconds, model_fn.instance_seconds, again_fn.instance_seconds),
            "p99_ms": (p99(fn.latency_ms), p99(model_fn.latency_ms), p99(again_fn.latency_ms)),
            "p50_ms": (float(np.median(fn.latency_ms)), float(np.median(model_fn.latency_ms)),
                       float(np.median(again_fn.latency_ms))),
            "cold_starts": (int(fn.cold.sum()), int(model_fn.cold.sum()), int(again_fn.cold.sum())),
            "peak_instances": (fn.peak_instances, model_fn.peak_instances, again_fn.peak_instances),
        },
        skey: {
            "instance_seconds": (svc.instance_seconds, model_svc.instance_seconds, again_svc.instance_seconds),
            "p99_ms": (p99(svc.latency_ms), p99(model_svc.latency_ms), p99(again_svc.latency_ms)),
            "p50_ms": (float(np.median(svc.latency_ms)), float(np.median(model_svc.latency_ms)),
                       float(np.median(again_svc.latency_ms))),
        },
    }
    lines = [f"# Advisor replay check: measured vs predicted", "",
             f"Trace: {len(times)} requests over {times[-1]:.0f} s (synthetic_trace, seed 2026); keep-alive "
             f"{KEEP_ALIVE_S:g} s; the model uses the profile measured just before (20 cold starts, 100 warm "
             f"requests 150 ms apart); the last column re-runs the model with the same profile measured again "
             f"right after (the instrument's repeatability). Load average {load:.2f} on {os.cpu_count()} cores; "
             f"the dispatcher was at most {fn.late_ms_max:.1f} ms late. Test: functions/tests/test_advisor_replay.py.",
             "", "| surface | figure | measured (replay) | model | model / measured | model, profile after |",
             "|---|---|---:|---:|---:|---:|"]
    for surface, figures in rows.items():
        for k, (m, p, a) in figures.items():
            ratio = f"{p / m:.3f}" if m else "-"
            lines.append(f"| {surface} | {k} | {m:.2f} | {p:.2f} | {ratio} | {a:.2f} |")
    out = pathlib.Path(os.environ.get("LIBSEARCH_REPLAY_OUT", BUILD / "advisor-replay"))
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    out.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    print("\n".join(lines))
    return rows


FKEY, SKEY = "functions (RIE + C++ bootstrap, keep-alive 3 s)", "service (1 x libsearch-service)"


def test_replay_ran_the_lifecycle(measured: dict) -> None:
    f = measured[FKEY]
    # The trace's gaps reclaim every instance several times, and its clumps need several at once.
    assert f["cold_starts"][0] >= 10 and f["peak_instances"][0] >= 2
    # Clumps are 150 ms apart: which request starts an instance follows from the rules alone.
    assert f["cold_starts"][0] == f["cold_starts"][1]
    assert f["peak_instances"][0] == f["peak_instances"][1]


def test_model_instance_seconds_within_15_percent(measured: dict) -> None:
    m, p, _ = measured[FKEY]["instance_seconds"]
    assert abs(p - m) <= TOLERANCE * m, f"instance-seconds: measured {m:.2f}, model {p:.2f}"


def test_model_p99_of_functions_within_a_factor_of_2(measured: dict) -> None:
    m, p, _ = measured[FKEY]["p99_ms"]
    assert m / 2 <= p <= 2 * m, f"p99: measured {m:.2f} ms, model {p:.2f} ms"
