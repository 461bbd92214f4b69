#!/bin/sh
# Benchmark: a foreign-architecture Debian 12 minbase (ppc64el and arm64
# unless given) built on this host by vztmpl (chrootless, and with --emulate)
# and by mmdebstrap --architectures (emulated, and --mode=chrootless) in one
# run, all with the packages already downloaded. Prints times and the ratios
# (targets: <= 0.33 emulated, <= 0.50 of mmdebstrap's chrootless). Asserts
# nothing.
# Usage: VZTMPL=./vztmpl sh tests/bench/debian-foreign.sh [ARCH...]
set -eu
: "${VZTMPL:=$(cd "$(dirname "$0")/../.." && pwd)/vztmpl}"
[ $# -gt 0 ] || set -- ppc64el arm64
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 77; }
W=$(mktemp -d /var/tmp/vztmpl-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
secs() { /usr/bin/time -f %e -o "$W/t" "$@" >/dev/null 2>"$W/log" || { tail "$W/log" >&2; exit 1; }; cat "$W/t"; }
ratio() { echo "$1 $2" | awk '{printf "%.2f", $1/$2}'; }
for ARCH in "$@"; do
  # An architecture whose packages cannot be fetched is said and skipped.
  if ! "$VZTMPL" -q -C "$W/vz-$ARCH" --json build debian:12 --arch "$ARCH" --variant minbase --dry-run >"$W/dry.json" 2>"$W/log" ||
     ! "$VZTMPL" -q -C "$W/vz-$ARCH" fetch debian:12 --arch "$ARCH" --variant minbase 2>"$W/log"; then
    echo "Debian 12 minbase for $ARCH: NOT RUN, its packages cannot be fetched: $(grep -m1 error: "$W/log")"
    continue
  fi
  MIRROR=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mirrors"][0])' "$W/dry.json")
  SECURITY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mirrors"][1])' "$W/dry.json")
  S1="deb $MIRROR bookworm main" S2="deb $MIRROR bookworm-updates main"
  S3="deb $SECURITY bookworm-security main"
  mkdir -p "$W/debs-$ARCH"
  # Warm mmdebstrap's cache too (not timed; vztmpl's was above).
  mmdebstrap --quiet --variant=minbase --architectures="$ARCH" --skip=check/qemu \
    --customize-hook="sync-out /var/cache/apt/archives $W/debs-$ARCH" bookworm "$W/warmup.tar" "$S1" "$S2" "$S3" \
    >/dev/null 2>&1 || true
  vz=$(secs "$VZTMPL" -C "$W/vz-$ARCH" --no-progress build debian:12 --arch "$ARCH" --variant minbase)
  vzemu=$(secs "$VZTMPL" -C "$W/vz-$ARCH" --no-progress build debian:12 --arch "$ARCH" --variant minbase --emulate)
  mm=$(secs mmdebstrap --quiet --variant=minbase --architectures="$ARCH" \
    --setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
    --setup-hook="sync-in $W/debs-$ARCH /var/cache/apt/archives" bookworm "$W/mm.tar.zst" "$S1" "$S2" "$S3")
  # Chrootless, bookworm's usr-is-merged needs the links made first (the hook).
  mmcl=$(secs mmdebstrap --quiet --variant=minbase --architectures="$ARCH" --mode=chrootless \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
    --setup-hook="sync-in $W/debs-$ARCH /var/cache/apt/archives" bookworm "$W/mmcl.tar.zst" "$S1" "$S2" "$S3")
  echo "Debian 12 minbase for $ARCH on $(uname -m), packages cached"
  echo "vztmpl $vz s (chrootless), $vzemu s (--emulate); mmdebstrap $mm s (emulated), $mmcl s (chrootless)"
  echo "vs mmdebstrap emulated: ratio $(ratio "$vz" "$mm") (target <= 0.33); --emulate $(ratio "$vzemu" "$mm")"
  echo "vs mmdebstrap chrootless: ratio $(ratio "$vz" "$mmcl") (target <= 0.50)"
done
