#!/bin/sh
# Benchmark: what the sandbox costs. `vztmpl exec ROOT -- /bin/true` (median
# of RUNS, alternating) against bubblewrap running the same command with its
# own namespaces, and, when a baseline vztmpl is given, the same exec and a
# warm debian:12 minbase build with both binaries (median of 3), so that a
# change to the sandbox shows its price as a ratio. Asserts nothing.
# Usage: VZTMPL=./vztmpl [VZTMPL_BASE=/path/to/older/vztmpl | BASE_REF=GIT-REF]
#        sh tests/bench/sandbox-cost.sh [RUNS]
# BASE_REF builds that commit of this repository in a temporary worktree.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
: "${VZTMPL:=$SRC/vztmpl}"
RUNS=${1:-20}
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
TPL=debian-12-x86_64-minbase
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 77; }
W=$(mktemp -d /var/tmp/vztmpl-bench.XXXXXX)
cleanup() {
  [ -d "$W/base-src" ] && git -C "$SRC" worktree remove --force "$W/base-src" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT

if [ -z "${VZTMPL_BASE:-}" ] && [ -n "${BASE_REF:-}" ]; then
  echo "building the baseline $BASE_REF ..." >&2
  git -C "$SRC" worktree add -q --detach "$W/base-src" "$BASE_REF"
  (cd "$W/base-src" && ./autogen.sh >/dev/null 2>&1 && ./configure -q && make -j"$(nproc)" vztmpl >/dev/null)
  VZTMPL_BASE=$W/base-src/vztmpl
fi

"$VZTMPL" -q -C "$CACHE" build debian:12 --variant minbase >/dev/null
"$VZTMPL" -q -C "$CACHE" deploy "$TPL" "$W/root" >/dev/null

ns() { # ns CMD...: wall time of CMD in nanoseconds, output discarded
  s=$(date +%s%N)
  "$@" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
  echo "$(( $(date +%s%N) - s ))"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { awk '{printf "%.1f", $1 / 1e6}'; }

BWRAP=$(command -v bwrap || true)
run_one() { # vz|base|bwrap: one timed start of that sandbox
  case $1 in
    vz) ns "$VZTMPL" exec "$W/root" -- /bin/true >>"$W/exec.vz" ;;
    base) [ -z "${VZTMPL_BASE:-}" ] || ns "$VZTMPL_BASE" exec "$W/root" -- /bin/true >>"$W/exec.base" ;;
    bwrap) [ -z "$BWRAP" ] || ns "$BWRAP" --unshare-all --die-with-parent --new-session --bind "$W/root" / \
      --proc /proc --dev /dev /bin/true >>"$W/exec.bwrap" ;;
  esac
}
# A start right after another sandbox's end waits for the kernel to finish
# tearing down the other's network namespace (and, on cgroup v1, for an RCU
# grace period before a cgroup migration), so order matters: vztmpl and
# the baseline go in turns, A B B A, each as often after itself as after
# the other; bubblewrap runs in a loop of its own after them.
i=0
for _ in $(seq "$RUNS"); do
  if [ $((i % 2)) = 0 ]; then run_one vz; run_one base; else run_one base; run_one vz; fi
  i=$((i + 1))
done
for _ in $(seq "$RUNS"); do run_one bwrap; done
vz=$(median <"$W/exec.vz")
echo "exec ROOT -- /bin/true, median of $RUNS, $(nproc) CPUs"
printf '  %-28s %8s ms\n' "vztmpl" "$(echo "$vz" | ms)"
if [ -n "$BWRAP" ]; then
  bw=$(median <"$W/exec.bwrap")
  printf '  %-28s %8s ms   ratio %s\n' "bwrap --unshare-all" "$(echo "$bw" | ms)" \
    "$(echo "$vz $bw" | awk '{printf "%.2f", $1/$2}')"
fi
if [ -n "${VZTMPL_BASE:-}" ]; then
  base=$(median <"$W/exec.base")
  printf '  %-28s %8s ms   ratio %s (target <= 1.05)\n' "baseline vztmpl" "$(echo "$base" | ms)" \
    "$(echo "$vz $base" | awk '{printf "%.3f", $1/$2}')"
  # Warm builds: packages in each binary's own cache, the template rebuilt each time.
  for b in vz base; do
    bin=$VZTMPL; [ "$b" = base ] && bin=$VZTMPL_BASE
    "$bin" -q -C "$W/cache-$b" build debian:12 --variant minbase >/dev/null
  done
  for _ in 1 2 3; do
    for b in vz base; do
      bin=$VZTMPL; [ "$b" = base ] && bin=$VZTMPL_BASE
      rm -f "$W/cache-$b"/templates/*
      ns "$bin" -q -C "$W/cache-$b" build debian:12 --variant minbase >>"$W/build.$b"
    done
  done
  bv=$(median <"$W/build.vz") bb=$(median <"$W/build.base")
  echo "warm build debian:12 minbase, median of 3"
  printf '  %-28s %8s ms\n' "vztmpl" "$(echo "$bv" | ms)" "baseline vztmpl" "$(echo "$bb" | ms)"
  echo "  ratio $(echo "$bv $bb" | awk '{printf "%.3f", $1/$2}') (target <= 1.05)"
  s1=$(sha256sum "$W"/cache-vz/templates/$TPL.tar.zst | cut -d' ' -f1)
  s2=$(sha256sum "$W"/cache-base/templates/$TPL.tar.zst | cut -d' ' -f1)
  [ "$s1" = "$s2" ] && echo "  same template bytes: $s1" || echo "  templates DIFFER: $s1 vs $s2"
fi
