#!/bin/sh
# Benchmark: the archive `vztmpl publish` writes (high compression, the
# default) against `zstd -19 --long -T2` of the same tar, in one run: sizes,
# compression times (publish's as it reports it; zstd's wall time, its input
# already decompressed on disk), and the size ratio. Asserts nothing.
# Usage: VZTMPL=./vztmpl sh tests/bench/publish-size.sh [TEMPLATE]
set -eu
: "${VZTMPL:=$(cd "$(dirname "$0")/../.." && pwd)/vztmpl}"
TPL=${1:-debian-12-x86_64-minbase}
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 77; }
command -v zstd >/dev/null || { echo "needs zstd" >&2; exit 77; }
W=$(mktemp -d /var/tmp/vztmpl-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

[ -f "$CACHE/templates/$TPL.json" ] || { echo "$TPL is not in $CACHE: build it first" >&2; exit 77; }
mkdir "$W/src"
cp "$CACHE/templates/$TPL.tar.zst" "$CACHE/templates/$TPL.json" "$W/src/"
zstd -qdc "$W/src/$TPL.tar.zst" >"$W/tar"

"$VZTMPL" -C "$W/cache" publish "$W/site" "$W/src/$TPL.json" >/dev/null 2>"$W/publish.log" ||
  { cat "$W/publish.log" >&2; exit 1; }
vz_time=$(sed -n 's/^Compressed .* in \([0-9.]*\) s$/\1/p' "$W/publish.log")
vz_size=$(stat -c %s "$W/site/templates/$TPL/last-good/$TPL.tar.zst")

s=$(date +%s%N)
zstd -q -19 --long -T2 -c "$W/tar" >"$W/ref.zst"
ref_time=$(echo "$(( $(date +%s%N) - s ))" | awk '{printf "%.1f", $1 / 1e9}')
ref_size=$(stat -c %s "$W/ref.zst")

echo "$TPL: $(stat -c %s "$W/tar") byte tar, $(stat -c %s "$W/src/$TPL.tar.zst") bytes in the cache (fast), $(nproc) CPUs"
printf '%-28s %10s %8s\n' "" "bytes" "time"
printf '%-28s %10d %7.1fs\n' "vztmpl publish (high)" "$vz_size" "$vz_time" "zstd -19 --long -T2" "$ref_size" "$ref_time"
echo "size ratio: $(echo "$vz_size $ref_size" | awk '{printf "%.6f", $1/$2}') (target <= 1.0)"
echo "time ratio: $(echo "$vz_time $ref_time" | awk '{printf "%.2f", $1/$2}')"
