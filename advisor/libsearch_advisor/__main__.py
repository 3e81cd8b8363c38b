"""`libsearch-advisor profile|advise|shards ...` (also `python -m libsearch_advisor`)."""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import sys
from typing import List, Optional

from . import advise, profile
from .errors import AdvisorInputError
from .options import parse_set
from .profile import Artefacts


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="libsearch-advisor", description="The serverless-vs-service advisor.")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("profile", help="measure each deployment surface on this machine; writes a profile JSON")
    p.add_argument("index", help="index file to serve")
    p.add_argument("--queries", help="queries: JSON Lines {\"query\": ...} or one per line (default: built-in 20)")
    p.add_argument("--out", required=True, help="profile JSON to write")
    # What each surface runs: a surface is measured only if its programs are given and exist.
    p.add_argument("--bootstrap", type=pathlib.Path, help="the C++ Lambda bootstrap (lambda-cpp)")
    p.add_argument("--rie", type=pathlib.Path,
                   help="aws-lambda-rie, the Lambda emulator (default $LIBSEARCH_RIE, else on PATH)")
    p.add_argument("--lambda-handler-dir", type=pathlib.Path,
                   help="directory of the Python Lambda handler, handler.py (lambda-python)")
    p.add_argument("--gcf-source", type=pathlib.Path, help="the Cloud Run function's main.py (gcf-python)")
    p.add_argument("--service", type=pathlib.Path, help="the libsearch-service binary (service)")
    p.add_argument("--cpp-zip", type=pathlib.Path, help="the lambda-cpp deployment zip (its size is reported)")
    p.add_argument("--python-zip", type=pathlib.Path, help="the lambda-python deployment zip (its size)")
    p.add_argument("--catalogue", help="the catalogue as JSON Lines (plain or .gz): also measure the update side "
                                       "(batches of change events, rebuilds) with the real library")
    p.add_argument("--schema", help="the catalogue's schema (with --catalogue)")
    p.add_argument("--surfaces", help="comma-separated subset of lambda-cpp,lambda-python,gcf-python,service")
    p.add_argument("--cold-runs", type=int, default=10, help="fresh starts per surface (default 10)")
    p.add_argument("--warm", type=int, default=300, help="warm requests per surface (default 300)")
    p.add_argument("--repeats", type=int, default=3,
                   help="measure in this many rounds over the surfaces (default 3): the report's intervals")
    p.add_argument("--gap-ms", type=float, default=100.0,
                   help="idle time before each request and cold start (default 100: isolated requests)")
    a = sub.add_parser("advise", help="simulate every option and write report.md and PNG charts")
    a.add_argument("--profile", required=True, help="profile JSON from `profile`")
    a.add_argument("--traffic", help="traffic JSON (avg/peak QPS, shape, burstiness) or a trace file")
    a.add_argument("--logs", help="instead of --traffic: the hourly log aggregates (dt=.../hour=.../part-0.parquet) "
                                  "under a directory or s3://bucket/prefix, as the surfaces logged your traffic")
    a.add_argument("--prices", help="price overrides (JSON, same names as the defaults)")
    a.add_argument("--out", required=True, help="directory for report.md and the charts")
    a.add_argument("--options", help="comma-separated subset of the options (default: all)")
    a.add_argument("--set", action="append", default=[], metavar="OPTION.PARAM=VALUE",
                   help="override an option parameter, e.g. lambda-cpp-arm.memory_mb=1769 (repeatable)")
    a.add_argument("--p99-target-ms", type=float, help="recommend the cheapest option with p99 at most this")
    a.add_argument("--free-tier", action="store_true",
                   help="count the providers' free tiers (per account and shared by everything in it; off by default)")
    a.add_argument("--rtt-ms", type=float, default=0.0,
                   help="network round trip between your clients and the region, added to every request (the "
                        "profile measures on loopback; default 0)")
    a.add_argument("--seed", type=int, default=7)
    sh = sub.add_parser("shards", help="price a catalogue too large for one function: shard count, fan-out "
                                      "invocations, coordinator time, against one larger instance")
    sh.add_argument("--traffic", required=True, help="traffic JSON or a trace file (its average and peak QPS)")
    sh.add_argument("--index-bytes", type=float, required=True,
                   help="one index of the whole catalogue, in bytes (`libsearch info`: size)")
    sh.add_argument("--search-ms", type=float,
                   help="a search over the whole index, p50 ms on one thread (default: the profile's Lambda "
                        "billed duration, scaled from its index's size)")
    sh.add_argument("--search-p90-ms", type=float, help="its p90 (default: from the profile, or 3 x --search-ms)")
    sh.add_argument("--profile", help="profile JSON (from `profile`) to scale the search time from")
    sh.add_argument("--stats-share", type=float, default=0.2,
                   help="the published statistics' share of the index (default 0.2, measured 0.17-0.22)")
    sh.add_argument("--merge-ms", type=float, default=1.0,
                   help="the coordinator's overhead over its slowest shard (default 1.0; bench/fan_out measures it)")
    sh.add_argument("--invoke-ms", type=float, default=8.0,
                   help="a Lambda-to-Lambda Invoke round trip in the region (default 8, an assumption)")
    sh.add_argument("--max-shards", type=int, default=64)
    sh.add_argument("--prices", help="price overrides (JSON, same names as the defaults)")
    sh.add_argument("--out", help="directory for shards.md")
    args = ap.parse_args(argv)
    try:
        if args.command == "profile":
            if args.cold_runs < 1 or args.warm < 1 or args.gap_ms < 0:
                raise AdvisorInputError("--cold-runs and --warm must be >= 1, --gap-ms >= 0")
            rie = args.rie or os.environ.get("LIBSEARCH_RIE") or shutil.which("aws-lambda-rie")
            artefacts = Artefacts(args.bootstrap, pathlib.Path(rie) if rie else None, args.lambda_handler_dir,
                                  args.gcf_source, args.service, args.cpp_zip, args.python_zip)
            prof = profile(args.index, artefacts, args.queries,
                           args.surfaces.split(",") if args.surfaces else None, args.cold_runs, args.warm,
                           args.gap_ms, args.repeats, catalogue=args.catalogue, schema=args.schema)
            prof.save(args.out)
            for name, s in prof.surfaces.items():
                m = s.summary()
                print(f"{name}: cold p50 {m['cold_p50_ms']:.1f} ms, warm p50 {m['warm_p50_ms']:.2f} ms, "
                      f"p99 {m['warm_p99_ms']:.2f} ms, CPU/query p50 {m['cpu_p50_ms']:.3f} ms")
            if prof.updates:
                u = prof.updates
                print(f"updates: a batch commits in {u['commit_ms']:.1f} ms + {u['apply_ms_per_event']:.3f} ms per "
                      f"event; a rebuild takes {u['rebuild_ms_per_1k']:.0f} ms per 1,000 products")
            print(f"wrote {args.out}")
            return 0
        if args.command == "shards":
            return _shards(args)
        if (args.traffic is None) == (args.logs is None):
            raise AdvisorInputError("give either --traffic FILE or --logs DIR (the hourly log aggregates)")
        from .logs import load_partitions

        traffic = args.traffic if args.logs is None else load_partitions(args.logs)
        adv = advise(args.profile, traffic, args.prices, args.out,
                     args.options.split(",") if args.options else None, parse_set(args.set), args.p99_target_ms,
                     args.seed, free_tier=args.free_tier, rtt_ms=args.rtt_ms)
        for w in adv.warnings:
            print(f"warning: {w}", file=sys.stderr)
        r = adv.recommendation
        print(f"recommendation: {r.option.label}: ${r.monthly_cost:,.2f}/month, p99 {r.p99_ms:.1f} ms")
        if adv.ties:
            print(f"tied on cost with: {', '.join(t.option.label for t in adv.ties)} (broken by cold-start time, "
                  f"then operational simplicity)")
        for b in adv.break_even:
            print(f"break-even: {b.qps:.3g} QPS ({b.function_option} vs {b.service_option})")
        print(f"wrote {', '.join(str(f) for f in adv.files)}")
        return 0
    except AdvisorInputError as e:
        print(f"libsearch-advisor {args.command}: error: {e}", file=sys.stderr)
        return 2


def _shards(args: argparse.Namespace) -> int:
    from .prices import load_prices
    from .profile import load_profile
    from .sharding import ShardingInputs, advise_sharding, report
    from .traffic import load_traffic

    traffic = load_traffic(args.traffic)
    avg, peak = traffic.avg_qps, traffic.peak_qps
    search_ms, p90 = args.search_ms, args.search_p90_ms
    if search_ms is None:
        if args.profile is None:
            raise AdvisorInputError("give --search-ms (a search over the whole index) or --profile to scale it from")
        prof = load_profile(args.profile)
        lam = prof.surface("lambda-cpp", "shards")
        samples = sorted(lam.duration_ms or lam.cpu_ms)
        from .sharding import ShardingInputs as _Inputs

        # Extrapolated from the profiled index's size by the model's exponent: measure a search on
        # one index of the real catalogue (--search-ms) when there is one.
        scale = (args.index_bytes / float(prof.index.get("bytes") or args.index_bytes)) ** _Inputs.size_exponent
        search_ms = samples[len(samples) // 2] * scale
        p90 = p90 or samples[min(len(samples) - 1, int(0.9 * len(samples)))] * scale
        print(f"search time extrapolated from the profile's index ({prof.index.get('bytes', 0):,} bytes): "
              f"{search_ms:.2f} ms p50; give --search-ms measured on one index of the catalogue when you can",
              file=sys.stderr)
    inputs = ShardingInputs(args.index_bytes, search_ms, p90 or 3 * search_ms, avg, peak,
                            stats_share=args.stats_share, merge_ms=args.merge_ms, invoke_ms=args.invoke_ms)
    if args.max_shards < 1:
        raise AdvisorInputError("--max-shards must be >= 1")
    prices = load_prices(args.prices)
    adv = advise_sharding(inputs, prices, args.max_shards)
    for r in adv.reasons:
        print(r)
    if adv.best:
        b = adv.best
        print(f"shards: {b.shards}, {b.invocations_per_search:.2f} invocations per search, coordinator "
              f"{b.coordinator_ms:.1f} ms, p50 {b.latency_ms:.1f} ms, ${b.monthly_cost:,.2f}/month")
    if args.out:
        out = pathlib.Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "shards.md").write_text(report(adv, prices, pathlib.Path(args.traffic).stem))
        print(f"wrote {out / 'shards.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
