"""Traffic: a daily-shape profile (average/peak QPS, shape, burstiness) or a trace file.

Rate over the day: lambda(t) = low + (peak - low) * s(t), where s(t) in [0, 1]
is the shape and `low` is chosen so the day's mean is exactly avg_qps.
Arrivals are a (non-homogeneous) Poisson process of *clumps*; with
burstiness b a clump holds 1 + Geometric extra requests with mean b that
arrive together (b = 0: plain Poisson). The request rate stays lambda(t).
"""

from __future__ import annotations

import json
import math
import pathlib
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Union

import numpy as np

from .errors import TrafficError

DAY = 86400.0
SHAPES = ("flat", "business_hours", "diurnal", "spiky")
REL_TOL = 1e-9
MIN_TRACE_S = 1.0
_FIELDS = {"name", "avg_qps", "peak_qps", "shape", "burstiness", "spikes_per_day", "spike_minutes", "trace",
           "description", "updates"}
_UPDATE_NUMBERS = ("rebuilds_per_day", "rebuild_cpu_s", "rebuild_memory_mb", "events_per_second", "events_per_day",
                   "batch_size", "batch_window_s", "export_products", "export_mb", "refresh_seconds",
                   "update_memory_mb", "events_per_message")
_UPDATE_FIELDS = set(_UPDATE_NUMBERS) | {"events_shape"}


@dataclass(frozen=True)
class Updates:
    """The live index's update side ("updates" in a traffic file; README "Keeping the catalogue
    fresh"): change events through a queue to the update function, the scheduled rebuild of the
    catalogue export, and the serving instances' refresh of the manifest. Defaults are the SAM
    template's (functions/aws_lambda/template.yaml). Priced by libsearch_advisor.updates.

    * events_per_second, or events_per_day: change events (price, stock, ...), spread over the day
      by events_shape (flat, business_hours, diurnal, spiky: at the shape's highest peak);
    * batch_size / batch_window_s: the SQS event source's BatchSize and
      MaximumBatchingWindowInSeconds (one batch = one invocation = one commit);
    * events_per_message: events per Pub/Sub message (a push delivers one message per invocation);
    * export_products, or export_mb (uncompressed JSON Lines): the catalogue the rebuild reads;
      neither: the profiled index's catalogue;
    * rebuilds_per_day; rebuild_cpu_s: one rebuild's CPU seconds if known (0: from the profile's
      measured time per 1,000 products); rebuild_memory_mb and update_memory_mb: the functions';
    * refresh_seconds: how often a serving instance checks the manifest (LIBSEARCH_REFRESH_SECONDS).
    """

    rebuilds_per_day: float = 0.0
    rebuild_cpu_s: float = 0.0
    rebuild_memory_mb: float = 3008.0
    events_per_second: float = 0.0
    events_per_day: float = 0.0
    events_shape: str = "flat"
    batch_size: float = 100.0
    batch_window_s: float = 2.0
    export_products: float = 0.0
    export_mb: float = 0.0
    refresh_seconds: float = 10.0
    update_memory_mb: float = 1024.0
    events_per_message: float = 1.0

    def __post_init__(self) -> None:
        for k in _UPDATE_NUMBERS:
            v = getattr(self, k)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise TrafficError(f"updates: {k} = {v!r}; it must be a finite number >= 0")
        for k in ("rebuild_memory_mb", "update_memory_mb", "refresh_seconds"):
            if getattr(self, k) <= 0:
                raise TrafficError(f"updates: {k} must be > 0")
        if self.events_per_second and self.events_per_day:
            raise TrafficError("updates: give events_per_second or events_per_day, not both")
        if self.export_products and self.export_mb:
            raise TrafficError("updates: give export_products or export_mb, not both")
        if self.events_shape not in SHAPES:
            raise TrafficError(f"updates: unknown events_shape '{self.events_shape}'; use one of {', '.join(SHAPES)}")
        if not 1 <= self.batch_size <= 10_000 or self.batch_size != int(self.batch_size):
            raise TrafficError(f"updates: batch_size = {self.batch_size}; SQS allows an integer from 1 to 10,000")
        if self.batch_window_s > 300:
            raise TrafficError(f"updates: batch_window_s = {self.batch_window_s}; SQS allows at most 300 s")
        if self.events_per_message < 1:
            raise TrafficError("updates: events_per_message must be >= 1")

    @property
    def event_rate(self) -> float:
        """Change events per second, on average over the day."""
        return self.events_per_second or self.events_per_day / DAY


@dataclass(frozen=True)
class TrafficProfile:
    name: str
    avg_qps: float
    peak_qps: float
    shape: str = "flat"
    burstiness: float = 0.0
    spikes_per_day: int = 3
    spike_minutes: float = 15.0
    updates: Optional[Updates] = None

    def __post_init__(self) -> None:
        where = f"traffic '{self.name}'"
        for k in ("avg_qps", "peak_qps", "burstiness", "spike_minutes"):
            v = getattr(self, k)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise TrafficError(f"{where}: {k} = {v!r}; it must be a finite number >= 0")
        if self.avg_qps <= 0:
            raise TrafficError(f"{where}: avg_qps must be > 0 (got {self.avg_qps})")
        if self.shape not in SHAPES:
            raise TrafficError(f"{where}: unknown shape '{self.shape}'; use one of {', '.join(SHAPES)}")
        if self.peak_qps < self.avg_qps:
            raise TrafficError(f"{where}: peak_qps {self.peak_qps} is below avg_qps {self.avg_qps}")
        if not isinstance(self.spikes_per_day, int) or self.spikes_per_day < 1:
            raise TrafficError(f"{where}: spikes_per_day must be an integer >= 1")
        if self.shape == "spiky" and self.spikes_per_day * self.spike_minutes >= 1440:
            raise TrafficError(f"{where}: {self.spikes_per_day} spikes of {self.spike_minutes} min cover the "
                               f"whole day; use fewer or shorter spikes, or shape 'flat'")
        m = self.shape_mean()
        # Equalities hold to a relative tolerance (REL_TOL): a rescaled profile (the cost sweep, 0.5x,
        # 2x, ...) multiplies both rates by one factor, and the products may differ in the last bit.
        # Within it, the peak is snapped to its exact bound, so the shape's invariants hold exactly.
        if self.shape == "flat":
            if abs(self.peak_qps - self.avg_qps) > REL_TOL * self.avg_qps:
                raise TrafficError(f"{where}: a flat shape has peak_qps == avg_qps (got {self.peak_qps} vs "
                                   f"{self.avg_qps}); omit peak_qps or choose another shape")
            object.__setattr__(self, "peak_qps", self.avg_qps)
        elif self.avg_qps < self.peak_qps * m * (1 - REL_TOL):
            raise TrafficError(f"{where}: with shape '{self.shape}' the rate averages {m:.1%} of its peak, so "
                               f"avg_qps {self.avg_qps} cannot reach peak_qps {self.peak_qps}: raise avg_qps to "
                               f">= {self.peak_qps * m:.4g} or lower peak_qps to <= {self.avg_qps / m:.4g}")
        elif self.avg_qps < self.peak_qps * m:
            object.__setattr__(self, "peak_qps", self.avg_qps / m)  # At the bound: the low rate is 0.

    def shape_mean(self) -> float:
        return {"flat": 1.0, "business_hours": 9 / 24, "diurnal": 0.5,
                "spiky": self.spikes_per_day * self.spike_minutes / 1440.0}[self.shape]

    def shape_at(self, t: np.ndarray) -> np.ndarray:
        """s(t) in [0, 1] for seconds since midnight."""
        h = (t % DAY) / 3600.0
        if self.shape == "flat":
            return np.ones_like(h)
        if self.shape == "business_hours":
            return ((h >= 9) & (h < 18)).astype(float)
        if self.shape == "diurnal":
            return (1 - np.cos(2 * np.pi * (h - 3) / 24)) / 2  # Lowest at 03:00, highest at 15:00.
        # spiky: evenly spaced spikes, the first centred at DAY / (2n).
        period = DAY / self.spikes_per_day
        into = (t % DAY) % period
        half = self.spike_minutes * 30.0
        return (np.abs(into - period / 2) < half).astype(float)

    def low_qps(self) -> float:
        m = self.shape_mean()
        return self.avg_qps if m >= 1 else max(0.0, (self.avg_qps - self.peak_qps * m) / (1 - m))

    def rate_at(self, t: np.ndarray) -> np.ndarray:
        lo = self.low_qps()
        return lo + (self.peak_qps - lo) * self.shape_at(t)

    def mean_rate(self, t0: float, t1: float) -> float:
        """The mean request rate over [t0, t1): exact for spikes (which may be shorter than the
        interval, or fall between sample points), the mean of 12 points otherwise."""
        if self.shape != "spiky":
            return float(self.rate_at(t0 + (np.arange(12) + 0.5) * (t1 - t0) / 12).mean())
        period = DAY / self.spikes_per_day
        half = self.spike_minutes * 30.0
        k0, k1 = math.floor((t0 - period / 2 - half) / period), math.ceil((t1 - period / 2 + half) / period)
        inside = sum(max(0.0, min(t1, k * period + period / 2 + half) - max(t0, k * period + period / 2 - half))
                     for k in range(k0, k1 + 1))
        lo = self.low_qps()
        return lo + (self.peak_qps - lo) * inside / (t1 - t0)

    def scaled(self, avg_qps: float) -> "TrafficProfile":
        """The same shape and peak/average ratio at another average."""
        peak = avg_qps if self.shape == "flat" else avg_qps * (self.peak_qps / self.avg_qps)
        return TrafficProfile(self.name, avg_qps, peak, self.shape, self.burstiness,
                              self.spikes_per_day, self.spike_minutes, self.updates)

    def arrivals(self, t0: float, t1: float, rng: np.random.Generator, step: float = 60.0,
                 rate: Optional[float] = None) -> np.ndarray:
        """Sorted arrival times in [t0, t1); the rate is taken per `step` seconds (or fixed at `rate`)."""
        chunks: List[np.ndarray] = []
        t = t0
        while t < t1:
            e = min(t + step, t1)
            # The step's mean rate, so the day's count is right even where a spike edge falls
            # inside a step.
            lam = rate if rate is not None else self.mean_rate(t, e)
            chunks.append(_clumped_poisson(t, e, lam, self.burstiness, rng))
            t = e
        return np.sort(np.concatenate(chunks)) if chunks else np.empty(0)


def _clumped_poisson(t0: float, t1: float, qps: float, b: float, rng: np.random.Generator) -> np.ndarray:
    if qps <= 0 or t1 <= t0:
        return np.empty(0)
    clumps = rng.poisson(qps * (t1 - t0) / (1 + b))
    starts = rng.uniform(t0, t1, clumps)
    if b == 0:
        return starts
    sizes = rng.geometric(1 / (1 + b), clumps)  # Mean 1 + b.
    return np.repeat(starts, sizes)


@dataclass(frozen=True)
class Trace:
    """Recorded arrivals (seconds from the first), repeated to fill a month for costs."""

    name: str
    times: np.ndarray
    updates: Optional[Updates] = None
    span: Optional[float] = None  # Seconds covered, when known (whole hours of logs); else first to last.

    @property
    def duration(self) -> float:
        """Seconds the trace covers: `span`, or its first to last timestamp, at least MIN_TRACE_S (a
        trace whose timestamps are all equal is one burst, not an infinite rate)."""
        if self.span is not None:
            return max(self.span, MIN_TRACE_S)
        return max(float(self.times[-1] - self.times[0]) if len(self.times) > 1 else 0.0, MIN_TRACE_S)

    @property
    def avg_qps(self) -> float:
        return len(self.times) / self.duration

    @property
    def peak_qps(self) -> float:
        """The busiest one-second window."""
        s = np.floor(self.times).astype(np.int64)
        return float(np.bincount(s - s.min()).max())


def load_trace(path: Union[str, pathlib.Path], name: Optional[str] = None) -> Trace:
    """One timestamp (seconds, e.g. Unix time with a fraction) per line; blank lines and
    '#' comments are skipped; timestamps must not decrease."""
    p = pathlib.Path(path)
    try:
        lines = p.read_text().splitlines()
    except OSError as e:
        raise TrafficError(f"cannot read trace {p}: {e.strerror}") from None
    out: List[float] = []
    for n, line in enumerate(lines, 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        try:
            v = float(s)
        except ValueError:
            raise TrafficError(f"{p}:{n}: '{s[:40]}' is not a timestamp; each line must be one number of "
                               f"seconds (e.g. 1764201600.125)") from None
        if not math.isfinite(v) or v < 0:
            raise TrafficError(f"{p}:{n}: timestamp {s} must be a finite number >= 0")
        if out and v < out[-1]:
            raise TrafficError(f"{p}:{n}: timestamp {s} is earlier than the line before ({out[-1]}); "
                               f"sort the file (sort -n)")
        out.append(v)
    if len(out) < 2:
        raise TrafficError(f"{p}: a trace needs at least 2 timestamps, found {len(out)}")
    t = np.array(out)
    return Trace(name or p.stem, t - t[0])


Traffic = Union[TrafficProfile, Trace]


def traffic_from_json(raw: Any, where: str, base: Optional[pathlib.Path] = None) -> Traffic:
    if not isinstance(raw, dict):
        raise TrafficError(f"{where}: expected a JSON object")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise TrafficError(f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(_FIELDS))}")
    name = str(raw.get("name") or (base.stem if base else "traffic"))
    updates = None
    if "updates" in raw:
        u = raw["updates"]
        if not isinstance(u, dict) or set(u) - _UPDATE_FIELDS:
            raise TrafficError(f"{where}: \"updates\" must be an object with some of "
                               f"{', '.join(sorted(_UPDATE_FIELDS))}")
        try:
            updates = Updates(**u)
        except TrafficError as e:
            raise TrafficError(f"{where}: {e}") from None
    if "trace" in raw:
        tp = pathlib.Path(raw["trace"])
        t = load_trace(tp if tp.is_absolute() or base is None else base.parent / tp, name)
        return Trace(t.name, t.times, updates)
    if "avg_qps" not in raw:
        raise TrafficError(f"{where}: missing avg_qps (or give \"trace\": FILE)")
    kw: Dict[str, Any] = {k: raw[k] for k in ("shape", "burstiness", "spikes_per_day", "spike_minutes") if k in raw}
    try:
        return TrafficProfile(name, raw["avg_qps"], raw["peak_qps"] if "peak_qps" in raw else raw["avg_qps"],
                              updates=updates, **kw)
    except TrafficError as e:
        raise TrafficError(f"{where}: {e}") from None


def load_traffic(path: Union[str, pathlib.Path]) -> Traffic:
    """A traffic JSON file, or a trace (any file that is not JSON: one timestamp per line)."""
    p = pathlib.Path(path)
    try:
        text = p.read_text()
    except OSError as e:
        raise TrafficError(f"cannot read traffic file {p}: {e.strerror}") from None
    if text.lstrip().startswith("{"):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as e:
            raise TrafficError(f"{p}:{e.lineno}:{e.colno}: not valid JSON ({e.msg})") from None
        return traffic_from_json(raw, str(p), p)
    return load_trace(p)
