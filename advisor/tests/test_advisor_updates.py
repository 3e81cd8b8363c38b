"""The update side's bill (libsearch_advisor.updates) against hand-computed examples, its inputs,
and its measurement with the real library."""

from __future__ import annotations

import gzip
import json
import math
import pathlib

import pytest

from libsearch_advisor import load_prices, select_options
from libsearch_advisor.errors import TrafficError
from libsearch_advisor.model import evaluate
from libsearch_advisor.traffic import Updates, traffic_from_json
from libsearch_advisor.updates import (
    Replicas,
    UpdateCosts,
    bill,
    replicas_of_function,
    replicas_of_service,
)

from advisor_util import synthetic_profile

MONTH_S = 730 * 3600.0
P = load_prices()
# Round numbers, so the examples can be followed by hand.
COSTS = UpdateCosts(apply_ms_per_event=1.0, commit_ms=10.0, files_per_commit=2.0, bytes_per_commit=100_000.0,
                    change_bytes_per_event=50.0, rebuild_ms_per_1k=500.0, index_bytes_per_1k=800_000.0,
                    files_per_index=1.0, export_bytes_per_product=600.0, products=10_000, source="test")
NO_REPLICAS = Replicas(0.0, 10.0, 0.0, 0.0, "none")


def test_a_slow_trickle_of_events_on_aws() -> None:
    # 1 event/s, flat; batches of up to 100 with a 2 s window: a batch holds 1 + 1 x 2 = 3 events.
    u = Updates(events_per_second=1.0, update_memory_mb=1769, refresh_seconds=10)
    items, use = bill("aws", u, COSTS, NO_REPLICAS, P, index_bytes=8e6)
    events, batches = MONTH_S, MONTH_S / 3
    assert use.events == pytest.approx(events) and use.invocations == pytest.approx(batches)
    assert use.mean_batch == pytest.approx(3.0)
    # A batch: 10 ms + 3 x 1 ms (1,769 MB: one vCPU, not slowed) + 6 S3 requests x 30 ms
    # (GET MANIFEST, 2 files + change log + MANIFEST PUTs, LIST) = 193 ms.
    gb_s = batches * 0.193 * 1769 / 1024
    assert items["update function"] == pytest.approx(gb_s * 1.66667e-05 + batches * 0.2 / 1e6)
    # SQS: a send per event, a receive and a delete per batch (3 <= 10 messages), 5 idle pollers
    # every 20 s; $0.40 per million.
    sqs = events + 2 * batches + 5 * MONTH_S / 20
    assert use.queue_requests == pytest.approx(sqs)
    assert items["queue"] == pytest.approx(sqs / 1e6 * 0.40)
    # S3: 4 PUTs + 1 LIST at $0.005 / 1,000, 1 GET at $0.0004 / 1,000 per commit; stored: the 8 MB
    # index, 15 min of uploads (100 KB per commit), half a month of 50-byte change-log lines.
    stored_gb = (8e6 + 100_000 * batches / MONTH_S * 900 + 50 * events / 2) / 1e9
    assert use.stored_gb == pytest.approx(stored_gb)
    assert items["index storage"] == pytest.approx(batches * 5 * 0.005 / 1000 + batches * 0.0004 / 1000
                                                   + stored_gb * 0.023)
    assert items["refresh polls"] == 0.0 and items["rebuilds"] == 0.0


def test_a_busy_stream_fills_the_batches() -> None:
    # 1,000 events/s: every batch is full (100), so 10 invocations a second; a batch of 100 is
    # received and deleted in 10 calls of 10 each.
    u = Updates(events_per_second=1000.0, update_memory_mb=1769)
    _, use = bill("aws", u, COSTS, NO_REPLICAS, P)
    assert use.invocations == pytest.approx(MONTH_S * 10) and use.mean_batch == pytest.approx(100.0)
    assert use.queue_requests == pytest.approx(MONTH_S * 1000 + MONTH_S * 10 * 20 + 5 * MONTH_S / 20)
    # 10 + 100 ms of applying + 180 ms of S3 requests = 290 ms a batch.
    assert use.billed_s == pytest.approx(MONTH_S * 10 * 0.290)
    assert any("commits a second" in w for w in use.warnings)  # 10 commits/s contend for the manifest.


def test_a_business_hours_shape_batches_by_the_hour() -> None:
    # 0.5 events/s on average, all of them 09:00-18:00: 4/3 per second then, 1 + 8/3 = 11/3 a batch.
    u = Updates(events_per_day=43_200, events_shape="business_hours")
    _, use = bill("aws", u, COSTS, NO_REPLICAS, P)
    assert use.events == pytest.approx(0.5 * MONTH_S)
    assert use.mean_batch == pytest.approx(11 / 3, rel=1e-9)


def test_refresh_polls_of_services_and_functions() -> None:
    # Two service instances all month, checking every 10 s: 525,600 GETs of the manifest.
    svc = replicas_of_service(2 * MONTH_S, 2, 10.0)
    assert svc.polls == pytest.approx(525_600)
    # A function pool: 1 M requests over 100,000 instance-seconds (10 a second per instance): a check
    # every 10 s + 0.1 s, 1 M / (1 + 10 x 10) of them.
    fn = replicas_of_function(1e6, 1e5, 40.0, 10.0)
    assert fn.polls == pytest.approx(1e6 / 101) and fn.poll_gap_s == pytest.approx(10.1)
    # Without events and rebuilds a check never finds a change: one GET each, plus the whole index
    # (1 object) for each of the 40 new instances.
    items, use = bill("aws", Updates(), COSTS, fn, P)
    assert use.poll_reads == pytest.approx(1e6 / 101 + 40)
    assert items["refresh polls"] == pytest.approx((1e6 / 101 + 40) * 0.0004 / 1000)
    # With a commit every 3 s (1 event/s, batches of 3), a service instance's check every 10 s finds
    # one with probability 1 - e^(-10/3) and then downloads 2 objects x 10/3 commits' worth.
    _, use = bill("aws", Updates(events_per_second=1.0), COSTS, svc, P)
    changed = 1 - math.exp(-10 / 3)
    assert use.poll_reads == pytest.approx(525_600 * (1 + changed * 2 * 10 / 3) + 2 * 1.0)
    # Halving refresh_seconds doubles the checks.
    assert replicas_of_service(2 * MONTH_S, 2, 5.0).polls == pytest.approx(2 * svc.polls)


def test_rebuilds_on_aws_and_google_cloud() -> None:
    # 100,000 products hourly: 500 ms per 1,000 -> 50 s of CPU (3,008 MB: not slowed), moving 100,000 x
    # (600 + 800) bytes at 80 MB/s = 1.75 s, 7 requests x 30 ms = 0.21 s: 51.96 s at 3,008 MB.
    u = Updates(rebuilds_per_day=24, export_products=100_000)
    items, use = bill("aws", u, COSTS, NO_REPLICAS, P)
    assert use.rebuild_s == pytest.approx(51.96) and use.rebuilds == pytest.approx(730)
    assert items["rebuilds"] == pytest.approx(730 * (51.96 * 3008 / 1024 * 1.66667e-05 + 0.2 / 1e6) + 730 / 1e6)
    # EventBridge Scheduler's 14 M free invocations cover 730.
    free, _ = bill("aws", u, COSTS, NO_REPLICAS, P, free=True)
    assert free["rebuilds"] == pytest.approx(items["rebuilds"] - 730 / 1e6)
    # Google Cloud: 2 vCPU and 4 GiB in 100 ms steps (52.0 s), request fee $0.40 / M, and one Cloud
    # Scheduler job ($0.10 a month; free among the first 3 with --free-tier).
    g, _ = bill("gcp", u, COSTS, NO_REPLICAS, P)
    per = 52.0 * (2 * 2.4e-05 + 4 * 2.5e-06) + 0.4 / 1e6
    assert g["rebuilds"] == pytest.approx(730 * per + 0.10)
    g_free, _ = bill("gcp", u, COSTS, NO_REPLICAS, P, free=True)
    assert g_free["rebuilds"] == pytest.approx(730 * per)
    # 1,000 times the catalogue: one rebuild outlasts a function's 15 minutes, which the report says.
    _, big = bill("aws", Updates(rebuilds_per_day=1, export_products=1e8), COSTS, NO_REPLICAS, P)
    assert any("900 s limit" in w for w in big.warnings)


def test_pubsub_pushes_one_message_per_invocation() -> None:
    # 1 event/s, 1 per message: 2.628 M invocations of 10 + 1 + 180 ms -> 200 ms billed (100 ms steps)
    # at 1 vCPU (not slowed) and 1 GiB; Pub/Sub bills 1,000 bytes per publish and per push.
    u = Updates(events_per_second=1.0)
    items, use = bill("gcp", u, COSTS, NO_REPLICAS, P)
    n = MONTH_S
    assert use.invocations == pytest.approx(n)
    assert items["update function"] == pytest.approx(n * 0.2 * (2.4e-05 + 2.5e-06) + n * 0.4 / 1e6)
    assert items["queue"] == pytest.approx(2 * n * 1000 / 1024 ** 4 * 40)
    # Ten events a message: a tenth of the invocations, each 10 + 10 + 180 ms -> 200 ms.
    _, use10 = bill("gcp", Updates(events_per_second=1.0, events_per_message=10), COSTS, NO_REPLICAS, P)
    assert use10.invocations == pytest.approx(n / 10) and use10.billed_s == pytest.approx(n / 10 * 0.2)
    # A hundred: 10 + 100 + 180 = 290 ms -> 300 ms.
    _, use100 = bill("gcp", Updates(events_per_second=1.0, events_per_message=100), COSTS, NO_REPLICAS, P)
    assert use100.billed_s == pytest.approx(n / 100 * 0.3)


def test_every_option_pays_for_its_updates() -> None:
    t = traffic_from_json({"avg_qps": 2, "updates": {"events_per_second": 0.5, "rebuilds_per_day": 24,
                                                     "export_products": 50_000}}, "t")
    opts = select_options(["lambda-cpp-x86", "fargate-service", "cloudrun-service", "hybrid-fargate-lambda"])
    res = {r.option.name: r for r in evaluate(synthetic_profile(), t, opts, P, cap=20_000)}
    items = ("update function", "queue", "index storage", "refresh polls", "rebuilds")
    for name, r in res.items():
        assert r.updates is not None, name
        assert all(k in r.cost and r.cost[k] >= 0 for k in items), (name, r.cost)
        assert r.cost["update function"] > 0 and r.cost["rebuilds"] > 0
    # The same functions write for every AWS option; the service and the function differ in how
    # their instances follow the index.
    for k in ("update function", "queue", "rebuilds"):
        assert res["lambda-cpp-x86"].cost[k] == pytest.approx(res["fargate-service"].cost[k])
    assert res["cloudrun-service"].updates is not None and res["cloudrun-service"].updates.cloud == "gcp"
    fargate = res["fargate-service"]
    assert fargate.updates is not None
    assert fargate.updates.polls == pytest.approx(fargate.usage.instance_seconds / 10.0)
    # Without "updates" there is no update side.
    plain = evaluate(synthetic_profile(), traffic_from_json({"avg_qps": 2}, "t"), opts[:1], P, cap=20_000)[0]
    assert plain.updates is None and "refresh polls" not in plain.cost


@pytest.mark.parametrize("bad, why", [
    ({"events_per_second": 1, "events_per_day": 5}, "not both"),
    ({"export_products": 1, "export_mb": 5}, "not both"),
    ({"batch_size": 0}, "1 to 10,000"),
    ({"batch_size": 2.5}, "1 to 10,000"),
    ({"batch_window_s": 301}, "300"),
    ({"events_shape": "weekly"}, "unknown events_shape"),
    ({"refresh_seconds": 0}, "> 0"),
    ({"events_per_second": -1}, ">= 0"),
    ({"events_per_message": 0.5}, ">= 1"),
    ({"batches": 3}, "some of"),
])
def test_bad_update_inputs_say_what_is_wrong(bad: dict, why: str) -> None:
    with pytest.raises(TrafficError, match=why):
        traffic_from_json({"avg_qps": 1, "updates": bad}, "t.json")


def test_update_costs_measured_with_the_library(tmp_path: pathlib.Path) -> None:
    pytest.importorskip("libsearch")
    from libsearch_advisor.update_profile import measure_update_costs

    root = pathlib.Path(__file__).resolve().parents[2] / "examples" / "products"
    with gzip.open(root / "products.jsonl.gz", "rt", encoding="utf-8") as f:
        head = [next(f) for _ in range(400)]
    catalogue = tmp_path / "head.jsonl"
    catalogue.write_text("".join(head))
    c = measure_update_costs(catalogue, root / "schema.json")
    assert c.products == 400 and c.files_per_index >= 1 and c.files_per_commit >= 1
    assert c.commit_ms > 0 and c.rebuild_ms_per_1k > 0 and c.index_bytes_per_1k > 0
    assert c.change_bytes_per_event > 20  # {"barcode": ..., "_set": {...}} and the event id.
    assert c.export_bytes_per_product == pytest.approx(sum(len(x.encode()) for x in head) / 400, rel=0.01)
    assert UpdateCosts.from_json(json.loads(json.dumps(c.to_json()))) == c
