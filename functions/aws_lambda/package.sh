#!/usr/bin/env bash
# make package: the AWS Lambda deployment artefacts for the Amazon Linux 2023
# runtimes (glibc 2.34), built on Debian 12 (glibc 2.36, GCC 12).
#
#   $OUT/libsearch-lambda-al2023.zip        provided.al2023: bootstrap + index.idx
#   $OUT/libsearch-python312-layer.zip      python3.12 layer: python/libsearch (+ the
#                                           compiled _core, which holds the handler)
#   $OUT/libsearch-python-function.zip      python3.12 function code: handler.py, update.py, rebuild.py
#   $OUT/libsearch-logs-layer.zip           python3.12 layer for the hourly log job: the advisor
#                                           package, pyarrow and numpy (manylinux wheels from PyPI)
#   $OUT/libsearch-logs-function.zip        its function code: logs_hourly.py
#   $OUT/gcp/                               Cloud Run functions source (main.py + the above)
#   $OUT/gcp-logs/                          the log job as a Cloud Run function (main.py)
#
# The bootstrap is built with GCC 11 and links everything but glibc
# statically: libstdc++ and libgcc (-static-libstdc++ -static-libgcc, GCC 12's
# need GLIBC_2.35/2.36), ICU, zstd, xxhash, zlib, OpenSSL (or Mbed TLS,
# STATIC_TLS=mbedtls) and Snowball's libstemmer from Debian's .a files, and
# CRoaring and libcurl (static_curl.sh) from Debian's source packages built
# here as static libraries. Its code is optimised at link time (LTO) into
# per-function sections that the linker drops when unused, and it is not
# position-independent (no load-time relocations to ship): 0.74 MB less in
# the zip. compare_bootstraps.py below checks that it answers as the normal
# build does. check_al2023_abi.py then fails the build if any
# ELF needs a GLIBC version past 2.34, any GLIBCXX/CXXABI/GCC version, or a
# shared library outside glibc, and check_licences.py if the linker's map of
# the bootstrap or the Python module shows GPL code (or a library it does not
# know). Every zip carries LICENSE and THIRD_PARTY_NOTICES.md. Finally the
# unpacked zip runs under the Runtime Interface Emulator (if installed) from
# a read-only directory.
#
# Environment: BUILD (default build), INDEX (default: the bundled catalogue,
# indexed with $BUILD/tools/libsearch with BUNDLED_INDEX_ARGS), CXX11 (default g++-11), PYTHON312
# (default: a python3.12 on PATH or in pyenv; the layer is skipped without
# it), PYTHON_LAYER=0 to skip the layer (its first build compiles ICU),
# LOGS_LAYER=0 to skip the log job's layer (it downloads pyarrow and numpy),
# STATIC_TLS (openssl, the default, or mbedtls: static_curl.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$ROOT" && mkdir -p "${BUILD:-build}" && cd "${BUILD:-build}" && pwd)
OUT=$BUILD/package
CXX11=${CXX11:-g++-11}
JOBS=${JOBS:-$(nproc)}
LIBDIR=/usr/lib/x86_64-linux-gnu
mkdir -p "$OUT"
log() { echo "package: $*"; }

# 1. CRoaring as a PIC static library (Debian ships only libroaring.so), from
# the Debian source of the installed version, installed with its CMake config.
ROARING_VERSION=$(dpkg-query -W -f='${Version}' libroaring-dev)
ROARING_PREFIX=$OUT/croaring-$ROARING_VERSION
if [ ! -f "$ROARING_PREFIX/done" ]; then
  log "building a static CRoaring $ROARING_VERSION with $CXX11 (first run only, under a minute)"
  SRC=$OUT/croaring-src
  rm -rf "$SRC" && mkdir -p "$SRC"
  # The upstream tarball from Debian's pool, checked against the .dsc.
  POOL=http://deb.debian.org/debian/pool/main/c/croaring
  ORIG=croaring_${ROARING_VERSION%-*}.orig.tar.xz
  curl -fsS -o "$SRC/croaring.dsc" "$POOL/croaring_$ROARING_VERSION.dsc"
  curl -fsS -o "$SRC/$ORIG" "$POOL/$ORIG"
  grep -q "$(sha256sum "$SRC/$ORIG" | cut -d' ' -f1) [0-9]* $ORIG" "$SRC/croaring.dsc" \
    || { log "checksum of $ORIG does not match its .dsc"; exit 1; }
  mkdir -p "$SRC/tree" && tar -C "$SRC/tree" --strip-components=1 -xf "$SRC"/croaring_*.orig.tar.*
  # No -march=native: the Lambda CPU is not this machine's.
  cmake -S "$SRC/tree" -B "$SRC/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_C_COMPILER="${CC11:-gcc-11}" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
      -DROARING_BUILD_STATIC=ON -DROARING_DISABLE_NATIVE=ON -DENABLE_ROARING_TESTS=OFF \
      -DCMAKE_INSTALL_PREFIX="$ROARING_PREFIX" > "$SRC/cmake.log"
  cmake --build "$SRC/build" -j "$JOBS" > "$SRC/make.log" && cmake --install "$SRC/build" > "$SRC/install.log"
  touch "$ROARING_PREFIX/done"
fi
ROARING_CONFIG=$(dirname "$(find "$ROARING_PREFIX" -name roaring-config.cmake | head -1)")

# 2. The bootstrap with GCC 11, static.
source "$ROOT/functions/aws_lambda/static_deps.sh"
static_dep_args "$LIBDIR" "$ROARING_CONFIG"
source "$ROOT/functions/aws_lambda/static_curl.sh"
static_curl "$OUT" "$LIBDIR"
# ICU's data trimmed to the items the analyzers use (icu_data.sh, icu_keep.txt).
ICU_DATA_LIB=$("$ROOT/functions/aws_lambda/icu_data.sh" "$LIBDIR/libicudata.a" "$OUT")
CMAKE_ARGS=(
  -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$CXX11" -DLIBSEARCH_WERROR=OFF
  -DLIBSEARCH_BUILD_TESTS=OFF -DLIBSEARCH_BUILD_TOOLS=OFF -DLIBSEARCH_INSTALL=OFF
  -DLIBSEARCH_BUILD_FUNCTIONS=ON -DLIBSEARCH_FUNCTIONS_STATIC_RUNTIME=ON
  # s3:// and gs:// through a minimal libcurl built from source (static_curl.sh).
  "${STATIC_CURL_ARGS[@]}"
  "${STATIC_DEP_ARGS[@]}"
  -DCMAKE_SHARED_LINKER_FLAGS="-static-libstdc++ -static-libgcc"
  -DCMAKE_MODULE_LINKER_FLAGS="-static-libstdc++ -static-libgcc"
)
log "building the bootstrap in $OUT/cmake with $CXX11"
cmake -S "$ROOT" -B "$OUT/cmake" "${CMAKE_ARGS[@]}" -DCMAKE_CXX_FLAGS="-ffunction-sections -fdata-sections" \
    -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON \
    -DCMAKE_EXE_LINKER_FLAGS="-flto=$JOBS -no-pie -Wl,--gc-sections -Wl,-Map=$OUT/bootstrap.map" \
    -DICU_UC_LIBRARY_RELEASE=$LIBDIR/libicuuc.a -DICU_I18N_LIBRARY_RELEASE=$LIBDIR/libicui18n.a \
    -DICU_DATA_LIBRARY_RELEASE="$ICU_DATA_LIB" > "$OUT/cmake.log"
# Relinked every time, so the linker's map (for check_licences.py) is this link's.
rm -f "$OUT/cmake/functions/aws_lambda/bootstrap"
cmake --build "$OUT/cmake" -j "$JOBS" --target libsearch_lambda_bootstrap > "$OUT/build.log" \
    || { tail -40 "$OUT/build.log"; exit 1; }

# 2b. The Python extension for CPython 3.12, the same way, but with ICU built
# here from Debian's source as position-independent archives: Debian's
# libicu*.a are not PIC (they cannot go into a shared module), and its
# libicuuc.so.72 needs GLIBCXX_3.4.30 (GCC 12), which AL2023 lacks.
# A CPython 3.12 that runs (a pyenv shim may exist without the version active).
find_python312() {
  local c
  for c in "${PYTHON312:-}" python3.12 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12; do
    [ -n "$c" ] || continue
    "$c" -c 'import sys; assert sys.version_info[:2] == (3, 12); print(sys.executable)' 2>/dev/null && return
  done
  true
}
PYTHON312=""
if [ "${PYTHON_LAYER:-1}" = 1 ]; then PYTHON312=$(find_python312 | head -n1); fi
if [ -n "$PYTHON312" ]; then
  ICU_VERSION=$(dpkg-query -W -f='${Version}' libicu-dev)
  ICU_LIB=$OUT/icu-$ICU_VERSION
  if [ ! -f "$ICU_LIB/libicudata.a" ]; then
    log "building a PIC static ICU $ICU_VERSION with $CXX11 (first run only, about 10 minutes)"
    SRC=$OUT/icu-src
    rm -rf "$SRC" && mkdir -p "$SRC/apt/lists/partial" "$SRC/apt/cache/archives/partial" "$SRC/obj"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" \
      > "$SRC/apt/sources.list"
    APT=(-o "Dir::Etc::SourceList=$SRC/apt/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
         -o "Dir::State::Lists=$SRC/apt/lists" -o "Dir::Cache=$SRC/apt/cache" -o Debug::NoLocking=1)
    (cd "$SRC" && apt-get "${APT[@]}" update -qq && apt-get "${APT[@]}" source --download-only -qq "icu=$ICU_VERSION" &&
     dpkg-source --no-check -x icu_*.dsc src > /dev/null)
    (cd "$SRC/obj" &&
     CC="${CXX11/g++/gcc}" CXX="$CXX11" CFLAGS="-O2 -fPIC" CXXFLAGS="-O2 -fPIC" ../src/source/configure \
         --enable-static --disable-shared --disable-tests --disable-samples --disable-extras \
         --disable-icuio --disable-layoutex --with-data-packaging=static > "$SRC/configure.log" &&
     make -j"$JOBS" > "$SRC/make.log")
    mkdir -p "$ICU_LIB"
    cp "$SRC"/obj/lib/libicuuc.a "$SRC"/obj/lib/libicui18n.a "$SRC"/obj/lib/libicudata.a "$ICU_LIB/"
  fi
  log "building the CPython 3.12 extension in $OUT/cmake-python"
  cmake -S "$ROOT" -B "$OUT/cmake-python" "${CMAKE_ARGS[@]}" \
      -DCMAKE_MODULE_LINKER_FLAGS="-static-libstdc++ -static-libgcc -Wl,-Map=$OUT/python-module.map" \
      -DLIBSEARCH_BUILD_PYTHON=ON -DPython_EXECUTABLE="$PYTHON312" \
      -DICU_UC_LIBRARY_RELEASE="$ICU_LIB/libicuuc.a" -DICU_I18N_LIBRARY_RELEASE="$ICU_LIB/libicui18n.a" \
      -DICU_DATA_LIBRARY_RELEASE="$ICU_DATA_LIB" > "$OUT/cmake-python.log"
  rm -f "$OUT"/cmake-python/bindings/python/_core.*.so  # Relinked: a fresh map.
  cmake --build "$OUT/cmake-python" -j "$JOBS" --target libsearch_python > "$OUT/build-python.log" \
      || { tail -40 "$OUT/build-python.log"; exit 1; }
else
  log "the python3.12 layer is skipped (no CPython 3.12, or PYTHON_LAYER=0)"
fi

# 3. The provided.al2023 zip: bootstrap + index.idx at the root. The bundled
# catalogue is built with the CLI's defaults; BUNDLED_INDEX_ARGS passes more
# flags (e.g. "--docstore-level 19 --docstore-block-bytes 16384": 0.56 MB
# less in the zip, but a fetched hit costs ~13 us instead of ~5,
# docs/design-notes.md). The answers must not change, which
# compare_bootstraps.py checks against the default-built file (REFERENCE_INDEX).
INDEX=${INDEX:-}
REFERENCE_INDEX=${INDEX}
BUNDLED_INDEX_ARGS=${BUNDLED_INDEX_ARGS:-}
if [ -z "$INDEX" ]; then
  INDEX=$OUT/products.idx
  REFERENCE_INDEX=$OUT/products-default.idx
  # shellcheck disable=SC2086  # BUNDLED_INDEX_ARGS is a list of flags.
  "$BUILD/tools/libsearch" index --schema "$ROOT/examples/products/schema.json" \
      --input "$ROOT/examples/products/products.jsonl.gz" --output "$INDEX" $BUNDLED_INDEX_ARGS > /dev/null
  "$BUILD/tools/libsearch" index --schema "$ROOT/examples/products/schema.json" \
      --input "$ROOT/examples/products/products.jsonl.gz" --output "$REFERENCE_INDEX" > /dev/null
fi
STAGE=$OUT/stage/provided.al2023
rm -rf "$OUT/stage" && mkdir -p "$STAGE"
install -m 0755 "$OUT/cmake/functions/aws_lambda/bootstrap" "$STAGE/bootstrap"
strip --strip-unneeded "$STAGE/bootstrap"
install -m 0644 "$INDEX" "$STAGE/index.idx"
ZIP=$OUT/libsearch-lambda-al2023.zip
install -m 0644 "$ROOT/LICENSE" "$ROOT/THIRD_PARTY_NOTICES.md" "$STAGE/"
rm -f "$ZIP" && (cd "$STAGE" && zip -q -X -9 "$ZIP" bootstrap index.idx LICENSE THIRD_PARTY_NOTICES.md)
ARTEFACTS=("$ZIP")

# 4. The Python layer and function code (python3.12+ runtimes).
if [ -n "$PYTHON312" ]; then
  LAYER=$OUT/stage/python-layer/python
  mkdir -p "$LAYER/libsearch"
  cp "$ROOT"/bindings/python/libsearch/*.py "$ROOT"/bindings/python/libsearch/*.pyi \
     "$ROOT"/bindings/python/libsearch/py.typed "$LAYER/libsearch/"
  cp "$OUT"/cmake-python/bindings/python/_core.*.so "$LAYER/libsearch/"
  cp "$ROOT/LICENSE" "$ROOT/THIRD_PARTY_NOTICES.md" "$LAYER/libsearch/"
  strip --strip-unneeded "$LAYER"/libsearch/_core.*.so
  LAYER_ZIP=$OUT/libsearch-python312-layer.zip
  rm -f "$LAYER_ZIP" && (cd "$OUT/stage/python-layer" && zip -q -X -9 -r "$LAYER_ZIP" python)
  FUNC=$OUT/stage/python-function
  mkdir -p "$FUNC" && cp "$ROOT"/functions/aws_lambda/python/{handler,update,rebuild}.py "$FUNC/"
  install -m 0644 "$INDEX" "$FUNC/index.idx"
  FUNC_ZIP=$OUT/libsearch-python-function.zip
  cp "$ROOT/LICENSE" "$ROOT/THIRD_PARTY_NOTICES.md" "$FUNC/"
  rm -f "$FUNC_ZIP" && (cd "$FUNC" && zip -q -X -9 "$FUNC_ZIP" handler.py update.py rebuild.py index.idx LICENSE \
      THIRD_PARTY_NOTICES.md)
  ARTEFACTS+=("$LAYER_ZIP" "$FUNC_ZIP")
  # The Cloud Run functions source directory (gcloud functions deploy --source).
  GCP=$OUT/gcp
  rm -rf "$GCP" && mkdir -p "$GCP"
  cp "$ROOT"/functions/gcp/{main,update}.py "$ROOT/functions/gcp/requirements.txt" "$GCP/"
  cp -r "$LAYER/libsearch" "$GCP/"
  cp "$ROOT/LICENSE" "$ROOT/THIRD_PARTY_NOTICES.md" "$GCP/"
  install -m 0644 "$INDEX" "$GCP/index.idx"
  # The layer's module imports and searches with the interpreter it was built for.
  PYTHONPATH="$LAYER" "$PYTHON312" -c "
import libsearch
idx = libsearch.Index.open('$INDEX')
status, body = idx.handle_json('{\"query\": \"peanut butter\", \"k\": 1}')
assert status == 200 and '\"total\":97' in body, body
print('package: the layer imports and searches under', __import__('sys').version.split()[0])"
fi

# 4b. The hourly log job (template.yaml, RequestLogs=on): a layer with the
# advisor package and the manylinux wheels of pyarrow and numpy for CPython
# 3.12, and the function code. pyarrow alone unpacks to 170 MB and numpy to
# 73 MB; a function and its layers may hold 250 MB unzipped, so the parts of
# pyarrow that Parquet files do not use (Flight, its C++ tests, headers, Cython
# sources, tests) are left out, the rest is checked to import and write a
# partition, and the total is checked against the limit. The wheels' own
# manylinux_2_28 tag (glibc 2.28 or newer; AL2023 has 2.34; their libraries
# bundled) is their ABI
# promise: check_al2023_abi.py, which forbids any library outside glibc, is
# for the project's own binaries.
LOGS_ZIPS=()
if [ -n "$PYTHON312" ] && [ "${LOGS_LAYER:-1}" = 1 ]; then
  LOGS=$OUT/stage/logs-layer/python
  rm -rf "$OUT/stage/logs-layer" && mkdir -p "$LOGS"
  # The versions the project's environment tests with (make deps), else these.
  VENV_PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
  PYARROW_VERSION=$("$VENV_PYTHON" -c 'import pyarrow; print(pyarrow.__version__)' 2>/dev/null || echo 26.0.1)
  NUMPY_VERSION=$("$VENV_PYTHON" -c 'import numpy; print(numpy.__version__)' 2>/dev/null || echo 2.4.6)
  "$PYTHON312" -m pip install --quiet --disable-pip-version-check --no-compile --target "$LOGS" \
      --platform manylinux_2_28_x86_64 --implementation cp --python-version 3.12 --only-binary=:all: \
      "pyarrow==$PYARROW_VERSION" "numpy==$NUMPY_VERSION" \
    || { log "could not download pyarrow/numpy wheels for CPython 3.12"; exit 1; }
  rm -rf "$LOGS"/pyarrow/include "$LOGS"/pyarrow/src "$LOGS"/pyarrow/tests "$LOGS"/numpy/*/tests "$LOGS"/bin
  rm -f "$LOGS"/pyarrow/*flight* "$LOGS"/pyarrow/_pyarrow_cpp_tests* "$LOGS"/pyarrow/*.pyx "$LOGS"/pyarrow/*.pxd
  cp -r "$ROOT/advisor/libsearch_advisor" "$LOGS/"
  find "$LOGS" -name __pycache__ -prune -exec rm -rf {} +
  LOGS_FUNC=$OUT/stage/logs-function
  mkdir -p "$LOGS_FUNC" && cp "$ROOT/functions/aws_lambda/python/logs_hourly.py" "$ROOT/LICENSE" \
      "$ROOT/THIRD_PARTY_NOTICES.md" "$LOGS_FUNC/"
  PYTHONPATH="$LOGS:$LOGS_FUNC" "$PYTHON312" -c "
import pathlib, tempfile, logs_hourly
from libsearch_advisor.logs import aggregate, load_partitions
with tempfile.TemporaryDirectory() as d:
    lines = [{'time': 7200.0 + i, 'surface': 'lambda-cpp', 'status': 200, 'took_us': 9, 'total': 1} for i in range(3)]
    aggregate(lines, 7200.0, pathlib.Path(d))
    assert len(load_partitions(d).times) == 3
print('package: the log layer reads and writes Parquet under', __import__('sys').version.split()[0])"
  BYTES=$(du -sb "$LOGS" "$LOGS_FUNC" | awk '{s += $1} END {print s}')
  [ "$BYTES" -lt 262144000 ] \
    || { log "the log job unzips to $BYTES bytes, over Lambda's 250 MB for a function and its layers"; exit 1; }
  log "the log job's layer and code unzip to $((BYTES / 1048576)) MiB (Lambda's limit: 250 MB)"
  LOGS_LAYER_ZIP=$OUT/libsearch-logs-layer.zip
  LOGS_FUNC_ZIP=$OUT/libsearch-logs-function.zip
  rm -f "$LOGS_LAYER_ZIP" "$LOGS_FUNC_ZIP"
  (cd "$OUT/stage/logs-layer" && zip -q -X -9 -r "$LOGS_LAYER_ZIP" python)
  (cd "$LOGS_FUNC" && zip -q -X -9 "$LOGS_FUNC_ZIP" logs_hourly.py LICENSE THIRD_PARTY_NOTICES.md)
  LOGS_ZIPS=("$LOGS_LAYER_ZIP" "$LOGS_FUNC_ZIP")
  # The Cloud Run function's source (gcloud deploys main.py with requirements.txt).
  GCP_LOGS=$OUT/gcp-logs
  rm -rf "$GCP_LOGS" && mkdir -p "$GCP_LOGS"
  cp "$ROOT/functions/gcp/logs_hourly.py" "$GCP_LOGS/main.py"
  cp -r "$LOGS/libsearch_advisor" "$ROOT/LICENSE" "$ROOT/THIRD_PARTY_NOTICES.md" "$GCP_LOGS/"
  printf 'functions-framework\nboto3\npyarrow==%s\nnumpy==%s\n' "$PYARROW_VERSION" "$NUMPY_VERSION" \
      > "$GCP_LOGS/requirements.txt"
fi

# 5. The ABI check on every ELF file in every zip, and the licence check on
# what the linker put into them (and on the zips themselves, for Xapian).
"${PYTHON:-python3}" "$ROOT/functions/aws_lambda/check_al2023_abi.py" "${ARTEFACTS[@]}"
MAPS=("$OUT/bootstrap.map")
[ -n "$PYTHON312" ] && MAPS+=("$OUT/python-module.map")
SCANS=()
for a in "${ARTEFACTS[@]}"; do SCANS+=(--scan "$a"); done
"${PYTHON:-python3}" "$ROOT/functions/aws_lambda/check_licences.py" --notices "$ROOT/THIRD_PARTY_NOTICES.md" \
    --project-dir "$ROOT" --project-dir "$OUT" "${SCANS[@]}" "${MAPS[@]}"

# 6. Smoke tests: the unpacked zips, read-only, under the emulator (the
# Python ones also need awslambdaric in that CPython 3.12).
RIE=${LIBSEARCH_RIE:-$BUILD/go/bin/aws-lambda-rie}
free_port() { "${PYTHON:-python3}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# smoke NAME TASK_ROOT BOOTSTRAP [ENV...]: one invocation must find 97 hits.
smoke() {
  local name=$1 task=$2 boot=$3 port api pid reply=""
  shift 3
  port=$(free_port) && api=$(free_port)
  (cd "$task" && env -u LIBSEARCH_INDEX LAMBDA_TASK_ROOT="$task" "$@" "$RIE" --log-level error \
      --runtime-interface-emulator-address "127.0.0.1:$port" --runtime-api-address "127.0.0.1:$api" \
      "$boot" > "$OUT/smoke-$name.log" 2>&1) &
  pid=$!
  for _ in $(seq 1 100); do
    reply=$(curl -s --max-time 20 -d '{"query":"peanut butter","k":1}' \
        "http://127.0.0.1:$port/2015-03-31/functions/function/invocations" || true)
    [ -n "$reply" ] && break
    sleep 0.1
  done
  pkill -P "$pid" 2>/dev/null || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  case "$reply" in
    *'"total":97'*) log "smoke test $name: the unpacked zip answers under the emulator" ;;
    *) echo "package: smoke test $name failed: $reply"; cat "$OUT/smoke-$name.log"; exit 1 ;;
  esac
}
if [ -x "$RIE" ]; then
  RUN=$(mktemp -d) && trap 'chmod -R u+w "$RUN"; rm -rf "$RUN"' EXIT
  mkdir -p "$RUN/cpp" "$RUN/py-task" "$RUN/py-opt"
  unzip -q "$ZIP" -d "$RUN/cpp"
  if [ -n "$PYTHON312" ] && "$PYTHON312" -c 'import awslambdaric' 2>/dev/null; then
    unzip -q "$LAYER_ZIP" -d "$RUN/py-opt" && unzip -q "$FUNC_ZIP" -d "$RUN/py-task"
    printf '#!/bin/sh\nexec %s -m awslambdaric handler.search\n' "$PYTHON312" > "$RUN/bootstrap-python"
    chmod +x "$RUN/bootstrap-python"
  fi
  chmod -R a-w "$RUN/cpp" "$RUN/py-task" "$RUN/py-opt"
  smoke provided.al2023 "$RUN/cpp" "$RUN/cpp/bootstrap"
  # Trimmed ICU data and the bundled index's options, same answers: the
  # packaged bootstrap (and layer) against the normal build's on the default index.
  LAYER_ARGS=() && [ -n "$PYTHON312" ] && LAYER_ARGS=(--layer-python "$PYTHON312" --layer "$LAYER")
  "${PYTHON:-python3}" "$ROOT/functions/aws_lambda/compare_bootstraps.py" --rie "$RIE" --cli "$BUILD/tools/libsearch" \
      --reference "$BUILD/functions/aws_lambda/bootstrap" --packaged "$RUN/cpp/bootstrap" --catalogue "$INDEX" \
      --reference-catalogue "$REFERENCE_INDEX" \
      "${LAYER_ARGS[@]}" --trimmed-data "$(echo "${ICU_DATA_LIB%/*}"/trim/*.dat)" "$OUT/compare"
  if [ -x "$RUN/bootstrap-python" ]; then
    smoke python3.12 "$RUN/py-task" "$RUN/bootstrap-python" \
        PYTHONPATH="$RUN/py-opt/python:$RUN/py-task" AWS_EXECUTION_ENV=AWS_Lambda_python3.12
  elif [ -n "$PYTHON312" ]; then
    log "no awslambdaric in $PYTHON312: the Python smoke test is skipped"
  fi
else
  log "no aws-lambda-rie at $RIE: smoke tests skipped"
fi

for a in "${ARTEFACTS[@]}" "${LOGS_ZIPS[@]}"; do log "$(du -k "$a" | cut -f1) KiB  $a"; done
