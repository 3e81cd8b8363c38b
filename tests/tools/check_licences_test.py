#!/usr/bin/env python3
"""Runs functions/aws_lambda/check_licences.py on the link maps of two builds of
tests/install/consumer.cc (a program that embeds libsearch as users do): the
plain one must pass and list libstemmer, ICU and the other libraries; the one
that also links Xapian must fail naming Xapian's GPL. Also checks that the
shipped notices name every component and that the binaries themselves
scan as they should.

Usage: check_licences_test.py SOURCE_DIR PLAIN_MAP PLAIN_BINARY XAPIAN_MAP XAPIAN_BINARY
"""

import subprocess
import sys


def run(args):
    proc = subprocess.run([sys.executable] + args, capture_output=True, text=True)
    sys.stdout.write(proc.stdout + proc.stderr)
    return proc.returncode, proc.stdout


def main():
    source, plain_map, plain_bin, xapian_map, xapian_bin = sys.argv[1:6]
    checker = f"{source}/functions/aws_lambda/check_licences.py"
    notices = ["--notices", f"{source}/THIRD_PARTY_NOTICES.md", "--project-dir", source]
    failures = []

    code, out = run([checker, *notices, "--scan", plain_bin, plain_map])
    if code != 0:
        failures.append("the plain consumer failed the licence check")
    for expected in ("Snowball libstemmer", "BSD-3-Clause", "ICU", "Zstandard", "xxHash", "zlib",
                     "CRoaring", "libsearch", "Apache-2.0"):
        if expected not in out:
            failures.append(f"the plain consumer's listing lacks {expected!r}")
    if "Xapian" in out:
        failures.append("the plain consumer links Xapian")

    code, out = run([checker, *notices, xapian_map])
    if code != 1 or "FAIL" not in out or "Xapian is GPL-2.0-or-later" not in out:
        failures.append("the Xapian-linked consumer's map passed, or failed for another reason")
    code, out = run([checker, *notices, "--scan", xapian_bin, plain_map])
    if code != 1 or "contains Xapian (GPL-2.0-or-later) code" not in out:
        failures.append("the scan did not find Xapian in the Xapian-linked binary")

    for f in failures:
        print("check_licences_test: FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
