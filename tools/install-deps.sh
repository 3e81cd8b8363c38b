#!/usr/bin/env bash
# Installs what building and testing libsearch needs on a fresh Debian 12
# machine. Idempotent: installs only what is missing and says what it installs.
set -euo pipefail

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  clang-14 libclang-rt-14-dev           # second compiler + sanitizer runtimes
  clang-format-14 clang-tidy-14         # make lint (tools/lint-cpp.sh)
  libicu-dev libstemmer-dev             # Unicode analysis, Snowball stemmers (libstemmer, BSD)
  libxapian-dev                         # tests' reference engine and benchmark peer only (GPL)
  libzstd-dev liblz4-dev libxxhash-dev zlib1g-dev zstd libroaring-dev
  nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  pybind11-dev python3-dev python3-venv   # python3-venv: the project's .venv
  # functions/ (make test-functions, make package): the HTTP service's server
  # library, GCC 11 for the Lambda zip (glibc 2.34 / AL2023), zip, a load tool.
  libcpp-httplib-dev g++-11 zip wrk
  # The web demo's browser test: Debian's Chromium and its WebDriver.
  chromium chromium-driver
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # apt-get's own progress: one line per package fetched, unpacked, set up.
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi

# Python packages go into the project's virtual environment (.venv at the
# repository root, made by Debian's python3 -m venv): Debian 12's python3 is
# externally managed (PEP 668), so pip refuses to install into it. The
# Makefile's PYTHON is this venv's python.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${LIBSEARCH_VENV:-$ROOT/.venv}
BASE_PYTHON=${LIBSEARCH_BASE_PYTHON:-/usr/bin/python3}
if "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
  echo "install-deps: virtual environment $VENV present"
else
  echo "install-deps: creating the virtual environment $VENV ($BASE_PYTHON -m venv)"
  rm -rf "$VENV"
  "$BASE_PYTHON" -m venv "$VENV"
fi
PYTHON=$VENV/bin/python

# pytest, and the build backend + pybind11 that `pip install .` also fetches by
# itself into its isolated build environment.
PIP_PACKAGES=(pytest scikit-build-core pybind11
              # functions/: the real AWS and GCP runtimes; boto3 + moto's local S3 server
              awslambdaric functions-framework boto3 "moto[server]"
              # the advisor (advisor/, libsearch-advisor): the simulator and its charts
              numpy matplotlib
              # the web demo's browser test (drives /usr/bin/chromium)
              selenium
              # functions/tests/test_openapi.py: property-based tests from openapi.yaml
              "schemathesis==4.32.5"
              # make lint-python; pinned, so that a new release cannot fail the lint
              "ruff==0.17.6" "mypy==2.4.1")
mapfile -t missing_pip < <("$PYTHON" - "${PIP_PACKAGES[@]}" <<'EOF'
import re
import sys
from importlib import metadata

# "moto[server]" is moto; "schemathesis==4.32.5" must be that version.
for spec in sys.argv[1:]:
    name, _, pinned = re.split(r"\[.*\]", spec)[0].partition("==")
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        print(spec)
        continue
    if pinned and version != pinned:
        print(spec)
EOF
)
if ((${#missing_pip[@]})); then
  # pip's normal output, not --quiet: a line per package collected and
  # downloaded, so a long install shows progress in a log too.
  echo "install-deps: installing Python packages into $VENV: ${missing_pip[*]}"
  "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off "${missing_pip[@]}"
else
  echo "install-deps: all Python packages present in $VENV"
fi

# functions/: the AWS Lambda Runtime Interface Emulator, built from its Go
# module into a project-local GOPATH (build/go). Its tags are not semver, so
# the module proxy serves it as a pseudo-version only.
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
GO_DIR=${LIBSEARCH_GO_DIR:-$ROOT/build/go}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
if [ -x "$GO_DIR/bin/aws-lambda-rie" ]; then
  echo "install-deps: aws-lambda-rie present"
elif [ -x "$GO" ]; then
  echo "install-deps: installing aws-lambda-rie@$RIE_VERSION into $GO_DIR/bin"
  # Its go.mod asks for a newer Go than Debian 12's golang-go (1.19): with an
  # older toolchain this fails, and so do the emulator tests, not the install.
  GOPATH="$GO_DIR" GOBIN="$GO_DIR/bin" GOFLAGS=-modcacherw CGO_ENABLED=0 \
    "$GO" install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$RIE_VERSION" ||
    echo "install-deps: could not build aws-lambda-rie with $GO; make test-functions needs it" >&2
else
  echo "install-deps: no Go toolchain (go on PATH or /usr/local/go); make test-functions needs" \
       "aws-lambda-rie, built with Go (see README \"Two commands\")" >&2
fi
