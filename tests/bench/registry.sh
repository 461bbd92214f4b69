#!/bin/sh
# Benchmark: vztmpl push and pull against skopeo copy of the same OCI layout,
# to and from Debian's docker-registry on loopback (plain http), alternating,
# each push into a fresh repository (nothing to skip) and each pull into an
# empty cache or directory. pull also checks the template's manifest against
# the layer and imports it into the cache; skopeo only writes a layout.
# Prints the medians and the ratios. Asserts nothing.
# Usage: VZTMPL=./vztmpl sh tests/bench/registry.sh [RUNS] [TEMPLATE]
set -eu
: "${VZTMPL:=$(cd "$(dirname "$0")/../.." && pwd)/vztmpl}"
RUNS=${1:-5}
TPL=${2:-debian-12-x86_64-minbase}
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
TESTS_DIR=$(cd "$(dirname "$0")/../integration" && pwd)
for t in docker-registry skopeo; do command -v $t >/dev/null || { echo "needs $t" >&2; exit 77; }; done
[ -f "$CACHE/templates/$TPL.json" ] || { echo "no $TPL in $CACHE: build it first" >&2; exit 77; }
W=$(mktemp -d /var/tmp/vztmpl-bench.XXXXXX)
REG_PID=
trap '[ -n "$REG_PID" ] && kill "$REG_PID"; rm -rf "$W"' EXIT

python3 "$TESTS_DIR/ocilayout.py" "$W/layout" "$CACHE/templates" "$TPL"
# start_registry: a registry with empty storage, so that neither client can
# skip or mount a blob (skopeo remembers where it has seen blobs); sets REG.
start_registry() {
  [ -z "$REG_PID" ] || { kill "$REG_PID"; wait "$REG_PID" 2>/dev/null || true; }
  rm -rf "$W/storage"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat >"$W/reg.yml" <<CONF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $W/storage
http:
  addr: 127.0.0.1:$port
CONF
  docker-registry serve "$W/reg.yml" >"$W/reg.log" 2>&1 &
  REG_PID=$!
  REG=127.0.0.1:$port
  n=0
  until curl -s -o /dev/null "http://$REG/v2/"; do
    n=$((n + 1)); [ $n -lt 600 ] || { echo "the registry did not start" >&2; exit 1; }; sleep 0.05
  done
}

seconds() { # seconds CMD...: wall time of CMD, output discarded
  s=$(date +%s%N)
  "$@" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
  echo "$(( $(date +%s%N) - s ))" | awk '{printf "%.3f\n", $1 / 1e9}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

cat "$W"/layout/blobs/sha256/* >/dev/null
for _ in $(seq "$RUNS"); do
  rm -rf "$W/c" "$W/o"
  start_registry
  seconds "$VZTMPL" -q push --plain-http "oci:$W/layout" "$REG/bench/vz:1" >>"$W/vpush"
  seconds "$VZTMPL" -q -C "$W/c" pull --plain-http "$REG/bench/vz:1" >>"$W/vpull"
  start_registry
  seconds skopeo copy -q --dest-tls-verify=false "oci:$W/layout" "docker://$REG/bench/sk:1" >>"$W/spush"
  seconds skopeo copy -q --src-tls-verify=false "docker://$REG/bench/sk:1" "oci:$W/o" >>"$W/spull"
done
echo "push and pull of $TPL ($(du -sh "$CACHE/templates/$TPL.tar.zst" | cut -f1) layer), loopback registry, median of $RUNS, $(nproc) CPUs"
for op in push pull; do
  v=$(median <"$W/v$op") s=$(median <"$W/s$op")
  printf '%-24s %7.2fs\n' "vztmpl $op" "$v" "skopeo copy ($op)" "$s"
  echo "ratio $op: $(echo "$v $s" | awk '{printf "%.2f", $1/$2}')"
done
