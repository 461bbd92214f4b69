#!/bin/sh
# Benchmark: vztmpl deploy (extract mode) against tar --zstd -xpf of the same
# archive, in one run, alternating, each into an empty directory on the same
# file system. deploy also checks the archive's SHA-256 against the manifest
# first and extracts in a chrooted worker; tar does neither. Prints both
# medians and the ratio. Asserts nothing.
# Usage: VZTMPL=./vztmpl sh tests/bench/deploy-extract.sh [RUNS] [TEMPLATE]
set -eu
: "${VZTMPL:=$(cd "$(dirname "$0")/../.." && pwd)/vztmpl}"
RUNS=${1:-5}
TPL=${2:-debian-13-x86_64}
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 77; }
W=$(mktemp -d /var/tmp/vztmpl-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

[ -f "$CACHE/templates/$TPL.tar.zst" ] || "$VZTMPL" -q -C "$CACHE" build "${TPL%%-*}" >/dev/null
ARCHIVE="$CACHE/templates/$TPL.tar.zst"

seconds() { # seconds CMD...: wall time of CMD, output discarded
  s=$(date +%s%N)
  "$@" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
  echo "$(( $(date +%s%N) - s ))" | awk '{printf "%.3f\n", $1 / 1e9}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# One warm-up of each so that both read the archive from the page cache.
cat "$ARCHIVE" >/dev/null
for _ in $(seq "$RUNS"); do
  rm -rf "$W/vz" "$W/tar" && mkdir "$W/tar"
  seconds "$VZTMPL" -q -C "$CACHE" deploy "$TPL" "$W/vz" >>"$W/vz.times"
  seconds tar -C "$W/tar" --zstd -xpf "$ARCHIVE" >>"$W/tar.times"
done
vz=$(median <"$W/vz.times") tar=$(median <"$W/tar.times")
echo "deploy $TPL ($(du -sh "$ARCHIVE" | cut -f1) archive, $(du -sh "$W/tar" | cut -f1) tree), median of $RUNS, $(nproc) CPUs"
printf '%-30s %7.2fs\n' "vztmpl deploy (extract)" "$vz" "tar --zstd -xpf" "$tar"
echo "ratio: $(echo "$vz $tar" | awk '{printf "%.2f", $1/$2}') (target <= 1.0)"
