#!/usr/bin/env bash
# Installs what building and testing libsearch needs on a fresh Debian 12
# machine. Idempotent: installs only what is missing and says what it installs.
set -euo pipefail

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  ccache                                # the Makefile's builds share object files (Makefile, PY_BUILD)
  clang-14 libclang-rt-14-dev           # second compiler + sanitizer runtimes
  clang-format-14 clang-tidy-14         # make lint (tools/lint-cpp.sh)
  libicu-dev libstemmer-dev             # Unicode analysis, Snowball stemmers (libstemmer, BSD)
  libxapian-dev                         # tests' reference engine and benchmark peer only (GPL)
  libzstd-dev liblz4-dev libxxhash-dev zlib1g-dev zstd libroaring-dev
  libcurl4-openssl-dev                  # remote indexes in S3 (libcurl signs with SigV4)
  nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  pybind11-dev python3-dev python3-venv   # python3-venv: the project's .venv
  # functions/ (make test-functions, make package): the HTTP service's server
  # library, GCC 11 for the Lambda zip (glibc 2.34 / AL2023), zip, a load tool.
  libcpp-httplib-dev g++-11 zip wrk
  libssl-dev                            # make package with STATIC_TLS=openssl: OpenSSL's static libraries
  libmbedtls-dev                        # make package STATIC_TLS=mbedtls: Mbed TLS static libraries
  icu-devtools                          # make package: icupkg, genccode trim ICU data (icu_data.sh)
  curl                                  # the README's service-curl block (ctest readme_blocks)
  # The web demo's browser test: Debian's Chromium and its WebDriver.
  chromium chromium-driver
  # The Spark builder of sharded indexes (tools/spark/): PySpark's JVM.
  default-jre-headless
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
              # gs:// tests: Google's own Cloud Storage client against fake-gcs-server
              google-cloud-storage
              # functions/tests/test_package.py: the SAM template checked by AWS's linter
              cfn-lint
              # the advisor (advisor/, libsearch-advisor): the simulator and its charts;
              # hypothesis for its property test (any valid traffic file gives a report),
              # pyarrow for the hourly request-log aggregates (Parquet)
              numpy matplotlib hypothesis pyarrow
              # the web demo's browser test (drives /usr/bin/chromium)
              selenium
              # tools/spark/build_shards.py and its local-mode test (Java from Debian)
              "pyspark==4.3.0"
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
RIE_GO_MIN=1.26.6   # the `go` line of that version's go.mod
GO_DIR=${LIBSEARCH_GO_DIR:-$ROOT/build/go}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

# The Go toolchain, when no new enough `go` is at hand (Debian 12's golang-go
# is 1.19): the official build, as the Go module proxy serves it for Go's own
# toolchain switching, pinned by SHA-256 (the same zips `go mod download`
# checks against sum.golang.org), unpacked into build/go/toolchain.
GO_TOOLCHAIN_VERSION=1.26.8
declare -A GO_TOOLCHAIN_SHA256=(
  [amd64]=30c2b1bf7dcc88d3eb0a1364e47ddd9128edb3110a30e8a0ef61cd5856b31de7
  [arm64]=02b36b6787b3ac767668f630e2998df45a3b1f9ffee08d1bf3ef6487cd658d99
)
GO_TOOLCHAIN_DIR=$GO_DIR/toolchain

# True if $1 is a Go toolchain at least $RIE_GO_MIN.
go_new_enough() {
  local v
  [ -x "$1" ] || return 1
  v=$("$1" env GOVERSION 2>/dev/null) || return 1
  v=${v#go}
  [[ $v =~ ^[0-9]+(\.[0-9]+)*$ ]] || return 1   # not a release (devel, rc): do not guess
  printf '%s\n%s\n' "$RIE_GO_MIN" "$v" | sort -V -C
}

# Downloads, verifies and unpacks the pinned toolchain into $GO_TOOLCHAIN_DIR.
install_go_toolchain() {
  local arch sha version module url tmp zip
  case "$(uname -m)" in
    x86_64|amd64) arch=amd64 ;;
    aarch64|arm64) arch=arm64 ;;
    *) echo "install-deps: no pinned Go toolchain for $(uname -m)" >&2; return 1 ;;
  esac
  sha=${GO_TOOLCHAIN_SHA256[$arch]}
  version=v0.0.1-go$GO_TOOLCHAIN_VERSION.linux-$arch
  module=golang.org/toolchain@$version
  url=https://proxy.golang.org/golang.org/toolchain/@v/$version.zip
  mkdir -p "$GO_DIR" && tmp=$(mktemp -d "$GO_DIR/toolchain.tmp.XXXXXX") || return 1
  zip=$tmp/go.zip
  echo "install-deps: downloading Go $GO_TOOLCHAIN_VERSION ($arch) from $url"
  # curl and python3's urllib both honour https_proxy / HTTPS_PROXY.
  if command -v curl >/dev/null; then
    curl -fsSL --retry 3 -o "$zip" "$url"
  else
    "$BASE_PYTHON" - "$url" "$zip" <<'EOF'
import shutil
import sys
import urllib.request

with urllib.request.urlopen(sys.argv[1], timeout=120) as r, open(sys.argv[2], "wb") as f:
    shutil.copyfileobj(r, f)
EOF
  fi || { rm -rf "$tmp"; echo "install-deps: could not download $url" >&2; return 1; }
  echo "install-deps: checking its SHA-256 against the pinned $sha"
  if ! echo "$sha  $zip" | sha256sum -c --status; then
    echo "install-deps: $url has SHA-256 $(sha256sum "$zip" | cut -d' ' -f1)," \
         "not the pinned $sha; not using it" >&2
    rm -rf "$tmp"
    return 1
  fi
  echo "install-deps: unpacking it into $GO_TOOLCHAIN_DIR"
  # Debian has python3 but no unzip by default. Module zips keep no file
  # modes, hence the chmod of the executables.
  "$BASE_PYTHON" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
    "$zip" "$tmp/x" &&
    chmod +x "$tmp/x/$module"/bin/* "$tmp/x/$module"/pkg/tool/*/* &&
    rm -rf "$GO_TOOLCHAIN_DIR" &&
    mv "$tmp/x/$module" "$GO_TOOLCHAIN_DIR" ||
    { rm -rf "$tmp"; echo "install-deps: could not unpack the Go toolchain" >&2; return 1; }
  rm -rf "$tmp"
}

# Sets GO_FOR_TOOLS, once, to a Go toolchain new enough for the Go-built
# test tools: the system's `go`, else the project's, else the pinned
# download; empty if there is none.
GO_FOR_TOOLS=unset
find_go_for_tools() {
  if [ "$GO_FOR_TOOLS" = unset ]; then
    if go_new_enough "$GO"; then
      echo "install-deps: using $GO ($("$GO" env GOVERSION)) for the Go test tools"
      GO_FOR_TOOLS=$GO
    elif go_new_enough "$GO_TOOLCHAIN_DIR/bin/go"; then
      echo "install-deps: using the project's Go toolchain $GO_TOOLCHAIN_DIR/bin/go"
      GO_FOR_TOOLS=$GO_TOOLCHAIN_DIR/bin/go
    else
      have=$("$GO" env GOVERSION 2>/dev/null || echo "not found")
      echo "install-deps: no Go >= $RIE_GO_MIN ($GO: $have); fetching Go $GO_TOOLCHAIN_VERSION" \
           "for the Go test tools"
      if install_go_toolchain; then
        GO_FOR_TOOLS=$GO_TOOLCHAIN_DIR/bin/go
      else
        GO_FOR_TOOLS=""
      fi
    fi
  fi
}

# go_tool NAME MODULE@VERSION WHY: installs NAME into $GO_DIR/bin unless there.
# GOTOOLCHAIN=local: this toolchain builds it, rather than Go fetching another.
go_tool() {
  local name=$1 module=$2 why=$3
  if [ -x "$GO_DIR/bin/$name" ]; then
    echo "install-deps: $name present"
    return
  fi
  find_go_for_tools
  if [ -z "$GO_FOR_TOOLS" ]; then
    echo "install-deps: no Go toolchain for $name; $why needs it" >&2
    return
  fi
  echo "install-deps: installing $module into $GO_DIR/bin"
  GOPATH="$GO_DIR" GOBIN="$GO_DIR/bin" GOFLAGS=-modcacherw CGO_ENABLED=0 GOTOOLCHAIN=local \
    "$GO_FOR_TOOLS" install "$module" ||
    echo "install-deps: could not build $name with $GO_FOR_TOOLS; $why needs it" >&2
}

go_tool aws-lambda-rie \
  "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$RIE_VERSION" \
  "make test-functions"
# The Cloud Storage emulator for the gs:// tests (tests/remote, the Python
# and functions tests), run as a plain process on 127.0.0.1.
FAKE_GCS_VERSION=v1.56.1
go_tool fake-gcs-server "github.com/fsouza/fake-gcs-server@$FAKE_GCS_VERSION" \
  "the gs:// tests (tests/remote/fake_gcs.h)"
