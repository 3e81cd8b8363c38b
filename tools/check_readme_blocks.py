#!/usr/bin/env python3
"""Checks that every fenced code block of README.md is run, compiled or
checked by a test, as written.

Each fence must follow a marker line `<!-- readme-check: KIND [ARGS] -->`
(invisible once rendered). KINDS below says what each kind does: most are
run here; a few name the test that runs them elsewhere, and this script
checks that that test reads exactly this block. A block without a marker, or
with an unknown kind, fails.

Usage: check_readme_blocks.py --source REPO --build BUILD_DIR --cli LIBSEARCH
                              [--service LIBSEARCH_SERVICE]"""
import argparse
import gzip
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time

MARK = re.compile(r"^<!-- readme-check: ([a-z-]+)(?: (.*?))? -->$")

KINDS = {
    "make-targets": "each `make TARGET` is a Makefile target; tools/fresh-debian-check.sh runs "
                    "them on a fresh Debian machine and CI (.ci/run) runs `make test`",
    "cli-tour": "run and its shown output checked by tools/run_readme_examples.py (ctest "
                "readme_examples); checked here to be the block that script reads",
    "cli-live": "run here as written (an index directory built, updated, searched, compacted); "
                "each command must exit 0 and each output line shown (timings aside) must appear",
    "duplicate-id-error": "the CLI's message for a duplicate id, reproduced here",
    "cmake-app": "the CMakeLists.txt of the cpp-app build here, against an installed libsearch",
    "cpp-app": "compiled against an installed libsearch (with the cmake-app block) and run on "
               "the bundled catalogue here",
    "cpp-live": "compiled like cpp-app and run: it must end saying its new snapshot saw the "
                "commit",
    "make-recipe": "ARGS is a Makefile target whose recipe runs this command",
    "pytest": "ARGS is a pytest file (make test-python) that runs the README's python blocks",
    "json-request": "sent to the bundled catalogue's index through `libsearch batch`",
    "json-response": "ARGS is the request; its response on the bundled catalogue must equal the "
                     "block (took_us aside)",
    "json-schema": "a schema: indexes the first products of the bundled catalogue",
    "json-schema-defaults": "the bundled schema's fields in place of {...}: indexes products",
    "service-curl": "run against libsearch-service on the bundled catalogue (curl -f)",
    "cli-commands": "not run (profiling takes minutes; the advisor tests run it): each "
                    "`make TARGET` is a target and each `libsearch COMMAND` a CLI subcommand",
    "cloud-deploy": "not run (needs cloud accounts): each `make TARGET` is a target and each "
                    "repository path named exists",
    "layout": "every path listed exists",
    "diagram": "a picture, not code: every object name in it (MANIFEST, files/..., changes/...) "
               "is one docs/format.md defines",
}


def fenced_blocks(readme):
    """(line number, language, marker kind, marker args, text) of each block."""
    lines = readme.splitlines()
    out, i = [], 0
    while i < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        start, lang = i + 1, m.group(1)
        prev = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        mark = MARK.match(prev.strip())
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        out.append((start, lang, mark.group(1) if mark else None,
                    (mark.group(2) or "") if mark else "", "\n".join(lines[i + 1:j])))
        i = j + 1
    return out


def commands(text):
    """The block's shell commands, continuation lines joined, comments dropped."""
    out, pending = [], ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line and not line.startswith("#"):
            out.append(line)
    return out


class Checker:
    def __init__(self, args, work):
        self.src, self.build, self.cli, self.service = args.source, args.build, args.cli, args.service
        self.work = work
        os.symlink(os.path.join(self.src, "examples"), os.path.join(work, "examples"))
        self.makefile = open(os.path.join(self.src, "Makefile"), encoding="utf-8").read()
        self._index = None

    def run(self, argv, **kw):
        return subprocess.run(argv, cwd=kw.pop("cwd", self.work), capture_output=True, text=True, **kw)

    def index(self):
        if self._index is None:
            self._index = os.path.join(self.work, "demo.idx")
            r = self.run([self.cli, "index", "--schema", "examples/products/schema.json", "--input",
                          "examples/products/products.jsonl.gz", "--output", self._index])
            assert r.returncode == 0, r.stderr
        return self._index

    def response(self, request):
        queries = os.path.join(self.work, "q.jsonl")
        with open(queries, "w", encoding="utf-8") as f:
            f.write(json.dumps({"id": "readme", **request}) + "\n")
        r = self.run([self.cli, "batch", self.index(), "--queries", queries, "--format", "json"])
        assert r.returncode == 0, f"libsearch batch failed: {r.stderr}"
        out = json.loads(r.stdout)
        del out["id"]
        return out

    def make_targets(self, text):
        for cmd in commands(text):
            words = shlex.split(cmd, comments=True)
            if words and words[0] == "make":
                targets = [w for w in words[1:] if "=" not in w and not w.startswith("-")]
                for t in targets or ["all"]:
                    assert re.search(rf"^{re.escape(t)}:", self.makefile, re.M), \
                        f"`make {t}` is not a Makefile target"

    def check(self, kind, args, text, blocks):
        getattr(self, "check_" + kind.replace("-", "_"))(args, text, blocks)

    def check_make_targets(self, args, text, blocks):
        cmds = commands(text)
        assert cmds and all(c.startswith("make ") for c in cmds), "expected only make commands"
        self.make_targets(text)

    def check_cli_tour(self, args, text, blocks):
        sys.path.insert(0, os.path.join(self.src, "tools"))
        import run_readme_examples  # The ctest readme_examples runs this module.
        readme = open(os.path.join(self.src, "README.md"), encoding="utf-8").read()
        assert "\n".join(run_readme_examples.tour_lines(readme)).strip() == \
            "\n".join(run_readme_examples.tour_lines("## A five-minute tour of the CLI\n```sh\n" +
                                                     text + "\n```")).strip(), \
            "tools/run_readme_examples.py does not read this block"

    def check_cli_live(self, args, text, blocks):
        last_cmd, last_out = "", ""
        for raw in text.replace("\\\n", " ").splitlines():
            line = raw.strip()
            if not line or line.startswith("CLI="):
                continue
            if line.startswith("#"):
                shown = line[1:].strip()
                if last_cmd and not shown.startswith("("):
                    # Timings vary: compare without them.
                    drop = re.compile(r" in [0-9.]+ s \([0-9]+ docs/s\)| \([0-9.]+ s\)$")
                    outs = [drop.sub("", " ".join(o.split())) for o in last_out.splitlines()]
                    assert drop.sub("", " ".join(shown.split())) in outs, \
                        f"{last_cmd}\n  README shows: {shown}\n  output was:\n{last_out}"
                continue
            last_cmd = line
            r = self.run(["bash", "-c", line.replace("$CLI", shlex.quote(self.cli))])
            assert r.returncode == 0, f"`{line}` failed: {r.stdout}{r.stderr}"
            last_out = r.stdout

    def check_duplicate_id_error(self, args, text, blocks):
        with open(os.path.join(self.work, "in.jsonl"), "w", encoding="utf-8") as f:
            f.write('{"barcode": "1", "product_name": "a"}\n{"barcode": "1", "product_name": "b"}\n')
        r = self.run([self.cli, "index", "--schema", "examples/products/schema.json",
                      "--input", "in.jsonl", "--output", "dup.idx"])
        assert r.returncode == 2, f"exit {r.returncode}"
        assert text.strip() in r.stderr.splitlines(), f"the CLI printed:\n{r.stderr}"

    def check_cmake_app(self, args, text, blocks):
        assert any(k == "cpp-app" for _, _, k, _, _ in blocks), "no cpp-app block builds with it"

    def build_and_run(self, name, text, blocks):
        """Compiles `text` as main.cc of a project made of the cmake-app block
        (against libsearch installed from the build here) and runs it."""
        cmake = [t for _, _, k, _, t in blocks if k == "cmake-app"]
        assert len(cmake) == 1, "needs exactly one cmake-app block"
        prefix, proj = os.path.join(self.work, "prefix"), os.path.join(self.work, name)
        os.makedirs(proj)
        if not os.path.isdir(prefix):
            r = self.run(["cmake", "--install", self.build, "--prefix", prefix])
            assert r.returncode == 0, r.stderr
        with open(os.path.join(proj, "CMakeLists.txt"), "w", encoding="utf-8") as f:
            f.write("cmake_minimum_required(VERSION 3.21)\nproject(readme_app LANGUAGES CXX)\n"
                    + cmake[0] + "\n")
        with open(os.path.join(proj, "main.cc"), "w", encoding="utf-8") as f:
            f.write(text + "\n")
        for argv in (["cmake", "-S", proj, "-B", proj + "/build", "-G", "Ninja",
                      "-DCMAKE_PREFIX_PATH=" + prefix, "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Werror"],
                     ["cmake", "--build", proj + "/build"]):
            r = self.run(argv)
            assert r.returncode == 0, f"{' '.join(argv)}:\n{r.stdout}\n{r.stderr}"
        r = self.run([proj + "/build/app"])
        assert r.returncode == 0, f"app exit {r.returncode}:\n{r.stdout}\n{r.stderr}"
        return r

    def check_cpp_live(self, args, text, blocks):
        r = self.build_and_run("live-app", text, blocks)
        assert r.stdout.splitlines()[-1:] == ["the new snapshot sees the commit"], r.stdout

    def check_cpp_app(self, args, text, blocks):
        r = self.build_and_run("app", text, blocks)
        lines = r.stdout.splitlines()
        hits = [line for line in lines if re.match(r"^\d+ [0-9.e-]+ \{", line)]
        assert len(lines) >= 3 and lines[-2].startswith("200 {\"total\":") and hits and \
            lines[-1].startswith("libsearch "), f"unexpected output:\n{r.stdout[:3000]}"

    def check_make_recipe(self, args, text, blocks):
        m = re.search(rf"^{re.escape(args)}:.*\n((?:\t.*\n)+)", self.makefile, re.M)
        assert m, f"no Makefile target {args}"
        recipe = m.group(1).replace("\\\n", " ").replace("$(PIP)", "$(PYTHON) -m pip install")
        recipe = recipe.replace("$(PYTHON)", ".venv/bin/python")
        for cmd in commands(text):
            words = shlex.split(cmd, comments=True)
            ok = any(iter_contains(shlex.split(line.strip()), words) for line in recipe.splitlines())
            assert ok, f"`make {args}` does not run `{cmd}`"

    def check_pytest(self, args, text, blocks):
        path = os.path.join(self.src, args)
        assert os.path.isfile(path), f"{args} does not exist"
        assert "README.md" in open(path, encoding="utf-8").read() and "```python" in \
            open(path, encoding="utf-8").read(), f"{args} does not read README.md's python blocks"
        assert "bindings/python/tests" in self.makefile, "make test-python runs no bindings tests"

    def check_json_request(self, args, text, blocks):
        out = self.response(json.loads(text))
        assert "error" not in out and out["total"] > 0, out

    def check_json_response(self, args, text, blocks):
        shown, actual = json.loads(text), self.response(json.loads(args))
        shown.pop("took_us"), actual.pop("took_us")
        assert shown == actual, f"the request answers:\n{json.dumps(actual)}"

    def index_with_schema(self, schema_text):
        path = os.path.join(self.work, "schema_check.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(schema_text)
        with gzip.open(os.path.join(self.src, "examples/products/products.jsonl.gz"), "rt") as f:
            docs = [next(f) for _ in range(100)]
        with open(os.path.join(self.work, "first.jsonl"), "w", encoding="utf-8") as f:
            f.writelines(docs)
        r = self.run([self.cli, "index", "--schema", path, "--input", "first.jsonl",
                      "--output", "schema_check.idx"])
        assert r.returncode == 0, r.stderr

    def check_json_schema(self, args, text, blocks):
        json.loads(text)
        self.index_with_schema(text)

    def check_json_schema_defaults(self, args, text, blocks):
        assert text.count("{...}") == 1, "expected one {...} standing for the fields"
        bundled = json.load(open(os.path.join(self.src, "examples/products/schema.json")))
        schema = text.replace("{...}", json.dumps(bundled["fields"]))
        json.loads(schema)
        self.index_with_schema(schema)

    def check_service_curl(self, args, text, blocks):
        assert self.service and os.path.isfile(self.service), "libsearch-service is not built"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        script = text.replace("localhost:8080", f"127.0.0.1:{port}")
        starts = [c for c in commands(text) if "libsearch-service" in c]
        for c in starts:  # Started here, on a free port; the flags must parse.
            script = script.replace(c, "")
            r = self.run([self.service] + shlex.split(c)[1:] + ["--help"])
            assert r.returncode == 0, r.stderr
        proc = subprocess.Popen([self.service, "--index", self.index(), "--host", "127.0.0.1",
                                 "--port", str(port)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                if self.run(["curl", "-sf", f"127.0.0.1:{port}/healthz"]).returncode == 0:
                    break
                time.sleep(0.1)
            script = re.sub(r"\bcurl ", "curl -sSf -o /dev/null ", script)
            r = self.run(["bash", "-e", "-c", script])
            assert r.returncode == 0, f"exit {r.returncode}:\n{r.stderr}"
        finally:
            proc.terminate()
            proc.wait()

    def check_cli_commands(self, args, text, blocks):
        self.make_targets(text)
        help_text = self.run([self.cli, "--help"]).stdout
        for cmd in commands(text):
            words = shlex.split(cmd, comments=True)
            if words[0] == "libsearch":
                assert re.search(rf"^\s+{re.escape(words[1])}\b", help_text, re.M), \
                    f"`libsearch {words[1]}` is not a subcommand"

    def check_cloud_deploy(self, args, text, blocks):
        self.make_targets(text)
        for path in re.findall(r"(?<![\w/.-])((?:functions|examples|tools)/[\w./-]+)", text):
            assert os.path.exists(os.path.join(self.src, path)), f"{path} does not exist"

    def check_layout(self, args, text, blocks):
        for line in text.splitlines():
            path = line.split()[0]
            m = re.match(r"^(.*)\{(.*)\}(.*)$", path)
            for p in ([m.group(1) + x + m.group(3) for x in m.group(2).split(",")] if m else [path]):
                assert os.path.exists(os.path.join(self.src, p)), f"{p} does not exist"


    def check_diagram(self, args, text, blocks):
        with open(os.path.join(self.src, "docs", "format.md"), encoding="utf-8") as f:
            format_doc = f.read()
        for name in set(re.findall(r"\b(MANIFEST|files/|changes/)", text)):
            assert name in format_doc, f"{name} is not in docs/format.md"


def iter_contains(haystack, needle):
    """Whether `needle` is a subsequence of `haystack`."""
    it = iter(haystack)
    return all(any(w == h for h in it) for w in needle)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--service", default="")
    args = ap.parse_args()
    readme = open(os.path.join(args.source, "README.md"), encoding="utf-8").read()
    blocks = fenced_blocks(readme)
    failures = []
    with tempfile.TemporaryDirectory() as work:
        checker = Checker(args, work)
        for line, lang, kind, kargs, text in blocks:
            where = f"README.md:{line} ({lang or 'plain'})"
            if kind not in KINDS:
                failures.append(f"{where}: no `<!-- readme-check: KIND -->` line before it "
                                f"(kinds: {', '.join(KINDS)})" if kind is None
                                else f"{where}: unknown kind {kind}")
                continue
            try:
                checker.check(kind, kargs, text, blocks)
                print(f"ok   {where}: {kind}: {KINDS[kind]}")
            except AssertionError as e:
                failures.append(f"{where}: {kind}: {e}")
    for f in failures:
        print("FAIL", f)
    print(f"README blocks: {len(blocks)}, {len(failures)} failures")
    return 1 if failures or not blocks else 0


if __name__ == "__main__":
    sys.exit(main())
