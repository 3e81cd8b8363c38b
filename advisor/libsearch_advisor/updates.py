"""The update side's bill (issue 18): what keeping a live index fresh costs, per option.

The deployment (README "Keeping the catalogue fresh", functions/aws_lambda/template.yaml) is the
same whatever serves the searches: change events go through a queue to the update function, each
batch becomes one commit in object storage, a scheduled function rebuilds the index from the
catalogue export, and every serving instance checks the manifest at most every refresh_seconds.
On AWS: SQS, a Lambda update function (BatchSize, MaximumBatchingWindowInSeconds), S3 and an
EventBridge Scheduler rule starting a Lambda rebuild. On Google Cloud: a Pub/Sub push to a Cloud
Run function per message, Cloud Storage (gs://, its JSON API) and a Cloud Scheduler
job. A service option gets its updates exactly so: the same functions, and its instances refresh
in the background.

The arithmetic, per month (730 h), with r(t) the event rate over the day (Updates.events_shape):

* batches: an SQS poller starts a batch at the first message and closes it after the window W or
  at B messages, so a batch holds n(r) = min(B, 1 + r W) events and there are r / n(r) batches a
  second; one batch is one invocation and one commit;
* update function: each batch bills commit_ms + apply_ms_per_event x n (the profile's measurement
  of the real library on a local store, slowed below one vCPU) + S3_REQUEST_MS for each of its
  sequential requests (GET MANIFEST, a PUT per new file, the change log, the MANIFEST, a LIST for
  the garbage collection);
* SQS: a SendMessage per event, a ReceiveMessage and a DeleteMessageBatch per 10 messages of a
  batch, and the event source's idle long polls (SQS_IDLE_POLLERS every 20 s);
* S3: the commits' PUTs and LISTs (class A on GCS), their GETs (class B), the rebuild's; storage
  of the index, of the garbage kept for the grace period (GC_GRACE_S: bytes uploaded per second x
  the grace) and of the change logs (kept a day past a rebuild; without rebuilds they pile up, and
  the month's average is counted);
* refresh polls: a service instance checks every refresh_seconds R: instance-seconds / R GETs. A
  function instance checks before a request once R has passed: with requests at rate q per
  instance, a check every R + 1/q seconds, so requests / (1 + q R) GETs. A check that finds a new
  commit downloads the files of the commits since the last check (at most the files the manifest
  names, files_live); every new instance downloads the whole index, and so does every live
  instance after a rebuild;
* rebuilds: rebuild_ms_per_1k x products / 1000 (or the traffic's rebuild_cpu_s), slowed below
  one vCPU, plus moving the export and the index at S3_MB_S, billed as the rebuild function's
  GB-s; one scheduler invocation each (Cloud Scheduler: one job a month).

Free tiers (with --free-tier): SQS's first million requests, EventBridge Scheduler's 14 million
invocations, Pub/Sub's 10 GiB, Cloud Scheduler's 3 jobs. The Lambda and Cloud Run free tiers are
left to the serving functions, which draw on them first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .prices import MONTH_HOURS, Prices
from .traffic import DAY, TrafficProfile, Updates

MONTH_S = MONTH_HOURS * 3600.0
DAYS_PER_MONTH = MONTH_HOURS / 24.0
LAMBDA_MB_PER_VCPU = 1769.0
S3_REQUEST_MS = 30.0  # Assumption: one small S3 request's round trip from Lambda in the region.
S3_MB_S = 80.0  # Assumption: one stream's throughput between S3 and a function.
GC_GRACE_S = 900.0  # RemoteWriterOptions' default grace period (docs/format.md "Remote indexes").
SQS_IDLE_POLLERS = 5  # Lambda's SQS event source long-polls with 5 connections when the queue is idle.
SQS_LONG_POLL_S = 20.0
SQS_MESSAGES_PER_CALL = 10  # ReceiveMessage and DeleteMessageBatch take at most 10 messages.
PUBSUB_MIN_BYTES = 1000.0  # Pub/Sub bills at least 1,000 bytes per publish and per push.
EXPORT_LAG_S = 900.0  # The template's schedule starts the rebuild at :15; it replays what came since :00.
LAMBDA_TIMEOUT_S = 900.0
GCP_REBUILD_VCPU, GCP_REBUILD_GIB = 2.0, 4.0  # README's deploy: --memory 4Gi (2 vCPU by default).
GCP_UPDATE_VCPU = 1.0
ITEMS = ("update function", "queue", "index storage", "refresh polls", "rebuilds")


@dataclass(frozen=True)
class UpdateCosts:
    """The library's own update costs, measured by `libsearch-advisor profile --catalogue` (the
    real RemoteWriter, handle_update_body and handle_rebuild_event on a local store: object-store
    latency is not in them) or the committed DEFAULT_COSTS."""

    apply_ms_per_event: float  # One more change event in a batch.
    commit_ms: float  # A batch's fixed cost: open the writer, commit, publish, collect garbage.
    files_per_commit: float  # Objects a commit uploads (the manifest and change log excluded).
    bytes_per_commit: float
    change_bytes_per_event: float  # Its line in the change log.
    rebuild_ms_per_1k: float  # A rebuild's time per 1,000 products (export to published index).
    index_bytes_per_1k: float
    files_per_index: float  # Objects of a freshly rebuilt index.
    export_bytes_per_product: float  # Uncompressed JSON Lines.
    products: float  # The measured catalogue's size (the default when the traffic gives none).
    source: str = ""
    files_live: float = 0.0  # Objects a manifest names after a stream of commits (merges bound it).

    def to_json(self) -> Dict[str, Any]:
        return dict(self.__dict__)

    @staticmethod
    def from_json(raw: Mapping[str, Any]) -> "UpdateCosts":
        return UpdateCosts(**{k: raw[k] for k in UpdateCosts.__dataclass_fields__ if k in raw})


# Measured with `libsearch-advisor profile --catalogue examples/products/products.jsonl.gz --schema
# examples/products/schema.json` (libsearch_advisor.update_profile) on the 2-core reference VM.
DEFAULT_COSTS = UpdateCosts(
    apply_ms_per_event=0.3622, commit_ms=264.398, files_per_commit=2.86, bytes_per_commit=1927496.1,
    change_bytes_per_event=56.7, rebuild_ms_per_1k=149.11, index_bytes_per_1k=802582.4, files_per_index=1.0,
    export_bytes_per_product=665.0, products=10_000, files_live=7.0,
    source="the committed defaults, measured 2026-12-07 by libsearch_advisor.update_profile on the bundled "
           "10,000 products (products.jsonl.gz) on the shared 2-core VM (1-minute load average 6.0, other builds "
           "running: likely overstated; three runs gave 264-276 ms a commit, 0.25-0.36 ms an event, 133-171 ms "
           "per 1,000 products rebuilt): 5 rounds of SQS batches of 1, 100, 1000 price changes and 3 rebuilds, "
           "on a local store (no object-store latency)")


def event_rates(u: Updates) -> List[float]:
    """The event rate (per second) of each minute of the day."""
    rate = u.event_rate
    if rate <= 0:
        return [0.0] * 1440
    t = TrafficProfile("events", rate, rate, u.events_shape)
    t = TrafficProfile("events", rate, rate / t.shape_mean(), u.events_shape)  # The shape's highest peak.
    return [t.mean_rate(m * 60.0, m * 60.0 + 60.0) for m in range(1440)]


def batch_size(rate: float, u: Updates) -> float:
    """Events per batch at `rate` events per second (module docstring)."""
    return min(u.batch_size, 1.0 + rate * u.batch_window_s)


def _cpu_factor(memory_mb: float) -> float:
    return max(1.0, LAMBDA_MB_PER_VCPU / memory_mb)


def commit_requests(c: UpdateCosts) -> Tuple[float, float, float]:
    """(PUT, GET, LIST) requests of one commit."""
    return c.files_per_commit + 2.0, 1.0, 1.0  # Files, change log, MANIFEST; GET MANIFEST; LIST files/.


def batch_ms(n: float, c: UpdateCosts, slowdown: float = 1.0) -> float:
    """One update invocation's duration with `n` events (before rounding up to the billing step),
    its CPU part `slowdown` times the measured (a Lambda below one vCPU)."""
    put, get, lst = commit_requests(c)
    return (c.commit_ms + c.apply_ms_per_event * n) * slowdown + S3_REQUEST_MS * (put + get + lst)


@dataclass
class Replicas:
    """The serving side's part: what one option's instances do in a month (from the simulation)."""

    polls: float  # Manifest GETs.
    poll_gap_s: float  # Mean time between one instance's checks.
    new_instances: float  # Instances started (each downloads the whole index).
    mean_instances: float  # Instances alive on average (each downloads a rebuilt index).
    how: str  # In words, for the report.


def replicas_of_function(requests: float, instance_seconds: float, colds: float, refresh_s: float) -> Replicas:
    q = requests / instance_seconds if instance_seconds > 0 else 0.0
    polls = requests / (1.0 + q * refresh_s)
    return Replicas(polls, refresh_s + (1.0 / q if q > 0 else 0.0), colds, instance_seconds / MONTH_S,
                    "each instance checks before a request once refresh_seconds have passed")


def replicas_of_service(instance_seconds: float, peak: int, refresh_s: float) -> Replicas:
    return Replicas(instance_seconds / refresh_s, refresh_s, float(peak), instance_seconds / MONTH_S,
                    "each instance checks every refresh_seconds in the background")


@dataclass
class UpdateUsage:
    """A month of the update side, for the report's section (counts, not dollars)."""

    cloud: str
    events: float = 0.0
    invocations: float = 0.0  # Update-function invocations (= commits).
    mean_batch: float = 0.0
    billed_s: float = 0.0  # Update function, summed.
    queue_requests: float = 0.0  # SQS requests; Pub/Sub: billed bytes.
    writes: float = 0.0  # S3 PUT + LIST / GCS class A.
    reads: float = 0.0  # S3 GET / GCS class B, commits and rebuilds.
    poll_reads: float = 0.0  # The replicas' GETs: checks and downloads.
    polls: float = 0.0
    stored_gb: float = 0.0
    rebuilds: float = 0.0
    rebuild_s: float = 0.0  # One rebuild's billed seconds.
    products: float = 0.0
    replicas: str = ""
    warnings: List[str] = field(default_factory=list)


def products_of(u: Updates, c: UpdateCosts) -> float:
    if u.export_products:
        return u.export_products
    if u.export_mb and c.export_bytes_per_product > 0:
        return u.export_mb * 1e6 / c.export_bytes_per_product
    return c.products


def rebuild_seconds(u: Updates, c: UpdateCosts, products: float, memory_mb: float) -> float:
    """One rebuild's duration: its CPU part (slowed below one vCPU), moving the export and the
    index, and its requests (the export, the change logs since the export, the index's files)."""
    cpu = u.rebuild_cpu_s if u.rebuild_cpu_s > 0 else c.rebuild_ms_per_1k * products / 1000.0 / 1000.0
    moved = products * (c.export_bytes_per_product + c.index_bytes_per_1k / 1000.0) / 1e6 / S3_MB_S
    return cpu * _cpu_factor(memory_mb) + moved + S3_REQUEST_MS / 1000.0 * (c.files_per_index + 6.0)


def _month_batches(u: Updates) -> Tuple[float, float]:
    """(events, batches) a month."""
    ev = bat = 0.0
    for r in event_rates(u):
        ev += 60.0 * r
        bat += 60.0 * r / batch_size(r, u) if r > 0 else 0.0
    return ev * DAYS_PER_MONTH, bat * DAYS_PER_MONTH


def _receives(u: Updates) -> float:
    """SQS ReceiveMessage + DeleteMessageBatch calls a month for the batches."""
    calls = 0.0
    for r in event_rates(u):
        if r > 0:
            n = batch_size(r, u)
            calls += 60.0 * r / n * 2.0 * math.ceil(n / SQS_MESSAGES_PER_CALL - 1e-9)
    return calls * DAYS_PER_MONTH


def bill(cloud: str, u: Updates, c: UpdateCosts, rep: Replicas, p: Prices, free: bool = False,
         index_bytes: Optional[float] = None) -> Tuple[Dict[str, float], UpdateUsage]:
    """The update side's items (ITEMS) for an option on `cloud` ("aws" | "gcp") whose instances
    do `rep`, and the counts behind them."""
    products = products_of(u, c)
    idx_bytes = c.index_bytes_per_1k * products / 1000.0 if (u.export_products or u.export_mb or not index_bytes) \
        else index_bytes
    files_index = max(1.0, c.files_per_index)
    use = UpdateUsage(cloud, products=products, replicas=rep.how)
    if cloud == "aws":
        events, batches = _month_batches(u)
        per_batch = [(60.0 * r / batch_size(r, u), batch_size(r, u)) for r in event_rates(u) if r > 0]
        slow = _cpu_factor(u.update_memory_mb)
        billed_ms = sum(k * math.ceil(batch_ms(n, c, slow) - 1e-9) for k, n in per_batch) * DAYS_PER_MONTH
        sqs = events + _receives(u) + SQS_IDLE_POLLERS * MONTH_S / SQS_LONG_POLL_S
    else:
        events = u.event_rate * MONTH_S
        batches = events / u.events_per_message
        step = 100.0  # Cloud Run bills in 100 ms steps.
        billed_ms = batches * math.ceil(batch_ms(u.events_per_message, c) / step - 1e-9) * step  # 1 vCPU.
        msg_bytes = c.change_bytes_per_event * u.events_per_message
        sqs = 2.0 * batches * max(PUBSUB_MIN_BYTES, msg_bytes)  # Publish and push: billed bytes.
    use.events, use.invocations = events, batches
    use.mean_batch = events / batches if batches else 0.0
    use.billed_s = billed_ms / 1000.0
    use.queue_requests = sqs
    commits_per_s = batches / MONTH_S
    put, get, lst = commit_requests(c)
    rebuilds = u.rebuilds_per_day * DAYS_PER_MONTH
    use.rebuilds = rebuilds
    replayed_logs = commits_per_s * EXPORT_LAG_S
    use.writes = batches * (put + lst) + rebuilds * (files_index + 1.0 + 3.0)  # + MANIFEST; LISTs: files, changes.
    use.reads = batches * get + rebuilds * (2.0 + replayed_logs)  # The export, MANIFEST, the change logs.
    changed = 1.0 - math.exp(-commits_per_s * rep.poll_gap_s) if commits_per_s > 0 else 0.0
    # The files of every commit since the last check, but never more than the manifest names.
    per_change = c.files_per_commit * max(1.0, commits_per_s * rep.poll_gap_s)
    if c.files_live > 0:
        per_change = min(per_change, c.files_live)
    use.polls = rep.polls
    use.poll_reads = rep.polls * (1.0 + changed * per_change) + (rep.new_instances + rep.mean_instances * rebuilds) \
        * files_index
    uploaded_per_s = (batches * c.bytes_per_commit + rebuilds * idx_bytes) / MONTH_S
    logs_bytes = c.change_bytes_per_event * events
    kept_logs = logs_bytes / MONTH_S * (DAY + DAY / max(u.rebuilds_per_day, 1e-9)) if rebuilds else logs_bytes / 2.0
    use.stored_gb = (idx_bytes + uploaded_per_s * GC_GRACE_S + kept_logs) / 1e9
    # Google Cloud: 2 vCPU, so the single-threaded build is not slowed.
    one = rebuild_seconds(u, c, products, u.rebuild_memory_mb if cloud == "aws" else LAMBDA_MB_PER_VCPU)
    use.rebuild_s = one if rebuilds else 0.0
    if rebuilds and one > LAMBDA_TIMEOUT_S:
        use.warnings.append(f"one rebuild takes about {one:,.0f} s, more than a function's 900 s limit: split the "
                            f"catalogue, or run the rebuild as a task (Fargate/Cloud Run job)")
    if commits_per_s > 5:
        use.warnings.append(f"{commits_per_s:.1f} commits a second contend for one MANIFEST: raise the batch size "
                            f"or window (events_per_message on Pub/Sub)")
    items: Dict[str, float] = {}
    if cloud == "aws":
        gb = u.update_memory_mb / 1024.0
        items["update function"] = (billed_ms / 1000.0 * gb * p["lambda_x86_gb_s"]
                                    + batches / 1e6 * p["lambda_requests_per_million"])
        items["queue"] = max(0.0, sqs - (p["sqs_free_requests"] if free else 0.0)) / 1e6 * p["sqs_requests_per_million"]
        items["index storage"] = (use.writes / 1000.0 * p["s3_put_per_1000"] + use.reads / 1000.0 * p["s3_get_per_1000"]
                                  + use.stored_gb * p["s3_gb_month"])
        items["refresh polls"] = use.poll_reads / 1000.0 * p["s3_get_per_1000"]
        sched = max(0.0, rebuilds - (p["eventbridge_scheduler_free"] if free else 0.0)) / 1e6 \
            * p["eventbridge_scheduler_per_million"]
        items["rebuilds"] = rebuilds * (math.ceil(round(one * 1000.0, 6)) / 1000.0 * u.rebuild_memory_mb / 1024.0
                                        * p["lambda_x86_gb_s"] + p["lambda_requests_per_million"] / 1e6) + sched
    else:
        items["update function"] = (billed_ms / 1000.0 * (GCP_UPDATE_VCPU * p["cloudrun_request_vcpu_s"]
                                                          + 1.0 * p["cloudrun_request_gib_s"])
                                    + batches / 1e6 * p["cloudrun_requests_per_million"])
        tib = 1024.0 ** 4
        items["queue"] = max(0.0, sqs - (p["pubsub_free_gib"] * 1024.0 ** 3 if free else 0.0)) / tib * p["pubsub_tib"]
        items["index storage"] = (use.writes / 1000.0 * p["gcs_class_a_per_1000"]
                                  + use.reads / 1000.0 * p["gcs_class_b_per_1000"] + use.stored_gb * p["gcs_gb_month"])
        items["refresh polls"] = use.poll_reads / 1000.0 * p["gcs_class_b_per_1000"]
        billed_rebuild = math.ceil(round(one * 10.0, 6)) / 10.0
        jobs = 0.0 if not rebuilds or (free and p["cloud_scheduler_free_jobs"] >= 1) else 1.0
        items["rebuilds"] = (rebuilds * (billed_rebuild * (GCP_REBUILD_VCPU * p["cloudrun_request_vcpu_s"]
                                                           + GCP_REBUILD_GIB * p["cloudrun_request_gib_s"])
                                         + p["cloudrun_requests_per_million"] / 1e6)
                             + jobs * p["cloud_scheduler_job_month"])
    return items, use


PRICES_AWS = ["sqs_requests_per_million", "sqs_free_requests", "s3_put_per_1000", "s3_get_per_1000", "s3_gb_month",
              "eventbridge_scheduler_per_million", "eventbridge_scheduler_free", "lambda_x86_gb_s",
              "lambda_requests_per_million"]
PRICES_GCP = ["pubsub_tib", "pubsub_free_gib", "gcs_class_a_per_1000", "gcs_class_b_per_1000", "gcs_gb_month",
              "cloud_scheduler_job_month", "cloud_scheduler_free_jobs", "cloudrun_request_vcpu_s",
              "cloudrun_request_gib_s", "cloudrun_requests_per_million"]
