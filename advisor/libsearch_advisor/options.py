"""Deployment options: their parameters (with where each default comes from) and their bills.

Defaults marked "assumption" are not published by the provider; override them
with `--set OPTION.PARAM=VALUE` (Python: `options={"lambda-cpp-arm": {"keep_alive_s": 300}}`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from .errors import OptionError
from .prices import MONTH_HOURS, Prices

LAMBDA_MB_PER_VCPU = 1769.0  # "1,769 MB = 1 vCPU" (docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html)


NOT_SHIPPED = ("not shipped: the project builds and deploys x86_64 only (make package, functions/aws_lambda/"
               "template.yaml); shown for comparison, never recommended")
FRONT_DOORS = ("function_url", "apigw_http", "apigw_rest", "alb")
# Operational simplicity, the second tie-break (lower is simpler): a function behind its platform's
# front door < a managed container service < containers behind a load balancer < VMs < two
# platforms at once.
SIMPLICITY = {"lambda": 1, "cloudrun_request": 1, "cloudrun_instance": 2, "fargate": 3, "ec2": 4, "hybrid": 5}


@dataclass
class FunctionOption:
    """A request-scoped function platform: one request per instance at a time."""

    name: str
    label: str
    surface: str  # The profile surface whose samples it uses.
    platform: str  # "lambda" | "cloudrun_request"
    arch: str = "x86"
    memory_mb: float = 1024.0
    vcpu: float = 0.0  # Cloud Run: the configured vCPUs; Lambda: derived from memory_mb.
    keep_alive_s: float = 600.0
    billing_ms: float = 1.0
    platform_cold_ms: float = 0.0
    front_door: str = "apigw_http"  # Lambda: function_url | apigw_http | apigw_rest | alb; Cloud Run: its own
    always_warm: int = 0  # Lambda provisioned concurrency / Cloud Run minimum instances.
    shipped: bool = True
    notes: Dict[str, str] = field(default_factory=dict)
    kind: str = "function"

    def cpu_share(self) -> float:
        return self.memory_mb / LAMBDA_MB_PER_VCPU if self.platform == "lambda" else self.vcpu


@dataclass
class ServiceOption:
    """An always-on fleet of the HTTP service: instances x vCPU slots."""

    name: str
    label: str
    platform: str  # "fargate" | "ec2" | "cloudrun_instance"
    surface: str = "service"
    vcpu: int = 1
    memory_gb: float = 2.0
    min_instances: int = 1
    max_instances: int = 1000
    target_util: float = 0.6
    autoscale: bool = True
    interval_s: float = 60.0
    lag_s: float = 180.0
    scale_in_intervals: int = 5
    ha: bool = True  # High availability: at least 2 instances, in 2 zones.
    load_balancer: str = "alb"  # alb | none | alb_if_several
    requests_per_connection: float = 10.0
    connection_s: float = 60.0
    instance_type: str = ""  # EC2: the price key's instance (prices.json ec2_<type>_hour)
    shipped: bool = True
    notes: Dict[str, str] = field(default_factory=dict)
    kind: str = "service"

    def floor_instances(self) -> int:
        return max(self.min_instances, 2 if self.ha else 1)


@dataclass
class HybridOption:
    """A fixed base fleet of the service for the base load, a function pool for the overflow.

    A request that the base fleet cannot start within `overflow_wait_ms` goes to the function (in a
    deployment: the service answers 503 at once when its queue is full and the caller, or the edge,
    sends the request to the function's URL; the overflowed request pays `reject_ms` for that)."""

    name: str
    label: str
    platform: str = "hybrid"
    surface: str = "service"
    fn_surface: str = "lambda-cpp"
    service_platform: str = "fargate"
    vcpu: int = 1
    memory_gb: float = 2.0
    base_instances: int = 0  # 0: sized for the day's median rate at target_util (at least 1).
    target_util: float = 0.6
    overflow_wait_ms: float = 5.0
    reject_ms: float = 1.0
    memory_mb: float = 1024.0
    keep_alive_s: float = 600.0
    platform_cold_ms: float = 65.0
    requests_per_connection: float = 10.0
    connection_s: float = 60.0
    shipped: bool = True
    notes: Dict[str, str] = field(default_factory=dict)
    kind: str = "hybrid"

    def function_part(self) -> FunctionOption:
        return FunctionOption(self.name + "/overflow", self.label, self.fn_surface, "lambda", "x86", self.memory_mb,
                              keep_alive_s=self.keep_alive_s, platform_cold_ms=self.platform_cold_ms,
                              front_door="function_url")

    def service_part(self) -> ServiceOption:
        return ServiceOption(self.name + "/base", self.label, self.service_platform, self.surface, self.vcpu,
                             self.memory_gb, target_util=self.target_util, autoscale=False, ha=False,
                             requests_per_connection=self.requests_per_connection, connection_s=self.connection_s)


Option = Union[FunctionOption, ServiceOption, HybridOption]

_INIT = "maxday/lambda-perf hello-world Init Duration p50, 1,024 MB, 2026-07..08 (performance-anchors.md 3.1); " \
        "conservative: it includes a process start that the local measurement counts too"
_KEEP = "assumption: providers do not publish idle-reclaim times; the report's intervals include half of it"
_DOOR = "functions/aws_lambda/template.yaml deploys an HTTP API (and a Function URL): the HTTP API is the default"
_HA = "high availability: at least 2 instances in 2 zones (set ha=false for one)"
_CONN = "assumption: clients keep connections alive across a session's searches (1 = a new connection each)"


def default_options() -> List[Option]:
    return [
        FunctionOption("lambda-cpp-x86", "Lambda C++ (x86_64)", "lambda-cpp", "lambda", "x86", platform_cold_ms=65,
                       notes={"platform_cold_ms": _INIT + " (c++ provided.al2023 zip, x86)", "keep_alive_s": _KEEP,
                              "front_door": _DOOR}),
        FunctionOption("lambda-cpp-arm", "Lambda C++ (arm64)", "lambda-cpp", "lambda", "arm", platform_cold_ms=49,
                       shipped=False,
                       notes={"platform_cold_ms": _INIT + " (c++ provided.al2023 zip, arm64)", "keep_alive_s": _KEEP,
                              "front_door": _DOOR, "shipped": NOT_SHIPPED}),
        FunctionOption("lambda-python-x86", "Lambda Python (x86_64)", "lambda-python", "lambda", "x86",
                       platform_cold_ms=84,
                       notes={"platform_cold_ms": _INIT + " (python3.12 zip, x86)", "keep_alive_s": _KEEP,
                              "front_door": _DOOR}),
        FunctionOption("cloudrun-function", "Cloud Run function (Python, request-based)", "gcf-python",
                       "cloudrun_request", memory_mb=512, vcpu=1.0, keep_alive_s=900, billing_ms=100,
                       platform_cold_ms=1500, front_door="cloudrun",
                       notes={"platform_cold_ms": "Cloud Run Python cold start 1.5-2 s (knmts.com, 2024-03-23; "
                                                  "performance-anchors.md 3.2)",
                              "billing_ms": "100 ms rounding (cloud.google.com/run/pricing)",
                              "keep_alive_s": _KEEP, "front_door": "Cloud Run's own HTTPS endpoint (no charge)"}),
        ServiceOption("cloudrun-service", "Cloud Run service (C++, instance-based)", "cloudrun_instance", vcpu=1,
                      memory_gb=0.5, interval_s=10, lag_s=10, load_balancer="none",
                      notes={"lag_s": "assumption: Cloud Run starts a C++ container in < 0.1 s (3.2) and "
                                      "decides within seconds", "load_balancer": "Cloud Run has its own front end",
                             "ha": _HA + "; Cloud Run spreads instances over zones itself"}),
        ServiceOption("fargate-service", "Fargate service (C++, 1 vCPU / 2 GB, x86)", "fargate",
                      notes={"lag_s": "assumption: target tracking on 1-minute metrics, ~3 datapoints", "ha": _HA,
                             "requests_per_connection": _CONN,
                             "connection_s": "ALB idle timeout default (60 s)"}),
        ServiceOption("ec2-vm", "EC2 VM m7i.large (C++, 2 vCPU, x86), sized for the peak", "ec2", vcpu=2,
                      memory_gb=8, autoscale=False, load_balancer="alb_if_several", instance_type="m7i_large",
                      notes={"autoscale": "fixed fleet: instances = peak CPU / (2 vCPU x target_util)", "ha": _HA,
                             "requests_per_connection": _CONN}),
        ServiceOption("ec2-vm-arm", "EC2 VM m7g.large (C++, 2 vCPU, Graviton)", "ec2", vcpu=2,
                      memory_gb=8, autoscale=False, load_balancer="alb_if_several", instance_type="m7g_large",
                      shipped=False,
                      notes={"autoscale": "fixed fleet: instances = peak CPU / (2 vCPU x target_util)", "ha": _HA,
                             "shipped": NOT_SHIPPED, "requests_per_connection": _CONN}),
        HybridOption("hybrid-fargate-lambda", "Hybrid: Fargate base + Lambda C++ overflow",
                     notes={"base_instances": "0 = sized for the day's median rate at target_util (at least 1); "
                                              "no HA pair: the functions take over if the base fails",
                            "overflow_wait_ms": "assumption: the service's queue limit; a request that would wait "
                                                "longer for the base fleet goes to the function (the service sheds "
                                                "it with a 503 and the caller retries on the Function URL; "
                                                "reject_ms is that detour)",
                            "keep_alive_s": _KEEP, "requests_per_connection": _CONN}),
    ]


def select_options(names: Optional[Sequence[str]] = None,
                   overrides: Optional[Mapping[str, Mapping[str, Any]]] = None) -> List[Option]:
    """The default options, optionally only `names`, with parameters overridden."""
    opts = {o.name: o for o in default_options()}
    for n in list(names or []) + list((overrides or {}).keys()):
        if n not in opts:
            raise OptionError(f"unknown option '{n}'; known options: {', '.join(opts)}")
    for n, params in (overrides or {}).items():
        o = opts[n]
        known = {f.name: f for f in dataclasses.fields(o)
                 if f.name not in ("name", "kind", "notes", "surface", "fn_surface", "platform", "service_platform")}
        for k, v in params.items():
            if k not in known:
                raise OptionError(f"option '{n}' has no parameter '{k}'; its parameters: {', '.join(known)}")
            cur = getattr(o, k)
            try:
                v = type(cur)(v) if not isinstance(cur, bool) else _bool(v)
            except (TypeError, ValueError):
                raise OptionError(f"option '{n}': {k} = {v!r} is not a {type(cur).__name__}") from None
            if isinstance(v, (int, float)) and not isinstance(v, bool) and (not math.isfinite(v) or v < 0):
                raise OptionError(f"option '{n}': {k} = {v} must be a finite number >= 0")
            setattr(o, k, v)
            o.notes[k] = "user-set"
        _check(o)
    for o in opts.values():  # High availability is a labelled choice: the label says which way it is set.
        if isinstance(o, ServiceOption) and o.ha:
            o.label += ", HA: 2+ instances in 2 zones"
    return [opts[n] for n in (names or opts)]


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if str(v).lower() in ("1", "true", "yes", "on"):
        return True
    if str(v).lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(v)


def _check(o: Option) -> None:
    if isinstance(o, FunctionOption):
        if o.cpu_share() <= 0:
            raise OptionError(f"option '{o.name}': memory_mb / vcpu must be > 0")
        if o.billing_ms <= 0:
            raise OptionError(f"option '{o.name}': billing_ms must be > 0")
        if o.platform == "lambda" and o.front_door not in FRONT_DOORS:
            raise OptionError(f"option '{o.name}': front_door must be one of {', '.join(FRONT_DOORS)}")
    elif isinstance(o, ServiceOption):
        if o.vcpu < 1 or o.min_instances < 1 or o.max_instances < o.floor_instances():
            raise OptionError(f"option '{o.name}': need vcpu >= 1 and 1 <= min_instances (2 with ha) <= "
                              f"max_instances")
        if not 0 < o.target_util <= 1:
            raise OptionError(f"option '{o.name}': target_util must be in (0, 1]")
        if o.load_balancer not in ("alb", "none", "alb_if_several"):
            raise OptionError(f"option '{o.name}': load_balancer must be alb, none or alb_if_several")
        if o.requests_per_connection < 1:
            raise OptionError(f"option '{o.name}': requests_per_connection must be >= 1")
    else:
        if o.vcpu < 1 or o.memory_mb <= 0 or not 0 < o.target_util <= 1 or o.requests_per_connection < 1:
            raise OptionError(f"option '{o.name}': need vcpu >= 1, memory_mb > 0, target_util in (0, 1] and "
                              f"requests_per_connection >= 1")


def parse_set(items: Sequence[str]) -> Dict[str, Dict[str, str]]:
    """["lambda-cpp-arm.memory_mb=1769", ...] -> {"lambda-cpp-arm": {"memory_mb": "1769"}}."""
    out: Dict[str, Dict[str, str]] = {}
    for it in items:
        key, eq, value = it.partition("=")
        opt, dot, param = key.partition(".")
        if not eq or not dot or not opt or not param:
            raise OptionError(f"--set {it!r}: expected OPTION.PARAM=VALUE, e.g. lambda-cpp-arm.memory_mb=1769")
        out.setdefault(opt, {})[param] = value
    return out


# --- bills ------------------------------------------------------------------------------------------------

MONTH_S = MONTH_HOURS * 3600.0
HTTP_OVERHEAD_BYTES = 300.0  # Status line and headers of an answer, on top of its body.
FREE_TIER_NOTE = ("Free tiers are per account (AWS) or per billing account (Google Cloud) and shared by "
                  "everything in it: every function, service and log group of that account draws on the same "
                  "monthly allowance. Count them only if this deployment is the account's only user.")


@dataclass
class Usage:
    """Monthly usage of one option, from the simulation."""

    requests: float
    billed_ms: float = 0.0  # Functions: billed duration summed over requests (incl. init).
    always_warm_billed_ms: float = 0.0  # Of which on always-warm (provisioned) instances.
    instance_seconds: float = 0.0  # Services: instance time (billed); functions: instance lifetimes.
    peak_instances: int = 0
    avg_qps: float = 0.0
    fn_requests: float = 0.0  # Hybrid: the requests its functions served.
    fn_billed_ms: float = 0.0
    response_bytes: float = 0.0  # Per request: the answer body.
    log_bytes: float = 0.0  # Per request: what the runtime logs.
    cpu_s: float = 0.0  # Services: CPU seconds the searches occupy (for the spare capacity left).


def _gb(nbytes: float) -> float:
    return nbytes / 1e9


def _alb(p: Prices, requests: float, body_bytes: float, rpc: float, conn_s: float, lambda_target: bool) -> float:
    """ALB: the hourly charge plus LCU-hours. An LCU is the largest of four dimensions, per hour:
    25 new connections/s, 3,000 active connections, 1 GB processed (0.4 GB for Lambda targets),
    1,000 rule evaluations/s (one rule here: within the 10 free). Every dimension grows with the
    hour's request rate, so the same one is the largest every hour and the month's LCU-hours are
    the largest of the dimensions' monthly totals."""
    conns = requests / rpc
    lcu_h = max(conns / 25.0 / 3600.0, conns * conn_s / 3000.0 / 3600.0,
                _gb(requests * (body_bytes + HTTP_OVERHEAD_BYTES + 500.0)) / (0.4 if lambda_target else 1.0))
    return MONTH_HOURS * p["alb_hour"] + lcu_h * p["alb_lcu_hour"]


def _egress_logs(cloud: str, u: Usage, p: Prices, free: bool) -> Dict[str, float]:
    out_gb = _gb(u.requests * (u.response_bytes + HTTP_OVERHEAD_BYTES))
    log_gb = _gb(u.requests * u.log_bytes)
    if cloud == "aws":
        return {"egress": max(0.0, out_gb - (p["aws_free_egress_gb"] if free else 0)) * p["aws_egress_gb"],
                "logs": max(0.0, log_gb - (p["cloudwatch_free_logs_gb"] if free else 0)) * p["cloudwatch_logs_gb"]}
    gib = 1.073741824
    return {"egress": max(0.0, out_gb / gib - (p["gcp_free_egress_gib"] if free else 0)) * p["gcp_egress_gib"],
            "logs": max(0.0, log_gb / gib - (p["cloud_logging_free_gib"] if free else 0)) * p["cloud_logging_gib"]}


def _lambda(o: FunctionOption, requests: float, billed_ms: float, warm_billed_ms: float, p: Prices, free: bool,
            body_bytes: float) -> Dict[str, float]:
    gb = o.memory_mb / 1024.0
    gb_s = gb * (billed_ms - warm_billed_ms) / 1000.0
    bill = {"compute": max(0.0, gb_s - (p["lambda_free_gb_s"] if free else 0)) * p[f"lambda_{o.arch}_gb_s"],
            "requests": max(0.0, requests - (p["lambda_free_requests"] if free else 0)) / 1e6
            * p["lambda_requests_per_million"]}
    if o.front_door == "alb":  # Clients keep connections alive as with the services (their defaults).
        bill["front door"] = _alb(p, requests, body_bytes, 10.0, 60.0, True)
    elif o.front_door != "function_url":
        bill["front door"] = requests / 1e6 * p[f"{o.front_door}_per_million"]
    if o.always_warm:
        bill["always warm"] = (o.always_warm * gb * MONTH_S * p["lambda_provisioned_gb_s"]
                               + gb * warm_billed_ms / 1000.0 * p["lambda_provisioned_duration_gb_s"])
    return bill


def monthly_cost(o: Option, u: Usage, p: Prices, free_tier: bool = False) -> Dict[str, float]:
    """The bill, itemised (USD per month). Free tiers only with `free_tier` (FREE_TIER_NOTE)."""
    free = free_tier
    if isinstance(o, FunctionOption):
        if o.platform == "lambda":
            return {**_lambda(o, u.requests, u.billed_ms, u.always_warm_billed_ms, p, free, u.response_bytes),
                    **_egress_logs("aws", u, p, free)}
        secs = u.billed_ms / 1000.0
        bill = {"compute": max(0.0, secs * o.vcpu - (p["cloudrun_request_free_vcpu_s"] if free else 0))
                * p["cloudrun_request_vcpu_s"]
                + max(0.0, secs * o.memory_mb / 1024.0 - (p["cloudrun_request_free_gib_s"] if free else 0))
                * p["cloudrun_request_gib_s"],
                "requests": max(0.0, u.requests - (p["cloudrun_free_requests"] if free else 0)) / 1e6
                * p["cloudrun_requests_per_million"]}
        if o.always_warm:
            bill["always warm"] = o.always_warm * MONTH_S * (o.vcpu * p["cloudrun_idle_vcpu_s"]
                                                             + o.memory_mb / 1024.0 * p["cloudrun_idle_gib_s"])
        return {**bill, **_egress_logs("gcp", u, p, free)}
    if isinstance(o, HybridOption):
        hours = u.instance_seconds / 3600.0
        fn = o.function_part()
        bill = {"compute": hours * (o.vcpu * p["fargate_x86_vcpu_hour"] + o.memory_gb * p["fargate_x86_gb_hour"]),
                "load balancer": _alb(p, u.requests - u.fn_requests, u.response_bytes, o.requests_per_connection,
                                      o.connection_s, False)}
        f = _lambda(fn, u.fn_requests, u.fn_billed_ms, 0.0, p, free, u.response_bytes)
        bill["overflow functions"] = sum(f.values())
        return {**bill, **_egress_logs("aws", u, p, free)}
    hours = u.instance_seconds / 3600.0
    if o.platform == "fargate":
        bill = {"compute": hours * (o.vcpu * p["fargate_x86_vcpu_hour"] + o.memory_gb * p["fargate_x86_gb_hour"])}
    elif o.platform == "ec2":
        bill = {"compute": hours * p[f"ec2_{o.instance_type}_hour"]}
    else:
        vcpu_s, gib_s = u.instance_seconds * o.vcpu, u.instance_seconds * o.memory_gb
        bill = {"compute": max(0.0, vcpu_s - (p["cloudrun_instance_free_vcpu_s"] if free else 0))
                * p["cloudrun_instance_vcpu_s"]
                + max(0.0, gib_s - (p["cloudrun_instance_free_gib_s"] if free else 0)) * p["cloudrun_instance_gib_s"]}
    if o.load_balancer == "alb" or (o.load_balancer == "alb_if_several" and u.peak_instances > 1):
        bill["load balancer"] = _alb(p, u.requests, u.response_bytes, o.requests_per_connection, o.connection_s,
                                     False)
    return {**bill, **_egress_logs("gcp" if o.platform == "cloudrun_instance" else "aws", u, p, free)}


_AWS_EXTRA = ["aws_egress_gb", "aws_free_egress_gb", "cloudwatch_logs_gb", "cloudwatch_free_logs_gb"]
_GCP_EXTRA = ["gcp_egress_gib", "gcp_free_egress_gib", "cloud_logging_gib", "cloud_logging_free_gib"]
_ALB = ["alb_hour", "alb_lcu_hour"]


def _lambda_prices(o: FunctionOption) -> List[str]:
    door = {"function_url": [], "alb": _ALB}.get(o.front_door, [f"{o.front_door}_per_million"])
    warm = ["lambda_provisioned_gb_s", "lambda_provisioned_duration_gb_s"] if o.always_warm else []
    return [f"lambda_{o.arch}_gb_s", "lambda_free_gb_s", "lambda_free_requests", "lambda_requests_per_million",
            *door, *warm]


def required_prices(o: Option) -> List[str]:
    """Checked before simulating, so a missing price fails fast and names itself."""
    if isinstance(o, FunctionOption):
        if o.platform == "lambda":
            return _lambda_prices(o) + _AWS_EXTRA
        warm = ["cloudrun_idle_vcpu_s", "cloudrun_idle_gib_s"] if o.always_warm else []
        return ["cloudrun_request_vcpu_s", "cloudrun_request_free_vcpu_s", "cloudrun_request_gib_s",
                "cloudrun_request_free_gib_s", "cloudrun_free_requests", "cloudrun_requests_per_million",
                *warm] + _GCP_EXTRA
    if isinstance(o, HybridOption):
        return ["fargate_x86_vcpu_hour", "fargate_x86_gb_hour", *_ALB] + _lambda_prices(o.function_part()) + _AWS_EXTRA
    need = {"fargate": ["fargate_x86_vcpu_hour", "fargate_x86_gb_hour"], "ec2": [f"ec2_{o.instance_type}_hour"],
            "cloudrun_instance": ["cloudrun_instance_vcpu_s", "cloudrun_instance_free_vcpu_s",
                                  "cloudrun_instance_gib_s", "cloudrun_instance_free_gib_s"]}[o.platform]
    lb = _ALB if o.load_balancer != "none" else []
    return need + lb + (_GCP_EXTRA if o.platform == "cloudrun_instance" else _AWS_EXTRA)
