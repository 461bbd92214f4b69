#!/bin/sh
# Crash safety: vztmpl build killed with SIGKILL at many points (downloading,
# unpacking, configuring, packing) must leave no partial template or blob
# under a final name, no process, mount or cgroup behind, and a cache whose
# next build succeeds with the same archive as a build never interrupted.
. "$(dirname "$0")/testlib.sh"
need_root
command -v busybox >/dev/null || skip "needs busybox (Debian package busybox-static)"

buildable_repo
# Slow downloads a little so that kills land in every stage, not only the last.
front slow "$URL"
echo "/pool/* all trickle 16384" >"$T/slow.rules"
write_recipe "$T/test.conf" "$FRONT_URL" "$T/good.gpg" hello-vzt
NAME=testdist-1-x86_64

cut -d" " -f5 /proc/self/mountinfo | sort >"$T/mounts.before"
cgroups_snapshot

# The reference, and how long a whole build takes from an empty cache (cold)
# and with the packages cached (warm).
start=$(date +%s%N)
expect_exit 0 "$VZTMPL" -C "$T/ref" build "$T/test.conf"
cold_ms=$(( ($(date +%s%N) - start) / 1000000 ))
ref=$(sha256sum <"$T/ref/templates/$NAME.tar.zst")
start=$(date +%s%N)
expect_exit 0 "$VZTMPL" -C "$T/ref" build "$T/test.conf"
warm_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "a whole build: $cold_ms ms cold, $warm_ms ms warm"

# check_cache DIR: no partial file under a final name.
check_cache() {
  c=$1
  # Every blob hashes to its name.
  if [ -d "$c/blobs" ]; then
    find "$c/blobs" -type f ! -name '*.part' | while read -r b; do
      [ "$(sha256sum <"$b" | cut -d' ' -f1)" = "$(basename "$b")" ] || fail "blob $b does not hash to its name"
    done
  fi
  # A template is there whole, with its manifest, or not at all.
  if [ -e "$c/templates/$NAME.tar.zst" ] || [ -e "$c/templates/$NAME.json" ]; then
    "$VZTMPL" -C "$c" verify "$NAME" >/dev/null 2>"$T/verify.err" ||
      { cat "$T/verify.err" >&2; fail "a killed build left a template that does not verify"; }
  fi
}

# no_build_left: nothing runs that was started as "vztmpl -C $C ...".
no_build_left() { ! pgrep -f "vztmpl -C $C " >/dev/null; }

points=0
stages=
i=0
C="$T/c"
while [ $i -lt 24 ]; do
  i=$((i + 1))
  # Odd kills into a cold build (from an emptied cache), even ones into a
  # warm one, each spread from its start to near its end.
  k=$(( (i + 1) / 2 ))
  if [ $((i % 2)) = 1 ]; then
    delay_ms=$(( cold_ms * k / 13 ))
  else
    delay_ms=$(( warm_ms * (k + 5) / 18 ))  # past the signature checks
  fi
  # A build that ends before its kill (the machine's load changed since the
  # reference was timed) is checked too, then run again with half the delay.
  tries=0
  while :; do
    tries=$((tries + 1))
    if [ $((i % 2)) = 1 ]; then
      rm -rf "$C"
    else
      # warm: the reference's cache without its template
      rm -rf "$C" && cp -a "$T/ref" "$C" && rm -f "$C/templates/"*
    fi
    "$VZTMPL" -C "$C" build "$T/test.conf" >"$T/kill.out" 2>&1 &
    pid=$!
    # This sleep picks the kill's point in the build; nothing is asserted
    # about where it lands.
    sleep "$(echo "$delay_ms" | awk '{printf "%.3f", $1 / 1000}')"
    # What the build was doing, from what its work directory holds.
    stage="done"
    if kill -0 "$pid" 2>/dev/null; then
      w=$(ls -d "$C"/tmp/build* 2>/dev/null | head -1)
      if [ -z "$w" ]; then stage=resolve/download
      elif [ -e "$w/$NAME.tar.zst" ]; then stage=pack
      elif [ -s "$w/configure.log" ] || [ -e "$w/root/var/lib/dpkg/status" ]; then stage=configure
      else stage=unpack
      fi
      kill -KILL "$pid" 2>/dev/null || true
      points=$((points + 1))
    fi
    wait "$pid" 2>/dev/null || true
    # Nothing of the killed build may run on: sandboxes and workers die with
    # it, though the kernel may take a moment to end them.
    wait_until "the processes of the killed build (kill $i) to end" no_build_left
    check_cache "$C"
    [ "$stage" = "done" ] && [ "$tries" -lt 6 ] || break
    delay_ms=$((delay_ms / 2))
  done
  stages="$stages $stage"
done
echo "killed at $points points:$(echo "$stages" | tr ' ' '\n' | sort | uniq -c | awk '{printf " %s %s", $2, $1}')"
[ "$points" -ge 20 ] || fail "only $points kills landed during a build"

# The next build recovers the lock and the leftovers and gives the same bytes
# (the cache is the last kill's, a warm one).
expect_exit 0 "$VZTMPL" -C "$C" build "$T/test.conf"
[ "$(sha256sum <"$C/templates/$NAME.tar.zst")" = "$ref" ] || fail "the build after the kills differs"
check_cache "$C"
[ -z "$(ls -A "$C/tmp" 2>/dev/null)" ] || fail "work directories of killed builds were left: $(ls "$C/tmp")"
cut -d" " -f5 /proc/self/mountinfo | sort | diff "$T/mounts.before" - >&2 || fail "mounts left behind"
assert_no_new_cgroups
echo "crash: ok"
