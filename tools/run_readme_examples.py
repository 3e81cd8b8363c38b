#!/usr/bin/env python3
"""Runs the CLI tour in README.md exactly as written, in a scratch directory,
and checks the output the README shows.

Each `$CLI ...` command (and shell lines such as `echo ... > file`) must exit 0.
Comment lines right after a command that show output are checked: every shown
line must appear in the command's output, except lines with timings
("... in 404 us", "docs/s"), which vary. A `<next_cursor ...>` placeholder is
filled with the next_cursor of the same query run with --json.

Usage: run_readme_examples.py CLI_BINARY REPO_ROOT"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile


def tour_lines(readme: str):
    block = readme.split("## A five-minute tour of the CLI", 1)[1]
    block = block.split("```sh", 1)[1].split("```", 1)[0]
    lines, pending = [], ""
    for raw in block.splitlines():
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        lines.append(pending + raw)
        pending = ""
    return lines


def main() -> int:
    cli, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    readme = open(os.path.join(root, "README.md"), encoding="utf-8").read()
    failures, commands, checked = [], 0, 0
    with tempfile.TemporaryDirectory() as work:
        os.symlink(os.path.join(root, "examples"), os.path.join(work, "examples"))
        last_output, last_cmd = "", ""
        for line in tour_lines(readme):
            text = line.strip()
            if not text:
                last_cmd = ""  # Output comments follow their command directly.
                continue
            if text.startswith("CLI="):
                continue
            if text.startswith("#"):
                shown = text[1:].strip()
                if not last_cmd or re.search(r"\bin [0-9.]+ (us|s)\b|docs/s", shown) or \
                        not re.match(r"^(\d+\.|facet |\(|q\d+ Q0|did you mean|indexed )", shown):
                    continue  # Narrative comment or timing-dependent output.
                checked += 1
                normalised = [" ".join(out.split()) for out in last_output.splitlines()]
                if " ".join(shown.split()) not in normalised:
                    failures.append(f"{last_cmd}\n  README shows: {shown}\n  output was:\n{last_output}")
                continue
            command = re.sub(r"\s+#.*$", "", text) if "$CLI" in text else text
            if "<next_cursor" in command:
                base = re.sub(r"--search-after '[^']*'", "", command)
                out = subprocess.run(base.replace("$CLI", shlex.quote(cli)) + " --json", shell=True,
                                     cwd=work, capture_output=True, text=True)
                cursor = json.loads(out.stdout)["next_cursor"]
                command = re.sub(r"'<next_cursor[^']*'", shlex.quote(cursor), command)
            run = subprocess.run(command.replace("$CLI", shlex.quote(cli)), shell=True, cwd=work,
                                 capture_output=True, text=True)
            commands += 1
            last_cmd, last_output = text, run.stdout + run.stderr
            if run.returncode != 0:
                failures.append(f"{text}\n  exit {run.returncode}:\n{last_output}")
    for f in failures:
        print("FAILED:", f)
    print(f"README tour: {commands} commands run, {checked} shown outputs checked, "
          f"{len(failures)} failures")
    return 1 if failures or commands < 20 else 0


if __name__ == "__main__":
    sys.exit(main())
