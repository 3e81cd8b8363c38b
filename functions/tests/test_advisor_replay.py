"""The advisor's replay check: the simulator against the real local surfaces.

A synthetic trace (libsearch_advisor.replay.synthetic_trace: ~550 requests over
80 s, sessions of lone requests and pairs, quiet gaps that reclaim every
instance; its docstring says why it has that shape) is replayed against
RIE-hosted C++ bootstrap instances that the replay starts and stops by the
model's own rules (keep-alive 1 s), and against one libsearch-service.

The simulator gets the same trace and the surfaces' profile, measured
interleaved with the replay, so that the shared machine's changing load weighs
on the profile and the replay alike (measured only before and after, the
service's p99 moved between the two: docs/design-notes.md, "The advisor's
measurements"):

* Functions: the trace is replayed in four parts, cut where every instance has
  been reclaimed anyway; the profile (60 cold starts, 250 warm requests 100 ms
  apart) is taken in five chunks, before, between and after the parts. p99 falls
  near the 85th percentile of the cold starts.
* Service: one process. Its p99 sits in a tail of rare scheduling hiccups, so
  it needs more samples and finer interleaving: each session of
  the trace is replayed twice at twice the rate (~1100 requests), with a share of
  the profiler's 1000 warm requests (60 ms apart) before each session and after
  the last.

The model's figures are medians over 25 seeds (which samples it draws).
Asserted: the cost drivers, the same cold starts and peak instance count
(exactly) and instance-seconds within 15 %, for both the functions and the
service; and each measured p99 inside the model's 98 % predictive interval for
it (the model run on bootstrap resamples of the profile, so the interval holds
both the profile's and the replay's sampling spread). A p99 is the 6th or 11th
largest of a few hundred latencies, most of them cold starts or scheduling
hiccups: two takes on an idle machine differed by 20 %, so a fixed 15 % bound on
it fails by chance, while a model that is wrong by a factor misses the
interval. A replay that misses is taken again, up to three takes in all (the
fixture's docstring says why).

The table also shows the model run on each half of the profile's samples (odd
and even chunks): their spread is the instrument's own repeatability here.

Writes the measured-vs-predicted table to $LIBSEARCH_BUILD_DIR/advisor-replay.md
(and .json), or to $LIBSEARCH_REPLAY_OUT.{md,json}. Takes about 5 minutes per take.
"""

from __future__ import annotations

import json
import os
import pathlib
import tempfile

import numpy as np
import pytest

from conftest import BOOTSTRAP, BUILD, RIE, SERVICE, advisor_artefacts, require

KEEP_ALIVE_S = 1.0
TOLERANCE = 0.15
SEEDS = 25
# Bootstrap resamples of the profile behind each p99 interval, and the interval's percentiles.
INTERVAL_RUNS, INTERVAL_PCT = 400, (1.0, 99.0)
PARTS = 4
# Functions, per profile chunk (PARTS + 1 chunks): cold starts, warm requests, their spacing in ms.
FN_COLD, FN_WARM, FN_GAP_MS = 12, 50, 100
# The service replays the trace at twice its rate, twice over: its p99 sits in a tail of rare
# scheduling hiccups, and needs ~1000 samples a side to be estimated within a few percent.
SVC_SCALE, SVC_PASSES = 0.5, 2
SVC_WARM, SVC_GAP_MS = 1000, 60  # In all, split evenly around the sessions.


def p99(x: np.ndarray) -> float:
    return float(np.percentile(x, 99))


def split_sessions(times: np.ndarray, parts: int, gap_s: float) -> list:
    """Cuts the trace into `parts` runs of whole sessions (at gaps longer than `gap_s`); 0: one per
    session."""
    cuts = [i + 1 for i in np.nonzero(np.diff(times) > gap_s)[0]]
    if parts == 0:
        return np.split(times, cuts)
    picks = [cuts[round(k * len(cuts) / parts) - 1] for k in range(1, parts)]
    return np.split(times, picks)


def misses(rows: dict) -> list:
    """The checks that fail, as messages: instance-seconds within 15 %, p99 inside its interval."""
    out = []
    for surface in (FKEY, SKEY):
        m, p = rows[surface]["instance_seconds"][:2]
        if abs(p - m) > TOLERANCE * m:
            out.append(f"{surface} instance_seconds: measured {m:.2f}, model {p:.2f}")
        m, (lo, hi) = rows[surface]["p99_ms"][0], rows[surface]["p99_interval_ms"]
        if not lo <= m <= hi:
            out.append(f"{surface} p99_ms: measured {m:.2f}, outside the model's interval {lo:.2f}-{hi:.2f}")
    return out


@pytest.fixture(scope="module")
def measured(catalogue_index: pathlib.Path) -> dict:
    """A replay, taken again if it misses a check, up to three takes (every table is written).
    A burst of scheduling hiccups can land on the replay but not on the profile, or the reverse: in a
    fresh-clone CI run on an otherwise idle machine the first take measured the service's p99 at
    4.15 ms against a 2.71 ms model and the second at 1.90 against 1.82. A wrong model misses every
    take."""
    require(RIE.exists(), f"aws-lambda-rie at {RIE}")
    require(BOOTSTRAP.exists() and SERVICE.exists(), "the bootstrap and libsearch-service (make build)")
    tables = []
    for attempt in (1, 2, 3):
        rows, lines = replay_and_predict(catalogue_index)
        lines[0] += f", attempt {attempt}"
        missed = misses(rows)
        if missed:
            lines += ["", "Missed: " + "; ".join(missed) + "."]
        tables.append("\n".join(lines))
        if not missed:
            break
    out = pathlib.Path(os.environ.get("LIBSEARCH_REPLAY_OUT", BUILD / "advisor-replay"))
    out.with_suffix(".md").write_text("\n\n".join(tables) + "\n")
    out.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    print("\n\n".join(tables))
    return rows


def replay_and_predict(catalogue_index: pathlib.Path) -> tuple:
    import libsearch_advisor
    from libsearch_advisor.profile import QUERIES, SurfaceProfile, warm_requests
    from libsearch_advisor.replay import replay_pool, replay_service, synthetic_trace
    from libsearch_advisor.simulate import simulate_fleet, simulate_pool

    layout = advisor_artefacts()

    def measure_profile() -> SurfaceProfile:
        return libsearch_advisor.profile(catalogue_index, layout, surfaces=["lambda-cpp"],
                                         cold_runs=FN_COLD, warm=FN_WARM, gap_ms=FN_GAP_MS, repeats=1,
                                         log=lambda s: None).surfaces["lambda-cpp"]

    times = synthetic_trace(keep_alive_s=KEEP_ALIVE_S)
    parts = split_sessions(times, PARTS, 1.4 * KEEP_ALIVE_S)
    sessions = split_sessions(times, 0, 1.4 * KEEP_ALIVE_S)
    assert sum(len(x) for x in parts) == len(times) and all(len(x) for x in parts)
    load = os.getloadavg()[0]

    # Functions: the profile in PARTS + 1 chunks around the replay's parts.
    fn_chunks = [measure_profile()]
    fn_lat, fn_cold = [], []
    fn_secs, fn_peak, late = 0.0, 0, 0.0
    with tempfile.TemporaryDirectory() as d:
        for k, part in enumerate(parts):
            work = pathlib.Path(d) / f"part{k}"
            work.mkdir()
            fn = replay_pool(part - part[0], lambda: layout.surfaces()["lambda-cpp"], catalogue_index, KEEP_ALIVE_S,
                             work)
            fn_lat.append(fn.latency_ms)
            fn_cold.append(fn.cold)
            fn_secs += fn.instance_seconds
            fn_peak = max(fn_peak, fn.peak_instances)
            late = max(late, fn.late_ms_max)
            fn_chunks.append(measure_profile())

    # Service: one process. Before each session, after the last, the profiler's warm requests
    # (isolated, SVC_GAP_MS apart); each session replayed SVC_PASSES times at SVC_SCALE x the spacing.
    svc_surface = layout.surfaces()["service"]
    svc_chunks, svc_lat = [], []
    per_chunk = -(-SVC_WARM // (len(sessions) + 1))
    with tempfile.TemporaryDirectory() as d:
        proc = svc_surface.start(catalogue_index, pathlib.Path(d))
        try:
            svc_surface.ready(proc)
            for q in QUERIES * 3:
                svc_surface.search({"query": q, "k": 10})
            for k, session in enumerate(sessions + [None]):
                svc_chunks.append(warm_requests(svc_surface, proc, per_chunk, gap_ms=SVC_GAP_MS, first=k * per_chunk))
                for _ in range(SVC_PASSES if session is not None else 0):
                    svc = replay_service((session - session[0]) * SVC_SCALE, svc_surface, proc)
                    svc_lat.append(svc.latency_ms)
                    late = max(late, svc.late_ms_max)
        finally:
            proc.stop()
    load_after = os.getloadavg()[0]
    fn_latency, fn_is_cold, svc_latency = np.concatenate(fn_lat), np.concatenate(fn_cold), np.concatenate(svc_lat)
    # What the service was sent, as one trace: every session SVC_PASSES times, at SVC_SCALE x the spacing.
    svc_times, t_end = [], 0.0
    for session in sessions:
        for _ in range(SVC_PASSES):
            svc_times.append(t_end + (session - session[0]) * SVC_SCALE)
            t_end = svc_times[-1][-1] + 1.0
    svc_times = np.concatenate(svc_times)

    def pooled(which: range) -> tuple:
        fns = [fn_chunks[i] for i in which if i < len(fn_chunks)]
        svcs = [svc_chunks[i] for i in which if i < len(svc_chunks)]
        lam = SurfaceProfile(sum((p.cold_ms for p in fns), []), sum((p.warm_ms for p in fns), []),
                             sum((p.cpu_ms for p in fns), []))
        return lam, sum((w for w, _ in svcs), []), sum((c for _, c in svcs), [])

    def predict(which: range) -> dict:
        """Median over SEEDS of each figure: the model's expectation, not one draw of it."""
        lam, svc_wall, svc_cpu = pooled(which)
        runs = []
        for seed in range(SEEDS):
            rng = np.random.default_rng(seed)
            # Each part on its own, as replayed (the model would give the same on the whole trace: the
            # parts are cut where every instance is reclaimed).
            fs = [simulate_pool(x - x[0], np.array(lam.warm_ms), np.array(lam.cold_ms), KEEP_ALIVE_S, rng)
                  for x in parts]
            s = simulate_fleet(svc_times, np.array(svc_wall), np.array(svc_cpu), os.cpu_count() or 1, 1, rng,
                               start=0.0, end=float(svc_times[-1]))
            f_lat = np.concatenate([f.latency_ms for f in fs])
            runs.append({
                FKEY: {"instance_seconds": sum(f.instance_seconds for f in fs), "p99_ms": p99(f_lat),
                       "p50_ms": float(np.median(f_lat)), "cold_starts": sum(int(f.cold.sum()) for f in fs),
                       "peak_instances": max(f.peak_instances for f in fs)},
                SKEY: {"instance_seconds": s.instance_seconds, "p99_ms": p99(s.latency_ms),
                       "p50_ms": float(np.median(s.latency_ms))},
            })
        return {sk: {k: float(np.median([r[sk][k] for r in runs])) for k in runs[0][sk]} for sk in runs[0]}

    def p99_interval() -> dict:
        """Where a replay's p99 should fall if the model is right: the model's p99 over
        INTERVAL_RUNS runs, each on a bootstrap resample of the profile (its sampling error) and
        its own draw of samples for the trace (the replay's sampling error)."""
        lam, svc_wall, svc_cpu = pooled(range(n_chunks))
        warm, cold = np.array(lam.warm_ms), np.array(lam.cold_ms)
        wall, cpu = np.array(svc_wall), np.array(svc_cpu)
        f99, s99 = [], []
        for run in range(INTERVAL_RUNS):
            rng = np.random.default_rng(10_000 + run)
            w, c = warm[rng.integers(0, len(warm), len(warm))], cold[rng.integers(0, len(cold), len(cold))]
            fs = [simulate_pool(x - x[0], w, c, KEEP_ALIVE_S, rng) for x in parts]
            f99.append(p99(np.concatenate([f.latency_ms for f in fs])))
            pick = rng.integers(0, len(wall), len(wall))
            s = simulate_fleet(svc_times, wall[pick], cpu[pick], os.cpu_count() or 1, 1, rng, start=0.0,
                               end=float(svc_times[-1]))
            s99.append(p99(s.latency_ms))
        return {FKEY: tuple(float(v) for v in np.percentile(f99, INTERVAL_PCT)),
                SKEY: tuple(float(v) for v in np.percentile(s99, INTERVAL_PCT))}

    n_chunks = max(len(fn_chunks), len(svc_chunks))
    model = predict(range(n_chunks))
    model_odd, model_even = predict(range(0, n_chunks, 2)), predict(range(1, n_chunks, 2))
    real = {
        FKEY: {"instance_seconds": fn_secs, "p99_ms": p99(fn_latency), "p50_ms": float(np.median(fn_latency)),
               "cold_starts": int(fn_is_cold.sum()), "peak_instances": fn_peak},
        # One service ran through the whole trace (the model's window: its first to last request).
        SKEY: {"instance_seconds": float(svc_times[-1] - svc_times[0]), "p99_ms": p99(svc_latency),
               "p50_ms": float(np.median(svc_latency))},
    }
    rows: dict = {sk: {k: (real[sk][k], model[sk][k], model_odd[sk][k], model_even[sk][k]) for k in real[sk]}
                  for sk in real}
    for sk, interval in p99_interval().items():
        rows[sk]["p99_interval_ms"] = interval
    lines = ["# Advisor replay check: measured vs predicted", "",
             f"Trace: {len(times)} requests over {times[-1]:.0f} s (synthetic_trace, seed 2026), "
             f"{int(fn_is_cold.sum())} of them cold starts; keep-alive {KEEP_ALIVE_S:g} s. Functions: replayed "
             f"in {PARTS} parts; the profile measured in {len(fn_chunks)} chunks, before, between the parts and "
             f"after ({len(fn_chunks) * FN_COLD} cold starts, {len(fn_chunks) * FN_WARM} warm requests "
             f"{FN_GAP_MS} ms apart). Service: each of the {len(sessions)} sessions replayed {SVC_PASSES} times at "
             f"{1 / SVC_SCALE:g}x the rate ({len(svc_latency)} requests), with {per_chunk} of the profile's warm "
             f"requests ({SVC_GAP_MS} ms apart) before each session and after the last. Each model figure is the "
             f"median over {SEEDS} seeds. The last two columns run the model on the odd and on the even chunks "
             f"alone (the instrument's repeatability). The p99 interval is the model's "
             f"{INTERVAL_PCT[1] - INTERVAL_PCT[0]:g} % predictive interval ({INTERVAL_RUNS} runs on bootstrap resamples "
             f"of the profile). Load average {load:.2f} before and {load_after:.2f} after, "
             f"on {os.cpu_count()} cores; the dispatcher was at most {late:.1f} ms late. "
             f"Test: functions/tests/test_advisor_replay.py.",
             "", "| surface | figure | measured (replay) | model | model / measured | model, odd chunks "
             "| model, even chunks |", "|---|---|---:|---:|---:|---:|---:|"]
    for surface, figures in rows.items():
        for k, v in figures.items():
            if k == "p99_interval_ms":
                lines.append(f"| {surface} | p99 interval (ms) | | {v[0]:.2f}-{v[1]:.2f} | | | |")
                continue
            m, p, b, a = v
            ratio = f"{p / m:.3f}" if m else "-"
            lines.append(f"| {surface} | {k} | {m:.2f} | {p:.2f} | {ratio} | {b:.2f} | {a:.2f} |")
    return rows, lines


FKEY, SKEY = "functions (RIE + C++ bootstrap, keep-alive 1 s)", "service (1 x libsearch-service)"


def test_replay_ran_the_lifecycle(measured: dict) -> None:
    f = measured[FKEY]
    # The trace's gaps reclaim every instance many times, and its pairs need two at once.
    assert f["cold_starts"][0] >= 30 and f["peak_instances"][0] == 2
    # Every lifecycle decision has a wide margin: which request starts an instance follows from the rules.
    assert f["cold_starts"][0] == f["cold_starts"][1]
    assert f["peak_instances"][0] == f["peak_instances"][1]


@pytest.mark.parametrize("surface", [FKEY, SKEY])
def test_cost_driver_within_15_percent(measured: dict, surface: str) -> None:
    m, p = measured[surface]["instance_seconds"][:2]
    assert abs(p - m) <= TOLERANCE * m, f"{surface} instance_seconds: measured {m:.2f}, model {p:.2f}"


@pytest.mark.parametrize("surface", [FKEY, SKEY])
def test_p99_inside_the_models_interval(measured: dict, surface: str) -> None:
    m, (lo, hi) = measured[surface]["p99_ms"][0], measured[surface]["p99_interval_ms"]
    assert lo < measured[surface]["p99_ms"][1] < hi  # The interval holds the model's own estimate.
    assert lo <= m <= hi, f"{surface} p99: measured {m:.2f} ms, model's interval {lo:.2f}-{hi:.2f} ms"
