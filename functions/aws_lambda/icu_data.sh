#!/usr/bin/env bash
# A libicudata.a holding only the ICU data items in icu_keep.txt, for the
# statically linked artefacts (package.sh): ICU's full common data is 31 MB
# of the static bootstrap's 37.7, and the analyzers use 3.2 MB of it.
#
#   icu_data.sh SOURCE_ARCHIVE OUT_DIR     prints OUT_DIR/<key>/libicudata.a
#
# SOURCE_ARCHIVE is a libicudata.a whose one object holds the common data as
# the symbol icudt<version>_dat, alone in its .rodata (Debian's libicu-dev, or
# ICU built with --with-data-packaging=static). The data is copied out,
# trimmed with icupkg and turned back into an object with genccode under the
# same symbol, so the link takes it instead of the full data. The output is
# position-independent (data only), so one archive serves the bootstrap and
# the Python module. Cached by the checksums of the input and the keep list.
set -euo pipefail

SRC=$1
OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
KEEP=$HERE/icu_keep.txt
PATH=$PATH:/usr/sbin  # Debian installs icupkg and genccode there, outside users' PATH.
for tool in icupkg genccode objcopy; do
  command -v "$tool" > /dev/null || { echo "icu_data.sh: $tool not found (icu-devtools, binutils)" >&2; exit 1; }
done
KEY=$(cat "$SRC" "$KEEP" "$0" | sha256sum | cut -c1-16)
DIR=$OUT/icu-data-$KEY
if [ ! -f "$DIR/libicudata.a" ]; then
  rm -rf "$DIR" && mkdir -p "$DIR/obj"
  (cd "$DIR/obj" && ar x "$SRC")
  OBJ=$(ls "$DIR"/obj/*.o)
  [ "$(echo "$OBJ" | wc -l)" = 1 ] || { echo "icu_data.sh: expected one object in $SRC" >&2; exit 1; }
  SYMBOL=$(nm "$OBJ" | awk '$2 == "R" && $3 ~ /^icudt[0-9]+_dat$/ {print $3}')
  [ -n "$SYMBOL" ] || { echo "icu_data.sh: no icudt*_dat symbol in $SRC" >&2; exit 1; }
  NAME=${SYMBOL%_dat}l  # Item names inside start with the package name, icudt72l.
  objcopy -O binary -j .rodata "$OBJ" "$DIR/$NAME.dat"
  # The symbol must be the whole section (it is the only thing in it).
  SIZE=$(nm -S "$OBJ" | awk -v s="$SYMBOL" '$4 == s {print $2}')
  [ "$((16#$SIZE))" = "$(stat -c %s "$DIR/$NAME.dat")" ] || { echo "icu_data.sh: $SYMBOL is not all of .rodata" >&2; exit 1; }
  icupkg -l "$DIR/$NAME.dat" | sort > "$DIR/all.txt"
  sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$KEEP" | sort -u > "$DIR/keep.txt"
  # Every kept item must exist: a typo would otherwise drop data silently.
  MISSING=$(comm -13 "$DIR/all.txt" "$DIR/keep.txt")
  [ -z "$MISSING" ] || { echo "icu_data.sh: not in $SRC's data: $MISSING" >&2; exit 1; }
  comm -23 "$DIR/all.txt" "$DIR/keep.txt" > "$DIR/remove.txt"
  mkdir -p "$DIR/trim"
  # --ignore-deps: root.res and ja.res also name the line, sentence, character
  # and title rules, which the analyzers never open.
  icupkg --ignore-deps -r "$DIR/remove.txt" "$DIR/$NAME.dat" "$DIR/trimmed.dat" > "$DIR/icupkg.log" 2>&1 \
    || { cat "$DIR/icupkg.log" >&2; exit 1; }
  # The marker that makes Analyzer::Create check the data item by item
  # (kTrimmedMarker in libsearch/analysis/analyzer.cc): any valid data item
  # will do, so a copy of the smallest kept one, brkitr/root.res.
  mkdir -p "$DIR/marker" && icupkg --ignore-deps -x brkitr/root.res -d "$DIR/marker" "$DIR/trimmed.dat"
  cp "$DIR/marker/brkitr/root.res" "$DIR/marker/libsearch_trimmed.res"
  echo libsearch_trimmed.res > "$DIR/marker.txt"
  icupkg --ignore-deps -a "$DIR/marker.txt" -s "$DIR/marker" "$DIR/trimmed.dat" "$DIR/trim/$NAME.dat" \
      >> "$DIR/icupkg.log" 2>&1 || { cat "$DIR/icupkg.log" >&2; exit 1; }
  cmp <(icupkg -l "$DIR/trim/$NAME.dat" 2> /dev/null | sort) <(sort "$DIR/keep.txt" "$DIR/marker.txt") > /dev/null \
    || { echo "icu_data.sh: the trimmed data does not hold exactly icu_keep.txt" >&2; exit 1; }
  genccode -q -a gcc -e "${SYMBOL%_dat}" -d "$DIR" "$DIR/trim/$NAME.dat"
  "${CC:-cc}" -c -o "$DIR/${NAME}_dat.o" "$DIR/${NAME}_dat.S"
  rm -f "$DIR/libicudata.a.tmp" && ar rcs "$DIR/libicudata.a.tmp" "$DIR/${NAME}_dat.o"
  rm -rf "$DIR/obj" "$DIR/$NAME.dat" "$DIR/trimmed.dat" && mv "$DIR/libicudata.a.tmp" "$DIR/libicudata.a"
fi
echo "$DIR/libicudata.a"
