"""The AL2023 ABI check (functions/aws_lambda/check_al2023_abi.py) itself: it
must reject the ordinary build (`make package` runs it on its own zips)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

from conftest import BOOTSTRAP, FUNCTIONS, require

CHECK = FUNCTIONS / "aws_lambda" / "check_al2023_abi.py"


def run_check(*paths: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), *paths], capture_output=True, text=True, timeout=120)


def test_rejects_the_dynamic_gcc12_build() -> None:
    require(BOOTSTRAP.exists(), f"the bootstrap at {BOOTSTRAP}")
    r = run_check(str(BOOTSTRAP))
    assert r.returncode == 1, r.stdout
    assert "needs libstdc++.so.6" in r.stdout and "problems" in r.stdout


# The packaged zips themselves are checked by `make package` (package.sh runs
# check_al2023_abi.py on every ELF and fails the build on any problem), so the
# default suite needs no package and skips nothing.


def test_the_sam_template_passes_aws_cfn_lint() -> None:
    """The SAM template (functions, queue, schedule, IAM) is valid CloudFormation
    as AWS's own linter reads it, with the SAM transform applied."""
    template = FUNCTIONS / "aws_lambda" / "template.yaml"
    linter = pathlib.Path(sys.executable).parent / "cfn-lint"  # Installed beside Python by make deps.
    r = subprocess.run([str(linter), str(template)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_hourly_log_job_is_scheduled_with_least_privilege() -> None:
    """RequestLogs=on: the log job runs hourly (EventBridge Scheduler, the scheduled time as its
    input), may read the raw lines and write the partitions and nothing else; the raw lines reach
    the bucket only through the subscription filters' request lines."""
    from cfnlint.decode import decode

    template, problems = decode(str(FUNCTIONS / "aws_lambda" / "template.yaml"))
    assert not problems, problems
    res = template["Resources"]
    job = res["LogsHourly"]
    assert job["Condition"] == "Logs" and job["Properties"]["Handler"] == "logs_hourly.handle"
    assert (FUNCTIONS / "aws_lambda" / "python" / "logs_hourly.py").exists()
    event = job["Properties"]["Events"]["Hourly"]
    assert event["Type"] == "ScheduleV2" and event["Properties"]["ScheduleExpression"] == "cron(10 * * * ? *)"
    assert "<aws.scheduler.scheduled-time>" in event["Properties"]["Input"]
    grants = {}
    for policy in job["Properties"]["Policies"]:
        for st in policy["Statement"]:
            assert st["Effect"] == "Allow" and isinstance(st["Action"], str), st
            grants[st["Action"]] = st
    assert set(grants) == {"s3:GetObject", "s3:ListBucket", "s3:PutObject"}
    assert grants["s3:GetObject"]["Resource"] == {"Fn::Sub": "${RequestLogBucket.Arn}/logs/*"}
    assert grants["s3:PutObject"]["Resource"] == {"Fn::Sub": "${RequestLogBucket.Arn}/aggregates/*"}
    assert grants["s3:ListBucket"]["Condition"] == {"StringLike": {"s3:prefix": "logs/*"}}
    env = job["Properties"]["Environment"]["Variables"]
    assert env["LIBSEARCH_LOG_PREFIX"] == "logs/" and env["LIBSEARCH_AGGREGATE_PREFIX"] == "aggregates/"
    for name in ("SearchCppRequestLines", "SearchPythonRequestLines"):
        assert res[name]["Properties"]["FilterPattern"] == "{ $.libsearch_request = 1 }"
    stream = res["RequestLogStream"]["Properties"]["ExtendedS3DestinationConfiguration"]
    assert stream["Prefix"] == "logs/" and stream["CompressionFormat"] == "UNCOMPRESSED"
    assert [p["Type"] for p in stream["ProcessingConfiguration"]["Processors"]] == \
        ["Decompression", "CloudWatchLogProcessing", "AppendDelimiterToRecord"]
