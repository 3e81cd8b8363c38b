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
    front_door: str = "function_url"  # Lambda: function_url | apigw_http | apigw_rest
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
    load_balancer: str = "alb"  # alb | none | alb_if_several
    alb_requests_per_lcu: float = 25.0
    notes: Dict[str, str] = field(default_factory=dict)
    kind: str = "service"


Option = Union[FunctionOption, ServiceOption]

_INIT = "maxday/lambda-perf hello-world Init Duration p50, 1,024 MB, 2026-07..08 (performance-anchors.md 3.1); " \
        "conservative: it includes a process start that the local measurement counts too"
_KEEP = "assumption: providers do not publish idle-reclaim times"


def default_options() -> List[Option]:
    return [
        FunctionOption("lambda-cpp-x86", "Lambda C++ (x86_64)", "lambda-cpp", "lambda", "x86", platform_cold_ms=65,
                       notes={"platform_cold_ms": _INIT + " (c++ provided.al2023 zip, x86)", "keep_alive_s": _KEEP}),
        FunctionOption("lambda-cpp-arm", "Lambda C++ (arm64)", "lambda-cpp", "lambda", "arm", platform_cold_ms=49,
                       notes={"platform_cold_ms": _INIT + " (c++ provided.al2023 zip, arm64)", "keep_alive_s": _KEEP}),
        FunctionOption("lambda-python-x86", "Lambda Python (x86_64)", "lambda-python", "lambda", "x86",
                       platform_cold_ms=84,
                       notes={"platform_cold_ms": _INIT + " (python3.12 zip, x86)", "keep_alive_s": _KEEP}),
        FunctionOption("cloudrun-function", "Cloud Run function (Python, request-based)", "gcf-python",
                       "cloudrun_request", memory_mb=512, vcpu=1.0, keep_alive_s=900, billing_ms=100,
                       platform_cold_ms=1500,
                       notes={"platform_cold_ms": "Cloud Run Python cold start 1.5-2 s (knmts.com, 2024-03-23; "
                                                  "performance-anchors.md 3.2)",
                              "billing_ms": "100 ms rounding (cloud.google.com/run/pricing)",
                              "keep_alive_s": _KEEP}),
        ServiceOption("cloudrun-service", "Cloud Run service (C++, instance-based)", "cloudrun_instance", vcpu=1,
                      memory_gb=0.5, interval_s=10, lag_s=10, load_balancer="none",
                      notes={"lag_s": "assumption: Cloud Run starts a C++ container in < 0.1 s (3.2) and "
                                      "decides within seconds", "load_balancer": "Cloud Run has its own front end"}),
        ServiceOption("fargate-service", "Fargate service (C++, 1 vCPU / 2 GB, x86)", "fargate",
                      notes={"lag_s": "assumption: target tracking on 1-minute metrics, ~3 datapoints"}),
        ServiceOption("ec2-vm", "EC2 VM m7g.large (C++, 2 vCPU), sized for the peak", "ec2", vcpu=2, memory_gb=8,
                      autoscale=False, load_balancer="alb_if_several",
                      notes={"autoscale": "fixed fleet: instances = peak CPU / (2 vCPU x target_util)"}),
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
        known = {f.name: f for f in dataclasses.fields(o) if f.name not in ("name", "kind", "notes", "surface")}
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
        if o.front_door not in ("function_url", "apigw_http", "apigw_rest"):
            raise OptionError(f"option '{o.name}': front_door must be function_url, apigw_http or apigw_rest")
    else:
        if o.vcpu < 1 or o.min_instances < 1 or o.max_instances < o.min_instances:
            raise OptionError(f"option '{o.name}': need vcpu >= 1 and 1 <= min_instances <= max_instances")
        if not 0 < o.target_util <= 1:
            raise OptionError(f"option '{o.name}': target_util must be in (0, 1]")
        if o.load_balancer not in ("alb", "none", "alb_if_several"):
            raise OptionError(f"option '{o.name}': load_balancer must be alb, none or alb_if_several")


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


@dataclass
class Usage:
    """Monthly usage of one option, from the simulation."""

    requests: float
    billed_ms: float = 0.0  # Functions: billed duration summed over requests (incl. init).
    instance_seconds: float = 0.0
    peak_instances: int = 0
    avg_qps: float = 0.0


def monthly_cost(o: Option, u: Usage, p: Prices) -> Dict[str, float]:
    """The bill, itemised (USD per month)."""
    if isinstance(o, FunctionOption):
        if o.platform == "lambda":
            gb_s = o.memory_mb / 1024.0 * u.billed_ms / 1000.0
            gb = p[f"lambda_{o.arch}_gb_s"]
            door = {"function_url": "function_url_per_million", "apigw_http": "apigw_http_per_million",
                    "apigw_rest": "apigw_rest_per_million"}[o.front_door]
            return {"duration": max(0.0, gb_s - p["lambda_free_gb_s"]) * gb,
                    "requests": max(0.0, u.requests - p["lambda_free_requests"]) / 1e6
                    * p["lambda_requests_per_million"],
                    "front door": u.requests / 1e6 * p[door]}
        secs = u.billed_ms / 1000.0
        return {"vCPU": max(0.0, secs * o.vcpu - p["cloudrun_request_free_vcpu_s"]) * p["cloudrun_request_vcpu_s"],
                "memory": max(0.0, secs * o.memory_mb / 1024.0 - p["cloudrun_request_free_gib_s"])
                * p["cloudrun_request_gib_s"],
                "requests": max(0.0, u.requests - p["cloudrun_free_requests"]) / 1e6
                * p["cloudrun_requests_per_million"]}
    hours = u.instance_seconds / 3600.0
    if o.platform == "fargate":
        bill = {"tasks": hours * (o.vcpu * p["fargate_x86_vcpu_hour"] + o.memory_gb * p["fargate_x86_gb_hour"])}
    elif o.platform == "ec2":
        bill = {"instances": hours * p["ec2_m7g_large_hour"]}
    else:
        bill = {"vCPU": max(0.0, u.instance_seconds * o.vcpu - p["cloudrun_instance_free_vcpu_s"])
                * p["cloudrun_instance_vcpu_s"],
                "memory": u.instance_seconds * o.memory_gb * p["cloudrun_instance_gib_s"]}
    if o.load_balancer == "alb" or (o.load_balancer == "alb_if_several" and u.peak_instances > 1):
        bill["load balancer"] = MONTH_HOURS * (p["alb_hour"] + u.avg_qps / o.alb_requests_per_lcu * p["alb_lcu_hour"])
    return bill


def required_prices(o: Option) -> List[str]:
    """Checked before simulating, so a missing price fails fast and names itself."""
    if isinstance(o, FunctionOption):
        if o.platform == "lambda":
            door = {"function_url": "function_url_per_million", "apigw_http": "apigw_http_per_million",
                    "apigw_rest": "apigw_rest_per_million"}[o.front_door]
            return [f"lambda_{o.arch}_gb_s", "lambda_free_gb_s", "lambda_free_requests",
                    "lambda_requests_per_million", door]
        return ["cloudrun_request_vcpu_s", "cloudrun_request_free_vcpu_s", "cloudrun_request_gib_s",
                "cloudrun_request_free_gib_s", "cloudrun_free_requests", "cloudrun_requests_per_million"]
    need = {"fargate": ["fargate_x86_vcpu_hour", "fargate_x86_gb_hour"], "ec2": ["ec2_m7g_large_hour"],
            "cloudrun_instance": ["cloudrun_instance_vcpu_s", "cloudrun_instance_free_vcpu_s",
                                  "cloudrun_instance_gib_s"]}[o.platform]
    return need + (["alb_hour", "alb_lcu_hour"] if o.load_balancer != "none" else [])
