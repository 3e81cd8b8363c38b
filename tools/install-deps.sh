#!/usr/bin/env bash
# Installs what building and testing libsearch needs on a fresh Debian 12
# machine. Idempotent: installs only what is missing and says what it installs.
set -euo pipefail

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  clang-14 libclang-rt-14-dev           # second compiler + sanitizer runtimes
  libicu-dev libstemmer-dev             # Unicode analysis, Snowball stemmers (libstemmer, BSD)
  libxapian-dev                         # tests' reference engine and benchmark peer only (GPL)
  libzstd-dev liblz4-dev libxxhash-dev zlib1g-dev zstd libroaring-dev
  nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  pybind11-dev python3-dev
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
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: all Debian packages present"
fi

# Python packages for `make test-python` (the Python bindings' tests), in the
# python3 on PATH: pytest, and the build backend + pybind11 that `pip install .`
# also fetches by itself into its isolated build environment.
PYTHON=${PYTHON:-python3}
PIP_PACKAGES=(pytest scikit-build-core pybind11
              # functions/: the real AWS and GCP runtimes; boto3 + moto's local S3 server
              awslambdaric functions-framework boto3 "moto[server]"
              # the advisor (libsearch.advisor): the simulator and its charts
              numpy matplotlib
              # the web demo's browser test (drives /usr/bin/chromium)
              selenium
              # functions/tests/test_openapi.py: property-based tests from openapi.yaml
              "schemathesis==4.32.5")
mapfile -t missing_pip < <("$PYTHON" - "${PIP_PACKAGES[@]}" <<'EOF'
import re
import sys
from importlib import metadata

# "moto[server]" is moto; "schemathesis==4.32.5" must be that version.
for spec in sys.argv[1:]:
    name, _, pinned = re.split(r"\[.*\]", spec)[0].partition("==")
    try:
        if pinned and metadata.version(name) != pinned:
            print(spec)
    except metadata.PackageNotFoundError:
        print(spec)
EOF
)
if ((${#missing_pip[@]})); then
  echo "install-deps: installing Python packages into $("$PYTHON" -c 'import sys; print(sys.executable)'): ${missing_pip[*]}"
  "$PYTHON" -m pip install --quiet --root-user-action=ignore "${missing_pip[@]}"
else
  echo "install-deps: all Python packages present"
fi

# functions/: the AWS Lambda Runtime Interface Emulator, built from its Go
# module into a project-local GOPATH (build/go). Its tags are not semver, so
# the module proxy serves it as a pseudo-version only.
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GO_DIR=${LIBSEARCH_GO_DIR:-$ROOT/build/go}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
if [ -x "$GO_DIR/bin/aws-lambda-rie" ]; then
  echo "install-deps: aws-lambda-rie present"
elif [ -x "$GO" ]; then
  echo "install-deps: installing aws-lambda-rie@$RIE_VERSION into $GO_DIR/bin"
  GOPATH="$GO_DIR" GOBIN="$GO_DIR/bin" GOFLAGS=-modcacherw CGO_ENABLED=0 \
    "$GO" install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$RIE_VERSION"
else
  echo "install-deps: no Go toolchain; the AWS Lambda emulator tests will be skipped" >&2
fi
