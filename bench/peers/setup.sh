#!/usr/bin/env bash
# Builds the four bench/peers drivers into $PEERS_WORK (default build-peers/),
# installing what is missing: matplotlib (pip, else Debian), a JDK >= 21 for
# Lucene 10 (else Lucene 9.12 on JDK 17), Maven, the Lucene jars (Maven
# Central), the tantivy crate (crates.io). The Debian packages libsearch itself
# needs (ICU, Xapian, zstd, cmake, ...) come from tools/install-deps.sh, which
# `make bench-peers` runs first. Writes $PEERS_WORK/peers.env for peers.py.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=${PEERS_WORK:-$ROOT/build-peers}
LUCENE10=${LUCENE10_VERSION:-10.4.0}
LUCENE9=9.12.3
mkdir -p "$WORK"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_install() {
  echo "setup: apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# GNU time measures the index builds' peak RSS.
[ -x /usr/bin/time ] || apt_install time

# --- Python: matplotlib for the chart -------------------------------------
if ! python3 -c 'import matplotlib' 2>/dev/null; then
  echo "setup: installing matplotlib"
  python3 -m pip install -q matplotlib 2>/dev/null \
    || python3 -m pip install -q --user matplotlib 2>/dev/null \
    || apt_install python3-matplotlib
fi

# --- Java: the newest JDK >= 21 on the machine, else install one, else 17 ---
java_feature() {  # JAVA_BIN -> feature release number (17, 21, 25, ...)
  "$1" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n1
}
best_home="" best_feature=0
candidates=()
[ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
for d in /usr/lib/jvm/*; do [ -x "$d/bin/javac" ] && candidates+=("$d"); done
for home in "${candidates[@]}"; do
  [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || continue
  f=$(java_feature "$home/bin/java")
  if [ -n "$f" ] && [ "$f" -gt "$best_feature" ]; then best_home=$home best_feature=$f; fi
done
if [ "$best_feature" -lt 21 ]; then
  if apt-cache policy openjdk-21-jdk-headless 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt_install openjdk-21-jdk-headless
    best_home=/usr/lib/jvm/java-21-openjdk-amd64 best_feature=21
  elif [ "$best_feature" -eq 0 ]; then
    apt_install openjdk-17-jdk-headless
    best_home=/usr/lib/jvm/java-17-openjdk-amd64 best_feature=17
  fi
fi
if [ "$best_feature" -ge 21 ]; then
  LUCENE=$LUCENE10 RELEASE=21
else
  LUCENE=$LUCENE9 RELEASE=17
  echo "setup: no JDK >= 21 available: using Lucene $LUCENE9 on JDK $best_feature"
fi
echo "setup: Lucene $LUCENE on JDK $best_feature ($best_home)"
command -v mvn >/dev/null || apt_install maven

# --- Lucene driver ----------------------------------------------------------
( cd "$ROOT/bench/peers/lucene"
  JAVA_HOME=$best_home mvn -q -B -Dlucene.version="$LUCENE" -Dmaven.compiler.release="$RELEASE" \
      -Dpeers.build.dir="$WORK/lucene" package 2>&1 | grep -v '^WARNING' || true )
[ -f "$WORK/lucene/lucene-peer-1.0.jar" ] || { echo "setup: Lucene driver build failed" >&2; exit 1; }
# A jar set left over from another Lucene version would shadow this one.
find "$WORK/lucene/lib" -name 'lucene-*.jar' ! -name "*-$LUCENE.jar" -delete

# --- Tantivy driver (crates.io) --------------------------------------------
if ! command -v cargo >/dev/null; then
  [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null || { echo "setup: needs cargo (rustup) for the Tantivy driver" >&2; exit 1; }
CARGO_TARGET_DIR="$WORK/tantivy-target" cargo build -q --release --locked \
    --manifest-path "$ROOT/bench/peers/tantivy/Cargo.toml"
TANTIVY=$(sed -n 's/^tantivy = { version = "=\([^"]*\)".*/\1/p' "$ROOT/bench/peers/tantivy/Cargo.toml")

# --- C++ drivers: libsearch and Xapian ---------------------------------------
# libsearch is built from this checkout's working tree, or with
# LIBSEARCH_REF=<commit> from a clean export of that commit (so a results
# file names exactly what it measured).
if [ -n "${LIBSEARCH_REF:-}" ]; then
  LIBSEARCH_COMMIT=$(git -C "$ROOT" rev-parse --short "$LIBSEARCH_REF")
  SRC=$WORK/libsearch-src
  rm -rf "$SRC" && mkdir -p "$SRC"
  git -C "$ROOT" archive "$LIBSEARCH_REF" | tar -x -C "$SRC"
  LIBSEARCH_TREE="clean export of $LIBSEARCH_COMMIT"
else
  LIBSEARCH_COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
  SRC=$ROOT
  if [ -n "$(git -C "$ROOT" status --porcelain -- libsearch CMakeLists.txt cmake 2>/dev/null)" ]; then
    LIBSEARCH_TREE="working tree with uncommitted changes under libsearch/"
  else
    LIBSEARCH_TREE="clean"
  fi
fi
cmake -S "$ROOT/bench/peers/libsearch" -B "$WORK/libsearch" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DLIBSEARCH_SOURCE_DIR="$SRC" >/dev/null
[ -f "$WORK/xapian/build.ninja" ] || cmake -S "$ROOT/bench/peers/xapian" -B "$WORK/xapian" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release >/dev/null
for d in libsearch xapian; do
  cmake --build "$WORK/$d" -j "$(nproc)" | grep -v '^\[' || true
  [ -x "$WORK/$d/${d}_peer" ] || { echo "setup: $d driver build failed" >&2; exit 1; }
done

# The libsearch driver linked statically, as the Lambda bootstrap is, for the
# cold-start table: only when `make package` has built the static archives
# (ICU from Debian's source takes ~10 minutes the first time). Like the
# bootstrap it links ICU's data trimmed to what the analyzers read, with LTO,
# --gc-sections and no PIE (package.sh): with Debian's whole 31 MB of ICU data
# and no LTO its cold first answer took 1.8x as long (2026-12-07).
PKG=$ROOT/${BUILD:-build}/package
LIBDIR=/usr/lib/x86_64-linux-gnu
ICU_PIC=$(ls -d "$PKG"/icu-[0-9]*/ 2>/dev/null | head -n1 || true)
ICU_DATA=$(ls "$PKG"/icu-data-*/libicudata.a 2>/dev/null | head -n1 || true)
[ -n "$ICU_DATA" ] || ICU_DATA=${ICU_PIC}libicudata.a
ROARING_CONFIG=""
for d in "$PKG"/croaring-*/; do  # The installed prefix (package.sh marks it done), not the source tree.
  [ -f "$d/done" ] && ROARING_CONFIG=$(dirname "$(find "$d" -name roaring-config.cmake | head -n1)")
done
STATIC_DRIVER=""
if [ -n "$ICU_PIC" ] && [ -f "$ROARING_CONFIG/roaring-config.cmake" ]; then
  source "$ROOT/functions/aws_lambda/static_deps.sh"
  static_dep_args "$LIBDIR" "$ROARING_CONFIG"
  cmake -S "$ROOT/bench/peers/libsearch" -B "$WORK/libsearch-static" -G Ninja \
      -DCMAKE_BUILD_TYPE=Release -DLIBSEARCH_SOURCE_DIR="$SRC" -DLIBSEARCH_PEER_STATIC=ON \
      -DLIBSEARCH_WERROR=OFF "${STATIC_DEP_ARGS[@]}" -DICU_UC_LIBRARY_RELEASE="${ICU_PIC}libicuuc.a" \
      -DICU_I18N_LIBRARY_RELEASE="${ICU_PIC}libicui18n.a" \
      -DICU_DATA_LIBRARY_RELEASE="$ICU_DATA" -DCMAKE_CXX_FLAGS="-ffunction-sections -fdata-sections" \
      -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON \
      -DCMAKE_EXE_LINKER_FLAGS="-flto=$(nproc) -no-pie -Wl,--gc-sections" >/dev/null || true
  rm -f "$WORK/libsearch-static/libsearch_peer"  # Relinked each time: never a stale one.
  cmake --build "$WORK/libsearch-static" -j "$(nproc)" 2>&1 | grep -v '^\[' || true
  # Optional: a failure costs the table its static row, not the benchmark.
  if [ -x "$WORK/libsearch-static/libsearch_peer" ]; then
    STATIC_DRIVER=$WORK/libsearch-static/libsearch_peer
  else
    echo "setup: the static libsearch driver did not build (see above); no static row" >&2
  fi
else
  echo "setup: no static archives in $PKG (run \`make package\` first): the cold-start table will not have a static libsearch row"
fi

cat > "$WORK/peers.env" <<ENV
JAVA_HOME=$best_home
JAVA_FEATURE=$best_feature
LUCENE_VERSION=$LUCENE
TANTIVY_VERSION=$TANTIVY
LIBSEARCH_COMMIT=$LIBSEARCH_COMMIT
LIBSEARCH_TREE=$LIBSEARCH_TREE
LIBSEARCH_STATIC_DRIVER=$STATIC_DRIVER
ENV
echo "setup: drivers ready in $WORK"
