#!/usr/bin/env bash
# Proves the README's two commands on a clean Debian 12: debootstraps a
# bookworm root filesystem into a folder, copies this checkout's HEAD into it
# (git archive: committed files only), then, chrooted as root with Debian's
# python3 and an empty environment, runs `make demo` and `make test` there.
# Only `make` (a stock Debian has none) and ca-certificates (minbase lacks
# what a stock install has) are installed beforehand; the rest
# must come from tools/install-deps.sh.
#
#   sudo tools/fresh-debian-check.sh               # make demo, then make test (long)
#   sudo tools/fresh-debian-check.sh --demo-only   # make demo only
#
# Options: --demo-only; --dir DIR (the root filesystem, default a new folder in
# /var/tmp; must not exist); --keep (leave it for inspection); --mirror URL.
# Needs debootstrap (apt-get install debootstrap) and root. Mounts /proc, /sys,
# /dev and /dev/pts into the chroot and unmounts them on exit, whatever happens.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO_ONLY=0
KEEP=0
DIR=""
MIRROR=http://deb.debian.org/debian
while (($#)); do
  case "$1" in
    --demo-only) DEMO_ONLY=1 ;;
    --keep) KEEP=1 ;;
    --dir) DIR=$2; shift ;;
    --mirror) MIRROR=$2; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1' "$0"; exit 0 ;;
    *) echo "fresh-debian-check: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

[ "$(id -u)" -eq 0 ] || { echo "fresh-debian-check: run as root (debootstrap, mount, chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null ||
  { echo "fresh-debian-check: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }
if [ -z "$DIR" ]; then
  DIR=$(mktemp -d /var/tmp/libsearch-fresh-debian.XXXXXX)
  rmdir "$DIR"
fi
[ ! -e "$DIR" ] || { echo "fresh-debian-check: $DIR exists; give a new --dir" >&2; exit 2; }

MOUNTS=()
cleanup() {
  local rc=$?
  # Innermost first; lazily, in case something in the chroot still holds one.
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" || true
  done
  if ((KEEP)); then
    echo "fresh-debian-check: kept $DIR"
  elif [ -d "$DIR" ]; then
    # Only once nothing is mounted below it any more.
    if grep -q " $DIR/" /proc/mounts; then
      echo "fresh-debian-check: $DIR still has mounts; not removing it" >&2
    else
      rm -rf "$DIR"
    fi
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD)
START=$(date -u +%s)
echo "fresh-debian-check: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT, root filesystem $DIR"
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ]; then
  echo "fresh-debian-check: note: uncommitted changes are not copied (git archive HEAD)"
fi

echo "fresh-debian-check: debootstrap bookworm (minbase)"
debootstrap --variant=minbase bookworm "$DIR" "$MIRROR"
# A stock machine also has the updates and security suites.
cat > "$DIR/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
cp /etc/resolv.conf "$DIR/etc/resolv.conf"
# What a stock install has and debootstrap does not write: without it
# "localhost" does not resolve (Selenium finds chromedriver by that name).
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$DIR/etc/hosts"
# The chroot uses this host's network, so it trusts what this host trusts: the
# local CA certificates (a proxy's, a company's) go into its store too, and pip
# (which otherwise uses its own bundle) is pointed at that store.
CHROOT_ENV=()
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$DIR/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$DIR/usr/local/share/ca-certificates/"
  CHROOT_ENV=(PIP_CERT=/etc/ssl/certs/ca-certificates.crt)
fi

for m in proc sys dev dev/pts; do
  mkdir -p "$DIR/$m"
  case "$m" in
    proc) mount -t proc proc "$DIR/proc" ;;
    sys) mount -t sysfs sysfs "$DIR/sys" ;;
    *) mount --bind "/$m" "$DIR/$m" ;;
  esac
  MOUNTS+=("$DIR/$m")
done

mkdir -p "$DIR/root/libsearch"
git -C "$ROOT" archive HEAD | tar -x -C "$DIR/root/libsearch"

# An empty environment, as on a new machine: nothing of this host's
# (pip settings, PATH additions, proxies) leaks in.
in_chroot() {
  env -i HOME=/root TERM=dumb LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    "${CHROOT_ENV[@]}" chroot "$DIR" /bin/bash -c "$1"
}

in_chroot 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends make ca-certificates'

step() {
  local t0=$(date -u +%s)
  echo "fresh-debian-check: $1"
  in_chroot "cd /root/libsearch && $1"
  echo "fresh-debian-check: $1: OK in $(( $(date -u +%s) - t0 )) s"
}
step "make demo"
((DEMO_ONLY)) || step "make test"

echo "fresh-debian-check: passed ($( ((DEMO_ONLY)) && echo "make demo" || echo "make demo, make test")) on" \
     "Debian $(cat "$DIR/etc/debian_version"), commit $COMMIT, in $(( $(date -u +%s) - START )) s"
