#!/bin/sh
# Benchmark: a Debian 12 minbase template, vztmpl against mmdebstrap in one
# run, both from the host's configured mirror, both writing a .tar.zst.
#   cold: empty caches (indices and packages downloaded)
#   warm: packages already downloaded (vztmpl's cache; mmdebstrap's apt
#         archive handed in by a sync-in hook)
# Prints each time, the ratios, vztmpl's peak memory and where its last warm
# build spent its time (the stages its -v output times). Asserts nothing.
# Usage: VZTMPL=./vztmpl sh tests/bench/debian-minbase.sh [RUNS]
set -eu
: "${VZTMPL:=$(cd "$(dirname "$0")/../.." && pwd)/vztmpl}"
RUNS=${1:-1}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 77; }
command -v mmdebstrap >/dev/null || { echo "needs mmdebstrap" >&2; exit 77; }
W=$(mktemp -d /var/tmp/vztmpl-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

# The mirrors vztmpl discovers from the host's apt sources, handed to mmdebstrap too.
"$VZTMPL" -q -C "$W/probe" --json build debian:12 --variant minbase --dry-run >"$W/dry.json"
MIRROR=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mirrors"][0])' "$W/dry.json")
SECURITY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mirrors"][1])' "$W/dry.json")
S1="deb $MIRROR bookworm main" S2="deb $MIRROR bookworm-updates main"
S3="deb $SECURITY bookworm-security main"

# seconds and peak kB of one command, appended to $W/<name>
measure() {
  name=$1; shift
  /usr/bin/time -f '%e %M' -o "$W/time" "$@" >/dev/null 2>"$W/$name.log" || { tail "$W/$name.log"; exit 1; }
  cat "$W/time" >>"$W/$name"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

mkdir -p "$W/debs"
for _ in $(seq "$RUNS"); do
  rm -rf "$W/vzcache" "$W"/out*
  measure vz-cold "$VZTMPL" -C "$W/vzcache" --no-progress build debian:12 --variant minbase
  measure vz-warm "$VZTMPL" -C "$W/vzcache" --no-progress -v build debian:12 --variant minbase
  measure mm-cold mmdebstrap --quiet --variant=minbase \
    --customize-hook="sync-out /var/cache/apt/archives $W/debs" bookworm "$W/out-mm.tar.zst" "$S1" "$S2" "$S3"
  measure mm-warm mmdebstrap --quiet --variant=minbase --setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
    --setup-hook="sync-in $W/debs /var/cache/apt/archives" bookworm "$W/out-mm2.tar.zst" "$S1" "$S2" "$S3"
done

t() { cut -d' ' -f1 "$W/$1" | median; }
vzc=$(t vz-cold) vzw=$(t vz-warm) mmc=$(t mm-cold) mmw=$(t mm-warm)
mem=$(cut -d' ' -f2 "$W/vz-warm" "$W/vz-cold" | sort -n | tail -1)
echo "Debian 12 minbase, median of $RUNS run(s), $(nproc) CPUs"
printf '%-22s %8s %8s\n' "" "vztmpl" "mmdebstrap"
printf '%-22s %7.1fs %7.1fs\n' "warm (packages cached)" "$vzw" "$mmw"
printf '%-22s %7.1fs %7.1fs\n' "cold (empty caches)" "$vzc" "$mmc"
echo "ratio warm: $(echo "$vzw $mmw" | awk '{printf "%.2f", $1/$2}') (target <= 0.30)"
echo "ratio cold: $(echo "$vzc $mmc" | awk '{printf "%.2f", $1/$2}') (target <= 0.45)"
echo "vztmpl peak memory: $(echo "$mem" | awk '{printf "%.0f MiB", $1/1024}')"
echo "vztmpl's last warm build, by stage:"
grep -E '^(Unpacked|preinst|configuring|Configured|Packed|Built) ' "$W/vz-warm.log" | sed 's/^/  /'
