"""The advisor's pricing of a sharded catalogue (issue 23 item 4; libsearch_advisor.sharding):
shard count, fan-out invocations per search, the coordinator's time, and when one larger
instance beats sharding."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

from libsearch_advisor.errors import AdvisorInputError
from libsearch_advisor.prices import load_prices
from libsearch_advisor.sharding import (
    LAMBDA_MAX_MB,
    ShardingInputs,
    advise_sharding,
    one_instance,
    plan,
    report,
)

from advisor_util import synthetic_profile

REPO = pathlib.Path(__file__).resolve().parents[2]
GB = 1e9


def inputs(index_gb: float, avg_qps: float = 8.0, peak_qps: float = 20.0, **kw: float) -> ShardingInputs:
    return ShardingInputs(index_gb * GB, kw.pop("search_ms", 20.0), kw.pop("search_p90_ms", 60.0), avg_qps,
                          peak_qps, **kw)  # type: ignore[arg-type]


def test_a_small_index_needs_no_shards() -> None:
    adv = advise_sharding(inputs(0.3), load_prices())
    assert adv.best is not None and adv.best.shards == 1
    assert adv.best.invocations_per_search == 1.0 and adv.best.coordinator_ms == 0.0
    assert "no sharding needed" in adv.reasons[0]


def test_the_fewest_shards_that_fit_a_function() -> None:
    prices = load_prices()
    inp = inputs(30)
    adv = advise_sharding(inp, prices)
    best = adv.best
    assert best is not None and best.fits and best.memory_mb <= LAMBDA_MAX_MB
    # One shard fewer does not fit; each shard holds its part and the others' statistics.
    assert not plan(inp, best.shards - 1, prices).fits
    index_mb = inp.index_bytes / 1024 ** 2
    data_mb = index_mb / best.shards + inp.stats_share * index_mb * (best.shards - 1) / best.shards
    assert best.shard_mb == pytest.approx(data_mb / inp.fill + inp.base_mb)
    # Invocations: a coordinator and every shard, again for next pages and suggestion counts.
    rounds = 1 + inp.next_page_share + inp.suggest_share
    assert best.invocations_per_search == pytest.approx(1 + best.shards * rounds)
    # The coordinator is billed its wait for the slowest shard, more than a shard's median.
    assert best.coordinator_ms > rounds * (inp.invoke_ms + best.shard_ms)
    assert best.latency_ms == best.coordinator_ms
    assert set(best.monthly) == {"compute", "requests", "front door", "egress"}


def test_more_shards_cost_more_and_wait_for_a_worse_tail() -> None:
    prices = load_prices()
    inp = inputs(30)
    a, b = plan(inp, 20, prices), plan(inp, 40, prices)
    assert b.shard_ms < a.shard_ms and b.monthly_cost > a.monthly_cost
    # With times this spread (p90 = 3 x p50) the slowest of 40 is no faster than the slowest of
    # 20; with little spread, more shards answer sooner.
    assert b.latency_ms > a.latency_ms - 1
    steady = inputs(30, search_p90_ms=21.0)
    assert plan(steady, 40, prices).latency_ms < plan(steady, 20, prices).latency_ms
    # The statistics do not shrink with the shard count: memory tends to stats_share x index.
    assert b.shard_mb > inp.stats_share * inp.index_bytes / 1024 ** 2 / inp.fill


def test_no_shard_count_fits_a_very_large_index() -> None:
    adv = advise_sharding(inputs(150), load_prices())
    assert adv.best is None
    assert "No shard count" in adv.reasons[0] and "35 GiB" in adv.reasons[0]
    # A smaller statistics share raises that bound.
    assert advise_sharding(inputs(150, stats_share=0.03), load_prices()).best is not None


def test_one_larger_instance_beats_sharding_above_the_break_even() -> None:
    prices = load_prices()
    quiet = advise_sharding(inputs(30, avg_qps=1.0, peak_qps=2.5), prices)
    busy = advise_sharding(inputs(30, avg_qps=40.0, peak_qps=100.0), prices)
    assert quiet.best and quiet.instance and busy.best and busy.instance
    assert quiet.best.monthly_cost < quiet.instance.monthly_cost
    assert busy.best.monthly_cost > busy.instance.monthly_cost
    assert any("beats sharding" in r for r in busy.reasons)
    # The break-even lies between, and is where the two cost the same.
    be = quiet.break_even_qps
    assert be is not None and 1.0 < be < 40.0
    at = advise_sharding(inputs(30, avg_qps=be, peak_qps=be * 2.5), prices)
    assert at.best and at.instance
    assert at.best.monthly_cost == pytest.approx(at.instance.monthly_cost, rel=0.02)
    # The instance holds the whole index, two at least (high availability), more for the peak.
    inst = one_instance(inputs(30), prices)
    assert inst is not None and inst.memory_gib * 0.7 >= 30 * GB / 1024 ** 3 and inst.instances >= 2
    assert one_instance(inputs(30, avg_qps=400, peak_qps=1000), prices).instances > inst.instances  # type: ignore[union-attr]


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(AdvisorInputError, match="search_p90_ms"):
        advise_sharding(inputs(1, search_ms=10, search_p90_ms=5), load_prices())
    with pytest.raises(AdvisorInputError, match="stats_share"):
        advise_sharding(inputs(1, stats_share=0), load_prices())
    with pytest.raises(AdvisorInputError, match="peak_qps"):
        advise_sharding(inputs(1, avg_qps=5, peak_qps=1), load_prices())


def test_report_and_command_line(tmp_path: pathlib.Path) -> None:
    prices = load_prices()
    md = report(advise_sharding(inputs(30), prices), prices, "test")
    assert md.startswith("# libsearch advisor: test") and "**(best)**" in md and "## One larger instance" in md
    assert "| ec2_r7i_large_hour | 0.1323 |" in md
    profile = tmp_path / "profile.json"
    synthetic_profile().save(profile)
    r = subprocess.run([sys.executable, "-m", "libsearch_advisor", "shards", "--traffic",
                        str(REPO / "examples/advisor/business-hours-shop.json"), "--index-bytes", "30e9",
                        "--search-ms", "20", "--search-p90-ms", "60", "--out", str(tmp_path / "out")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "shards:" in r.stdout and "invocations per search" in r.stdout
    assert (tmp_path / "out" / "shards.md").read_text().startswith("# libsearch advisor: business-hours-shop")
    # From a profile: the search time extrapolated, and said so.
    r = subprocess.run([sys.executable, "-m", "libsearch_advisor", "shards", "--traffic",
                        str(REPO / "examples/advisor/small-shop.json"), "--index-bytes", "5e9",
                        "--profile", str(profile)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "extrapolated" in r.stderr
    r = subprocess.run([sys.executable, "-m", "libsearch_advisor", "shards", "--traffic",
                        str(REPO / "examples/advisor/small-shop.json"), "--index-bytes", "5e9"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "--search-ms" in r.stderr
